"""``GET /metrics`` on the workspace: carebot's metrics in Prometheus text format.

Wiring (one line in :func:`bot.workspace.app.create_app`, next to the other blueprints)::

    app.blueprint(metrics_route.bp)      # from bot.workspace import metrics_route

The figures come from Redis (:func:`bot.stats.metrics.render_prometheus`: ``prometheus_client``
with a collector that reads the counters at scrape time), so any workspace process
shows the numbers of every bot instance. No personal data is exposed (counts by outcome,
response name, reason and priority only). With ``CAREBOT_METRICS_TOKEN`` set, scrapers must
send ``Authorization: Bearer <token>`` (Prometheus: ``authorization: {credentials: ...}``);
unset, any workspace account's token (or console session) is needed, like every other route.
"""

from __future__ import annotations

import hmac

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.stats.metrics import CONTENT_TYPE, render_prometheus

bp = Blueprint("metrics")


async def authorised(request: Request, token: str) -> bool:
    """The scrape token when one is configured; otherwise any valid workspace credential."""
    if not token:
        from bot.workspace.auth import authenticate

        return await authenticate(request) is not None
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    # bytes: compare_digest raises TypeError on str with non-ASCII characters
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode("utf-8", "surrogateescape"), token.encode("utf-8")
    )


@bp.get("/metrics")
async def metrics(request: Request) -> HTTPResponse:
    ws = request.app.ctx.workspace
    token = getattr(ws.settings, "metrics_token", "")
    if not await authorised(request, token):
        return response.text("unauthorised\n", status=401,
                             headers={"WWW-Authenticate": "Bearer"})
    try:
        body = await ws.call(render_prometheus, ws.redis, ws.settings.queue_prefix)
    except Exception as error:  # noqa: BLE001 - a scrape must say why, not crash
        return response.text(f"metrics unavailable: {error.__class__.__name__}\n", status=503)
    return response.text(body, content_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"})
