"""``carebot run``: the whole product on one machine, stopped cleanly with Ctrl-C.

Order: train if data/config changed → Redis (``REDIS_URL``, or an embedded one) → action server
(:5055) → Rasa server (:5005, REST + socket.io + HTTP API) → web chat page (:8080) → agent
workspace (:8000) → queue sweeper (lease expiry, aging, spool delivery).

Everything listens on 127.0.0.1 unless configured (``CAREBOT_RASA_HOST``, ``CAREBOT_ACTIONS_HOST``,
``CAREBOT_WEBCHAT_HOST``, ``CAREBOT_WORKSPACE_HOST``). Rasa's HTTP API always requires its token
(added by ``bot.rasa_ext.serve``, never on a command line) and its CORS allows the web chat's
origins only (``CAREBOT_WEBCHAT_ORIGINS``).

With ``CAREBOT_INSTANCES=N`` (N > 1): N action servers (:5056…) and N Rasa servers (:5006…),
all on the same Redis tracker and lock stores, behind Debian's nginx on :5005 with production's
routing (``deploy/nginx/``: sticky by sender; Rasa's API on :5004 for carebot's own processes);
see ``docs/scaling.md`` and ``docs/deploy.md``.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

from bot.model.training import train
from bot.process.embedded_redis import EmbeddedRedis, redis_answers
from bot.process.endpoints import write_endpoints
from bot.settings import Settings, get_settings

WEBCHAT_DIR = Path(__file__).resolve().parent.parent / "webchat"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
"""The checkout (``scripts/``, ``deploy/``), not ``CAREBOT_HOME`` (which may hold only data)."""


class _WebChatHandler(http.server.SimpleHTTPRequestHandler):
    rasa_port = 5005

    def log_message(self, format: str, *args: object) -> None:  # quiet
        return

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        if self.path.split("?")[0] in ("/", "/index.html"):
            body = (WEBCHAT_DIR / "index.html").read_text(encoding="utf-8")
            data = body.replace("__RASA_PORT__", str(self.rasa_port)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        super().do_GET()


def start_webchat(
    port: int, rasa_port: int, host: str = "127.0.0.1"
) -> http.server.ThreadingHTTPServer:
    """Serve the web chat page on ``host:port`` (a thread), pointing it at Rasa's ``rasa_port``."""
    handler = type("Handler", (_WebChatHandler,), {"rasa_port": rasa_port})
    server = http.server.ThreadingHTTPServer(
        (host, port), functools.partial(handler, directory=str(WEBCHAT_DIR))
    )
    threading.Thread(target=server.serve_forever, daemon=True, name="webchat").start()
    return server


def wait_http(url: str, timeout: float, process: subprocess.Popen[bytes] | None = None) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            return False
        try:
            if requests.get(url, timeout=1).status_code < 500:
                return True
        except requests.RequestException:
            pass
        time.sleep(0.5)
    return False


class Runner:
    """Starts, watches and stops every carebot process."""

    def __init__(self, settings: Settings, workspace: bool = True, sweeper: bool = True) -> None:
        self.settings = settings
        self.workspace = workspace
        self.sweeper = sweeper
        self.children: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.embedded: EmbeddedRedis | None = None
        self.stop_event = threading.Event()
        self.webchat: http.server.ThreadingHTTPServer | None = None

    def _spawn(
        self, name: str, command: list[str], log: Path, extra_env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        log.parent.mkdir(parents=True, exist_ok=True)
        handle = open(log, "ab")
        env = {
            **os.environ,
            **self.settings.to_env(),
            "PYTHONUNBUFFERED": "1",
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            **(extra_env or {}),
        }
        process = subprocess.Popen(
            command,
            cwd=self.settings.home,
            stdout=handle,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
        self.children.append((name, process))
        return process

    def ensure_redis(self) -> str:
        s = self.settings
        if s.redis_sentinels:
            where = ",".join(f"{h}:{p}" for h, p in s.redis_sentinels)
            return f"Redis master {s.redis_master_name!r} through the sentinels at {where}"
        if s.embedded_redis != "always" and redis_answers(s.redis_url):
            return f"Redis at {s.redis_url}"
        if s.embedded_redis == "never":
            raise SystemExit(
                f"carebot: no Redis answers at {s.redis_url} (CAREBOT_EMBEDDED_REDIS=never)"
            )
        self.embedded = EmbeddedRedis(s.redis_url, s.var_dir / "redis")
        self.embedded.start()
        return f"embedded Redis at {s.redis_url} (AOF in {s.var_dir / 'redis'})"

    def start(self) -> list[tuple[str, str]]:
        s = self.settings
        bindir = Path(sys.executable).parent
        s.rasa_api_token()  # generated once here, before the processes that need it start
        model = train(s.home, s.models_dir)
        where = [("redis", self.ensure_redis())]
        logs = s.var_dir / "log"
        workspace = None
        if self.workspace:
            # First: it is the model server every Rasa instance loads its model from.
            workspace = self._spawn(
                "workspace",
                [str(bindir / "python"), "-m", "bot.cli", "workspace", "--port",
                 str(s.workspace_port)],
                logs / "workspace.log",
            )
        if s.instances > 1:
            where += self._start_instances(model, bindir, logs)
        else:
            where += self._start_single(model, bindir, logs)
        if workspace is not None:
            if not wait_http(f"http://localhost:{s.workspace_port}/healthz", 120, workspace):
                raise SystemExit(
                    f"carebot: the workspace did not start (see {logs / 'workspace.log'})"
                )
            where.append(("workspace", f"http://localhost:{s.workspace_port}/"))
        if self.sweeper:
            threading.Thread(target=self._sweep_forever, daemon=True, name="sweeper").start()
        return where

    def _actions_cmd(self, bindir: Path, port: int) -> list[str]:
        return [str(bindir / "python"), "-m", "rasa_sdk", "--actions", "actions", "--port",
                str(port)]

    def _spawn_actions(self, name: str, bindir: Path, port: int, log: Path,
                       host: str) -> subprocess.Popen[bytes]:
        """An action server on ``host:port``. rasa_sdk has no address option: it listens on
        ``SANIC_HOST`` (default 0.0.0.0), set here for the child only."""
        return self._spawn(name, self._actions_cmd(bindir, port), log,
                           extra_env={"SANIC_HOST": host})

    def _rasa_cmd(
        self, bindir: Path, model: Path | None, port: int, endpoints: str, host: str
    ) -> list[str]:
        """``rasa run`` through ``bot.rasa_ext.serve``, which adds the API token (so it is on no
        command line); CORS for the web chat's origins only."""
        s = self.settings
        return [
            str(bindir / "python"),
            "-m",
            "bot.rasa_ext.serve",
            "run",
            "--enable-api",
            "--interface",
            host,
            "--port",
            str(port),
            "--model",
            str(model),
            "--credentials",
            self._credentials(),
            "--endpoints",
            endpoints,
            "--cors",
            *s.webchat_origins,
        ]

    def _start_single(self, model: Path | None, bindir: Path, logs: Path) -> list[tuple[str, str]]:
        """One action server (:5055) and one Rasa server (:5005): the default layout."""
        s = self.settings
        actions = self._spawn_actions(
            "actions", bindir, s.actions_port, logs / "actions.log", s.actions_host
        )
        rasa = self._spawn(
            "rasa",
            self._rasa_cmd(bindir, model, s.rasa_port, self._endpoints(), s.rasa_host),
            logs / "rasa.log",
        )
        self.webchat = start_webchat(s.webchat_port, s.rasa_port, s.webchat_host)
        if not wait_http(f"http://localhost:{s.actions_port}/health", 180, actions):
            raise SystemExit(
                f"carebot: the action server did not start (see {logs / 'actions.log'})"
            )
        if not wait_http(f"http://localhost:{s.rasa_port}/status", 180, rasa):
            raise SystemExit(f"carebot: the Rasa server did not start (see {logs / 'rasa.log'})")
        return [
            (
                "actions",
                f"http://localhost:{s.actions_port}/webhook   (log: {logs / 'actions.log'})",
            ),
            (
                "rasa",
                f"http://localhost:{s.rasa_port}   REST: POST /webhooks/rest/webhook   "
                f"(log: {logs / 'rasa.log'})",
            ),
            ("web chat", f"http://localhost:{s.webchat_port}/"),
        ]

    def _start_instances(
        self, model: Path | None, bindir: Path, logs: Path
    ) -> list[tuple[str, str]]:
        """``CAREBOT_INSTANCES`` = N > 1: N action servers (``CAREBOT_ACTIONS_PORT`` + i) and
        N Rasa servers (``CAREBOT_RASA_PORT`` + i) on the same Redis tracker and lock stores,
        behind Debian's nginx on ``CAREBOT_RASA_PORT``, with the routing production uses
        (``deploy/nginx/``, rendered by ``scripts/render-nginx-conf``: sticky by sender; only
        the channels and health public; Rasa's API on ``CAREBOT_RASA_PORT`` - 1 for carebot's
        own processes). The instances listen on 127.0.0.1; nginx on ``CAREBOT_RASA_HOST``."""
        s = self.settings
        started = []
        for i in range(1, s.instances + 1):
            actions_port, rasa_port = s.actions_port + i, s.rasa_port + i
            actions = self._spawn_actions(
                f"actions-{i}", bindir, actions_port, logs / f"actions-{i}.log", s.actions_host
            )
            endpoints = self._endpoints(actions_port, f"endpoints-{i}.yml")
            rasa = self._spawn(
                f"rasa-{i}", self._rasa_cmd(bindir, model, rasa_port, endpoints, "127.0.0.1"),
                logs / f"rasa-{i}.log",
            )
            started.append((i, actions_port, actions, rasa_port, rasa))
        for i, actions_port, actions, rasa_port, rasa in started:
            if not wait_http(f"http://localhost:{actions_port}/health", 300, actions):
                raise SystemExit(f"carebot: action server {i} did not start "
                                 f"(see {logs / f'actions-{i}.log'})")
            if not wait_http(f"http://localhost:{rasa_port}/status", 300, rasa):
                raise SystemExit(f"carebot: Rasa server {i} did not start "
                                 f"(see {logs / f'rasa-{i}.log'})")
        nginx = self._spawn("nginx", self._nginx_cmd(), logs / "nginx.log")
        if not wait_http(f"http://localhost:{s.rasa_port}/healthz", 60, nginx):
            raise SystemExit(f"carebot: nginx did not start (see {logs / 'nginx.log'})")
        self.webchat = start_webchat(s.webchat_port, s.rasa_port, s.webchat_host)
        where = []
        for i, actions_port, _, rasa_port, _ in started:
            where.append((f"actions-{i}", f"http://localhost:{actions_port}/webhook   "
                                          f"(log: {logs / f'actions-{i}.log'})"))
            where.append((f"rasa-{i}", f"http://localhost:{rasa_port}   "
                                       f"(log: {logs / f'rasa-{i}.log'})"))
        where += [
            (
                "nginx",
                f"http://localhost:{s.rasa_port}   REST: POST /webhooks/rest/webhook, socket.io "
                f"(sticky by sender; Rasa's API only on {s.rasa_url}; log: {logs / 'nginx.log'})",
            ),
            ("web chat", f"http://localhost:{s.webchat_port}/"),
        ]
        return where

    def _nginx_cmd(self) -> list[str]:
        s = self.settings
        if not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
            raise SystemExit("carebot: CAREBOT_INSTANCES > 1 runs the instances behind Debian's "
                             "nginx, which is not installed: sudo apt-get install -y nginx "
                             "(`make run` installs it when it can)")
        script = PROJECT_ROOT / "scripts" / "render-nginx-conf"
        # In-process limits (bot.channels.ratelimit) guard `make run`; nginx's per-address limit
        # would throttle the load benchmark, whose followers all come from one address.
        return [str(script), "--instances", str(s.instances), "--rasa-port", str(s.rasa_port),
                "--listen", f"{s.rasa_host}:{s.rasa_port}",
                "--api-listen", f"127.0.0.1:{s.rasa_port - 1}",
                "--prefix", str(s.var_dir / "nginx"), "--follower-rate", "100000r/s", "--exec"]

    def _endpoints(self, actions_port: int | None = None, name: str = "endpoints.yml") -> str:
        """endpoints.yml with the action server's port (default: from the settings); every
        instance pulls the newest model from the workspace when it runs (bot.model.rollout)."""
        s = self.settings
        port = s.actions_port if actions_port is None else actions_port
        path = write_endpoints(s, f"http://localhost:{port}/webhook", s.var_dir / "run" / name,
                               model_server=self.workspace)
        return str(path)

    def _credentials(self) -> str:
        social = self.settings.home / "config" / "credentials.social.yml"
        if self.settings.social_channels and social.exists():
            return str(social)
        return "config/credentials.yml"

    def _sweep_forever(self) -> None:
        from bot.queue.sweeper import from_settings

        from_settings(self.settings).run_forever(self.stop_event)

    def watch(self) -> int:
        while not self.stop_event.is_set():
            for name, process in self.children:
                if process.poll() is not None:
                    print(f"carebot: {name} exited with {process.returncode}; stopping")
                    return 1
            time.sleep(0.5)
        return 0

    def stop(self) -> None:
        self.stop_event.set()
        if self.webchat is not None:
            self.webchat.shutdown()
            self.webchat.server_close()
        for _, process in reversed(self.children):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for _, process in reversed(self.children):
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        if self.embedded is not None:
            self.embedded.stop()


def run(workspace: bool = True) -> int:
    settings = get_settings()
    runner = Runner(settings, workspace=workspace)
    print("carebot: starting; the first run trains the bot (about half a minute).", flush=True)

    running = [False]

    def on_signal(signum: int, frame: object) -> None:
        runner.stop_event.set()
        if not running[0]:
            raise KeyboardInterrupt  # still starting: abandon start-up, then clean up

    signal.signal(signal.SIGTERM, on_signal)
    # Also take Ctrl-C explicitly: a shell that starts us in the background sets SIGINT to
    # "ignore", which Python would otherwise keep.
    signal.signal(signal.SIGINT, on_signal)
    try:
        where = runner.start()
        print("\ncarebot is running:")
        for name, place in where:
            print(f"  {name:<10} {place}")
        print("\nPress Ctrl-C to stop.\n", flush=True)
        running[0] = True
        return runner.watch()
    except KeyboardInterrupt:
        return 0
    finally:
        print("carebot: stopping…", flush=True)
        runner.stop()
        print("carebot: stopped.", flush=True)
