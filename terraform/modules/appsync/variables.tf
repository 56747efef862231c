variable "name" {
  description = "Name of the GraphQL API; also names its roles and data source."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,50}$", var.name))
    error_message = "name must be 1 to 50 letters, digits, hyphens or underscores."
  }
}

variable "schema_file" {
  description = "SDL file of the API. Null uses functions/graphql_api/graphql_api/schema.graphql, the file that Ariadne loads, which leaves out AppSync's built-in scalars as AppSync requires."
  type        = string
  default     = null
}

variable "resolver_function_arn" {
  description = "ARN of the GraphQL API Lambda (graphql_api.appsync.lambda_handler), which resolves every Query field."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:lambda:", var.resolver_function_arn))
    error_message = "resolver_function_arn must be a Lambda function ARN."
  }
}

variable "authorizer" {
  description = "Lambda authorizer (authorizer.handler.lambda_handler) that checks each request's JWT and returns the caller's tenants and role. result_ttl_seconds is how long AppSync caches its answer for one token."
  type = object({
    function_arn                   = string
    function_name                  = string
    result_ttl_seconds             = optional(number, 300)
    identity_validation_expression = optional(string)
  })

  validation {
    condition     = var.authorizer.result_ttl_seconds >= 0 && var.authorizer.result_ttl_seconds <= 3600
    error_message = "authorizer.result_ttl_seconds must be between 0 and 3600, AppSync's range."
  }
}

variable "query_fields" {
  description = "Query fields that get a direct Lambda resolver, with the largest batch AppSync sends in one invocation (0 turns batching off)."
  type = map(object({
    max_batch_size = number
  }))
  default = {
    # Heavy reads with their own page size: one invocation each.
    auditEvents      = { max_batch_size = 0 }
    auditEventCounts = { max_batch_size = 0 }
    # Key lookups: a request that fetches several events by alias can share one
    # invocation and one database connection.
    auditEvent = { max_batch_size = 10 }
  }

  validation {
    condition     = alltrue([for field in values(var.query_fields) : field.max_batch_size >= 0 && field.max_batch_size <= 2000])
    error_message = "query_fields max_batch_size must be between 0 and 2000."
  }
}

variable "field_log_level" {
  description = "AppSync field-level logging: NONE, ERROR, INFO, DEBUG or ALL. ALL writes resolved values, that is audit data, to the log."
  type        = string
  default     = "ERROR"

  validation {
    condition     = contains(["NONE", "ERROR", "INFO", "DEBUG", "ALL"], var.field_log_level)
    error_message = "field_log_level must be one of NONE, ERROR, INFO, DEBUG, ALL."
  }
}

variable "log_retention_days" {
  description = "Days CloudWatch Logs keeps the API's log."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts, such as 7, 30, 90 or 365."
  }
}

variable "log_kms_key_arn" {
  description = "KMS key that encrypts the API's log group. Null uses CloudWatch Logs' own encryption."
  type        = string
  default     = null
}

variable "query_depth_limit" {
  description = "Deepest nesting of fields that AppSync accepts in a query; 0 sets no limit. The local server uses 8."
  type        = number
  default     = 8

  validation {
    condition     = var.query_depth_limit >= 0 && var.query_depth_limit <= 75
    error_message = "query_depth_limit must be between 0 and 75."
  }
}

variable "resolver_count_limit" {
  description = "Most resolver invocations AppSync runs for one request; 0 uses AppSync's default of 10000. The local server allows 15 aliases."
  type        = number
  default     = 15

  validation {
    condition     = var.resolver_count_limit >= 0 && var.resolver_count_limit <= 10000
    error_message = "resolver_count_limit must be between 0 and 10000."
  }
}

variable "introspection_enabled" {
  description = "Whether clients may read the schema through introspection. Only a development environment should allow it."
  type        = bool
  default     = false
}

variable "xray_enabled" {
  description = "Whether AppSync traces requests with X-Ray."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for every resource of the module, on top of the provider's default_tags."
  type        = map(string)
  default     = {}
}
