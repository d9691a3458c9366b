"""A real ``carebot workspace`` process wired to the five fake platforms and a fake Rasa.

For the tests of what the workspace does with the social channels (reply windows, templates,
typing indicators, read receipts, presence, the contact panel) without a trained model: the
workspace gets every channel's variables pointing at a :class:`FakePlatform`, and
``CAREBOT_RASA_URL`` at a :class:`FakeRasa` that sends agent replies through carebot's real output
channels to those same fakes. ``REDIS_URL`` is the test db, also in this process (the fake Rasa's
output channels record undeliverable replies there).

Use :func:`channel_workspace` from a module-scoped fixture; each test still gets the flushed db
(``redis_client``) and calls :meth:`ChannelWorkspace.reset`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.channels.delivery import SocialOutput
from bot.channels.instagram import InstagramOutput
from bot.channels.messenger import MessengerOutput
from bot.channels.settings import (
    InstagramSettings,
    MessengerSettings,
    TelegramSettings,
    WhatsAppSettings,
    XSettings,
)
from bot.channels.telegram import TelegramOutput
from bot.channels.whatsapp import WhatsAppOutput
from bot.channels.x import XOutput
from bot.settings import reset_settings
from tests.fakes.channel_env import APP_SECRET, VERIFY_TOKEN
from tests.fakes.fake_rasa import FakeRasa
from tests.fakes.fixtures import fast_client
from tests.fakes.platforms import Credentials, FakePlatform
from tests.fakes.workspace_process import ROOT, workspace_process

BOT_TOKEN = "123456:ABC-test_token"
TG_SECRET = "tg-secret"
X_BRAND = "3001"
RASA_TOKEN = "r" * 40
CHANNELS = ("messenger", "instagram", "whatsapp", "telegram", "x")


@dataclass
class ChannelWorkspace:
    url: str
    fakes: dict[str, FakePlatform]
    rasa: FakeRasa
    creds: Credentials

    def reset(self) -> None:
        self.rasa.reset()
        for fake in self.fakes.values():
            with fake._state.lock:
                fake._state.requests.clear()
                fake._state.script.clear()


def channel_env(fakes: dict[str, FakePlatform], creds: Credentials) -> dict[str, str]:
    """Every channel's variables, pointing at the fakes."""
    return {
        "MESSENGER_PAGE_ACCESS_TOKEN": creds.token, "MESSENGER_APP_SECRET": APP_SECRET,
        "MESSENGER_VERIFY_TOKEN": VERIFY_TOKEN, "MESSENGER_API_BASE": fakes["messenger"].api_base,
        "INSTAGRAM_ACCESS_TOKEN": creds.token, "INSTAGRAM_APP_SECRET": APP_SECRET,
        "INSTAGRAM_VERIFY_TOKEN": VERIFY_TOKEN, "INSTAGRAM_API_BASE": fakes["instagram"].api_base,
        "WHATSAPP_ACCESS_TOKEN": creds.token, "WHATSAPP_APP_SECRET": APP_SECRET,
        "WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN, "WHATSAPP_PHONE_NUMBER_ID": creds.phone_number_id,
        "WHATSAPP_API_BASE": fakes["whatsapp"].api_base,
        "TELEGRAM_BOT_TOKEN": BOT_TOKEN, "TELEGRAM_SECRET_TOKEN": TG_SECRET,
        "TELEGRAM_API_BASE": fakes["telegram"].api_base,
        "X_CONSUMER_KEY": creds.consumer_key, "X_CONSUMER_SECRET": creds.consumer_secret,
        "X_ACCESS_TOKEN": creds.access_token, "X_ACCESS_TOKEN_SECRET": creds.access_token_secret,
        "X_USER_ID": X_BRAND, "X_API_BASE": fakes["x"].api_base,
    }


def outputs(fakes: dict[str, FakePlatform], creds: Credentials) -> dict[str, SocialOutput[Any]]:
    """carebot's output channels, configured for the fakes (what the Rasa server would run)."""
    meta = {"app_secret": APP_SECRET, "verify_token": VERIFY_TOKEN}
    return {
        "messenger": MessengerOutput(MessengerSettings(
            page_access_token=creds.token, **meta, api_base=fakes["messenger"].api_base),
            fast_client("messenger")),
        "instagram": InstagramOutput(InstagramSettings(
            access_token=creds.token, **meta, api_base=fakes["instagram"].api_base),
            fast_client("instagram")),
        "whatsapp": WhatsAppOutput(WhatsAppSettings(
            access_token=creds.token, **meta, phone_number_id=creds.phone_number_id,
            api_base=fakes["whatsapp"].api_base), fast_client("whatsapp")),
        "telegram": TelegramOutput(TelegramSettings(
            bot_token=BOT_TOKEN, secret_token=TG_SECRET, api_base=fakes["telegram"].api_base),
            fast_client("telegram")),
        "x": XOutput(XSettings(
            consumer_key=creds.consumer_key, consumer_secret=creds.consumer_secret,
            access_token=creds.access_token, access_token_secret=creds.access_token_secret,
            user_id=X_BRAND, api_base=fakes["x"].api_base), fast_client("x")),
    }


@contextmanager
def channel_workspace(redis_url: str, tmp: Path, **extra_env: str) -> Iterator[ChannelWorkspace]:
    """Fakes, fake Rasa and a workspace process using them (all stopped afterwards)."""
    creds = Credentials()
    saved = {k: os.environ.get(k) for k in ("REDIS_URL", "CAREBOT_VAR_DIR")}
    with ExitStack() as stack:
        fakes = {}
        for name in CHANNELS:
            own = Credentials(token=BOT_TOKEN) if name == "telegram" else creds
            fakes[name] = FakePlatform(name, own).start()
            stack.callback(fakes[name].stop)
        rasa = FakeRasa(dict(outputs(fakes, creds))).start()
        stack.callback(rasa.stop)
        os.environ["REDIS_URL"] = redis_url
        os.environ["CAREBOT_VAR_DIR"] = str(tmp / "var-tests")
        reset_settings()
        env = {k: v for k, v in os.environ.items() if k != "CAREBOT_AGENT_TOKEN"}
        env.update(channel_env(fakes, creds))
        env.update({
            "REDIS_URL": redis_url, "CAREBOT_HOME": str(ROOT),
            "CAREBOT_VAR_DIR": str(tmp / "var"), "CAREBOT_EMBEDDED_REDIS": "never",
            "CAREBOT_RASA_URL": rasa.root, "CAREBOT_RASA_TOKEN": RASA_TOKEN,
            "CAREBOT_MODEL_SERVER_URL": "none", "PYTHONUNBUFFERED": "1", **extra_env,
        })
        carebot = str(Path(sys.executable).parent / "carebot")
        try:
            with workspace_process([carebot, "workspace", "--port"], env,
                                   tmp / "workspace.log") as url:
                yield ChannelWorkspace(url, fakes, rasa, creds)
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            reset_settings()
