"""The market-value chapter in one call: every number its prose states, in house style, and its
chart (`chapter()`; the book layer publishes it with `report.publish`)."""

from __future__ import annotations

import pandas as pd

from ...data import facts, holdings, load
from ..page import Chapter, signed, stored
from ..prose import day as _day, join as names, size as _pct
from . import chart as mvc
from .valuation import (FX, HOME_LINE, SHOCK_DAYS, count_for, home_loss, label, losses, market_move,
                     reconcile, splits_table, summary_table, totals)
from .scope import scope


def _bn(dollars: float, digits: int = 1) -> str:
    return f"${dollars / 1e9:,.{digits}f}bn"


def moved(fraction: float, digits: int = 1) -> str:
    """'rose 0.03%' / 'fell 1.5%': a move after a verb, unsigned (house style)."""
    return ("rose " if fraction > 0 else "fell ") + _pct(fraction, digits)


@stored
def chapter() -> Chapter:
    """The market-value chapter: glue name -> text, and its figure."""
    mon_day, tue_day = SHOCK_DAYS
    table = losses()
    mon, tue = totals(table, mon_day), totals(table, tue_day)
    claim = facts.claims().set_index("id").loc["nvda-loss"]
    rec = reconcile(table, reported=float(claim["claimed"]) * 1e9)
    fx = load.returns(FX).set_index("date")
    shown = table.loc[table["included"]]
    monday = shown.loc[shown["date"] == mon_day].sort_values("loss_usd", ascending=False)
    japan = shown.loc[shown["currency"] == "JPY"]
    on_mon = table.loc[table["date"] == mon_day]
    left_out = on_mon.loc[~on_mon["included"] & ~on_mon["ticker"].isin(list(HOME_LINE.values()))]
    not_in_total = on_mon.loc[~on_mon["in_total"] & ~on_mon["ticker"].isin(list(HOME_LINE))]
    nvda, second = monday.iloc[0], monday.iloc[1]
    records = facts.records()
    top_record = records.loc[records["loss_usd_bn"].idxmax()]
    home, market = home_loss(), market_move(mon_day)
    arm_stake = holdings.holdings().set_index(["holder", "held"]).loc[("9984.T", "ARM")]
    us_total = shown.loc[(shown["date"] == mon_day) & shown["in_total"] & (shown["market"] == "US"),
                         "loss_usd"].sum()
    weighted = sorted({r["name"] for _, r in table.iterrows() if r["count"] == "weighted-average"})
    sc = scope(table, market)
    text = {
        "mv_total_all": _bn(mon.all_usd), "mv_total_exact": _bn(mon.exact_usd),
        "mv_n_all": str(mon.n_all), "mv_n_exact": str(mon.n_exact),
        "mv_n_approx": str(mon.n_all - mon.n_exact),
        "mv_tue_all": _bn(-tue.all_usd), "mv_tue_exact": _bn(-tue.exact_usd),
        "mv_nvda_share": f"{nvda['loss_usd'] / mon.net_usd:.0%}",
        "mv_nvda_name": nvda["name"], "mv_second": second["name"],
        "mv_second_loss": label(second["loss_usd"], second["approximate"]),
        "mv_gainers": names(monday.loc[monday["loss_usd"] < 0, "name"]),
        "mv_shares": f"{rec.shares:,.0f}", "mv_prev": f"${rec.prev_close:,.2f}",
        "mv_close": f"${rec.close:,.2f}", "mv_drop": f"${rec.prev_close - rec.close:,.2f}",
        "mv_loss_exact": f"${rec.loss / 1e6:,.0f} million", "mv_loss": _bn(rec.loss, 2),
        "mv_reported": _bn(rec.reported, 0), "mv_diff": _bn(abs(rec.diff), 2),
        "mv_diff_dir": "below" if rec.diff < 0 else "above",
        "mv_rel_diff": _pct(rec.rel_diff, 3),
        "mv_implied": f"{rec.implied_shares / 1e9:,.3f} billion",
        "mv_shares_source": _source(count_for("NVDA", mon_day)),
        "mv_fx_mon": f"{fx.at[mon_day, 'close']:,.2f}",
        "mv_fx_tue": f"{fx.at[tue_day, 'close']:,.2f}",
        "mv_fx_ret_mon": signed(fx.at[mon_day, "ret"], 2),
        "mv_fx_ret_tue": signed(fx.at[tue_day, "ret"], 2),
        "mv_fx_moves": _both(fx.at[mon_day, "ret"], fx.at[tue_day, "ret"]),
        "mv_jp_mon": label(japan.loc[japan["date"] == mon_day, "loss_local"].sum(), False, "JPY"),
        "mv_jp_tue": label(japan.loc[japan["date"] == tue_day, "loss_local"].sum(), False, "JPY"),
        "mv_jp_n": str(japan["ticker"].nunique()),
        "mv_left_out": ", ".join(f"{r['name']} ({r['reason']})" for _, r in left_out.iterrows()),
        "mv_not_in_total": names(f"{r['name']} ({_why(r['reason'])})"
                                 for _, r in not_in_total.iterrows()),
        "mv_table": summary_table(table), "mv_splits": splits_table(),
        "mv_second_ratio": f"{second['loss_usd'] / nvda['loss_usd']:.0%}",
        "mv_record_multiple": f"{nvda['loss_usd'] / 1e9 / top_record['loss_usd_bn']:.1f}",
        "mv_record_ref": (f"{top_record['company']}'s ${top_record['loss_usd_bn']:g}bn on "
                          f"{_day(top_record['date'])}"),
        "mv_implied_gap": f"{abs(rec.implied_shares - rec.shares) / 1e6:,.0f} million",
        "mv_verdict": ("within the rounding of the press figure"
                       if abs(rec.diff) <= float(claim["precision"]) / 2 * 1e9
                       else "outside the rounding of the press figure"),
        "mv_prev_date": _day(nvda["prev_date"], weekday=True),
        "mv_total_net": _bn(mon.net_usd), "mv_overlap": _bn(mon.overlap_usd),
        "mv_tue_net": _bn(-tue.net_usd),
        "mv_arm_stake": f"{float(arm_stake['stake']):.0%}",
        "mv_arm_stake_source": arm_stake["source"].split(":")[0],
        "mv_arm_loss": _bn(float(monday.set_index("ticker").at["ARM", "loss_usd"])),
        "mv_universe_n": str(table["ticker"].nunique() - len(HOME_LINE)),
        "mv_tsmc_session": _day(home.session, weekday=True), "mv_tsmc_prev": _day(home.prev_date),
        "mv_tsmc_closed": str(home.closed_days),
        "mv_tsmc_prev_close": f"NT${home.prev_close:,.0f}",
        "mv_tsmc_close": f"NT${home.close:,.0f}",
        "mv_tsmc_ret": signed(home.ret), "mv_tsmc_fall": _pct(home.ret),
        "mv_tsmc_shares": f"{home.shares / 1e9:,.2f} billion",
        "mv_tsmc_twd": f"NT${home.loss_local / 1e9:,.0f}bn", "mv_tsmc_usd": _bn(home.loss_usd),
        "mv_tsmc_rate": f"{home.rate:,.2f}", "mv_tsmc_rate_date": _day(home.rate_date),
        "mv_tsmc_rate_gap": str(abs(home.rate_gap_days)),
        "mv_tsmc_rate_source": home.rate_source.split(",")[0],
        "mv_tsmc_news": ", ".join(f"“{n}”" for n in home.news),
        "mv_adr_ret": signed(home.adr_ret), "mv_adr_loss": _bn(home.adr_loss_usd),
        "mv_adr_window_ret": signed(home.adr_window_ret),
        "mv_adr_window_loss": _bn(home.adr_window_loss_usd),
        "mv_adr_premium": f"{home.adr_premium:.0%}",
        "mv_adr_ratio": f"{home.adr_loss_usd / home.loss_usd:.1f}",
        "mv_mkt_n": str(market.n), "mv_mkt_fell": str(market.fell), "mv_mkt_rose": str(market.rose),
        "mv_mkt_ew": signed(market.equal_weighted, 2), "mv_mkt_cw": signed(market.cap_weighted),
        "mv_mkt_spy": signed(market.spy), "mv_mkt_cw_abs": _pct(market.cap_weighted),
        "mv_adr_fall": _pct(home.adr_ret),
        "mv_mkt_value": f"${market.value_prev_usd / 1e12:,.1f} trillion",
        "mv_mkt_value_date": _day(market.value_date),
        "mv_mkt_value_source": market.value_source.split(",")[0],
        "mv_mkt_loss": _bn(market.loss_usd, 0), "mv_us_total": _bn(us_total),
        "mv_us_share": (f"about {us_total / market.loss_usd:.0%} of that figure"
                        if us_total <= market.loss_usd else
                        f"{us_total / market.loss_usd:.1f} times that figure: outside these "
                        "companies, the market as a whole gained value"),
        "mv_weighted": names(weighted),
        "mv_sc_us_n": str(len(sc.us)), "mv_sc_members_n": str(len(sc.members)),
        "mv_sc_outside": names(sc.outside), "mv_sc_outside_n": str(len(sc.outside)),
        "mv_sc_other_n": str(len(sc.other)),
        "mv_sc_loss": _bn(sc.loss_usd), "mv_sc_value": f"${sc.value_usd / 1e12:,.1f} trillion",
        "mv_sc_vw": signed(sc.vw_ret), "mv_sc_ew": signed(sc.ew_ret),
        "mv_sc_share_value": f"{sc.index_share_value:.0%}",
        "mv_sc_share_loss": (f"{sc.index_share_loss:.1f} times" if sc.index_share_loss > 1
                             else f"{sc.index_share_loss:.0%} of"),
    }
    data = mvc.chart_data(table, records, mon_day)
    return Chapter(text=text, figures={"fig-marketvalue-losses": (mvc.loss_chart(data), data)})


def _source(count: pd.Series) -> str:
    """The publisher of a share count and its date, for prose (no file, no grade)."""
    publisher = str(count["source"]).split(":")[0].split(";")[0].split(" (")[0].strip()
    return f"{publisher}, as of {_day(count['as_of'])}"


def _both(first: float, second: float) -> str:
    """Two moves after one verb: 'fell 0.3% and 0.5%' (or 'rose 0.2% and fell 0.1%')."""
    if (first > 0) == (second > 0):
        return f"{moved(first)} and {_pct(second)}"
    return f"{moved(first)} and {moved(second)}"


def _why(reason: str) -> str:
    return ("its market was closed" if reason.startswith("no session")
            else "its price level is unknown after a split" if "split" in reason
            else "its company counts by its home line" if not reason else reason)
