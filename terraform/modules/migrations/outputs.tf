output "project_name" {
  description = "CodeBuild project that runs the migrations (aws codebuild start-build --project-name)."
  value       = aws_codebuild_project.this.name
}

output "bucket_name" {
  description = "Bucket the deploy uploads the Flyway bundle to."
  value       = module.bundle_bucket.id
}

output "bundle_key" {
  description = "Object key of the bundle in the bucket; each build names the object version it runs."
  value       = local.bundle_key
}

output "security_group_id" {
  description = "Security group of the builds; the cluster must admit it on the PostgreSQL port."
  value       = aws_security_group.this.id
}

output "role_arn" {
  description = "IAM role the builds run as."
  value       = aws_iam_role.this.arn
}

output "log_group_name" {
  description = "Log group of the builds."
  value       = aws_cloudwatch_log_group.this.name
}
