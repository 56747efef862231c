variable "name" {
  description = "Name of the ingestion queue. The dead-letter queue (DLQ) is named <name>-dlq."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,76}$", var.name))
    error_message = "name must be 1 to 76 letters, digits, hyphens or underscores, so that <name>-dlq fits the SQS limit of 80 characters."
  }
}

variable "consumer_timeout_seconds" {
  description = "Timeout of the Lambda function that consumes the queue, in seconds. The visibility timeout must be at least 6 times this plus the batching window."
  type        = number

  validation {
    condition     = var.consumer_timeout_seconds >= 1 && var.consumer_timeout_seconds <= 900
    error_message = "consumer_timeout_seconds must be between 1 and 900, the Lambda timeout range."
  }
}

variable "consumer_batching_window_seconds" {
  description = "Maximum batching window of the consumer's event source mapping, in seconds."
  type        = number
  default     = 0

  validation {
    condition     = var.consumer_batching_window_seconds >= 0 && var.consumer_batching_window_seconds <= 300
    error_message = "consumer_batching_window_seconds must be between 0 and 300."
  }
}

variable "visibility_timeout_seconds" {
  description = "How long a received message stays invisible to other consumers, in seconds."
  type        = number

  validation {
    condition     = var.visibility_timeout_seconds >= 0 && var.visibility_timeout_seconds <= 43200
    error_message = "visibility_timeout_seconds must be between 0 and 43200 (12 hours)."
  }

  # AWS advises at least 6 times the function timeout plus the batching window, so that
  # Lambda's retries on throttling finish before the message becomes visible again.
  validation {
    condition     = var.visibility_timeout_seconds >= 6 * var.consumer_timeout_seconds + var.consumer_batching_window_seconds
    error_message = "visibility_timeout_seconds must be at least 6 x consumer_timeout_seconds + consumer_batching_window_seconds."
  }
}

variable "max_receive_count" {
  description = "Receives of one message before SQS moves it to the DLQ."
  type        = number
  default     = 5

  validation {
    condition     = var.max_receive_count >= 1 && var.max_receive_count <= 1000
    error_message = "max_receive_count must be between 1 and 1000."
  }
}

variable "message_retention_seconds" {
  description = "How long the ingestion queue keeps a message, in seconds."
  type        = number
  default     = 345600 # 4 days, the SQS default

  validation {
    condition     = var.message_retention_seconds >= 60 && var.message_retention_seconds <= 1209600
    error_message = "message_retention_seconds must be between 60 and 1209600 (14 days)."
  }
}

variable "dlq_message_retention_seconds" {
  description = "How long the DLQ keeps a message, in seconds. A moved message keeps its original enqueue time, so this must exceed message_retention_seconds."
  type        = number
  default     = 1209600 # 14 days, the SQS maximum

  validation {
    condition     = var.dlq_message_retention_seconds >= 60 && var.dlq_message_retention_seconds <= 1209600
    error_message = "dlq_message_retention_seconds must be between 60 and 1209600 (14 days)."
  }

  validation {
    condition     = var.dlq_message_retention_seconds > var.message_retention_seconds
    error_message = "dlq_message_retention_seconds must be greater than message_retention_seconds, or messages expire in the DLQ before anyone sees them."
  }
}

variable "receive_wait_time_seconds" {
  description = "Long-polling wait of ReceiveMessage calls that do not set their own, in seconds."
  type        = number
  default     = 20

  validation {
    condition     = var.receive_wait_time_seconds >= 0 && var.receive_wait_time_seconds <= 20
    error_message = "receive_wait_time_seconds must be between 0 and 20."
  }
}

variable "create_kms_key" {
  description = "Whether the module creates its own KMS key. Set false and pass kms_key_arn to use an existing key; a boolean, because a key ARN is unknown until apply and cannot decide count."
  type        = bool
  default     = true
}

variable "kms_key_arn" {
  description = "ARN of a KMS key to encrypt both queues with. Used when create_kms_key is false."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be null or a KMS key ARN (arn:aws:kms:...)."
  }

  validation {
    condition     = var.create_kms_key || var.kms_key_arn != null
    error_message = "kms_key_arn is required when create_kms_key is false."
  }
}

variable "key_user_service_principals" {
  description = "AWS services that send to the queues and so may use the created key, such as events.amazonaws.com. Ignored when kms_key_arn is set."
  type        = list(string)
  default     = ["events.amazonaws.com"]

  validation {
    condition     = alltrue([for principal in var.key_user_service_principals : endswith(principal, ".amazonaws.com")])
    error_message = "key_user_service_principals must be service principals ending in .amazonaws.com."
  }
}

variable "restrict_dlq_sources" {
  description = "Whether a redrive allow policy lets only this queue use the DLQ. Turn it off only for emulators without RedriveAllowPolicy (moto 5.2)."
  type        = bool
  default     = true
}

variable "kms_data_key_reuse_period_seconds" {
  description = "How long SQS reuses a data key before calling KMS again, in seconds."
  type        = number
  default     = 300

  validation {
    condition     = var.kms_data_key_reuse_period_seconds >= 60 && var.kms_data_key_reuse_period_seconds <= 86400
    error_message = "kms_data_key_reuse_period_seconds must be between 60 and 86400."
  }
}

variable "key_deletion_window_days" {
  description = "Waiting period before the created KMS key is deleted, in days."
  type        = number
  default     = 30

  validation {
    condition     = var.key_deletion_window_days >= 7 && var.key_deletion_window_days <= 30
    error_message = "key_deletion_window_days must be between 7 and 30."
  }
}

variable "tags" {
  description = "Tags for every resource of the module, on top of the provider's default_tags."
  type        = map(string)
  default     = {}
}
