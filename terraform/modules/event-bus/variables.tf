variable "name" {
  description = "Name of the custom event bus; also the prefix of the rule names and of the delivery DLQ."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]{1,40}$", var.name))
    error_message = "name must be 1 to 40 letters, digits, dots, hyphens or underscores, so that the rule names stay within 64 characters."
  }
}

variable "event_patterns_file" {
  description = "JSON file that maps each rule name to its event pattern. The local stack reads the same file."
  type        = string
  default     = null
}

variable "rules" {
  description = "Rules to create, keyed by their pattern's name in event_patterns_file. A rule with on_default_bus = true matches AWS service events (CloudTrail) on the account's default bus."
  type = map(object({
    description    = string
    on_default_bus = optional(bool, false)
    enabled        = optional(bool, true)
  }))
  default = {
    "application-events" = {
      description = "Application audit events published to the audit bus"
    }
    "aws-cloudtrail-events" = {
      description    = "AWS API calls, console sign-ins and service events recorded by CloudTrail"
      on_default_bus = true
    }
  }

  validation {
    condition     = length(var.rules) > 0
    error_message = "rules must contain at least one rule."
  }
}

variable "target_queue_arn" {
  description = "ARN of the SQS queue that every rule sends to."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:sqs:", var.target_queue_arn))
    error_message = "target_queue_arn must be an SQS queue ARN (arn:aws:sqs:...)."
  }
}

variable "target_queue_url" {
  description = "URL of the same queue; the module sets its queue policy."
  type        = string
}

variable "retry_policy" {
  description = "How long and how often EventBridge retries a failed delivery to the queue before it sends the event to the delivery DLQ."
  type = object({
    maximum_event_age_in_seconds = optional(number, 86400)
    maximum_retry_attempts       = optional(number, 185)
  })
  default = {}

  validation {
    condition     = var.retry_policy.maximum_event_age_in_seconds >= 60 && var.retry_policy.maximum_event_age_in_seconds <= 86400
    error_message = "retry_policy.maximum_event_age_in_seconds must be between 60 and 86400."
  }

  validation {
    condition     = var.retry_policy.maximum_retry_attempts >= 0 && var.retry_policy.maximum_retry_attempts <= 185
    error_message = "retry_policy.maximum_retry_attempts must be between 0 and 185."
  }
}

variable "kms_key_arn" {
  description = "KMS key for the delivery DLQ; its key policy must let events.amazonaws.com use it. Null encrypts with SQS-managed keys."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be null or a KMS key ARN (arn:aws:kms:...)."
  }
}

variable "archive_retention_days" {
  description = "Days the archive of the custom bus keeps events for replay; 0 keeps them forever. Null creates no archive."
  type        = number
  default     = 30

  validation {
    condition     = var.archive_retention_days == null || try(var.archive_retention_days >= 0, false)
    error_message = "archive_retention_days must be null or a number of days, 0 or more."
  }
}

variable "tags" {
  description = "Tags for every resource of the module, on top of the provider's default_tags."
  type        = map(string)
  default     = {}
}

variable "reserved_sources" {
  description = "Event sources that only the listed IAM principals (role ARNs) may publish to the custom bus, by source. The bus policy denies PutEvents with such a source to every other principal, so no publisher can pass its events off as the service's own."
  type        = map(list(string))
  default     = {}

  validation {
    condition     = alltrue([for principals in values(var.reserved_sources) : length(principals) > 0])
    error_message = "Each reserved source needs at least one principal ARN; an empty list would deny it to everyone."
  }
}
