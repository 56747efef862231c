"""Run Terraform offline, and apply the local root (terraform/environments/local) to moto.

Terraform takes its AWS provider from the filesystem mirror that TF_PLUGIN_DIR names
(``terraform init -plugin-dir``), so nothing is downloaded. ``LocalRoot`` builds the
functions' zips, applies the local root to the emulator and returns the same
``Resources`` that ``localaws.provision`` returns, so the stack and the tests can use
the Terraform-created bus and queues in its place.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from localaws import DEFAULT_REGION, ResourceNames, Resources, make_client
from package_functions import build

ROOT = Path(__file__).resolve().parent.parent
TERRAFORM_DIR = ROOT / "terraform"
LOCAL_ROOT = TERRAFORM_DIR / "environments" / "local"
# Creates the state bucket and the GitHub roles before the first deploy; no backend.
BOOTSTRAP_DIR = TERRAFORM_DIR / "bootstrap"
COMMAND_TIMEOUT_SECONDS = 600
# The functions the local root deploys to the emulator (it has no authorizer).
LOCAL_ROOT_FUNCTIONS = ("subscriber", "graphql_api")


class TerraformError(RuntimeError):
    """A terraform command failed; the message contains the end of its output."""


def terraform_unavailable() -> str | None:
    """Return why Terraform cannot run offline here, or None when it can."""
    if shutil.which("terraform") is None:
        return "terraform is not on PATH; install Terraform 1.11 or later"
    plugin_dir = os.environ.get("TF_PLUGIN_DIR")
    if not plugin_dir or not Path(plugin_dir).is_dir():
        return (
            "TF_PLUGIN_DIR does not name a provider mirror folder; set it to a folder with "
            "registry.terraform.io/hashicorp/aws inside"
        )
    return None


class Terraform:
    """Runs terraform offline, with a data directory per configuration outside the repository."""

    def __init__(self, work_dir: Path, executable: str = "", plugin_dir: str = "") -> None:
        problem = terraform_unavailable() if not (executable and plugin_dir) else None
        if problem:
            raise TerraformError(problem)
        self.executable = executable or str(shutil.which("terraform"))
        self.plugin_dir = plugin_dir or os.environ["TF_PLUGIN_DIR"]
        self.work_dir = work_dir
        work_dir.mkdir(parents=True, exist_ok=True)
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
        """Run terraform in `directory`; with `check`, raise TerraformError if it fails."""
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
            raise TerraformError(
                f"terraform {' '.join(arguments)} in {directory} failed "
                f"(exit code {result.returncode}):\n"
                f"{result.stdout[-6000:]}\n{result.stderr[-6000:]}"
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


class LocalRoot:
    """The local root applied to an emulator, with its state kept in `work_dir`."""

    def __init__(self, terraform: Terraform, endpoint_url: str, name_prefix: str) -> None:
        self.terraform = terraform
        self.endpoint_url = endpoint_url
        self.work_dir = terraform.work_dir / f"local-{name_prefix}"
        self.packages_dir = self.work_dir / "packages"
        self.state = self.work_dir / "terraform.tfstate"
        self.variables = [
            f"-var=endpoint={endpoint_url}",
            f"-var=packages_dir={self.packages_dir}",
            f"-var=name_prefix={name_prefix}",
        ]
        self._data_dir: Path | None = None

    def apply(self) -> dict[str, Any]:
        """Build the zips, apply the root and return its outputs by name."""
        for function in LOCAL_ROOT_FUNCTIONS:
            build(function, self.packages_dir)
        self._data_dir = self.terraform.init(
            LOCAL_ROOT, "-reconfigure", f"-backend-config=path={self.state}"
        )
        self.terraform.run(
            LOCAL_ROOT, "apply", "-auto-approve", *self.variables, data_dir=self._data_dir
        )
        return self.outputs()

    def outputs(self) -> dict[str, Any]:
        output = self.terraform.run(LOCAL_ROOT, "output", "-json", data_dir=self._data_dir).stdout
        return {name: value["value"] for name, value in json.loads(output).items()}

    def destroy(self) -> None:
        """Destroy everything the root created; raise TerraformError if anything is left."""
        if self._data_dir is None:
            return
        self.terraform.run(
            LOCAL_ROOT, "destroy", "-auto-approve", *self.variables, data_dir=self._data_dir
        )
        left = json.loads(self.state.read_text())["resources"]
        if left:
            raise TerraformError(f"terraform destroy left {len(left)} resources in {self.state}")

    def forget(self) -> None:
        """Drop the state of an emulator that is gone, so the next apply starts afresh."""
        self.state.unlink(missing_ok=True)


def resources_from_outputs(
    outputs: dict[str, Any], endpoint_url: str, region: str = DEFAULT_REGION
) -> Resources:
    """Describe the local root's bus and queues as ``Resources``, reading settings from SQS."""
    sqs = make_client("sqs", endpoint_url, region)
    queue = sqs.get_queue_attributes(
        QueueUrl=outputs["queue_url"], AttributeNames=["RedrivePolicy", "VisibilityTimeout"]
    )["Attributes"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=outputs["dlq_url"], AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    rule_names, rule_arns = outputs["rule_names"], outputs["rule_arns"]
    return Resources(
        endpoint_url=endpoint_url,
        region=region,
        names=ResourceNames(
            bus=outputs["bus_name"],
            queue=outputs["queue_url"].rsplit("/", 1)[-1],
            dlq=outputs["dlq_url"].rsplit("/", 1)[-1],
            application_rule=rule_names["application-events"],
            aws_rule=rule_names["aws-cloudtrail-events"],
        ),
        bus_arn=outputs["bus_arn"],
        application_rule_arn=rule_arns["application-events"],
        aws_rule_arn=rule_arns["aws-cloudtrail-events"],
        queue_url=outputs["queue_url"],
        queue_arn=outputs["queue_arn"],
        dlq_url=outputs["dlq_url"],
        dlq_arn=dlq_arn,
        max_receive_count=int(json.loads(queue["RedrivePolicy"])["maxReceiveCount"]),
        visibility_timeout_seconds=int(queue["VisibilityTimeout"]),
    )
