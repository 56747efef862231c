# The parts of the service that moto (5.2) emulates, built from the same modules as the
# AWS environments: bus, rules, queues, KMS, IAM, secrets, Lambda functions, log groups,
# WAF and alarms. Aurora and the AppSync resolvers are left out: tests use a real
# PostgreSQL, and moto has no AppSync data sources or resolvers.
#
# moto stores Lambda functions without running them, so the subscriber's event source
# mapping is created disabled: an enabled one makes moto receive the queue's messages
# and try to run the function in Docker. The tests play the mapping with
# scripts/poller.py instead.

module "ingest_queue" {
  source = "../../modules/ingest-queue"

  name                       = "${var.name_prefix}-ingest"
  consumer_timeout_seconds   = 30
  visibility_timeout_seconds = 180
  # NOTE: moto 5.2 ignores RedriveAllowPolicy, and the provider would wait forever for it.
  restrict_dlq_sources = false
}

module "event_bus" {
  source = "../../modules/event-bus"

  name             = var.name_prefix
  target_queue_arn = module.ingest_queue.queue_arn
  target_queue_url = module.ingest_queue.queue_url
  kms_key_arn      = module.ingest_queue.kms_key_arn
}

resource "aws_kms_key" "service" {
  description         = "Encrypts the secrets of ${var.name_prefix}"
  enable_key_rotation = true
}

module "secrets" {
  source = "../../modules/service-secrets"

  name_prefix          = var.name_prefix
  kms_key_arn          = aws_kms_key.service.arn
  recovery_window_days = 0
}

module "subscriber" {
  source = "../../modules/lambda-function"

  function_name = "${var.name_prefix}-subscriber"
  zip_path      = "${var.packages_dir}/subscriber.zip"
  handler       = "subscriber.handler.lambda_handler"
  timeout       = 30
  powertools    = { service_name = "audit-subscriber" }
  environment_variables = {
    DB_SECRET_ARN = module.secrets.subscriber_database_secret_arn
  }
  policy_statements = {
    ReadDatabaseSecret = {
      actions   = ["secretsmanager:GetSecretValue"]
      resources = [module.secrets.subscriber_database_secret_arn]
    }
  }
  sqs_event_source = {
    queue_arn   = module.ingest_queue.queue_arn
    kms_key_arn = module.ingest_queue.kms_key_arn
    enabled     = false
  }
}

module "graphql_api" {
  source = "../../modules/lambda-function"

  function_name = "${var.name_prefix}-graphql-api"
  zip_path      = "${var.packages_dir}/graphql_api.zip"
  handler       = "graphql_api.appsync.lambda_handler"
  powertools    = { service_name = "audit-graphql-api" }
  environment_variables = {
    DB_SECRET_ARN     = module.secrets.api_database_secret_arn
    CURSOR_SECRET_ARN = module.secrets.cursor_key_secret_arn
    ENVIRONMENT       = "dev"
    AUDIT_BUS_NAME    = module.event_bus.bus_name
  }
  policy_statements = {
    PublishReadEvents = {
      actions   = ["events:PutEvents"]
      resources = [module.event_bus.bus_arn]
    }
  }
}

# A bare API, so that the WAF module has something to protect.
resource "aws_appsync_graphql_api" "this" {
  name                = var.name_prefix
  authentication_type = "AWS_IAM"
  schema              = file("${path.module}/../../../functions/graphql_api/graphql_api/schema.graphql")
}

module "waf" {
  source = "../../modules/waf"

  name         = var.name_prefix
  resource_arn = aws_appsync_graphql_api.this.arn
}

module "alarms" {
  source = "../../modules/alarms"

  name_prefix = var.name_prefix
  dead_letter_queues = {
    ingest   = module.ingest_queue.dlq_name
    delivery = module.event_bus.delivery_dlq_name
  }
  queues    = { ingest = { queue_name = module.ingest_queue.queue_name } }
  functions = { subscriber = module.subscriber.function_name }
}
