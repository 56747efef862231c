"""Terraform checks: formatting, validation of every module and root, module tests, local apply.

Everything runs offline: providers come from the filesystem mirror named by TF_PLUGIN_DIR
(``terraform init -plugin-dir``), the module tests use a mocked AWS provider, and the
local root is applied to the session's moto server. Without terraform on PATH or without
TF_PLUGIN_DIR the tests are skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from localaws import LocalAws, count_messages
from localpg import free_port
from package_functions import build
from poller import SqsPoller
from publish import put_events
from samples import valid_detail

pytestmark = pytest.mark.integration

REPOSITORY = Path(__file__).resolve().parents[2]
TERRAFORM_DIR = REPOSITORY / "terraform"
MODULES = sorted(path.name for path in (TERRAFORM_DIR / "modules").iterdir() if path.is_dir())
ROOTS = sorted(path.name for path in (TERRAFORM_DIR / "environments").iterdir() if path.is_dir())
TESTED_MODULES = [name for name in MODULES if (TERRAFORM_DIR / "modules" / name / "tests").is_dir()]
# Creates the state bucket and the GitHub roles before the first deploy; no backend.
BOOTSTRAP_DIR = TERRAFORM_DIR / "bootstrap"
COMMAND_TIMEOUT_SECONDS = 600


class Terraform:
    """Runs terraform offline, with a data directory per configuration outside the repository."""

    def __init__(self, executable: str, plugin_dir: str, work_dir: Path) -> None:
        self.executable = executable
        self.plugin_dir = plugin_dir
        self.work_dir = work_dir
        self._initialised: dict[tuple[Path, tuple[str, ...]], Path] = {}
        cli_config = work_dir / "terraformrc"
        cli_config.write_text("disable_checkpoint = true\n")
        self.environment = {
            **os.environ,
            "TF_CLI_CONFIG_FILE": str(cli_config),
            "CHECKPOINT_DISABLE": "1",
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    def run(
        self, directory: Path, *arguments: str, data_dir: Path | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        environment = dict(self.environment)
        if data_dir is not None:
            environment["TF_DATA_DIR"] = str(data_dir)
        result = subprocess.run(
            [self.executable, f"-chdir={directory}", *arguments, "-no-color"],
            capture_output=True,
            text=True,
            env=environment,
            timeout=COMMAND_TIMEOUT_SECONDS,
            check=False,
        )
        if check and result.returncode != 0:
            pytest.fail(
                f"terraform {' '.join(arguments)} in {directory} failed "
                f"(exit code {result.returncode}):\n{result.stdout[-6000:]}\n{result.stderr[-6000:]}"
            )
        return result

    def init(self, directory: Path, *extra: str) -> Path:
        """Initialise from the plugin mirror once; return the data directory to use with it."""
        key = (directory, extra)
        if key in self._initialised:
            return self._initialised[key]
        relative = directory.relative_to(TERRAFORM_DIR)
        data_dir = self.work_dir / "data" / str(relative).replace("/", "_")
        arguments = ["init", "-input=false", f"-plugin-dir={self.plugin_dir}", *extra]
        # A root's committed lock file must already match the mirror.
        if directory.parent.name == "environments" or directory == BOOTSTRAP_DIR:
            arguments.append("-lockfile=readonly")
        self.run(directory, *arguments, data_dir=data_dir)
        self._initialised[key] = data_dir
        return data_dir


@pytest.fixture(scope="session")
def terraform(tmp_path_factory: pytest.TempPathFactory) -> Terraform:
    executable = shutil.which("terraform")
    if executable is None:
        pytest.skip("terraform is not on PATH; install Terraform 1.11 or later")
    plugin_dir = os.environ.get("TF_PLUGIN_DIR")
    if not plugin_dir or not Path(plugin_dir).is_dir():
        pytest.skip(
            "TF_PLUGIN_DIR does not name a provider mirror folder; set it to a folder with "
            "registry.terraform.io/hashicorp/aws inside (.ci/run finds one)"
        )
    return Terraform(executable, plugin_dir, tmp_path_factory.mktemp("terraform"))


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
def applied_local_root(terraform, moto_aws, tmp_path_factory) -> Any:
    """The local root applied to the session's moto server; destroyed after the module."""
    tmp_path = tmp_path_factory.mktemp("local-root")
    packages = tmp_path / "packages"
    for function in ("subscriber", "graphql_api"):
        build(function, packages)
    directory = TERRAFORM_DIR / "environments" / "local"
    state = tmp_path / "terraform.tfstate"
    data_dir = terraform.init(directory, "-reconfigure", f"-backend-config=path={state}")
    variables = [
        f"-var=endpoint={moto_aws.endpoint_url}",
        f"-var=packages_dir={packages}",
        f"-var=name_prefix=tf-{uuid.uuid4().hex[:8]}",
    ]
    terraform.run(directory, "apply", "-auto-approve", *variables, data_dir=data_dir)
    try:
        output = terraform.run(directory, "output", "-json", data_dir=data_dir).stdout
        yield {name: value["value"] for name, value in json.loads(output).items()}
    finally:
        terraform.run(directory, "destroy", "-auto-approve", *variables, data_dir=data_dir)
        assert json.loads(state.read_text())["resources"] == []


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
    acl = moto_aws.client("wafv2").list_web_acls(Scope="REGIONAL")["WebACLs"]
    assert outputs["web_acl_arn"] in [entry["ARN"] for entry in acl]
