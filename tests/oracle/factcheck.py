"""Oracle values of the fact check's tally: each claim of data/claims.csv judged again from the
raw files, the committed facts and the exchange calendars, by the chapter's stated rules
(confirmed within half the claim's last digit; approximately within its tolerance, a share of
its size, or with a caveat; consistent, not supported, wrong), and the sentences that count
them."""

from __future__ import annotations

import functools
import re

import pandas as pd

from tests.oracle import marketvalue, raw
from tests.oracle.registry import value

FC = "chapters/factcheck"
WORDS = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
MARKET = {"close_to_close_return", "market_value_loss", "record_loss", "rank_since",
          "worst_day_month", "market_closed"}      # claims about markets, not releases
RANGE_MARKETS = {"XTKS"}   # a miss at the close may be an intraday figure (Tokyo's sessions)


def window(text: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    start, _, end = text.partition("..")
    return pd.Timestamp(start), pd.Timestamp(end or start)


def rets(ticker: str) -> pd.Series:
    c = raw.traded(ticker)
    return (c / c.shift(1) - 1).iloc[1:]


def number(claim: pd.Series, measured: float) -> str:
    claimed, diff = float(claim["claimed"]), round(abs(measured - float(claim["claimed"])), 9)
    if diff <= round(float(claim["precision"]) / 2, 9):
        return "confirmed"
    tol = claim["tolerance"].strip()
    if tol and diff <= round(float(tol.rstrip("%")) / 100 * abs(claimed), 9):
        return "approximately"
    return "wrong"


def event(claim: pd.Series) -> pd.Series:
    e = raw.facts("events")
    return e.loc[e["label"] == claim["subject"]].iloc[0]


def dated(claim: pd.Series, ok: bool) -> str:
    if ok:
        return "confirmed"
    return "wrong" if event(claim)["certainty"] == "confirmed" else "not supported"


def move(claim: pd.Series) -> str:
    when, ticker = pd.Timestamp(claim["date"]), claim["subject"]
    r = rets(ticker)
    if when not in r.index:
        return "not supported"
    word = number(claim, r[when] * 100)
    if word != "confirmed" and raw.universe().at[ticker, "calendar"] in RANGE_MARKETS:
        prev = raw.traded(ticker).loc[:when].iloc[-2]
        bar = raw.bars(ticker).loc[when]
        inside = (bar["low"] / prev - 1) * 100 <= float(claim["claimed"]) <= (
            bar["high"] / prev - 1) * 100
        word = "approximately" if inside and word == "wrong" else word
    return word


def loss(claim: pd.Series) -> str:
    table = marketvalue.losses(pd.Timestamp(claim["date"]))
    if claim["subject"] not in table.index:
        return "not supported"
    row = table.loc[claim["subject"]]
    word = number(claim, row["loss"] / 1e9)
    return "approximately" if row["approx"] and word == "confirmed" else word


def record(claim: pd.Series) -> str:
    when = pd.Timestamp(claim["date"])
    table, rec = marketvalue.losses(when), raw.facts("records")
    earlier = rec.loc[pd.to_datetime(rec["date"]) < when, "loss_usd_bn"].astype(float)
    if claim["subject"] not in table.index or earlier.empty:
        return "not supported"
    return "consistent" if table.at[claim["subject"], "loss"] / 1e9 > earlier.max() else "wrong"


def rank_since(claim: pd.Series) -> str:
    r, when = rets(claim["subject"]), pd.Timestamp(claim["date"])
    if when not in r.index:
        return "not supported"
    deeper = r.loc[(r.index < when) & (r <= r[when])]
    if deeper.empty:
        return "wrong"
    month, claimed = deeper.index[-1].to_period("M"), pd.Period(claim["claimed"], "M")
    return "confirmed" if month == claimed else "wrong" if month > claimed else "approximately"


def worst(claim: pd.Series) -> pd.Timestamp | None:
    start, end = window(claim["date"])
    r = rets(claim["subject"])
    r = r.loc[(r.index >= start) & (r.index <= end)]
    return None if r.empty else r.idxmin()


def worst_month(claim: pd.Series) -> str:
    when = worst(claim)
    if when is None:
        return "not supported"
    return "confirmed" if when.to_period("M") == pd.Period(claim["claimed"], "M") else "wrong"


def led(claim: pd.Series) -> str:
    """The claimed month holds the worst session; 'led' on it: the subject's market opened
    first in UTC (ties allowed) and fell most of the indices trading that date."""
    when = worst(claim)
    if when is None:
        return "not supported"
    if when.to_period("M") != pd.Period(claim["claimed"], "M"):
        return "wrong"
    uni = raw.universe()
    moves, opens = {}, {}
    for t in uni.index[(uni["kind"] == "index") & (uni.index != "^VIX")]:
        r = rets(t)
        if when in r.index:
            moves[t] = r[when]
            opens[t] = raw.calendar(uni.at[t, "calendar"]).session_open(when)
    me = claim["subject"]
    first = opens[me] == min(opens.values())
    return "confirmed" if first and moves[me] == min(moves.values()) else "consistent"


def closed(claim: pd.Series) -> str:
    """From each subject's exchange calendar; rows of the price data only cross-check it."""
    start, end = window(claim["date"])
    subjects = claim["subject"].split(";")
    uni = raw.universe()["calendar"]
    codes = {uni.get(s, s) for s in subjects}
    if not all(codes):
        return "not supported"
    if any(len(raw.calendar(c).sessions_in_range(start, end)) for c in codes):
        return "wrong"
    rows = [t for t in subjects if t in uni.index
            and ((raw.traded(t).index >= start) & (raw.traded(t).index <= end)).any()]
    return "not supported" if rows else "confirmed"


def upper_bound(claim: pd.Series) -> str:
    found = re.search(r"\$(\d+(?:\.\d+)?)M", event(claim)["description"])
    return "confirmed" if float(found.group(1)) < float(claim["claimed"]) else "wrong"


RULES = {
    "close_to_close_return": move, "market_value_loss": loss, "record_loss": record,
    "rank_since": rank_since, "worst_day_month": worst_month, "led_meltdown": led,
    "market_closed": closed, "upper_bound": upper_bound,
    "release_date": lambda c: dated(c, event(c)["date"] == c["claimed"]),
    "release_month": lambda c: dated(c, event(c)["date"][:7] == c["claimed"]),
    "release_window": lambda c: dated(c, window(c["claimed"])[0]
                                      <= pd.Timestamp(event(c)["date"])
                                      <= window(c["claimed"])[1]),
}


@functools.cache
def verdicts() -> pd.DataFrame:
    """Each claim with its verdict; a caveat caps 'confirmed' at 'approximately'."""
    claims = raw.facts("claims").copy()
    words = [RULES[c["metric"]](c) for _, c in claims.iterrows()]
    claims["verdict"] = [("approximately" if w == "confirmed" and c.strip() else w)
                         for w, c in zip(words, claims["caveat"])]
    return claims


def n(word: str) -> int:
    return int((verdicts()["verdict"] == word).sum())


def says(k: int, one: str, many: str) -> str:
    return f"{WORDS[k] if k <= 10 else f'{k:,}'} {one if k == 1 else many}"


value(FC, "fc_confirmed")(lambda: str(n("confirmed")))
value(FC, "fc_approx")(lambda: str(n("approximately")))
value(FC, "fc_wrong_is")(lambda: says(n("wrong"), "is", "are") + " wrong")
value(FC, "fc_wrong_claims")(lambda: "; ".join(
    f"“{c}”" for c in verdicts().loc[verdicts()["verdict"] == "wrong", "claim"]))


@value(FC, "fc_where")
def _where() -> str:
    v = verdicts()
    doubts = v.loc[v["verdict"].isin(["not supported", "wrong"])]
    if not doubts["metric"].isin(MARKET).any():
        return ("No market figure is contradicted or left unbacked; the claims the data "
                "contradict or cannot back all concern DeepSeek's releases.")
    return "The claims the data contradict or cannot back: " + "; ".join(doubts["claim"]) + "."

