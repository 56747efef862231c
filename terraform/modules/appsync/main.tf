# The AppSync GraphQL API: the SDL that Ariadne also loads, the Lambda authorizer, and a
# direct Lambda resolver (no mapping templates) for each Query field.

locals {
  schema_file = coalesce(var.schema_file, "${path.module}/../../../functions/graphql_api/graphql_api/schema.graphql")
  schema      = file(local.schema_file)
}

resource "aws_appsync_graphql_api" "this" {
  name                = var.name
  authentication_type = "AWS_LAMBDA"
  schema              = local.schema

  lambda_authorizer_config {
    authorizer_uri                   = var.authorizer.function_arn
    authorizer_result_ttl_in_seconds = var.authorizer.result_ttl_seconds
    identity_validation_expression   = var.authorizer.identity_validation_expression
  }

  log_config {
    cloudwatch_logs_role_arn = aws_iam_role.logs.arn
    field_log_level          = var.field_log_level
    # Request headers carry the caller's token.
    exclude_verbose_content = true
  }

  query_depth_limit    = var.query_depth_limit
  resolver_count_limit = var.resolver_count_limit
  introspection_config = var.introspection_enabled ? "ENABLED" : "DISABLED"
  xray_enabled         = var.xray_enabled

  tags = var.tags
}

# AppSync writes to this group name; creating it first sets its retention and key.
resource "aws_cloudwatch_log_group" "this" {
  name              = "/aws/appsync/apis/${aws_appsync_graphql_api.this.id}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn
  tags              = var.tags
}

resource "aws_lambda_permission" "authorizer" {
  statement_id  = "AppSyncAuthorizer-${var.name}"
  action        = "lambda:InvokeFunction"
  function_name = var.authorizer.function_name
  principal     = "appsync.amazonaws.com"
  source_arn    = aws_appsync_graphql_api.this.arn
}

resource "aws_appsync_datasource" "api" {
  api_id           = aws_appsync_graphql_api.this.id
  name             = replace("${var.name}_resolvers", "-", "_")
  description      = "The GraphQL API Lambda (Ariadne resolvers)"
  type             = "AWS_LAMBDA"
  service_role_arn = aws_iam_role.datasource.arn

  lambda_config {
    function_arn = var.resolver_function_arn
  }
}

# Without request or response templates and without code, AppSync sends the whole
# context to the function and returns its result: a direct Lambda resolver.
resource "aws_appsync_resolver" "query" {
  for_each = var.query_fields

  api_id         = aws_appsync_graphql_api.this.id
  type           = "Query"
  field          = each.key
  kind           = "UNIT"
  data_source    = aws_appsync_datasource.api.name
  max_batch_size = each.value.max_batch_size

  lifecycle {
    precondition {
      condition     = can(regex("(?m)^\\s+${each.key}\\s*[(:]", local.schema))
      error_message = "Query field ${each.key} is not in ${local.schema_file}."
    }
  }
}
