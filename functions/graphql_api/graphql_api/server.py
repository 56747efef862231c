"""The local GraphQL server: Ariadne's ASGI app with its explorer, for development only.

`make local` serves it at http://127.0.0.1:8000/graphql (see
scripts/local_api.py). AppSync is the deployed transport; this server runs
the same resolvers behind the same request path: the Authorization header
goes to a Lambda authorizer as an AppSync authorizer event, a denial is an
HTTP 401 with AppSync's UnauthorizedException, and an allow hands the
authorizer's resolverContext to the resolvers as the caller. The server
refuses to start unless ENVIRONMENT is dev.

It also keeps the limits AppSync would apply in front of a Lambda: a body
size limit, a token limit on the query, and resolvers in worker threads, so
that a slow query does not hold up other requests.
"""

from __future__ import annotations

import contextvars
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import anyio.to_thread
from ariadne.asgi import GraphQL
from ariadne.explorer import ExplorerGraphiQL
from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from graphql import GraphQLError, GraphQLSchema, parse

from audit_common.settings import ConfigurationError
from graphql_api import context
from graphql_api.caller import caller_from_claims
from graphql_api.errors import ApiError, ErrorType, internal_error
from graphql_api.limits import MAX_TOKENS, validation_rules
from graphql_api.schema import build_schema

logger = logging.getLogger(__name__)

# Requests above this size are rejected before they are read whole.
MAX_BODY_BYTES = 1_048_576
ERROR_LOGGER = "graphql_api.server.errors"
# What AppSync answers when the Lambda authorizer denies a request.
UNAUTHORIZED = {
    "errors": [
        {
            "errorType": "UnauthorizedException",
            "message": "You are not authorized to make this call.",
        }
    ]
}

Authorize = Callable[[dict[str, Any]], dict[str, Any]]

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


def context_value(request: Any, data: Any = None) -> context.RequestContext:
    request_id = request.scope.get("state", {}).get("request_id") or str(uuid.uuid4())
    _request_id.set(request_id)
    resolver_context = request.scope.get("state", {}).get("resolver_context")
    if resolver_context is None:
        return context.request_context(None, request_id)
    try:
        return context.request_context(caller_from_claims(resolver_context), request_id)
    except ApiError as error:
        # An authorizer that returned unusable entitlements: resolvers report why.
        return context.request_context(None, request_id, caller_error=error)


def format_error(error: GraphQLError, debug: bool = False) -> dict[str, Any]:
    """Shape an error as AppSync does: message and errorType, never a stack trace or SQL."""
    formatted: dict[str, Any] = {"message": error.message}
    if error.locations:
        formatted["locations"] = [
            {"line": location.line, "column": location.column} for location in error.locations
        ]
    if error.path:
        formatted["path"] = error.path
    original = error.original_error
    if isinstance(original, ApiError):
        error_type = original.error_type
        formatted["message"] = original.message
    elif not error.path:
        # Before execution: syntax, validation, limits and variable values, whose
        # messages name the problem.
        error_type = ErrorType.BAD_REQUEST
    else:
        request_id = _request_id.get()
        logger.error("resolver failed", extra={"request_id": request_id}, exc_info=original)
        error_type = ErrorType.INTERNAL
        formatted["message"] = internal_error(request_id).message
    formatted["errorType"] = error_type.value
    formatted["extensions"] = {"errorType": error_type.value}
    return formatted


def _parse_query(_context: Any, data: dict[str, Any]) -> Any:
    query = data.get("query")
    if not isinstance(query, str):
        raise GraphQLError("the request has no query: send a JSON body with a query string")
    return parse(query, max_tokens=MAX_TOKENS)


def _in_thread(resolver: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    """Run a blocking resolver in a worker thread, so the event loop keeps serving."""

    async def resolve(parent: Any, info: Any, **arguments: Any) -> Any:
        request_context = contextvars.copy_context()
        return await anyio.to_thread.run_sync(
            lambda: request_context.run(resolver, parent, info, **arguments)
        )

    return resolve


def _threaded_schema() -> GraphQLSchema:
    """Build a schema of its own whose Query resolvers run in threads; AppSync's stays as is."""
    schema = build_schema()
    if schema.query_type is None:
        raise ConfigurationError("the GraphQL schema has no Query type")
    for field in schema.query_type.fields.values():
        if field.resolve is not None:
            field.resolve = _in_thread(field.resolve)
    return schema


class _AppSyncFront:
    """ASGI middleware doing what AppSync does before a resolver runs.

    It rejects file uploads and bodies over MAX_BODY_BYTES, then sends each
    GraphQL POST to the Lambda authorizer as an AppSync authorizer event.
    A denial is answered with HTTP 401; an allow passes the authorizer's
    resolverContext on in the ASGI scope's state.
    """

    def __init__(self, app: Any, authorize: Authorize | None) -> None:
        self.app = app
        self.authorize = authorize

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        raw_headers = [
            (name.decode("latin-1").lower(), value.decode("latin-1"))
            for name, value in scope.get("headers") or []
        ]
        headers = dict(raw_headers)
        if sum(name == "authorization" for name, _ in raw_headers) > 1:
            # Which of two tokens would count is ambiguous, so neither does.
            await _respond(send, 401, UNAUTHORIZED)
            return
        if headers.get("content-type", "").startswith("multipart/"):
            await _reject(send, 415, "file uploads are not supported; send a JSON body")
            return
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            await _reject(send, 413, f"the request body is over {MAX_BODY_BYTES} bytes")
            return
        body = await _read_body(receive)
        if body is None:
            await _reject(send, 413, f"the request body is over {MAX_BODY_BYTES} bytes")
            return
        try:
            request = _parse_request(body)
        except RecursionError:
            await _reject(
                send,
                400,
                "the request body's JSON is nested too deeply to parse; "
                "send variables nested a few levels at most",
            )
            return
        request_id = str(uuid.uuid4())
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        if self.authorize is not None:
            response = await anyio.to_thread.run_sync(
                self.authorize, _authorizer_event(headers, request, request_id)
            )
            if not response.get("isAuthorized"):
                await _respond(send, 401, UNAUTHORIZED)
                return
            state["resolver_context"] = response.get("resolverContext") or {}
        await self.app(scope, _replay(body), _graphql_status(send))


def _parse_request(body: bytes) -> dict[str, Any]:
    """Return the body's JSON object, or {} for anything else; Ariadne rejects those itself.

    Raises RecursionError for JSON nested past what Python's parser can recurse into.
    """
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def _authorizer_event(
    headers: dict[str, str], data: dict[str, Any], request_id: str
) -> dict[str, Any]:
    """Build the Lambda authorizer request AppSync sends for a GraphQL request."""
    return {
        "authorizationToken": headers.get("authorization", ""),
        "requestContext": {
            "apiId": "local",
            "accountId": "000000000000",
            "requestId": request_id,
            "queryString": data.get("query") if isinstance(data.get("query"), str) else "",
            "operationName": data.get("operationName"),
            "variables": data.get("variables") if isinstance(data.get("variables"), dict) else {},
        },
        "requestHeaders": headers,
    }


def _graphql_status(send: Any) -> Any:
    """Answer GraphQL errors with HTTP 200, as AppSync does, where Ariadne uses 400.

    Ariadne follows the GraphQL-over-HTTP draft and answers a request that
    fails validation with 400; AppSync answers every GraphQL response, errors
    included, with 200, and clients written against it expect that.
    """

    async def send_with_status(message: dict[str, Any]) -> None:
        if (
            message["type"] == "http.response.start"
            and message["status"] == 400
            and (b"content-type", b"application/json") in message.get("headers", [])
        ):
            message = {**message, "status": 200}
        await send(message)

    return send_with_status


async def _read_body(receive: Any) -> bytes | None:
    """Read the whole request body, or return None once it passes MAX_BODY_BYTES."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def _replay(body: bytes) -> Callable[[], Awaitable[dict[str, Any]]]:
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def _reject(send: Any, status: int, message: str) -> None:
    await _respond(send, status, {"errors": [{"message": message, "errorType": "BAD_REQUEST"}]})


async def _respond(send: Any, status: int, payload: dict[str, Any]) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": json.dumps(payload).encode()})


def create_app(authorize: Authorize | None = None) -> Any:
    """Build the ASGI app; `authorize` is a Lambda authorizer handler for AppSync's events.

    Without one, no request has a caller and every query answers FORBIDDEN.
    """
    settings = context.settings()
    if not settings.development:
        raise ConfigurationError(
            f"the local GraphQL server runs only with ENVIRONMENT=dev, not {settings.environment!r}"
        )
    # JSON log lines, as the Lambda functions write them to CloudWatch.
    copy_config_to_registered_loggers(
        source_logger=Logger(service="audit-graphql-api-local"),
        include={"audit_common", "graphql_api", "authorizer"},
    )
    # Ariadne logs every error of every request, the client's own mistakes included;
    # format_error logs the unexpected ones, with the request id.
    logging.getLogger(ERROR_LOGGER).disabled = True
    schema = _threaded_schema()
    app = GraphQL(
        schema,
        context_value=context_value,
        error_formatter=format_error,
        query_parser=_parse_query,
        validation_rules=lambda _context, document, data: validation_rules(
            schema, (data or {}).get("variables")
        ),
        introspection=settings.development,
        explorer=ExplorerGraphiQL(title="Audit log API (local)"),
        logger=ERROR_LOGGER,
        debug=False,
    )
    return _AppSyncFront(app, authorize)
