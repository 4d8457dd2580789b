"""Oracle values of the launch chapter, the fact check's price moves, the data appendix and the
explorer's counts."""

from __future__ import annotations

import pandas as pd

from tests.oracle import raw
from tests.oracle.raw import SHOCK, count, day, fall
from tests.oracle.registry import value

LA, FC, DA, EX = "chapters/launch", "chapters/factcheck", "chapters/data", "chapters/explorer"
FRIDAY = pd.Timestamp("2025-01-24")


# --- the launch -------------------------------------------------------------------------------

def cost() -> float:
    costs = raw.facts("launch_costs").set_index("quantity")["value"].astype(float)
    return costs["gpu_hours"] * costs["price_per_gpu_hour"]


def before(ticker: str, when: pd.Timestamp) -> pd.Timestamp:
    """The last session of `ticker` before `when`."""
    c = raw.close(ticker)
    return c.index[c.index < when][-1]


def level(x: float) -> str:
    return f"{abs(x) * 100:.1f}% {'above' if x >= 0 else 'below'}"


@value(LA, "fig-launch-timeline")
def _timeline_title() -> str:
    """'Drifted' when no series had moved further from its base (the last session before V3's
    weights) by the eve of the shock than the least either lost on the day."""
    weights = raw.event_date("V3 weights")
    moved, lost = [], []
    for ticker in ("NVDA", "^SOX"):
        c = raw.close(ticker)
        base, eve = c[before(ticker, weights)], c[before(ticker, SHOCK)]
        moved.append(abs(eve / base - 1) * 100)
        lost.append((eve - c[SHOCK]) / base * 100)
    if max(moved) < min(lost):
        return ("Chip stocks drifted through DeepSeek's releases, then Nvidia fell "
                f"{fall(raw.ret('NVDA', SHOCK))} on 27 January")
    return "Chip stocks fell on 27 January, after DeepSeek's releases"


value(LA, "la_v3_lead")(lambda: f"{count((SHOCK - raw.event_date('V3 weights')).days)} days")
value(LA, "la_r1_lead")(lambda: f"{count((SHOCK - raw.event_date('R1 release')).days)} days")
value(LA, "la_cost")(lambda: f"${cost() / 1e6:.3f}M")
value(LA, "la_weights")(lambda: day(raw.event_date("V3 weights"), weekday=True))
value(LA, "la_r1")(lambda: day(raw.event_date("R1 release"), weekday=True))
value(LA, "la_store")(lambda: day(raw.event_date("App Store No. 1"), weekday=True))
value(LA, "la_base")(lambda: day(before("^GSPC", raw.event_date("V3 weights")), weekday=True))
value(LA, "la_pre")(lambda: day(before("^GSPC", SHOCK), weekday=True))
value(LA, "la_nv_fall")(lambda: fall(raw.ret("NVDA", SHOCK)))
value(LA, "la_sox_fall")(lambda: fall(raw.ret("^SOX", SHOCK)))
value(LA, "la_nv_friday")(lambda: fall(raw.ret("NVDA", FRIDAY)))
value(LA, "la_sox_friday")(lambda: fall(raw.ret("^SOX", FRIDAY)))


@value(LA, "la_amzn")
def _amazon_plan() -> str:
    """Amazon's first stated 2025 plan: the annual rate its results call implied (capex.csv)."""
    plans = raw.facts("capex").sort_values("stated", kind="stable")
    return f"${float(plans.loc[plans['ticker'] == 'AMZN', 'low_usd_bn'].iloc[0]):.1f}bn"


for tag, ticker in (("nv", "NVDA"), ("sox", "^SOX")):
    value(LA, f"la_{tag}_v3")(lambda ticker=ticker: level(
        raw.close(ticker)[FRIDAY] / raw.close(ticker)[before(ticker, raw.event_date("V3 weights"))]
        - 1))


# --- the fact check: the article's price moves ---------------------------------------------------

def moves() -> pd.DataFrame:
    """Each close-to-close claim with the measured move (per cent) and its gap."""
    claims = raw.facts("claims")
    claims = claims.loc[claims["metric"] == "close_to_close_return"].copy()
    claims["measured"] = [raw.ret(t, d) * 100 for t, d in zip(claims["subject"], claims["date"])]
    claims["gap"] = (claims["measured"] - claims["claimed"].astype(float)).abs()
    claims["exact"] = claims["gap"] <= claims["precision"].astype(float) / 2 + 1e-9
    return claims.set_index("id")


value(FC, "fc_moves_n")(lambda: str(len(moves())))
value(FC, "fc_moves_exact")(lambda: str(int(moves()["exact"].sum())))
@value(FC, "fig-factcheck-moves")
def _moves_title() -> str:
    m = moves()
    worst = m.loc[m["gap"].idxmax()]
    return (f"{int(m['exact'].sum())} of {len(m)} reported moves match the close to their "
            f"rounding; the largest miss is {worst['gap']:.1f} points "
            f"({raw.universe().at[worst['subject'], 'name']})")
value(FC, "fc_adv_mon")(lambda: move_verdict("advantest-mon"))


# --- the data appendix and the explorer ---------------------------------------------------------

def panel_kinds() -> pd.Series:
    return raw.panel_members()["kind"].value_counts()


value(DA, "data_tickers")(lambda: str(len(raw.manifest())))
value(DA, "data_rows")(lambda: f"{sum(len(raw.bars(t)) for t in raw.manifest().index):,}")
value(DA, "data_panel_members")(lambda: str(panel_kinds()["sp500"]))
value(DA, "data_panel_etfs")(lambda: str(panel_kinds()["etf"]))
value(DA, "data_panel_sessions")(lambda: str(len(raw.panel_closes())))
value(DA, "data_panel_range")(
    lambda: f"{day(raw.panel_closes().index.min())} to {day(raw.panel_closes().index.max())}")


def outside() -> list[str]:
    """The book's series that are not in the panel."""
    return [t for t in raw.universe().index if t not in raw.panel_members().index]


value(EX, "ex_members")(lambda: str(panel_kinds()["sp500"]))
value(EX, "ex_funds")(lambda: str(panel_kinds()["etf"]))
value(EX, "ex_outside")(lambda: str(len(outside())))
value(EX, "ex_total")(lambda: str(len(raw.panel_members()) + len(outside())))
value(EX, "ex_book")(lambda: str(len(raw.universe())))
value(EX, "fig-explorer")(
    lambda: (f"Any of {len(raw.panel_members()) + len(outside())} securities around "
             "27 January 2025, against the average member"))
value(EX, "ex_day0")(lambda: day(SHOCK, weekday=True))
value(FC, "fc_n")(lambda: str(len(raw.facts("claims"))))


def move_verdict(claim: str) -> str:
    """A price move's verdict: within the claim's rounding, confirmed; within its tolerance (a
    share of the claim), or inside the session's intraday range for a Tokyo stock,
    approximately; else wrong. As published: the measured move and the verdict."""
    row = moves().loc[claim]
    claimed = float(row["claimed"])
    tolerance = float(row["tolerance"].rstrip("%")) / 100 * abs(claimed)
    bars = raw.bars(row["subject"])
    when = pd.Timestamp(row["date"])
    prev = bars["close"].loc[:when].iloc[-2]
    low, high = (bars.at[when, "low"] / prev - 1) * 100, (bars.at[when, "high"] / prev - 1) * 100
    if row["exact"]:
        word = "confirmed"
    elif (row["gap"] <= tolerance + 1e-9
          or (row["subject"].endswith(".T") and low <= claimed <= high)):
        word = "approximately"
    else:
        word = "wrong"
    return f"{row['measured']:.2f}% (**{word}**)".replace("-", "\u2212")  # the house minus


for key, claim in (("fc_sox", "sox-ret"), ("fc_adv_tue", "advantest-tue"), ("fc_tel", "tel-tue")):
    value(FC, key)(lambda claim=claim: move_verdict(claim))
