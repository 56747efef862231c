"""Summarise a saved Terraform plan as Markdown, for a job summary or a pull request comment.

Reads the JSON of ``terraform show -json PLANFILE`` and prints the count of resources to
create, update, replace and delete, and a table of the changed resource addresses. It
prints no attribute values, so the summary contains nothing that the plan marks sensitive.

Command line::

    terraform -chdir=terraform/environments/dev show -json tfplan > plan.json
    python scripts/plan_summary.py plan.json --environment dev [--marker]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# Terraform's action lists, as they appear in resource_changes[].change.actions.
ACTION_NAMES = {
    ("create",): "create",
    ("update",): "update",
    ("delete",): "delete",
    ("delete", "create"): "replace",
    ("create", "delete"): "replace",
    ("read",): "read",
    ("no-op",): "no-op",
}
SHOWN_ACTIONS = ("create", "update", "replace", "delete")
MAX_ROWS = 200


def marker(environment: str) -> str:
    """Return the hidden line that identifies this environment's pull request comment."""
    return f"<!-- terraform-plan: {environment} -->"


def changed_resources(plan: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Return (action, address) of every resource the plan creates, updates or deletes."""
    changes = []
    for resource in plan.get("resource_changes") or []:
        actions = tuple(resource["change"]["actions"])
        action = ACTION_NAMES.get(actions, "+".join(actions))
        if action in SHOWN_ACTIONS:
            changes.append((action, resource["address"]))
    return changes


def summarise(plan: Mapping[str, Any], environment: str, *, with_marker: bool = False) -> str:
    """Return the Markdown summary of a plan's JSON representation."""
    changes = changed_resources(plan)
    counts = Counter(action for action, _ in changes)
    lines = [marker(environment)] if with_marker else []
    lines.append(f"### Terraform plan: {environment}")
    lines.append("")
    if not changes:
        lines.append("No changes.")
    else:
        lines.append(
            f"{counts['create']} to create, {counts['update']} to update, "
            f"{counts['replace']} to replace, {counts['delete']} to delete."
        )
        lines.append("")
        lines.append("| action | resource |")
        lines.append("|---|---|")
        for action, address in changes[:MAX_ROWS]:
            lines.append(f"| {action} | `{address}` |")
        if len(changes) > MAX_ROWS:
            lines.append(f"| | and {len(changes) - MAX_ROWS} more |")
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("plan_json", type=Path, help="output of terraform show -json PLANFILE")
    parser.add_argument("--environment", required=True, help="environment name for the heading")
    parser.add_argument(
        "--marker", action="store_true", help="start with the pull request comment's marker line"
    )
    args = parser.parse_args(argv)
    plan = json.loads(args.plan_json.read_text())
    sys.stdout.write(summarise(plan, args.environment, with_marker=args.marker))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
