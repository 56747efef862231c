"""Terraform checks: formatting, validation of every module and root, module tests, local apply.

Everything runs offline: providers come from the filesystem mirror named by TF_PLUGIN_DIR
(``terraform init -plugin-dir``), the module tests use a mocked AWS provider, and the
local root is applied to the session's moto server. Without terraform on PATH or without
TF_PLUGIN_DIR the tests are skipped.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from localaws import LocalAws, count_messages
from localpg import free_port
from poller import SqsPoller
from publish import put_events
from samples import valid_detail
from terraform_local import (
    BOOTSTRAP_DIR,
    TERRAFORM_DIR,
    LocalRoot,
    Terraform,
    resources_from_outputs,
    terraform_unavailable,
)

pytestmark = pytest.mark.integration

MODULES = sorted(path.name for path in (TERRAFORM_DIR / "modules").iterdir() if path.is_dir())
ROOTS = sorted(path.name for path in (TERRAFORM_DIR / "environments").iterdir() if path.is_dir())
TESTED_MODULES = [name for name in MODULES if (TERRAFORM_DIR / "modules" / name / "tests").is_dir()]


@pytest.fixture(scope="session")
def terraform(tmp_path_factory: pytest.TempPathFactory) -> Terraform:
    problem = terraform_unavailable()
    if problem:
        pytest.skip(problem)
    return Terraform(tmp_path_factory.mktemp("terraform"))


def test_terraform_files_formatted(terraform):
    result = terraform.run(TERRAFORM_DIR, "fmt", "-check", "-recursive", "-diff", check=False)
    assert result.returncode == 0, f"run terraform fmt -recursive terraform:\n{result.stdout}"


@pytest.mark.parametrize("module", MODULES)
def test_module_validates(terraform, module):
    directory = TERRAFORM_DIR / "modules" / module
    data_dir = terraform.init(directory, "-backend=false")
    terraform.run(directory, "validate", data_dir=data_dir)


@pytest.mark.parametrize("root", ROOTS)
def test_root_validates(terraform, root):
    directory = TERRAFORM_DIR / "environments" / root
    data_dir = terraform.init(directory, "-backend=false")
    terraform.run(directory, "validate", data_dir=data_dir)


@pytest.mark.parametrize("module", TESTED_MODULES)
def test_module_terraform_tests_pass(terraform, module):
    directory = TERRAFORM_DIR / "modules" / module
    data_dir = terraform.init(directory, "-backend=false")
    result = terraform.run(directory, "test", data_dir=data_dir)
    assert "0 failed" in result.stdout


def test_bootstrap_validates(terraform):
    data_dir = terraform.init(BOOTSTRAP_DIR, "-backend=false")
    terraform.run(BOOTSTRAP_DIR, "validate", data_dir=data_dir)


def test_bootstrap_terraform_tests_pass(terraform):
    data_dir = terraform.init(BOOTSTRAP_DIR, "-backend=false")
    result = terraform.run(BOOTSTRAP_DIR, "test", data_dir=data_dir)
    assert "0 failed" in result.stdout


# -- the local root on the emulator ---------------------------------------------------------


@pytest.fixture(scope="module")
def moto_aws(local_aws) -> Iterator[LocalAws]:
    """The session's emulator when it is moto, else a moto server of this module's own.

    The local root creates AppSync and WAF resources, which LocalStack's community image
    does not emulate, so the root is applied to moto even when AWS_ENDPOINT_URL names
    LocalStack (as in CI).
    """
    if local_aws.owns_server:
        yield local_aws
        return
    emulator = LocalAws(port=free_port(), use_environment_endpoint=False)
    emulator.start()
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture(scope="module")
def applied_local_root(terraform, moto_aws) -> Any:
    """The local root applied to the module's moto server; destroyed after the module."""
    root = LocalRoot(terraform, moto_aws.endpoint_url, name_prefix=f"tf-{uuid.uuid4().hex[:8]}")
    try:
        yield root.apply()
    finally:
        root.destroy()


def test_local_root_stores_published_events(applied_local_root, moto_aws, subscriber, audit_db):
    outputs = applied_local_root
    events_client = moto_aws.client("events")
    sqs_client = moto_aws.client("sqs")
    details = [
        valid_detail(eventId=f"evt-tf-{number}", tenantId="tenant-tf") for number in range(3)
    ]
    put_events(
        events_client,
        outputs["bus_name"],
        [("com.example.billing", "Invoice Paid", detail) for detail in details],
    )
    poller = SqsPoller(
        sqs_client,
        outputs["queue_url"],
        outputs["queue_arn"],
        subscriber.handler.lambda_handler,
        wait_time_seconds=1,
    )
    deadline = time.monotonic() + 60
    stored = 0
    while stored < len(details) and time.monotonic() < deadline:
        poller.poll_once()
        stored = audit_db.scalar("SELECT count(*) FROM audit.events WHERE tenant_id = 'tenant-tf'")

    assert stored == len(details)
    assert count_messages(sqs_client, outputs["queue_url"]) == 0
    assert count_messages(sqs_client, outputs["dlq_url"]) == 0
    assert count_messages(sqs_client, outputs["delivery_dlq_url"]) == 0


def test_local_root_creates_emulated_resources(applied_local_root, moto_aws):
    outputs = applied_local_root
    functions = moto_aws.client("lambda")
    for name in outputs["function_names"].values():
        assert functions.get_function(FunctionName=name)["Configuration"]["State"] == "Active"
    mappings = [
        mapping
        for mapping in functions.list_event_source_mappings()["EventSourceMappings"]
        if mapping["EventSourceArn"] == outputs["queue_arn"]
    ]
    assert len(mappings) == 1
    assert mappings[0]["FunctionArn"].endswith(outputs["function_names"]["subscriber"])
    secrets = moto_aws.client("secretsmanager")
    cursor = json.loads(
        secrets.get_secret_value(SecretId=outputs["secret_arns"]["cursor_key"])["SecretString"]
    )
    assert len(cursor["key"]) == 64
    resources = resources_from_outputs(outputs, moto_aws.endpoint_url)
    assert resources.queue_arn == outputs["queue_arn"]
    assert resources.dlq_arn.endswith(resources.names.dlq)
    assert resources.max_receive_count == 5
    assert resources.visibility_timeout_seconds == 180
    acl = moto_aws.client("wafv2").list_web_acls(Scope="REGIONAL")["WebACLs"]
    assert outputs["web_acl_arn"] in [entry["ARN"] for entry in acl]
