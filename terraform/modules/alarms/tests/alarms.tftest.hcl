# Plans the module against a mocked AWS provider: no credentials, no network.

mock_provider "aws" {
  override_during = plan

  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
}

override_resource {
  override_during = plan
  target          = aws_sns_topic.this
  values          = { arn = "arn:aws:sns:us-east-1:123456789012:audit-log-test-alarms" }
}

override_resource {
  override_during = plan
  target          = aws_kms_key.this[0]
  values          = { arn = "arn:aws:kms:us-east-1:123456789012:key/alarms" }
}

variables {
  name_prefix        = "audit-log-test"
  dead_letter_queues = { ingest = "audit-ingest-dlq", delivery = "audit-delivery-dlq" }
  queues             = { ingest = { queue_name = "audit-ingest", max_age_seconds = 600 } }
  functions          = { subscriber = "audit-subscriber", api = "audit-graphql-api" }
  aurora             = { cluster_identifier = "audit-log-test" }
}

run "alarm_per_condition" {
  command = plan

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.dlq_messages) == 2 && alltrue([for alarm in aws_cloudwatch_metric_alarm.dlq_messages : alarm.threshold == 0])
    error_message = "Any message in either DLQ must raise an alarm."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.oldest_message_age["ingest"].threshold == 600 && aws_cloudwatch_metric_alarm.oldest_message_age["ingest"].metric_name == "ApproximateAgeOfOldestMessage"
    error_message = "The queue's oldest message age must be watched at the given threshold."
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.function_errors) == 2 && length(aws_cloudwatch_metric_alarm.function_throttles) == 2
    error_message = "Every function needs an error and a throttle alarm."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.aurora_capacity[0].metric_name == "ACUUtilization" && aws_cloudwatch_metric_alarm.aurora_capacity[0].threshold == 90
    error_message = "Aurora capacity must be watched at 90% by default."
  }

  assert {
    condition     = alltrue([for alarm in concat(values(aws_cloudwatch_metric_alarm.dlq_messages), values(aws_cloudwatch_metric_alarm.function_errors)) : alarm.alarm_actions == toset([aws_sns_topic.this.arn])])
    error_message = "Alarms must notify the topic."
  }
}

run "topic_encrypted" {
  command = plan

  assert {
    condition     = aws_sns_topic.this.kms_master_key_id == aws_kms_key.this[0].arn
    error_message = "The topic must be encrypted with a key CloudWatch may use."
  }
}
