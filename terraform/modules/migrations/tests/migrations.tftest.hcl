# Plans the module against a mocked AWS provider: no credentials, no network.

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

override_resource {
  override_during = plan
  target          = aws_cloudwatch_log_group.this
  values          = { arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/codebuild/audit-log-test-migrations" }
}

# The bucket's own settings are tested in the private-bucket module.
override_module {
  target = module.bundle_bucket
  outputs = {
    id  = "audit-log-test-migrations-123456789012-eu-west-1"
    arn = "arn:aws:s3:::audit-log-test-migrations-123456789012-eu-west-1"
  }
}

variables {
  name       = "audit-log-test-migrations"
  vpc_id     = "vpc-0123"
  subnet_ids = ["subnet-a", "subnet-b"]
  database = {
    endpoint              = "audit.cluster-abc.eu-west-1.rds.amazonaws.com"
    port                  = 5432
    name                  = "audit"
    security_group_id     = "sg-database"
    master_secret_arn     = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!cluster-abc"
    master_secret_kms_arn = "arn:aws:kms:eu-west-1:123456789012:key/database"
  }
  login_secrets = {
    subscriber_arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:subscriber"
    api_arn        = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:api"
    kms_key_arn    = "arn:aws:kms:eu-west-1:123456789012:key/service"
  }
  kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/service"
}

run "build_runs_pinned_flyway_in_private_subnets" {
  command = plan

  assert {
    condition     = aws_codebuild_project.this.environment[0].image == "flyway/flyway:11.8.2"
    error_message = "The build must run the pinned official Flyway image."
  }

  assert {
    condition     = aws_codebuild_project.this.vpc_config[0].subnets == toset(["subnet-a", "subnet-b"])
    error_message = "The build must run in the given private subnets."
  }

  assert {
    condition     = aws_codebuild_project.this.source[0].type == "S3" && aws_codebuild_project.this.source[0].location == "audit-log-test-migrations-123456789012-eu-west-1/flyway.zip"
    error_message = "The build must read the bundle object from the module's bucket."
  }

  assert {
    condition     = aws_codebuild_project.this.concurrent_build_limit == 1
    error_message = "Only one migration may run at a time."
  }
}

run "credentials_come_from_secrets_manager" {
  command = plan

  assert {
    condition = {
      for variable in aws_codebuild_project.this.environment[0].environment_variable :
      variable.name => variable.value if variable.type == "SECRETS_MANAGER"
      } == {
      FLYWAY_USER         = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!cluster-abc:username"
      FLYWAY_PASSWORD     = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!cluster-abc:password"
      SUBSCRIBER_PASSWORD = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:subscriber:password"
      API_PASSWORD        = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:api:password"
    }
    error_message = "Every credential must be a SECRETS_MANAGER variable naming its JSON key."
  }

  assert {
    condition     = alltrue([for variable in aws_codebuild_project.this.environment[0].environment_variable : variable.type == "SECRETS_MANAGER" if can(regex("PASSWORD|USER", variable.name))])
    error_message = "No credential may be a plain-text variable."
  }
}

run "role_reads_only_its_secrets_and_bundle" {
  command = plan

  assert {
    condition     = toset(one([for statement in jsondecode(aws_iam_role_policy.this.policy).Statement : statement.Resource if statement.Sid == "ReadDatabaseSecrets"])) == toset([var.database.master_secret_arn, var.login_secrets.subscriber_arn, var.login_secrets.api_arn])
    error_message = "The role may read the master and the two login secrets, and no other."
  }

  assert {
    condition     = one([for statement in jsondecode(aws_iam_role_policy.this.policy).Statement : statement.Resource if statement.Sid == "ReadBundle"]) == "arn:aws:s3:::audit-log-test-migrations-123456789012-eu-west-1/flyway.zip"
    error_message = "The role may read only the bundle object."
  }

  assert {
    condition     = alltrue([for statement in jsondecode(aws_iam_role_policy.this.policy).Statement : !contains(flatten([statement.Action]), "*") && !contains(flatten([statement.Action]), "s3:*")])
    error_message = "No statement may grant every action."
  }

  assert {
    condition     = one([for statement in jsondecode(aws_iam_role_policy.this.policy).Statement : statement.Condition.StringEquals["ec2:Subnet"] if statement.Sid == "AttachBuildNetworkInterfaces"]) == ["arn:aws:ec2:eu-west-1:123456789012:subnet/subnet-a", "arn:aws:ec2:eu-west-1:123456789012:subnet/subnet-b"]
    error_message = "Network interfaces may be attached only in the given subnets."
  }
}

run "security_group_reaches_database_port" {
  command = plan

  assert {
    condition     = aws_vpc_security_group_egress_rule.postgres.referenced_security_group_id == "sg-database" && aws_vpc_security_group_egress_rule.postgres.from_port == 5432
    error_message = "The build may reach the cluster's security group on the PostgreSQL port."
  }
}

run "latest_image_rejected" {
  command = plan

  variables {
    image = "flyway/flyway:latest"
  }

  expect_failures = [var.image]
}

run "untagged_image_rejected" {
  command = plan

  variables {
    image = "flyway/flyway"
  }

  expect_failures = [var.image]
}
