"""Normalise AWS events delivered through CloudTrail into the audit event model.

EventBridge wraps each CloudTrail record in an envelope whose detail-type
names the kind of record and whose detail is the record itself. Real
records are irregular: event ids that are not UUIDs or are missing,
userIdentity without a type or absent, null requestParameters, errorCode as
an empty string. Everything the mapping does not use stays available in
the stored original.
"""

from __future__ import annotations

from typing import Any

from subscriber.config import Settings
from subscriber.model import AuditEvent, InvalidMessage, Reason
from subscriber.values import content_sha256, optional_json, parse_timestamp

DETAIL_TYPES = frozenset(
    {
        "AWS API Call via CloudTrail",
        "AWS Console Sign In via CloudTrail",
        "AWS Service Event via CloudTrail",
    }
)

# Error codes AWS services return when the caller lacked permission.
DENIED_ERROR_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "Client.UnauthorizedOperation",
        "UnauthorizedOperation",
        "UnauthorizedAccess",
        "AuthorizationError",
        "NotAuthorized",
    }
)

# Fields of the record worth querying on; the whole record stays in `original`.
CONTEXT_FIELDS = (
    ("requestID", "requestId"),
    ("awsRegion", "awsRegion"),
    ("eventType", "eventType"),
    ("eventCategory", "eventCategory"),
    ("eventVersion", "eventVersion"),
    ("readOnly", "readOnly"),
    ("managementEvent", "managementEvent"),
    ("recipientAccountId", "recipientAccountId"),
    ("sharedEventID", "sharedEventId"),
    ("vpcEndpointId", "vpcEndpointId"),
    ("sessionCredentialFromConsole", "sessionCredentialFromConsole"),
)

MAX_IDENTIFIER_LENGTH = 256


def normalise(envelope: dict[str, Any], body: str, settings: Settings) -> AuditEvent:
    """Map a CloudTrail record delivered by EventBridge onto the columns of audit.events."""
    detail_type = envelope["detail-type"]
    if detail_type not in DETAIL_TYPES:
        raise InvalidMessage(
            Reason.UNSUPPORTED_EVENT_TYPE,
            f"AWS event of detail-type {detail_type!r} from {envelope['source']!r} is not "
            f"ingested; only {', '.join(sorted(DETAIL_TYPES))} are. "
            "Narrow the rule's event pattern.",
        )
    record: dict[str, Any] = envelope["detail"]
    identity = _object(record.get("userIdentity"))

    account = _first_text(
        record.get("recipientAccountId"), envelope.get("account"), identity.get("accountId")
    )
    tenant_id = settings.account_tenants.get(account or "") or settings.account_tenants.get("*")
    if not tenant_id:
        raise InvalidMessage(
            Reason.UNMAPPED_ACCOUNT,
            f'AWS account {account!r} has no tenant: add it (or a "*" entry) to '
            "AWS_ACCOUNT_TENANTS, then redrive the rejected event",
        )

    event_id = _first_text(record.get("eventID"), envelope["id"])
    if event_id is None:
        raise InvalidMessage(
            Reason.INVALID_ENVELOPE,
            "the CloudTrail record has no eventID and the envelope's id is blank",
        )
    if len(event_id) > MAX_IDENTIFIER_LENGTH:
        raise InvalidMessage(
            Reason.SCHEMA_VIOLATION,
            f"CloudTrail eventID is {len(event_id)} characters, over {MAX_IDENTIFIER_LENGTH}",
        )
    if "eventTime" in record:
        occurred_at = parse_timestamp(record["eventTime"], "detail.eventTime")
    else:
        occurred_at = parse_timestamp(envelope.get("time"), "envelope time")

    target_type, target_id = _target(record, envelope)
    context = {
        name: record[field] for field, name in CONTEXT_FIELDS if record.get(field) is not None
    }
    return AuditEvent(
        tenant_id=tenant_id,
        event_id=event_id,
        occurred_at=occurred_at,
        source=envelope["source"],
        detail_type=detail_type,
        action=_action(record, envelope["source"]),
        outcome=_outcome(record),
        actor_type=_actor_type(record, identity),
        actor_id=_actor_id(identity, record),
        actor_name=_actor_name(identity),
        actor_ip=_first_text(record.get("sourceIPAddress")),
        actor_user_agent=_first_text(record.get("userAgent")),
        target_type=target_type,
        target_id=target_id,
        target_name=None,
        changes_json=None,
        context_json=optional_json(context) if context else None,
        metadata_json=None,
        original_json=body,
        content_sha256=content_sha256(envelope),
    )


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _first_text(*values: Any) -> str | None:
    """Return the first value that is a string with something besides whitespace."""
    for value in values:
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _service(record: dict[str, Any], source: str) -> str:
    """s3.amazonaws.com -> s3; without eventSource, aws.s3 -> s3."""
    event_source = _first_text(record.get("eventSource"))
    if event_source:
        return event_source.removesuffix(".amazonaws.com")
    return source.removeprefix("aws.")


def _action(record: dict[str, Any], source: str) -> str:
    """aws.<service>.<eventName>, e.g. aws.s3.CreateBucket or aws.signin.ConsoleLogin."""
    event_name = _first_text(record.get("eventName")) or "unknown"
    return f"aws.{_service(record, source)}.{event_name}"


def _outcome(record: dict[str, Any]) -> str:
    error_code = _first_text(record.get("errorCode"))
    if error_code:
        if error_code in DENIED_ERROR_CODES or "AccessDenied" in error_code:
            return "denied"
        return "failure"
    if _first_text(record.get("errorMessage")):
        return "failure"
    # Sign-in events report their result in responseElements instead of errorCode.
    response = _object(record.get("responseElements"))
    if "Failure" in (response.get("ConsoleLogin"), response.get("CheckMfa")):
        return "failure"
    return "success"


def _actor_type(record: dict[str, Any], identity: dict[str, Any]) -> str:
    if not identity:
        return "system"
    if identity.get("type") == "AWSService" or _first_text(identity.get("invokedBy")):
        return "service"
    return "user"


def _actor_id(identity: dict[str, Any], record: dict[str, Any]) -> str:
    session_issuer = _object(_object(identity.get("sessionContext")).get("sessionIssuer"))
    return (
        _first_text(
            identity.get("arn"),
            identity.get("principalId"),
            session_issuer.get("arn"),
            identity.get("invokedBy"),
            identity.get("userName"),
            identity.get("accountId"),
            record.get("recipientAccountId"),
        )
        or "unknown"
    )[:MAX_IDENTIFIER_LENGTH]


def _actor_name(identity: dict[str, Any]) -> str | None:
    session_issuer = _object(_object(identity.get("sessionContext")).get("sessionIssuer"))
    name = _first_text(identity.get("userName"), session_issuer.get("userName"))
    if name:
        return name
    arn = _first_text(identity.get("arn"))
    return arn.rsplit("/", 1)[-1] if arn and "/" in arn else None


def _target(record: dict[str, Any], envelope: dict[str, Any]) -> tuple[str | None, str | None]:
    """Return (type, id) of the first resource the record or the envelope names."""
    resources = record.get("resources")
    if isinstance(resources, list):
        for resource in resources:
            resource = _object(resource)
            arn = _first_text(resource.get("ARN"), resource.get("arn"))
            if arn:
                return (_first_text(resource.get("type")) or _arn_service(arn), arn)
    envelope_resources = envelope.get("resources")
    if isinstance(envelope_resources, list):
        for arn in envelope_resources:
            if _first_text(arn):
                return (_arn_service(arn), arn.strip())
    return (None, None)


def _arn_service(arn: str) -> str | None:
    """arn:aws:s3:::bucket -> aws:s3; anything that is not an ARN -> None."""
    parts = arn.split(":")
    if len(parts) >= 6 and parts[0] == "arn":
        return f"aws:{parts[2]}"
    return None
