"""Errors clients see: a stable type and a message that explains what to fix."""

from __future__ import annotations

from enum import StrEnum


class ErrorType(StrEnum):
    """Stable values of a GraphQL error's errorType."""

    BAD_CURSOR = "BAD_CURSOR"
    BAD_FILTER = "BAD_FILTER"
    BAD_REQUEST = "BAD_REQUEST"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    INTERNAL = "INTERNAL"


class ApiError(Exception):
    """An error whose message is safe and useful to show to the client."""

    def __init__(self, error_type: ErrorType, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message


def internal_error(request_id: str | None) -> ApiError:
    """Build the error a client sees for anything unexpected: no detail, a request reference."""
    reference = f" (request {request_id})" if request_id else ""
    return ApiError(ErrorType.INTERNAL, f"internal error{reference}; try again later")


def error_type_of(error: BaseException | None) -> ErrorType | None:
    """Return the stable type of an ApiError, or None for anything else."""
    return error.error_type if isinstance(error, ApiError) else None
