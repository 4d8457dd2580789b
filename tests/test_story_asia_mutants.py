"""Tokyo's and Delayed contagion's frames and charts (`story.asia`): every frame on the data
against oracles recomputed here from `exchange_calendars` directly, the raw snapshot files and
the committed facts (plain pandas); each chart's title, description, marks, encodings, scales
and layout on small made-up frames written out here. Fast: no book, no kernel."""

from __future__ import annotations

import pandas as pd
import pytest

from deepshock.story import asia
from tests.chartspec import clean
from tests.oracle import raw

T = pd.Timestamp
MON, TUE = T("2025-01-27"), T("2025-01-28")
MINUS = "\u2212"
NEGATIVE, POSITIVE, NEUTRAL = "#D55E00", "#0072B2", "#555555"
SHORT = {"^N225": "Nikkei 225", "^KS11": "KOSPI", "^TWII": "Taiex",
         "000001.SS": "Shanghai Composite", "^HSI": "Hang Seng", "^STOXX": "STOXX 600",
         "^GDAXI": "DAX", "^GSPC": "S&P 500", "^SOX": "SOX", "NVDA": "Nvidia"}
MARKETS = [("XTKS", "Tokyo", ["^N225"]), ("XKRX", "Seoul", ["^KS11"]),
           ("XTAI", "Taipei", ["^TWII"]), ("XSHG", "Shanghai", ["000001.SS"]),
           ("XHKG", "Hong Kong", ["^HSI"]), ("XETR", "Europe (Xetra)", ["^STOXX", "^GDAXI"]),
           ("XNYS", "New York", ["^GSPC", "^SOX", "NVDA"])]


def naive(stamp: pd.Timestamp) -> pd.Timestamp:
    return stamp.tz_convert("UTC").tz_localize(None)


def early(code: str, day: pd.Timestamp) -> bool:
    cal = raw.calendar(code)
    return cal.is_session(day) and day in cal.early_closes


def spans(code: str, day: pd.Timestamp) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """A session's trading spans in UTC, straight from exchange_calendars."""
    cal = raw.calendar(code)
    start, end = naive(cal.session_open(day)), naive(cal.session_close(day))
    if cal.has_break and not pd.isna(cal.session_break_start(day)):
        brk = naive(cal.session_break_start(day)), naive(cal.session_break_end(day))
        if brk[0] < end:
            return [(start, brk[0]), (brk[1], end)]
    return [(start, end)]


def label(ticker: str, day) -> str:
    return f"{SHORT[ticker]} ({raw.ret(ticker, day) * 100:+.1f}%)".replace("-", MINUS)


# --- small helpers ------------------------------------------------------------------------------

def test_signed_chart_labels():
    assert asia._signed(-1.43) == f"{MINUS}1.4"
    assert asia._signed(2.1) == "+2.1" and asia._signed(1.0) == "+1.0"
    assert asia._signed(0.04) == "0.0" and asia._signed(-0.04) == "0.0"   # no signed zero
    assert asia._signed(0.0) == "0.0"


def test_returns_and_compounded_moves_on_the_data(snapshot):
    assert asia._ret("^N225", MON) == pytest.approx(raw.ret("^N225", MON), abs=1e-12)
    assert asia._ret("^KS11", MON) is None                   # Seoul was shut
    c = raw.close("6857.T")
    assert asia._move("6857.T", T("2025-01-24"), TUE) == pytest.approx(
        c[TUE] / c[T("2025-01-24")] - 1, abs=1e-12)          # after the start, up to the end
    assert asia._move("6857.T", MON, MON) == 0.0


def test_hours_between_closes_and_opens():
    assert asia.hours_between(("XTKS", MON), ("XNYS", MON)) == 8.0    # 06:30 to 14:30 UTC
    assert asia.hours_between(("XNYS", MON), ("XTKS", TUE)) == 3.0    # 21:00 to 00:00 UTC
    assert asia.hours_between(("XETR", MON), ("XNYS", MON)) == -2.0   # 16:30, after 14:30


def test_reaction_time_reads_one_timed_reaction(monkeypatch):
    from deepshock.data import context
    table = pd.DataFrame({"who": ["A", "A", "B", "C", "C"],
                          "date": pd.to_datetime(["2025-01-28", "2025-01-29", "2025-01-28",
                                                  "2025-01-28", "2025-01-28"]),
                          "time_local": ["09:40-09:45 (press conference)", "10:00", "not stated",
                                         "08:00", "09:00"]})
    monkeypatch.setattr(context, "reactions", lambda: table)
    assert asia.reaction_time("A", "2025-01-28") == "09:40\u201309:45"
    assert asia.reaction_time("A", "2025-01-29") == "10:00"
    for who, date in (("B", "2025-01-28"), ("C", "2025-01-28"), ("A", "2025-01-30")):
        with pytest.raises(ValueError, match=f"no single timed reaction by {who} on {date}"):
            asia.reaction_time(who, date)


# --- Tokyo's frames -----------------------------------------------------------------------------

def timeline_oracle(days) -> pd.DataFrame:
    rows = []
    for code, city, markers in MARKETS:
        cal = raw.calendar(code)
        for day in map(T, days):
            traded = cal.is_session(day)
            model = day if traded else cal.date_to_session(day, direction="next")
            half = early(code, day)
            parts = ([label(t, day) for t in markers] + (["(half day)"] if half else [])
                     if traded else ["closed"])
            first = raw.ret(markers[0], day) if traded else None
            for start, end in spans(code, model):
                rows.append({"city": city, "market": code, "session": day,
                             "status": ("early close" if half else "open") if traded else "closed",
                             "start_utc": start + (day - model), "end_utc": end + (day - model),
                             "label": "\n".join(parts),
                             "move": "closed" if first is None else "fell" if first < 0 else "rose",
                             "moves": "; ".join(parts)})
    out = pd.DataFrame(rows)
    out["show_label"] = out["end_utc"] == out.groupby(["city", "session"])["end_utc"].transform("max")
    return out


@pytest.mark.parametrize("days", [(MON, TUE), (T("2025-01-31"), T("2025-02-03"))])
def test_timeline_on_the_data(snapshot, days):
    got = asia.timeline(days)
    pd.testing.assert_frame_equal(got, timeline_oracle(days), check_dtype=False)


def test_timeline_defaults_to_tokyos_two_sessions(snapshot):
    got = asia.timeline()
    assert list(got["session"].drop_duplicates()) == [MON, TUE]
    hk = got.loc[(got["city"] == "Hong Kong") & (got["session"] == TUE)].iloc[0]
    assert hk["status"] == "early close" and hk["label"].endswith("\n(half day)")
    assert hk["moves"] == f"{label('^HSI', TUE)}; (half day)"
    tokyo = got.loc[got["city"] == "Tokyo"]
    assert list(tokyo["show_label"]) == [False, True, False, True]   # after the lunch break


TOKYO_NAMES = ["6857.T", "8035.T", "9984.T", "6146.T", "5803.T", "6920.T", "7735.T", "6723.T"]


def test_tokyo_names_on_the_data(snapshot):
    rows = []
    for ticker in TOKYO_NAMES + ["^N225"]:
        two = ((1 + raw.ret(ticker, MON)) * (1 + raw.ret(ticker, TUE)) - 1) * 100
        for day in (MON, TUE):
            rows.append({"ticker": ticker, "name": raw.name(ticker), "session": f"{day:%a %d %b}",
                         "date": day, "ret_pct": round(raw.ret(ticker, day) * 100, 4),
                         "role": "benchmark" if ticker == "^N225" else "stock",
                         "two_day_pct": round(two, 4)})
    want = pd.DataFrame(rows)
    pd.testing.assert_frame_equal(asia.tokyo_names(), want, check_exact=False, atol=1e-9,
                                  rtol=0, check_dtype=False)
    other = asia.tokyo_names((T("2025-01-24"), MON))
    assert list(other["session"].unique()) == ["Fri 24 Jan", "Mon 27 Jan"]


def test_tokyo_names_refuses_a_day_a_name_did_not_trade(snapshot):
    with pytest.raises(ValueError, match="6857.T did not trade on 2025-01-25"):
        asia.tokyo_names((MON, T("2025-01-25")))


def test_yen_on_the_data(snapshot):
    fx = raw.close("JPY=X")
    got = asia.yen()
    days = [T("2025-01-24"), MON, TUE]
    assert list(got.index) == days and list(got.columns) == ["yen_per_usd", "change"]
    assert list(got["yen_per_usd"]) == [fx[d] for d in days]
    assert pd.isna(got["change"].iloc[0])
    assert got["change"].iloc[1] == pytest.approx(fx[MON] / fx[days[0]] - 1, abs=1e-12)
    assert got["change"].iloc[2] == pytest.approx(fx[TUE] / fx[MON] - 1, abs=1e-12)
    assert list(asia.yen((MON, TUE)).index) == [MON, TUE]


# --- Delayed contagion's frames -----------------------------------------------------------------

def first_opening_after(code: str, close: pd.Timestamp) -> pd.Timestamp:
    cal = raw.calendar(code)
    days = cal.sessions_in_range("2025-01-01", "2025-03-31")
    return next(d for d in days if naive(cal.session_open(d)) >= close)


def ny_close(day) -> pd.Timestamp:
    return naive(raw.calendar("XNYS").session_close(T(day)))


def test_first_after_rout_on_the_data(snapshot):
    want = {code: first_opening_after(code, ny_close(MON)) for code, _, _ in MARKETS}
    assert {m: asia.first_after_rout(m) for m in asia.ORDER} == want
    assert want == {"XTKS": TUE, "XKRX": T("2025-01-31"), "XTAI": T("2025-02-03"),
                    "XSHG": T("2025-02-05"), "XHKG": TUE, "XETR": TUE, "XNYS": TUE}
    friday = ("XNYS", T("2025-01-24"))
    assert asia.first_after_rout("XTKS", friday) == first_opening_after("XTKS", ny_close(
        "2025-01-24")) == MON


def test_first_back_on_the_data(snapshot):
    got = asia.first_back("2330.TW")
    c = raw.close("2330.TW")
    assert (got["date"], got["prev_date"]) == (T("2025-02-03"), T("2025-01-22"))
    assert got["ret"] == pytest.approx(c[T("2025-02-03")] / c[T("2025-01-22")] - 1, abs=1e-12)
    assert asia.first_back("^N225", TUE)["date"] == TUE


CONTAGION_NAMES = {"NVDA": "Nvidia", "TSM": "TSMC (ADR)", "ASML": "ASML (ADR)",
                   "6857.T": "Advantest", "8035.T": "Tokyo Electron", "^N225": "Nikkei 225",
                   "0700.HK": "Tencent", "^HSI": "Hang Seng", "^STOXX": "STOXX 600",
                   "000660.KS": "SK hynix", "005930.KS": "Samsung Electronics",
                   "^KS11": "KOSPI", "2330.TW": "TSMC (Taipei)", "^TWII": "Taiex"}
CITIES = {"XNYS": "New York", "XTKS": "Tokyo", "XHKG": "Hong Kong", "XETR": "Europe (Xetra)",
          "XKRX": "Seoul", "XTAI": "Taipei"}


def contagion_oracle(shock: pd.Timestamp) -> pd.DataFrame:
    uni = raw.universe()
    rows = []
    for ticker, name in CONTAGION_NAMES.items():
        code = uni.at[ticker, "calendar"]
        cal = raw.calendar(code)
        base = cal.date_to_session(shock - pd.Timedelta(days=1), direction="previous")
        end = shock if code == "XNYS" else first_opening_after(code, ny_close(shock))
        n = len(cal.sessions_in_range(base + pd.Timedelta(days=1), end))
        if n == 1:
            window = (f"{end:%-d %b}, first since {base:%-d %b}"
                      if end - base > pd.Timedelta(days=3) else f"{end:%-d %b}")
        else:
            window = f"{base:%-d %b}\u2013{end:%-d %b}, {n} sessions"
        c = raw.close(ticker)
        rows.append({"ticker": ticker, "name": name, "city": CITIES[code], "base": base,
                     "end": end, "sessions": n, "window": window,
                     "end_close_utc": naive(cal.session_close(end)),
                     "ret_pct": round((c[end] / c[base] - 1) * 100, 4)})
    return (pd.DataFrame(rows).sort_values(["end_close_utc", "ret_pct"])
            .reset_index(drop=True))


def test_contagion_on_the_data(snapshot):
    pd.testing.assert_frame_equal(asia.contagion(), contagion_oracle(MON), check_exact=False,
                                  atol=1e-9, rtol=0, check_dtype=False)
    got = asia.contagion().set_index("ticker")
    assert got.at["^HSI", "window"] == "24 Jan\u201328 Jan, 2 sessions"
    assert got.at["000660.KS", "window"] == "31 Jan, first since 24 Jan"
    assert got.at["NVDA", "window"] == "27 Jan"


def test_contagion_of_a_few_lines_and_another_day(snapshot):
    got = asia.contagion(["^N225", "NVDA"], T("2025-01-24")).set_index("ticker")
    # Friday's rout: Tokyo's first session after it is Monday, measured from Thursday
    assert (got.at["^N225", "base"], got.at["^N225", "end"]) == (T("2025-01-23"), MON)
    assert got.at["^N225", "window"] == "23 Jan\u201327 Jan, 2 sessions"
    assert got.at["NVDA", "end"] == T("2025-01-24") and got.at["NVDA", "sessions"] == 1
    assert list(got.index) == ["NVDA", "^N225"]          # in order of closing time


def grid_oracle() -> pd.DataFrame:
    rows = []
    for code, city, markers in MARKETS:
        cal = raw.calendar(code)
        for day in pd.bdate_range("2025-01-23", "2025-02-05"):
            traded = cal.is_session(day)
            half = early(code, day)
            r = round(raw.ret(markers[0], day) * 100, 4) if traded else None
            rows.append({"market": code, "city": city, "date": day,
                         "status": ("early close" if half else "open") if traded else "closed",
                         "open_utc": f"{naive(cal.session_open(day)):%d %b %H:%M}" if traded else "",
                         "close_utc": f"{naive(cal.session_close(day)):%d %b %H:%M}" if traded else "",
                         "marker": SHORT[markers[0]], "ret_pct": r,
                         "cell": "closed" if r is None else "fell" if r < 0 else "rose",
                         "label": "\u2013" if r is None else (
                             ("0.0" if round(r, 1) == 0 else f"{round(r, 1):+.1f}".replace("-", MINUS))
                             + ("*" if half else ""))})
    return pd.DataFrame(rows)


def test_grid_on_the_data(snapshot):
    got = asia.grid()
    pd.testing.assert_frame_equal(got, grid_oracle(), check_exact=False, atol=1e-9, rtol=0,
                                  check_dtype=False)
    assert got.loc[(got["city"] == "Hong Kong") & (got["date"] == TUE), "label"].iloc[0].endswith("*")
    few = asia.grid(["XKRX", "XNYS"], "2025-01-27", "2025-01-28")
    assert list(few["city"]) == ["Seoul", "Seoul", "New York", "New York"]
    assert list(few["marker"]) == ["KOSPI", "KOSPI", "S&P 500", "S&P 500"]


@pytest.mark.parametrize("local,us,last,back", [("2330.TW", "TSM", "2025-01-22", "2025-02-03"),
                                                ("000660.KS", "MU", "2025-01-24", "2025-01-31")])
def test_gap_comparison_on_the_data(snapshot, local, us, last, back):
    code = raw.universe().at[local, "calendar"]
    cal = raw.calendar(code)
    ny = raw.calendar("XNYS")
    days = ny.sessions_in_range("2025-01-01", "2025-02-28")
    closes = pd.Series([naive(ny.session_close(d)) for d in days], index=days)
    start = closes.index[closes < naive(cal.session_close(T(last)))][-1]
    end = closes.index[closes < naive(cal.session_open(T(back)))][-1]
    lc, uc = raw.close(local), raw.close(us)
    got = asia.gap_comparison(local, us)
    assert {k: got[k] for k in ("local_last", "local_back", "us_start", "us_end",
                                "us_sessions")} == {
        "local_last": T(last), "local_back": T(back), "us_start": start, "us_end": end,
        "us_sessions": int(((closes.index > start) & (closes.index <= end)).sum())}
    assert list(got) == ["local_last", "local_back", "local_ret", "us_start", "us_end", "us_ret",
                         "us_same_dates_ret", "us_sessions"]
    assert (got["local_ret"], got["us_ret"], got["us_same_dates_ret"]) == pytest.approx(
        (lc[T(back)] / lc[T(last)] - 1, uc[end] / uc[start] - 1, uc[end] / uc[T(last)] - 1),
        abs=1e-12)
    assert got["us_sessions"] == {"TSM": 8, "MU": 5}[us]


def test_gap_comparison_defaults_to_tsmc_and_its_adr(snapshot):
    assert asia.gap_comparison() == asia.gap_comparison("2330.TW", "TSM", MON)
