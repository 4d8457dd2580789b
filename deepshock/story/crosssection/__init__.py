"""The cross-section chapter ("Who fell, and why"): the whole S&P 500 panel on 27 January.

`model` computes the abnormal returns, exposures, regressions, placebo and survivorship
(`stocks()` is one row per panel security, reused by the explorer); `charts` draws the
chapter's three charts and holds the short names; `chapter` returns the page's prose numbers,
tables and figures in one call. The model's names are re-exported here.
"""

from .model import *  # noqa: F401,F403
from .page import page  # noqa: E402,F401  (the page's one call)
