"""``GET /api/overview``: the supervisor's view of a time window, with alerts on spikes.

Deflection (share of decided messages the bot answered), escalations by reason, queue depth,
the oldest waiting ticket, recent claim waits, and alerts (``bot.stats.figures``): spikes of
messages, escalations or one escalation reason against the last 24 hours, and a follower waiting
too long.
The answer audit's production precision (``audit``: :mod:`bot.audit.precision`) comes with it.
The console polls it for supervisors; ``carebot stats`` prints the same JSON.

Wiring: ``app.blueprint(stats_route.bp)`` in :func:`bot.workspace.app.create_app`, and
``openapi.PATHS.update(stats_route.OPENAPI_PATHS)``.
"""

from __future__ import annotations

from typing import Any

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.stats.figures import SpikeRules, summary
from bot.workspace.audit_routes import PRECISION_SCHEMA, days_arg
from bot.workspace.auth import requires, workspace
from bot.workspace.errors import invalid

bp = Blueprint("stats", url_prefix="/api")

MAX_WINDOW_MINUTES = 24 * 60


def window_arg(request: Request) -> int:
    raw = request.args.get("minutes", "60")
    try:
        minutes = int(raw)
    except ValueError:
        raise invalid("'minutes' must be an integer.") from None
    if not 1 <= minutes <= MAX_WINDOW_MINUTES:
        raise invalid(f"'minutes' must be between 1 and {MAX_WINDOW_MINUTES}.")
    return minutes


@bp.get("/overview")
@requires("read")
async def overview(request: Request) -> HTTPResponse:
    ws = workspace(request)
    minutes = window_arg(request)
    audit_days = days_arg(request, "audit_days")
    data = await ws.call(
        summary,
        ws.redis,
        ws.settings.queue_prefix,
        minutes,
        SpikeRules.from_settings(ws.settings),
        ws.queue,
        audit_days=audit_days,
    )
    return response.json(data, headers={"Cache-Control": "no-store"})


_STATS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "window_minutes": {"type": "integer"},
        "messages": {"type": "integer"},
        "answered": {"type": "integer"},
        "escalated": {"type": "integer"},
        "outcomes": {"type": "object", "additionalProperties": {"type": "integer"}},
        "deflection_rate": {"type": "number", "nullable": True},
        "escalation_reasons": {"type": "object", "additionalProperties": {"type": "integer"}},
        "labels": {"type": "object", "additionalProperties": {"type": "integer"},
                   "description": "Labels agents added to tickets in the window, by label."},
        "queue_depth_by_priority": {"type": "object", "additionalProperties": {"type": "integer"}},
        "oldest_waiting_seconds": {"type": "number", "nullable": True},
        "claim_wait_seconds": {"type": "object"},
        "audit": PRECISION_SCHEMA,
        "alerts": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "kind": {"type": "string", "enum": ["spike", "long_wait"]},
                    "subject": {"type": "string"},
                    "count": {"type": "number"},
                    "expected": {"type": "number"},
                    "message": {"type": "string"},
                },
            },
        },
    },
}

OPENAPI_PATHS: dict[str, Any] = {
    "/api/overview": {
        "get": {
            "summary": "Deflection, escalation reasons, waits and alerts over a time window",
            "x-permission": "read",
            "description": "Spikes are judged against the previous 24 hours "
            "(CAREBOT_SPIKE_* settings).\n\nPermission: `read`.",
            "parameters": [
                {
                    "name": "minutes",
                    "in": "query",
                    "required": False,
                    "description": "Window length in minutes (1..1440, default 60).",
                    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_WINDOW_MINUTES},
                },
                {
                    "name": "audit_days",
                    "in": "query",
                    "required": False,
                    "description": "The answer audit's precision over the answers of the last "
                    "N days (1..365, default 30).",
                    "schema": {"type": "integer", "minimum": 1, "maximum": 365},
                },
            ],
            "responses": {
                "200": {
                    "description": "OK",
                    "content": {"application/json": {"schema": _STATS_SCHEMA}},
                },
                "401": {"$ref": "#/components/responses/Error"},
                "422": {"$ref": "#/components/responses/Error"},
            },
        }
    }
}
