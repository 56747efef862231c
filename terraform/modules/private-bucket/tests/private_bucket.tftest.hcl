# Plans the module against a mocked AWS provider: no credentials, no network.

mock_provider "aws" {
  override_during = plan
}

override_resource {
  override_during = plan
  target          = aws_s3_bucket.this
  values = {
    id  = "example-bucket-123456789012"
    arn = "arn:aws:s3:::example-bucket-123456789012"
  }
}

variables {
  name = "example-bucket-123456789012"
}

run "private_versioned_encrypted_tls_only" {
  command = plan

  assert {
    condition     = aws_s3_bucket_versioning.this.versioning_configuration[0].status == "Enabled"
    error_message = "The bucket must be versioned."
  }

  assert {
    condition     = aws_s3_bucket_public_access_block.this.block_public_acls && aws_s3_bucket_public_access_block.this.block_public_policy && aws_s3_bucket_public_access_block.this.ignore_public_acls && aws_s3_bucket_public_access_block.this.restrict_public_buckets
    error_message = "Every public access block setting must be on."
  }

  assert {
    condition     = aws_s3_bucket_ownership_controls.this.rule[0].object_ownership == "BucketOwnerEnforced"
    error_message = "ACLs must be off, so the bucket owner owns every object."
  }

  assert {
    condition     = one(one(aws_s3_bucket_server_side_encryption_configuration.this.rule).apply_server_side_encryption_by_default).sse_algorithm == "aws:kms"
    error_message = "Objects must be encrypted with KMS."
  }

  assert {
    condition     = jsondecode(aws_s3_bucket_policy.this.policy).Statement[0].Effect == "Deny" && jsondecode(aws_s3_bucket_policy.this.policy).Statement[0].Condition.Bool["aws:SecureTransport"] == "false"
    error_message = "The bucket policy must deny requests without TLS."
  }

  assert {
    condition     = jsondecode(aws_s3_bucket_policy.this.policy).Statement[0].Resource == ["arn:aws:s3:::example-bucket-123456789012", "arn:aws:s3:::example-bucket-123456789012/*"]
    error_message = "The TLS rule must cover the bucket and every object."
  }
}

run "customer_managed_key" {
  command = plan

  variables {
    kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/example"
  }

  assert {
    condition     = one(one(aws_s3_bucket_server_side_encryption_configuration.this.rule).apply_server_side_encryption_by_default).kms_master_key_id == "arn:aws:kms:eu-west-1:123456789012:key/example"
    error_message = "The bucket must be encrypted with the given key."
  }
}

run "old_versions_expire" {
  command = plan

  variables {
    noncurrent_version_days   = 365
    newer_noncurrent_versions = 50
  }

  assert {
    condition     = one(one(aws_s3_bucket_lifecycle_configuration.this.rule).noncurrent_version_expiration).noncurrent_days == 365 && one(one(aws_s3_bucket_lifecycle_configuration.this.rule).noncurrent_version_expiration).newer_noncurrent_versions == 50
    error_message = "Replaced versions must expire as configured."
  }
}

run "invalid_name_rejected" {
  command = plan

  variables {
    name = "Not_A_Bucket"
  }

  expect_failures = [var.name]
}
