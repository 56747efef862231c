"""Run the service's AWS side on this machine: a moto server and the resources on it.

``LocalAws`` starts ``python -m moto.server`` on 127.0.0.1 and stops it by PID. When
``AWS_ENDPOINT_URL`` is set and an emulator responds there (LocalStack in CI, for
example), it uses that one and starts nothing.

``provision`` creates, idempotently, what Terraform creates in AWS:

* the custom event bus with the ``application-events`` rule,
* the ``aws-cloudtrail-events`` rule on the default bus,
* the ingestion queue with a redrive policy to its dead-letter queue (DLQ),
* a queue policy that lets only those two rules send to the queue.

Both rules target the ingestion queue and read their patterns from
``terraform/event-patterns.json``. Every client uses dummy credentials, so boto3 never
looks for real ones.

Command line::

    python scripts/localaws.py up [--port 4566]    # start, provision, wait for Ctrl-C
    python scripts/localaws.py provision --endpoint-url http://127.0.0.1:4566
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from event_pattern import PATTERNS_FILE, load_patterns

logger = logging.getLogger(__name__)

DEFAULT_PORT = 4566
DEFAULT_REGION = "us-east-1"
DUMMY_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
APPLICATION_RULE = "application-events"
AWS_RULE = "aws-cloudtrail-events"
DEFAULT_MAX_RECEIVE_COUNT = 5
DEFAULT_VISIBILITY_TIMEOUT_SECONDS = 30
# The DLQ keeps messages for the SQS maximum of 14 days. For standard queues a moved
# message keeps its original enqueue time, so the SQS Developer Guide advises a DLQ
# retention longer than the source queue's (4 days by default).
DLQ_RETENTION_SECONDS = 14 * 24 * 3600


def port_in_use(port: int) -> bool:
    """Return True when something accepts TCP connections on 127.0.0.1:port."""
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def dummy_aws_environment(region: str = DEFAULT_REGION) -> dict[str, str]:
    """Return environment variables that keep boto3 off real credentials and metadata."""
    return {
        "AWS_ACCESS_KEY_ID": DUMMY_CREDENTIALS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": DUMMY_CREDENTIALS["aws_secret_access_key"],
        "AWS_DEFAULT_REGION": region,
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def make_client(service: str, endpoint_url: str, region: str = DEFAULT_REGION) -> Any:
    """Create a boto3 client for the emulator, with dummy credentials and bounded retries."""
    return boto3.client(
        service,
        endpoint_url=endpoint_url,
        region_name=region,
        config=Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5),
        **DUMMY_CREDENTIALS,
    )


def endpoint_responds(endpoint_url: str, timeout: float = 2.0) -> bool:
    """Return True when an HTTP server responds at the URL, whatever its status code."""
    try:
        # The URL is a local emulator chosen by the developer (http or https).
        with urllib.request.urlopen(endpoint_url, timeout=timeout):  # noqa: S310
            return True
    except urllib.error.HTTPError:
        return True
    except (urllib.error.URLError, OSError):
        return False


class LocalAws:
    """An AWS emulator for this machine: our own moto server, or the one at AWS_ENDPOINT_URL."""

    def __init__(
        self,
        port: int = DEFAULT_PORT,
        *,
        region: str = DEFAULT_REGION,
        log_path: str | os.PathLike[str] | None = None,
        startup_timeout_seconds: float = 30.0,
        use_environment_endpoint: bool = True,
    ) -> None:
        self.port = port
        self.region = region
        self.startup_timeout_seconds = startup_timeout_seconds
        self.use_environment_endpoint = use_environment_endpoint
        self.log_path = Path(log_path) if log_path else None
        self._owns_log = log_path is None
        self.endpoint_url: str | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._log_file: Any = None

    @property
    def owns_server(self) -> bool:
        """Whether this object started a moto server (and so stops it)."""
        return self._process is not None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self) -> str:
        """Start moto, or adopt the emulator at AWS_ENDPOINT_URL, and return the endpoint URL."""
        if self.endpoint_url:
            return self.endpoint_url
        external = os.environ.get("AWS_ENDPOINT_URL") if self.use_environment_endpoint else None
        if external:
            if not endpoint_responds(external):
                raise RuntimeError(
                    f"AWS_ENDPOINT_URL={external} is set but nothing responds there: "
                    "start that emulator, or unset AWS_ENDPOINT_URL to run moto on "
                    f"127.0.0.1:{self.port}"
                )
            logger.info("Using the AWS emulator at %s (from AWS_ENDPOINT_URL)", external)
            self.endpoint_url = external
            return external
        return self._start_moto()

    def _start_moto(self) -> str:
        url = f"http://127.0.0.1:{self.port}"
        if port_in_use(self.port):
            raise RuntimeError(
                f"port {self.port} on 127.0.0.1 is already in use: stop whatever listens "
                "there, or choose another port"
            )
        self._launch()
        self._wait_until_ready(url)
        self.endpoint_url = url
        return url

    def _launch(self) -> None:
        if self.log_path is None:
            handle, name = tempfile.mkstemp(prefix="moto-", suffix=".log")
            os.close(handle)
            self.log_path = Path(name)
        # Werkzeug logs every request, so the output goes to a file: a pipe that no
        # process reads would fill up and block the server.
        self._log_file = open(self.log_path, "wb")
        environment = {**os.environ, **dummy_aws_environment(self.region)}
        environment.pop("AWS_ENDPOINT_URL", None)
        self._process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            env=environment,
            # Its own session, so Ctrl-C in a terminal reaches only the program that
            # owns this object, which stops the server after whatever uses it.
            start_new_session=True,
        )
        logger.info(
            "Started moto server, PID %d, on 127.0.0.1:%d, log %s",
            self._process.pid,
            self.port,
            self.log_path,
        )

    def _wait_until_ready(self, url: str) -> None:
        assert self._process is not None
        deadline = time.monotonic() + self.startup_timeout_seconds
        while not endpoint_responds(url, timeout=0.5):
            exit_code = self._process.poll()
            if exit_code is not None:
                self._close_log()
                self._process = None
                raise RuntimeError(
                    f"moto server exited with code {exit_code} before responding on {url}. "
                    f"Its log {self.log_path} ends with:\n{self._log_tail()}"
                )
            if time.monotonic() > deadline:
                message = (
                    f"moto server did not respond on {url} within "
                    f"{self.startup_timeout_seconds} s. Its log {self.log_path} ends with:\n"
                    f"{self._log_tail()}"
                )
                self.stop()
                raise TimeoutError(message)
            time.sleep(0.1)

    def stop(self) -> None:
        """Stop the moto server this object started. An adopted emulator keeps running."""
        process, self._process = self._process, None
        self.endpoint_url = None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                logger.warning("moto server PID %d ignored SIGTERM, killing it", process.pid)
                process.kill()
                process.wait(timeout=10)
        logger.info("Stopped moto server PID %d (exit code %s)", process.pid, process.returncode)
        self._close_log()
        if self._owns_log and self.log_path is not None:
            self.log_path.unlink(missing_ok=True)
            self.log_path = None

    def client(self, service: str) -> Any:
        """Create a boto3 client for this emulator."""
        if not self.endpoint_url:
            raise RuntimeError("the emulator is not running: call start() first")
        return make_client(service, self.endpoint_url, self.region)

    def _close_log(self) -> None:
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def _log_tail(self, max_bytes: int = 4000) -> str:
        if self.log_path is None or not self.log_path.exists():
            return "(no log)"
        data = self.log_path.read_bytes()[-max_bytes:]
        return data.decode("utf-8", errors="replace")

    def __enter__(self) -> LocalAws:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


# -- resources ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ResourceNames:
    """Names of the bus, rules and queues that ``provision`` creates."""

    bus: str = "audit-events"
    queue: str = "audit-ingest"
    dlq: str = "audit-ingest-dlq"
    application_rule: str = APPLICATION_RULE
    aws_rule: str = AWS_RULE

    @classmethod
    def unique(cls, tag: str = "t") -> ResourceNames:
        """Return names with a random suffix, for tests that share one emulator.

        The AWS rule lives on the shared default bus, so its name must be unique too:
        a second rule of the same name would replace the first one's pattern and targets.
        """
        suffix = f"{tag}-{uuid.uuid4().hex[:10]}"
        return cls(
            bus=f"audit-events-{suffix}",
            queue=f"audit-ingest-{suffix}",
            dlq=f"audit-ingest-dlq-{suffix}",
            application_rule=f"{APPLICATION_RULE}-{suffix}",
            aws_rule=f"{AWS_RULE}-{suffix}",
        )


@dataclass(frozen=True)
class Resources:
    """Names, ARNs, queue URLs and settings of the resources that ``provision`` created."""

    endpoint_url: str
    region: str
    names: ResourceNames
    bus_arn: str
    application_rule_arn: str
    aws_rule_arn: str
    queue_url: str
    queue_arn: str
    dlq_url: str
    dlq_arn: str
    max_receive_count: int
    visibility_timeout_seconds: int

    @property
    def bus_name(self) -> str:
        return self.names.bus

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def provision(
    endpoint_url: str,
    names: ResourceNames | None = None,
    *,
    region: str = DEFAULT_REGION,
    max_receive_count: int = DEFAULT_MAX_RECEIVE_COUNT,
    visibility_timeout_seconds: int = DEFAULT_VISIBILITY_TIMEOUT_SECONDS,
    patterns_path: str | os.PathLike[str] = PATTERNS_FILE,
) -> Resources:
    """Create the bus, rules, queue, DLQ and queue policy, or bring existing ones up to date.

    Running it again with the same names changes nothing but the settings passed in.
    """
    names = names or ResourceNames()
    if not 1 <= max_receive_count <= 1000:
        raise ValueError(f"max_receive_count={max_receive_count} is invalid: SQS accepts 1 to 1000")
    if not 0 <= visibility_timeout_seconds <= 43200:
        raise ValueError(
            f"visibility_timeout_seconds={visibility_timeout_seconds} is invalid: "
            "SQS accepts 0 to 43200 (12 hours)"
        )
    patterns = load_patterns(patterns_path)
    for rule in (APPLICATION_RULE, AWS_RULE):
        if rule not in patterns:
            raise ValueError(f"{patterns_path} has no pattern named {rule!r}")

    sqs = make_client("sqs", endpoint_url, region)
    events = make_client("events", endpoint_url, region)

    dlq_url = _ensure_queue(sqs, names.dlq, {"MessageRetentionPeriod": str(DLQ_RETENTION_SECONDS)})
    dlq_arn = _queue_arn(sqs, dlq_url)
    redrive_policy = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive_count}
    queue_url = _ensure_queue(
        sqs,
        names.queue,
        {
            "VisibilityTimeout": str(visibility_timeout_seconds),
            "RedrivePolicy": json.dumps(redrive_policy),
        },
    )
    queue_arn = _queue_arn(sqs, queue_url)
    # Only our queue may use the DLQ as its dead-letter target.
    redrive_allow = {"redrivePermission": "byQueue", "sourceQueueArns": [queue_arn]}
    sqs.set_queue_attributes(
        QueueUrl=dlq_url, Attributes={"RedriveAllowPolicy": json.dumps(redrive_allow)}
    )

    bus_arn = _ensure_event_bus(events, names.bus)
    application_rule_arn = _ensure_rule(
        events,
        names.application_rule,
        patterns[APPLICATION_RULE].pattern,
        bus=names.bus,
        description="Application audit events published to the audit bus",
        target_arn=queue_arn,
    )
    aws_rule_arn = _ensure_rule(
        events,
        names.aws_rule,
        patterns[AWS_RULE].pattern,
        bus="default",
        description="AWS API calls, console sign-ins and service events recorded by CloudTrail",
        target_arn=queue_arn,
    )
    policy = queue_policy(queue_arn, [application_rule_arn, aws_rule_arn])
    sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": json.dumps(policy)})

    resources = Resources(
        endpoint_url=endpoint_url,
        region=region,
        names=names,
        bus_arn=bus_arn,
        application_rule_arn=application_rule_arn,
        aws_rule_arn=aws_rule_arn,
        queue_url=queue_url,
        queue_arn=queue_arn,
        dlq_url=dlq_url,
        dlq_arn=dlq_arn,
        max_receive_count=max_receive_count,
        visibility_timeout_seconds=visibility_timeout_seconds,
    )
    logger.info("Provisioned bus %s and queue %s on %s", names.bus, names.queue, endpoint_url)
    return resources


def queue_policy(queue_arn: str, rule_arns: list[str]) -> dict[str, Any]:
    """Return an SQS queue policy that lets only the given EventBridge rules send messages."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowAuditEventRules",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": rule_arns}},
            }
        ],
    }


def delete_resources(resources: Resources) -> None:
    """Delete the rules, bus and queues that ``provision`` created, skipping any already gone."""
    events = make_client("events", resources.endpoint_url, resources.region)
    sqs = make_client("sqs", resources.endpoint_url, resources.region)
    names = resources.names
    for rule, bus in ((names.application_rule, names.bus), (names.aws_rule, "default")):
        with _ignore_not_found():
            targets = events.list_targets_by_rule(Rule=rule, EventBusName=bus)["Targets"]
            if targets:
                events.remove_targets(
                    Rule=rule, EventBusName=bus, Ids=[target["Id"] for target in targets]
                )
            events.delete_rule(Name=rule, EventBusName=bus)
    with _ignore_not_found():
        events.delete_event_bus(Name=names.bus)
    for url in (resources.queue_url, resources.dlq_url):
        with _ignore_not_found():
            sqs.delete_queue(QueueUrl=url)


def _ensure_queue(sqs: Any, name: str, attributes: Mapping[str, str]) -> str:
    # CreateQueue fails when a queue of that name exists with other attributes, so
    # look the queue up first and set the attributes separately.
    try:
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    except ClientError as error:
        if not _is_not_found(error):
            raise
        return sqs.create_queue(QueueName=name, Attributes=dict(attributes))["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes=dict(attributes))
    return url


def _queue_arn(sqs: Any, queue_url: str) -> str:
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    return attributes["Attributes"]["QueueArn"]


def _ensure_event_bus(events: Any, name: str) -> str:
    try:
        return events.create_event_bus(Name=name)["EventBusArn"]
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceAlreadyExistsException":
            raise
    return events.describe_event_bus(Name=name)["Arn"]


def _ensure_rule(
    events: Any,
    name: str,
    pattern: Mapping[str, Any],
    *,
    bus: str,
    description: str,
    target_arn: str,
) -> str:
    # PutRule and PutTargets create or replace, so running them again is safe.
    rule_arn = events.put_rule(
        Name=name,
        EventBusName=bus,
        EventPattern=json.dumps(pattern),
        State="ENABLED",
        Description=description,
    )["RuleArn"]
    response = events.put_targets(
        Rule=name, EventBusName=bus, Targets=[{"Id": "ingest-queue", "Arn": target_arn}]
    )
    if response.get("FailedEntryCount"):
        raise RuntimeError(
            f"PutTargets for rule {name} on bus {bus} failed: {response['FailedEntries']}"
        )
    return rule_arn


def _is_not_found(error: ClientError) -> bool:
    code = error.response.get("Error", {}).get("Code", "")
    return code in {
        "AWS.SimpleQueueService.NonExistentQueue",
        "QueueDoesNotExist",
        "ResourceNotFoundException",
    }


@contextlib.contextmanager
def _ignore_not_found() -> Iterator[None]:
    try:
        yield
    except ClientError as error:
        if not _is_not_found(error):
            raise


# -- queue depth ----------------------------------------------------------------------------

_DEPTH_ATTRIBUTES = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
)


def count_messages(sqs_client: Any, queue_url: str) -> int:
    """Return the messages in a queue: visible, in flight (not visible) and delayed.

    SQS reports these counts as approximate. moto reports them exactly.
    """
    response = sqs_client.get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=list(_DEPTH_ATTRIBUTES)
    )
    attributes = response["Attributes"]
    return sum(int(attributes.get(name, 0)) for name in _DEPTH_ATTRIBUTES)


def wait_until_drained(
    sqs_client: Any,
    queue_url: str,
    *,
    timeout_seconds: float = 30.0,
    interval_seconds: float = 0.2,
    consecutive_checks: int = 2,
    idle: Callable[[], bool] | None = None,
) -> None:
    """Wait until the queue is empty (and ``idle()`` is True, if given) on several checks.

    Raise TimeoutError, with the last count, when that does not happen in time.
    ``idle`` is typically ``lambda: poller.idle``, so a batch still in the handler
    counts as not drained even after its messages left the queue.
    """
    deadline = time.monotonic() + timeout_seconds
    in_a_row = 0
    count = -1
    while True:
        count = count_messages(sqs_client, queue_url)
        quiet = count == 0 and (idle is None or idle())
        in_a_row = in_a_row + 1 if quiet else 0
        if in_a_row >= consecutive_checks:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"queue {queue_url} still had {count} message(s) after {timeout_seconds} s "
                f"(consumer idle: {idle() if idle else 'not checked'})"
            )
        time.sleep(interval_seconds)


# -- command line ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="start moto, provision, and run until Ctrl-C")
    up.add_argument("--port", type=int, default=DEFAULT_PORT, help="TCP port on 127.0.0.1")
    up.add_argument("--log", help="moto server log file (default: a new temporary file)")
    provision_command = commands.add_parser("provision", help="provision a running emulator")
    provision_command.add_argument("--endpoint-url", required=True, help="emulator URL")
    for command in (up, provision_command):
        command.add_argument("--region", default=DEFAULT_REGION, help="AWS region name")
        command.add_argument(
            "--max-receive-count",
            type=int,
            default=DEFAULT_MAX_RECEIVE_COUNT,
            help="receives before SQS moves a message to the DLQ",
        )
        command.add_argument(
            "--visibility-timeout",
            type=int,
            default=DEFAULT_VISIBILITY_TIMEOUT_SECONDS,
            help="queue visibility timeout, in seconds",
        )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    os.environ.update(dummy_aws_environment(args.region))

    settings = {
        "region": args.region,
        "max_receive_count": args.max_receive_count,
        "visibility_timeout_seconds": args.visibility_timeout,
    }
    if args.command == "provision":
        print(json.dumps(provision(args.endpoint_url, **settings).to_dict(), indent=2))
        return 0
    # SIGTERM (from a process manager, or kill) leaves through the with block, so the
    # moto server is stopped as on Ctrl-C.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    with LocalAws(args.port, region=args.region, log_path=args.log) as emulator:
        resources = provision(emulator.start(), **settings)
        print(json.dumps(resources.to_dict(), indent=2), flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    return 0


def _exit_on_signal(signum: int, frame: object) -> None:
    logger.info("Received signal %d, stopping", signum)
    sys.exit(0)


if __name__ == "__main__":
    sys.exit(main())
