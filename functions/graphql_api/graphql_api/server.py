"""The local GraphQL server: Ariadne's ASGI app with its explorer, for development only.

Run by `make local` at http://127.0.0.1:8000/graphql. AppSync is the
deployed transport; this server executes the same schema and resolvers.
Until the JWT authorizer exists, the caller's entitlements come from the
X-Dev-Caller header, a JSON object such as
{"sub": "dev", "tenants": ["acme-corp"], "role": "viewer"}. The server
refuses to start unless ENVIRONMENT is dev.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from ariadne.asgi import GraphQL
from ariadne.explorer import ExplorerGraphiQL
from graphql import GraphQLError

from audit_common.settings import ConfigurationError
from graphql_api import context
from graphql_api.caller import caller_from_claims
from graphql_api.errors import ApiError, ErrorType, internal_error
from graphql_api.limits import validation_rules
from graphql_api.schema import schema

logger = logging.getLogger(__name__)

DEV_CALLER_HEADER = "x-dev-caller"


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
    try:
        caller = _caller(request)
    except ApiError:
        # An invalid header means no caller: every resolver answers FORBIDDEN.
        caller = None
    return context.request_context(caller, request_id)


def format_error(error: GraphQLError, debug: bool = False) -> dict[str, Any]:
    """Shape an error as AppSync does: message and errorType, never a stack trace or SQL."""
    formatted: dict[str, Any] = {"message": error.message}
    if error.locations:
        formatted["locations"] = [
            {"line": loc.line, "column": loc.column} for loc in error.locations
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
        logger.error("resolver failed", exc_info=original)
        error_type = ErrorType.INTERNAL
        formatted["message"] = internal_error(None).message
    formatted["errorType"] = error_type.value
    formatted["extensions"] = {"errorType": error_type.value}
    return formatted


def create_app() -> GraphQL:
    settings = context.settings()
    if not settings.development:
        raise ConfigurationError(
            f"the local GraphQL server runs only with ENVIRONMENT=dev, not {settings.environment!r}"
        )
    return GraphQL(
        schema,
        context_value=context_value,
        error_formatter=format_error,
        validation_rules=lambda _context, _document, data: validation_rules(
            schema, (data or {}).get("variables")
        ),
        introspection=settings.development,
        explorer=ExplorerGraphiQL(title="Audit log API (local)"),
        debug=False,
    )
