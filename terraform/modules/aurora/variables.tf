variable "name" {
  description = "Cluster identifier; also names the parameter group, subnet group, security group and key alias."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,50}[a-z0-9]$", var.name))
    error_message = "name must start with a lowercase letter and contain only lowercase letters, digits and hyphens, at most 52 characters."
  }
}

variable "engine_version" {
  description = "Aurora PostgreSQL engine version. It must ship pg_partman (4.7 or 5.x) and pg_cron, which the migrations need."
  type        = string
  # NOTE: Aurora's extension table lists pg_partman 5.x and pg_cron 1.6 for the 16.x
  # minors; after an engine change, check with
  # SELECT name, default_version FROM pg_available_extensions WHERE name IN ('pg_partman', 'pg_cron').
  default = "16.6"

  validation {
    condition     = can(regex("^1[5-7]\\.[0-9]+$", var.engine_version))
    error_message = "engine_version must be a full Aurora PostgreSQL 15, 16 or 17 version such as 16.6; major versions before 15 are not tested with the migrations."
  }
}

variable "database_name" {
  description = "Database that the cluster creates and the migrations fill; pg_cron runs its jobs there (cron.database_name)."
  type        = string
  default     = "audit"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.database_name))
    error_message = "database_name must start with a lowercase letter and contain only lowercase letters, digits and underscores."
  }
}

variable "master_username" {
  description = "Master user; its password is managed by RDS in Secrets Manager and never passes through Terraform."
  type        = string
  default     = "audit_admin"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,15}$", var.master_username)) && !contains(["admin", "postgres", "rdsadmin"], var.master_username)
    error_message = "master_username must be 1 to 16 lowercase letters, digits or underscores, starting with a letter, and not a reserved name (admin, postgres, rdsadmin)."
  }
}

variable "min_capacity" {
  description = "Minimum Aurora capacity units (ACU) of each Serverless v2 instance. 0 lets an idle instance pause (engine 16.3 and later)."
  type        = number
  default     = 0.5

  validation {
    condition     = var.min_capacity >= 0 && var.min_capacity <= 256 && floor(var.min_capacity * 2) == var.min_capacity * 2
    error_message = "min_capacity must be between 0 and 256 in steps of 0.5."
  }
}

variable "max_capacity" {
  description = "Maximum ACUs of each Serverless v2 instance."
  type        = number
  default     = 8

  validation {
    condition     = var.max_capacity >= 1 && var.max_capacity <= 256 && floor(var.max_capacity * 2) == var.max_capacity * 2
    error_message = "max_capacity must be between 1 and 256 in steps of 0.5."
  }

  validation {
    condition     = var.max_capacity >= var.min_capacity
    error_message = "max_capacity must be at least min_capacity."
  }
}

variable "instance_count" {
  description = "Serverless v2 instances: one writer, the rest readers in other availability zones for failover."
  type        = number
  default     = 2

  validation {
    condition     = var.instance_count >= 1 && var.instance_count <= 16 && floor(var.instance_count) == var.instance_count
    error_message = "instance_count must be a whole number between 1 and 16."
  }
}

variable "vpc_id" {
  description = "VPC of the cluster's security group."
  type        = string

  validation {
    condition     = startswith(var.vpc_id, "vpc-")
    error_message = "vpc_id must be a VPC id (vpc-...)."
  }
}

variable "subnet_ids" {
  description = "Private subnets, in at least two availability zones, for the cluster's instances."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids must list at least two subnets, as RDS requires for a subnet group."
  }
}

variable "client_security_group_ids" {
  description = "Security groups that may connect to PostgreSQL, keyed by what they belong to (functions, migration runner). No other source may."
  type        = map(string)

  validation {
    condition     = alltrue([for id in values(var.client_security_group_ids) : startswith(id, "sg-")])
    error_message = "client_security_group_ids values must be security group ids (sg-...)."
  }
}

variable "create_kms_key" {
  description = "Whether the module creates its own KMS key. Set false and pass kms_key_arn to use an existing key; a boolean, because a key ARN is unknown until apply and cannot decide count."
  type        = bool
  default     = true
}

variable "kms_key_arn" {
  description = "KMS key for storage, Performance Insights and the master user secret. Used when create_kms_key is false."
  type        = string
  default     = null

  validation {
    condition     = var.create_kms_key || var.kms_key_arn != null
    error_message = "kms_key_arn is required when create_kms_key is false."
  }
}

variable "backup_retention_days" {
  description = "Days of automated backups (point-in-time recovery)."
  type        = number
  default     = 7

  validation {
    condition     = var.backup_retention_days >= 1 && var.backup_retention_days <= 35
    error_message = "backup_retention_days must be between 1 and 35."
  }
}

variable "preferred_backup_window" {
  description = "Daily backup window in UTC, hh24:mi-hh24:mi."
  type        = string
  default     = "02:00-03:00"
}

variable "preferred_maintenance_window" {
  description = "Weekly maintenance window in UTC, ddd:hh24:mi-ddd:hh24:mi; it must not overlap the backup window."
  type        = string
  default     = "sun:04:00-sun:05:00"
}

variable "deletion_protection" {
  description = "Whether the cluster refuses deletion. Only a development environment should turn it off."
  type        = bool
  default     = true
}

variable "skip_final_snapshot" {
  description = "Whether deleting the cluster skips the final snapshot. Only a development environment should skip it."
  type        = bool
  default     = false
}

variable "apply_immediately" {
  description = "Whether changes apply at once instead of in the maintenance window."
  type        = bool
  default     = false
}

variable "monitoring_interval_seconds" {
  description = "Seconds between Enhanced Monitoring samples of the instances' operating system metrics; 0 turns it off."
  type        = number
  default     = 60

  validation {
    condition     = contains([0, 1, 5, 10, 15, 30, 60], var.monitoring_interval_seconds)
    error_message = "monitoring_interval_seconds must be 0, 1, 5, 10, 15, 30 or 60."
  }
}

variable "tags" {
  description = "Tags for every resource of the module, on top of the provider's default_tags."
  type        = map(string)
  default     = {}
}
