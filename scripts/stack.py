"""Run the audit log service on this machine, with no AWS account.

    python scripts/stack.py demo             # make demo
    python scripts/stack.py up               # make local; Ctrl-C stops it
    python scripts/stack.py publish --count N   # more events into a running `up`

Everything listens on 127.0.0.1:

* PostgreSQL 15 with pg_partman and pg_cron, in a temporary directory,
  migrated by the Flyway-compatible runner, with the functions' login roles;
* moto's AWS server (port 4566, or LOCAL_AWS_PORT) with the event bus, the
  two rules, the ingestion queue, its DLQ, and the subscriber's database
  secret in Secrets Manager;
* the subscriber Lambda in a process of its own, fed by a poller that
  behaves as Lambda's SQS event source mapping; its logs go to
  .local/logs/subscriber-<port>.log.

`demo` publishes generated application events (a few invalid on purpose,
a few published twice) to the bus, and delivers the real CloudTrail and
EventBridge samples to the queue as EventBridge would, then waits until
the queue is empty and prints what became of every event, counted from
the database and the queues.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pg8000.native
from dev_tokens import DEV_AUDIENCE, DEV_ISSUER, JwksServer, KeyStore, dev_claims
from event_pattern import load_patterns
from local_database import AuditDatabase, prepare_database
from localaws import (
    DEFAULT_PORT,
    LocalAws,
    ResourceNames,
    Resources,
    count_messages,
    dummy_aws_environment,
    endpoint_responds,
    port_in_use,
    provision,
)
from localpg import LocalPostgres
from publish import Entry, deliver_aws_events, put_events, wrap_cloudtrail_record
from sample_events import generate_application_events
from terraform_local import LocalRoot, Terraform, resources_from_outputs, terraform_unavailable

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "tests" / "fixtures" / "aws-samples"
LOG_DIR = ROOT / ".local" / "logs"
SECRET_NAME = "audit/local/subscriber-database"  # noqa: S105 - the name, not a value

# Accounts of the sample CloudTrail records, mapped to tenants; "*" takes the rest.
ACCOUNT_TENANTS = {
    "123456789012": "acme-corp",
    "111122223333": "globex",
    "*": "platform",
}

# The CloudTrail samples go back to 2014. The local database keeps events
# this long so that they are stored, not rejected as outside retention; the
# default, 180 days, is for deployments.
LOCAL_PLACEHOLDERS = {"retentionInterval": "5000 days"}

APPLICATION_EVENTS = 300
INVALID_EVERY = 50
REPUBLISHED = 5


@dataclass
class Published:
    application: int = 0
    invalid: int = 0
    republished: int = 0
    cloudtrail: int = 0
    eventbridge: int = 0
    not_routed: int = 0
    # audit_log.viewed events the API published for the demo's own reads.
    reads: int = 0

    @property
    def total(self) -> int:
        return self.application + self.republished + self.cloudtrail + self.eventbridge + self.reads


@dataclass
class Counts:
    stored: int
    duplicates: int
    rejected: int
    dlq: int
    rejected_by_reason: dict[str, int]

    @property
    def total(self) -> int:
        return self.stored + self.duplicates + self.rejected + self.dlq


def _python_path(*functions: str) -> str:
    """PYTHONPATH for a function's process: its package folders and scripts/."""
    folders = [ROOT / "functions" / name for name in functions] + [ROOT / "scripts"]
    return os.pathsep.join(str(folder) for folder in folders)


def _say(message: str) -> None:
    print(message, flush=True)


class LocalService:
    """PostgreSQL, the AWS emulator and the subscriber, started and stopped together."""

    def __init__(
        self,
        aws_port: int,
        api_port: int = 8000,
        batch_size: int = 100,
        batching_window: float = 1.0,
        use_terraform: bool = False,
    ) -> None:
        self.aws_port = aws_port
        self.use_terraform = use_terraform
        self.terraform_root: LocalRoot | None = None
        self.api_port = api_port
        self.api: subprocess.Popen[bytes] | None = None
        self.keys = KeyStore()
        self.jwks: JwksServer | None = None
        self.batch_size = batch_size
        self.batching_window = batching_window
        self.cluster: LocalPostgres | None = None
        self.database: AuditDatabase | None = None
        self.aws: LocalAws | None = None
        self.resources: Resources | None = None
        self.subscriber: subprocess.Popen[bytes] | None = None
        self.endpoint_url = ""

    def start(self) -> None:
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        os.environ.update(dummy_aws_environment())
        self.cluster = LocalPostgres()
        self.cluster.start()
        self.database = prepare_database(self.cluster, placeholders=LOCAL_PLACEHOLDERS)

        self.aws = LocalAws(self.aws_port, log_path=self.log_path("moto"))
        self.endpoint_url = self.aws.start()
        self.resources = self._provision()
        secret_arn = self._store_database_secret()
        self._start_subscriber(secret_arn)
        self._start_api()

    def _provision(self) -> Resources:
        """Create the bus, rules and queues with Terraform's local root, or directly."""
        if not self.use_terraform:
            return provision(self.endpoint_url)
        _say(
            "local: applying terraform/environments/local to the emulator "
            "(builds the functions' zips first; about a minute)"
        )
        self.terraform_root = LocalRoot(
            Terraform(ROOT / ".local" / "terraform"), self.endpoint_url, "audit-log-local"
        )
        outputs = self.terraform_root.apply()
        return resources_from_outputs(outputs, self.endpoint_url)

    def _store_database_secret(self) -> str:
        """Put the subscriber's credentials in Secrets Manager, in the shape RDS secrets have."""
        assert self.aws and self.database
        secret = {
            "engine": "postgres",
            "host": self.database.host,
            "port": self.database.port,
            "dbname": self.database.name,
            "username": self.database.writer.user,
            "password": self.database.writer.password,
        }
        client = self.aws.client("secretsmanager")
        try:
            return client.create_secret(Name=SECRET_NAME, SecretString=json.dumps(secret))["ARN"]
        except client.exceptions.ResourceExistsException:
            # An emulator adopted from AWS_ENDPOINT_URL may still hold an earlier run's secret.
            return client.put_secret_value(SecretId=SECRET_NAME, SecretString=json.dumps(secret))[
                "ARN"
            ]

    def _launch(
        self, component: str, command: list[str], environment: dict[str, str]
    ) -> subprocess.Popen[bytes]:
        """Start a function's process with its log file; return the process."""
        log = self.log_path(component).open("wb")
        try:
            return subprocess.Popen(
                command,
                env={**os.environ, **environment},
                stdout=log,
                stderr=subprocess.STDOUT,
                # Its own session: Ctrl-C reaches only this script, which stops the
                # functions before the emulator and the database they use.
                start_new_session=True,
            )
        finally:
            log.close()

    def _start_subscriber(self, secret_arn: str) -> None:
        assert self.resources
        self.subscriber = self._launch(
            "subscriber",
            [
                sys.executable,
                str(ROOT / "scripts" / "poller.py"),
                "--queue-url", self.resources.queue_url,
                "--queue-arn", self.resources.queue_arn,
                "--handler", "subscriber.handler:lambda_handler",
                "--batch-size", str(self.batch_size),
                "--batching-window", str(self.batching_window),
                "--endpoint-url", self.endpoint_url,
            ],
            {
                "PYTHONPATH": _python_path("common", "subscriber"),
                "AWS_ENDPOINT_URL": self.endpoint_url,
                "DB_SECRET_ARN": secret_arn,
                "DB_SSLMODE": "disable",
                "AWS_ACCOUNT_TENANTS": json.dumps(ACCOUNT_TENANTS),
                "POWERTOOLS_SERVICE_NAME": "audit-subscriber",
                "POWERTOOLS_METRICS_NAMESPACE": "AuditLog",
            },
        )  # fmt: skip

    def _start_api(self) -> None:
        """Serve the GraphQL API on 127.0.0.1 as the read-only role."""
        assert self.database and self.resources
        if port_in_use(self.api_port):
            raise RuntimeError(
                f"port {self.api_port} on 127.0.0.1 is already in use: stop whatever listens "
                "there, or set LOCAL_API_PORT to another port"
            )
        self.keys.ensure_keys()
        self.jwks = JwksServer(self.keys).start()
        self.api = self._launch(
            "graphql-api",
            [
                sys.executable, "-m", "uvicorn", "local_api:create_app", "--factory",
                "--host", "127.0.0.1", "--port", str(self.api_port), "--log-level", "warning",
            ],
            {
                "PYTHONPATH": _python_path("common", "graphql_api", "authorizer"),
                # The authorizer trusts tokens that scripts/dev_tokens.py mints from .local/keys.
                "JWT_ISSUER": DEV_ISSUER,
                "JWT_AUDIENCE": DEV_AUDIENCE,
                "JWKS_URL": self.jwks.url,
                **self.database.environment(self.database.reader),
                "ENVIRONMENT": "dev",
                # Every read is recorded as an audit_log.viewed event on the bus.
                "AUDIT_BUS_NAME": self.resources.bus_name,
                "AWS_ENDPOINT_URL": self.endpoint_url,
                # A new key each run: cursors from an earlier run are rejected as forged.
                "CURSOR_SECRET": secrets.token_urlsafe(32),
                "POWERTOOLS_SERVICE_NAME": "audit-graphql-api",
            },
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while not endpoint_responds(self.api_url):
            if self.api.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"the GraphQL server did not start; see {self.log_path('graphql-api')}"
                )
            time.sleep(0.2)

    def token(self, tenants: list[str], role: str) -> str:
        """Mint a development token that the local authorizer accepts."""
        self.keys.ensure_keys()
        key = self.keys.newest("rsa")
        assert key is not None
        return key.sign(dev_claims(tenants=tenants, role=role))

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}/graphql"

    def log_path(self, component: str) -> Path:
        """Return the log file of a component; one per emulator port, rewritten each run."""
        return LOG_DIR / f"{component}-{self.aws_port}.log"

    def stop(self) -> None:
        """Stop the functions, the emulator and PostgreSQL, in that order."""
        if self.jwks is not None:
            self.jwks.stop()
        for process in (self.api, self.subscriber):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        if self.terraform_root is not None:
            self._remove_terraform_resources(self.terraform_root)
        if self.aws is not None:
            self.aws.stop()
        if self.cluster is not None:
            self.cluster.stop()

    def _remove_terraform_resources(self, root: LocalRoot) -> None:
        """Destroy what the root created in an adopted emulator; ours takes it all with it."""
        if self.aws is not None and self.aws.owns_server:
            root.forget()
            return
        try:
            root.destroy()
        except RuntimeError as error:
            _say(f"local: {error}")

    def __enter__(self) -> LocalService:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- publishing ---------------------------------------------------------------------

    def publish_application_events(
        self, count: int, invalid_every: int, republish: int
    ) -> Published:
        """Put generated events on the bus; put `republish` of them a second time."""
        assert self.aws and self.resources
        events = generate_application_events(
            count, invalid_every=invalid_every, now=datetime.now(UTC), seed=int(time.time())
        )
        entries = [Entry(event.source, event.detail_type, event.detail) for event in events]
        client = self.aws.client("events")
        ids = put_events(client, self.resources.bus_name, entries)
        # A publisher retrying after a timeout: same eventId and occurredAt, new envelope.
        again = [
            entry
            for entry, event in zip(entries, events, strict=True)
            if event.defect is None and "eventId" in event.detail and "occurredAt" in event.detail
        ][:republish]
        republished_ids = put_events(client, self.resources.bus_name, again)
        return Published(
            application=len(ids),
            invalid=sum(event.defect is not None for event in events),
            republished=len(republished_ids),
        )

    def deliver_aws_samples(self, published: Published) -> None:
        """Deliver the real samples to the queue as the default bus's rule would."""
        assert self.aws and self.resources
        pattern = load_patterns()["aws-cloudtrail-events"]
        sqs = self.aws.client("sqs")
        records = _read_jsonl(SAMPLES / "cloudtrail" / "records.jsonl")
        cloudtrail = deliver_aws_events(
            sqs, self.resources.queue_url, [wrap_cloudtrail_record(r) for r in records], pattern
        )
        eventbridge = deliver_aws_events(
            sqs,
            self.resources.queue_url,
            _read_jsonl(SAMPLES / "eventbridge" / "events.jsonl"),
            pattern,
        )
        published.cloudtrail = cloudtrail.delivered
        published.eventbridge = eventbridge.delivered
        published.not_routed = cloudtrail.unmatched + eventbridge.unmatched

    # -- observing ----------------------------------------------------------------------

    def wait_until_settled(self, timeout_seconds: float) -> float:
        """Wait until the ingestion queue has nothing visible or in flight; return the wait."""
        assert self.aws and self.resources
        sqs = self.aws.client("sqs")
        started = time.monotonic()
        quiet_checks = 0
        while quiet_checks < 3:
            if self.subscriber is not None and self.subscriber.poll() is not None:
                raise RuntimeError(
                    f"the subscriber exited with code {self.subscriber.returncode}; "
                    f"see {self.log_path('subscriber')}"
                )
            if time.monotonic() - started > timeout_seconds:
                raise TimeoutError(
                    f"the queue still holds {count_messages(sqs, self.resources.queue_url)} "
                    f"messages after {timeout_seconds:.0f} s; see {self.log_path('subscriber')}"
                )
            quiet = count_messages(sqs, self.resources.queue_url) == 0
            quiet_checks = quiet_checks + 1 if quiet else 0
            time.sleep(0.5)
        return time.monotonic() - started

    def counts(self) -> Counts:
        """Count outcomes from the database and the DLQ, not from what was published."""
        assert self.aws and self.resources and self.database
        with self.database.connect_as(self.database.superuser) as connection:
            stored = _scalar(connection, "SELECT count(*) FROM audit.events")
            duplicates = _scalar(
                connection, "SELECT coalesce(sum(seen_count), 0) FROM audit.duplicate_deliveries"
            )
            by_reason = dict(
                connection.run(
                    "SELECT reason, sum(seen_count)::integer FROM audit.rejected_events"
                    " GROUP BY reason ORDER BY reason"
                )
            )
        dlq = count_messages(self.aws.client("sqs"), self.resources.dlq_url)
        return Counts(stored, duplicates, sum(by_reason.values()), dlq, by_reason)


def _scalar(connection: pg8000.native.Connection, sql: str) -> int:
    return int(connection.run(sql)[0][0])


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _publish_samples(service: LocalService, label: str) -> Published:
    published = service.publish_application_events(APPLICATION_EVENTS, INVALID_EVERY, REPUBLISHED)
    service.deliver_aws_samples(published)
    _say(
        f"{label}: published {published.application} application events to the bus "
        f"({published.invalid} invalid on purpose) and {published.republished} of them again; "
        f"delivered {published.cloudtrail} CloudTrail records and {published.eventbridge} "
        f"EventBridge samples to the queue as the aws-cloudtrail-events rule would "
        f"({published.not_routed} other samples do not match that rule and were not delivered)"
    )
    return published


def _report(service: LocalService, published: Published, counts: Counts, label: str) -> int:
    reasons = " ".join(f"{reason}={count}" for reason, count in counts.rejected_by_reason.items())
    _say(f"{label}: rejected by reason: {reasons or 'none'}")
    status = 0
    if counts.total != published.total:
        _say(
            f"{label}: MISMATCH: {published.total} published but {counts.total} accounted for; "
            f"see {service.log_path('subscriber')}"
        )
        status = 1
    _say(
        f"{label}: published={published.total} stored={counts.stored} "
        f"duplicates={counts.duplicates} rejected={counts.rejected} dlq={counts.dlq}"
    )
    return status


SAMPLE_QUERY = """query Recent($filter: AuditEventFilter!) {
  auditEvents(filter: $filter, first: 5) {
    edges { node { occurredAt action outcome actor { type id name } target { type id } } }
    pageInfo { hasNextPage endCursor }
  }
}"""


def _sample_variables() -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "filter": {
            "tenantId": "acme-corp",
            "from": (now - timedelta(days=30)).isoformat(timespec="seconds"),
            "to": (now + timedelta(hours=1)).isoformat(timespec="seconds"),
        }
    }


def _query_api(service: LocalService, label: str) -> None:
    """Read the newest events of one tenant through the GraphQL API, over HTTP."""
    token = service.token(["acme-corp"], "viewer")
    response = httpx.post(
        service.api_url,
        json={"query": SAMPLE_QUERY, "variables": _sample_variables()},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    body = response.json()
    if body.get("errors"):
        raise RuntimeError(f"the GraphQL API returned errors: {body['errors']}")
    edges = body["data"]["auditEvents"]["edges"]
    newest = edges[0]["node"] if edges else None
    _say(
        f"{label}: the GraphQL API at {service.api_url} returned {len(edges)} of tenant "
        f"acme-corp's newest events"
        + (f", the newest {newest['action']} at {newest['occurredAt']}" if newest else "")
    )


def _run_samples(service: LocalService, label: str) -> int:
    assert service.database
    _say(
        f"{label}: PostgreSQL on 127.0.0.1:{service.database.port}, AWS emulator on "
        f"{service.endpoint_url}, subscriber log in {service.log_path('subscriber')}"
    )
    published = _publish_samples(service, label)
    waited = service.wait_until_settled(timeout_seconds=300)
    _say(f"{label}: the queue was empty {waited:.1f} s after the last publish")
    _query_api(service, label)
    # The read itself is an audit event the API published; let it settle too.
    published.reads = 1
    service.wait_until_settled(timeout_seconds=60)
    return _report(service, published, service.counts(), label)


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def demo(aws_port: int, api_port: int, use_terraform: bool) -> int:
    # The processes the stack starts run in sessions of their own and never see a
    # SIGTERM (kill, timeout). So it unwinds like Ctrl-C, and the with block stops them.
    signal.signal(signal.SIGTERM, _interrupt)
    with LocalService(aws_port, api_port, use_terraform=use_terraform) as service:
        return _run_samples(service, "demo")


def up(aws_port: int, api_port: int, use_terraform: bool) -> int:
    stop_requested = False

    def request_stop(*_: object) -> None:
        nonlocal stop_requested
        stop_requested = True

    signal.signal(signal.SIGTERM, request_stop)
    # A shell may start a background job with SIGINT ignored; Ctrl-C must still stop us.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    with LocalService(aws_port, api_port, use_terraform=use_terraform) as service:
        assert service.database and service.resources
        resources_file = _resources_file(aws_port)
        resources_file.write_text(json.dumps(service.resources.to_dict(), indent=2) + "\n")
        try:
            _serve(service, stop_requested=lambda: stop_requested)
        finally:
            resources_file.unlink(missing_ok=True)
        _say("local: stopping")
    return 0


def _resources_file(aws_port: int) -> Path:
    """Return the file in which `up` keeps the names of what it created, for `publish`."""
    return LOG_DIR.parent / f"resources-{aws_port}.json"


def _serve(service: LocalService, stop_requested: Callable[[], bool]) -> None:
    assert service.database and service.resources
    _run_samples(service, "local")
    database = service.database
    reader = database.reader
    owner = database.superuser
    redriver = database.redriver
    publish = "scripts/stack.py publish --count 100"
    if service.aws_port != DEFAULT_PORT:
        publish += f" --aws-port {service.aws_port}"
    _say(
        "\nlocal: the service is running; Ctrl-C stops it and deletes its data.\n"
        f"  GraphQL API and explorer   {service.api_url}\n"
        "    a token for its Authorization header:\n"
        "      .venv/bin/python scripts/dev_tokens.py mint --tenants acme-corp --role viewer\n"
        f"  database (read-only role)  postgresql://{reader.user}:{reader.password}"
        f"@{database.host}:{database.port}/{database.name}\n"
        "    sees a tenant's rows after SELECT set_config('audit.tenant_ids', "
        "'[\"acme-corp\"]', false)\n"
        f"  database (owner)           postgresql://{owner.user}:{owner.password}"
        f"@{database.host}:{database.port}/{database.name}\n"
        "    sees every row, audit.rejected_events among them\n"
        f"  database (redrive role)    postgresql://{redriver.user}:{redriver.password}"
        f"@{database.host}:{database.port}/{database.name}\n"
        "    for scripts/redrive.py rejected ... (docs/reliability.md)\n"
        f"  AWS emulator               {service.endpoint_url} "
        f"(bus {service.resources.bus_name}, queue {service.resources.names.queue}, "
        f"DLQ {service.resources.names.dlq})\n"
        f"  logs                       {LOG_DIR}\n"
        f"  more events                .venv/bin/python {publish}"
    )
    try:
        while not stop_requested():
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass


def publish_more(aws_port: int, count: int) -> int:
    """Publish generated events to a stack that `up` started."""
    os.environ.update(dummy_aws_environment())
    endpoint_url = os.environ.setdefault("AWS_ENDPOINT_URL", f"http://127.0.0.1:{aws_port}")
    if not endpoint_responds(endpoint_url):
        _say(f"publish: no emulator responds at {endpoint_url}; start the stack with `make local`")
        return 1
    # With AWS_ENDPOINT_URL set, start() adopts the running emulator.
    service = LocalService(aws_port)
    service.aws = LocalAws(aws_port)
    endpoint_url = service.aws.start()
    resources_file = _resources_file(aws_port)
    if resources_file.exists():
        # `up` may have created them with Terraform, under other names than provision's.
        saved = json.loads(resources_file.read_text())
        service.resources = Resources(**{**saved, "names": ResourceNames(**saved["names"])})
    else:
        service.resources = provision(endpoint_url)
    published = service.publish_application_events(count, invalid_every=0, republish=0)
    _say(f"publish: published {published.application} events to {service.resources.bus_name}")
    return 0


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number of events")
    return value


def _use_terraform(choice: str, command: str) -> bool:
    """Decide whether to apply the local Terraform root; explain the decision."""
    problem = terraform_unavailable()
    if choice == "yes" and problem:
        raise SystemExit(f"{command}: --terraform yes, but {problem}")
    if choice == "auto" and command == "up":
        if problem:
            _say(f"local: creating the bus and queues directly, not with Terraform: {problem}")
        return problem is None
    return choice == "yes"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["demo", "up", "publish"])
    parser.add_argument(
        "--aws-port",
        type=int,
        default=int(os.environ.get("LOCAL_AWS_PORT", "4566")),
        help="port of the AWS emulator on 127.0.0.1 (default: $LOCAL_AWS_PORT or 4566)",
    )
    parser.add_argument(
        "--api-port",
        type=int,
        default=int(os.environ.get("LOCAL_API_PORT", "8000")),
        help="port of the GraphQL API on 127.0.0.1 (default: $LOCAL_API_PORT or 8000)",
    )
    parser.add_argument(
        "--count", type=_positive, default=100, help="events to publish (publish; default: 100)"
    )
    parser.add_argument(
        "--terraform",
        choices=["auto", "yes", "no"],
        default=os.environ.get("LOCAL_TERRAFORM", "auto"),
        help="create the bus and queues by applying terraform/environments/local (up and demo); "
        "auto: for up, when terraform and TF_PLUGIN_DIR are there (default: $LOCAL_TERRAFORM "
        "or auto)",
    )
    args = parser.parse_args(argv)
    use_terraform = _use_terraform(args.terraform, args.command)
    commands = {
        "demo": lambda: demo(args.aws_port, args.api_port, use_terraform),
        "up": lambda: up(args.aws_port, args.api_port, use_terraform),
        "publish": lambda: publish_more(args.aws_port, args.count),
    }
    try:
        return commands[args.command]()
    except KeyboardInterrupt:
        # Everything started was stopped on the way out of the with block.
        _say(f"{args.command}: interrupted; everything it started is stopped")
        return 130
    except (RuntimeError, TimeoutError) as error:
        _say(f"{args.command}: failed: {error}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
