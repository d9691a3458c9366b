"""``GET /internal/model``: the newest trained model, for every Rasa instance to pull.

Rasa's model server protocol (``endpoints.yml`` ``models: url:``; rasa/core/agent.py): the
instance sends ``If-None-Match: <fingerprint it has>``; the answer is 304 when that is the newest
model, else 200 with the ``.tar.gz`` body, its fingerprint in ``ETag`` and its file name in
``filename``. The fingerprint is the file name (trained models are never rewritten in place).

Internal: it needs the internal API token (``Settings.rasa_api_token``, ``Authorization:
Bearer``). nginx never forwards ``/internal/``.
"""

from __future__ import annotations

import hmac
from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, empty, file

from bot.model.training import latest_model
from bot.workspace.auth import workspace
from bot.workspace.errors import ApiError, unauthorized

bp = Blueprint("model_server")


def _allowed(request: Request, token: str) -> bool:
    given = request.headers.get("authorization", "")
    return bool(token) and hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


@bp.get("/internal/model")
async def model(request: Request) -> HTTPResponse:
    settings = workspace(request).settings
    if not _allowed(request, settings.rasa_api_token()):
        raise unauthorized()  # the same answer as every route without valid credentials
    newest = latest_model(settings.models_dir)
    if newest is None:
        raise ApiError(404, "not_found", "No trained model yet.")
    fingerprint = newest.name
    if request.headers.get("if-none-match", "").strip('"') == fingerprint:
        return empty(status=304)
    return await file(newest, headers={"ETag": fingerprint, "filename": newest.name},
                      mime_type="application/gzip")


setattr(model, "carebot_permission", "internal")  # noqa: B010  # the internal token


OPENAPI_PATHS: dict[str, Any] = {
    "/internal/model": {
        "get": {
            "summary": "The newest trained model, for the bot's own Rasa instances to pull",
            "x-permission": "internal",
            "description": "Rasa's model-server protocol: `If-None-Match` with the fingerprint "
            "the instance has; 304 when it is the newest, else the `.tar.gz` with `ETag` and "
            "`filename`. Needs the internal API token (`Authorization: Bearer`), not an agent "
            "token; nginx never forwards `/internal/`.",
            "parameters": [
                {"name": "If-None-Match", "in": "header", "required": False,
                 "schema": {"type": "string"}},
            ],
            "responses": {
                "200": {"description": "The model",
                        "content": {"application/gzip": {"schema": {"type": "string",
                                                                    "format": "binary"}}}},
                "304": {"description": "The instance has the newest model"},
                "401": {"$ref": "#/components/responses/Error"},
                "404": {"$ref": "#/components/responses/Error"},
            },
        }
    },
}
