# The service key: encrypts the functions', API's and WAF's log groups, the secrets and
# the alarm topic. The queues and the database have keys of their own.

resource "aws_kms_key" "service" {
  description             = "Encrypts the logs, secrets and alarm topic of ${local.prefix}"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = jsonencode(local.service_key_policy)
}

resource "aws_kms_alias" "service" {
  name          = "alias/${local.prefix}"
  target_key_id = aws_kms_key.service.key_id
}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name

  service_key_policy = {
    Version = "2012-10-17"
    Statement = [
      {
        # The account's IAM policies decide who else may use and manage the key, as with
        # the default key policy. Secrets Manager decrypts for the functions through it.
        Sid       = "AccountAdministersKey"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        # CloudWatch Logs encrypts this account's log groups in this region, and no others.
        Sid       = "CloudWatchLogsEncryptsLogGroups"
        Effect    = "Allow"
        Principal = { Service = "logs.${local.region}.amazonaws.com" }
        Action    = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
        Resource  = "*"
        Condition = {
          ArnLike = { "kms:EncryptionContext:aws:logs:arn" = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:*" }
        }
      },
      {
        # CloudWatch alarms publish to the encrypted alarm topic.
        Sid       = "CloudWatchPublishesAlarms"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = ["kms:GenerateDataKey*", "kms:Decrypt"]
        Resource  = "*"
        Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
      },
    ]
  }
}
