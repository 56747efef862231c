# Plans the module against a mocked AWS provider: no credentials, no network.

mock_provider "aws" {
  override_during = plan

  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
}

override_resource {
  override_during = plan
  target          = aws_kms_key.this[0]
  values          = { arn = "arn:aws:kms:us-east-1:123456789012:key/aurora" }
}

variables {
  name       = "audit-log-test"
  vpc_id     = "vpc-0123"
  subnet_ids = ["subnet-a", "subnet-b"]
  client_security_group_ids = {
    functions        = "sg-functions"
    migration-runner = "sg-migrations"
  }
}

run "serverless_v2_with_pg_cron" {
  command = plan

  variables {
    min_capacity = 0.5
    max_capacity = 16
  }

  assert {
    condition     = aws_rds_cluster.this.serverlessv2_scaling_configuration[0].min_capacity == 0.5 && aws_rds_cluster.this.serverlessv2_scaling_configuration[0].max_capacity == 16
    error_message = "The cluster must scale between the given ACUs."
  }

  assert {
    condition     = alltrue([for instance in aws_rds_cluster_instance.this : instance.instance_class == "db.serverless"])
    error_message = "Every instance must be Serverless v2."
  }

  assert {
    condition     = aws_rds_cluster_parameter_group.this.family == "aurora-postgresql16"
    error_message = "The parameter group family must follow the engine's major version."
  }

  assert {
    condition     = contains(split(",", one([for parameter in aws_rds_cluster_parameter_group.this.parameter : parameter.value if parameter.name == "shared_preload_libraries"])), "pg_cron")
    error_message = "pg_cron must be preloaded."
  }

  assert {
    condition     = one([for parameter in aws_rds_cluster_parameter_group.this.parameter : parameter.value if parameter.name == "cron.database_name"]) == "audit"
    error_message = "pg_cron must run in the audit database."
  }
}

run "encrypted_and_managed_password" {
  command = plan

  assert {
    condition     = aws_rds_cluster.this.storage_encrypted
    error_message = "Storage must be encrypted."
  }

  assert {
    condition     = aws_rds_cluster.this.kms_key_id == aws_kms_key.this[0].arn
    error_message = "Storage must use the module's KMS key."
  }

  assert {
    condition     = aws_rds_cluster.this.manage_master_user_password
    error_message = "RDS must manage the master password in Secrets Manager."
  }

  assert {
    condition     = alltrue([for instance in aws_rds_cluster_instance.this : !instance.publicly_accessible])
    error_message = "No instance may be publicly accessible."
  }
}

run "only_clients_reach_postgres" {
  command = plan

  assert {
    condition     = toset([for rule in aws_vpc_security_group_ingress_rule.clients : rule.referenced_security_group_id]) == toset(["sg-functions", "sg-migrations"])
    error_message = "Exactly the given security groups may connect."
  }

  assert {
    condition     = alltrue([for rule in aws_vpc_security_group_ingress_rule.clients : rule.cidr_ipv4 == null && rule.cidr_ipv6 == null])
    error_message = "No address range may connect."
  }
}

run "deletion_protected_by_default" {
  command = plan

  assert {
    condition     = aws_rds_cluster.this.deletion_protection
    error_message = "Deletion protection must be on unless turned off."
  }

  assert {
    condition     = aws_rds_cluster.this.final_snapshot_identifier == "audit-log-test-final"
    error_message = "Deleting the cluster must leave a final snapshot."
  }
}

run "capacity_range_checked" {
  command = plan

  variables {
    min_capacity = 4
    max_capacity = 2
  }

  expect_failures = [var.max_capacity]
}

run "old_engine_rejected" {
  command = plan

  variables {
    engine_version = "13.12"
  }

  expect_failures = [var.engine_version]
}

run "enhanced_monitoring_on_by_default" {
  command = plan

  assert {
    condition     = alltrue([for instance in aws_rds_cluster_instance.this : instance.monitoring_interval == 60])
    error_message = "Every instance must send Enhanced Monitoring metrics each minute."
  }

  assert {
    condition     = jsondecode(aws_iam_role.monitoring[0].assume_role_policy).Statement[0].Principal.Service == "monitoring.rds.amazonaws.com"
    error_message = "Only RDS monitoring may assume the monitoring role."
  }
}

run "enhanced_monitoring_can_be_off" {
  command = plan

  variables {
    monitoring_interval_seconds = 0
  }

  assert {
    condition     = length(aws_iam_role.monitoring) == 0
    error_message = "No monitoring role without Enhanced Monitoring."
  }
}
