output "queue_name" {
  description = "Name of the ingestion queue."
  value       = aws_sqs_queue.this.name
}

output "queue_arn" {
  description = "ARN of the ingestion queue."
  value       = aws_sqs_queue.this.arn
}

output "queue_url" {
  description = "URL of the ingestion queue."
  value       = aws_sqs_queue.this.url
}

output "dlq_name" {
  description = "Name of the dead-letter queue."
  value       = aws_sqs_queue.dlq.name
}

output "dlq_arn" {
  description = "ARN of the dead-letter queue."
  value       = aws_sqs_queue.dlq.arn
}

output "dlq_url" {
  description = "URL of the dead-letter queue."
  value       = aws_sqs_queue.dlq.url
}

output "kms_key_arn" {
  description = "ARN of the KMS key that encrypts both queues."
  value       = local.kms_key_arn
}

output "max_receive_count" {
  description = "Receives of one message before SQS moves it to the DLQ."
  value       = var.max_receive_count
}
