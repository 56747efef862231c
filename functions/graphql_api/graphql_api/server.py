"""The local GraphQL server: Ariadne's ASGI app with its explorer, for development only.

Run by `make local` at http://127.0.0.1:8000/graphql. AppSync is the
deployed transport; this server executes the same resolvers. Until the JWT
authorizer exists, the caller's entitlements come from the X-Dev-Caller
header, a JSON object such as
{"sub": "dev", "tenants": ["acme-corp"], "role": "viewer"}. The server
refuses to start unless ENVIRONMENT is dev.

AppSync limits request sizes and runs resolvers concurrently; this server
does the same with a body size limit, a token limit on the query, and
resolvers that run in worker threads so a slow query does not hold up
others.
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
from graphql import GraphQLError, GraphQLSchema, parse

from audit_common.settings import ConfigurationError
from graphql_api import context
from graphql_api.caller import caller_from_claims
from graphql_api.errors import ApiError, ErrorType, internal_error
from graphql_api.limits import MAX_TOKENS, validation_rules
from graphql_api.schema import build_schema

logger = logging.getLogger(__name__)

DEV_CALLER_HEADER = "x-dev-caller"
# Requests above this size are rejected before they are read whole.
MAX_BODY_BYTES = 1_048_576
ERROR_LOGGER = "graphql_api.server.errors"

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


def _caller(request: Any) -> Any:
    header = request.headers.get(DEV_CALLER_HEADER)
    if header is None:
        return None
    try:
        claims = json.loads(header)
    except json.JSONDecodeError:
        claims = {}
    return caller_from_claims(claims if isinstance(claims, dict) else {})


def context_value(request: Any, data: Any = None) -> context.RequestContext:
    request_id = str(uuid.uuid4())
    _request_id.set(request_id)
    try:
        return context.request_context(_caller(request), request_id)
    except ApiError as error:
        # An invalid header: every resolver reports this error instead of running.
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
    for field in schema.query_type.fields.values():
        if field.resolve is not None:
            field.resolve = _in_thread(field.resolve)
    return schema


class _RequestLimits:
    """ASGI middleware: reject bodies over MAX_BODY_BYTES and file uploads."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        content_type = headers.get(b"content-type", b"").decode("latin-1")
        if content_type.startswith("multipart/"):
            await _reject(send, 415, "file uploads are not supported; send a JSON body")
            return
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            await _reject(send, 413, f"the request body is over {MAX_BODY_BYTES} bytes")
            return
        received = 0

        async def limited_receive() -> dict[str, Any]:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > MAX_BODY_BYTES:
                raise _BodyTooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _BodyTooLarge:
            await _reject(send, 413, f"the request body is over {MAX_BODY_BYTES} bytes")


class _BodyTooLarge(Exception):
    pass


async def _reject(send: Any, status: int, message: str) -> None:
    body = json.dumps({"errors": [{"message": message, "errorType": "BAD_REQUEST"}]}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})


def create_app() -> Any:
    settings = context.settings()
    if not settings.development:
        raise ConfigurationError(
            f"the local GraphQL server runs only with ENVIRONMENT=dev, not {settings.environment!r}"
        )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
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
    return _RequestLimits(app)
