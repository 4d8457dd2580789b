"""House style for the research chapters' numbers in prose (the story layer formats, the book
glues): one minus sign (U+2212), small counts in words, the verb carrying the sign."""

from __future__ import annotations

import math

import pandas as pd

MINUS = "\u2212"
WORDS = dict(enumerate(["no", "one", "two", "three", "four", "five", "six", "seven", "eight",
                        "nine", "ten"]))


def _finite(value: float) -> float:
    if value is None or not math.isfinite(float(value)):
        raise ValueError(f"refusing to publish a non-finite number: {value!r}")
    return float(value)


def pct(fraction: float, digits: int = 2, signed: bool = True) -> str:
    """-0.1697 -> '−16.97%'; 0.0312 -> '+3.12%' (signed) or '3.12%'."""
    text = f"{_finite(fraction) * 100:{'+' if signed else ''}.{digits}f}%"
    return text.replace("-", MINUS)


def number(value: float, digits: int = 2) -> str:
    """-7.412 -> '−7.41'; 12345.678 -> '12,345.68'."""
    return f"{_finite(value):,.{digits}f}".replace("-", MINUS)


def share(fraction: float, digits: int = 1) -> str:
    """An unsigned share: 0.058 -> '5.8%'."""
    return pct(fraction, digits, signed=False)


def size(fraction: float, digits: int = 1) -> str:
    """A magnitude, for after a verb: -0.169 -> '16.9%'."""
    return pct(abs(_finite(fraction)), digits, signed=False)


def move(fraction: float, digits: int = 1) -> str:
    """'fell 1.5%' or 'rose 1.5%': the verb carries the sign."""
    return ("fell " if fraction < 0 else "rose ") + size(fraction, digits)


def day(date: pd.Timestamp | str, weekday: bool = False) -> str:
    """'27 January 2025' (optionally 'Monday 27 January 2025')."""
    stamp = pd.Timestamp(date)
    text = f"{stamp.day} {stamp:%B %Y}"
    return f"{stamp:%A} {text}" if weekday else text


def count(n: int) -> str:
    """Small counts in words, larger in figures."""
    return WORDS.get(int(n), f"{int(n)}")


def pvalue(p: float) -> str:
    return "below 0.001" if p < 0.001 else number(p, 3)


def listing(items: list[str]) -> str:
    """'A, B and C'."""
    items = list(items)
    return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else "".join(items)
