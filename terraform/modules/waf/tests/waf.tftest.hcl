# Plans the module against a mocked AWS provider: no credentials, no network.

mock_provider "aws" {
  override_during = plan
}

override_resource {
  override_during = plan
  target          = aws_wafv2_web_acl.this
  values          = { arn = "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/audit-log-test/mocked" }
}

override_resource {
  override_during = plan
  target          = aws_cloudwatch_log_group.this
  values          = { arn = "arn:aws:logs:us-east-1:123456789012:log-group:aws-waf-logs-audit-log-test" }
}

variables {
  name         = "audit-log-test"
  resource_arn = "arn:aws:appsync:us-east-1:123456789012:apis/mockedapi"
}

run "associated_with_api" {
  command = plan

  assert {
    condition     = aws_wafv2_web_acl_association.this.resource_arn == "arn:aws:appsync:us-east-1:123456789012:apis/mockedapi"
    error_message = "The web ACL must be associated with the AppSync API."
  }

  assert {
    condition     = aws_wafv2_web_acl_association.this.web_acl_arn == aws_wafv2_web_acl.this.arn
    error_message = "The association must use the module's web ACL."
  }

  assert {
    condition     = aws_wafv2_web_acl.this.scope == "REGIONAL"
    error_message = "AppSync needs a regional web ACL."
  }
}

run "managed_groups_and_rate_limit" {
  command = plan

  variables {
    rate_limit = 500
  }

  assert {
    condition     = length([for rule in aws_wafv2_web_acl.this.rule : rule if length(rule.statement[0].managed_rule_group_statement) == 1]) == 3
    error_message = "The three default managed rule groups must be present."
  }

  assert {
    condition     = one([for rule in aws_wafv2_web_acl.this.rule : rule.statement[0].rate_based_statement[0].limit if length(rule.statement[0].rate_based_statement) == 1]) == 500
    error_message = "The rate-based rule must use the given limit."
  }

  assert {
    condition     = length(distinct([for rule in aws_wafv2_web_acl.this.rule : rule.priority])) == length(aws_wafv2_web_acl.this.rule)
    error_message = "Every rule must have its own priority."
  }
}

run "logs_without_tokens" {
  command = plan

  assert {
    condition     = startswith(aws_cloudwatch_log_group.this.name, "aws-waf-logs-")
    error_message = "WAF only logs to groups named aws-waf-logs-*."
  }

  assert {
    condition     = aws_wafv2_web_acl_logging_configuration.this.redacted_fields[0].single_header[0].name == "authorization"
    error_message = "The Authorization header must be redacted."
  }
}

run "non_appsync_resource_rejected" {
  command = plan

  variables {
    resource_arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/x/1"
  }

  expect_failures = [var.resource_arn]
}
