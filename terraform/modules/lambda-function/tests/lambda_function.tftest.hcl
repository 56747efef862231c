# Plans the module against a mocked AWS provider: no credentials, no network.
# tests/empty.zip stands in for a real package: the mocked provider never uploads it.

mock_provider "aws" {
  override_during = plan

  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
}

override_resource {
  override_during = plan
  target          = aws_cloudwatch_log_group.this
  values          = { arn = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/audit-subscriber" }
}

variables {
  function_name = "audit-subscriber"
  zip_path      = "tests/empty.zip"
  handler       = "subscriber.handler.lambda_handler"
  powertools    = { service_name = "audit-subscriber" }
}

run "mapping_reports_batch_item_failures" {
  command = plan

  variables {
    sqs_event_source = {
      queue_arn                          = "arn:aws:sqs:us-east-1:123456789012:audit-ingest"
      kms_key_arn                        = "arn:aws:kms:us-east-1:123456789012:key/queue"
      batch_size                         = 100
      maximum_batching_window_in_seconds = 5
      maximum_concurrency                = 20
    }
  }

  assert {
    condition     = aws_lambda_event_source_mapping.sqs[0].function_response_types == toset(["ReportBatchItemFailures"])
    error_message = "The mapping must report partial batch failures."
  }

  assert {
    condition     = aws_lambda_event_source_mapping.sqs[0].batch_size == 100
    error_message = "The mapping must use the given batch size."
  }

  assert {
    condition     = aws_lambda_event_source_mapping.sqs[0].maximum_batching_window_in_seconds == 5
    error_message = "The mapping must use the given batching window."
  }

  assert {
    condition     = aws_lambda_event_source_mapping.sqs[0].scaling_config[0].maximum_concurrency == 20
    error_message = "The mapping must cap concurrency at the given maximum."
  }

  assert {
    condition     = contains([for statement in jsondecode(aws_iam_role_policy.this.policy).Statement : statement.Sid], "DecryptEventSourceQueue")
    error_message = "The role must be able to decrypt the queue's messages."
  }
}

run "no_mapping_without_queue" {
  command = plan

  assert {
    condition     = length(aws_lambda_event_source_mapping.sqs) == 0
    error_message = "No mapping may be created without sqs_event_source."
  }
}

run "large_batch_needs_window" {
  command = plan

  variables {
    sqs_event_source = {
      queue_arn  = "arn:aws:sqs:us-east-1:123456789012:audit-ingest"
      batch_size = 100
    }
  }

  expect_failures = [var.sqs_event_source]
}

run "role_has_no_wildcard_actions" {
  command = plan

  variables {
    tracing_mode = "Active"
    policy_statements = {
      ReadDatabaseSecret = {
        actions   = ["secretsmanager:GetSecretValue"]
        resources = ["arn:aws:secretsmanager:us-east-1:123456789012:secret:audit-db"]
      }
    }
    sqs_event_source = { queue_arn = "arn:aws:sqs:us-east-1:123456789012:audit-ingest" }
  }

  assert {
    condition     = alltrue(flatten([for statement in jsondecode(aws_iam_role_policy.this.policy).Statement : [for action in flatten([statement.Action]) : !strcontains(action, "*")]]))
    error_message = "No statement may allow a wildcard action."
  }

  assert {
    condition     = alltrue([for statement in jsondecode(aws_iam_role_policy.this.policy).Statement : statement.Resource != "*" if statement.Sid != "SendTraces"])
    error_message = "Only X-Ray, which has no resource-level permissions, may use Resource *."
  }
}

run "wildcard_statement_rejected" {
  command = plan

  variables {
    policy_statements = {
      Everything = { actions = ["sqs:*"], resources = ["*"] }
    }
  }

  expect_failures = [var.policy_statements]
}

run "powertools_and_logs" {
  command = plan

  variables {
    log_retention_days = 90
    environment_variables = {
      DB_SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:audit-db"
    }
  }

  assert {
    condition     = aws_lambda_function.this.environment[0].variables["POWERTOOLS_SERVICE_NAME"] == "audit-subscriber"
    error_message = "The function must get its Powertools service name."
  }

  assert {
    condition     = aws_lambda_function.this.environment[0].variables["POWERTOOLS_LOGGER_LOG_EVENT"] == "false"
    error_message = "Event logging must stay off."
  }

  assert {
    condition     = aws_lambda_function.this.environment[0].variables["DB_SECRET_ARN"] == "arn:aws:secretsmanager:us-east-1:123456789012:secret:audit-db"
    error_message = "The caller's variables must reach the function."
  }

  assert {
    condition     = aws_cloudwatch_log_group.this.retention_in_days == 90
    error_message = "The log group must keep the given retention."
  }

  assert {
    condition     = aws_lambda_function.this.logging_config[0].log_group == "/aws/lambda/audit-subscriber"
    error_message = "The function must log to the module's log group."
  }
}

run "vpc_config_attaches_eni_policy" {
  command = plan

  variables {
    vpc_config = { subnet_ids = ["subnet-1", "subnet-2"], security_group_ids = ["sg-1"] }
  }

  assert {
    condition     = aws_lambda_function.this.vpc_config[0].subnet_ids == toset(["subnet-1", "subnet-2"])
    error_message = "The function must run in the given subnets."
  }

  assert {
    condition     = length(aws_iam_role_policy_attachment.vpc_access) == 1
    error_message = "A function in a VPC needs the ENI management policy."
  }
}
