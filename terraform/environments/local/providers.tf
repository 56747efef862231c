# Every service goes to the emulator with dummy credentials; nothing reaches AWS or
# the instance metadata service.
provider "aws" {
  region     = var.region
  access_key = "testing"
  secret_key = "testing"

  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = true
  skip_region_validation      = true

  endpoints {
    appsync        = var.endpoint
    cloudwatch     = var.endpoint
    events         = var.endpoint
    iam            = var.endpoint
    kms            = var.endpoint
    lambda         = var.endpoint
    logs           = var.endpoint
    secretsmanager = var.endpoint
    sns            = var.endpoint
    sqs            = var.endpoint
    sts            = var.endpoint
    wafv2          = var.endpoint
  }

  default_tags {
    tags = {
      Service     = "audit-log"
      Environment = "local"
      ManagedBy   = "terraform"
    }
  }
}
