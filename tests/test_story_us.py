"""The story chapters (landing page, launch, Nvidia, US sell-off): each executes (in the session's
one strict build, whose glue is read here), and its glued figures match values computed here
independently from the raw snapshot CSVs with plain pandas."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from deepshock.story import launch, nvidia
from deepshock.data.paths import ROOT, figdata_dir
from deepshock.data.validate import DataError
from tests.conftest import SNAPSHOT, built_glue, raw_close
from tests.test_browser import site  # noqa: F401  (the session's one build of the book)

PAGES = {"intro": ROOT / "intro.md", "launch": ROOT / "chapters" / "launch.md",
         "nvidia": ROOT / "chapters" / "nvidia.md", "selloff": ROOT / "chapters" / "selloff.md"}
BUILT = {"intro": "intro", "launch": "chapters/launch", "nvidia": "chapters/nvidia",
         "selloff": "chapters/selloff"}   # each page's name in the build
SHOCK, PRE = pd.Timestamp("2025-01-27"), pd.Timestamp("2025-01-24")


@pytest.fixture(scope="module")
def glued(snapshot, site):  # noqa: F811
    """Each page's glue, as the session's build executed it."""
    return {name: built_glue(site, page) for name, page in BUILT.items()}


def md(glue: dict, key: str) -> str:
    return glue[key]["text/markdown"]


def pct(fraction: float) -> str:
    return f"{fraction * 100:+.1f}%"


def minus(text: str) -> str:
    """House style: the minus sign in text is U+2212."""
    return text.replace("-", "\u2212")


def down(fraction: float) -> str:
    assert fraction < 0
    return f"{-fraction * 100:.1f}%"


def long_day(date: pd.Timestamp) -> str:
    return f"{date.day} {date:%B %Y}"


def move(file: str, date: str, prev: str) -> float:
    close = raw_close(file)
    return close[date] / close[prev] - 1


def bars(file: str) -> pd.DataFrame:
    return pd.read_csv(SNAPSHOT / "prices" / file, parse_dates=["date"]).set_index("date")


def shares(ticker: str, day: str | pd.Timestamp = "2025-01-27") -> float:
    """The last count of `ticker` dated to a day at or before `day` (plain pandas)."""
    table = pd.read_csv(ROOT / "data" / "shares.csv", parse_dates=["as_of"])
    rows = table.loc[(table["ticker"] == ticker) & (table["as_of_precision"] == "day")
                     & (table["as_of"] <= pd.Timestamp(day))]
    return float(rows.sort_values("as_of")["shares"].iloc[-1])


def spec(bundle: dict) -> dict:
    """The Vega-Lite spec embedded in a glued chart's HTML."""
    found = re.search(r"var spec=(\{.*?\});function draw", bundle["text/html"], re.S)
    return json.loads(found.group(1))


# --- every page: at least one glued chart, each with a caption in the page -----------------

@pytest.mark.parametrize("name", PAGES)
def test_every_page_glues_a_captioned_chart(glued, name):
    charts = [k for k, b in glued[name].items() if "vegaEmbed" in b.get("text/html", "")]
    assert charts, f"{name} glues no chart"
    text = PAGES[name].read_text(encoding="utf-8")
    for key in charts:
        block = re.search(r"```\{glue:figure\} " + re.escape(key) + r"\n:name: " + re.escape(key)
                          + r"\n\n(.+?)```", text, re.S)
        assert block, f"{name}: chart {key} has no glue:figure block"
        caption = block.group(1).strip()
        assert len(caption) > 40 and f"/_build/figdata/{key}.csv" in caption


# --- landing page --------------------------------------------------------------------------

def test_intro_headline_figures(glued):
    g = glued["intro"]
    close = raw_close("NVDA.csv")
    assert md(g, "in_nv_fall") == down(close[SHOCK] / close[PRE] - 1) == "17.0%"
    lost = shares("NVDA") * (close[PRE] - close[SHOCK])
    assert md(g, "in_nv_lost") == f"${lost / 1e9:,.1f}bn"
    assert md(g, "in_nv_lost") == "$592.7bn"
    assert md(g, "in_sox_fall") == down(move("INDEX_SOX.csv", "2025-01-27", "2025-01-24"))


def test_intro_advantest_two_sessions(glued):
    g = glued["intro"]
    adv = raw_close("6857.T.csv")
    day1, day2 = adv[SHOCK] / adv[PRE] - 1, adv["2025-01-28"] / adv[SHOCK] - 1
    assert md(g, "in_adv_fall1") == down(day1) == "8.6%"
    assert md(g, "in_adv_fall2") == down(day2) == "11.1%"
    assert md(g, "in_adv_two") == down(adv["2025-01-28"] / adv[PRE] - 1)
    assert md(g, "in_adv_day2") == "Tuesday 28 January 2025"


def test_intro_closed_markets_shown_at_their_first_session(glued):
    g = glued["intro"]
    for key, file in [("in_hynix", "000660.KS.csv"), ("in_tsmc", "2330.TW.csv")]:
        close = raw_close(file)
        first = close.index[close.index >= SHOCK][0]
        prev = close.index[close.index < SHOCK][-1]
        assert first > SHOCK  # closed on the shock day: no 0% bar, a later session instead
        assert md(g, key) == down(close[first] / close[prev] - 1)
        assert md(g, key + "_day") == f"{first:%A} {long_day(first)}"
    tsm = raw_close("TSM.csv")
    assert md(g, "in_tsm_adr") == down(tsm[SHOCK] / tsm[PRE] - 1)


def test_intro_breadth_counts_the_sp500_panel(glued):
    g = glued["intro"]
    closes = pd.read_csv(SNAPSHOT / "panel" / "closes.csv", parse_dates=["date"]).set_index("date")
    members = pd.read_csv(SNAPSHOT / "panel" / "members.csv")
    sp = members.loc[members["kind"] == "sp500", "ticker"]
    day = closes.loc[SHOCK, sp] / closes.loc[PRE, sp] - 1
    assert md(g, "in_sp_fell") == f"{int((day < 0).sum()):,}"
    assert md(g, "in_sp_rose") == f"{int((day > 0).sum()):,}"
    assert md(g, "in_sp_n") == f"{len(sp):,}"


def test_intro_dollar_loss_is_the_market_value_chapter_figure(glued):
    from deepshock.story import marketvalue
    table = marketvalue.losses()
    row = table.loc[(table["ticker"] == "NVDA") & (table["date"] == SHOCK)].iloc[0]
    assert md(glued["intro"], "in_nv_lost") == f"${row['loss_usd'] / 1e9:,.1f}bn"
    assert md(glued["nvidia"], "nv_lost") == md(glued["intro"], "in_nv_lost")


# --- launch ---------------------------------------------------------------------------------

def test_launch_cost_is_computed_from_the_data_file(glued):
    g = glued["launch"]
    inputs = pd.read_csv(ROOT / "data" / "launch_costs.csv").set_index("quantity")["value"]
    cost = inputs["gpu_hours"] * inputs["price_per_gpu_hour"]
    assert md(g, "la_cost") == f"${cost / 1e6:.3f}M" == "$5.576M"
    assert md(g, "la_hours") == "2.788 million"


def test_launch_cost_check_rejects_inconsistent_inputs(book):
    text = (ROOT / "data" / "launch_costs.csv").read_text().replace("\ngpu_hours,2788000,",
                                                                    "\ngpu_hours,2888000,")
    (book / "launch_costs.csv").write_text(text)
    with pytest.raises(DataError, match="not the reported"):
        launch.training_cost()


def test_launch_dates_and_moves_before_the_shock(glued):
    g = glued["launch"]
    events = pd.read_csv(ROOT / "data" / "events.csv", parse_dates=["date"]).set_index("label")
    assert events.at["App launch", "certainty"] == md(g, "la_app_certainty") == "uncertain"
    gap = (events.at["App launch", "date"] - events.at["V3 weights", "date"]).days
    assert md(g, "la_gap") == f"{gap} days"
    for key, file in [("la_nv_v3", "NVDA.csv"), ("la_sox_v3", "INDEX_SOX.csv")]:
        close = raw_close(file)
        base = close.index[close.index < events.at["V3 weights", "date"]][-1]
        assert base == pd.Timestamp("2024-12-24")
        change = close[PRE] / close[base] - 1
        assert md(g, key) == f"{abs(change) * 100:.1f}% " + ("above" if change >= 0 else "below")
    nvda = raw_close("NVDA.csv")
    after_r1 = nvda.index[nvda.index >= events.at["R1 release", "date"]][0]
    assert md(g, "la_r1_first").startswith(f"{after_r1:%A} {long_day(after_r1)}")
    assert md(g, "la_sox_fall") == down(move("INDEX_SOX.csv", "2025-01-27", "2025-01-24"))


# --- Nvidia ---------------------------------------------------------------------------------

def test_nvidia_volume_against_its_usual_level(glued):
    g = glued["nvidia"]
    volume = bars("NVDA.csv")["volume"]
    before = volume.loc[volume.index < SHOCK].iloc[-60:]
    ratio = volume[SHOCK] / before.median()
    assert md(g, "nv_vol_ratio") == f"{ratio:.1f}"
    assert ratio > 3
    assert md(g, "nv_vol") == f"{volume[SHOCK] / 1e6:,.1f} million"
    assert md(g, "nv_vol_from") == long_day(before.index[0])


def test_nvidia_earlier_record_computed_the_same_way(glued):
    g = glued["nvidia"]
    close = raw_close("NVDA.csv")
    prev = close.index[close.index < "2024-09-03"][-1]
    earlier = shares("NVDA", "2024-09-03") * (close[prev] - close["2024-09-03"])
    now = shares("NVDA") * (close[PRE] - close[SHOCK])
    assert md(g, "nv_top_label") == "Nvidia, 3 Sep 2024"
    assert md(g, "nv_top_loss") == f"${earlier / 1e9:,.1f}bn"
    assert md(g, "nv_times") == f"{now / earlier:.1f}"
    assert abs(earlier / 1e9 - 279) < 5  # the press figure in data/records.csv


def test_nvidia_records_chart_draws_the_top_company_days(glued):
    table = pd.read_csv(figdata_dir() / "fig-nvda-records.csv", parse_dates=["date"])
    assert table.iloc[0]["ticker"] == "NVDA" and table.iloc[0]["date"] == SHOCK
    assert list(table["rank_usd"]) == sorted(table["rank_usd"])
    assert set(table.loc[table["day"] == "27 January 2025", "date"]) == {SHOCK}
    # every press figure drawn is one of data/*.csv's, on its own day
    press = pd.concat([pd.read_csv(ROOT / "data" / f, parse_dates=["date"])
                       for f in ("records.csv", "later_losses.csv")])
    drawn = table.dropna(subset=["press_bn"])
    assert len(drawn) >= 3
    for r in drawn.itertuples():
        assert r.press_bn in set(press.loc[(press["ticker"] == r.ticker)
                                           & (press["date"] == r.date), "loss_usd_bn"])
    assert "Meta, 3 February 2022" in md(glued["nvidia"], "nv_unchecked")


# --- the US sell-off -----------------------------------------------------------------------

def _us_moves() -> pd.DataFrame:
    uni = pd.read_csv(ROOT / "data" / "universe.csv")
    uni = uni.loc[uni["market"] == "US"]
    rets = []
    for ticker in uni["ticker"]:
        close = raw_close(ticker.replace("^", "INDEX_") + ".csv")
        rets.append(close[SHOCK] / close[PRE] - 1)
    return uni.assign(ret=rets)


def test_selloff_winners_and_vix(glued):
    g = glued["selloff"]
    moves = _us_moves()
    up = moves.loc[moves["kind"].isin(["equity", "adr", "etf"]) & (moves["ret"] > 0)]
    assert set(up["ticker"]) == {"AAPL", "META", "AMZN", "BABA"}
    named = set(re.findall(r"([A-Z][\w ]+?(?: \(ADR\))?) \([+-]", md(g, "so_winners")))
    assert named == set(up["name"])
    assert md(g, "so_n_winners") == ["no", "one", "two", "three", "four", "five"][len(up)]
    vix = moves.set_index("ticker").at["^VIX", "ret"]
    assert md(g, "so_vix_ret") == pct(vix).lstrip("+")
    others = moves.loc[moves["ticker"] != "^VIX"]
    assert md(g, "so_down") == str(int((others["ret"] < 0).sum()))


def test_selloff_chart_keeps_the_vix_apart(glued):
    chart = spec(glued["selloff"]["fig-selloff-us"])
    assert len(chart["vconcat"]) == 2
    main = chart["vconcat"][0]
    rows = chart["datasets"][main["data"]["name"]]
    assert "Cboe Volatility index (VIX)" not in {r["name"] for r in rows}
    assert len(rows) == len(_us_moves()) - 1


def ordinal(n: int) -> str:
    return f"{n}" + ("th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th"))


def test_sox_fall_ranked_against_its_history(glued):
    g = glued["selloff"]
    ret = raw_close("INDEX_SOX.csv").pct_change().dropna()
    shock = ret[SHOCK]
    assert md(g, "so_sox_fall") == down(shock)
    then = ret.loc[:SHOCK]
    larger = then[then < shock]
    assert list(larger.index) == list(pd.to_datetime(["2020-03-12", "2020-03-16", "2020-03-18"]))
    assert md(g, "so_sox_rank_then") == ordinal(len(larger) + 1)
    assert md(g, "so_sox_since") == long_day(larger.index.max()) == "18 March 2020"
    assert md(g, "so_sox_larger") == ", ".join(
        f"{long_day(d)} ({minus(pct(r))})" for d, r in larger.items())
    later = ret.loc[(ret.index > SHOCK) & (ret < shock)]
    assert list(later.index) == [pd.Timestamp("2025-04-03")]
    assert md(g, "so_sox_later") == f"{long_day(later.index[0])} ({minus(pct(later.iloc[0]))})"
    assert md(g, "so_sox_rank_all") == ordinal(int((ret < shock).sum()) + 1)
    between = ret.loc[(ret.index > larger.index.max()) & (ret.index < SHOCK)]
    assert md(g, "so_sox_between").startswith(long_day(between.idxmin()))


def test_selloff_group_figures_are_means(glued):
    g = glued["selloff"]
    moves = _us_moves()
    semis = moves.loc[moves["group"] == "US semiconductors", "ret"]
    assert md(g, "so_mean_semis") == down(semis.mean())
    assert semis.mean() != pytest.approx(semis.median(), abs=5e-4)  # the two would differ
    platforms = moves.loc[moves["group"] == "US platforms"]
    assert md(g, "so_mean_platforms") == f"fell {down(platforms['ret'].mean())}"
    ex = platforms.loc[platforms["ticker"] != "ORCL", "ret"].mean()
    assert md(g, "so_mean_platforms_ex") == f"fell {down(ex)}"


def test_selloff_chart_says_the_platforms_hold_oracle(glued):
    chart = spec(glued["selloff"]["fig-selloff-us"])
    rows = chart["datasets"][chart["vconcat"][0]["data"]["name"]]
    groups = {r["group"] for r in rows}
    assert "US platforms (incl. Oracle)" in groups and "US platforms" not in groups


def test_launch_why_comes_from_the_background_file(glued):
    g = glued["launch"]
    facts = pd.read_csv(ROOT / "data" / "background.csv")
    h800 = facts.loc[facts["fact"].str.startswith("DeepSeek-V3 was trained"), "value"].iloc[0]
    assert md(g, "la_h800s") == f"{float(h800):,.0f}" == "2,048"
    plans = pd.read_csv(ROOT / "data" / "capex.csv", parse_dates=["stated"])
    first = plans.sort_values("stated", kind="stable").groupby("ticker").head(1).set_index("ticker")
    assert md(g, "la_msft") == f"about ${first.at['MSFT', 'low_usd_bn']:.0f}bn" == "about $80bn"
    # Amazon gave a quarter, not a year: the rate it implies, as the closing chapter states it
    assert md(g, "la_amzn") == f"${first.at['AMZN', 'low_usd_bn']:.1f}bn" == "$105.2bn"
    from deepshock.story.meaning import spending
    assert md(g, "la_amzn") == spending.bn(first.at["AMZN", "low_usd_bn"])
    assert "“a wake-up call for our industries”" in md(g, "la_reactions")
    assert "Masaaki Taira" in md(g, "la_reactions") and "00:40 UTC" in md(g, "la_reactions")


def test_launch_faces_the_stargate_rally_and_fridays_fall(glued):
    g = glued["launch"]
    close = raw_close("NVDA.csv")
    assert md(g, "la_nv_stargate") == pct(close["2025-01-22"] / close["2025-01-17"] - 1).lstrip("+")
    assert md(g, "la_nv_friday") == down(close[PRE] / close["2025-01-23"] - 1) == "3.1%"


def test_average_sp500_member_stated_once(glued):
    """The average S&P 500 member on 27 January, from the raw panel: the sell-off's statement
    and its table's last row carry the same value (two decimals: one would read 0.0%)."""
    closes = pd.read_csv(SNAPSHOT / "panel" / "closes.csv", parse_dates=["date"]).set_index("date")
    members = pd.read_csv(SNAPSHOT / "panel" / "members.csv")
    sp = members.loc[members["kind"] == "sp500", "ticker"]
    mean = (closes.loc[SHOCK, sp] / closes.loc[PRE, sp] - 1).mean()
    g = glued["selloff"]
    assert md(g, "so_sp_ew") == ("rose " if mean > 0 else "fell ") + f"{abs(mean) * 100:.2f}%"
    assert md(g, "so_sp_ew") == "rose 0.03%"
    last = md(g, "so_breadth_table").splitlines()[-1]
    assert last.startswith("| All S&P 500 members |") and last.endswith(f"| {mean * 100:+.2f}% |")
