terraform {
  # 1.10 for S3 native state locking (use_lockfile) in the roots that use this bucket.
  required_version = ">= 1.11"

  # No backend: this root creates the state bucket, so its own state starts local. Keep
  # terraform.tfstate somewhere safe, or move it into the bucket afterwards (see
  # docs/deploying.md).

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
}
