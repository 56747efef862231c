"""Every read of the log becomes an audit_log.viewed event on the bus, without affecting the read."""

from __future__ import annotations

import json
import logging

import pytest
from graphql_support import EVENTS_QUERY, NOW, caller, error_types, execute, window

pytestmark = pytest.mark.integration


@pytest.fixture
def audited(api_environment, aws_resources, local_aws, monkeypatch, insert_events):
    from graphql_api import context

    monkeypatch.setenv("AUDIT_BUS_NAME", aws_resources.bus_name)
    monkeypatch.setenv("AWS_ENDPOINT_URL", local_aws.endpoint_url)
    context.reset()
    context.settings()
    insert_events([{"tenant_id": "acme", "event_id": "a1", "occurred_at": NOW}])
    return aws_resources


def published(sqs_client, queue_url: str) -> list[dict]:
    from graphql_api import context

    context.read_auditor().flush(timeout_seconds=10)
    response = sqs_client.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
    )
    return [json.loads(message["Body"]) for message in response.get("Messages", [])]


def test_read_is_published(audited, sqs_client):
    result = execute(EVENTS_QUERY, {"filter": window(), "first": 3}, caller("acme"))

    envelopes = published(sqs_client, audited.queue_url)
    assert "errors" not in result
    assert len(envelopes) == 1
    detail = envelopes[0]["detail"]
    assert envelopes[0]["source"] == "audit-log.graphql-api"
    assert detail["action"] == "audit_log.viewed"
    assert detail["tenantId"] == "acme"
    assert detail["outcome"] == "success"
    assert detail["actor"] == {"type": "user", "id": "user-test"}
    assert detail["target"] == {"type": "tenant", "id": "acme"}
    assert detail["context"]["query"] == "auditEvents"
    assert detail["context"]["arguments"]["filter"]["tenantId"] == "acme"
    assert detail["context"]["arguments"]["first"] == 3


def test_denied_read_goes_to_the_callers_own_log(audited, sqs_client):
    result = execute(EVENTS_QUERY, {"filter": window("globex")}, caller("acme"))

    envelopes = published(sqs_client, audited.queue_url)
    assert error_types(result) == ["FORBIDDEN"]
    assert [envelope["detail"]["outcome"] for envelope in envelopes] == ["denied"]
    # Nobody can add events to a tenant it may not read.
    assert envelopes[0]["detail"]["tenantId"] == "acme"
    assert envelopes[0]["detail"]["target"] == {"type": "tenant", "id": "globex"}


def test_failed_read_is_published_as_failure(audited, sqs_client):
    result = execute(EVENTS_QUERY, {"filter": window(), "after": "not-a-cursor"}, caller("acme"))

    envelopes = published(sqs_client, audited.queue_url)
    assert error_types(result) == ["BAD_CURSOR"]
    assert [envelope["detail"]["outcome"] for envelope in envelopes] == ["failure"]
    assert envelopes[0]["detail"]["tenantId"] == "acme"


def test_large_arguments_are_replaced_by_their_digest(audited, sqs_client):
    actions = [f"document.action{index:05}" for index in range(600)]

    execute(EVENTS_QUERY, {"filter": {**window(), "actions": actions}}, caller("acme"))

    arguments = published(sqs_client, audited.queue_url)[0]["detail"]["context"]["arguments"]
    assert set(arguments) == {"omitted", "sha256"}
    assert "over 8192" in arguments["omitted"]


def test_read_event_passes_the_contract(audited, sqs_client, subscriber, audit_db):
    execute(EVENTS_QUERY, {"filter": window()}, caller("acme"))
    body = json.dumps(published(sqs_client, audited.queue_url)[0])

    response = subscriber.invoke([body])

    assert response == {"batchItemFailures": []}
    assert (
        audit_db.scalar("SELECT count(*) FROM audit.events WHERE action = 'audit_log.viewed'") == 1
    )


def test_read_with_nul_argument_is_stored(audited, sqs_client, subscriber, audit_db):
    result = execute(
        EVENTS_QUERY, {"filter": {**window(), "actionPrefix": "user\x00\ud800"}}, caller("acme")
    )
    envelope = published(sqs_client, audited.queue_url)[0]

    response = subscriber.invoke([json.dumps(envelope)])

    assert error_types(result) == ["BAD_FILTER"]
    assert envelope["detail"]["outcome"] == "failure"
    assert (
        envelope["detail"]["context"]["arguments"]["filter"]["actionPrefix"] == "user\ufffd\ufffd"
    )
    assert response == {"batchItemFailures": []}
    assert audit_db.scalar("SELECT count(*) FROM audit.rejected_events") == 0


def test_invalid_tenant_read_goes_to_own_log(audited, sqs_client):
    result = execute(EVENTS_QUERY, {"filter": window("acme\x00")}, caller("acme"))

    envelopes = published(sqs_client, audited.queue_url)
    assert error_types(result) == ["BAD_FILTER"]
    assert [envelope["detail"]["outcome"] for envelope in envelopes] == ["failure"]
    assert envelopes[0]["detail"]["tenantId"] == "acme"
    assert envelopes[0]["detail"]["target"] == {"type": "tenant", "id": "acme\ufffd"}


def test_unreachable_bus_does_not_fail_read(
    api_environment, insert_events, monkeypatch, unused_port, caplog
):
    from graphql_api import context

    monkeypatch.setenv("AUDIT_BUS_NAME", "audit-events")
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{unused_port}")
    context.reset()
    context.settings()
    insert_events([{"tenant_id": "acme", "event_id": "a1", "occurred_at": NOW}])

    with caplog.at_level(logging.ERROR, logger="graphql_api.read_audit"):
        result = execute(EVENTS_QUERY, {"filter": window()}, caller("acme"))
        context.read_auditor().flush(timeout_seconds=10)

    assert [edge["node"]["eventId"] for edge in result["data"]["auditEvents"]["edges"]] == ["a1"]
    # The lost read event is in the log line, whole, so it can be replayed.
    [record] = [r for r in caplog.records if r.name == "graphql_api.read_audit"]
    assert record.detail["action"] == "audit_log.viewed"
    assert record.detail["tenantId"] == "acme"
