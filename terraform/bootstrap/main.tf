# What must exist before the first deploy of an environment: the state bucket, GitHub's
# OIDC provider, and per environment three roles that GitHub Actions assumes with OIDC
# tokens, so the repository stores no AWS keys.
#
#   <name>-<env>-pr-plan  pull requests: reads the state, plans without refresh or lock
#   <name>-<env>-plan     pushes to main: read-only plus the state lock and the secrets
#                         that a refresh reads
#   <name>-<env>-deploy   the apply job, only in the GitHub Environment <env>

data "aws_partition" "current" {}

locals {
  partition = data.aws_partition.current.partition
  # Where the environment roots keep their state (their backend "s3" key).
  state_keys = { for environment in var.environments : environment => "${var.name}/${environment}/terraform.tfstate" }
}

# -- state bucket -------------------------------------------------------------------------

# Versioned, so an overwritten or deleted state can be restored. S3 refuses to delete a
# bucket that still holds objects, so a destroy of this root stops at a used bucket.
module "state_bucket" {
  source = "../modules/private-bucket"

  name                      = var.state_bucket_name
  noncurrent_version_days   = 365
  newer_noncurrent_versions = 50
}

# -- GitHub OIDC provider -----------------------------------------------------------------

resource "aws_iam_openid_connect_provider" "github" {
  count = var.create_oidc_provider ? 1 : 0

  url            = "https://token.actions.githubusercontent.com"
  client_id_list = ["sts.amazonaws.com"]
}

locals {
  oidc_provider_arn = var.create_oidc_provider ? aws_iam_openid_connect_provider.github[0].arn : "arn:${local.partition}:iam::${var.aws_account_id}:oidc-provider/token.actions.githubusercontent.com"
}
