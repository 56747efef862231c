# One Lambda function from a zip that scripts/package_functions.py built, with its log
# group and, optionally, the SQS event source mapping that feeds it.

data "aws_partition" "current" {}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/aws/lambda/${var.function_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn
  tags              = var.tags
}

resource "aws_lambda_function" "this" {
  function_name = var.function_name
  description   = var.description
  role          = aws_iam_role.this.arn
  runtime       = var.runtime
  # The wheels in the zip are built for x86_64 (manylinux2014_x86_64).
  architectures = ["x86_64"]
  handler       = var.handler
  memory_size   = var.memory_size
  timeout       = var.timeout

  filename         = var.zip_path
  source_code_hash = filebase64sha256(var.zip_path)

  reserved_concurrent_executions = var.reserved_concurrent_executions

  environment {
    variables = merge(
      {
        POWERTOOLS_SERVICE_NAME      = var.powertools.service_name
        POWERTOOLS_METRICS_NAMESPACE = var.powertools.metrics_namespace
        POWERTOOLS_LOG_LEVEL         = var.powertools.log_level
        # Events carry audit data and tokens, which must not reach the log.
        POWERTOOLS_LOGGER_LOG_EVENT = "false"
      },
      var.environment_variables,
    )
  }

  dynamic "vpc_config" {
    for_each = var.vpc_config == null ? [] : [var.vpc_config]

    content {
      subnet_ids         = vpc_config.value.subnet_ids
      security_group_ids = vpc_config.value.security_group_ids
    }
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.this.name
  }

  tracing_config {
    mode = var.tracing_mode
  }

  tags = var.tags

  # The role's policies must exist before the first invocation, and the log group before
  # the first log line, or Lambda would create it without retention.
  depends_on = [
    aws_iam_role_policy.this,
    aws_iam_role_policy_attachment.vpc_access,
    aws_cloudwatch_log_group.this,
  ]
}

resource "aws_lambda_event_source_mapping" "sqs" {
  count = var.sqs_event_source == null ? 0 : 1

  function_name                      = aws_lambda_function.this.arn
  event_source_arn                   = var.sqs_event_source.queue_arn
  batch_size                         = var.sqs_event_source.batch_size
  maximum_batching_window_in_seconds = var.sqs_event_source.maximum_batching_window_in_seconds
  enabled                            = var.sqs_event_source.enabled
  # The handler returns batchItemFailures, so only the failed messages return to the queue.
  function_response_types = ["ReportBatchItemFailures"]

  dynamic "scaling_config" {
    for_each = var.sqs_event_source.maximum_concurrency == null ? [] : [var.sqs_event_source.maximum_concurrency]

    content {
      maximum_concurrency = scaling_config.value
    }
  }
}
