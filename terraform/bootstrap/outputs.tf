output "state_bucket_name" {
  description = "Bucket for the environments' state: the bucket of each backend.hcl and the TF_STATE_BUCKET_<ENV> repository variables."
  value       = module.state_bucket.id
}

output "oidc_provider_arn" {
  description = "The account's GitHub OIDC provider."
  value       = local.oidc_provider_arn
}

output "github_repository_variables" {
  description = "Repository variables to set in GitHub (Settings, Secrets and variables, Actions, Variables): the state bucket, region and plan roles of each environment."
  value = merge([
    for environment in var.environments : {
      "AWS_REGION_${upper(environment)}"           = var.aws_region
      "TF_STATE_BUCKET_${upper(environment)}"      = module.state_bucket.id
      "AWS_PR_PLAN_ROLE_ARN_${upper(environment)}" = aws_iam_role.github["${environment}-pr-plan"].arn
      "AWS_PLAN_ROLE_ARN_${upper(environment)}"    = aws_iam_role.github["${environment}-plan"].arn
    }
  ]...)
}

output "github_environment_variables" {
  description = "Variables to set in each GitHub Environment (Settings, Environments): the role its apply job assumes."
  value = {
    for environment in var.environments : environment => {
      AWS_DEPLOY_ROLE_ARN = aws_iam_role.github["${environment}-deploy"].arn
    }
  }
}
