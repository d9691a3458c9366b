"""The risk–coverage PNG: matplotlib with the Agg backend, as ``bench/common.py`` plots, or, when
matplotlib is not installed, a plain PNG drawn here (axes, grid, lines and dots; the Markdown
report carries the labels and the legend)."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import Any, Mapping, Sequence

Series = Sequence[tuple[float, float]]  # (x, y) in 0..1

COLOURS = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189)]


def plot_risk_coverage(
    curves: Mapping[str, Series],
    path: Path,
    title: str,
    dots: Mapping[str, tuple[float, float]] | None = None,
    max_risk: float = 0.02,
) -> Path:
    """Error of the answers sent (risk) against the share of messages answered (coverage), one
    line per curve; ``dots``: name → (coverage, risk) of what ``decide()`` actually did."""
    try:
        plt = _pyplot()
    except ImportError:
        return write_plain_png(curves, dots or {}, path, hline=max_risk)
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
    for name, points in curves.items():
        if points:
            ax.plot([x for x, _ in points], [y for _, y in points], label=name)
    for name, (x, y) in (dots or {}).items():
        ax.scatter([x], [y], s=40, zorder=3, label=f"{name}: decide()")
    ax.axhline(max_risk, color="grey", linestyle="--", linewidth=0.8, label=f"risk {max_risk:g}")
    ax.set_xlabel("share of messages answered with an FAQ (coverage)")
    ax.set_ylabel("share of those answers that are wrong (risk)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.set_title(title)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


# -- plain PNG (no matplotlib) ---------------------------------------------------------------


def write_plain_png(
    curves: Mapping[str, Series],
    dots: Mapping[str, tuple[float, float]],
    path: Path,
    width: int = 640,
    height: int = 420,
    hline: float | None = None,
) -> Path:
    """A unit-square plot (x, y in 0..1) as an RGB PNG: grid every 0.1, the curves as lines in
    ``COLOURS`` order, the dots as squares in the same order after the curves."""
    margin = 30
    pixels = bytearray(b"\xff" * (width * height * 3))

    def put(x: int, y: int, colour: tuple[int, int, int]) -> None:
        if 0 <= x < width and 0 <= y < height:
            i = (y * width + x) * 3
            pixels[i : i + 3] = bytes(colour)

    def to_px(x: float, y: float) -> tuple[int, int]:
        x = min(max(x, 0.0), 1.0)
        y = min(max(y, 0.0), 1.0)
        return (
            margin + round(x * (width - 2 * margin)),
            height - margin - round(y * (height - 2 * margin)),
        )

    def line(a: tuple[int, int], b: tuple[int, int], colour: tuple[int, int, int]) -> None:
        steps = max(abs(b[0] - a[0]), abs(b[1] - a[1]), 1)
        for s in range(steps + 1):
            put(
                round(a[0] + (b[0] - a[0]) * s / steps),
                round(a[1] + (b[1] - a[1]) * s / steps),
                colour,
            )

    for tick in range(11):
        v = tick / 10
        grey = (120, 120, 120) if tick in (0, 10) else (225, 225, 225)
        line(to_px(v, 0), to_px(v, 1), grey)
        line(to_px(0, v), to_px(1, v), grey)
    if hline is not None:
        x0, y0 = to_px(0, hline)
        x1, _ = to_px(1, hline)
        for px in range(x0, x1, 6):
            line((px, y0), (min(px + 3, x1), y0), (90, 90, 90))
    names = list(curves)
    for n, name in enumerate(names):
        colour = COLOURS[n % len(COLOURS)]
        pts = [to_px(x, y) for x, y in curves[name]]
        for a, b in zip(pts, pts[1:], strict=False):
            line(a, b, colour)
    for n, (dot_x, dot_y) in enumerate(dots.values()):
        colour = COLOURS[(len(names) + n) % len(COLOURS)]
        cx, cy = to_px(dot_x, dot_y)
        for dx in range(-4, 5):
            for dy in range(-4, 5):
                put(cx + dx, cy + dy, colour)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(png_bytes(width, height, bytes(pixels)))
    return path


def png_bytes(width: int, height: int, rgb: bytes) -> bytes:
    """An 8-bit RGB PNG of ``rgb`` (row-major, 3 bytes a pixel)."""
    if len(rgb) != width * height * 3:
        raise ValueError("rgb must hold width * height * 3 bytes")

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    stride = width * 3
    raw = b"".join(b"\x00" + rgb[r * stride : (r + 1) * stride] for r in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )
