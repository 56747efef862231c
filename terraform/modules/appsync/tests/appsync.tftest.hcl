# Plans the module against a mocked AWS provider: no credentials, no network.

mock_provider "aws" {
  override_during = plan
}

override_resource {
  override_during = plan
  target          = aws_appsync_graphql_api.this
  values = {
    arn  = "arn:aws:appsync:us-east-1:123456789012:apis/mockedapi"
    id   = "mockedapi"
    uris = { GRAPHQL = "https://mockedapi.appsync-api.us-east-1.amazonaws.com/graphql" }
  }
}

override_resource {
  override_during = plan
  target          = aws_appsync_datasource.api
  values          = { name = "audit_log_test_resolvers" }
}

variables {
  name                  = "audit-log-test"
  resolver_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:audit-graphql-api"
  authorizer = {
    function_arn  = "arn:aws:lambda:us-east-1:123456789012:function:audit-authorizer"
    function_name = "audit-authorizer"
  }
}

run "schema_is_the_file_ariadne_loads" {
  command = plan

  assert {
    condition     = aws_appsync_graphql_api.this.schema == file("../../../functions/graphql_api/graphql_api/schema.graphql")
    error_message = "The API must use functions/graphql_api/graphql_api/schema.graphql, the SDL that Ariadne loads."
  }

  assert {
    condition     = !strcontains(aws_appsync_graphql_api.this.schema, "scalar AWSDateTime")
    error_message = "AppSync rejects a schema that declares its built-in scalars."
  }
}

run "lambda_authorizer_can_be_invoked" {
  command = plan

  assert {
    condition     = aws_appsync_graphql_api.this.authentication_type == "AWS_LAMBDA"
    error_message = "Requests must be authorized by the Lambda authorizer."
  }

  assert {
    condition     = aws_appsync_graphql_api.this.lambda_authorizer_config[0].authorizer_uri == var.authorizer.function_arn
    error_message = "The authorizer must be the given function."
  }

  assert {
    condition     = aws_lambda_permission.authorizer.principal == "appsync.amazonaws.com" && aws_lambda_permission.authorizer.source_arn == aws_appsync_graphql_api.this.arn
    error_message = "Only this API may invoke the authorizer."
  }

  assert {
    condition     = aws_lambda_permission.authorizer.function_name == "audit-authorizer"
    error_message = "The permission must be on the authorizer function."
  }
}

run "direct_lambda_resolver_per_query_field" {
  command = plan

  assert {
    condition     = toset(keys(aws_appsync_resolver.query)) == toset(["auditEvents", "auditEvent", "auditEventCounts"])
    error_message = "Every Query field must have a resolver."
  }

  assert {
    condition     = alltrue([for resolver in aws_appsync_resolver.query : resolver.request_template == null && resolver.response_template == null && resolver.code == null])
    error_message = "Resolvers must be direct Lambda resolvers, without templates or code."
  }

  assert {
    condition     = alltrue([for resolver in aws_appsync_resolver.query : resolver.data_source == aws_appsync_datasource.api.name])
    error_message = "Every resolver must use the Lambda data source."
  }

  assert {
    condition     = aws_appsync_resolver.query["auditEvent"].max_batch_size == 10
    error_message = "Key lookups must be batched."
  }

  assert {
    condition     = aws_appsync_datasource.api.lambda_config[0].function_arn == var.resolver_function_arn
    error_message = "The data source must call the GraphQL API function."
  }
}

run "limits_logging_and_introspection" {
  command = plan

  assert {
    condition     = aws_appsync_graphql_api.this.introspection_config == "DISABLED"
    error_message = "Introspection must be off unless turned on."
  }

  assert {
    condition     = aws_appsync_graphql_api.this.query_depth_limit == 8
    error_message = "The query depth limit must match the local server's."
  }

  assert {
    condition     = aws_appsync_graphql_api.this.resolver_count_limit == 15
    error_message = "The resolver count limit must be set."
  }

  assert {
    condition     = aws_appsync_graphql_api.this.log_config[0].field_log_level == "ERROR" && aws_appsync_graphql_api.this.log_config[0].exclude_verbose_content
    error_message = "Field-level logging must be on for errors, without verbose content."
  }

  assert {
    condition     = aws_cloudwatch_log_group.this.name == "/aws/appsync/apis/mockedapi"
    error_message = "The log group must be the one AppSync writes to."
  }
}

run "unknown_field_rejected" {
  command = plan

  variables {
    query_fields = { noSuchField = { max_batch_size = 0 } }
  }

  expect_failures = [aws_appsync_resolver.query]
}
