output "bus_name" {
  description = "Name of the custom audit bus, to which publishers send PutEvents."
  value       = aws_cloudwatch_event_bus.this.name
}

output "bus_arn" {
  description = "ARN of the custom audit bus."
  value       = aws_cloudwatch_event_bus.this.arn
}

output "rule_arns" {
  description = "ARN of each rule, keyed by pattern name."
  value       = { for key, rule in aws_cloudwatch_event_rule.this : key => rule.arn }
}

output "rule_names" {
  description = "Name of each rule, keyed by pattern name."
  value       = { for key, rule in aws_cloudwatch_event_rule.this : key => rule.name }
}

output "archive_arn" {
  description = "ARN of the archive of the custom bus, or null without one."
  value       = one(aws_cloudwatch_event_archive.this[*].arn)
}

output "delivery_dlq_name" {
  description = "Name of the queue that receives events EventBridge failed to deliver."
  value       = aws_sqs_queue.delivery_dlq.name
}

output "delivery_dlq_arn" {
  description = "ARN of the delivery DLQ."
  value       = aws_sqs_queue.delivery_dlq.arn
}

output "delivery_dlq_url" {
  description = "URL of the delivery DLQ."
  value       = aws_sqs_queue.delivery_dlq.url
}
