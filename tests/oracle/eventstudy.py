"""Oracle values of the event study's primary tests (Nvidia day 0; the US chip stocks day 0;
the Tokyo chip stocks [0,+1]) and of its primaries table with Holm's correction.

The data each model is fitted on are rebuilt here from the raw files: each security's own
close-to-close total returns (dividends reinvested where an adjusted close is known); for a
US stock, the equal-weighted return of the S&P 500 panel's other members over the same
interval (leave-one-out); for a Tokyo stock, the Nikkei 225 over the same
interval and the SOX's close-to-close move between Tokyo's two closes (exchange calendars). The
statistics then come from `deepshock.methods` (verified against statsmodels there); Holm's
correction from statsmodels."""

from __future__ import annotations

import functools
import math

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from deepshock.methods import gaps, groups, leadlag
from tests.oracle import crosssection, raw
from tests.oracle.raw import SHOCK, WORDS, calendar, minus
from tests.oracle.registry import markdown_rows, table, value

ES = "chapters/eventstudy"
ESTIMATION = (-250, -11)
SAME_COMPANY = {"GOOGL": "GOOG", "GOOG": "GOOGL"}


def members_of(group: str) -> list[str]:
    uni = raw.universe()
    return list(uni.index[uni["group"] == group])


@functools.cache
def panel_market_without(ticker: str) -> pd.Series:
    """The equal-weighted return of the S&P 500 members other than `ticker` (all of them for a
    security outside the index), grown into a level from 1."""
    loo = crosssection.market()
    mean = loo[ticker] if ticker in loo else crosssection.full_market()
    return (1 + mean.dropna()).cumprod()


def over_interval(level: pd.Series, prev: pd.DatetimeIndex, date: pd.DatetimeIndex):
    """The level's move from its last value on or before `prev` to the last on or before `date`,
    and whether it has a value on both dates."""
    def at(days):
        pos = level.index.searchsorted(days, side="right") - 1
        return np.where(pos >= 0, level.to_numpy()[pos.clip(0)], np.nan)
    matched = date.isin(level.index) & prev.isin(level.index)
    return at(date) / at(prev) - 1, matched


def utc_closes(code: str, days: pd.DatetimeIndex) -> np.ndarray:
    closes = calendar(code).closes  # session -> close (UTC)
    return closes.reindex(days).dt.tz_localize(None).to_numpy("datetime64[ns]")


def sox_lead(prev: pd.DatetimeIndex, date: pd.DatetimeIndex) -> np.ndarray:
    """The SOX's close-to-close move over New York closes after Tokyo's previous close and at
    or before this close (0 when none; NaN before the SOX's data)."""
    sox = raw.close("^SOX")
    at = utc_closes("XNYS", sox.index)
    i_end = np.searchsorted(at, utc_closes("XTKS", date), side="right") - 1
    i_start = np.searchsorted(at, utc_closes("XTKS", prev), side="right") - 1
    move = sox.to_numpy()[i_end.clip(0)] / sox.to_numpy()[i_start.clip(0)] - 1
    return np.where((i_start >= 0) & (i_end >= 0),
                    np.where(i_end > i_start, move, 0.0), np.nan)


@functools.cache
def frame(ticker: str) -> pd.DataFrame:
    c = raw.close(ticker)
    date, prev = c.index[1:], c.index[:-1]
    out = pd.DataFrame({"date": date, "prev_date": prev,
                        "ret": raw.total_rets(ticker).reindex(date).to_numpy()})
    out["weekdays"] = gaps.weekdays_spanned(prev, date).astype(float)
    market = raw.universe().at[ticker, "market"]
    level = panel_market_without(ticker) if market == "US" else raw.close(
        raw.universe().at[ticker, "benchmark"])
    out["mret"], out["matched"] = over_interval(level, prev, date)
    if market == "Japan":
        out["lead"] = sox_lead(prev, date)
    out["tau"] = np.arange(len(out)) - int(np.argmax((out["date"] >= SHOCK).to_numpy()))
    return out


def regressors(ticker: str) -> tuple[str, ...]:
    return ("mret", "lead") if raw.universe().at[ticker, "market"] == "Japan" else ("mret",)


@functools.cache
def result(ticker: str):
    return leadlag.event_result(frame(ticker), ticker, regressors(ticker), ESTIMATION, "own")


@functools.cache
def basket(name: str):
    """The group's equal-weighted portfolio fitted as one security (the portfolio test's)."""
    members = [result(t) for t in members_of(name)]
    return leadlag.event_portfolio(members, name, regressors(members_of(name)[0]), ESTIMATION,
                                   "own")


@functools.cache
def group(name: str) -> pd.DataFrame:
    members = [result(t) for t in members_of(name)]
    rows = groups.group_statistics(members, name, estimation=ESTIMATION, gap="own",
                                   port=basket(name))
    return pd.DataFrame(rows).set_index("window")


@value(ES, "fig-eventstudy-verdict")
def _verdict_title() -> str:
    """Which primaries fell further than every ordinary span of their estimation window (a
    day; for Tokyo's two-session window, every two consecutive residuals summed)."""
    tests = [("Nvidia", result("NVDA"), "[0]", 1),
             ("US chip basket", basket("US semiconductors"), "[0]", 1),
             ("Tokyo chip basket", basket("Japan semiconductors"), "[0,+1]", 2)]
    beyond = []
    for label, res, window, span in tests:
        lowest = pd.Series(res.resid.to_numpy(float)).rolling(span).sum().min()
        if res.windows.loc[window, "car"] < lowest:
            beyond.append(label)
    head = (f"Nvidia fell {abs(nv()['car']) * 100:.1f}% beyond the market on "
            f"{SHOCK.day} {SHOCK:%B}")
    if "Nvidia" not in beyond:
        return head
    tail = " and ".join(b for b in beyond if b != "Nvidia")
    return (f"{head}, further than on any ordinary day in the year before"
            + (f"; so did the {tail}" if tail else ""))


def verdict(p: float) -> str:
    for cut in (0.01, 0.05, 0.10):
        if p < cut:
            return f"significant at the {cut:.0%} level"
    return "not significant even at the 10% level"


def nv(window: str = "[0]") -> pd.Series:
    return result("NVDA").windows.loc[window]


value(ES, "es_nv_ar")(lambda: minus(raw.pct(nv()["car"])))
value(ES, "es_nv_ar_t")(lambda: minus(f"{nv()['t']:.2f}"))
value(ES, "es_nv_ar_verdict")(lambda: verdict(nv()["p"]))
value(ES, "es_nv_beta")(lambda: f"{result('NVDA').fit.beta:.2f}")
value(ES, "es_nv_days")(lambda: str(int(result("NVDA").fit.n)))
value(ES, "es_semis_n")(lambda: WORDS[len(members_of("US semiconductors"))])
value(ES, "es_semis_caar0")(
    lambda: minus(raw.pct(group("US semiconductors").at["[0]", "caar"])))
value(ES, "es_semis_port0")(
    lambda: minus(f"{group('US semiconductors').at['[0]', 'port_t']:.2f}"))
value(ES, "es_semis_port0_verdict")(
    lambda: verdict(group("US semiconductors").at["[0]", "port_p"]))
value(ES, "es_semis_kp0")(
    lambda: minus(f"{group('US semiconductors').at['[0]', 'kp']:.2f}"))
value(ES, "es_semis_kp0_verdict")(lambda: verdict(group("US semiconductors").at["[0]", "kp_p"]))
value(ES, "es_semis_r")(lambda: f"{group('US semiconductors').at['[0]', 'r']:.2f}")
value(ES, "es_japan_n")(lambda: WORDS[len(members_of("Japan semiconductors"))])
value(ES, "es_japan_caar1")(
    lambda: minus(raw.pct(group("Japan semiconductors").at["[0,+1]", "caar"])))
value(ES, "es_japan_port1")(
    lambda: minus(f"{group('Japan semiconductors').at['[0,+1]', 'port_t']:.2f}"))
value(ES, "es_japan_port1_verdict")(
    lambda: verdict(group("Japan semiconductors").at["[0,+1]", "port_p"]))
value(ES, "es_japan_kp1")(
    lambda: minus(f"{group('Japan semiconductors').at['[0,+1]', 'kp']:.2f}"))


def primaries() -> pd.DataFrame:
    us, jp = group("US semiconductors").loc["[0]"], group("Japan semiconductors").loc["[0,+1]"]
    rows = [("Nvidia", "[0]", "single-security t", nv()["t"], nv()["p"]),
            ("US semiconductors", "[0]", "portfolio", us["port_t"], us["port_p"]),
            ("US semiconductors", "[0]", "Kolari-Pynnönen", us["kp"], us["kp_p"]),
            ("Japan semiconductors", "[0,+1]", "portfolio", jp["port_t"], jp["port_p"]),
            ("Japan semiconductors", "[0,+1]", "Kolari-Pynnönen", jp["kp"], jp["kp_p"])]
    out = pd.DataFrame(rows, columns=["name", "window", "test", "t", "p"])
    out["holm"] = multipletests(out["p"], method="holm")[1]
    return out


def p_text(p: float) -> str:
    return f"{p:.4f}" if p >= 1e-4 else "<0.0001"


value(ES, "es_prim_n")(lambda: WORDS[len(primaries())])
value(ES, "es_prim_nv_p")(
    lambda: ("below 0.001" if primaries().at[0, "holm"] < 0.001
             else f"{primaries().at[0, 'holm']:.3f}"))


@table(ES, "es_table_primaries")
def check_primaries(text: str) -> list[str]:
    got = markdown_rows(text)
    want = [[r.name, r.window, r.test, minus(f"{r.t:+.2f}"), p_text(r.p), p_text(r.holm)]
            for r in primaries().itertuples()]
    return [] if got == want else [f"glued {got}, raw files give {want}"]


@functools.cache
def group_paths() -> dict[str, pd.DataFrame]:
    """Each group's members' abnormal returns over sessions -5..+20 (tau x member): every
    security with a benchmark that is not an index or a rate, leaving out those whose history
    is too short for the estimation window or its gap-matched variance."""
    uni = raw.universe()
    out: dict[str, dict[str, pd.Series]] = {}
    for t, row in uni.iterrows():
        if row["kind"] in ("index", "fx") or not row["benchmark"]:
            continue
        try:
            res = result(t)
        except ValueError as exc:
            if "usable estimation days" in str(exc) or "past returns span" in str(exc):
                continue
            raise
        out.setdefault(row["group"], {})[t] = res.path.set_index("tau")["ar"].loc[-5:20]
    return {g: pd.DataFrame(m) for g, m in out.items()}


value(ES, "es_power_caar0")(lambda: minus(raw.pct(group("US power").at["[0]", "caar"])))


@value(ES, "fig-eventstudy-car")
def _car_title() -> str:
    paths = group_paths()
    day0 = {g: p.loc[0].mean() * 100 for g, p in paths.items()}
    below = sum(p.cumsum().loc[20].mean() < 0 for p in paths.values())
    worst = min(day0, key=day0.get)
    name = worst if paths[worst].shape[1] > 1 else f"{worst} ({paths[worst].columns[0]} only)"
    return (f"{name} fell furthest beyond the market on day 0 ({abs(day0[worst]):.1f}%); "
            f"{below} of {len(paths)} groups were still below their market-model path "
            "20 sessions later")


def nvda_day0_numpy(snapshot) -> tuple[float, float, int]:
    """Nvidia's day-0 AR and t from the raw files with numpy: its total return (the panel's
    adjusted close) against the equal-weighted mean of the other S&P 500 members, OLS over
    sessions -250..-11, the one-day prediction-error variance. Returns (AR, t, the number
    of estimation sessions)."""
    members = pd.read_csv(snapshot / "panel" / "members.csv", keep_default_na=False)
    others = [t for t in members.loc[members["kind"] == "sp500", "ticker"] if t != "NVDA"]
    closes = pd.read_csv(snapshot / "panel" / "closes.csv", index_col=0, parse_dates=True)
    r = closes["NVDA"].pct_change(fill_method=None).iloc[1:]
    m = closes[others].pct_change(fill_method=None).iloc[1:].mean(axis=1)
    t0 = int(r.index.searchsorted(pd.Timestamp("2025-01-27")))
    x = np.column_stack([np.ones(240), m.iloc[t0 - 250:t0 - 10]])
    y = r.iloc[t0 - 250:t0 - 10].to_numpy()
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    s2 = float(((y - x @ coef) ** 2).sum() / (240 - 2))
    x0 = np.array([1.0, m.iloc[t0]])
    ar = r.iloc[t0] - x0 @ coef
    return ar, ar / math.sqrt(s2 + s2 * x0 @ np.linalg.inv(x.T @ x) @ x0), len(x)
