"""``GET /api/tickets?label=``: the query argument and the filter (``bot.workspace.api`` calls
them; apart from ``labels_routes``, which imports ``api``)."""

from __future__ import annotations

from typing import Iterable, TypeVar

from sanic.request import Request

from bot.queue.labels import LabelError, normalise
from bot.workspace.errors import invalid

T = TypeVar("T")


def label_arg(request: Request) -> str | None:
    """The ``label`` query argument, normalised (422 when it cannot be a label)."""
    value = request.args.get("label")
    if value is None or value == "":
        return None
    try:
        return normalise(value)
    except LabelError as error:
        raise invalid(str(error)) from None


def with_label(tickets: Iterable[T], label: str) -> list[T]:
    """The tickets (``Ticket`` or a summary row holding one as ``.ticket``) carrying ``label``."""
    out = []
    for t in tickets:
        ticket = getattr(t, "ticket", t)
        if label in (getattr(ticket, "labels", None) or []):
            out.append(t)
    return out
