"""AppSync direct Lambda resolver: one event per field, or a list of them (BatchInvoke).

AppSync runs the GraphQL query itself and invokes this function for each
Query field, with the field's arguments, the caller's identity (the Lambda
authorizer's resolverContext) and info.selectionSetList. The handler
coerces the arguments with the schema's types, so the scalars and enums
behave as in the local server, calls the resolver Ariadne bound to
info.parentTypeName and info.fieldName, and serializes the result with the
schema's scalars, because AppSync does not know this API's Python values.

Errors: for a single event the handler raises an exception whose class
name is the errorType (BAD_CURSOR, FORBIDDEN, ...), which AppSync reports as
errorType with the exception message as message. For BatchInvoke each item
of the returned list is {"data": ...} or {"data": null, "errorMessage",
"errorType"}.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ariadne.utils import convert_camel_case_to_snake
from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from graphql import (
    GraphQLEnumType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    Undefined,
    coerce_input_value,
    is_non_null_type,
)

# Public in graphql-core 3.3, though its docs mark it private; pinned in requirements.txt.
from graphql.utilities.coerce_input_value import coerce_default_value
from graphql.utilities.validate_input_value import validate_input_value

from graphql_api import context
from graphql_api.caller import caller_from_claims
from graphql_api.errors import ApiError, ErrorType, internal_error
from graphql_api.schema import schema
from graphql_api.settings import SERVICE_NAME

logger = Logger(service=SERVICE_NAME)
copy_config_to_registered_loggers(source_logger=logger, include={"audit_common", "graphql_api"})


class AppSyncError(Exception):
    """Base of the exceptions raised to AppSync; the subclass name is the errorType."""


# The Lambda runtime reports an exception's class name as errorType, and AppSync
# passes it on to the client, so each stable error type gets a class of that name.
_ERROR_CLASSES: dict[ErrorType, type[AppSyncError]] = {
    error_type: type(error_type.value, (AppSyncError,), {}) for error_type in ErrorType
}


@dataclass
class AppSyncInfo:
    """The parts of graphql-core's resolve info the resolvers use, from an AppSync event."""

    context: Any
    field_name: str
    parent_type_name: str
    selection_set_list: list[str] = field(default_factory=list)
    variables: dict[str, Any] = field(default_factory=dict)


def _input_problems(name: str, value: Any, input_type: GraphQLInputType) -> list[str]:
    """Return what is wrong with an argument's value, each problem named by its path."""
    problems: list[str] = []

    def report(error: Any, path: list[str | int], *_: Any) -> None:
        where = "".join(f".{step}" if isinstance(step, str) else f"[{step}]" for step in path)
        problems.append(f"{name}{where}: {error.message}")

    validate_input_value(value, input_type, report)
    return problems


def _arguments(field_definition: Any, raw: dict[str, Any]) -> dict[str, Any]:
    """Coerce AppSync's JSON arguments with the schema's types, named as resolvers expect."""
    arguments: dict[str, Any] = {}
    for name, argument in field_definition.args.items():
        python_name = argument.out_name or name
        if name in raw:
            problems = _input_problems(name, raw[name], argument.type)
            value = Undefined if problems else coerce_input_value(raw[name], argument.type)
            if value is Undefined:
                detail = "; ".join(problems) or f"{name}: invalid value"
                raise ApiError(ErrorType.BAD_REQUEST, _shorten(f"invalid argument {detail}"))
            arguments[python_name] = value
        else:
            default = coerce_default_value(argument)
            if default is not Undefined:
                arguments[python_name] = default
            elif is_non_null_type(argument.type):
                raise ApiError(ErrorType.BAD_REQUEST, f"argument {name} is required")
    return arguments


def _shorten(message: str, limit: int = 500) -> str:
    """Keep a message readable when it quotes a large argument back."""
    return message if len(message) <= limit else message[: limit - 3] + "..."


def serialize(output_type: GraphQLOutputType, value: Any) -> Any:
    """Turn a resolver's Python result into the JSON AppSync expects for this type."""
    if value is None:
        return None
    if isinstance(output_type, GraphQLNonNull):
        return serialize(output_type.of_type, value)
    if isinstance(output_type, GraphQLList):
        return [serialize(output_type.of_type, item) for item in value]
    if isinstance(output_type, GraphQLScalarType | GraphQLEnumType):
        return output_type.serialize(value)
    if isinstance(output_type, GraphQLObjectType):
        result = {}
        for name, field_definition in output_type.fields.items():
            # Resolvers return snake_case keys, as Ariadne's name conversion reads them.
            key = convert_camel_case_to_snake(name)
            if key in value:
                result[name] = serialize(field_definition.type, value[key])
        return result
    raise TypeError(f"cannot serialize a value of GraphQL type {output_type}")


def _resolve(event: Any, request_id: str | None) -> Any:
    if not isinstance(event, dict):
        raise ApiError(ErrorType.BAD_REQUEST, "the resolver event is not a JSON object")
    info = event.get("info")
    if not isinstance(info, dict):
        raise ApiError(ErrorType.BAD_REQUEST, "the resolver event has no info object")
    parent_type_name = info.get("parentTypeName")
    field_name = info.get("fieldName")
    if not isinstance(parent_type_name, str) or not isinstance(field_name, str):
        raise ApiError(
            ErrorType.BAD_REQUEST, "the resolver event's info has no parentTypeName and fieldName"
        )
    parent_type = schema.type_map.get(parent_type_name)
    fields = parent_type.fields if isinstance(parent_type, GraphQLObjectType) else {}
    field_definition = fields.get(field_name)
    if field_definition is None or field_definition.resolve is None:
        raise ApiError(ErrorType.NOT_FOUND, f"no resolver for {parent_type_name}.{field_name}")
    identity = event.get("identity") or {}
    resolver_context = identity.get("resolverContext") if isinstance(identity, dict) else None
    if resolver_context is None:
        caller = None
    elif isinstance(resolver_context, dict):
        caller = caller_from_claims(resolver_context)
    else:
        raise ApiError(ErrorType.FORBIDDEN, "the caller's resolverContext is not an object")
    resolve_info = AppSyncInfo(
        context=context.request_context(caller, request_id),
        field_name=field_name,
        parent_type_name=parent_type_name,
        selection_set_list=list(info.get("selectionSetList") or []),
        variables=dict(info.get("variables") or {}),
    )
    raw_arguments = event.get("arguments") or {}
    if not isinstance(raw_arguments, dict):
        raise ApiError(ErrorType.BAD_REQUEST, "the resolver event's arguments are not an object")
    arguments = _arguments(field_definition, raw_arguments)
    result = field_definition.resolve(event.get("source"), resolve_info, **arguments)
    return serialize(field_definition.type, result)


def _as_api_error(error: Exception, request_id: str | None) -> ApiError:
    if isinstance(error, ApiError):
        return error
    logger.exception("resolver failed", extra={"request_id": request_id})
    return internal_error(request_id)


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any] | list[dict[str, Any]], lambda_context: Any) -> Any:
    try:
        return _handle(event, getattr(lambda_context, "aws_request_id", None))
    finally:
        # Let the audit_log.viewed events of this invocation reach EventBridge
        # before Lambda freezes the process.
        context.read_auditor().flush(timeout_seconds=1.0)


def _handle(event: dict[str, Any] | list[dict[str, Any]], request_id: str | None) -> Any:
    if isinstance(event, list):
        results = []
        for item in event:
            try:
                results.append({"data": _resolve(item, request_id)})
            except Exception as error:  # noqa: BLE001 - each item reports its own error
                api_error = _as_api_error(error, request_id)
                results.append(
                    {
                        "data": None,
                        "errorMessage": api_error.message,
                        "errorType": api_error.error_type.value,
                    }
                )
        return results
    try:
        return _resolve(event, request_id)
    except Exception as error:  # noqa: BLE001 - re-raised as the errorType's class
        api_error = _as_api_error(error, request_id)
        raise _ERROR_CLASSES[api_error.error_type](api_error.message) from None
