# The staging environment: only the values that differ from the audit-log module's
# defaults. Build the zips first: python scripts/package_functions.py

module "audit_log" {
  source = "../../modules/audit-log"

  environment = "staging"
  packages = {
    subscriber  = "${path.root}/../../../build/subscriber.zip"
    graphql_api = "${path.root}/../../../build/graphql_api.zip"
    authorizer  = "${path.root}/../../../build/authorizer.zip"
  }
  network    = var.network
  authorizer = var.authorizer
  secret_arns = {
    subscriber_database = module.secrets.subscriber_database_secret_arn
    api_database        = module.secrets.api_database_secret_arn
    cursor_key          = module.secrets.cursor_key_secret_arn
  }
  alarm_email_addresses = var.alarm_email_addresses

  database = {
    max_capacity          = 8
    backup_retention_days = 7
  }
  subscriber = {
    maximum_concurrency = 5
    account_tenants     = var.account_tenants
  }
  log_retention_days           = 30
  event_archive_retention_days = 30
}

module "secrets" {
  source = "../../modules/service-secrets"

  name_prefix = "audit-log-staging"
  kms_key_arn = module.audit_log.service_kms_key_arn
  # Raise by one to rotate both database logins and the cursor key (docs/deploying.md).
  password_version     = 1
  recovery_window_days = 30
}
