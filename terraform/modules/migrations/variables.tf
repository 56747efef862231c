variable "name" {
  description = "Name of the CodeBuild project; also names its role, security group, log group and (with the account id) the bundle bucket."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,29}$", var.name))
    error_message = "name must be 2 to 30 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "vpc_id" {
  description = "VPC of the database; the build runs in it."
  type        = string

  validation {
    condition     = startswith(var.vpc_id, "vpc-")
    error_message = "vpc_id must be a VPC id (vpc-...)."
  }
}

variable "subnet_ids" {
  description = "Private subnets the build runs in. They need a NAT gateway: CodeBuild pulls the Flyway image from Docker Hub, and the build reaches S3, Secrets Manager and CloudWatch Logs."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 1
    error_message = "subnet_ids must list at least one private subnet."
  }
}

variable "database" {
  description = "The Aurora cluster to migrate: writer endpoint, port, database name, its security group, and the RDS-managed master secret with the KMS key that encrypts it."
  type = object({
    endpoint              = string
    port                  = number
    name                  = string
    security_group_id     = string
    master_secret_arn     = string
    master_secret_kms_arn = string
  })
}

variable "login_secrets" {
  description = "Secrets of the functions' database logins (JSON with username and password) from the service-secrets module, and the KMS key that encrypts them. The afterMigrate callback sets the login roles' passwords from them."
  type = object({
    subscriber_arn = string
    api_arn        = string
    kms_key_arn    = string
  })

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:secretsmanager:", var.login_secrets.subscriber_arn)) && can(regex("^arn:aws[a-z-]*:secretsmanager:", var.login_secrets.api_arn))
    error_message = "login_secrets.subscriber_arn and api_arn must be Secrets Manager secret ARNs."
  }
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the bundle bucket, the build log group and the build's cache and artifacts. The key policy must let CloudWatch Logs use it."
  type        = string
}

variable "image" {
  description = "Container image of the build: the official Flyway image, or a copy of it in ECR (for example through a pull-through cache) when the subnets have no route to Docker Hub."
  type        = string
  default     = "flyway/flyway:11.8.2"

  validation {
    condition     = length(regexall(":[^/:]+$", var.image)) == 1 && !endswith(var.image, ":latest")
    error_message = "image must name a fixed tag or digest, not latest, so that every deploy runs the same Flyway."
  }
}

variable "compute_type" {
  description = "CodeBuild compute type; Flyway needs little memory."
  type        = string
  default     = "BUILD_GENERAL1_SMALL"

  validation {
    condition     = contains(["BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE"], var.compute_type)
    error_message = "compute_type must be BUILD_GENERAL1_SMALL, BUILD_GENERAL1_MEDIUM or BUILD_GENERAL1_LARGE."
  }
}

variable "build_timeout_minutes" {
  description = "Minutes a migration run may take before CodeBuild stops it."
  type        = number
  default     = 30

  validation {
    condition     = var.build_timeout_minutes >= 5 && var.build_timeout_minutes <= 480
    error_message = "build_timeout_minutes must be between 5 and 480."
  }
}

variable "log_retention_days" {
  description = "Days CloudWatch Logs keeps the build logs."
  type        = number
  default     = 90
}

variable "bundle_noncurrent_days" {
  description = "Days the bucket keeps replaced bundles, so a past deploy's migration input can be inspected."
  type        = number
  default     = 90

  validation {
    condition     = var.bundle_noncurrent_days >= 1
    error_message = "bundle_noncurrent_days must be at least 1."
  }
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
