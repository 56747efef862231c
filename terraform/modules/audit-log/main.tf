# The whole audit log service in one environment: ingestion (bus, queue, subscriber),
# storage (Aurora), the query API (AppSync, WAF, GraphQL and authorizer functions) and
# alarms. Each environment root calls this module with the values that differ.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  prefix      = "${var.name}-${var.environment}"
  development = var.environment == "dev"
}

# -- ingestion ----------------------------------------------------------------------------

module "ingest_queue" {
  source = "../ingest-queue"

  name                             = "${local.prefix}-ingest"
  consumer_timeout_seconds         = var.subscriber.timeout
  consumer_batching_window_seconds = var.subscriber.batching_window_seconds
  visibility_timeout_seconds       = 6 * var.subscriber.timeout + var.subscriber.batching_window_seconds
  max_receive_count                = var.subscriber.max_receive_count
}

module "event_bus" {
  source = "../event-bus"

  name                   = local.prefix
  target_queue_arn       = module.ingest_queue.queue_arn
  target_queue_url       = module.ingest_queue.queue_url
  kms_key_arn            = module.ingest_queue.kms_key_arn
  archive_retention_days = var.event_archive_retention_days
  # Read events (audit_log.viewed) are the API's to publish; see functions/common/audit_common/roles.py.
  reserved_sources = { "audit-log.graphql-api" = [module.graphql_api.role_arn] }
}

module "subscriber" {
  source = "../lambda-function"

  function_name                  = "${local.prefix}-subscriber"
  description                    = "Stores SQS batches of audit events in Aurora"
  zip_path                       = var.packages.subscriber
  handler                        = "subscriber.handler.lambda_handler"
  memory_size                    = var.subscriber.memory_size
  timeout                        = var.subscriber.timeout
  reserved_concurrent_executions = var.subscriber.reserved_concurrency
  vpc_config                     = local.function_vpc_config
  log_retention_days             = var.log_retention_days
  log_kms_key_arn                = aws_kms_key.service.arn
  powertools                     = { service_name = "audit-subscriber" }

  environment_variables = {
    DB_SECRET_ARN       = var.secret_arns.subscriber_database
    DB_HOST             = module.aurora.endpoint
    DB_PORT             = tostring(module.aurora.port)
    DB_NAME             = module.aurora.database_name
    DB_SSLMODE          = "require"
    AWS_ACCOUNT_TENANTS = jsonencode(var.subscriber.account_tenants)
  }

  policy_statements = {
    # Its database login.
    ReadDatabaseSecret = {
      actions   = ["secretsmanager:GetSecretValue"]
      resources = [var.secret_arns.subscriber_database]
    }
    # The secret is encrypted with the service key.
    DecryptDatabaseSecret = {
      actions    = ["kms:Decrypt"]
      resources  = [aws_kms_key.service.arn]
      conditions = local.secrets_manager_only
    }
  }

  sqs_event_source = {
    queue_arn                          = module.ingest_queue.queue_arn
    kms_key_arn                        = module.ingest_queue.kms_key_arn
    batch_size                         = var.subscriber.batch_size
    maximum_batching_window_in_seconds = var.subscriber.batching_window_seconds
    maximum_concurrency                = var.subscriber.maximum_concurrency
  }
}

# -- storage ------------------------------------------------------------------------------

module "aurora" {
  source = "../aurora"

  name                  = local.prefix
  engine_version        = var.database.engine_version
  min_capacity          = var.database.min_capacity
  max_capacity          = var.database.max_capacity
  instance_count        = var.database.instance_count
  backup_retention_days = var.database.backup_retention_days
  vpc_id                = var.network.vpc_id
  subnet_ids            = var.network.private_subnet_ids
  client_security_group_ids = merge(
    {
      functions  = aws_security_group.functions.id
      migrations = module.migrations.security_group_id
    },
    var.network.migration_runner_security_group_id == null ? {} : {
      migration-runner = var.network.migration_runner_security_group_id
    },
  )
  deletion_protection = !local.development
  skip_final_snapshot = local.development
}

# The migrations module's security group depends only on the VPC, so the cluster can
# admit it while the build's settings depend on the cluster.
module "migrations" {
  source = "../migrations"

  name                  = "${local.prefix}-migrations"
  vpc_id                = var.network.vpc_id
  subnet_ids            = var.network.private_subnet_ids
  kms_key_arn           = aws_kms_key.service.arn
  image                 = var.migrations.image
  build_timeout_minutes = var.migrations.build_timeout_minutes
  log_retention_days    = var.log_retention_days
  database = {
    endpoint              = module.aurora.endpoint
    port                  = module.aurora.port
    name                  = module.aurora.database_name
    security_group_id     = module.aurora.security_group_id
    master_secret_arn     = module.aurora.master_user_secret_arn
    master_secret_kms_arn = module.aurora.kms_key_arn
  }
  login_secrets = {
    subscriber_arn = var.secret_arns.subscriber_database
    api_arn        = var.secret_arns.api_database
    kms_key_arn    = aws_kms_key.service.arn
  }
}

# -- query API ----------------------------------------------------------------------------

module "graphql_api" {
  source = "../lambda-function"

  function_name                  = "${local.prefix}-graphql-api"
  description                    = "Resolves the AppSync Query fields (Ariadne)"
  zip_path                       = var.packages.graphql_api
  handler                        = "graphql_api.appsync.lambda_handler"
  memory_size                    = var.api.memory_size
  timeout                        = var.api.timeout
  reserved_concurrent_executions = var.api.reserved_concurrency
  vpc_config                     = local.function_vpc_config
  log_retention_days             = var.log_retention_days
  log_kms_key_arn                = aws_kms_key.service.arn
  powertools                     = { service_name = "audit-graphql-api" }

  environment_variables = {
    DB_SECRET_ARN     = var.secret_arns.api_database
    DB_HOST           = module.aurora.reader_endpoint
    DB_PORT           = tostring(module.aurora.port)
    DB_NAME           = module.aurora.database_name
    DB_SSLMODE        = "require"
    CURSOR_SECRET_ARN = var.secret_arns.cursor_key
    ENVIRONMENT       = var.environment
    AUDIT_BUS_NAME    = module.event_bus.bus_name
  }

  policy_statements = {
    # Its database login and the key that signs page cursors.
    ReadSecrets = {
      actions   = ["secretsmanager:GetSecretValue"]
      resources = [var.secret_arns.api_database, var.secret_arns.cursor_key]
    }
    # Both secrets are encrypted with the service key.
    DecryptSecrets = {
      actions    = ["kms:Decrypt"]
      resources  = [aws_kms_key.service.arn]
      conditions = local.secrets_manager_only
    }
    # Every read is itself recorded as an audit_log.viewed event on the audit bus.
    PublishReadEvents = {
      actions   = ["events:PutEvents"]
      resources = [module.event_bus.bus_arn]
    }
  }
}

module "authorizer" {
  source = "../lambda-function"

  function_name      = "${local.prefix}-authorizer"
  description        = "Checks JWTs for AppSync and returns the caller's tenants and role"
  zip_path           = var.packages.authorizer
  handler            = "authorizer.handler.lambda_handler"
  memory_size        = 256
  timeout            = 5
  log_retention_days = var.log_retention_days
  log_kms_key_arn    = aws_kms_key.service.arn
  powertools         = { service_name = "audit-authorizer" }
  # Outside the VPC: it fetches the issuer's key set from the internet and needs no
  # database. It needs no AWS permission beyond its log.
  environment_variables = local.authorizer_environment
}

module "appsync" {
  source = "../appsync"

  name                  = local.prefix
  resolver_function_arn = module.graphql_api.function_arn
  authorizer = {
    function_arn       = module.authorizer.function_arn
    function_name      = module.authorizer.function_name
    result_ttl_seconds = var.authorizer.result_ttl_seconds
  }
  field_log_level       = var.api.field_log_level
  query_depth_limit     = var.api.query_depth_limit
  resolver_count_limit  = var.api.resolver_count_limit
  introspection_enabled = local.development
  log_retention_days    = var.log_retention_days
  log_kms_key_arn       = aws_kms_key.service.arn
}

module "waf" {
  source = "../waf"

  name               = local.prefix
  resource_arn       = module.appsync.api_arn
  rate_limit         = var.api.waf_rate_limit
  log_retention_days = var.log_retention_days
  log_kms_key_arn    = aws_kms_key.service.arn
}

# -- operations ---------------------------------------------------------------------------

module "alarms" {
  source = "../alarms"

  name_prefix     = local.prefix
  create_kms_key  = false
  kms_key_arn     = aws_kms_key.service.arn
  email_addresses = var.alarm_email_addresses
  dead_letter_queues = {
    ingest   = module.ingest_queue.dlq_name
    delivery = module.event_bus.delivery_dlq_name
  }
  queues = {
    ingest = { queue_name = module.ingest_queue.queue_name }
  }
  functions = {
    subscriber  = module.subscriber.function_name
    graphql-api = module.graphql_api.function_name
    authorizer  = module.authorizer.function_name
  }
  aurora = { cluster_identifier = module.aurora.cluster_identifier }
}

locals {
  function_vpc_config = {
    subnet_ids         = var.network.private_subnet_ids
    security_group_ids = [aws_security_group.functions.id]
  }

  # A function may decrypt with the service key only through Secrets Manager.
  secrets_manager_only = {
    StringEquals = { "kms:ViaService" = ["secretsmanager.${data.aws_region.current.name}.amazonaws.com"] }
  }

  # Unset claim settings are left out, so the authorizer keeps its own defaults.
  authorizer_environment = merge(
    {
      JWT_ISSUER           = var.authorizer.jwt_issuer
      JWT_AUDIENCE         = join(",", var.authorizer.jwt_audience)
      JWT_ALGORITHMS       = join(",", var.authorizer.jwt_algorithms)
      AUTH_MAX_TTL_SECONDS = tostring(var.authorizer.result_ttl_seconds)
    },
    { for name, value in {
      JWKS_URL            = var.authorizer.jwks_url
      TENANT_CLAIM        = var.authorizer.tenant_claim
      TENANT_GROUP_PREFIX = var.authorizer.tenant_group_prefix
      GROUPS_CLAIM        = var.authorizer.groups_claim
      ROLE_CLAIM          = var.authorizer.role_claim
      ROLE_GROUP_PREFIX   = var.authorizer.role_group_prefix
      DEFAULT_ROLE        = var.authorizer.default_role
    } : name => value if value != null },
  )
}
