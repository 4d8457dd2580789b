"""Every story chart's title states what its own data show: each test builds the chart, reads
the rows the chart draws out of its Vega-Lite spec, recomputes the numbers in the title from
those rows, and compares. A title that drifts from its data fails here."""

from __future__ import annotations

import math
import re

import pandas as pd

from deepshock.story import aftermath, asia, launch, nvidia, sameclock, selloff
from deepshock.story.contagion import reopening
from deepshock.story.landing import count

D = pd.Timestamp


def drawn(chart, *columns: str) -> pd.DataFrame:
    """The dataset of the chart's spec that has all `columns` (the largest if several)."""
    spec = chart.to_dict()
    found = [pd.DataFrame(rows) for rows in spec.get("datasets", {}).values()
             if rows and all(c in rows[0] for c in columns)]
    assert found, f"no dataset with {columns} in {spec['title']['text']!r}"
    return max(found, key=len)


def title(chart) -> str:
    return chart.to_dict()["title"]["text"]


def test_title_helper_catches_a_wrong_title(snapshot):
    """The method can fail: a title computed from other rows than those drawn does not match."""
    moves = selloff.us_moves()
    chart = selloff.cross_section_chart(moves.iloc[:-3])
    rows = drawn(chart, "name", "group", "ret_pct")
    full = selloff.cross_section_chart(moves)
    n = len(drawn(full, "name", "group", "ret_pct"))
    assert f"of these {len(rows)} " in title(chart) and f"of these {n} " not in title(chart)


def test_selloff_cross_section_title(snapshot):
    chart = selloff.cross_section_chart(selloff.us_moves())
    rows = drawn(chart, "name", "group", "ret_pct")
    down = int((rows["ret_pct"] < 0).sum())
    means = rows.groupby("group")["ret_pct"].mean()
    assert title(chart).startswith(f"{down} of these {len(rows)} AI-linked US")
    assert means.idxmin() == "US power"
    assert title(chart).endswith(f"the power companies most ({abs(means.min()):.1f}% on average)")


def test_headline_title(snapshot):
    chart = selloff.headline_chart(selloff.first_sessions())
    rows = drawn(chart, "label", "ret_pct")
    falls = int((rows["ret_pct"] < 0).sum())
    assert title(chart).startswith(f"{falls} of {len(rows)} headline securities fell")
    rose = rows.loc[rows["ret_pct"] > 0, "name"] if "name" in rows else None
    subtitle = chart.to_dict()["title"]["subtitle"][0]
    worst = rows.sort_values("ret_pct").iloc[0]
    assert subtitle == f"Biggest fall: {worst['label']} {worst['ret_pct']:+.1f}%".replace("-", "−")
    if rose is not None and 0 < len(rose) <= 2:
        assert " and ".join(rose) in title(chart)


def test_sox_worst_days_title(snapshot):
    rank = selloff.fall_rank("^SOX")
    chart = selloff.worst_days_chart(selloff.worst_days("^SOX"), rank, "SOX")
    rows = drawn(chart, "date", "ret_pct", "when")
    rows["date"] = pd.to_datetime(rows["date"])
    shock = rows.loc[rows["when"].str[0].str.isdigit()].iloc[0]
    since = rows.loc[(rows["date"] < shock["date"]) & (rows["ret_pct"] < shock["ret_pct"]),
                     "date"].max()
    assert title(chart).endswith(f"deepest since {since.day} {since:%B %Y}")
    assert title(chart).startswith(f"The SOX's {abs(shock['ret_pct']):.1f}% fall on 27 January")


def test_tokyo_names_title(snapshot):
    chart = asia.tokyo_chart(asia.tokyo_names())
    rows = drawn(chart, "ticker", "ret_pct", "role", "two_day_pct")
    stocks = rows.loc[rows["role"] == "stock"]
    both = int((stocks.groupby("ticker")["ret_pct"].max() < 0).sum())
    n = stocks["ticker"].nunique()
    worst = stocks.sort_values("two_day_pct").iloc[0]
    lead = f"All {count(both)}" if both == n else f"{count(both).capitalize()} of {count(n)}"
    assert title(chart) == (f"{lead} Japanese AI-linked stocks fell on both days; "
                            f"{worst['name']} lost {abs(worst['two_day_pct']):.0f}% in two")


def test_tokyo_timeline_title(snapshot):
    chart = asia.timeline_chart(asia.timeline())
    rows = drawn(chart, "city", "session", "start_utc", "end_utc")
    for c in ("start_utc", "end_utc", "session"):
        rows[c] = pd.to_datetime(rows[c])
    mon = rows["session"] == D("2025-01-27")
    tokyo_end = rows.loc[mon & (rows["city"] == "Tokyo"), "end_utc"].max()
    ny_start = rows.loc[mon & (rows["city"] == "New York"), "start_utc"].min()
    hours = (ny_start - tokyo_end).total_seconds() / 3600
    assert title(chart) == f"Tokyo closed {hours:.0f} hours before New York opened on 27 January"


def test_contagion_grid_title(snapshot):
    chart = asia.grid_chart(asia.grid())
    rows = drawn(chart, "city", "date", "status")
    shut = rows.loc[rows["status"] == "closed"].groupby("city").size()
    always = [c for c in rows["city"].drop_duplicates() if c not in shut.index]
    assert title(chart) == (f"{shut.idxmax()} was shut for {shut.max()} weekdays, Seoul for "
                            f"{shut['Seoul']}; {', '.join(always)} never shut")
    assert {"Shanghai", "Hong Kong"} <= set(rows["city"])  # the China rows


def test_contagion_first_title(snapshot):
    chart = asia.contagion_chart(asia.contagion())
    rows = drawn(chart, "name", "city", "ret_pct", "end")
    late = rows.loc[rows["city"].isin(["Seoul", "Taipei"])].sort_values("ret_pct").iloc[0]
    end = pd.to_datetime(late["end"])
    assert title(chart) == (f"Korea and Taiwan caught up on reopening: {late['name']} fell "
                            f"{abs(late['ret_pct']):.1f}% on {end:%-d %b}")
    assert {"Hong Kong", "Europe (Xetra)"} <= set(rows["city"])


def test_reopening_title(snapshot):
    chart = reopening.chart(reopening.pairs())
    rows = drawn(chart, "ticker", "place", "local_pct", "fund_pct").drop_duplicates("ticker")
    index = rows.loc[rows["ticker"].str.startswith("^") | (rows["ticker"] == "000001.SS")]
    gap = (index["local_pct"] - index["fund_pct"]).abs()
    near, far = index.loc[gap < 2, "place"].tolist(), index.loc[gap >= 2, "place"].tolist()
    bound = math.ceil(round(gap[gap < 2].max() * 10, 6)) / 10   # the largest near gap, rounded up
    head, _, tail = title(chart).partition(f" reopened within {bound:.1f} points")
    assert tail, title(chart)
    assert sorted(re.split(r", | and ", head)) == sorted(near)
    assert (tail.endswith(" did not") and sorted(re.split(r", | and ", tail.split("; ")[1][:-8]))
            == sorted(far)) if far else "; " not in tail


def test_aftermath_titles(snapshot):
    window = aftermath.tariff_window()
    groups = aftermath.group_paths(aftermath.paths())
    chart = aftermath.groups_chart(groups, window)
    rows = drawn(chart, "group", "date", "cum_pct")
    rows["date"] = pd.to_datetime(rows["date"])
    early = rows.loc[(rows["date"] > aftermath.BASE) & (rows["date"] <= aftermath.FORTNIGHT)]
    late = rows.loc[rows["date"] >= window["start"]]
    lower = int((late.groupby("group")["cum_pct"].min()
                 < early.groupby("group")["cum_pct"].min()).sum())
    assert title(chart).startswith(f"{lower} of {rows['group'].nunique()} groups fell further")

    rec = aftermath.recovery(aftermath.paths(), window)
    chart = aftermath.recovery_chart(rec, window)
    rows = drawn(chart, "name", "status", "label", "end_pct")
    done = int(rows["status"].isin(aftermath.STATUS[:3]).sum())
    above = int((rows["end_pct"].astype(float) >= 0).sum())
    nv = rows.loc[rows["ticker"] == "NVDA"].iloc[0]
    assert title(chart) == (f"{done} of {len(rows)} got back to their pre-shock close and {above} "
                            f"were at or above it on 30 June; Nvidia took "
                            f"{nv['label'].split()[0]} sessions")


def test_launch_timeline_title(snapshot):
    weights = launch.event("V3 weights")
    base = launch.base_session("NVDA", weights["date"])
    series = launch.indexed(["NVDA", "^SOX"], base, "2024-12-02", "2025-02-28")
    chart = launch.timeline_chart(series, launch.milestones(), base)
    rows = drawn(chart, "name", "date", "index")
    rows["date"] = pd.to_datetime(rows["date"])
    shock = rows.loc[rows["date"] == launch.SHOCK].set_index("name")["index"]
    pre = rows.loc[rows["date"] < launch.SHOCK].sort_values("date").groupby("name")["index"].last()
    drift = (pre - 100).abs().max() < (pre - shock).min()
    assert title(chart).startswith("Chip stocks drifted" if drift else "Chip stocks fell on")
    fall = shock["Nvidia"] / pre["Nvidia"] - 1
    assert drift and title(chart).endswith(f"then Nvidia fell {abs(fall):.1%} on 27 January")


def test_nvidia_price_title(snapshot):
    rec = nvidia.record_day()
    window = nvidia.price_window()
    chart = nvidia.price_chart(window, nvidia.event_marks(window["date"].min(),
                                                          window["date"].max()), rec)
    rows = drawn(chart, "date", "close", "ret_pct")
    rows["date"] = pd.to_datetime(rows["date"])
    day = rows.set_index("date")
    fall = day.at[launch.SHOCK, "close"] / day.loc[day.index < launch.SHOCK, "close"].iloc[-1] - 1
    assert title(chart).startswith(f"Nvidia fell {abs(fall):.1%} in one session on 27 January")


# --- colour: orange means fell, blue means rose, on every story chart ----------------------

def _story_charts():
    window = aftermath.tariff_window()
    rank = selloff.fall_rank("^SOX")
    weights = launch.event("V3 weights")
    base = launch.base_session("NVDA", weights["date"])
    rec = nvidia.record_day()
    prices = nvidia.price_window()
    return {
        "launch": launch.timeline_chart(launch.indexed(["NVDA", "^SOX"], base, "2024-12-02",
                                                       "2025-02-28"), launch.milestones(), base),
        "nvidia price": nvidia.price_chart(prices, nvidia.event_marks(
            prices["date"].min(), prices["date"].max()), rec),
        "selloff": selloff.cross_section_chart(selloff.us_moves()),
        "sox": selloff.worst_days_chart(selloff.worst_days("^SOX"), rank, "SOX"),
        "headline": selloff.headline_chart(selloff.first_sessions()),
        "timeline": asia.timeline_chart(asia.timeline()),
        "tokyo": asia.tokyo_chart(asia.tokyo_names()),
        "grid": asia.grid_chart(asia.grid()),
        "contagion": asia.contagion_chart(asia.contagion()),
        "reopening": reopening.chart(reopening.pairs()),
        "clock": sameclock.chart(sameclock.path(), sameclock.marks(), sameclock.bands()),
        "groups": aftermath.groups_chart(aftermath.group_paths(aftermath.paths()), window),
        "recovery": aftermath.recovery_chart(aftermath.recovery(aftermath.paths(), window), window),
    }


def _colour_uses(node, path=""):
    """(where, how) for every use of the fell/rose colours in a spec."""
    from deepshock.story.charts import NEGATIVE, POSITIVE
    signs = {NEGATIVE.lower(): "fell", POSITIVE.lower(): "rose"}
    if isinstance(node, dict):
        scale_range = node.get("range")
        if isinstance(scale_range, list) and "domain" in node:
            for colour, label in zip(scale_range, node["domain"]):
                if isinstance(colour, str) and colour.lower() in signs:
                    yield path, (signs[colour.lower()], str(label))
        if "condition" in node and isinstance(node["condition"], dict):
            cond = node["condition"]
            test = str(cond.get("test", ""))
            for value, truth in ((cond.get("value"), True), (node.get("value"), False)):
                if isinstance(value, str) and value.lower() in signs:
                    yield path, (signs[value.lower()], f"{test} is {truth}")
        for key, value in node.items():
            if key == "color" and isinstance(value, str) and value.lower() in signs:
                yield path, (signs[value.lower()], "a fixed mark colour")
            yield from _colour_uses(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _colour_uses(value, f"{path}/{i}")


def _means(sign: str, how: str) -> bool:
    if how.startswith(("fell", "rose")):
        return how == sign
    if " is " in how:  # a condition on the sign of a move
        test, truth = how.rsplit(" is ", 1)
        below = "< 0" in test
        return (sign == "fell") == (below == (truth == "True"))
    return sign == "fell" and how.endswith(("27 January 2025", "2025"))  # the shock day's bar


def test_orange_and_blue_only_mean_fell_and_rose(snapshot):
    bad = []
    for name, chart in _story_charts().items():
        for where, (sign, how) in _colour_uses(chart.to_dict()):
            if not _means(sign, how):
                bad.append(f"{name} {where}: {sign} colour used for {how!r}")
    assert not bad, "; ".join(bad[:10])


def test_the_colour_check_can_fail():
    from deepshock.story.charts import POSITIVE
    spec = {"encoding": {"color": {"scale": {"domain": ["Nvidia", "SOX"], "range": [POSITIVE, "#000"]}}}}
    uses = list(_colour_uses(spec))
    assert uses and not _means(*uses[0][1])


def test_chart_labels_round_like_the_prose(snapshot):
    """A bar label and the prose round the same return once, not twice: the SOX's 27 January
    fall (9.1455%) reads 9.1 on the landing chart as in the text, not 9.2 from a 9.15 stored."""
    from deepshock.data import load
    from deepshock.story.selloff import fall
    rows = drawn(selloff.headline_chart(selloff.first_sessions()), "ticker", "ret_pct")
    sox = rows.set_index("ticker").at["^SOX", "ret_pct"]
    exact = load.session_return("^SOX", "2025-01-27")["ret"]
    assert f"{-sox:.1f}%" == fall(exact)
