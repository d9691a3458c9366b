"""Fetching follower media (bot/channels/media.py) from the fake platforms: each platform's way
(WhatsApp media id → URL → Bearer download; Telegram getFile → file path; Meta CDN URLs; X with
OAuth), the 10 MB cap, the content-type allow-list, and no fetch of URLs off the platforms."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.channels.media import (
    MediaFetcher,
    MediaNotFound,
    MediaTooLarge,
    MediaUnavailable,
    MediaUnsupported,
)
from tests.fakes.channel_workspace import BOT_TOKEN, CHANNELS, channel_env
from tests.fakes.platforms import Credentials, FakePlatform

JPEG = b"\xff\xd8\xff\xe0" + b"jpeg-bytes" * 100
OGG = b"OggS" + b"voice" * 50


@pytest.fixture(scope="module")
def fakes() -> Iterator[dict[str, FakePlatform]]:
    creds = Credentials()
    started = {name: FakePlatform(name, Credentials(token=BOT_TOKEN) if name == "telegram"
                                  else creds).start() for name in CHANNELS}
    yield started
    for fake in started.values():
        fake.stop()


@pytest.fixture
def fetcher(fakes: dict[str, FakePlatform]) -> MediaFetcher:
    return MediaFetcher(channel_env(fakes, Credentials()), max_bytes=1024 * 1024)


def test_whatsapp_media_id_then_bearer_download(
    fakes: dict[str, FakePlatform], fetcher: MediaFetcher
) -> None:
    media_id = fakes["whatsapp"].add_media("1037543291543636", "image/jpeg", JPEG)
    got = fetcher.fetch("whatsapp", {"type": "image", "media_id": media_id})
    assert (got.content_type, got.body) == ("image/jpeg", JPEG)
    meta, download = fakes["whatsapp"].requests[-2:]
    assert meta.path == f"/v19.0/{media_id}" and download.path.endswith(media_id)
    assert meta.headers["authorization"] == download.headers["authorization"] == (
        "Bearer test-token")
    with pytest.raises(MediaNotFound):
        fetcher.fetch("whatsapp", {"type": "image", "media_id": "999"})
    with pytest.raises(MediaNotFound):
        fetcher.fetch("whatsapp", {"type": "image", "media_id": "../../etc"})
    with pytest.raises(MediaNotFound):
        fetcher.fetch("whatsapp", {"type": "image"})


def test_telegram_get_file_then_download_typed_by_its_path(
    fakes: dict[str, FakePlatform], fetcher: MediaFetcher
) -> None:
    file_id = fakes["telegram"].add_media("AwACAgQAAxkBAAIBvoice", "audio/ogg", OGG)
    got = fetcher.fetch("telegram", {"type": "audio", "media_id": file_id})
    assert (got.content_type, got.body) == ("audio/ogg", OGG)  # not application/octet-stream
    get_file, download = fakes["telegram"].requests[-2:]
    assert (get_file.path, get_file.query) == (f"/bot{BOT_TOKEN}/getFile", {"file_id": file_id})
    assert download.path == f"/file/bot{BOT_TOKEN}/files/{file_id}.oga"
    with pytest.raises(MediaUnavailable) as refused:
        fetcher.fetch("telegram", {"type": "image", "media_id": "unknown"})
    assert BOT_TOKEN not in str(refused.value)  # the token never leaves in an error


@pytest.mark.parametrize("channel", ["messenger", "instagram", "x"])
def test_platform_urls_are_fetched_others_never(
    channel: str, fakes: dict[str, FakePlatform], fetcher: MediaFetcher
) -> None:
    url = fakes[channel].add_media(f"{channel}-photo", "image/png", b"\x89PNG....")
    got = fetcher.fetch(channel, {"type": "image", "url": url})
    assert got.content_type == "image/png"
    if channel == "x":
        assert fakes["x"].requests[-1].headers["authorization"].startswith("OAuth ")
    for off_platform in ("http://169.254.169.254/latest/meta-data/", "https://evil.example/a.png",
                         "https://fbcdn.net.evil.example/a.png", "file:///etc/passwd", ""):
        with pytest.raises(MediaNotFound):
            fetcher.fetch(channel, {"type": "image", "url": off_platform})


def test_size_cap_type_allow_list_and_unconfigured(
    fakes: dict[str, FakePlatform], fetcher: MediaFetcher
) -> None:
    big = fakes["whatsapp"].add_media("2000000000000001", "video/mp4", b"0" * (1024 * 1024 + 1))
    with pytest.raises(MediaTooLarge):
        fetcher.fetch("whatsapp", {"type": "video", "media_id": big})
    url = fakes["messenger"].add_media("big-file", "application/pdf", b"%PDF" * 300_000)
    with pytest.raises(MediaTooLarge):  # no size announced first: cut while streaming
        fetcher.fetch("messenger", {"type": "file", "url": url})
    url = fakes["messenger"].add_media("page", "text/html", b"<script>alert(1)</script>")
    with pytest.raises(MediaUnsupported):
        fetcher.fetch("messenger", {"type": "file", "url": url})
    with pytest.raises(MediaNotFound):
        fetcher.fetch("rest", {"type": "image", "url": "https://example.com/a.png"})
    with pytest.raises(MediaUnavailable):
        MediaFetcher({}).fetch("whatsapp", {"type": "image", "media_id": "1"})
