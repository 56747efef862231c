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
  description = "Writer endpoint of the Aurora cluster, where the migrations run."
  value       = module.aurora.endpoint
}

output "database_master_secret_arn" {
  description = "Secret with the master password, read only by the migration builds."
  value       = module.aurora.master_user_secret_arn
}

output "migration_project_name" {
  description = "CodeBuild project that applies the Flyway migrations inside the VPC."
  value       = module.migrations.project_name
}

output "migration_bucket_name" {
  description = "Bucket that receives the Flyway bundle before each migration run."
  value       = module.migrations.bucket_name
}

output "migration_bundle_key" {
  description = "Object key of the Flyway bundle in migration_bucket_name."
  value       = module.migrations.bundle_key
}

output "migration_security_group_id" {
  description = "Security group of the migration builds, which the cluster admits."
  value       = module.migrations.security_group_id
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
