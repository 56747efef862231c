"""Check GitHub Actions workflows against the project's supply-chain and permission rules.

The rules:

* every remote ``uses:`` names a full 40-character commit SHA followed by a
  ``# vX.Y.Z`` comment, and a ``docker://`` image is pinned by digest;
* the workflow's top-level ``permissions`` is exactly ``contents: read``;
* ``id-token: write`` appears only on jobs that assume an AWS role with
  aws-actions/configure-aws-credentials (or call a local reusable workflow that does);
* ``pull-requests: write`` appears only on jobs that comment with actions/github-script
  (or call a local reusable workflow that does), and no job requests any other write
  permission;
* no workflow runs on ``pull_request_target``;
* a job that runs ``terraform apply`` has an ``environment`` and a concurrency group
  that does not cancel a run in progress, and only such jobs name an environment;
* no workflow reads stored AWS access keys.

Command line::

    python scripts/workflow_policy.py .github/workflows/*.yml
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

AWS_CREDENTIALS_ACTION = "aws-actions/configure-aws-credentials"
COMMENT_ACTION = "actions/github-script"
# A write permission is allowed on a job only when the job uses the matching action.
WRITE_PERMISSION_ACTIONS = {
    "id-token": AWS_CREDENTIALS_ACTION,
    "pull-requests": COMMENT_ACTION,
}

USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<value>[^\s#]+)\s*(?:#\s*(?P<comment>.*))?$")
PINNED_REFERENCE = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"^v\d+\.\d+\.\d+$")
DOCKER_DIGEST = re.compile(r"^docker://[^@\s]+@sha256:[0-9a-f]{64}$")
TERRAFORM_APPLY = re.compile(r"\bterraform\b[^\n]*\sapply\b")
STORED_AWS_KEYS = re.compile(
    r"secrets\.AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN)|aws-(access-key-id|secret-access-key)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Violation:
    path: Path
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def load_workflow(path: Path) -> dict[str, Any]:
    """Parse a workflow file, or raise ValueError when it is not a YAML mapping."""
    document = yaml.safe_load(path.read_text())
    if not isinstance(document, dict):
        raise ValueError(f"{path} is not a YAML mapping")
    return document


def triggers(workflow: dict[str, Any]) -> set[str]:
    """Return the event names of a workflow's ``on`` key (YAML 1.1 reads ``on`` as True)."""
    raw = workflow.get("on", workflow.get(True))
    if isinstance(raw, str):
        return {raw}
    if isinstance(raw, list):
        return {str(event) for event in raw}
    if isinstance(raw, dict):
        return {str(event) for event in raw}
    return set()


def step_actions(job: dict[str, Any]) -> list[str]:
    """Return the ``uses`` value of every step of a job, without its ref."""
    actions = []
    for step in job.get("steps") or []:
        if isinstance(step, dict) and isinstance(step.get("uses"), str):
            actions.append(step["uses"].split("@", 1)[0])
    return actions


def job_actions(job: dict[str, Any], workflow_dir: Path) -> set[str]:
    """Return the actions a job uses, including those of a local reusable workflow it calls."""
    actions = set(step_actions(job))
    called = job.get("uses")
    if isinstance(called, str) and called.startswith("./"):
        called_path = workflow_dir / Path(called).name
        if called_path.is_file():
            for called_job in (load_workflow(called_path).get("jobs") or {}).values():
                actions.update(step_actions(called_job))
    return actions


def check_uses_lines(path: Path, text: str) -> Iterator[Violation]:
    for number, line in enumerate(text.splitlines(), start=1):
        match = USES_LINE.match(line)
        if not match:
            continue
        value = match.group("value").strip("'\"")
        comment = (match.group("comment") or "").strip()
        if value.startswith("./"):
            continue
        if value.startswith("docker://"):
            if not DOCKER_DIGEST.match(value):
                yield Violation(path, f"line {number}: {value} must be pinned by @sha256 digest")
            continue
        if not PINNED_REFERENCE.match(value):
            yield Violation(path, f"line {number}: {value} is not pinned to a full commit SHA")
        elif not VERSION_COMMENT.match(comment):
            yield Violation(
                path, f"line {number}: {value} needs a '# vX.Y.Z' comment naming its version"
            )


def all_uses_values(workflow: dict[str, Any]) -> Iterator[str]:
    for job in (workflow.get("jobs") or {}).values():
        if isinstance(job.get("uses"), str):
            yield job["uses"]
        for step in job.get("steps") or []:
            if isinstance(step, dict) and isinstance(step.get("uses"), str):
                yield step["uses"]


def check_job_permissions(
    path: Path, name: str, job: dict[str, Any], actions: set[str]
) -> Iterator[Violation]:
    permissions = job.get("permissions")
    if permissions is None:
        return
    if not isinstance(permissions, dict):
        yield Violation(path, f"job {name}: permissions must list scopes, not {permissions!r}")
        return
    for scope, level in permissions.items():
        if level != "write":
            continue
        required_action = WRITE_PERMISSION_ACTIONS.get(scope)
        if required_action is None:
            yield Violation(path, f"job {name}: {scope}: write is not allowed in any job")
        elif required_action not in actions:
            yield Violation(
                path, f"job {name}: {scope}: write is only for jobs that use {required_action}"
            )


def runs_terraform_apply(job: dict[str, Any]) -> bool:
    steps = job.get("steps") or []
    return any(
        isinstance(step, dict) and TERRAFORM_APPLY.search(str(step.get("run", "")))
        for step in steps
    )


def check_apply_job(path: Path, name: str, job: dict[str, Any]) -> Iterator[Violation]:
    applies = runs_terraform_apply(job)
    if not applies:
        if "environment" in job:
            yield Violation(
                path, f"job {name}: only jobs that run terraform apply may name an environment"
            )
        return
    if not job.get("environment"):
        yield Violation(path, f"job {name}: runs terraform apply without an environment")
    concurrency = job.get("concurrency")
    if not isinstance(concurrency, dict) or not concurrency.get("group"):
        yield Violation(path, f"job {name}: runs terraform apply without a concurrency group")
    elif concurrency.get("cancel-in-progress") not in (None, False):
        yield Violation(path, f"job {name}: an apply must never be cancelled by a newer run")


def check_workflow(path: Path) -> list[Violation]:
    """Return every rule the workflow file breaks; an empty list means it passes."""
    text = path.read_text()
    workflow = load_workflow(path)
    violations = list(check_uses_lines(path, text))

    # A flow-style mapping such as `- {uses: x@v1}` hides a reference from the line check.
    line_values = {
        match.group("value").strip("'\"")
        for match in map(USES_LINE.match, text.splitlines())
        if match
    }
    for value in all_uses_values(workflow):
        if value not in line_values:
            violations.append(Violation(path, f"uses: {value} must be on a line of its own"))

    if workflow.get("permissions") != {"contents": "read"}:
        violations.append(Violation(path, "top-level permissions must be exactly {contents: read}"))
    if "pull_request_target" in triggers(workflow):
        violations.append(Violation(path, "pull_request_target runs fork code with secrets"))
    if STORED_AWS_KEYS.search(text):
        violations.append(Violation(path, "stored AWS keys are not allowed; assume a role (OIDC)"))

    for name, job in (workflow.get("jobs") or {}).items():
        actions = job_actions(job, path.parent)
        violations.extend(check_job_permissions(path, name, job, actions))
        violations.extend(check_apply_job(path, name, job))
    return violations


def check_workflows(paths: Iterable[Path]) -> list[Violation]:
    return [violation for path in paths for violation in check_workflow(path)]


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: workflow_policy.py WORKFLOW.yml...", file=sys.stderr)
        return 2
    violations = check_workflows(Path(argument) for argument in argv)
    for violation in violations:
        print(violation, file=sys.stderr)
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
