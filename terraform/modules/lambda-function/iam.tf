# The function's role: its log group, its queue if it has one, network interfaces in a
# VPC, X-Ray when tracing is active, and the statements the caller adds.

resource "aws_iam_role" "this" {
  name = "${var.function_name}-role"

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })

  tags = var.tags
}

resource "aws_iam_role_policy" "this" {
  name   = "${var.function_name}-policy"
  role   = aws_iam_role.this.id
  policy = jsonencode(local.policy)
}

# ENI management cannot be limited to resources (AWS's managed policy grants it on *).
resource "aws_iam_role_policy_attachment" "vpc_access" {
  count = var.vpc_config == null ? 0 : 1

  role       = aws_iam_role.this.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AWSLambdaENIManagementAccess"
}

locals {
  log_statements = [{
    # Write the function's own log; the group exists, so no logs:CreateLogGroup.
    Sid      = "WriteOwnLog"
    Effect   = "Allow"
    Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    Resource = "${aws_cloudwatch_log_group.this.arn}:*"
  }]

  queue_statements = var.sqs_event_source == null ? [] : [{
    # The event source mapping polls the queue as the function's role, and deletes the
    # messages that the handler did not report as failed.
    Sid      = "ConsumeEventSourceQueue"
    Effect   = "Allow"
    Action   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"]
    Resource = var.sqs_event_source.queue_arn
  }]

  queue_key_statements = try(var.sqs_event_source.kms_key_arn, null) == null ? [] : [{
    # Reading messages from a queue encrypted with a customer managed key.
    Sid      = "DecryptEventSourceQueue"
    Effect   = "Allow"
    Action   = "kms:Decrypt"
    Resource = var.sqs_event_source.kms_key_arn
  }]

  tracing_statements = var.tracing_mode == "Active" ? [{
    # X-Ray has no resource-level permissions for sending traces.
    Sid      = "SendTraces"
    Effect   = "Allow"
    Action   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    Resource = "*"
  }] : []

  caller_statements = [
    for sid, statement in var.policy_statements : merge(
      {
        Sid      = sid
        Effect   = "Allow"
        Action   = statement.actions
        Resource = statement.resources
      },
      length(statement.conditions) == 0 ? {} : { Condition = statement.conditions },
    )
  ]

  policy = {
    Version = "2012-10-17"
    Statement = concat(
      local.log_statements,
      local.queue_statements,
      local.queue_key_statements,
      local.tracing_statements,
      local.caller_statements,
    )
  }
}
