"""The workflows follow the pinning and permission rules of scripts/workflow_policy.py."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml
from workflow_policy import check_workflow

WORKFLOW_DIR = Path(__file__).resolve().parents[2] / ".github" / "workflows"
WORKFLOWS = sorted(WORKFLOW_DIR.glob("*.yml"))

CHECKOUT = "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2"
AWS_CREDENTIALS = (
    "aws-actions/configure-aws-credentials@e3dd6a429d7300a6a4c196c26e071d42e0343502 # v4.0.2"
)

GOOD_WORKFLOW = f"""
name: example
on:
  push:
permissions:
  contents: read
jobs:
  apply:
    runs-on: ubuntu-24.04
    environment: dev
    concurrency:
      group: deploy-dev
    permissions:
      contents: read
      id-token: write
    steps:
      - uses: {CHECKOUT}
      - uses: {AWS_CREDENTIALS}
        with:
          role-to-assume: arn:aws:iam::123456789012:role/deploy
          aws-region: eu-west-1
      - run: terraform apply tfplan
"""


def write_workflow(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "workflow.yml"
    path.write_text(textwrap.dedent(text))
    return path


def messages(tmp_path: Path, text: str) -> list[str]:
    return [violation.message for violation in check_workflow(write_workflow(tmp_path, text))]


def test_repository_has_workflows():
    names = {path.name for path in WORKFLOWS}
    assert {"ci.yml", "deploy.yml", "deploy-environment.yml"} <= names


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_workflow_follows_policy(path):
    assert [str(violation) for violation in check_workflow(path)] == []


def test_aws_jobs_request_id_token():
    deploy = yaml.safe_load((WORKFLOW_DIR / "deploy-environment.yml").read_text())
    for name, job in deploy["jobs"].items():
        uses = [step.get("uses", "") for step in job["steps"]]
        if any(value.startswith("aws-actions/configure-aws-credentials@") for value in uses):
            assert job["permissions"]["id-token"] == "write", name


def test_apply_job_gated_by_environment():
    deploy = yaml.safe_load((WORKFLOW_DIR / "deploy-environment.yml").read_text())
    apply = deploy["jobs"]["apply"]
    assert apply["environment"]["name"] == "${{ inputs.environment }}"
    assert apply["concurrency"]["group"] == "deploy-${{ inputs.environment }}"
    assert apply["concurrency"]["cancel-in-progress"] is False


def test_environments_deployed_in_order():
    deploy = yaml.safe_load((WORKFLOW_DIR / "deploy.yml").read_text())
    jobs = deploy["jobs"]
    assert jobs["deploy-dev"]["with"]["environment"] == "dev"
    assert jobs["deploy-staging"]["needs"] == ["build", "deploy-dev"]
    assert jobs["deploy-prod"]["needs"] == ["build", "deploy-staging"]


def test_policy_accepts_good_example(tmp_path):
    assert messages(tmp_path, GOOD_WORKFLOW) == []


def test_policy_rejects_tag_reference(tmp_path):
    bad = GOOD_WORKFLOW.replace(CHECKOUT, "actions/checkout@v4")
    assert messages(tmp_path, bad) == [
        "line 17: actions/checkout@v4 is not pinned to a full commit SHA"
    ]


def test_policy_rejects_short_sha(tmp_path):
    bad = GOOD_WORKFLOW.replace(CHECKOUT, "actions/checkout@11bd719 # v4.2.2")
    assert len(messages(tmp_path, bad)) == 1


def test_policy_rejects_sha_without_version(tmp_path):
    bad = GOOD_WORKFLOW.replace(" # v4.2.2", "")
    assert messages(tmp_path, bad) == [
        "line 17: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683"
        " needs a '# vX.Y.Z' comment naming its version"
    ]


def test_policy_rejects_flow_style_uses(tmp_path):
    bad = GOOD_WORKFLOW.replace(f"- uses: {CHECKOUT}", "- {uses: actions/checkout@v4}")
    assert messages(tmp_path, bad) == ["uses: actions/checkout@v4 must be on a line of its own"]


def test_policy_rejects_docker_tag(tmp_path):
    bad = GOOD_WORKFLOW.replace(CHECKOUT, "docker://alpine:3.20")
    assert messages(tmp_path, bad) == [
        "line 17: docker://alpine:3.20 must be pinned by @sha256 digest"
    ]


def test_policy_rejects_write_all(tmp_path):
    bad = GOOD_WORKFLOW.replace("permissions:\n  contents: read", "permissions: write-all", 1)
    assert messages(tmp_path, bad) == ["top-level permissions must be exactly {contents: read}"]


def test_policy_rejects_id_token_without_aws(tmp_path):
    bad = GOOD_WORKFLOW.replace(f"- uses: {AWS_CREDENTIALS}", f"- uses: {CHECKOUT}").replace(
        "        with:\n          role-to-assume: arn:aws:iam::123456789012:role/deploy\n"
        "          aws-region: eu-west-1\n",
        "",
    )
    assert messages(tmp_path, bad) == [
        "job apply: id-token: write is only for jobs that use aws-actions/configure-aws-credentials"
    ]


def test_policy_rejects_pull_requests_write_without_comment(tmp_path):
    bad = GOOD_WORKFLOW.replace(
        "      id-token: write", "      id-token: write\n      pull-requests: write"
    )
    assert messages(tmp_path, bad) == [
        "job apply: pull-requests: write is only for jobs that use actions/github-script"
    ]


def test_policy_rejects_contents_write(tmp_path):
    bad = GOOD_WORKFLOW.replace("      contents: read", "      contents: write")
    assert messages(tmp_path, bad) == ["job apply: contents: write is not allowed in any job"]


def test_policy_rejects_pull_request_target(tmp_path):
    bad = GOOD_WORKFLOW.replace("  push:", "  pull_request_target:")
    assert messages(tmp_path, bad) == ["pull_request_target runs fork code with secrets"]


def test_policy_rejects_stored_keys(tmp_path):
    bad = GOOD_WORKFLOW.replace(
        "role-to-assume: arn:aws:iam::123456789012:role/deploy",
        "aws-access-key-id: ${{ secrets.AWS_ACCESS_KEY_ID }}",
    )
    assert messages(tmp_path, bad) == ["stored AWS keys are not allowed; assume a role (OIDC)"]


def test_policy_rejects_apply_without_environment(tmp_path):
    bad = GOOD_WORKFLOW.replace("    environment: dev\n", "")
    assert messages(tmp_path, bad) == ["job apply: runs terraform apply without an environment"]


def test_policy_rejects_apply_without_concurrency(tmp_path):
    bad = GOOD_WORKFLOW.replace("    concurrency:\n      group: deploy-dev\n", "")
    assert messages(tmp_path, bad) == [
        "job apply: runs terraform apply without a concurrency group"
    ]


def test_policy_rejects_cancelled_apply(tmp_path):
    bad = GOOD_WORKFLOW.replace(
        "      group: deploy-dev\n", "      group: deploy-dev\n      cancel-in-progress: true\n"
    )
    assert messages(tmp_path, bad) == ["job apply: an apply must never be cancelled by a newer run"]


def test_policy_rejects_environment_on_plan_job(tmp_path):
    bad = GOOD_WORKFLOW.replace("terraform apply tfplan", "terraform plan -out=tfplan")
    assert messages(tmp_path, bad) == [
        "job apply: only jobs that run terraform apply may name an environment"
    ]


def test_policy_follows_local_reusable_workflow(tmp_path):
    (tmp_path / "called.yml").write_text(textwrap.dedent(GOOD_WORKFLOW))
    caller = """
    on: push
    permissions:
      contents: read
    jobs:
      deploy:
        uses: ./.github/workflows/called.yml
        permissions:
          contents: read
          id-token: write
    """
    assert messages(tmp_path, caller) == []
