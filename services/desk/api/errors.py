"""Errors as readable JSON. Bad input is always a 4xx that says what to fix; never a 500."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from desk.turn_failures import TurnFailed
from desk.turns import TurnRejected

log = logging.getLogger(__name__)


def error_response(
    status: int, code: str, message: str, details: list[dict[str, Any]] | None = None
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": details or []}}
    return JSONResponse(body, status_code=status)


def rejection_response(exc: TurnRejected) -> JSONResponse:
    """The error body for a turn that cannot start, with its Retry-After when it has one."""
    response = error_response(exc.status, exc.code, exc.message)
    if exc.retry_after_s is not None:
        response.headers["Retry-After"] = str(exc.retry_after_s)
    return response


def describe_validation(errors: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    details = []
    sentences = []
    for error in errors:
        location = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
        if error.get("type") == "json_invalid":
            reason = error.get("ctx", {}).get("error", "it could not be parsed")
            sentences.append(f"The request body is not valid JSON: {reason}.")
        elif error.get("type") == "missing" and not location:
            sentences.append('The request needs a JSON body such as {"content": "..."}.')
        elif error.get("type") == "extra_forbidden":
            sentences.append(
                f"'{location}' is not a field of this request; a message is sent as "
                '{"content": "..."}.'
            )
        elif error.get("type") in ("model_attributes_type", "dict_type") and not location:
            sentences.append('The body must be a JSON object such as {"content": "..."}.')
        else:
            where = f"'{location}'" if location else "The body"
            sentences.append(f"{where}: {error.get('msg', 'is invalid')}.")
        details.append(
            {"field": location or None, "type": error.get("type"), "message": error.get("msg")}
        )
    return " ".join(sentences), details


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        message, details = describe_validation(list(exc.errors()))
        return error_response(422, "invalid_request", message, details)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if isinstance(exc.detail, dict):
            response = error_response(exc.status_code, exc.detail["code"], exc.detail["message"])
            response.headers.update(exc.headers or {})
            return response
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, str(exc.detail))

    @app.exception_handler(TurnRejected)
    async def turn_rejected(request: Request, exc: TurnRejected) -> JSONResponse:
        return rejection_response(exc)

    @app.exception_handler(TurnFailed)
    async def turn_failed(request: Request, exc: TurnFailed) -> JSONResponse:
        response = error_response(exc.status, exc.code, exc.message)
        if exc.retryable:
            response.headers["Retry-After"] = "1"
        return response

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        incident = uuid.uuid4().hex[:12]
        log.exception("unhandled error %s on %s %s", incident, request.method, request.url.path)
        return error_response(
            500, "internal_error", f"Something went wrong on our side (incident {incident})."
        )
