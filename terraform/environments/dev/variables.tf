# Values of the AWS account this environment runs in. They are not secret; keep them in
# a terraform.tfvars next to the backend.hcl of the deployment.

variable "aws_region" {
  description = "AWS region of the environment, such as eu-west-1."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.aws_region))
    error_message = "aws_region must be a region name such as eu-west-1."
  }
}

variable "aws_account_id" {
  description = "The only AWS account this root may change."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.aws_account_id))
    error_message = "aws_account_id must be 12 digits."
  }
}

variable "network" {
  description = "Existing VPC and at least two private subnets with a NAT gateway (the migration builds pull the Flyway image from Docker Hub); optionally the security group of one more host that may reach the database."
  type = object({
    vpc_id                             = string
    private_subnet_ids                 = list(string)
    migration_runner_security_group_id = optional(string)
  })
}

variable "authorizer" {
  description = "JWT issuer (https URL) and accepted audiences of the identity provider; the other fields of the audit-log module's authorizer input may be set too."
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
}

variable "account_tenants" {
  description = "AWS account id to tenant id, for CloudTrail events (the subscriber's AWS_ACCOUNT_TENANTS); \"*\" matches any other account."
  type        = map(string)
  default     = {}
}

variable "alarm_email_addresses" {
  description = "Addresses that receive alarm notifications."
  type        = list(string)
  default     = []
}
