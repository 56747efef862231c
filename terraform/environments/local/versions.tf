terraform {
  required_version = ">= 1.11"

  # The state path comes from -backend-config=path=... (tests keep it in a temporary
  # directory); without it, terraform.tfstate in this folder.
  backend "local" {}

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
}
