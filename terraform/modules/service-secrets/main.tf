# Database logins of the subscriber and the GraphQL API, and the key that signs page
# cursors. Secrets Manager generates the values as ephemeral values, which are written
# write-only, so they never enter the Terraform plan or state.
#
# The migrations' afterMigrate callback (flyway/deploy/afterMigrate.sql) creates the login
# roles audit_subscriber (member of audit_writer) and audit_api (member of audit_reader)
# with these passwords.

resource "aws_secretsmanager_secret" "subscriber_database" {
  name                    = "${var.name_prefix}/database/subscriber"
  description             = "Login of the subscriber (audit_writer)"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.recovery_window_days
}

ephemeral "aws_secretsmanager_random_password" "subscriber_database" {
  password_length     = 40
  exclude_punctuation = true
}

resource "aws_secretsmanager_secret_version" "subscriber_database" {
  secret_id = aws_secretsmanager_secret.subscriber_database.id
  secret_string_wo = jsonencode({
    username = "audit_subscriber"
    password = ephemeral.aws_secretsmanager_random_password.subscriber_database.random_password
  })
  secret_string_wo_version = var.password_version
}

resource "aws_secretsmanager_secret" "api_database" {
  name                    = "${var.name_prefix}/database/graphql-api"
  description             = "Login of the GraphQL API (audit_reader)"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.recovery_window_days
}

ephemeral "aws_secretsmanager_random_password" "api_database" {
  password_length     = 40
  exclude_punctuation = true
}

resource "aws_secretsmanager_secret_version" "api_database" {
  secret_id = aws_secretsmanager_secret.api_database.id
  secret_string_wo = jsonencode({
    username = "audit_api"
    password = ephemeral.aws_secretsmanager_random_password.api_database.random_password
  })
  secret_string_wo_version = var.password_version
}

resource "aws_secretsmanager_secret" "cursor_key" {
  name                    = "${var.name_prefix}/graphql-api/cursor-key"
  description             = "HMAC key that signs the GraphQL API's page cursors; replacing it invalidates open cursors"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.recovery_window_days
}

ephemeral "aws_secretsmanager_random_password" "cursor_key" {
  password_length     = 64
  exclude_punctuation = true
}

resource "aws_secretsmanager_secret_version" "cursor_key" {
  secret_id                = aws_secretsmanager_secret.cursor_key.id
  secret_string_wo         = jsonencode({ key = ephemeral.aws_secretsmanager_random_password.cursor_key.random_password })
  secret_string_wo_version = var.password_version
}
