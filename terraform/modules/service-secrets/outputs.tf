output "subscriber_database_secret_arn" {
  description = "Secret with the subscriber's login (username, password, host, port, dbname)."
  value       = aws_secretsmanager_secret.subscriber_database.arn
}

output "api_database_secret_arn" {
  description = "Secret with the GraphQL API's login (username, password, host, port, dbname)."
  value       = aws_secretsmanager_secret.api_database.arn
}

output "cursor_key_secret_arn" {
  description = "Secret with the cursor signing key, as JSON {\"key\": ...}."
  value       = aws_secretsmanager_secret.cursor_key.arn
}
