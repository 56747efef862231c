provider "aws" {
  region = var.aws_region
  # A plan with credentials of any other account fails before it reads anything.
  allowed_account_ids = [var.aws_account_id]

  default_tags {
    tags = {
      Service   = var.name
      ManagedBy = "terraform"
      Component = "terraform/bootstrap"
    }
  }
}
