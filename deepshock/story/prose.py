"""Number formatting for the story chapters' prose (house style: one decimal, a word says the
direction, so a figure after a verb carries no sign). Shared by Tokyo, Delayed contagion,
Aftermath and Compared with what."""

from __future__ import annotations

import math

import pandas as pd

from .selloff import count, fall  # noqa: F401  (re-exported: the house's count and fall)


def _finite(value: float) -> float:
    if value is None or not math.isfinite(float(value)):
        raise ValueError(f"refusing to publish a non-finite number: {value!r}")
    return float(value)


def pct(fraction: float, digits: int = 1, signed: bool = True) -> str:
    """0.0312 -> '+3.1%'; unsigned: '3.1%'. Signed figures belong in tables, not after verbs."""
    return f"{_finite(fraction) * 100:{'+' if signed else ''}.{digits}f}%"


def size(fraction: float, digits: int = 1) -> str:
    """A magnitude: -0.0915 -> '9.1%'."""
    return pct(abs(_finite(fraction)), digits, signed=False)


def move(fraction: float) -> str:
    """A move as a predicate: 'fell 2.1%', 'rose 0.4%', 'was unchanged to one decimal'."""
    r = _finite(fraction)
    if abs(r) < 0.0005:
        return "was unchanged to one decimal"
    return f"fell {fall(r)}" if r < 0 else f"rose {size(r)}"


def level(fraction: float) -> str:
    """Where a level stands against a base: -0.12 -> '12.0% below', 0.03 -> '3.0% above'."""
    r = _finite(fraction)
    return f"{size(r)} below" if r < 0 else f"{size(r)} above"


def day(date, weekday: bool = False) -> str:
    """'27 January 2025' (optionally 'Monday 27 January 2025')."""
    stamp = pd.Timestamp(date)
    text = f"{stamp.day} {stamp:%B %Y}"
    return f"{stamp:%A} {text}" if weekday else text


def short_day(date) -> str:
    """'27 January'."""
    stamp = pd.Timestamp(date)
    return f"{stamp.day} {stamp:%B}"


def join(items: list[str]) -> str:
    """'A, B and C'."""
    items = list(items)
    return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else items[0]


def utc(stamp: pd.Timestamp) -> str:
    """'14:30 UTC'."""
    return f"{stamp:%H:%M} UTC"


class Chapter:
    """What a chapter's one call returns: its prose numbers (glue name -> text) and its figures
    (name -> (chart, the data it draws)); the chapter's cell publishes both."""

    def __init__(self, text: dict[str, str], figures: dict | None = None):
        self.text, self.figures = text, figures or {}
