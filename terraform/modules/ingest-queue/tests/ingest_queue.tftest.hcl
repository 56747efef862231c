# Plans the module against a mocked AWS provider: no credentials, no network.

mock_provider "aws" {
  override_during = plan

  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_resource "aws_kms_key" {
    defaults = { arn = "arn:aws:kms:us-east-1:123456789012:key/mocked" }
  }
}

override_resource {
  override_during = plan
  target          = aws_sqs_queue.this
  values          = { arn = "arn:aws:sqs:us-east-1:123456789012:audit-ingest" }
}

override_resource {
  override_during = plan
  target          = aws_sqs_queue.dlq
  values          = { arn = "arn:aws:sqs:us-east-1:123456789012:audit-ingest-dlq" }
}

variables {
  name                       = "audit-ingest"
  consumer_timeout_seconds   = 30
  visibility_timeout_seconds = 180
}

run "dlq_wired_with_receive_count" {
  command = plan

  variables {
    max_receive_count = 7
  }

  assert {
    condition     = jsondecode(aws_sqs_queue.this.redrive_policy).maxReceiveCount == 7
    error_message = "The redrive policy must carry max_receive_count."
  }

  assert {
    condition     = jsondecode(aws_sqs_queue.this.redrive_policy).deadLetterTargetArn == aws_sqs_queue.dlq.arn
    error_message = "The redrive policy must point at the module's DLQ."
  }

  assert {
    condition     = jsondecode(aws_sqs_queue_redrive_allow_policy.dlq[0].redrive_allow_policy).sourceQueueArns == [aws_sqs_queue.this.arn]
    error_message = "Only the ingestion queue may use the DLQ."
  }

  assert {
    condition     = aws_sqs_queue.dlq.message_retention_seconds > aws_sqs_queue.this.message_retention_seconds
    error_message = "The DLQ must keep messages longer than the ingestion queue."
  }
}

run "visibility_below_six_timeouts_rejected" {
  command = plan

  variables {
    consumer_timeout_seconds   = 30
    visibility_timeout_seconds = 179
  }

  expect_failures = [var.visibility_timeout_seconds]
}

run "visibility_counts_batching_window" {
  command = plan

  variables {
    consumer_timeout_seconds         = 30
    consumer_batching_window_seconds = 5
    visibility_timeout_seconds       = 180
  }

  expect_failures = [var.visibility_timeout_seconds]
}

run "queues_encrypted_with_created_key" {
  command = plan

  assert {
    condition     = aws_sqs_queue.this.kms_master_key_id == aws_kms_key.this[0].arn
    error_message = "The ingestion queue must be encrypted with the module's KMS key."
  }

  assert {
    condition     = aws_sqs_queue.dlq.kms_master_key_id == aws_kms_key.this[0].arn
    error_message = "The DLQ must be encrypted with the module's KMS key."
  }

  assert {
    condition     = aws_kms_key.this[0].enable_key_rotation
    error_message = "The KMS key must rotate."
  }
}

run "given_key_used_and_none_created" {
  command = plan

  variables {
    create_kms_key = false
    kms_key_arn    = "arn:aws:kms:us-east-1:123456789012:key/given"
  }

  assert {
    condition     = length(aws_kms_key.this) == 0
    error_message = "No key may be created when kms_key_arn is given."
  }

  assert {
    condition     = aws_sqs_queue.this.kms_master_key_id == "arn:aws:kms:us-east-1:123456789012:key/given"
    error_message = "The ingestion queue must use the given key."
  }
}
