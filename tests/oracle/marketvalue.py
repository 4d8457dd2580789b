"""Oracle values of the market-value chapter: each company's loss = shares x as-traded previous
close x the day's fall, in US$ (yen at the day's USD/JPY close), SoftBank's stake in Arm counted
once; TSMC on its home line; the whole S&P 500 from the panel and the index."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from tests.oracle import raw
from tests.oracle.raw import SHOCK, bn, day
from tests.oracle.registry import value

MV = "chapters/marketvalue"
HOME = {"TSM": "2330.TW"}  # an ADR whose company is counted on its home line


def level_factor(ticker: str, on: pd.Timestamp) -> float | None:
    """From the snapshot's (split-adjusted as of download) level to the level traded on `on`;
    None when a split's date is unknown."""
    factor = 1.0
    for row in raw.facts("splits").itertuples():
        if row.ticker != ticker:
            continue
        if not row.effective:
            return None
        if on < pd.Timestamp(row.effective) <= pd.Timestamp(row.download):
            factor *= float(row.ratio)
    return factor


@functools.cache
def losses(on: pd.Timestamp = SHOCK) -> pd.DataFrame:
    rows = []
    for ticker in dict.fromkeys(raw.facts("shares")["ticker"]):
        holding = raw.share_row(ticker, on)
        r = raw.rets(ticker)
        factor = level_factor(ticker, on)
        if on not in r.index or factor is None:
            continue
        prev = raw.close(ticker).loc[:on].iloc[-2] * factor
        currency = raw.universe().at[ticker, "currency"]
        rate = {"USD": 1.0, "JPY": raw.close("JPY=X").get(on, np.nan)}.get(currency, np.nan)
        if np.isnan(rate):
            continue
        convention = raw.manifest().at[ticker, "close_convention"]
        rows.append({"ticker": ticker, "name": raw.name(ticker),
                     "loss": -float(holding["shares"]) * prev * r[on] / rate,
                     "approx": holding["grade"] == "C" or not convention.startswith("RAW")})
    table = pd.DataFrame(rows).set_index("ticker")
    return table.loc[~table.index.isin(list(HOME))]


def net(on: pd.Timestamp = SHOCK) -> float:
    table = losses(on)
    stakes = sum(float(s.stake) * table.at[s.held, "loss"]
                 for s in raw.facts("holdings").itertuples()
                 if s.holder in table.index and s.held in table.index)
    return table["loss"].sum() - stakes


value(MV, "mv_n_all")(lambda: str(len(losses())))
value(MV, "mv_n_exact")(lambda: str(int((~losses()["approx"]).sum())))
value(MV, "mv_total_all")(lambda: bn(losses()["loss"].sum()))
value(MV, "mv_total_exact")(lambda: bn(losses().loc[~losses()["approx"], "loss"].sum()))
value(MV, "mv_total_net")(lambda: bn(net()))
value(MV, "mv_nvda_name")(lambda: losses().sort_values("loss").iloc[-1]["name"])
value(MV, "mv_nvda_share")(lambda: f"{losses().at['NVDA', 'loss'] / net() * 100:.0f}%")
value(MV, "mv_second")(lambda: losses().sort_values("loss").iloc[-2]["name"])
value(MV, "mv_loss")(lambda: bn(losses().at["NVDA", "loss"], 2))


@value(MV, "mv_rel_diff")
def _rel_diff() -> str:
    claims = raw.facts("claims").set_index("id")
    reported = float(claims.at["nvda-loss", "claimed"]) * 1e9  # Reuters, citing LSEG data
    return f"{abs(losses().at['NVDA', 'loss'] / reported - 1) * 100:.3f}%"


def press_record() -> pd.Series:
    """The largest earlier one-day loss the press reported (data/records.csv)."""
    rec = raw.facts("records").assign(bn=lambda f: f["loss_usd_bn"].astype(float))
    return rec.loc[pd.to_datetime(rec["date"]) < SHOCK].sort_values("bn").iloc[-1]


value(MV, "mv_record_multiple")(
    lambda: f"{losses().at['NVDA', 'loss'] / 1e9 / press_record()['bn']:.1f}")
value(MV, "mv_record_ref")(lambda: (f"{press_record()['company']}'s ${press_record()['bn']:g}bn "
                                    f"on {day(press_record()['date'])}"))


@value(MV, "fig-marketvalue-losses")
def _losses_title() -> str:
    top = losses().sort_values("loss", ascending=False)
    first, second = top.iloc[0], top.iloc[1]
    first_bn, second_bn = round(first["loss"] / 1e9, 1), round(second["loss"] / 1e9, 1)
    mark = "≈" if first["approx"] else ""
    return (f"{first['name']} lost {mark}{bn(first['loss'])} on 27 January, "
            f"{first_bn / second_bn:.1f} times {second['name']}'s loss")


# --- TSMC on its home line, and the ADR ---------------------------------------------------------

def home() -> dict:
    first = raw.first_on_or_after("2330.TW")
    c = raw.close("2330.TW")
    prev = c.index[c.index < first][-1]
    local = raw.shares("2330.TW", first) * (c[prev] - c[first])
    fx = raw.facts("fx_rates")
    fx = fx.loc[fx["currency"] == "TWD"].assign(
        gap=lambda f: (pd.to_datetime(f["date"]) - first).dt.days.abs(),
        rate=lambda f: f["local_amount"].astype(float) / f["usd_amount"].astype(float))
    rate = fx.sort_values("gap", kind="stable").iloc[0]["rate"]
    adr = raw.close("TSM")
    return {"session": first, "usd": local / rate,
            "adr": raw.shares("TSM", first) * (adr.loc[:SHOCK].iloc[-2] - adr[SHOCK])}


value(MV, "mv_tsmc_session")(lambda: day(home()["session"], weekday=True))
value(MV, "mv_tsmc_usd")(lambda: bn(home()["usd"]))
value(MV, "mv_adr_loss")(lambda: bn(home()["adr"]))


# --- the whole market -------------------------------------------------------------------------

def members_move() -> pd.Series:
    return raw.panel_rets().loc[SHOCK, raw.sp500()].dropna()


value(MV, "mv_mkt_n")(lambda: str(len(members_move())))
value(MV, "mv_mkt_rose")(lambda: str(int((members_move() > 0).sum())))
value(MV, "mv_mkt_ew")(lambda: f"{members_move().mean() * 100:+.2f}%".replace("-", "−"))
value(MV, "mv_mkt_cw_abs")(lambda: raw.fall(raw.ret("^GSPC", SHOCK)))  # "fell 1.5%"
value(MV, "mv_mkt_cw")(lambda: f"{raw.ret('^GSPC', SHOCK) * 100:+.1f}%".replace("-", "−"))
