variable "aws_region" {
  description = "Region of the state bucket, such as eu-west-1."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.aws_region))
    error_message = "aws_region must be a region name such as eu-west-1."
  }
}

variable "aws_account_id" {
  description = "The only AWS account this root may change; apply it once in each account that hosts an environment."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.aws_account_id))
    error_message = "aws_account_id must be 12 digits."
  }
}

variable "github_repository" {
  description = "GitHub repository whose workflows may assume the roles, as owner/name."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$", var.github_repository))
    error_message = "github_repository must be owner/name, such as example-org/audit-log."
  }
}

variable "environments" {
  description = "Environments deployed to this account; each gets a pull-request plan role, a plan role and a deploy role."
  type        = set(string)

  validation {
    condition     = length(var.environments) > 0 && alltrue([for environment in var.environments : contains(["dev", "staging", "prod"], environment)])
    error_message = "environments must list one or more of dev, staging and prod."
  }
}

variable "state_bucket_name" {
  description = "Name of the S3 bucket for the Terraform state of the environments in this account; bucket names are global, so include the account id."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.state_bucket_name))
    error_message = "state_bucket_name must be 3 to 63 lowercase letters, digits, dots or hyphens."
  }
}

variable "name" {
  description = "Service name: the environment roots keep their state under <name>/<environment>/ and name their secrets <name>-<environment>/..., and the roles are named <name>-<environment>-<purpose>."
  type        = string
  default     = "audit-log"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name))
    error_message = "name must be 2 to 21 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "create_oidc_provider" {
  description = "Whether to create the account's GitHub OIDC provider; set false when the account already has one for token.actions.githubusercontent.com."
  type        = bool
  default     = true
}

variable "deploy_policy_arns" {
  description = "Managed policies of the deploy roles. Terraform creates IAM roles, KMS keys, Aurora, AppSync, WAF, CodeBuild and more, so the default is AdministratorAccess; narrow it or add a permissions boundary where your organisation requires it."
  type        = list(string)
  default     = ["arn:aws:iam::aws:policy/AdministratorAccess"]

  validation {
    condition     = length(var.deploy_policy_arns) > 0 && alltrue([for arn in var.deploy_policy_arns : can(regex("^arn:aws[a-z-]*:iam::", arn))])
    error_message = "deploy_policy_arns must list at least one IAM policy ARN."
  }
}
