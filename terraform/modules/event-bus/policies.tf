# Queue policies: EventBridge may send only on behalf of this module's rules, and
# nobody may use the queues over plain HTTP.

locals {
  rule_arns = [for rule in aws_cloudwatch_event_rule.this : rule.arn]
}

resource "aws_sqs_queue_policy" "target" {
  queue_url = var.target_queue_url
  policy    = jsonencode(local.target_queue_policy)
}

resource "aws_sqs_queue_policy" "delivery_dlq" {
  queue_url = aws_sqs_queue.delivery_dlq.id
  policy    = jsonencode(local.delivery_dlq_policy)
}

locals {
  target_queue_policy = {
    Version = "2012-10-17"
    Statement = [
      {
        # The rules deliver matching events to the ingestion queue.
        Sid       = "AuditRulesSendMessages"
        Effect    = "Allow"
        Principal = { Service = "events.amazonaws.com" }
        Action    = "sqs:SendMessage"
        Resource  = var.target_queue_arn
        Condition = { ArnEquals = { "aws:SourceArn" = local.rule_arns } }
      },
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "sqs:*"
        Resource  = var.target_queue_arn
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  }

  delivery_dlq_policy = {
    Version = "2012-10-17"
    Statement = [
      {
        # The rules park the events they failed to deliver.
        Sid       = "AuditRulesSendFailedEvents"
        Effect    = "Allow"
        Principal = { Service = "events.amazonaws.com" }
        Action    = "sqs:SendMessage"
        Resource  = aws_sqs_queue.delivery_dlq.arn
        Condition = { ArnEquals = { "aws:SourceArn" = local.rule_arns } }
      },
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "sqs:*"
        Resource  = aws_sqs_queue.delivery_dlq.arn
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  }
}
