"""Oracle values of Tokyo's two sessions, the S&P 500 contract's clock and the contagion to
Seoul, Taipei and the other markets (session hours from `exchange_calendars` directly)."""

from __future__ import annotations

import functools
import numpy as np
import pandas as pd

from tests.oracle import raw
from tests.oracle.raw import SHOCK, calendar, count, day, fall
from tests.oracle.registry import value

TUE = pd.Timestamp("2025-01-28")
FRIDAY = pd.Timestamp("2025-01-24")
TOKYO = "chapters/tokyo"
CONTAGION = "chapters/contagion"


def japan_stocks() -> list[str]:
    uni = raw.universe()
    return list(uni.index[(uni["market"] == "Japan") & (uni["kind"] == "equity")])


def utc(code: str, edge: str, session) -> pd.Timestamp:
    cal = calendar(code)
    at = cal.session_open if edge == "open" else cal.session_close
    return at(pd.Timestamp(session)).tz_convert("UTC").tz_localize(None)


# --- Tokyo --------------------------------------------------------------------------------

@value(TOKYO, "tk_ny_gap")
def _gap() -> str:
    hours = (utc("XNYS", "open", SHOCK) - utc("XTKS", "close", SHOCK)) / pd.Timedelta(hours=1)
    return f"{hours:g}"


value(TOKYO, "fig-tokyo-timeline")(
    lambda: f"Tokyo closed {_gap()} hours before New York opened on 27 January")

for key, ticker, when in (("adv_mon", "6857.T", SHOCK), ("adv_tue", "6857.T", TUE),
                          ("sb_mon", "9984.T", SHOCK), ("sb_tue", "9984.T", TUE),
                          ("fj_mon", "5803.T", SHOCK), ("fj_tue", "5803.T", TUE),
                          ("tel_mon", "8035.T", SHOCK), ("tel_tue", "8035.T", TUE),
                          ("nk_mon", "^N225", SHOCK), ("nk_tue", "^N225", TUE)):
    value(TOKYO, key)(lambda ticker=ticker, when=when: fall(raw.ret(ticker, when)))

value(TOKYO, "nk_two")(lambda: fall(raw.window("^N225", SHOCK, TUE)))
value(TOKYO, "n_names")(lambda: count(len(japan_stocks())))
value(TOKYO, "n_fell_mon")(
    lambda: count(sum(raw.ret(t, SHOCK) < 0 for t in japan_stocks())))
value(TOKYO, "n_fell_tue")(lambda: count(sum(raw.ret(t, TUE) < 0 for t in japan_stocks())))
value(TOKYO, "avg_mon")(lambda: fall(np.mean([raw.ret(t, SHOCK) for t in japan_stocks()])))
value(TOKYO, "avg_tue")(lambda: fall(np.mean([raw.ret(t, TUE) for t in japan_stocks()])))


def two_day() -> pd.Series:
    return pd.Series({t: raw.window(t, SHOCK, TUE) for t in japan_stocks()}).sort_values()


value(TOKYO, "worst2_name")(lambda: raw.name(two_day().index[0]))
value(TOKYO, "worst2")(lambda: fall(two_day().iloc[0]))
value(TOKYO, "fx_fri")(lambda: f"{raw.close('JPY=X')[FRIDAY]:.2f}")
value(TOKYO, "fx_mon")(lambda: f"{raw.close('JPY=X')[SHOCK]:.2f}")
value(TOKYO, "fx_tue")(lambda: f"{raw.close('JPY=X')[TUE]:.2f}")


@value(TOKYO, "fig-tokyo-names")
def _names_title() -> str:
    names = japan_stocks()
    both = all(raw.ret(t, d) < 0 for t in names for d in (SHOCK, TUE))
    assert both, "the title's claim 'fell on both days' does not hold"
    worst = two_day()
    return (f"All {count(len(names))} Japanese AI-linked stocks fell on both days; "
            f"{raw.name(worst.index[0])} lost {-worst.iloc[0]:.0%} in two")


# --- the clock: the S&P 500 contract (CFD) from Friday's New York close ----------------------

def cfd() -> pd.DataFrame:
    """One-minute bid bars; the files stamp the bar's start in EST (UTC-5 all year)."""
    frames = [pd.read_csv(raw.path("intraday", f"SPXUSD_M1_2025{m}.csv"), sep=";", header=None,
                          names=["ts", "open", "high", "low", "close", "volume"])
              for m in ("01", "02")]
    bars = pd.concat(frames, ignore_index=True)
    bars["start"] = pd.to_datetime(bars["ts"], format="%Y%m%d %H%M%S") + pd.Timedelta(hours=5)
    bars["end"] = bars["start"] + pd.Timedelta(minutes=1)
    return bars.sort_values("start", ignore_index=True)


def level_at(bars: pd.DataFrame, when: pd.Timestamp) -> float:
    return float(bars.loc[bars["end"] <= when, "close"].iloc[-1])


def reopening() -> tuple[float, pd.Series]:
    """(the contract's level at New York's Friday close, its first bar after the weekend: the
    first after a gap of more than an hour)."""
    bars = cfd()
    friday_close = utc("XNYS", "close", FRIDAY)
    after = bars.loc[bars["start"] >= friday_close].reset_index(drop=True)
    first = after.loc[(after["start"].diff() > pd.Timedelta(hours=1)).idxmax()]
    return level_at(bars, friday_close), first


def down_before_tokyo() -> bool:
    """Whether the first quote after the weekend was below Friday's close and before Tokyo's
    Monday open."""
    base, first = reopening()
    return float(first["open"]) < base and first["start"] < utc("XTKS", "open", SHOCK)


@value(TOKYO, "fig-tokyo-clock")
def _clock_title() -> str:
    bars = cfd()
    base, first = reopening()
    reopen = float(first["open"]) / base - 1
    tokyo = level_at(bars, utc("XTKS", "close", SHOCK)) / base - 1

    def down(x: float) -> str:
        return f"{abs(x) * 100:.1f}% {'down' if x < 0 else 'up'}"
    return (f"The US contract was {down(reopen)} before Tokyo opened, {down(tokyo)} at "
            "Tokyo's close")


@value(TOKYO, "sc_verdict")
def _first_mover() -> str:
    """Whether Tokyo opened first of the book's exchanges after New York's Friday close, and
    whether the contract's first quote after the weekend was below that close."""
    friday_close = utc("XNYS", "close", FRIDAY)
    opens = {}
    for code in set(raw.universe()["calendar"]) - {""}:
        cal = calendar(code)
        day = cal.date_to_session(friday_close.normalize() + pd.Timedelta(days=1), "next")
        opens[code] = utc(code, "open", day)
    assert min(opens, key=opens.get) == "XTKS", f"not Tokyo first: {opens}"
    return ("Tokyo was the first stock exchange to trade on the weekend's news, but "
            + ("not the first market to move: the US index contract was lower before Tokyo "
               "opened." if down_before_tokyo() else
               "the US index contract had not fallen before Tokyo opened."))


@value("intro", "fig-intro-clock")
def _hero_title() -> str:
    """Whether the contract's first quote after the weekend was below Friday's close and came
    before Tokyo's Monday open; Nvidia's day in New York."""
    nv = f"Nvidia fell {abs(raw.ret('NVDA', SHOCK)) * 100:.1f}% in New York"
    if down_before_tokyo():
        return f"The US market was already down before Tokyo opened; on Monday {nv}"
    return f"Tokyo traded first; on Monday {nv}"


# --- contagion: Seoul and Taipei reopening ---------------------------------------------------

def reopened(ticker: str) -> tuple[pd.Timestamp, pd.Timestamp, float]:
    """(last close before 27 January, first session on or after it, the move between)."""
    first = raw.first_on_or_after(ticker)
    prev = raw.close(ticker).index[raw.close(ticker).index < first][-1]
    return prev, first, raw.ret(ticker, first)


for key, ticker in (("hynix", "000660.KS"), ("samsung", "005930.KS"), ("kospi", "^KS11"),
                    ("tsmc", "2330.TW"), ("taiex", "^TWII"), ("asml", "ASML"),
                    ("schneider", "SU.PA"), ("tsm_adr_mon", "TSM")):
    value(CONTAGION, key)(lambda ticker=ticker: fall(reopened(ticker)[2]))

value(CONTAGION, "kr_first")(lambda: day(reopened("^KS11")[1], weekday=True))
value(CONTAGION, "kr_prev")(lambda: day(reopened("^KS11")[0], weekday=True))
value(CONTAGION, "tw_first")(lambda: day(reopened("^TWII")[1], weekday=True))
value(CONTAGION, "tw_prev")(lambda: day(reopened("^TWII")[0], weekday=True))


@functools.cache
def closed_weekdays(code: str, start="2025-01-23", end="2025-02-05") -> pd.DatetimeIndex:
    """Weekdays of the grid (New York's sessions -2 to +7 around day 0) on which no series of
    the market (by its calendar in data/universe.csv) has a bar in the snapshot: the data's
    own record of a closure, independent of the calendars the book reads."""
    uni = raw.universe()
    traded = set()
    for ticker in uni.index[uni["calendar"] == code]:
        traded |= set(raw.close(ticker).index)
    return pd.DatetimeIndex([d for d in pd.bdate_range(start, end) if d not in traded])


value(CONTAGION, "kr_closed_n")(lambda: count(len(closed_weekdays("XKRX"))))
value(CONTAGION, "tw_closed_n")(lambda: count(len(closed_weekdays("XTAI"))))
value(CONTAGION, "tw_closed_from")(lambda: f"{closed_weekdays('XTAI')[0]:%-d %B}")
value(CONTAGION, "tw_closed_to")(lambda: f"{closed_weekdays('XTAI')[-1]:%-d %B}")
value(CONTAGION, "kr_closed_from")(lambda: f"{closed_weekdays('XKRX')[0]:%-d %B}")
value(CONTAGION, "kr_closed_to")(lambda: f"{closed_weekdays('XKRX')[-1]:%-d %B}")


@value(CONTAGION, "fig-contagion-grid")
def _grid_title() -> str:
    cities = {"XTKS": "Tokyo", "XKRX": "Seoul", "XTAI": "Taipei", "XSHG": "Shanghai",
              "XHKG": "Hong Kong", "XETR": "Europe (Xetra)", "XNYS": "New York"}
    shut = {code: len(closed_weekdays(code)) for code in cities}
    longest = max(shut, key=shut.get)
    never = [cities[c] for c in cities if shut[c] == 0]
    return (f"{cities[longest]} was shut for {shut[longest]} weekdays, Seoul for {shut['XKRX']}; "
            f"{', '.join(never)} never shut")


@value(CONTAGION, "fig-contagion-first")
def _first_title() -> str:
    uni = raw.universe()
    late = uni.index[uni["market"].isin(["Korea", "Taiwan"])]
    worst = min(late, key=lambda t: reopened(t)[2])
    _, first, move = reopened(worst)
    return (f"Korea and Taiwan caught up on reopening: {raw.name(worst)} fell "
            f"{abs(move) * 100:.1f}% on {first:%-d %b}")


# --- reopening against the New York funds ---------------------------------------------------------

FUNDS = {"^KS11": ("EWY", "Seoul"), "^TWII": ("EWT", "Taipei"), "^HSI": ("EWH", "Hong Kong"),
         "000001.SS": ("MCHI", "Shanghai")}  # the book's pairing of index and New York fund


def reopening_gap(index: str) -> tuple[float, float]:
    """(the index's move from its last close before the holiday to its first close back, the
    fund's compounded move over the New York sessions in between). An Asian session lies
    between 00:00 and 09:00 UTC, so the New York closes inside the gap are those of the
    sessions after the one before the local last close, up to the one before the reopening."""
    code = raw.universe().at[index, "calendar"]
    shut = closed_weekdays(code, "2025-01-27", "2025-02-07")
    gap = shut[0]
    c = raw.close(index)
    back = c.index[c.index > gap][0]
    last = c.index[c.index < gap][-1]
    ny = raw.close("^GSPC").index
    start, end = ny[ny < last][-1], ny[ny < back][-1]
    fund = raw.panel_rets()[FUNDS[index][0]].dropna()
    inside = fund.loc[(fund.index > start) & (fund.index <= end)]
    return c[back] / c[last] - 1, float(np.prod(1 + inside.to_numpy()) - 1)


@value(CONTAGION, "fig-contagion-reopening")
def _reopening_title() -> str:
    near, far, gaps = [], [], []
    for index, (_, place) in FUNDS.items():
        local, fund = reopening_gap(index)
        gap = abs(local - fund) * 100
        (near if gap < 2.0 else far).append(place)
        gaps += [gap] if gap < 2.0 else []

    def join(names: list[str]) -> str:
        return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]
    # the bound stated: the largest gap among the near markets, rounded up to one decimal
    bound = np.ceil(round(max(gaps) * 10, 6)) / 10
    text = f"{join(near)} reopened within {bound:.1f} points of their New York funds"
    return text + (f"; {join(far)} did not" if far else "")
