"""Yahoo out of reach: what an error says about the network, the retry budget of one refresh,
and the one message a person gets when Yahoo cannot be reached at all.

yfinance reports a failed ticker as a raised exception or, more often, as an empty frame and a
log line; both texts are classified here. "Unreachable" (`DOWN`: name resolution failed,
connection refused) for the first `FAIL_FAST` tickers stops a refresh at once; rate limits and
other network errors are retried, but all waits of one refresh together stay within
`RETRY_BUDGET` seconds (`Budget`), and running out stops it with a message naming the budget.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from .validate import DataError

RETRY_BUDGET = 180.0  # seconds of backoff for one whole refresh, all tickers together
FAIL_FAST, FAIL_FAST_SECONDS = 3, 45.0  # give up when this many tickers in a row (or this
# long) cannot reach Yahoo at all before any ticker came back
DOWN = {"name resolution failed": ("Could not resolve host", "curl: (6)", "Resolving timed out",
                                   "Name or service not known", "Temporary failure in name"),
        "connection refused": ("Connection refused", "Failed to connect", "Couldn't connect",
                               "curl: (7)", "Network is unreachable", "No route to host"),
        "no answer (timed out)": ("curl: (28)", "Operation timed out", "Connection timed out",
                                  "Read timed out")}
WAY_OUT = ("build from a snapshot instead (`make book MARKET_DATA=/path/to/snapshot`), "
           "or retry later")


class Errors(logging.Handler):
    """Collects what yfinance logs while it swallows a ticker's error."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage().strip())


class Stop(DataError):
    """The whole refresh stops (Yahoo unreachable, or the retry budget spent)."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status


def cause(error: str) -> str:
    """Why Yahoo could not be reached at all ('name resolution failed', ...), or ''."""
    return next((name for name, marks in DOWN.items() if any(m in error for m in marks)), "")


def rate_limited(error: str) -> bool:
    return any(m in error for m in ("YFRateLimitError", "Rate limited", "Too Many Requests"))


class Budget:
    """The backoff seconds one refresh may still spend; `wait` stops the refresh when spent."""

    def __init__(self, seconds: float, sleep: Callable) -> None:
        self.seconds, self.left, self.sleep, self.retries = seconds, seconds, sleep, 0

    def wait(self, seconds: float, ticker: str, error: str) -> None:
        if seconds > self.left:
            what = "rate-limiting this address" if rate_limited(error) else "failing"
            raise Stop("failed", f"Yahoo Finance kept {what} ({error}); the retry budget of "
                                 f"{self.seconds:.0f} s for one refresh is spent ({self.retries} "
                                 f"retries, stopped at {ticker}): cache left unchanged; {WAY_OUT}")
        self.left -= seconds
        self.retries += 1
        self.sleep(seconds)


def unreachable(down: list[tuple[str, str]]) -> str:
    """The one message for a Yahoo that cannot be reached: cause, tickers tried, way out."""
    causes = sorted({cause(e) for _, e in down if cause(e)}) or ["no answer"]
    marks = [m for c in causes for m in DOWN.get(c, ())]
    detail = next((re.search(rf"{re.escape(m)}[^;()\"\n]*?(?=\. |\.?$|;|\(|\)|\")", e
                             ).group(0)[:100].strip() for _, e in down for m in marks if m in e),
                  down[-1][1][:100])
    tickers = ", ".join(t for t, _ in down)
    return (f"Yahoo Finance cannot be reached: {' / '.join(causes)} ({detail}) for the first "
            f"{len(down)} tickers tried ({tickers}); nothing was downloaded and the cache was "
            f"left unchanged. Way out: {WAY_OUT}.")
