# Applies the Flyway migrations from inside the VPC: a CodeBuild project in the private
# subnets runs the official Flyway image against the Aurora writer. The deploy workflow
# uploads the bundle (flyway/ and the RDS CA bundle) to the bucket and starts a build.
#
# CodeBuild rather than a runner with network access: the database stays in private
# subnets with no route from GitHub, nothing has to stay running between deploys, the
# credentials go from Secrets Manager into the build without passing through GitHub, and
# a build has a log and an exit status the workflow can wait for.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  account_id  = data.aws_caller_identity.current.account_id
  partition   = data.aws_partition.current.partition
  region      = data.aws_region.current.name
  bucket_name = "${var.name}-${local.account_id}-${local.region}"
  # The object the deploy workflow uploads; it starts each build with its version id.
  bundle_key = "flyway.zip"
}

# -- the bundle bucket --------------------------------------------------------------------

# Versioned, so a build runs exactly the object version the workflow uploaded.
module "bundle_bucket" {
  source = "../private-bucket"

  name                    = local.bucket_name
  kms_key_arn             = var.kms_key_arn
  noncurrent_version_days = var.bundle_noncurrent_days
  tags                    = var.tags
}

# -- the build ----------------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "this" {
  name              = "/aws/codebuild/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_codebuild_project" "this" {
  name           = var.name
  description    = "Applies the Flyway migrations to ${var.database.endpoint}"
  service_role   = aws_iam_role.this.arn
  build_timeout  = var.build_timeout_minutes
  queued_timeout = 60
  encryption_key = var.kms_key_arn
  # One migration at a time: Flyway locks its history table, but a second build would
  # only wait for the first and then find nothing to do.
  concurrent_build_limit = 1

  source {
    type      = "S3"
    location  = "${module.bundle_bucket.id}/${local.bundle_key}"
    buildspec = "buildspec.yml"
  }

  artifacts {
    type = "NO_ARTIFACTS"
  }

  environment {
    type                        = "LINUX_CONTAINER"
    compute_type                = var.compute_type
    image                       = var.image
    image_pull_credentials_type = "CODEBUILD"

    environment_variable {
      name  = "DB_HOST"
      value = var.database.endpoint
    }
    environment_variable {
      name  = "DB_PORT"
      value = tostring(var.database.port)
    }
    environment_variable {
      name  = "DB_NAME"
      value = var.database.name
    }
    # CodeBuild reads these from Secrets Manager when the build starts and masks them in
    # the log; the values never pass through Terraform or GitHub.
    environment_variable {
      name  = "FLYWAY_USER"
      type  = "SECRETS_MANAGER"
      value = "${var.database.master_secret_arn}:username"
    }
    environment_variable {
      name  = "FLYWAY_PASSWORD"
      type  = "SECRETS_MANAGER"
      value = "${var.database.master_secret_arn}:password"
    }
    environment_variable {
      name  = "SUBSCRIBER_PASSWORD"
      type  = "SECRETS_MANAGER"
      value = "${var.login_secrets.subscriber_arn}:password"
    }
    environment_variable {
      name  = "API_PASSWORD"
      type  = "SECRETS_MANAGER"
      value = "${var.login_secrets.api_arn}:password"
    }
  }

  vpc_config {
    vpc_id             = var.vpc_id
    subnets            = var.subnet_ids
    security_group_ids = [aws_security_group.this.id]
  }

  logs_config {
    cloudwatch_logs {
      status     = "ENABLED"
      group_name = aws_cloudwatch_log_group.this.name
    }
    s3_logs {
      status = "DISABLED"
    }
  }

  tags = var.tags
}

# -- network ------------------------------------------------------------------------------

resource "aws_security_group" "this" {
  name        = var.name
  description = "Flyway migrations of ${var.database.name}: PostgreSQL to the cluster, HTTPS out"
  vpc_id      = var.vpc_id
  tags        = var.tags
}

resource "aws_vpc_security_group_egress_rule" "postgres" {
  security_group_id            = aws_security_group.this.id
  description                  = "PostgreSQL on the audit cluster"
  referenced_security_group_id = var.database.security_group_id
  ip_protocol                  = "tcp"
  from_port                    = var.database.port
  to_port                      = var.database.port
  tags                         = var.tags
}

resource "aws_vpc_security_group_egress_rule" "https" {
  security_group_id = aws_security_group.this.id
  description       = "HTTPS to S3, Secrets Manager, CloudWatch Logs and the image registry"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  tags              = var.tags
}
