terraform {
  required_version = ">= 1.11"

  # Partial configuration: bucket and region come from backend.hcl at init (see
  # terraform/README.md). use_lockfile locks the state with an S3 object, no DynamoDB.
  backend "s3" {
    key          = "audit-log/staging/terraform.tfstate"
    encrypt      = true
    use_lockfile = true
  }

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
}
