output "api_id" {
  description = "Identifier of the GraphQL API."
  value       = aws_appsync_graphql_api.this.id
}

output "api_arn" {
  description = "ARN of the GraphQL API, for the WAF association."
  value       = aws_appsync_graphql_api.this.arn
}

output "graphql_url" {
  description = "HTTPS endpoint that clients send GraphQL requests to."
  value       = aws_appsync_graphql_api.this.uris["GRAPHQL"]
}

output "log_group_name" {
  description = "CloudWatch log group of the API."
  value       = aws_cloudwatch_log_group.this.name
}

output "schema_file" {
  description = "SDL file the API was created from."
  value       = local.schema_file
}

output "introspection_config" {
  description = "ENABLED when clients may read the schema through introspection, else DISABLED."
  value       = aws_appsync_graphql_api.this.introspection_config
}
