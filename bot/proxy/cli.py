"""``python -m bot.proxy``: the proxy's command line (:mod:`bot.proxy`), as ``carebot run``
starts it (``bot/runner.py``) with ``CAREBOT_INSTANCES`` > 1: parse the arguments, wire the
metrics (``--metrics``) and serve until SIGINT or SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from typing import Sequence

import bot.proxy as proxy_package
from bot.proxy.metrics import account_auth, redis_metrics
from bot.proxy.routing import ROUTINGS, parse_address
from bot.proxy.server import Proxy

logger = logging.getLogger("carebot.proxy")


async def serve(proxy: Proxy, host: str, port: int) -> None:
    """Listen on ``host:port`` until SIGINT or SIGTERM, then close."""
    await proxy.start(host, port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    logger.info(f"proxy on {host}:{port} -> {', '.join(b.name for b in proxy.backends)}")
    print(f"carebot proxy on http://{host}:{port}/ -> "
          f"{', '.join(b.name for b in proxy.backends)} ({proxy.routing})", flush=True)
    await stop.wait()
    await proxy.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.proxy", description=proxy_package.__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--listen", default="0.0.0.0:5005", help="host:port (default 0.0.0.0:5005)")
    parser.add_argument("--backend", action="append", required=True,
                        help="an instance, host:port (repeat for each)")
    parser.add_argument("--routing", choices=list(ROUTINGS), default=None,
                        help="default: CAREBOT_PROXY_ROUTING (sender)")
    parser.add_argument("--metrics", action="store_true",
                        help="serve carebot's metrics (Redis: REDIS_URL) on GET /metrics too")
    args = parser.parse_args(argv)
    from bot.settings import get_settings

    settings = get_settings()
    logging.basicConfig(level=settings.log_level,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    host, port = parse_address(args.listen, "0.0.0.0")
    proxy = Proxy(
        [parse_address(b) for b in args.backend],
        routing=args.routing or settings.proxy_routing,
        metrics=redis_metrics(settings.redis_url, settings.queue_prefix) if args.metrics
        else None,
        metrics_token=settings.metrics_token,
        metrics_auth=account_auth(settings) if args.metrics and not settings.metrics_token
        else None,
    )
    try:
        import uvloop  # noqa: F401 - installed with Sanic; faster event loop when present

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(serve(proxy, host, port))
    return 0
