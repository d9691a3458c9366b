"""HTTP/1.1 on the wire for the proxy (:mod:`bot.proxy`): reading a message head and a chunked
body, copying a byte stream, and writing heads and small complete responses.

Nothing here knows about instances or routing; :mod:`bot.proxy.upstream` and
:mod:`bot.proxy.server` build on it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Sequence

MAX_HEAD = 64 * 1024
MAX_BODY = 16 * 1024 * 1024
HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding",
    "upgrade",
}


class BadRequest(Exception):
    """The client sent something that is not HTTP/1.x we can forward."""


@dataclass
class Message:
    """One HTTP message head (request or response) plus how its body is framed."""

    start: str
    headers: list[tuple[str, str]]
    length: int | None = None  # Content-Length
    chunked: bool = False

    def header(self, name: str) -> str | None:
        name = name.lower()
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None

    def tokens(self, name: str) -> set[str]:
        return {t.strip().lower() for t in (self.header(name) or "").split(",") if t.strip()}


async def read_head(reader: asyncio.StreamReader) -> Message | None:
    """The next message head; None on a clean EOF before any byte."""
    try:
        raw = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as error:
        if not error.partial.strip():
            return None
        raise BadRequest("truncated head") from None
    except asyncio.LimitOverrunError:
        raise BadRequest("head too large") from None
    lines = raw[:-4].decode("latin-1").split("\r\n")
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise BadRequest(f"bad header line {line[:40]!r}")
        headers.append((name, value.strip()))
    msg = Message(lines[0], headers)
    if "chunked" in msg.tokens("transfer-encoding"):
        msg.chunked = True
    elif msg.header("content-length") is not None:
        try:
            msg.length = int(msg.header("content-length") or "")
        except ValueError:
            raise BadRequest("bad Content-Length") from None
        if msg.length < 0:
            raise BadRequest("bad Content-Length")
    return msg


async def read_chunked(reader: asyncio.StreamReader) -> bytes:
    """A whole chunked body, re-framed as received (chunks, last chunk, trailers)."""
    out = bytearray()
    while True:
        line = await reader.readuntil(b"\r\n")
        out += line
        size = int(line.split(b";", 1)[0].strip() or b"0", 16)
        if size == 0:
            while True:  # trailers, then the empty line
                trailer = await reader.readuntil(b"\r\n")
                out += trailer
                if trailer == b"\r\n":
                    return bytes(out)
        out += await reader.readexactly(size + 2)
        if len(out) > MAX_BODY:
            raise BadRequest("body too large")


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy bytes until EOF (tunnels and close-delimited bodies)."""
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError, OSError):
        pass
    finally:
        try:
            if writer.can_write_eof():
                writer.write_eof()
        except (OSError, RuntimeError):
            pass


def close_quietly(writer: asyncio.StreamWriter) -> None:
    """Close a connection, ignoring errors of one that is already gone."""
    try:
        writer.close()
    except (OSError, RuntimeError):
        pass


def head_bytes(start: str, headers: Sequence[tuple[str, str]]) -> bytes:
    """A message head on the wire: the start line, the headers, the empty line."""
    return (start + "\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n").encode(
        "latin-1")


def simple_response(status: int, reason: str, body: bytes, ctype: str = "text/plain",
                    keep_alive: bool = True) -> bytes:
    """A complete response with a ``Content-Length`` body (the proxy's own answers)."""
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: {'keep-alive' if keep_alive else 'close'}"
        "\r\n\r\n"
    )
    return head.encode("latin-1") + body
