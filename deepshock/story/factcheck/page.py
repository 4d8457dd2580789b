"""The fact-check chapter in one call: every claim checked, the numbers its prose states
(formatted once, here) and its figure."""

from __future__ import annotations

import pandas as pd

from ...data import load
from ..page import Chapter, stored
from ..selloff import count
from .chart import dot_chart, dot_data, largest_gap, results_table
from .check import check, claims, counts, tolerance
from .evidence import signed

# Claims about markets (the rest are about DeepSeek's releases).
MARKET = {"close_to_close_return", "market_value_loss", "record_loss", "rank_since",
          "worst_day_month", "market_closed"}


def says(row: pd.Series) -> str:
    """'measured (**verdict**)' for one claim, for the prose."""
    return f"{row['measured']} (**{row['verdict']}**)"


def deeper(row: pd.Series) -> str:
    gap = abs(row["measured_value"]) - abs(row["claimed_value"])
    return "deeper than reported" if gap > 0 else "shallower than reported"


def tolerance_examples(table: pd.DataFrame) -> str:
    """How the tolerance scales with the claim: 'a tenth of it: ±1.7 points for “17%”, ...'."""
    def one(key: str) -> str:
        claimed = abs(float(table.at[key, "claimed"]))
        return f"±{tolerance(table.at[key, 'tolerance']) * claimed:.2g} points for “{claimed:g}%”"
    share = tolerance(table.at["nvda-ret", "tolerance"])
    return f"{share:.0%} of it: {one('nvda-ret')}, {one('msft-ret')}"


def where_doubts(results: pd.DataFrame) -> str:
    doubts = results.loc[results["verdict"].isin(["not supported", "wrong"])]
    if not doubts["metric"].isin(MARKET).any():
        return ("No market figure is contradicted or left unbacked; the claims the data "
                "contradict or cannot back all concern DeepSeek's releases.")
    return "The claims the data contradict or cannot back: " + "; ".join(doubts["claim"]) + "."


def shanghai_gap(day: pd.Timestamp) -> str:
    """The Shanghai Composite's closes around the mainland closure that began on `day` (the
    cross-check of the calendar)."""
    dates = load.prices("000001.SS")["date"]
    before, after = dates.loc[dates < day].max(), dates.loc[dates > day].min()
    return (f"the Shanghai Composite's closes jump from {before.day} {before:%B} to "
            f"{after.day} {after:%B}")


@stored
def chapter() -> Chapter:
    """The chapter's prose numbers (glue name -> text) and its figure."""
    results = check()
    tally, by = counts(results), results.set_index("id")
    moves = dot_data(results)
    gap = largest_gap(moves)
    flagged = results.loc[results["flag"] != ""]
    table = claims().set_index("id")
    china = pd.Timestamp(table.at["china-closed", "date"].split("..")[0])
    text = {
        "fc_n": str(len(results)),
        "fc_confirmed": str(tally["confirmed"]), "fc_approx": str(tally["approximately"]),
        "fc_consistent": str(tally["consistent"]), "fc_unsupported": str(tally["not supported"]),
        "fc_wrong": str(tally["wrong"]),
        "fc_wrong_is": (f"{count(tally['wrong'])} is" if tally["wrong"] == 1 else
                        f"{count(tally['wrong'])} are") + " wrong",
        "fc_wrong_claims": "; ".join(
            f"“{c}”" for c in results.loc[results["verdict"] == "wrong", "claim"]),
        "fc_where": where_doubts(results),
        "fc_moves_n": str(len(moves)),
        "fc_moves_exact": str(int((moves["verdict"] == "confirmed").sum())),
        "fc_gap_claim": f"{gap['security']} on {gap['session']:%A}",
        "fc_gap": f"{abs(gap['measured'] - gap['reported']):.1f}",
        "fc_tol_examples": tolerance_examples(table),
        "fc_flagged": "; ".join(f"“{r['claim']}” {r['flag']} the measured figure"
                                for _, r in flagged.iterrows()) or "none",
        "fc_table": results_table(results),
        "fc_shanghai": shanghai_gap(china),
        "fc_sox_one": signed(by.at["sox-ret", "measured_value"], 1),
        "fc_app_reason": by.at["app-week", "reason"],
        "fc_adv_dir": deeper(by.loc["advantest-tue"]), "fc_tel_dir": deeper(by.loc["tel-tue"]),
    }
    for key, claim in {"nvda_loss": "nvda-loss", "record": "nvda-record", "sox": "sox-ret",
                       "sox_rank": "sox-rank", "adv_tue": "advantest-tue", "tel": "tel-tue",
                       "v3": "v3-launch", "paper": "v3-paper", "cost": "v3-cost",
                       "app": "app-week", "korea": "korea-closed", "taiwan": "taiwan-closed",
                       "china": "china-closed", "nikkei": "nikkei-august",
                       "adv_mon": "advantest-mon"}.items():
        text[f"fc_{key}"] = says(by.loc[claim])
    for key, claim in {"sox": "sox-ret", "nikkei": "nikkei-august", "adv_mon": "advantest-mon",
                       "adv_tue": "advantest-tue", "korea": "korea-closed",
                       "taiwan": "taiwan-closed"}.items():
        text[f"fc_{key}_reason"] = by.at[claim, "reason"]
    return Chapter(text=text, figures={"fig-factcheck-moves": (dot_chart(moves), moves)})
