# Roles that AppSync assumes: one to write its log, one to invoke the resolver function.

resource "aws_iam_role" "logs" {
  name               = "${var.name}-appsync-logs"
  assume_role_policy = local.appsync_trust_policy
  tags               = var.tags
}

resource "aws_iam_role_policy" "logs" {
  name = "write-api-log"
  role = aws_iam_role.logs.id

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      # Field-level and request logs of this API, into its own group only.
      Sid      = "WriteApiLog"
      Effect   = "Allow"
      Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
      Resource = "${aws_cloudwatch_log_group.this.arn}:*"
    }]
  })
}

resource "aws_iam_role" "datasource" {
  name               = "${var.name}-appsync-resolvers"
  assume_role_policy = local.appsync_trust_policy
  tags               = var.tags
}

resource "aws_iam_role_policy" "datasource" {
  name = "invoke-resolver-function"
  role = aws_iam_role.datasource.id

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      # The data source calls the resolver function, and nothing else.
      Sid      = "InvokeResolverFunction"
      Effect   = "Allow"
      Action   = "lambda:InvokeFunction"
      Resource = [var.resolver_function_arn, "${var.resolver_function_arn}:*"]
    }]
  })
}

locals {
  appsync_trust_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "appsync.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}
