# Plans the bootstrap root against a mocked AWS provider: no credentials, no network.

mock_provider "aws" {
  override_during = plan

  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
}

# The bucket's own settings are tested in the private-bucket module.
override_module {
  target = module.state_bucket
  outputs = {
    id  = "example-terraform-state-123456789012"
    arn = "arn:aws:s3:::example-terraform-state-123456789012"
  }
}

override_resource {
  override_during = plan
  target          = aws_iam_openid_connect_provider.github[0]
  values          = { arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" }
}

variables {
  aws_region        = "eu-west-1"
  aws_account_id    = "123456789012"
  github_repository = "example-org/audit-log"
  environments      = ["dev", "prod"]
  state_bucket_name = "example-terraform-state-123456789012"
}

run "oidc_provider_for_github_and_sts" {
  command = plan

  assert {
    condition     = aws_iam_openid_connect_provider.github[0].url == "https://token.actions.githubusercontent.com" && aws_iam_openid_connect_provider.github[0].client_id_list == toset(["sts.amazonaws.com"])
    error_message = "The provider must trust GitHub's token issuer for the sts.amazonaws.com audience."
  }
}

run "three_roles_per_environment" {
  command = plan

  assert {
    condition     = keys(aws_iam_role.github) == ["dev-deploy", "dev-plan", "dev-pr-plan", "prod-deploy", "prod-plan", "prod-pr-plan"]
    error_message = "Each environment needs a pull-request plan, a plan and a deploy role."
  }
}

run "trust_pins_repository_and_subject" {
  command = plan

  assert {
    condition     = jsondecode(aws_iam_role.github["prod-deploy"].assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"] == "repo:example-org/audit-log:environment:prod"
    error_message = "Only jobs in the prod GitHub Environment may assume the prod deploy role."
  }

  assert {
    condition     = jsondecode(aws_iam_role.github["prod-plan"].assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"] == "repo:example-org/audit-log:ref:refs/heads/main"
    error_message = "Only jobs on main may assume the plan role."
  }

  assert {
    condition     = jsondecode(aws_iam_role.github["dev-pr-plan"].assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"] == "repo:example-org/audit-log:pull_request"
    error_message = "The pull-request plan role must trust pull requests only."
  }

  assert {
    condition     = alltrue([for role in aws_iam_role.github : jsondecode(role.assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"])
    error_message = "Every role must require the sts.amazonaws.com audience."
  }
}

run "pull_request_role_reads_only_its_state" {
  command = plan

  assert {
    condition     = one([for statement in jsondecode(aws_iam_role_policy.pr_plan["prod-pr-plan"].policy).Statement : statement.Resource if statement.Sid == "ReadState"]) == "arn:aws:s3:::example-terraform-state-123456789012/audit-log/prod/terraform.tfstate"
    error_message = "The pull-request plan role may read only its environment's state."
  }

  assert {
    condition     = alltrue([for statement in jsondecode(aws_iam_role_policy.pr_plan["prod-pr-plan"].policy).Statement : alltrue([for action in flatten([statement.Action]) : contains(["s3:GetObject", "s3:ListBucket", "secretsmanager:GetRandomPassword"], action)])])
    error_message = "The pull-request plan role must not write anything or read secrets."
  }

  assert {
    condition     = length([for attachment in aws_iam_role_policy_attachment.plan_read_only : attachment if attachment.role == aws_iam_role.github["prod-pr-plan"].name]) == 0
    error_message = "The pull-request plan role must not get ReadOnlyAccess."
  }
}

run "plan_role_locks_only_its_state" {
  command = plan

  assert {
    condition     = one([for statement in jsondecode(aws_iam_role_policy.plan["prod-plan"].policy).Statement : statement.Resource if statement.Sid == "LockState"]) == "arn:aws:s3:::example-terraform-state-123456789012/audit-log/prod/terraform.tfstate.tflock"
    error_message = "The plan role may write only the lock object of its state."
  }

  assert {
    condition     = aws_iam_role_policy_attachment.plan_read_only["prod-plan"].policy_arn == "arn:aws:iam::aws:policy/ReadOnlyAccess"
    error_message = "The plan role refreshes with ReadOnlyAccess."
  }
}

run "existing_oidc_provider_reused" {
  command = plan

  variables {
    create_oidc_provider = false
  }

  assert {
    condition     = length(aws_iam_openid_connect_provider.github) == 0 && output.oidc_provider_arn == "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    error_message = "With create_oidc_provider = false the roles must trust the account's existing provider."
  }
}

run "unknown_environment_rejected" {
  command = plan

  variables {
    environments = ["production"]
  }

  expect_failures = [var.environments]
}

run "malformed_repository_rejected" {
  command = plan

  variables {
    github_repository = "https://github.com/example-org/audit-log"
  }

  expect_failures = [var.github_repository]
}
