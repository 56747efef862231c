# The custom audit bus, its archive, the rules that send audit events to the ingestion
# queue, and the queue policies that let only those rules send.

locals {
  patterns_file = coalesce(var.event_patterns_file, "${path.module}/../../event-patterns.json")
  patterns      = jsondecode(file(local.patterns_file))
}

resource "aws_cloudwatch_event_bus" "this" {
  name = var.name
  tags = var.tags
}

# Archived events can be replayed to the bus; the subscriber stores a replayed event
# once, because it deduplicates on (tenant, event id, time).
resource "aws_cloudwatch_event_archive" "this" {
  count = var.archive_retention_days == null ? 0 : 1

  name             = var.name
  description      = "Every event published to ${var.name}"
  event_source_arn = aws_cloudwatch_event_bus.this.arn
  retention_days   = var.archive_retention_days
}

resource "aws_cloudwatch_event_rule" "this" {
  for_each = var.rules

  name           = "${var.name}-${each.key}"
  description    = each.value.description
  event_bus_name = each.value.on_default_bus ? "default" : aws_cloudwatch_event_bus.this.name
  event_pattern  = jsonencode(local.patterns[each.key])
  state          = each.value.enabled ? "ENABLED" : "DISABLED"
  tags           = var.tags

  lifecycle {
    precondition {
      condition     = contains(keys(local.patterns), each.key)
      error_message = "Rule ${each.key} has no pattern in ${local.patterns_file}; add one or remove the rule."
    }
  }
}

resource "aws_cloudwatch_event_target" "queue" {
  for_each = var.rules

  rule           = aws_cloudwatch_event_rule.this[each.key].name
  event_bus_name = aws_cloudwatch_event_rule.this[each.key].event_bus_name
  target_id      = "ingest-queue"
  arn            = var.target_queue_arn

  retry_policy {
    maximum_event_age_in_seconds = var.retry_policy.maximum_event_age_in_seconds
    maximum_retry_attempts       = var.retry_policy.maximum_retry_attempts
  }

  dead_letter_config {
    arn = aws_sqs_queue.delivery_dlq.arn
  }
}

# Events that EventBridge could not deliver to the queue after its retries.
resource "aws_sqs_queue" "delivery_dlq" {
  name                      = "${var.name}-delivery-dlq"
  message_retention_seconds = 1209600 # 14 days, the SQS maximum
  kms_master_key_id         = var.kms_key_arn
  sqs_managed_sse_enabled   = var.kms_key_arn == null ? true : null
  tags                      = var.tags
}

# A source in reserved_sources may only come from its listed principals. The Deny
# applies to every principal of every account, the bus owner's roles included.
# NOTE: not applied to AWS from here; the events:source key on PutEvents and
# aws:PrincipalArn (the role ARN of a role session) follow the IAM documentation.
data "aws_iam_policy_document" "reserved_sources" {
  count = length(var.reserved_sources) == 0 ? 0 : 1

  dynamic "statement" {
    for_each = var.reserved_sources

    content {
      sid       = "Reserve${replace(title(replace(statement.key, "/[^A-Za-z0-9]+/", " ")), " ", "")}"
      effect    = "Deny"
      actions   = ["events:PutEvents"]
      resources = [aws_cloudwatch_event_bus.this.arn]

      principals {
        type        = "AWS"
        identifiers = ["*"]
      }

      condition {
        test     = "StringEquals"
        variable = "events:source"
        values   = [statement.key]
      }

      condition {
        test     = "ArnNotEquals"
        variable = "aws:PrincipalArn"
        values   = statement.value
      }
    }
  }
}

resource "aws_cloudwatch_event_bus_policy" "reserved_sources" {
  count = length(var.reserved_sources) == 0 ? 0 : 1

  event_bus_name = aws_cloudwatch_event_bus.this.name
  policy         = data.aws_iam_policy_document.reserved_sources[0].json
}
