"""The sell-off: every US security's move on 27 January, the SOX's fall ranked against its history,
and the headline securities' first sessions after the weekend (for the landing page)."""

from __future__ import annotations

from dataclasses import dataclass

import altair as alt
import pandas as pd

from ..data import event, facts, load
from ..methods import benchmarks
from .charts import MUTED, NEGATIVE, NEUTRAL, POSITIVE, finish, narrow_layout
from .page import Chapter, signed, stored

SHOCK = event.day0("XNYS")  # New York's day 0 of the book's event (data/shocks.csv)
SOURCE = "Yahoo Finance daily closes; exchange calendars"
VIX = "^VIX"
TRADED = {"equity", "adr", "etf"}
US_GROUPS = ["US semiconductors", "Foreign chip ADRs", "US chip equipment", "US AI infrastructure",
             "US platforms", "US power", "China ADR", "US indices"]
PAD = 0.18  # room beyond the longest bar for its value label


def _room(values: pd.Series) -> alt.Scale:
    """An x scale from zero that leaves space for the value labels at the bar ends."""
    lo, hi = min(float(values.min()), 0.0), max(float(values.max()), 0.0)
    span = hi - lo
    return alt.Scale(domain=[lo - PAD * span * (lo < 0), hi + PAD * span * (hi > 0)])


def _fitted(values: pd.Series, room: float = 0.12) -> dict:
    """The x scale on a phone: from zero to the data with a little room for the value labels
    at the bar ends (the page's script adds what the longest label needs), not niced, so that
    the bars keep their length."""
    lo, hi = min(float(values.min()), 0.0), max(float(values.max()), 0.0)
    span = hi - lo
    return {"domain": [round(lo - room * span * (lo < 0), 2), round(hi + room * span * (hi > 0), 2)],
            "nice": False}


HEADLINE = ["NVDA", "AVGO", "^SOX", "^IXIC", "^GSPC", "AAPL", "6857.T", "SU.PA", "^STOXX",
            "0700.HK", "000001.SS", "000660.KS", "2330.TW"]
# Short names for the narrow landing chart (the market is in the tooltip and the subtitle).
SHORT_NAMES = {"^SOX": "SOX (chip index)", "^IXIC": "Nasdaq", "SU.PA": "Schneider",
               "^STOXX": "STOXX 600", "000001.SS": "Shanghai", "6857.T": "Advantest",
               "000660.KS": "SK hynix", "2330.TW": "TSMC (Taipei)", "0700.HK": "Tencent"}
# Display names for groups whose universe name would mislead on the day (see `shown_groups`).
PLATFORMS = "US platforms"
# Short names for the bar labels (the full name is in the tooltip), so no label is cut on a phone.
SHORT_US = {"SMCI": "Super Micro", "CEG": "Constellation", "MRVL": "Marvell", "MU": "Micron",
            "ARM": "Arm (ADR)", "ASML": "ASML (ADR)", "AMD": "AMD", "DELL": "Dell",
            "GOOGL": "Alphabet", "META": "Meta", "BABA": "Alibaba (ADR)", "ANET": "Arista",
            "SMH": "Chip ETF (SMH)", "^SOX": "SOX chip index", "XLK": "Tech ETF (XLK)",
            "QQQ": "Nasdaq-100 ETF", "XLU": "Utilities ETF", "SPY": "S&P 500 ETF (SPY)",
            "^VIX": "VIX"}
# How the prose and the chart title name each group.
GROUP_WORDS = {"US semiconductors": "the US chip makers",
               "Foreign chip ADRs": "the foreign chip ADRs",
               "US chip equipment": "the chip-equipment makers",
               "US AI infrastructure": "the AI server and equipment makers",
               "US platforms": "the platforms", "US power": "the power companies",
               "China ADR": "Alibaba", "US indices": "the indices and funds"}


def us_moves(date: pd.Timestamp = SHOCK) -> pd.DataFrame:
    """Close-to-close moves on `date` of every security with market == "US" in the universe."""
    uni = facts.universe()
    uni = uni.loc[uni["market"] == "US", ["ticker", "name", "group", "kind"]]
    rets = load.returns(uni["ticker"].tolist())
    day = rets.loc[rets["date"] == pd.Timestamp(date)]
    missing = set(uni["ticker"]) - set(day["ticker"])
    if missing:
        raise ValueError(f"no session on {date:%Y-%m-%d} for {sorted(missing)}")
    out = uni.merge(day[["ticker", "prev_date", "prev_close", "close", "ret"]], on="ticker")
    out["ret_pct"] = (out["ret"] * 100).round(4)
    out["short"] = [SHORT_US.get(t, n) for t, n in zip(out["ticker"], out["name"])]
    return out.sort_values("ret").reset_index(drop=True)


def winners(moves: pd.DataFrame) -> pd.DataFrame:
    """Traded securities (not indices) that closed higher, best first."""
    up = moves.loc[moves["kind"].isin(TRADED) & (moves["ret"] > 0)]
    return up.sort_values("ret", ascending=False)


def group_means(moves: pd.DataFrame) -> pd.Series:
    """Mean move (a fraction, equal weights) of each group on the day, the VIX left out, in
    book order. The book's group statistic is the mean everywhere (STYLE.md)."""
    return moves.loc[moves["ticker"] != VIX].groupby("group")["ret"].mean().reindex(
        [g for g in US_GROUPS if g in set(moves["group"])])


def shown_groups(moves: pd.DataFrame) -> pd.Series:
    """Group names as the chart shows them: the platforms group says it holds Oracle, a cloud
    and database company, when Oracle fell and the platforms' other members did not all fall."""
    orcl = moves.loc[moves["ticker"] == "ORCL", "ret"]
    label = f"{PLATFORMS} (incl. Oracle)" if len(orcl) and float(orcl.iloc[0]) < 0 else PLATFORMS
    return moves["group"].replace({PLATFORMS: label})


def count(n: int) -> str:
    """House style: small counts in words (one to ten), larger in figures."""
    words = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
    return words[n] if 0 <= n <= 10 else f"{n:,}"


def fall(fraction: float, digits: int = 1) -> str:
    """A fall for prose that says 'fell': -0.0915 -> '9.2%'; refuses a rise or no change."""
    if not fraction < 0:
        raise ValueError(f"prose says 'fell' but the move is {fraction!r}")
    return f"{-fraction * 100:.{digits}f}%"


def ordinal(n: int) -> str:
    """1 -> '1st', 4 -> '4th', 22 -> '22nd'."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def cross_section_chart(moves: pd.DataFrame) -> alt.VConcatChart:
    """Sorted bars of the day's moves by group, with the VIX in its own panel and scale."""
    moves = moves.assign(group=shown_groups(moves))
    shown = set(moves["group"])
    order = [next((g for g in shown if g.startswith(u)), u) for u in US_GROUPS]
    stocks = moves.loc[moves["ticker"] != VIX, ["name", "short", "group", "ret_pct"]]
    vix = moves.loc[moves["ticker"] == VIX, ["name", "short", "group", "ret_pct"]]
    tooltip = [alt.Tooltip("name:N", title="Security"), alt.Tooltip("group:N", title="Group"),
               alt.Tooltip("ret_pct:Q", title="Change on day (%)", format="+.1f")]
    sign = alt.condition("datum.ret_pct < 0", alt.value(NEGATIVE), alt.value(POSITIVE))
    label = alt.Text("ret_pct:Q", format="+.1f")
    base = alt.Chart().encode(y=alt.Y("short:N", title=None, sort="x",
                                      axis=alt.Axis(labelLimit=170)), tooltip=tooltip)
    x = alt.X("ret_pct:Q", title=f"Close-to-close change on {SHOCK.day} {SHOCK:%B %Y} (%)",
              scale=_room(stocks["ret_pct"]))
    layer = alt.layer(
        base.mark_bar().encode(x=x, color=sign),
        base.mark_text(fontSize=10, dx=alt.expr("datum.ret_pct < 0 ? -3 : 3"),
                       align=alt.expr("datum.ret_pct < 0 ? 'right' : 'left'")).encode(
            x="ret_pct:Q", text=label),
    ).properties(width=430, height=alt.Step(15))
    panels = layer.facet(
        row=alt.Row("group:N", title=None, sort=order,
                    header=alt.Header(labelAngle=0, labelAlign="left", labelFontWeight="bold",
                                      labelOrient="top", labelAnchor="start")),
        data=stocks).resolve_scale(y="independent")
    vix_panel = alt.Chart(vix).mark_bar(color=NEUTRAL).encode(
        x=alt.X("ret_pct:Q", title="Change in the VIX volatility index (%): a different measure",
                scale=_room(vix["ret_pct"])),
        y=alt.Y("short:N", title=None, axis=alt.Axis(labelLimit=170)), tooltip=tooltip,
    ).properties(width=430, height=alt.Step(15))
    vix_text = vix_panel.mark_text(align="left", dx=3, fontSize=10).encode(text=label)
    down = int((stocks["ret_pct"] < 0).sum())
    means = moves.loc[moves["ticker"] != VIX].groupby("group")["ret_pct"].mean()
    worst = means.idxmin()
    return finish(
        narrow_layout(alt.vconcat(panels, alt.layer(vix_panel, vix_text)),
                      set={"vconcat/0/spec/layer/0/encoding/x/scale": _fitted(stocks["ret_pct"]),
                           "vconcat/1/layer/0/encoding/x/scale": _fitted(vix["ret_pct"])}),
        title=f"{down} of these {len(stocks)} AI-linked US securities fell on {SHOCK.day} "
              f"{SHOCK:%B}, {GROUP_WORDS.get(worst.split(' (')[0], worst)} most "
              f"({abs(means[worst]):.1f}% on average)",
        subtitle=["Sorted within each group; the VIX (bottom) measures expected volatility, "
                  "so its change is shown apart"],
        source=SOURCE,
        description=(f"Bar charts of close-to-close changes on {SHOCK.day} {SHOCK:%B %Y} by group. "
                     + "; ".join(f"{r.name} {r.ret_pct:+.1f}%" for r in moves.itertuples())
                     + "."),
    )


@dataclass(frozen=True)
class FallRank:
    ret: float
    first: pd.Timestamp
    last: pd.Timestamp
    rank_then: int
    sessions_then: int
    larger_before: pd.Series
    deepest_since: pd.Timestamp
    worst_between: pd.Timestamp
    worst_between_ret: float
    larger_after: pd.Series
    rank_all: int
    sessions_all: int
    date: pd.Timestamp = SHOCK


def fall_rank(ticker: str = "^SOX", date: pd.Timestamp = SHOCK) -> FallRank:
    """Rank a day's fall among all the series' daily returns: as of that day and in the full data.

    `deepest_since` is the last earlier day with a larger fall; `worst_between` the worst day
    strictly between that day and `date`; `larger_after` the later days that fell further.
    """
    rets = load.returns(ticker).set_index("date")["ret"]
    date = pd.Timestamp(date)
    ret = float(rets.loc[date])
    then = rets.loc[:date]
    before = then.loc[then < ret]
    if before.empty:
        raise ValueError(f"{ticker} {date:%Y-%m-%d}: no larger fall before it in the data")
    since = before.index.max()
    between = rets.loc[(rets.index > since) & (rets.index < date)]
    return FallRank(
        ret=ret, first=rets.index.min(), last=rets.index.max(),
        rank_then=int((then < ret).sum()) + 1, sessions_then=len(then),
        larger_before=before, deepest_since=since, worst_between=between.idxmin(),
        worst_between_ret=float(between.min()),
        larger_after=rets.loc[(rets.index > date) & (rets < ret)],
        rank_all=int((rets < ret).sum()) + 1, sessions_all=len(rets), date=pd.Timestamp(date),
    )


def worst_days(ticker: str = "^SOX", date: pd.Timestamp = SHOCK, n: int = 12) -> pd.DataFrame:
    """The `n` largest one-day falls of the series, marked before / on / after `date`."""
    rets = load.returns(ticker).nsmallest(n, "ret")
    when = pd.Series("Earlier", index=rets.index).mask(rets["date"] > date, "Later")
    when = when.mask(rets["date"] == date, f"{date.day} {date:%B %Y}")
    days = [f"{d.day} {d:%b %Y}" for d in rets["date"]]
    return pd.DataFrame({"date": rets["date"], "day": days,
                         "ret_pct": (rets["ret"] * 100).round(4), "when": when}
                        ).reset_index(drop=True)


def worst_days_chart(table: pd.DataFrame, rank: FallRank, name: str) -> alt.LayerChart:
    """Bars of the worst days, the shock day highlighted, later days in a third colour."""
    shock_label = table.loc[table["when"].str[0].str.isdigit(), "when"].iloc[0]
    domain = ["Earlier", shock_label, "Later"]
    tooltip = [alt.Tooltip("date:T", title="Date", format="%a %d %b %Y"),
               alt.Tooltip("ret_pct:Q", title="Change on day (%)", format="+.1f"),
               alt.Tooltip("when:N", title="When")]
    base = alt.Chart(table).encode(
        y=alt.Y("day:N", title=None, sort=table.sort_values("ret_pct")["day"].tolist()),
        tooltip=tooltip)
    bars = base.mark_bar(stroke="#333333", strokeWidth=0.5).encode(
        x=alt.X("ret_pct:Q", title="Close-to-close change (%)", scale=_room(table["ret_pct"])),
        color=alt.Color("when:N", title=None, sort=domain,
                        scale=alt.Scale(domain=domain, range=[MUTED, NEGATIVE, NEUTRAL])))
    text = base.mark_text(align="right", dx=-3, fontSize=10).encode(
        x="ret_pct:Q", text=alt.Text("ret_pct:Q", format="+.1f"))
    chart = alt.layer(bars, text).properties(width=480, height=alt.Step(18))
    shock = table.loc[table["when"] == shock_label, "ret_pct"].iloc[0]
    return finish(
        narrow_layout(chart, set={"layer/0/encoding/x/scale": _fitted(table["ret_pct"])}),
        title=(f"The {name}'s {abs(shock):.1f}% fall on {rank.date.day} {rank.date:%B} was its "
               f"deepest since {rank.deepest_since.day} {rank.deepest_since:%B %Y}"),
        subtitle=[f"The {len(table)} largest one-day falls, {rank.first:%B %Y} to "
                  f"{rank.last:%B %Y}"],
        source=SOURCE,
        description=(f"Bar chart of the {name}'s {len(table)} worst days: "
                     + "; ".join(f"{r.day} {r.ret_pct:+.1f}% ({r.when[:1].lower() + r.when[1:]})"
                                 for r in table.itertuples()) + "."),
    )


def first_sessions(tickers: list[str] = HEADLINE, date: pd.Timestamp = SHOCK) -> pd.DataFrame:
    """Each security's first session on or after `date` (markets closed that day reopen later)."""
    rets = load.returns(tickers)
    first = rets.loc[rets["date"] >= pd.Timestamp(date)].sort_values("date").groupby(
        "ticker", sort=False).head(1)
    uni = facts.universe().set_index("ticker")
    first = first.assign(name=first["ticker"].map(uni["name"]),
                         market=first["ticker"].map(uni["market"]))
    first["label"] = [f"{SHORT_NAMES.get(t, n)} ({d:%a %d %b})" for t, n, d in
                      zip(first["ticker"], first["name"], first["date"])]
    first["ret_pct"] = (first["ret"] * 100).round(4)
    return first[["ticker", "name", "label", "market", "date", "prev_date", "ret_pct"]].sort_values(
        "ret_pct").reset_index(drop=True)


def headline_chart(table: pd.DataFrame, date: pd.Timestamp = SHOCK) -> alt.LayerChart:
    """Sorted bars of the headline securities' first post-weekend sessions."""
    late = table.loc[table["date"] > date]
    tooltip = [alt.Tooltip("name:N", title="Security"), alt.Tooltip("market:N", title="Market"),
               alt.Tooltip("prev_date:T", title="Previous session", format="%d %b %Y"),
               alt.Tooltip("date:T", title="Session", format="%d %b %Y"),
               alt.Tooltip("ret_pct:Q", title="Change (%)", format="+.1f")]
    base = alt.Chart(table).encode(
        y=alt.Y("label:N", title=None, sort="x", axis=alt.Axis(labelLimit=260)), tooltip=tooltip)
    bars = base.mark_bar().encode(
        x=alt.X("ret_pct:Q", title=f"Change in the first session from {date.day} {date:%B %Y} (%)",
                scale=_room(table["ret_pct"])),
        color=alt.condition("datum.ret_pct < 0", alt.value(NEGATIVE), alt.value(POSITIVE)))
    text = base.mark_text(fontSize=10, dx=alt.expr("datum.ret_pct < 0 ? -3 : 3"),
                          align=alt.expr("datum.ret_pct < 0 ? 'right' : 'left'")).encode(
        x="ret_pct:Q", text=alt.Text("ret_pct:Q", format="+.1f"))
    worst = table.iloc[0]
    falls = int((table["ret_pct"] < 0).sum())
    rose = table.loc[table["ret_pct"] > 0, "name"].tolist()
    title = (f"{falls} of {len(table)} headline securities fell in their first session"
             + (f"; {' and '.join(rose)} rose" if 0 < len(rose) <= 2 else ""))
    reopened = (f"First session: each market's first on or after {date:%A} {date.day} {date:%B}; Seoul and "
                "Taipei " + ("fell when they reopened after Lunar New Year"
                             if len(late) and (late["ret_pct"] < 0).all()
                             else "reopened later, after Lunar New Year"))
    return finish(
        alt.layer(bars, text).properties(width=300, height=alt.Step(20)),
        title=title,
        subtitle=[f"Biggest fall: {worst['label']} {worst['ret_pct']:+.1f}%", reopened],
        source=SOURCE,
        description=("Bar chart of close-to-close changes in each security's first session on or "
                     f"after {date.day} {date:%B %Y}: " + "; ".join(
                         f"{r.label} {r.ret_pct:+.1f}%" for r in table.itertuples()) + "."),
    )


def sector_breadth(date: pd.Timestamp = SHOCK) -> pd.DataFrame:
    """`methods.benchmarks.breadth` of the S&P 500 panel on `date`, by sector (members with no
    sector on file are labelled "Not classified"), the whole index last."""
    wide, members = load.panel_returns(), load.panel_members()
    sp = members.loc[members["kind"] == "sp500"].set_index("ticker")["sector"]
    sp = sp.fillna("").replace("", "Not classified")
    table = benchmarks.breadth(wide.loc[pd.Timestamp(date), sp.index.intersection(wide.columns)], sp)
    return table


def breadth_markdown(table: pd.DataFrame) -> str:
    """The sector breadth as a Markdown table, sectors by their equal-weighted move (two
    decimals, as the prose gives the average member's: one would show +0.0%)."""
    body = table.drop(index=benchmarks.ALL).sort_values("ew_ret")
    lines = ["| Sector | Members | Rose | Fell | Average move |", "|---|---:|---:|---:|---:|"]
    for name, r in [*body.iterrows(), ("All S&P 500 members", table.loc[benchmarks.ALL])]:
        lines.append(f"| {name} | {int(r['members'])} | {int(r['rose'])} | {int(r['fell'])} | "
                     f"{signed(r['ew_ret'], 2)} |")
    return "\n".join(lines)


# -- the chapter in one call ----------------------------------------------------------------

def average_member(ew_ret: float) -> str:
    """The average S&P 500 member's move for prose, the one statement of it in the book: to
    two decimals, since one would read 0.0% and hide its direction ('rose 0.03%')."""
    return ("rose " if ew_ret > 0 else "fell ") + f"{abs(ew_ret) * 100:.2f}%"


def _staples(row: pd.Series) -> str:
    n, up = int(row["members"]), int(row["rose"])
    what = "consumer-staples companies (food, drink, household goods) rose"
    return f"all {n} {what}" if up == n else f"{up} of the {n} {what}"


def _moved(fraction: float) -> str:
    return ("rose " if fraction > 0 else "fell ") + f"{abs(fraction) * 100:.1f}%"


@stored
def chapter(date: pd.Timestamp = SHOCK) -> Chapter:
    """The US sell-off chapter: its prose numbers (glue name -> text) and its two figures."""
    moves = us_moves(date)
    ranked = moves.loc[moves["ticker"] != VIX]
    worst, up, means = ranked.iloc[0], winners(moves), group_means(moves)
    by = moves.set_index("ticker")
    vix = by.loc[VIX]
    platforms = moves.loc[moves["group"] == PLATFORMS].sort_values("ret")
    sectors = sector_breadth(date)
    wide, tech = sectors.loc[benchmarks.ALL], sectors.loc["Technology"]
    rank, worst_days_table = fall_rank("^SOX", date), worst_days("^SOX", date)
    records = set(facts.records().loc[facts.records()["ticker"] == "NVDA", "date"])
    listed = lambda rows: ", ".join(f"{r.name} ({signed(r.ret)})" for r in rows.itertuples())  # noqa: E731
    dated = lambda items: ", ".join(f"{_day(d)} ({signed(r)})" for d, r in items)  # noqa: E731
    text = {
        "so_n": str(len(ranked)), "so_down": str(int((ranked["ret"] < 0).sum())),
        "so_worst": f"{worst['name']}, which fell {fall(worst['ret'])}",
        "so_mean_semis": fall(means["US semiconductors"]), "so_mean_power": fall(means["US power"]),
        "so_mean_adrs": fall(means["Foreign chip ADRs"]),
        "so_mean_infra": fall(means["US AI infrastructure"]),
        "so_mean_platforms": _moved(means[PLATFORMS]), "so_mean_indices": fall(means["US indices"]),
        "so_n_platforms": count(len(platforms)), "so_platforms": listed(platforms),
        "so_orcl": fall(by.at["ORCL", "ret"]),
        "so_mean_platforms_ex": _moved(platforms.loc[platforms["ticker"] != "ORCL", "ret"].mean()),
        "so_winners": listed(up), "so_n_winners": count(len(up)),
        "so_spx": fall(by.at["^GSPC", "ret"]), "so_ndx": fall(by.at["^IXIC", "ret"]),
        "so_vix_prev": f"{vix['prev_close']:,.1f}", "so_vix_close": f"{vix['close']:,.1f}",
        "so_vix_ret": f"{vix['ret'] * 100:.1f}%",
        "so_vix_points": f"{vix['close'] - vix['prev_close']:.1f}",
        "so_sp_fell": f"{int(wide['fell']):,}", "so_sp_rose": f"{int(wide['rose']):,}",
        "so_sp_n": f"{int(wide['members']):,}", "so_sp_ew": average_member(float(wide["ew_ret"])),
        "so_tech_fell": f"{int(tech['fell']):,}", "so_tech_n": f"{int(tech['members']):,}",
        "so_staples": _staples(sectors.loc["Consumer Defensive"]),
        "so_breadth_table": breadth_markdown(sectors),
        "so_sox_fall": fall(rank.ret), "so_sox_first": _day(rank.first),
        "so_sox_last": _day(rank.last), "so_sox_rank_then": ordinal(rank.rank_then),
        "so_sox_sessions_then": f"{rank.sessions_then:,}",
        "so_sox_larger": dated(rank.larger_before.items()),
        "so_sox_n_larger": count(len(rank.larger_before)), "so_sox_since": _day(rank.deepest_since),
        "so_sox_between": dated([(rank.worst_between, rank.worst_between_ret)]) + (
            ", the day of Nvidia's previous record loss of market value"
            if rank.worst_between in records else ""),
        "so_sox_later": dated(rank.larger_after.items()),
        "so_sox_rank_all": ordinal(rank.rank_all), "so_sox_sessions_all": f"{rank.sessions_all:,}",
    }
    return Chapter(text=text, figures={
        "fig-selloff-us": (cross_section_chart(moves),
                           moves[["ticker", "name", "short", "group", "ret_pct"]]),
        "fig-selloff-sox-worst": (worst_days_chart(worst_days_table, rank, "SOX"),
                                  worst_days_table[["date", "day", "ret_pct", "when"]])})


def _day(date: pd.Timestamp) -> str:
    return f"{date.day} {date:%B %Y}"
