output "bus_name" {
  description = "Custom audit bus."
  value       = module.event_bus.bus_name
}

output "bus_arn" {
  description = "ARN of the custom audit bus."
  value       = module.event_bus.bus_arn
}

output "rule_arns" {
  description = "Rule ARNs by pattern name."
  value       = module.event_bus.rule_arns
}

output "rule_names" {
  description = "Rules by pattern name."
  value       = module.event_bus.rule_names
}

output "queue_url" {
  description = "URL of the ingestion queue."
  value       = module.ingest_queue.queue_url
}

output "queue_arn" {
  description = "ARN of the ingestion queue."
  value       = module.ingest_queue.queue_arn
}

output "dlq_url" {
  description = "URL of the ingestion DLQ."
  value       = module.ingest_queue.dlq_url
}

output "delivery_dlq_url" {
  description = "URL of the EventBridge delivery DLQ."
  value       = module.event_bus.delivery_dlq_url
}

output "function_names" {
  description = "Names of the Lambda functions."
  value = {
    subscriber  = module.subscriber.function_name
    graphql_api = module.graphql_api.function_name
  }
}

output "web_acl_arn" {
  description = "ARN of the WAF web ACL."
  value       = module.waf.web_acl_arn
}

output "secret_arns" {
  description = "Secrets created with generated values."
  value = {
    subscriber_database = module.secrets.subscriber_database_secret_arn
    api_database        = module.secrets.api_database_secret_arn
    cursor_key          = module.secrets.cursor_key_secret_arn
  }
}
