# The functions' security group: out to PostgreSQL on the cluster, and out over HTTPS to
# the AWS APIs they call (Secrets Manager, EventBridge) through NAT or VPC endpoints.

resource "aws_security_group" "functions" {
  name        = "${local.prefix}-functions"
  description = "Lambda functions of ${local.prefix} that reach the database"
  vpc_id      = var.network.vpc_id
}

resource "aws_vpc_security_group_egress_rule" "functions_postgres" {
  security_group_id            = aws_security_group.functions.id
  description                  = "PostgreSQL on the audit cluster"
  referenced_security_group_id = module.aurora.security_group_id
  ip_protocol                  = "tcp"
  from_port                    = module.aurora.port
  to_port                      = module.aurora.port
}

resource "aws_vpc_security_group_egress_rule" "functions_https" {
  security_group_id = aws_security_group.functions.id
  description       = "HTTPS to AWS APIs"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}
