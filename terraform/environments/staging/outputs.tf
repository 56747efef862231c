output "event_bus_name" {
  description = "Bus that services publish audit events to."
  value       = module.audit_log.event_bus_name
}

output "graphql_url" {
  description = "Endpoint of the GraphQL API."
  value       = module.audit_log.graphql_url
}

output "database_endpoint" {
  description = "Writer endpoint, for the migration runner."
  value       = module.audit_log.database_endpoint
}

output "database_master_secret_arn" {
  description = "Secret with the master password, for the migration runner only."
  value       = module.audit_log.database_master_secret_arn
}

output "database_login_secret_arns" {
  description = "Secrets with the functions' logins, which the migration runner creates as roles."
  value = {
    subscriber  = module.secrets.subscriber_database_secret_arn
    graphql_api = module.secrets.api_database_secret_arn
  }
}

output "alarm_topic_arn" {
  description = "SNS topic of all alarms."
  value       = module.audit_log.alarm_topic_arn
}
