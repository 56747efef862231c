output "event_bus_name" {
  description = "Bus that services publish audit events to."
  value       = module.audit_log.event_bus_name
}

output "event_bus_arn" {
  description = "ARN of the bus, for publishers' IAM policies (events:PutEvents, limited by events:source)."
  value       = module.audit_log.event_bus_arn
}

output "graphql_url" {
  description = "Endpoint of the GraphQL API."
  value       = module.audit_log.graphql_url
}

output "database_endpoint" {
  description = "Writer endpoint of the Aurora cluster."
  value       = module.audit_log.database_endpoint
}

output "database_master_secret_arn" {
  description = "Secret with the master password, managed by RDS; only the migration builds read it."
  value       = module.audit_log.database_master_secret_arn
}

output "migration_project_name" {
  description = "CodeBuild project that applies the Flyway migrations; the deploy workflow starts it."
  value       = module.audit_log.migration_project_name
}

output "migration_bucket_name" {
  description = "Bucket the deploy workflow uploads the Flyway bundle to."
  value       = module.audit_log.migration_bucket_name
}

output "migration_bundle_key" {
  description = "Object key of the Flyway bundle in migration_bucket_name."
  value       = module.audit_log.migration_bundle_key
}

output "database_login_secret_arns" {
  description = "Secrets with the functions' logins; the migrations' afterMigrate callback sets the login roles' passwords from them."
  value = {
    subscriber  = module.secrets.subscriber_database_secret_arn
    graphql_api = module.secrets.api_database_secret_arn
  }
}

output "alarm_topic_arn" {
  description = "SNS topic of all alarms."
  value       = module.audit_log.alarm_topic_arn
}
