# Plans the whole service against a mocked AWS provider: no credentials, no network.

mock_provider "aws" {
  override_during = plan

  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
}

variables {
  environment = "prod"
  packages = {
    subscriber  = "../lambda-function/tests/empty.zip"
    graphql_api = "../lambda-function/tests/empty.zip"
    authorizer  = "../lambda-function/tests/empty.zip"
  }
  network = {
    vpc_id                             = "vpc-0123"
    private_subnet_ids                 = ["subnet-a", "subnet-b"]
    migration_runner_security_group_id = "sg-migrations"
  }
  secret_arns = {
    subscriber_database = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:subscriber"
    api_database        = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:api"
    cursor_key          = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:cursor"
  }
  authorizer = {
    jwt_issuer   = "https://issuer.example.com/"
    jwt_audience = ["audit-log"]
  }
}

run "prod_protects_database" {
  command = plan

  assert {
    condition     = output.database_deletion_protection
    error_message = "The prod database must have deletion protection."
  }

  assert {
    condition     = output.appsync_introspection == "DISABLED"
    error_message = "Introspection must be off in prod."
  }
}

run "staging_protects_database" {
  command = plan

  variables {
    environment = "staging"
  }

  assert {
    condition     = output.database_deletion_protection
    error_message = "The staging database must have deletion protection."
  }
}

run "dev_allows_deletion_and_introspection" {
  command = plan

  variables {
    environment = "dev"
  }

  assert {
    condition     = !output.database_deletion_protection
    error_message = "Only dev may delete its database without protection."
  }

  assert {
    condition     = output.appsync_introspection == "ENABLED"
    error_message = "Introspection must be on in dev."
  }
}

run "service_key_for_logs_of_this_account" {
  command = plan

  assert {
    condition     = jsondecode(aws_kms_key.service.policy).Statement[1].Principal.Service == "logs.eu-west-1.amazonaws.com"
    error_message = "Only CloudWatch Logs of this region may use the key for log groups."
  }

  assert {
    condition     = aws_kms_key.service.enable_key_rotation
    error_message = "The service key must rotate."
  }

}

run "unknown_environment_rejected" {
  command = plan

  variables {
    environment = "production"
  }

  expect_failures = [var.environment]
}

run "migrations_run_inside_the_vpc" {
  command = plan

  assert {
    condition     = output.migration_project_name == "audit-log-prod-migrations"
    error_message = "Each environment must have its own migration project."
  }
}

run "migration_runner_host_optional" {
  command = plan

  variables {
    network = {
      vpc_id             = "vpc-0123"
      private_subnet_ids = ["subnet-a", "subnet-b"]
    }
  }

  assert {
    condition     = output.migration_project_name == "audit-log-prod-migrations"
    error_message = "The service must plan without an extra migration runner security group."
  }
}
