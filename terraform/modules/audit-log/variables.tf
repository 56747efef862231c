variable "environment" {
  description = "Deployment stage: dev, staging or prod. Only dev allows deleting the database without a snapshot and schema introspection."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be dev, staging or prod, the values the GraphQL API accepts in ENVIRONMENT."
  }
}

variable "name" {
  description = "Service name; resources are named <name>-<environment>-<part>."
  type        = string
  default     = "audit-log"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name))
    error_message = "name must be 2 to 21 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "packages" {
  description = "Deployment zips built by scripts/package_functions.py, one per function."
  type = object({
    subscriber  = string
    graphql_api = string
    authorizer  = string
  })
}

variable "network" {
  description = "Existing VPC and its private subnets, with a NAT gateway: the migration builds pull the Flyway image from Docker Hub, and the functions and builds call AWS APIs. migration_runner_security_group_id optionally admits one more host to the database, such as a bastion for running Flyway by hand."
  type = object({
    vpc_id                             = string
    private_subnet_ids                 = list(string)
    migration_runner_security_group_id = optional(string)
  })

  validation {
    condition     = length(var.network.private_subnet_ids) >= 2
    error_message = "network.private_subnet_ids must list at least two subnets in different availability zones."
  }
}

variable "database" {
  description = "Aurora Serverless v2 settings: capacity range in ACUs, instances and days of backups."
  type = object({
    engine_version        = optional(string, "16.6")
    min_capacity          = optional(number, 0.5)
    max_capacity          = optional(number, 8)
    instance_count        = optional(number, 2)
    backup_retention_days = optional(number, 7)
  })
  default = {}
}

variable "subscriber" {
  description = "Subscriber function and its SQS event source mapping. account_tenants maps AWS account ids to tenants for CloudTrail events (AWS_ACCOUNT_TENANTS)."
  type = object({
    memory_size             = optional(number, 1024)
    timeout                 = optional(number, 60)
    reserved_concurrency    = optional(number, -1)
    batch_size              = optional(number, 100)
    batching_window_seconds = optional(number, 5)
    maximum_concurrency     = optional(number, 10)
    max_receive_count       = optional(number, 5)
    account_tenants         = optional(map(string), {})
  })
  default = {}
}

variable "api" {
  description = "GraphQL API function, AppSync limits and logging."
  type = object({
    memory_size          = optional(number, 512)
    timeout              = optional(number, 15)
    reserved_concurrency = optional(number, -1)
    field_log_level      = optional(string, "ERROR")
    query_depth_limit    = optional(number, 8)
    resolver_count_limit = optional(number, 15)
    waf_rate_limit       = optional(number, 2000)
  })
  default = {}
}

variable "authorizer" {
  description = "JWT settings of the authorizer: the issuer, accepted audiences, key set URL (default <issuer>/.well-known/jwks.json), algorithms, and the claims that carry tenants and role. Unset claim settings keep the authorizer's defaults."
  type = object({
    jwt_issuer          = string
    jwt_audience        = list(string)
    jwks_url            = optional(string)
    jwt_algorithms      = optional(list(string), ["RS256", "ES256"])
    tenant_claim        = optional(string)
    tenant_group_prefix = optional(string)
    groups_claim        = optional(string)
    role_claim          = optional(string)
    role_group_prefix   = optional(string)
    default_role        = optional(string)
    result_ttl_seconds  = optional(number, 300)
  })

  validation {
    condition     = startswith(var.authorizer.jwt_issuer, "https://") && length(var.authorizer.jwt_audience) > 0
    error_message = "authorizer.jwt_issuer must be an https URL and jwt_audience must list at least one audience."
  }
}

variable "migrations" {
  description = "The CodeBuild project that runs Flyway in the VPC: its image (a fixed tag of the official Flyway image, or a copy in ECR) and how long one run may take."
  type = object({
    image                 = optional(string, "flyway/flyway:11.8.2")
    build_timeout_minutes = optional(number, 30)
  })
  default = {}
}

variable "log_retention_days" {
  description = "Days CloudWatch Logs keeps the functions', API's and WAF's logs."
  type        = number
  default     = 30
}

variable "event_archive_retention_days" {
  description = "Days the bus archive keeps events for replay; 0 keeps them forever."
  type        = number
  default     = 30
}

variable "alarm_email_addresses" {
  description = "Addresses that receive alarm notifications."
  type        = list(string)
  default     = []
}

variable "secret_arns" {
  description = "Secrets from the service-secrets module: the subscriber's and the API's database logins and the cursor signing key. They are encrypted with this module's service key (output service_kms_key_arn)."
  type = object({
    subscriber_database = string
    api_database        = string
    cursor_key          = string
  })

  validation {
    condition     = alltrue([for arn in values(var.secret_arns) : can(regex("^arn:aws[a-z-]*:secretsmanager:", arn))])
    error_message = "secret_arns values must be Secrets Manager secret ARNs."
  }
}
