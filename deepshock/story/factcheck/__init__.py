"""The fact-check: the first report's claims (`data/claims.csv`) measured against the data with
fixed rules (`check`), the measurements that need more than one close (`market`), what the
checks read (`evidence`), the verdict scale (`verdicts`), the table and chart (`chart`), and
the chapter in one call (`page.chapter`)."""

from __future__ import annotations

from .chart import dot_chart, dot_data, largest_gap, results_table  # noqa: F401
from .check import (METRICS, check, claimed_text, claims, counts, evidence,  # noqa: F401
                    tolerance, verdict)
from .evidence import INTRADAY_MARKETS, PRICES, Evidence, Finding, fmt, signed  # noqa: F401
from .market import led  # noqa: F401
from .page import chapter  # noqa: F401
from .verdicts import SHAPES, VERDICTS, direction, judge_number  # noqa: F401
