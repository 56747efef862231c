output "event_bus_name" {
  description = "Bus that services publish audit events to (PutEvents EventBusName)."
  value       = module.event_bus.bus_name
}

output "event_bus_arn" {
  description = "ARN of the audit bus, for publishers' IAM policies (events:PutEvents)."
  value       = module.event_bus.bus_arn
}

output "ingest_queue_url" {
  description = "URL of the ingestion queue."
  value       = module.ingest_queue.queue_url
}

output "ingest_dlq_url" {
  description = "URL of the ingestion DLQ, where messages that failed max_receive_count times wait."
  value       = module.ingest_queue.dlq_url
}

output "graphql_url" {
  description = "Endpoint of the GraphQL API."
  value       = module.appsync.graphql_url
}

output "database_endpoint" {
  description = "Writer endpoint of the Aurora cluster, for the migration runner."
  value       = module.aurora.endpoint
}

output "database_master_secret_arn" {
  description = "Secret with the master password, for the migration runner only."
  value       = module.aurora.master_user_secret_arn
}

output "database_deletion_protection" {
  description = "Whether the Aurora cluster refuses deletion."
  value       = module.aurora.deletion_protection
}

output "appsync_introspection" {
  description = "Whether the API allows schema introspection (ENABLED only in dev)."
  value       = module.appsync.introspection_config
}

output "function_names" {
  description = "Names of the three Lambda functions."
  value = {
    subscriber  = module.subscriber.function_name
    graphql_api = module.graphql_api.function_name
    authorizer  = module.authorizer.function_name
  }
}

output "alarm_topic_arn" {
  description = "SNS topic of all alarms."
  value       = module.alarms.topic_arn
}

output "service_kms_key_arn" {
  description = "KMS key for the service-secrets module's secrets; the functions may decrypt with it through Secrets Manager."
  value       = aws_kms_key.service.arn
}
