variable "name" {
  description = "Bucket name; bucket names are global, so include the account id or region."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.name))
    error_message = "name must be 3 to 63 lowercase letters, digits, dots or hyphens, starting and ending with a letter or digit."
  }
}

variable "kms_key_arn" {
  description = "KMS key for default encryption; null uses the account's AWS managed key (aws/s3). Readers need kms:Decrypt on a customer managed key."
  type        = string
  default     = null
}

variable "noncurrent_version_days" {
  description = "Days a replaced or deleted object version is kept before it expires."
  type        = number
  default     = 90

  validation {
    condition     = var.noncurrent_version_days >= 1
    error_message = "noncurrent_version_days must be at least 1."
  }
}

variable "newer_noncurrent_versions" {
  description = "Replaced versions of each object that are kept whatever their age; null keeps none beyond noncurrent_version_days."
  type        = number
  default     = null

  validation {
    condition     = var.newer_noncurrent_versions == null || try(var.newer_noncurrent_versions >= 1 && var.newer_noncurrent_versions <= 100, false)
    error_message = "newer_noncurrent_versions must be null or between 1 and 100."
  }
}

variable "tags" {
  description = "Tags of the bucket."
  type        = map(string)
  default     = {}
}
