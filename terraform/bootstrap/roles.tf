# Roles that GitHub Actions assumes with its OIDC token. Each trust policy pins the
# audience and the token's subject: which repository, and which event, branch or
# GitHub Environment the job runs for.

locals {
  subjects = {
    # Any pull request of the repository (not forks: they get no OIDC token).
    pr-plan = "repo:${var.github_repository}:pull_request"
    # Jobs without an environment on the main branch: the plan of a deploy.
    plan = "repo:${var.github_repository}:ref:refs/heads/main"
  }

  roles = merge([
    for environment in var.environments : {
      "${environment}-pr-plan" = { environment = environment, purpose = "pr-plan", subject = local.subjects["pr-plan"] }
      "${environment}-plan"    = { environment = environment, purpose = "plan", subject = local.subjects.plan }
      # A job with `environment: <env>`, after the environment's protection rules passed.
      "${environment}-deploy" = { environment = environment, purpose = "deploy", subject = "repo:${var.github_repository}:environment:${environment}" }
    }
  ]...)
}

resource "aws_iam_role" "github" {
  for_each = local.roles

  name                 = "${var.name}-${each.key}"
  description          = "GitHub Actions ${each.value.purpose} role of ${var.name} ${each.value.environment}"
  max_session_duration = 3600

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = local.oidc_provider_arn }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = {
          "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com"
          "token.actions.githubusercontent.com:sub" = each.value.subject
        }
      }
    }]
  })
}

# -- pull-request plans -------------------------------------------------------------------

# A pull request may change the workflow that uses this role, so it gets only what a plan
# without refresh and without a lock needs: the state, and random passwords for the
# ephemeral resources of service-secrets.
resource "aws_iam_role_policy" "pr_plan" {
  for_each = { for key, role in local.roles : key => role if role.purpose == "pr-plan" }

  name = "read-state"
  role = aws_iam_role.github[each.key].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ReadState"
        Effect   = "Allow"
        Action   = "s3:GetObject"
        Resource = "${module.state_bucket.arn}/${local.state_keys[each.value.environment]}"
      },
      {
        # terraform init lists the workspaces under the state prefix.
        Sid       = "ListState"
        Effect    = "Allow"
        Action    = "s3:ListBucket"
        Resource  = module.state_bucket.arn
        Condition = { StringLike = { "s3:prefix" = ["${var.name}/${each.value.environment}/*", "env:/*"] } }
      },
      {
        # Returns a random string; it reads and changes nothing.
        Sid      = "GenerateRandomPassword"
        Effect   = "Allow"
        Action   = "secretsmanager:GetRandomPassword"
        Resource = "*"
      },
    ]
  })
}

# -- deploy plans -------------------------------------------------------------------------

resource "aws_iam_role_policy_attachment" "plan_read_only" {
  for_each = { for key, role in local.roles : key => role if role.purpose == "plan" }

  role       = aws_iam_role.github[each.key].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/ReadOnlyAccess"
}

# ReadOnlyAccess covers the refresh of everything but the secret values and the state
# lock, which the deploy's plan takes like any other plan.
resource "aws_iam_role_policy" "plan" {
  for_each = { for key, role in local.roles : key => role if role.purpose == "plan" }

  name = "state-lock-and-secrets"
  role = aws_iam_role.github[each.key].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "LockState"
        Effect   = "Allow"
        Action   = ["s3:PutObject", "s3:DeleteObject"]
        Resource = "${module.state_bucket.arn}/${local.state_keys[each.value.environment]}.tflock"
      },
      {
        # The refresh of aws_secretsmanager_secret_version reads the value it manages.
        Sid      = "RefreshServiceSecrets"
        Effect   = "Allow"
        Action   = "secretsmanager:GetSecretValue"
        Resource = "arn:${local.partition}:secretsmanager:*:${var.aws_account_id}:secret:${var.name}-${each.value.environment}/*"
      },
      {
        Sid       = "DecryptServiceSecrets"
        Effect    = "Allow"
        Action    = "kms:Decrypt"
        Resource  = "arn:${local.partition}:kms:*:${var.aws_account_id}:key/*"
        Condition = { StringLike = { "kms:ViaService" = "secretsmanager.*.amazonaws.com" } }
      },
      {
        Sid      = "GenerateRandomPassword"
        Effect   = "Allow"
        Action   = "secretsmanager:GetRandomPassword"
        Resource = "*"
      },
    ]
  })
}

# -- deploys ------------------------------------------------------------------------------

resource "aws_iam_role_policy_attachment" "deploy" {
  for_each = {
    for pair in setproduct([for key, role in local.roles : key if role.purpose == "deploy"], var.deploy_policy_arns) :
    "${pair[0]} ${pair[1]}" => { role = pair[0], policy_arn = pair[1] }
  }

  role       = aws_iam_role.github[each.value.role].name
  policy_arn = each.value.policy_arn
}
