output "cluster_identifier" {
  description = "Identifier of the cluster, the DBClusterIdentifier dimension of its metrics."
  value       = aws_rds_cluster.this.cluster_identifier
}

output "cluster_arn" {
  description = "ARN of the cluster."
  value       = aws_rds_cluster.this.arn
}

output "endpoint" {
  description = "Writer endpoint: host name for the subscriber and the migrations."
  value       = aws_rds_cluster.this.endpoint
}

output "reader_endpoint" {
  description = "Reader endpoint: host name for the query API."
  value       = aws_rds_cluster.this.reader_endpoint
}

output "port" {
  description = "PostgreSQL port."
  value       = aws_rds_cluster.this.port
}

output "database_name" {
  description = "Name of the audit database."
  value       = aws_rds_cluster.this.database_name
}

output "security_group_id" {
  description = "Security group of the cluster."
  value       = aws_security_group.this.id
}

output "master_user_secret_arn" {
  description = "Secrets Manager secret with the master user's password, managed and rotated by RDS. Only the migration runner should read it."
  value       = aws_rds_cluster.this.master_user_secret[0].secret_arn
}

output "kms_key_arn" {
  description = "ARN of the KMS key that encrypts the cluster."
  value       = local.kms_key_arn
}

output "deletion_protection" {
  description = "Whether the cluster refuses deletion."
  value       = aws_rds_cluster.this.deletion_protection
}

output "max_capacity" {
  description = "Maximum ACUs of each instance, for capacity alarms."
  value       = var.max_capacity
}
