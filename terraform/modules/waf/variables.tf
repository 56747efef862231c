variable "name" {
  description = "Name of the web ACL; the log group is aws-waf-logs-<name>, as WAF requires."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,100}$", var.name))
    error_message = "name must be 1 to 100 letters, digits, hyphens or underscores."
  }
}

variable "resource_arn" {
  description = "ARN of the AppSync GraphQL API that the web ACL protects."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:appsync:", var.resource_arn))
    error_message = "resource_arn must be an AppSync API ARN (arn:aws:appsync:...)."
  }
}

variable "managed_rule_groups" {
  description = "AWS managed rule groups, evaluated in the order given before the rate limit. rules_to_count lists rules of a group that only count instead of blocking."
  type = list(object({
    name           = string
    rules_to_count = optional(list(string), [])
  }))
  default = [
    { name = "AWSManagedRulesAmazonIpReputationList" },
    { name = "AWSManagedRulesCommonRuleSet" },
    { name = "AWSManagedRulesKnownBadInputsRuleSet" },
  ]

  validation {
    condition     = alltrue([for group in var.managed_rule_groups : startswith(group.name, "AWSManagedRules")])
    error_message = "managed_rule_groups names must be AWS managed rule groups (AWSManagedRules...)."
  }
}

variable "rate_limit" {
  description = "Requests one client IP address may send in any 5-minute window before WAF blocks it."
  type        = number
  default     = 2000

  validation {
    condition     = var.rate_limit >= 10 && var.rate_limit <= 2000000000
    error_message = "rate_limit must be between 10 and 2000000000, WAF's range."
  }
}

variable "log_retention_days" {
  description = "Days CloudWatch Logs keeps the WAF log."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts, such as 7, 30, 90 or 365."
  }
}

variable "log_kms_key_arn" {
  description = "KMS key that encrypts the WAF log group. Null uses CloudWatch Logs' own encryption."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource of the module, on top of the provider's default_tags."
  type        = map(string)
  default     = {}
}
