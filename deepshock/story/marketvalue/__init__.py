"""The market value lost (chapters/marketvalue.md) and Nvidia's records ranking
(chapters/nvidia.md): a loss is a share count times the fall in the as-traded close.

`valuation`: the loss per company on the shock sessions, totals, TSMC's home line, the whole market.
`scope`: what the total covers, like for like with the S&P 500. `records`: every company-day
ranked by one rule. `chart`: the chapter's chart. `page`: the chapter in one call.
"""

from .valuation import (  # noqa: F401
    COUNT_WORDS, FX, HOME_LINE, SHOCK_DAYS, SOURCE, HomeLoss, MarketMove, Reconciliation, Totals,
    convention, count_for, count_kind, home_loss, label, list_table, losses, market_move, overlap,
    reconcile, split_multiplier, splits, splits_table, summary_table, totals)
from .page import chapter  # noqa: F401
