variable "name_prefix" {
  description = "Prefix of the alarm names and of the SNS topic <name_prefix>-alarms."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,200}$", var.name_prefix))
    error_message = "name_prefix must be 1 to 200 letters, digits, hyphens or underscores."
  }
}

variable "email_addresses" {
  description = "Addresses subscribed to the alarm topic; each must confirm the subscription email."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for address in var.email_addresses : can(regex("^[^@\\s]+@[^@\\s]+$", address))])
    error_message = "email_addresses must be email addresses."
  }
}

variable "dead_letter_queues" {
  description = "Dead-letter queues by purpose, such as { ingest = \"audit-ingest-dlq\" }. Any message in one raises its alarm."
  type        = map(string)
  default     = {}
}

variable "queues" {
  description = "Queues whose oldest message must not wait longer than max_age_seconds, by purpose."
  type = map(object({
    queue_name      = string
    max_age_seconds = optional(number, 900)
  }))
  default = {}

  validation {
    condition     = alltrue([for queue in values(var.queues) : queue.max_age_seconds >= 60])
    error_message = "queues max_age_seconds must be at least 60."
  }
}

variable "functions" {
  description = "Lambda function names by purpose, such as { subscriber = \"audit-subscriber\" }; any error or throttle raises an alarm."
  type        = map(string)
  default     = {}
}

variable "aurora" {
  description = "Aurora Serverless v2 cluster whose capacity use (ACUUtilization, percent of max_capacity) must stay below max_acu_utilization_percent. Null creates no database alarm."
  type = object({
    cluster_identifier          = string
    max_acu_utilization_percent = optional(number, 90)
  })
  default = null

  validation {
    condition     = var.aurora == null || try(var.aurora.max_acu_utilization_percent > 0 && var.aurora.max_acu_utilization_percent <= 100, false)
    error_message = "aurora.max_acu_utilization_percent must be above 0 and at most 100."
  }
}

variable "create_kms_key" {
  description = "Whether the module creates its own KMS key. Set false and pass kms_key_arn to use an existing key; a boolean, because a key ARN is unknown until apply and cannot decide count."
  type        = bool
  default     = true
}

variable "kms_key_arn" {
  description = "KMS key of the alarm topic; its policy must let cloudwatch.amazonaws.com use it. Used when create_kms_key is false."
  type        = string
  default     = null

  validation {
    condition     = var.create_kms_key || var.kms_key_arn != null
    error_message = "kms_key_arn is required when create_kms_key is false."
  }
}

variable "tags" {
  description = "Tags for every resource of the module, on top of the provider's default_tags."
  type        = map(string)
  default     = {}
}
