variable "endpoint" {
  description = "URL of the AWS emulator (moto) on this machine."
  type        = string
  default     = "http://127.0.0.1:4566"

  # Dummy credentials and skipped checks are only safe against a local emulator.
  validation {
    condition     = can(regex("^https?://(127\\.0\\.0\\.1|localhost|\\[::1\\]):[0-9]+/?$", var.endpoint))
    error_message = "endpoint must be an emulator on this machine, such as http://127.0.0.1:4566."
  }
}

variable "region" {
  description = "Region name the emulator reports in ARNs."
  type        = string
  default     = "us-east-1"
}

variable "name_prefix" {
  description = "Prefix of every resource name; tests that share one emulator pass a unique one."
  type        = string
  default     = "audit-log-local"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name_prefix))
    error_message = "name_prefix must be 2 to 31 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "packages_dir" {
  description = "Folder with subscriber.zip and graphql_api.zip from scripts/package_functions.py."
  type        = string
  default     = "../../../build"
}
