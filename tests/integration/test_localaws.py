"""LocalAws start and stop, and what provision creates on the emulator."""

from __future__ import annotations

import json
import os
import socket

import pytest
from event_pattern import PATTERNS_FILE
from localaws import (
    LocalAws,
    ResourceNames,
    count_messages,
    delete_resources,
    endpoint_responds,
    provision,
    wait_until_drained,
)
from localpg import free_port

pytestmark = pytest.mark.integration


def process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


# -- emulator lifecycle ---------------------------------------------------------------------


def test_moto_starts_and_stops_by_pid():
    emulator = LocalAws(port=free_port(), use_environment_endpoint=False)
    with emulator:
        pid = emulator.pid
        assert emulator.owns_server
        assert pid is not None
        assert endpoint_responds(emulator.endpoint_url)
        assert emulator.client("sqs").list_queues().get("QueueUrls", []) == []
    assert not process_exists(pid)
    assert emulator.pid is None


def test_environment_endpoint_is_adopted(local_aws, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", local_aws.endpoint_url)
    emulator = LocalAws(port=free_port())

    with emulator:
        assert emulator.endpoint_url == local_aws.endpoint_url
        assert not emulator.owns_server

    # Stopping an adopted emulator leaves it running.
    assert endpoint_responds(local_aws.endpoint_url)


def test_unreachable_environment_endpoint_raises(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    with pytest.raises(RuntimeError, match=r"AWS_ENDPOINT_URL=.* nothing responds"):
        LocalAws(port=free_port()).start()


def test_busy_port_raises():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with pytest.raises(RuntimeError, match=rf"port {port} .* already in use"):
            LocalAws(port=port, use_environment_endpoint=False).start()


# -- provision ------------------------------------------------------------------------------


def test_provision_creates_resources(local_aws, sqs_client, events_client):
    resources = provision(local_aws.endpoint_url, ResourceNames.unique(), max_receive_count=4)
    try:
        names = resources.names
        attributes = sqs_client.get_queue_attributes(
            QueueUrl=resources.queue_url, AttributeNames=["All"]
        )["Attributes"]
        redrive = json.loads(attributes["RedrivePolicy"])
        assert redrive["deadLetterTargetArn"] == resources.dlq_arn
        assert int(redrive["maxReceiveCount"]) == 4
        assert attributes["VisibilityTimeout"] == "30"

        patterns = json.loads(PATTERNS_FILE.read_text())
        application_rule = events_client.describe_rule(
            Name=names.application_rule, EventBusName=names.bus
        )
        assert json.loads(application_rule["EventPattern"]) == patterns["application-events"]
        aws_rule = events_client.describe_rule(Name=names.aws_rule, EventBusName="default")
        assert json.loads(aws_rule["EventPattern"]) == patterns["aws-cloudtrail-events"]

        for rule, bus in ((names.application_rule, names.bus), (names.aws_rule, "default")):
            targets = events_client.list_targets_by_rule(Rule=rule, EventBusName=bus)["Targets"]
            assert [target["Arn"] for target in targets] == [resources.queue_arn]
    finally:
        delete_resources(resources)


def test_queue_policy_names_rules(local_aws, sqs_client):
    resources = provision(local_aws.endpoint_url, ResourceNames.unique())
    try:
        attributes = sqs_client.get_queue_attributes(
            QueueUrl=resources.queue_url, AttributeNames=["Policy"]
        )["Attributes"]
        (statement,) = json.loads(attributes["Policy"])["Statement"]
        assert statement["Principal"] == {"Service": "events.amazonaws.com"}
        assert statement["Action"] == "sqs:SendMessage"
        assert statement["Resource"] == resources.queue_arn
        source_arns = statement["Condition"]["ArnEquals"]["aws:SourceArn"]
        assert source_arns == [resources.application_rule_arn, resources.aws_rule_arn]
    finally:
        delete_resources(resources)


def test_provision_is_idempotent(local_aws, sqs_client):
    names = ResourceNames.unique()
    first = provision(local_aws.endpoint_url, names)
    try:
        second = provision(local_aws.endpoint_url, names, max_receive_count=2)
        assert second.queue_url == first.queue_url
        assert second.dlq_arn == first.dlq_arn
        assert second.bus_arn == first.bus_arn
        assert second.aws_rule_arn == first.aws_rule_arn
        attributes = sqs_client.get_queue_attributes(
            QueueUrl=second.queue_url, AttributeNames=["RedrivePolicy"]
        )["Attributes"]
        assert int(json.loads(attributes["RedrivePolicy"])["maxReceiveCount"]) == 2
    finally:
        delete_resources(first)


def test_provision_rejects_bad_receive_count(local_aws):
    with pytest.raises(ValueError, match="max_receive_count=0 is invalid"):
        provision(local_aws.endpoint_url, ResourceNames.unique(), max_receive_count=0)


def test_delete_resources_twice(local_aws, sqs_client):
    resources = provision(local_aws.endpoint_url, ResourceNames.unique())
    delete_resources(resources)
    delete_resources(resources)
    urls = sqs_client.list_queues(QueueNamePrefix=resources.names.queue).get("QueueUrls", [])
    assert urls == []


# -- queue depth ----------------------------------------------------------------------------


def test_count_includes_in_flight(sqs_client, aws_resources):
    for body in ("a", "b", "c"):
        sqs_client.send_message(QueueUrl=aws_resources.queue_url, MessageBody=body)
    sqs_client.receive_message(QueueUrl=aws_resources.queue_url, MaxNumberOfMessages=2)

    assert count_messages(sqs_client, aws_resources.queue_url) == 3


def test_drain_wait_times_out(sqs_client, aws_resources):
    sqs_client.send_message(QueueUrl=aws_resources.queue_url, MessageBody="stays")
    with pytest.raises(TimeoutError, match="still had 1 message"):
        wait_until_drained(sqs_client, aws_resources.queue_url, timeout_seconds=0.5)


def test_drain_wait_returns_when_empty(sqs_client, aws_resources):
    wait_until_drained(sqs_client, aws_resources.queue_url, timeout_seconds=5)
    assert count_messages(sqs_client, aws_resources.queue_url) == 0
