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
from tests.tokyonames import names_frame

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


# --- the charts, on made-up frames ----------------------------------------------------------------

SOURCE = "Source: Yahoo Finance daily closes; exchange calendars"


def tip(field: str, kind: str, title: str, fmt: str | None = None) -> dict:
    out = {"field": field, "type": kind, "title": title}
    return out | ({"format": fmt} if fmt else {})


def rows_with(spec: dict, column: str) -> list[dict]:
    """The one dataset of a spec whose rows have `column`."""
    found = [rows for rows in spec["datasets"].values() if rows and column in rows[0]]
    assert len(found) == 1, column
    return found[0]


NAMES = [("6857.T", "Advantest", -8.6, -11.1), ("6146.T", "Disco", -1.8, 2.9),
         ("5803.T", "Fujikura", -10.7, -9.2), ("^N225", "Nikkei 225", -0.9, -1.4)]
SESS = ["Mon 27 Jan", "Tue 28 Jan"]
TOKYO_TIPS = [tip("name", "nominal", "Security"), tip("ticker", "nominal", "Ticker"),
              tip("session", "nominal", "Tokyo session"),
              tip("ret_pct", "quantitative", "Close-to-close (%)", "+.1f"),
              tip("two_day_pct", "quantitative", "Both sessions (%)", "+.1f")]


def test_tokyo_chart_spec():
    chart = asia.tokyo_chart(names_frame(NAMES))
    spec, full = clean(chart), chart.to_dict()
    assert spec["title"] == {
        "text": "Two of three Japanese AI-linked stocks fell on both days; Fujikura lost 19% in two",
        "subtitle": ["Pale bars: Monday, before New York's sell-off (weekend news); solid: "
                     "Tuesday, after it", "Nikkei 225 (bottom) as reference", SOURCE]}
    assert spec["description"] == (
        "Grouped horizontal bars of close-to-close moves on the Tokyo sessions of Mon 27 Jan and "
        f"Tue 28 Jan 2025: Advantest: {MINUS}8.6%, {MINUS}11.1%; Disco: {MINUS}1.8%, +2.9%; "
        f"Fujikura: {MINUS}10.7%, {MINUS}9.2%; Nikkei 225: {MINUS}0.9%, {MINUS}1.4%.")
    assert (spec["width"], spec["height"]) == (560, 340)
    bars, text, zero = spec["layer"]
    # by two-day move, worst first; the Nikkei last whatever its move
    y = {"field": "name", "type": "nominal", "sort": ["Fujikura", "Advantest", "Disco",
                                                      "Nikkei 225"], "title": None}
    offset = {"field": "session", "type": "nominal", "sort": SESS}
    assert bars["mark"] == {"type": "bar", "height": 9}
    x = bars["encoding"].pop("x")
    assert x["scale"].pop("domain") == pytest.approx([-11.1 * 1.3, 2.9 + 1])
    assert x == {"field": "ret_pct", "type": "quantitative", "title": "Close-to-close move (%)",
                 "scale": {"nice": False}}
    assert bars["encoding"] == {
        "y": y, "yOffset": offset, "tooltip": TOKYO_TIPS,
        "color": {"field": "sign", "type": "nominal", "title": "Move",
                  "scale": {"domain": ["fell", "rose"], "range": [NEGATIVE, POSITIVE]}},
        "opacity": {"field": "session", "type": "nominal", "title": "Tokyo session", "sort": SESS,
                    "scale": {"domain": SESS, "range": [0.5, 1.0]}}}
    assert text["mark"] == {"type": "text", "fontSize": 9, "color": "#222222",
                            "dx": {"expr": "datum.ret_pct < 0 ? -3 : 3"},
                            "align": {"expr": "datum.ret_pct < 0 ? 'right' : 'left'"}}
    assert text["encoding"] == {"x": {"field": "ret_pct", "type": "quantitative"}, "y": y,
                                "yOffset": offset, "text": {"field": "tag", "type": "nominal"},
                                "tooltip": TOKYO_TIPS}
    assert zero["mark"] == {"type": "rule", "color": NEUTRAL}
    assert zero["encoding"] == {"x": {"field": "x", "type": "quantitative"}}
    assert rows_with(full, "x") == [{"x": 0}]
    drawn = rows_with(full, "tag")
    assert [r["tag"] for r in drawn] == [
        f"Mon {MINUS}8.6", f"Tue {MINUS}11.1", f"Mon {MINUS}1.8", "Tue +2.9", f"Mon {MINUS}10.7",
        f"Tue {MINUS}9.2", f"Mon {MINUS}0.9", f"Tue {MINUS}1.4"]
    assert [r["sign"] for r in drawn] == ["fell"] * 3 + ["rose"] + ["fell"] * 4


def test_tokyo_chart_when_every_stock_fell_both_days():
    rows = [NAMES[0], ("6146.T", "Disco", -1.8, -2.9), NAMES[2], ("^N225", "Nikkei 225", 0.0, 0.4)]
    spec = asia.tokyo_chart(names_frame(rows)).to_dict()
    assert spec["title"]["text"] == ("All three Japanese AI-linked stocks fell on both days; "
                                     "Fujikura lost 19% in two")
    assert spec["layer"][0]["encoding"]["x"]["scale"]["domain"] == pytest.approx(
        [-11.1 * 1.3, 0.4 + 1])
    zero = asia.tokyo_chart(names_frame(rows[:3] + [("^N225", "Nikkei 225", -0.5, -0.4)]))
    assert zero.to_dict()["layer"][0]["encoding"]["x"]["scale"]["domain"] == pytest.approx(
        [-11.1 * 1.3, 1])                                   # nothing rose: up to 0 + 1
    signs = [r["sign"] for r in rows_with(spec, "sign")]
    assert signs[-2:] == ["rose", "rose"]                   # 0.0 is drawn as not a fall


def timeline_frame() -> pd.DataFrame:
    def row(city, market, day, status, start, end, label, move, show):
        return {"city": city, "market": market, "session": T(day), "status": status,
                "start_utc": T(f"{day} {start}"), "end_utc": T(f"{day} {end}"), "label": label,
                "move": move, "moves": label.replace("\n", "; "), "show_label": show}
    return pd.DataFrame([
        row("Tokyo", "XTKS", "2025-01-27", "open", "00:00", "02:30", "N (−0.9%)", "fell", False),
        row("Tokyo", "XTKS", "2025-01-27", "open", "03:30", "06:30", "N (−0.9%)", "fell", True),
        row("Seoul", "XKRX", "2025-01-27", "closed", "00:00", "06:30", "closed", "closed", True),
        row("New York", "XNYS", "2025-01-27", "open", "14:30", "21:00", "S (−1.5%)\nX (−9.1%)",
            "fell", True),
        row("Tokyo", "XTKS", "2025-01-28", "open", "00:00", "06:30", "N (−1.4%)", "fell", True)])


def test_timeline_chart_spec():
    chart = asia.timeline_chart(timeline_frame())
    spec = clean(chart)
    assert spec["title"] == {
        "text": "Tokyo closed 8 hours before New York opened on 27 January",
        "subtitle": ["Sessions from the exchange calendars; dashed outlines: usual hours of a "
                     "closed market", "Each market shown by its main index; Europe by the STOXX "
                     "Europe 600 and the DAX on Frankfurt's hours", SOURCE]}
    assert spec["description"] == (
        "Timeline of trading sessions on 27 and 28 January 2025 in UTC for Tokyo, Seoul, Taipei, "
        "Shanghai, Hong Kong, Europe and New York. Tokyo's Monday session ends 8 hours before New "
        "York's opens; Seoul and Taipei are closed both days, Shanghai on the 28th, and Hong Kong "
        "closes early on the 28th. Each session is labelled with its close-to-close moves: "
        "Tokyo 27 Jan: N (−0.9%); Seoul 27 Jan: closed; New York 27 Jan: S (−1.5%); X (−9.1%); "
        "Tokyo 28 Jan: N (−1.4%).")
    assert (spec["width"], spec["height"]) == (600, 330)
    keep = ("datum.show_label && datum.session == '2025-01-27T00:00:00' && "
            "(datum.city == 'Tokyo' || datum.city == 'New York')")
    assert spec["usermeta"] == {"narrow": {
        "drop": [], "set": {"layer/1/transform": [{"filter": keep}]}, "transpose": False,
        "note": "Labels: Tokyo and New York on 27 Jan; tap a session for its moves"}}
    bars, text = spec["layer"]
    y = {"field": "city", "type": "nominal", "title": None,
         "sort": ["Tokyo", "Seoul", "Taipei", "Shanghai", "Hong Kong", "Europe (Xetra)",
                  "New York"]}
    tips = [tip("city", "nominal", "Market"),
            tip("session", "temporal", "Session", "%a %d %b %Y"),
            tip("status", "nominal", "Status (calendar)"),
            tip("start_utc", "temporal", "From (UTC)", "%d %b %H:%M"),
            tip("end_utc", "temporal", "To (UTC)", "%d %b %H:%M"),
            tip("moves", "nominal", "Close-to-close move")]
    assert bars["mark"] == {"type": "bar", "height": 16, "stroke": NEUTRAL, "strokeWidth": 0.8}
    assert bars["encoding"] == {
        "x": {"field": "start_utc", "type": "temporal", "title": "Time (UTC), 27–28 January 2025",
              "scale": {"domain": ["2025-01-27T00:00:00", "2025-01-28T19:30:00"]},
              "axis": {"format": "%a %H:%M", "tickCount": 10}},
        "x2": {"field": "end_utc"}, "y": y, "tooltip": tips,
        "color": {"field": "move", "type": "nominal", "title": "Session",
                  "legend": {"orient": "bottom"},
                  "scale": {"domain": ["fell", "rose", "closed"],
                            "range": [NEGATIVE, POSITIVE, "#ffffff"]}},
        "strokeDash": {"condition": {"test": "datum.status == 'closed'", "value": [3, 2]},
                       "value": [1, 0]}}
    assert text["transform"] == [{"filter": "datum.show_label"}]
    assert text["mark"] == {"type": "text", "align": "left", "baseline": "middle", "dx": 4,
                            "fontSize": 10, "lineBreak": "\n", "color": "#222222"}
    assert text["encoding"] == {"x": {"field": "end_utc", "type": "temporal"}, "y": y,
                                "text": {"field": "label", "type": "nominal"}, "tooltip": tips}


def test_timeline_chart_names_its_first_day():
    day = pd.Timedelta(days=1)
    later = timeline_frame().assign(session=lambda f: f["session"] + day,
                                    start_utc=lambda f: f["start_utc"] + day,
                                    end_utc=lambda f: f["end_utc"] + day)
    spec = asia.timeline_chart(later).to_dict()
    assert spec["title"]["text"] == "Tokyo closed 8 hours before New York opened on 28 January"
    assert spec["description"].startswith("Timeline of trading sessions on 28 and 29 January "
                                          "2025 in UTC")
    assert spec["usermeta"]["narrow"]["note"].startswith("Labels: Tokyo and New York on 28 Jan")
    assert spec["layer"][0]["encoding"]["x"]["title"] == "Time (UTC), 28–29 January 2025"


def contagion_frame() -> pd.DataFrame:
    rows = [("NVDA", "Nvidia", "New York", "2025-01-24", "2025-01-27", 1, "27 Jan", -17.0),
            ("8035.T", "Tokyo Electron", "Tokyo", "2025-01-24", "2025-01-28", 2,
             "24 Jan–28 Jan, 2 sessions", -10.4),
            ("^HSI", "Hang Seng", "Hong Kong", "2025-01-24", "2025-01-28", 2,
             "24 Jan–28 Jan, 2 sessions", 0.8),
            ("005930.KS", "Samsung Electronics", "Seoul", "2025-01-24", "2025-01-31", 1,
             "31 Jan, first since 24 Jan", -2.4),
            ("000660.KS", "SK hynix", "Seoul", "2025-01-24", "2025-01-31", 1,
             "31 Jan, first since 24 Jan", -9.9),
            ("2330.TW", "TSMC (Taipei)", "Taipei", "2025-01-22", "2025-02-03", 1,
             "3 Feb, first since 22 Jan", -5.7)]
    return pd.DataFrame([{"ticker": t, "name": n, "city": c, "base": T(b), "end": T(e),
                          "sessions": s, "window": w, "ret_pct": r}
                         for t, n, c, b, e, s, w, r in rows])


def test_contagion_chart_spec():
    chart = asia.contagion_chart(contagion_frame())
    spec, full = clean(chart), chart.to_dict()
    assert spec["title"] == {
        "text": "Korea and Taiwan caught up on reopening: SK hynix fell 9.9% on 31 Jan",
        "subtitle": ["Each bar: from the last close before 27 Jan to the close of the market's "
                     "first session", "that opened after New York's 27 Jan close (the date in "
                     "each label), in order of closing time", "Dashed line: Nvidia on 27 Jan",
                     SOURCE]}
    assert spec["description"] == (
        "Horizontal bars of each security's move from its last close before 27 January 2025 to "
        "its market's first session after New York's sell-off: Nvidia (27 Jan) −17.0%; Tokyo "
        "Electron (24 Jan–28 Jan, 2 sessions) −10.4%; Hang Seng (24 Jan–28 Jan, 2 sessions) "
        "+0.8%; Samsung Electronics (31 Jan, first since 24 Jan) −2.4%; SK hynix (31 Jan, first "
        "since 24 Jan) −9.9%; TSMC (Taipei) (3 Feb, first since 22 Jan) −5.7%.")
    assert (spec["width"], spec["height"]) == (280, 330)
    labels = ["Nvidia · 27 Jan", "Tokyo Elec. · 28 Jan", "Hang Seng · 28 Jan",
              "Samsung · 31 Jan", "SK hynix · 31 Jan", "TSMC (Taipei) · 3 Feb"]
    y = {"field": "label", "type": "nominal", "sort": labels, "title": None,
         "axis": {"labelLimit": 200}}
    tips = [tip("name", "nominal", "Security"), tip("city", "nominal", "Market"),
            tip("base", "temporal", "From close of", "%a %d %b %Y"),
            tip("end", "temporal", "To close of", "%a %d %b %Y"),
            tip("window", "nominal", "Sessions measured"),
            tip("ret_pct", "quantitative", "Move (%)", "+.1f")]
    bars, below, above, ref = spec["layer"]
    assert bars["mark"] == {"type": "bar", "height": 14}
    x = bars["encoding"].pop("x")
    assert x["scale"].pop("domain") == pytest.approx([-17.0 * 1.25, 0.8 * 1.25 + 1])
    assert x == {"field": "ret_pct", "type": "quantitative", "title": "Close-to-close move (%)",
                 "scale": {"nice": False}}
    assert bars["encoding"] == {
        "y": y, "tooltip": tips,
        "color": {"field": "sign", "type": "nominal", "title": "Move",
                  "scale": {"domain": ["fell", "rose"], "range": [NEGATIVE, POSITIVE]}}}
    for layer, test, align, dx in ((below, "datum.ret_pct < 0", "right", -3),
                                   (above, "datum.ret_pct >= 0", "left", 3)):
        assert layer["transform"] == [{"filter": test}]
        assert layer["mark"] == {"type": "text", "align": align, "dx": dx, "fontSize": 10}
        assert layer["encoding"] == {
            "x": {"field": "ret_pct", "type": "quantitative"}, "y": y, "tooltip": tips,
            "text": {"field": "ret_pct", "type": "quantitative", "format": "+.1f"}}
    assert ref["mark"] == {"type": "rule", "strokeDash": [4, 3], "color": NEUTRAL}
    assert ref["encoding"] == {"x": {"field": "x", "type": "quantitative"}}
    assert rows_with(full, "x") == [{"x": -17.0}]
    drawn = rows_with(full, "label")
    assert [r["label"] for r in drawn] == labels
    assert [r["sign"] for r in drawn] == ["fell", "fell", "rose", "fell", "fell", "fell"]


def test_contagion_chart_when_nothing_rose():
    frame = contagion_frame()
    frame.loc[frame["ticker"] == "^HSI", "ret_pct"] = 0.0
    spec = asia.contagion_chart(frame).to_dict()
    assert spec["layer"][0]["encoding"]["x"]["scale"]["domain"] == pytest.approx(
        [-17.0 * 1.25, 1])
    assert [r["sign"] for r in rows_with(spec, "label")][2] == "rose"   # 0.0 is no fall
    frame.loc[frame["ticker"] == "^HSI", "ret_pct"] = -0.5
    spec = asia.contagion_chart(frame).to_dict()
    assert spec["layer"][0]["encoding"]["x"]["scale"]["domain"] == pytest.approx(
        [-17.0 * 1.25, 1])                                  # nothing above 0: up to 0 + 1


def grid_frame() -> pd.DataFrame:
    cells = {"Tokyo": ["open"] * 4, "Seoul": ["closed", "closed", "open", "open"],
             "Taipei": ["closed", "closed", "closed", "open"],
             "Hong Kong": ["open", "early close", "closed", "open"]}
    rows = []
    for city, states in cells.items():
        for day, state in zip(pd.bdate_range("2025-01-27", "2025-01-30"), states):
            shut = state == "closed"
            rows.append({"market": city[:4].upper(), "city": city, "date": day, "status": state,
                         "open_utc": "" if shut else "open", "close_utc": "" if shut else "close",
                         "marker": f"{city} index", "ret_pct": None if shut else -1.0,
                         "cell": "closed" if shut else "fell",
                         "label": "–" if shut else "−1.0" + ("*" if state == "early close" else "")})
    return pd.DataFrame(rows)


def test_grid_chart_spec():
    chart = asia.grid_chart(grid_frame())
    spec = clean(chart)
    assert spec["title"] == {
        "text": "Taipei was shut for 3 weekdays, Seoul for 2; Tokyo never shut",
        "subtitle": ["Cells: the main index's close-to-close move (%); – closed; * half day",
                     "Nikkei 225, KOSPI, Taiex, Shanghai Composite, Hang Seng, STOXX Europe 600, "
                     "S&P 500", SOURCE]}
    assert spec["description"] == (
        "Grid of weekdays from 27 January to 30 January 2025 by market. Seoul: closed on 27 Jan, "
        "28 Jan. Taipei: closed on 27 Jan, 28 Jan, 29 Jan. Hong Kong: closed on 29 Jan. Hong Kong "
        "closes early on 28 January.")
    assert (spec["width"], spec["height"]) == (490, 230)
    assert spec["usermeta"] == {"narrow": {"drop": [], "set": {}, "transpose": True}}
    x = {"field": "date", "type": "ordinal", "title": "Weekday (local session date)",
         "timeUnit": "yearmonthdate", "axis": {"format": "%a %d %b", "labelAngle": -45}}
    y = {"field": "city", "type": "nominal", "sort": ["Tokyo", "Seoul", "Taipei", "Hong Kong"],
         "title": None}
    tips = [tip("city", "nominal", "Market"), tip("date", "temporal", "Date", "%a %d %b %Y"),
            tip("status", "nominal", "Calendar"), tip("open_utc", "nominal", "Open (UTC)"),
            tip("close_utc", "nominal", "Close (UTC)"), tip("marker", "nominal", "Index"),
            tip("ret_pct", "quantitative", "Move (%)", "+.1f")]
    cells, text = spec["layer"]
    assert cells["mark"] == {"type": "rect", "stroke": "white", "strokeWidth": 2}
    assert cells["encoding"] == {
        "x": x, "y": y, "tooltip": tips,
        "color": {"field": "cell", "type": "nominal", "title": "Index that day",
                  "scale": {"domain": ["fell", "rose", "closed"],
                            "range": ["#F0C7A6", "#A6CEE4", "#EEEEEE"]}}}
    assert text["mark"] == {"type": "text", "fontSize": 10}
    assert text["encoding"] == {
        "x": x, "y": y, "tooltip": tips, "text": {"field": "label", "type": "nominal"},
        "color": {"condition": {"test": "datum.status == 'closed'", "value": "#777777"},
                  "value": "#111111"}}


def test_tokyo_chart_an_unchanged_day_is_not_a_fall():
    rows = [NAMES[0], ("6146.T", "Disco", -1.8, 0.0), NAMES[2], NAMES[3]]
    spec = asia.tokyo_chart(names_frame(rows)).to_dict()
    assert spec["title"]["text"].startswith("Two of three Japanese AI-linked stocks fell on both")


def test_contagion_chart_title_names_taipei_when_it_fell_most():
    frame = contagion_frame()
    frame.loc[frame["ticker"] == "2330.TW", "ret_pct"] = -12.0
    spec = asia.contagion_chart(frame).to_dict()
    assert spec["title"]["text"] == ("Korea and Taiwan caught up on reopening: TSMC (Taipei) fell "
                                     "12.0% on 3 Feb")


def test_closed_days_stay_closed_whatever_a_price_source_says(monkeypatch, snapshot):
    """A source with a flat bar on every day, holidays included: the calendar decides what is
    closed (drawn as closed, not as a zero move), and a flat day is no fall."""
    monkeypatch.setattr(asia, "_ret", lambda ticker, day: 0.0)
    line = asia.timeline((MON, TUE))
    shut = line["status"] == "closed"
    assert set(line.loc[shut, "city"]) == {"Seoul", "Taipei", "Shanghai"}
    assert (line.loc[shut, "move"] == "closed").all() and (line.loc[shut, "label"] == "closed").all()
    assert (line.loc[~shut, "move"] == "rose").all()
    assert line.loc[line["city"] == "Tokyo", "label"].iloc[0] == "Nikkei 225 (+0.0%)"
    grid = asia.grid()
    closed = grid["status"] == "closed"
    assert closed.sum() == 4 + 7 + 6 + 3            # Seoul, Taipei, Shanghai, Hong Kong
    assert grid.loc[closed, "ret_pct"].isna().all() and (grid.loc[closed, "cell"] == "closed").all()
    assert (grid.loc[closed, "label"] == "\u2013").all()
    assert (grid.loc[~closed, "cell"] == "rose").all()
    assert set(grid.loc[~closed, "label"]) == {"0.0", "0.0*"}


def test_tokyo_chart_describes_the_names_in_the_frames_order():
    rows = [NAMES[2], NAMES[0], NAMES[1], NAMES[3]]          # Fujikura, Advantest, Disco, ...
    spec = asia.tokyo_chart(names_frame(rows)).to_dict()
    assert spec["description"].split(": ", 1)[1].startswith(
        f"Fujikura: {MINUS}10.7%, {MINUS}9.2%; Advantest: {MINUS}8.6%, {MINUS}11.1%; Disco: ")


def test_first_after_rout_a_session_opening_at_the_close_is_after_it(monkeypatch):
    at = asia.sessions.open_utc("XTKS", TUE)
    monkeypatch.setattr(asia.sessions, "close_utc", lambda market, day: at)
    assert asia.first_after_rout("XTKS") == TUE


def test_contagion_window_after_a_long_weekend(snapshot):
    """New York shut on Monday 20 January 2025 (Martin Luther King Jr. Day): Tuesday's one
    session is measured from Friday's close, four days before, and says so."""
    got = asia.contagion(["NVDA"], T("2025-01-21")).iloc[0]
    assert (got["base"], got["end"], got["sessions"]) == (T("2025-01-17"), T("2025-01-21"), 1)
    assert got["window"] == "21 Jan, first since 17 Jan"
    c = raw.close("NVDA")
    assert got["ret_pct"] == pytest.approx(
        round((c[T("2025-01-21")] / c[T("2025-01-17")] - 1) * 100, 4), abs=1e-9)


def test_grid_chart_states_every_early_close():
    frame = grid_frame()
    frame.loc[(frame["city"] == "Tokyo") & (frame["date"] == T("2025-01-30")),
              "status"] = "early close"
    spec = asia.grid_chart(frame).to_dict()
    assert spec["description"].endswith(" Tokyo closes early on 30 January. Hong Kong closes "
                                        "early on 28 January.")     # in the frame's order
