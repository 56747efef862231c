# Plans the module against a mocked AWS provider: no credentials, no network.

mock_provider "aws" {
  override_during = plan
}

override_resource {
  override_during = plan
  target          = aws_cloudwatch_event_rule.this["application-events"]
  values          = { arn = "arn:aws:events:us-east-1:123456789012:rule/audit/audit-application-events" }
}

override_resource {
  override_during = plan
  target          = aws_cloudwatch_event_rule.this["aws-cloudtrail-events"]
  values          = { arn = "arn:aws:events:us-east-1:123456789012:rule/audit-aws-cloudtrail-events" }
}

override_resource {
  override_during = plan
  target          = aws_sqs_queue.delivery_dlq
  values          = { arn = "arn:aws:sqs:us-east-1:123456789012:audit-delivery-dlq" }
}

variables {
  name             = "audit"
  target_queue_arn = "arn:aws:sqs:us-east-1:123456789012:audit-ingest"
  target_queue_url = "https://sqs.us-east-1.amazonaws.com/123456789012/audit-ingest"
}

run "rules_use_shared_pattern_file" {
  command = plan

  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.this["application-events"].event_pattern) == jsondecode(file("../../event-patterns.json"))["application-events"]
    error_message = "The application rule must use the pattern of terraform/event-patterns.json."
  }

  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.this["aws-cloudtrail-events"].event_pattern) == jsondecode(file("../../event-patterns.json"))["aws-cloudtrail-events"]
    error_message = "The CloudTrail rule must use the pattern of terraform/event-patterns.json."
  }

  assert {
    condition     = aws_cloudwatch_event_rule.this["aws-cloudtrail-events"].event_bus_name == "default"
    error_message = "AWS service events arrive on the default bus, so their rule must be there."
  }

  assert {
    condition     = aws_cloudwatch_event_rule.this["application-events"].event_bus_name == "audit"
    error_message = "The application rule must be on the custom bus."
  }
}

run "targets_have_dlq_and_retries" {
  command = plan

  variables {
    retry_policy = { maximum_event_age_in_seconds = 3600, maximum_retry_attempts = 10 }
  }

  assert {
    condition     = alltrue([for target in aws_cloudwatch_event_target.queue : target.dead_letter_config[0].arn == aws_sqs_queue.delivery_dlq.arn])
    error_message = "Every target must send failed deliveries to the delivery DLQ."
  }

  assert {
    condition     = alltrue([for target in aws_cloudwatch_event_target.queue : target.retry_policy[0].maximum_retry_attempts == 10])
    error_message = "Every target must use the given retry attempts."
  }

  assert {
    condition     = alltrue([for target in aws_cloudwatch_event_target.queue : target.retry_policy[0].maximum_event_age_in_seconds == 3600])
    error_message = "Every target must use the given maximum event age."
  }

  assert {
    condition     = alltrue([for target in aws_cloudwatch_event_target.queue : target.arn == var.target_queue_arn])
    error_message = "Every target must be the ingestion queue."
  }
}

run "queue_policy_limited_to_rules" {
  command = plan

  assert {
    condition = jsondecode(aws_sqs_queue_policy.target.policy).Statement[0].Condition.ArnEquals["aws:SourceArn"] == [
      "arn:aws:events:us-east-1:123456789012:rule/audit/audit-application-events",
      "arn:aws:events:us-east-1:123456789012:rule/audit-aws-cloudtrail-events",
    ]
    error_message = "The queue policy must admit exactly the module's rules."
  }

  assert {
    condition     = jsondecode(aws_sqs_queue_policy.target.policy).Statement[0].Action == "sqs:SendMessage"
    error_message = "EventBridge may only send messages."
  }

  assert {
    condition     = jsondecode(aws_sqs_queue_policy.delivery_dlq.policy).Statement[0].Condition.ArnEquals["aws:SourceArn"] == jsondecode(aws_sqs_queue_policy.target.policy).Statement[0].Condition.ArnEquals["aws:SourceArn"]
    error_message = "The delivery DLQ policy must admit the same rules."
  }
}

run "archive_and_encryption" {
  command = plan

  assert {
    condition     = aws_cloudwatch_event_archive.this[0].retention_days == 30
    error_message = "The archive must keep events for 30 days by default."
  }

  assert {
    condition     = aws_sqs_queue.delivery_dlq.sqs_managed_sse_enabled
    error_message = "Without a KMS key the delivery DLQ must use SQS-managed encryption."
  }
}

run "unknown_pattern_rejected" {
  command = plan

  variables {
    rules = { "no-such-pattern" = { description = "a rule without a pattern" } }
  }

  expect_failures = [aws_cloudwatch_event_rule.this]
}

run "reserved_source_is_denied_to_other_principals" {
  command = plan

  variables {
    reserved_sources = {
      "audit-log.graphql-api" = ["arn:aws:iam::123456789012:role/audit-graphql-api"]
    }
  }

  assert {
    condition     = length(aws_cloudwatch_event_bus_policy.reserved_sources) == 1
    error_message = "A reserved source must get a bus policy."
  }

  assert {
    condition     = one(data.aws_iam_policy_document.reserved_sources[0].statement).effect == "Deny"
    error_message = "The reserved source's statement must deny."
  }

  assert {
    condition = anytrue([
      for condition in one(data.aws_iam_policy_document.reserved_sources[0].statement).condition :
      condition.variable == "events:source" && contains(condition.values, "audit-log.graphql-api")
    ])
    error_message = "The statement must match PutEvents with the reserved source."
  }

  assert {
    condition = anytrue([
      for condition in one(data.aws_iam_policy_document.reserved_sources[0].statement).condition :
      condition.test == "ArnNotEquals" && condition.variable == "aws:PrincipalArn" && contains(condition.values, "arn:aws:iam::123456789012:role/audit-graphql-api")
    ])
    error_message = "The statement must spare the listed role and no one else."
  }
}

run "no_reserved_source_no_policy" {
  command = plan

  assert {
    condition     = length(aws_cloudwatch_event_bus_policy.reserved_sources) == 0
    error_message = "Without reserved sources the module must not replace the bus policy."
  }
}
