"""The event study's opening chart (`story.eventstudy.opening`): the three primary tests against
their ordinary days, and a title whose numbers are the chart's data as rounded."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from deepshock.story import charts
from deepshock.story import eventstudy as es
from deepshock.story.eventstudy import opening


@pytest.fixture(scope="module")
def drawn(snapshot):
    main = es.run()
    table = opening.primaries(main)
    data = opening.chart_data(table)
    return main, table, data, opening.chart(data, table).to_dict()


def test_rows_are_the_primary_tests_and_their_ordinary_days(drawn):
    main, table, data, _ = drawn
    assert list(zip(table["kind"], table["name"], table["window"])) == list(es.PRIMARY)
    nv = table.iloc[0]
    assert nv["car"] == pytest.approx(main.sec("NVDA", "[0]")["car"])
    assert nv["spans"] == main.results["NVDA"].fit.n          # every estimation day, once
    for _, row in table.iloc[1:].iterrows():                  # the basket the portfolio test tests
        g = main.grp(row["name"], row["window"])
        assert row["car"] == pytest.approx(g["port_car"]) and row["t"] == pytest.approx(g["port_t"])
    # Tokyo's two-session spans: every sum of two consecutive residuals of its basket
    jp = table.iloc[2]
    resid = opening.basket(main, jp["name"]).resid.to_numpy()
    assert len(jp["ordinary"]) == len(resid) - 1
    assert jp["ordinary"][5] == pytest.approx(resid[5] + resid[6])
    # the interval is the t interval around the abnormal return
    assert nv["lo"] < nv["car"] < nv["hi"]
    counts = data.groupby(["row", "kind"]).size()
    assert counts.xs("event", level="kind").eq(1).all()


def test_title_states_the_data_as_rounded_and_keeps_to_the_colours(drawn):
    _, table, data, spec = drawn
    title = " ".join(spec["title"]["text"])
    shown = float(re.search(r"fell (\d+\.\d)%", title).group(1))
    nv = data.loc[(data["kind"] == "event")].iloc[0]["ar_pct"]
    assert shown == round(abs(nv), 1)
    beyond = table["car"] < table["lowest"]
    assert ("further than on any ordinary day" in title) == bool(beyond.iloc[0])
    drawn_part = {k: v for k, v in spec.items() if k != "config"}   # the theme is not drawn
    colours = {c.upper() for c in re.findall(r'"(#[0-9A-Fa-f]{6})"', json.dumps(drawn_part))}
    grey = {c for c in colours if c[1:3] == c[3:5] == c[5:7]}
    assert colours - grey <= {charts.NEGATIVE, charts.POSITIVE}, colours - grey
    assert "\u2212" not in title and "-" not in re.sub(r"[A-Za-z]-[A-Za-z]", "", title)
    charts.check_chart(spec)
    assert np.isfinite(data["ar_pct"]).all()


def test_group_chart_title_equals_its_data_and_the_group_table(drawn):
    """The groups chart's day-0 number is the drawn path's step at day 0, and the group table's
    CAAR [0] to the same decimal (it once read −21.4% against the table's −21.5)."""
    from deepshock.story.eventstudy import tables as tb

    main = drawn[0]
    chart = tb.car_chart(tb.path_data(main)).to_dict()
    rows = max((pd.DataFrame(r) for r in chart["datasets"].values()), key=len)
    by = rows.set_index(["group", "tau"])["car_pct"]
    groups = list(dict.fromkeys(rows["group"]))
    day0 = pd.Series({g: by[(g, 0)] - by[(g, -1)] for g in groups})
    worst = day0.idxmin()
    m = re.match(r"(.+) fell furthest beyond the market on day 0 \((\d+\.\d)%\); (\d+) of (\d+)",
                 " ".join(chart["title"]["text"]))
    assert m and m.group(1) == worst and float(m.group(2)) == round(-day0[worst], 1)
    assert int(m.group(3)) == int((pd.Series({g: by[(g, 20)] for g in groups}) < 0).sum())
    table = tb.group_table(main)
    caar = table.loc[(table["Group"] == worst) & (table["Window"] == "[0]"), "CAAR (%)"].iat[0]
    assert caar.replace("\u2212", "-") == f"{-float(m.group(2)):+.1f}"
