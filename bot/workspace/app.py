"""The workspace service: ``create_app(settings)`` builds the Sanic app, ``serve`` runs it."""

from __future__ import annotations

import asyncio
import itertools
import logging

from sanic import Sanic

from bot.queue.keys import Keys
from bot.settings import Settings, get_settings
from bot.workspace import (
    api,
    audit_routes,
    canned_routes,
    console,
    events,
    followers_routes,
    labels_routes,
    media_routes,
    metrics_route,
    model_route,
    presence,
    privacy_route,
    reply_images_routes,
    review_routes,
    search_routes,
    stats_route,
)
from bot.workspace.errors import JsonErrorHandler
from bot.workspace.service import Workspace

log = logging.getLogger(__name__)
_names = itertools.count(1)


def create_app(settings: Settings | None = None, workspace: Workspace | None = None) -> Sanic:
    """A new app on ``settings`` (default: the environment's)."""
    settings = settings or get_settings()
    app = Sanic(f"carebot_workspace_{next(_names)}", env_prefix=None,
                error_handler=JsonErrorHandler(), configure_logging=False)
    app.config.REQUEST_MAX_SIZE = 1_000_000
    app.config.GRACEFUL_SHUTDOWN_TIMEOUT = 1.0
    app.config.FALLBACK_ERROR_FORMAT = "json"
    app.ctx.settings = settings
    app.ctx.workspace = workspace or Workspace(settings)
    app.blueprint(api.bp)
    app.blueprint(events.bp)
    app.blueprint(console.bp)
    app.blueprint(metrics_route.bp)
    app.blueprint(review_routes.bp)
    app.blueprint(stats_route.bp)
    app.blueprint(model_route.bp)
    app.blueprint(canned_routes.bp)
    app.blueprint(labels_routes.bp)
    app.blueprint(search_routes.bp)
    app.blueprint(presence.bp)
    app.blueprint(followers_routes.bp)
    app.blueprint(media_routes.bp)
    app.blueprint(reply_images_routes.bp)
    app.blueprint(privacy_route.bp)
    app.blueprint(audit_routes.bp)
    app.register_middleware(console.add_security_headers, "response")

    @app.after_server_start
    async def start_hub(app: Sanic, _loop: asyncio.AbstractEventLoop) -> None:
        hub = events.EventHub(settings.redis_url, Keys(settings.queue_prefix).events)
        app.ctx.hub = hub
        hub.start()
        app.ctx.presence = presence.Listener(settings.redis_url, settings.queue_prefix, hub)
        app.ctx.presence.start()

    @app.before_server_stop
    async def stop_hub(app: Sanic, _loop: asyncio.AbstractEventLoop) -> None:
        await app.ctx.presence.close()
        await app.ctx.hub.close()

    @app.after_server_stop
    async def close_workspace(app: Sanic, _loop: asyncio.AbstractEventLoop) -> None:
        app.ctx.workspace.close()

    return app


def serve(settings: Settings | None = None, port: int | None = None,
          host: str | None = None) -> None:
    """Run the workspace until interrupted (one process; Redis holds all shared state)."""
    settings = settings or get_settings()
    logging.basicConfig(level=settings.log_level)
    app = create_app(settings)
    host = host or settings.workspace_host
    port = port or settings.workspace_port
    log.info("carebot workspace on http://%s:%s/", host, port)
    app.run(host=host, port=port, workers=1, access_log=False, motd=False)
