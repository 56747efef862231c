"""The Markdown summary of a saved Terraform plan (scripts/plan_summary.py)."""

from __future__ import annotations

import json

from plan_summary import MAX_ROWS, main, marker, summarise


def resource_change(address: str, *actions: str) -> dict:
    return {"address": address, "change": {"actions": list(actions)}}


PLAN = {
    "resource_changes": [
        resource_change("aws_s3_bucket.bundle", "create"),
        resource_change("aws_lambda_function.this", "update"),
        resource_change("aws_security_group.this", "delete", "create"),
        resource_change("aws_iam_role.old", "delete"),
        resource_change("aws_kms_key.service", "no-op"),
        resource_change("data.aws_region.current", "read"),
    ]
}


def test_summary_counts_each_action():
    summary = summarise(PLAN, "prod")
    assert "### Terraform plan: prod" in summary
    assert "1 to create, 1 to update, 1 to replace, 1 to delete." in summary


def test_summary_lists_changed_addresses_only():
    summary = summarise(PLAN, "prod")
    assert "| replace | `aws_security_group.this` |" in summary
    assert "aws_kms_key.service" not in summary
    assert "data.aws_region.current" not in summary


def test_summary_without_changes():
    summary = summarise({"resource_changes": [resource_change("a.b", "no-op")]}, "dev")
    assert "No changes." in summary
    assert "|" not in summary


def test_summary_marker_first_line():
    summary = summarise(PLAN, "staging", with_marker=True)
    assert summary.splitlines()[0] == marker("staging") == "<!-- terraform-plan: staging -->"


def test_summary_caps_table_rows():
    many = {"resource_changes": [resource_change(f"r.n{i}", "create") for i in range(MAX_ROWS + 5)]}
    summary = summarise(many, "dev")
    assert summary.count("| create |") == MAX_ROWS
    assert "and 5 more" in summary


def test_command_prints_summary(tmp_path, capsys):
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(PLAN))
    assert main([str(path), "--environment", "dev"]) == 0
    assert "1 to delete." in capsys.readouterr().out
