variable "function_name" {
  description = "Name of the Lambda function; also names its role and log group."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,56}$", var.function_name))
    error_message = "function_name must be 1 to 56 letters, digits, hyphens or underscores, so that the role name <function_name>-role fits IAM's 64 characters."
  }
}

variable "description" {
  description = "What the function does, shown in the Lambda console."
  type        = string
  default     = ""
}

variable "zip_path" {
  description = "Path of the deployment zip that scripts/package_functions.py builds, such as build/subscriber.zip."
  type        = string

  validation {
    condition     = endswith(var.zip_path, ".zip")
    error_message = "zip_path must name a .zip file."
  }
}

variable "handler" {
  description = "Python import path of the handler, such as subscriber.handler.lambda_handler."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z_][A-Za-z0-9_.]*\\.[A-Za-z_][A-Za-z0-9_]*$", var.handler))
    error_message = "handler must be a dotted Python path ending in the function name, such as subscriber.handler.lambda_handler."
  }
}

variable "runtime" {
  description = "Lambda runtime. scripts/package_functions.py installs wheels for Python 3.11 on x86_64, so the two must agree."
  type        = string
  default     = "python3.11"

  validation {
    condition     = can(regex("^python3\\.[0-9]+$", var.runtime))
    error_message = "runtime must be a Python runtime such as python3.11."
  }
}

variable "memory_size" {
  description = "Memory of the function in MB; CPU share grows with it."
  type        = number
  default     = 512

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240
    error_message = "memory_size must be between 128 and 10240 MB."
  }
}

variable "timeout" {
  description = "Longest run of one invocation, in seconds."
  type        = number
  default     = 30

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 900
    error_message = "timeout must be between 1 and 900 seconds."
  }
}

variable "reserved_concurrent_executions" {
  description = "Concurrency reserved for, and capped at, this function; -1 reserves none and sets no cap."
  type        = number
  default     = -1

  validation {
    condition     = var.reserved_concurrent_executions >= -1
    error_message = "reserved_concurrent_executions must be -1 (no reservation) or 0 and more."
  }
}

variable "environment_variables" {
  description = "Environment of the function, on top of the Powertools settings. Never put secrets here: pass a Secrets Manager ARN instead."
  type        = map(string)
  default     = {}
}

variable "powertools" {
  description = "Settings of Powertools for AWS Lambda (Python): service name, metrics namespace and log level. Event logging stays off, because events contain audit data."
  type = object({
    service_name      = string
    metrics_namespace = optional(string, "AuditLog")
    log_level         = optional(string, "INFO")
  })

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], var.powertools.log_level)
    error_message = "powertools.log_level must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL."
  }
}

variable "tracing_mode" {
  description = "X-Ray tracing: Active samples and traces requests, PassThrough only forwards the trace header."
  type        = string
  default     = "PassThrough"

  validation {
    condition     = contains(["Active", "PassThrough"], var.tracing_mode)
    error_message = "tracing_mode must be Active or PassThrough."
  }
}

variable "vpc_config" {
  description = "Subnets and security groups of the function's network interfaces, for functions that reach the database. Null runs the function outside any VPC."
  type = object({
    subnet_ids         = list(string)
    security_group_ids = list(string)
  })
  default = null

  validation {
    condition     = var.vpc_config == null || try(length(var.vpc_config.subnet_ids) > 0 && length(var.vpc_config.security_group_ids) > 0, false)
    error_message = "vpc_config needs at least one subnet and one security group."
  }
}

variable "log_retention_days" {
  description = "Days CloudWatch Logs keeps the function's log."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "log_kms_key_arn" {
  description = "KMS key that encrypts the log group; its key policy must let the CloudWatch Logs service use it. Null uses CloudWatch Logs' own encryption."
  type        = string
  default     = null
}

variable "policy_statements" {
  description = "Extra IAM statements of the function's role, keyed by a Sid of letters and digits. Name exact actions and resources: the role should allow only what the code calls."
  type = map(object({
    actions    = list(string)
    resources  = list(string)
    conditions = optional(map(map(list(string))), {})
  }))
  default = {}

  validation {
    condition     = alltrue([for sid in keys(var.policy_statements) : can(regex("^[A-Za-z0-9]+$", sid))])
    error_message = "policy_statements keys are statement ids: letters and digits only."
  }

  # A whole service (sqs:*) or every action (*) is never needed by these functions.
  validation {
    condition     = alltrue(flatten([for statement in values(var.policy_statements) : [for action in statement.actions : !endswith(action, "*")]]))
    error_message = "policy_statements must name exact actions, not wildcards such as sqs:* or *."
  }
}

variable "sqs_event_source" {
  description = "SQS queue that feeds the function in batches, with partial batch responses (ReportBatchItemFailures). Null creates no event source mapping."
  type = object({
    queue_arn                          = string
    kms_key_arn                        = optional(string)
    batch_size                         = optional(number, 10)
    maximum_batching_window_in_seconds = optional(number, 0)
    maximum_concurrency                = optional(number)
    enabled                            = optional(bool, true)
  })
  default = null

  validation {
    condition     = var.sqs_event_source == null || try(var.sqs_event_source.batch_size >= 1 && var.sqs_event_source.batch_size <= 10000, false)
    error_message = "sqs_event_source.batch_size must be between 1 and 10000."
  }

  # Above 10 messages SQS requires a batching window.
  validation {
    condition     = var.sqs_event_source == null || try(var.sqs_event_source.batch_size <= 10 || var.sqs_event_source.maximum_batching_window_in_seconds >= 1, false)
    error_message = "sqs_event_source.batch_size above 10 needs maximum_batching_window_in_seconds of at least 1."
  }

  validation {
    condition     = var.sqs_event_source == null || try(var.sqs_event_source.maximum_batching_window_in_seconds >= 0 && var.sqs_event_source.maximum_batching_window_in_seconds <= 300, false)
    error_message = "sqs_event_source.maximum_batching_window_in_seconds must be between 0 and 300."
  }

  validation {
    condition     = var.sqs_event_source == null || try(coalesce(var.sqs_event_source.maximum_concurrency, 2) >= 2 && coalesce(var.sqs_event_source.maximum_concurrency, 2) <= 1000, false)
    error_message = "sqs_event_source.maximum_concurrency must be null or between 2 and 1000."
  }
}

variable "tags" {
  description = "Tags for every resource of the module, on top of the provider's default_tags."
  type        = map(string)
  default     = {}
}
