# The build's role: its log group, the bundle, the three secrets it reads at start, and
# the network interfaces CodeBuild creates in the VPC.

resource "aws_iam_role" "this" {
  name = "${var.name}-codebuild"

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "codebuild.amazonaws.com" }
      Action    = "sts:AssumeRole"
      # Only this account's builds may use the role (confused-deputy guard).
      Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
    }]
  })

  tags = var.tags
}

resource "aws_iam_role_policy" "this" {
  name   = "${var.name}-codebuild"
  role   = aws_iam_role.this.id
  policy = jsonencode(local.policy)
}

locals {
  subnet_arns = [for id in var.subnet_ids : "arn:${local.partition}:ec2:${local.region}:${local.account_id}:subnet/${id}"]

  policy = {
    Version = "2012-10-17"
    Statement = [
      {
        # Write the build's own log; the group exists, so no logs:CreateLogGroup.
        Sid      = "WriteBuildLog"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = "${aws_cloudwatch_log_group.this.arn}:*"
      },
      {
        # Download the bundle, by version id.
        Sid      = "ReadBundle"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:GetObjectVersion"]
        Resource = "${module.bundle_bucket.arn}/${local.bundle_key}"
      },
      {
        # CodeBuild checks the source bucket before it downloads.
        Sid      = "LocateBundleBucket"
        Effect   = "Allow"
        Action   = ["s3:GetBucketAcl", "s3:GetBucketLocation"]
        Resource = module.bundle_bucket.arn
      },
      {
        # The master login for Flyway and the functions' logins for the afterMigrate
        # callback, read once when the build starts.
        Sid      = "ReadDatabaseSecrets"
        Effect   = "Allow"
        Action   = "secretsmanager:GetSecretValue"
        Resource = [var.database.master_secret_arn, var.login_secrets.subscriber_arn, var.login_secrets.api_arn]
      },
      {
        # The secrets are encrypted with these keys, used only through Secrets Manager.
        Sid       = "DecryptDatabaseSecrets"
        Effect    = "Allow"
        Action    = "kms:Decrypt"
        Resource  = distinct([var.database.master_secret_kms_arn, var.login_secrets.kms_key_arn])
        Condition = { StringEquals = { "kms:ViaService" = "secretsmanager.${local.region}.amazonaws.com" } }
      },
      {
        # The bundle is encrypted with the module's key, read only through S3.
        Sid       = "DecryptBundle"
        Effect    = "Allow"
        Action    = "kms:Decrypt"
        Resource  = var.kms_key_arn
        Condition = { StringEquals = { "kms:ViaService" = "s3.${local.region}.amazonaws.com" } }
      },
      {
        # A build in a VPC runs through network interfaces CodeBuild creates and deletes.
        # These EC2 actions support no resource-level permissions.
        Sid    = "ManageBuildNetworkInterfaces"
        Effect = "Allow"
        Action = [
          "ec2:CreateNetworkInterface",
          "ec2:DeleteNetworkInterface",
          "ec2:DescribeDhcpOptions",
          "ec2:DescribeNetworkInterfaces",
          "ec2:DescribeSecurityGroups",
          "ec2:DescribeSubnets",
          "ec2:DescribeVpcs",
        ]
        Resource = "*"
      },
      {
        # CodeBuild attaches the interface for this role, only in the given subnets.
        Sid      = "AttachBuildNetworkInterfaces"
        Effect   = "Allow"
        Action   = "ec2:CreateNetworkInterfacePermission"
        Resource = "arn:${local.partition}:ec2:${local.region}:${local.account_id}:network-interface/*"
        Condition = {
          StringEquals = {
            "ec2:AuthorizedService" = "codebuild.amazonaws.com"
            "ec2:Subnet"            = local.subnet_arns
          }
        }
      },
    ]
  }
}
