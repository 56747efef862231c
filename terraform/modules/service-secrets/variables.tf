variable "name_prefix" {
  description = "Prefix of the secret names: <name_prefix>/database/subscriber, <name_prefix>/database/graphql-api and <name_prefix>/graphql-api/cursor-key."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9/_+=.@-]{1,400}$", var.name_prefix))
    error_message = "name_prefix may contain only letters, digits and /_+=.@- characters."
  }
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the secrets; readers need kms:Decrypt on it through Secrets Manager."
  type        = string
}

variable "recovery_window_days" {
  description = "Days a deleted secret can still be restored; 0 deletes at once."
  type        = number
  default     = 30

  validation {
    condition     = var.recovery_window_days == 0 || (var.recovery_window_days >= 7 && var.recovery_window_days <= 30)
    error_message = "recovery_window_days must be 0 or between 7 and 30."
  }
}

variable "password_version" {
  description = "Raise by one to generate and store new passwords and a new cursor key."
  type        = number
  default     = 1
}
