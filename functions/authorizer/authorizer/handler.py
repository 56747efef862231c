"""Lambda entry point: AppSync authorizer event -> isAuthorized, resolverContext, deniedFields."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.utilities.typing import LambdaContext

from authorizer.authorize import Authorizer, deny_uncached, log_decision, request_id_of
from authorizer.errors import DenyReason
from authorizer.settings import SERVICE_NAME, ConfigurationError, load_settings

logger = Logger(service=SERVICE_NAME)
# The authorizer's modules and the shared package log through the standard library.
# This gives them the Powertools format.
copy_config_to_registered_loggers(source_logger=logger, include={"audit_common", "authorizer"})


@cache
def authorizer() -> Authorizer:
    """Build the Authorizer once per warm Lambda, so its JWKS cache survives invocations."""
    return Authorizer(load_settings())


# The event is not logged: its authorizationToken is a bearer credential.
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        instance = authorizer()
    except ConfigurationError as error:
        # functools.cache keeps no result for a raised error, so each invocation
        # reads the environment again.
        decision = deny_uncached(DenyReason.CONFIGURATION_ERROR, f"invalid configuration: {error}")
        log_decision(decision, request_id_of(event))
        return decision.to_response()
    return instance.authorize_event(event)
