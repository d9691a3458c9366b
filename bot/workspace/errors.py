"""HTTP errors of the workspace: one JSON shape, fixed messages, nothing internal in a body.

Every error body is ``{"error": code, "message": text}`` (plus ``holder`` for a ticket another
agent holds). Messages are written here, never copied from an exception, so no stack trace,
Redis address or token can reach a client; unexpected errors are logged and answered 500.
"""

from __future__ import annotations

import logging
from typing import Any

import redis as redis_lib
from sanic import response
from sanic.exceptions import SanicException
from sanic.handlers import ErrorHandler
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.queue.errors import AlreadyClaimed, NotHolder, QueueError, TicketClosed, TicketNotFound
from bot.rasa_ext.client import RasaUnavailable

log = logging.getLogger(__name__)

GENERIC = {
    400: ("bad_request", "The request is not valid."),
    401: ("unauthorized", "Sign in with your agent token."),
    403: ("forbidden", "Your role does not allow this."),
    404: ("not_found", "Not found."),
    405: ("method_not_allowed", "Method not allowed."),
    408: ("timeout", "The request took too long."),
    413: ("too_large", "The request is too large."),
    500: ("internal", "Something went wrong on our side; try again."),
    503: ("unavailable", "The service is unavailable; try again shortly."),
}


class ApiError(SanicException):
    """An error answered as ``{"error": code, "message": message, **extra}``."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message, status_code=status)
        self.code = code
        self.message = message
        self.fields = extra


def unauthorized() -> ApiError:
    return ApiError(401, *GENERIC[401])


def forbidden() -> ApiError:
    return ApiError(403, *GENERIC[403])


def invalid(message: str) -> ApiError:
    return ApiError(422, "invalid", message)


def from_queue_error(exc: QueueError) -> ApiError:
    """A queue error as the API states it (the agent is told who holds a ticket)."""
    tid = exc.ticket_id
    if isinstance(exc, TicketNotFound):
        return ApiError(404, "not_found", f"No ticket {tid}.")
    if isinstance(exc, AlreadyClaimed):
        return ApiError(409, "already_claimed", f"{tid} is already claimed by {exc.holder}.",
                        holder=exc.holder)
    if isinstance(exc, NotHolder):
        if exc.holder:
            return ApiError(409, "not_holder", f"You do not hold {tid}: {exc.holder} does.",
                            holder=exc.holder)
        return ApiError(409, "not_holder",
                        f"You do not hold {tid} (not claimed, or your claim ran out).")
    if isinstance(exc, TicketClosed):
        return ApiError(409, "closed", f"{tid} is already resolved.")
    return ApiError(409, "conflict", f"{tid} cannot change that way now.")


def body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": code, "message": message, **extra}


class JsonErrorHandler(ErrorHandler):
    """Answers every error with the JSON shape above and logs the unexpected ones."""

    def default(self, request: Request, exception: Exception) -> HTTPResponse:
        headers = {"Cache-Control": "no-store"}
        if isinstance(exception, ApiError):
            data = body(exception.code, exception.message, **exception.fields)
            return response.json(data, status=exception.status_code, headers=headers)
        if isinstance(exception, QueueError):
            err = from_queue_error(exception)
            data = body(err.code, err.message, **err.fields)
            return response.json(data, status=err.status_code, headers=headers)
        if isinstance(exception, RasaUnavailable):
            log.error("Rasa unavailable: %s", exception)
            return response.json(
                body("delivery_failed", "The bot server could not be reached. The reply is "
                     "kept on the ticket; try again in a moment."), status=502, headers=headers)
        if isinstance(exception, redis_lib.RedisError):
            log.error("Redis error: %s", exception)
            return response.json(body(*GENERIC[503]), status=503, headers=headers)
        status = getattr(exception, "status_code", 500) if isinstance(
            exception, SanicException) else 500
        if status >= 500:
            log.error("unexpected error on %s %s", request.method, request.path,
                      exc_info=exception)
        code, message = GENERIC.get(status, ("error", "The request failed."))
        return response.json(body(code, message), status=status, headers=headers)
