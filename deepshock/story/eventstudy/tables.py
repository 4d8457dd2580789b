"""The event-study chapter's tables and chart: securities, groups, multiplicity, confounders,
placebo sizes, breadth, benchmarks that hold the stock and the
old-versus-new comparison.

Stars: a test's significance stars are shown only when its placebo rejection rate at 5%
(all placebo groups and windows pooled, `placebo.rates`) is at most `STAR_RULE`
times the nominal 5%; otherwise its statistic is shown without stars (`starred`)."""

from __future__ import annotations

import re
from functools import cache

import altair as alt
import numpy as np
import pandas as pd

from ...data import context, facts
from ...methods import multiple
from . import news
from . import study as es
from ..charts import MUTED, NEGATIVE, NEUTRAL, POSITIVE, finish, narrow_layout
from .study import PATH, PRIMARY, WINDOWS, Study, cell, stars

HOLM, CONFOUNDED = "†", "§"
_MINUS = re.compile(r"-(?=\d)")
GROUP_TESTS = {"portfolio": ("port_t", "port_p"), "Kolari-Pynnönen": ("kp", "kp_p")}
STAR_RULE = 1.5   # stars only for tests rejecting at most 1.5 x 5% of placebo samples at 5%
ALL_STARRED = frozenset({"single t", "portfolio", "Kolari-Pynnönen", "BMP", "GRANK", "Corrado",
                         "sign"})


# --- multiple testing ---------------------------------------------------------------------

def tests(study: Study) -> pd.DataFrame:
    """Every headline-type test of the study, one row each: kind, name, window, test, stat,
    p, primary (the three primary hypotheses, `PRIMARY`: five tests, since each group is
    tested with the portfolio and the Kolari-Pynnönen test)."""
    rows = [("security", r["ticker"], r["window"], "t", r["t"], r["p"])
            for _, r in study.securities.iterrows()]
    for _, g in study.groups.iterrows():
        rows += [("group", g["group"], g["window"], test, g[s], g[p])
                 for test, (s, p) in GROUP_TESTS.items()]
    table = pd.DataFrame(rows, columns=["kind", "name", "window", "test", "stat", "p"])
    prim = {(k, n, w) for k, n, w in PRIMARY}
    table["primary"] = [(k, n, w) in prim for k, n, w in
                        zip(table["kind"], table["name"], table["window"])]
    return table


def adjusted(study: Study, method: str = "holm") -> pd.DataFrame:
    """`tests` with `multiple.adjust`: the five primary tests adjusted as one family (they were
    named after the first edition had published its results), the rest as another."""
    if study.complete:
        return _adjusted(study.spec, method)
    return multiple.adjust(tests(study), method=method, primaries="family")


@cache
def _adjusted(spec: es.Spec, method: str) -> pd.DataFrame:
    return multiple.adjust(tests(es.run(spec)), method=method, primaries="family")


def _marks(adj: pd.DataFrame) -> dict[tuple[str, str, str, str], str]:
    """(kind, name, window, test) -> " (P)" for a primary test, then † when its stars survive
    Holm's correction within its family."""
    return {tuple(key): (" (P)" if primary else "") + (HOLM if survives else "")
            for *key, primary, survives in zip(adj["kind"], adj["name"], adj["window"],
                                                adj["test"], adj["primary"], adj["survives"])}


def _mark(marks: dict, kind: str, name: str, window: str, test: str) -> str:
    return marks[(kind, name, window, test)]


def primary_table(study: Study) -> pd.DataFrame:
    """The primary tests: hypothesis, window, test, statistic, p and Holm's p over the five."""
    adj = adjusted(study).loc[lambda a: a["primary"]]
    return pd.DataFrame({
        "Hypothesis": [facts.name(n) if k == "security" else n
                       for k, n in zip(adj["kind"], adj["name"])],
        "Window": adj["window"], "Test": adj["test"].replace({"t": "single-security t"}),
        "t": [f"{v:+.2f}" for v in adj["stat"]],
        "p": [_p(v) for v in adj["p"]],
        f"Holm p ({len(adj)} tests)": [_p(v) for v in adj["p_adj"]]})


def _p(value: float) -> str:
    return f"{value:.4f}" if value >= 1e-4 else "<0.0001"


def starred(rates: pd.DataFrame, rule: float = STAR_RULE) -> frozenset:
    """Tests whose pooled placebo rejection rate at 5% is at most `rule` x 5%."""
    pooled = rates.loc["All", "5%"]
    return frozenset(t for t, r in pooled.items() if r <= rule * 0.05)


def _stars(p: float, test: str, keep: frozenset) -> str:
    return stars(p) if test in keep else ""


def multiplicity(study: Study) -> dict:
    """Counts for the prose: secondary tests, how many reject at 5% raw, after Holm, after BH."""
    holm, bh = adjusted(study, "holm"), adjusted(study, "fdr_bh")
    sec = ~holm["primary"]
    return {"n": int(sec.sum()), "raw5": int((holm.loc[sec, "p"] < 0.05).sum()),
            "holm5": int((holm.loc[sec, "p_adj"] < 0.05).sum()),
            "bh5": int((bh.loc[sec, "p_adj"] < 0.05).sum()),
            "holm_any": int(holm.loc[sec, "survives"].sum())}


# --- securities and groups ------------------------------------------------------------------

def flags(study: Study) -> set[tuple[str, str]]:
    """(ticker, window) pairs whose window contains a confounder of that security."""
    hits = news.confounded(study)
    return set(zip(hits["ticker"], hits["window"]))


def security_table(study: Study, windows: tuple[str, ...] = tuple(WINDOWS),
                   day0: bool = True, keep: frozenset = ALL_STARRED) -> pd.DataFrame:
    """One row per security under a row per group: each window's AR/CAR % (t), stars from
    the raw p (when the single t is in `keep`), † when they survive Holm, (P) for a primary
    hypothesis, § for a confounder."""
    adj, hit = _marks(adjusted(study)), flags(study)
    sec = study.securities.set_index(["ticker", "window"])
    rows = []
    for group, members in study.securities.drop_duplicates("ticker").groupby("group", sort=False):
        rows.append({"Security": f"**{group}**"})
        for _, m in members.iterrows():
            row = {"Security": m["name"]}
            if day0:
                row["t = 0"] = f"{m['event_day']:%-d %b}"
            for w in windows:
                r = sec.loc[(m["ticker"], w)]
                row[w] = (cell(r["car"], r["t"], r["p"] if "single t" in keep else 1.0)
                          + _mark(adj, "security", m["ticker"], w, "t")
                          + (CONFOUNDED if (m["ticker"], w) in hit else ""))
            rows.append(row)
    return pd.DataFrame(rows).fillna("")


def group_table(study: Study, windows: tuple[str, ...] = ("[0]", "[0,+1]", "[0,+5]"),
                keep: frozenset = ALL_STARRED) -> pd.DataFrame:
    """Group tests per group and window: CAAR, portfolio and KP t (equal standing, with Holm
    marks), BMP, GRANK (no re-standardization), Corrado (one day) and the sign test, stars only
    for the tests in `keep`; then the groups too small to test, with their CAAR only."""
    adj = _marks(adjusted(study))
    g = study.groups.loc[study.groups["window"].isin(windows)]

    def fmt(t, p, test):
        return "" if not np.isfinite(t) else f"{t:+.2f}{_stars(p, test, keep)}"

    tested = pd.DataFrame({
        "Group": g["group"], "Window": g["window"], "n": g["n"].astype(str),
        "CAAR (%)": [f"{v * 100:+.1f}" for v in g["caar"]],
        "Portfolio t": [fmt(t, p, "portfolio") + _mark(adj, "group", n, w, "portfolio")
                        for t, p, n, w in zip(g["port_t"], g["port_p"], g["group"], g["window"])],
        "KP t": [fmt(t, p, "Kolari-Pynnönen") + _mark(adj, "group", n, w, "Kolari-Pynnönen")
                 for t, p, n, w in zip(g["kp"], g["kp_p"], g["group"], g["window"])],
        "r̄": [f"{r:.2f}" for r in g["r"]],
        "BMP t": [fmt(t, p, "BMP") for t, p in zip(g["bmp"], g["bmp_p"])],
        "GRANK t": [fmt(t, p, "GRANK") for t, p in zip(g["grank_nr"], g["grank_nr_p"])],
        "Corrado z": [fmt(t, p, "Corrado") for t, p in zip(g["corrado"], g["corrado_p"])],
        "Sign z": [fmt(t, p, "sign") for t, p in zip(g["gsign"], g["gsign_p"])],
    })
    small = described(study, windows)
    rows = pd.DataFrame({"Group": small["group"], "Window": small["window"],
                         "n": small["n"].astype(str),
                         "CAAR (%)": [f"{v * 100:+.1f}" for v in small["caar"]]})
    return pd.concat([tested, rows], ignore_index=True).fillna("—" if len(rows) else "")


def described(study: Study, windows=("[0]", "[0,+1]", "[0,+5]")) -> pd.DataFrame:
    """Groups of two or three (fewer than `eventstudy.TESTED`): group, window, n, mean CAR."""
    sec = study.securities.loc[study.securities["window"].isin(windows)]
    size = sec.drop_duplicates("ticker").groupby("group")["ticker"].size()
    small = size.loc[(size > 1) & (size < es.TESTED)].index
    part = sec.loc[sec["group"].isin(small)]
    out = part.groupby(["group", "window"], sort=False)["car"].agg(["size", "mean"])
    out = out.rename(columns={"size": "n", "mean": "caar"}).reset_index()
    rank = {**{g: i for i, g in enumerate(dict.fromkeys(part["group"]))},
            **{w: i for i, w in enumerate(windows)}}
    return out.sort_values(["group", "window"], key=lambda c: c.map(rank),
                           kind="stable").reset_index(drop=True)


# --- confounders ----------------------------------------------------------------------------

def confounder_table(study: Study, windows=("[-5,-1]", "[0]", "[0,+1]")) -> pd.DataFrame:
    """One row per news item inside at least one short window of a security it names."""
    hits = news.confounded(study, windows)
    if hits.empty:
        return pd.DataFrame(columns=["Date", "News", "Securities (windows)"])
    out = []
    for (date, label), part in hits.groupby(["date", "label"], sort=True):
        by = part.groupby("ticker", sort=False)["window"].agg(lambda w: ", ".join(w))
        out.append({"Date": f"{date:%-d %b}", "News": label,
                    "Securities (windows)": "; ".join(f"{facts.name(t)} ({w})"
                                                      for t, w in by.items())})
    return pd.DataFrame(out)


def window_news(study: Study, ticker: str, window: str) -> str:
    """'Stargate announced (21 Jan), ...' for one security-window ('none' if clean)."""
    hits = news.confounded(study, (window,))
    hits = hits.loc[hits["ticker"] == ticker].drop_duplicates("label")
    return ", ".join(f"{lab} ({d:%-d %b})" for d, lab in zip(hits["date"], hits["label"])) \
        or "none"


# --- placebo, breadth, robustness ------------------------------------------------------------

def placebo_table(rates: pd.DataFrame, rule: float = STAR_RULE) -> pd.DataFrame:
    """Rejection rates in percent with their Monte-Carlo standard errors: one row per test;
    pooled 1/5/10%, 5% per group, and whether the test's stars are shown (`starred`)."""
    pooled = rates.loc["All"]
    keep = starred(rates, rule)
    out = pd.DataFrame({"Test": pooled.index, "Tests run": pooled["n"].astype(int).astype(str)})
    for level in ("1%", "5%", "10%"):
        out[f"All, {level}"] = [f"{v * 100:.1f} ± {e * 100:.1f}" for v, e in
                                zip(pooled[level], pooled[f"se {level}"])]
    for group in rates.index.get_level_values(0).unique():
        if group != "All":
            part = rates.loc[group].reindex(pooled.index)
            out[f"{group}, 5%"] = [f"{v * 100:.1f} ± {e * 100:.1f}" for v, e in
                                   zip(part["5%"], part["se 5%"])]
    out["Stars shown"] = ["no (none in the tables)" if t == "single SQ" else
                          ("yes" if t in keep else "no") for t in pooled.index]
    return out


def breadth_table(frame: pd.DataFrame) -> pd.DataFrame:
    """`eventstudy.breadth` for the page: sector, rose, fell, out of, equal-weighted return."""
    return pd.DataFrame({
        "Sector": frame.index, "Rose": frame["rose"].astype(str),
        "Fell": frame["fell"].astype(str), "Members": frame["members"].astype(str),
        "Equal-weighted return (%)": [f"{v * 100:+.1f}" for v in frame["ew_ret"]]})


def headline_rows(study: Study) -> dict:
    """Formatted headline numbers of one specification (a column of the robustness table)."""
    h = es.headline(study)
    return {
        "Nvidia [0]: AR % (t)": cell(h["nvda_ar"], h["nvda_t"], h["nvda_p"]),
        "US semiconductors [0]: CAAR %": f"{h['us_semis_caar'] * 100:+.1f}",
        "US semiconductors [0]: portfolio t": f"{h['us_semis_port_t']:+.2f}"
                                              f"{stars(h['us_semis_port_p'])}",
        "US semiconductors [0]: KP t": f"{h['us_semis_kp']:+.2f}{stars(h['us_semis_kp_p'])}",
        "Japan semiconductors [0,+1]: CAAR %": f"{h['japan_semis_caar'] * 100:+.1f}",
        "Japan semiconductors [0,+1]: portfolio t": f"{h['japan_semis_port_t']:+.2f}"
                                                    f"{stars(h['japan_semis_port_p'])}",
        "Japan semiconductors [0,+1]: KP t": f"{h['japan_semis_kp']:+.2f}"
                                             f"{stars(h['japan_semis_kp_p'])}",
        "SK hynix [0]: AR % (t)": cell(h["hynix_ar"], h["hynix_t"], h["hynix_p"]),
        "TSMC [0]: AR % (t)": cell(h["tsmc_ar"], h["tsmc_t"], h["tsmc_p"]),
    }


def robustness_table(runs: dict[str, Study]) -> pd.DataFrame:
    """Headline numbers (rows) under each specification (columns)."""
    return pd.DataFrame({name: headline_rows(s) for name, s in runs.items()}
                        ).rename_axis("Statistic").reset_index()


def held_table(main: Study, exown: Study, mean: Study) -> pd.DataFrame:
    """Securities their benchmark holds: the index, the sourced weight (or none found), and
    the day-0 AR against the index, against the index without the own weight, and with no
    benchmark (constant mean)."""
    members = context.index_members().set_index("ticker")
    rows = []
    for t in es.held():
        a, b, c = main.sec(t, "[0]"), exown.sec(t, "[0]"), mean.sec(t, "[0]")
        w = es.own_weight(t)
        row = members.loc[t]
        rows.append({
            "Security": facts.name(t), "Benchmark": facts.name(row["index"]),
            "Own weight": (f"{w * 100:.2f}% ({row['as_of'].day} {row['as_of']:%b %Y})"
                           if w is not None
                           else "not found"),
            "t = 0": f"{a['event_day']:%-d %b}",
            "Against the index": cell(a["car"], a["t"], a["p"]),
            "Without its own weight": cell(b["car"], b["t"], b["p"]) if w is not None else "—",
            "No benchmark": cell(c["car"], c["t"], c["p"])})
    return pd.DataFrame(rows)


def estimands(main: Study, contrast: Study, group: str = "US semiconductors",
              window: str = "[0]") -> dict:
    """Portfolio and KP on the event and on the contrast day, with the spread of the members'
    standardized abnormal returns (their t-statistics): lowest, highest and by whom."""
    out = {}
    for key, study in (("event", main), ("contrast", contrast)):
        g = study.grp(group, window)
        sec = study.securities.loc[(study.securities["group"] == group)
                                   & (study.securities["window"] == window)]
        lo, hi = sec.loc[sec["t"].idxmin()], sec.loc[sec["t"].idxmax()]
        out[key] = {"port_t": float(g["port_t"]), "port_p": float(g["port_p"]),
                    "kp": float(g["kp"]), "kp_p": float(g["kp_p"]), "caar": float(g["caar"]),
                    "sd": float(sec["t"].std(ddof=1)), "n": int(g["n"]),
                    "lo": float(lo["t"]), "lo_name": lo["name"],
                    "hi": float(hi["t"]), "hi_name": hi["name"],
                    "day": sec["event_day"].iat[0]}
    return out


# --- chart ------------------------------------------------------------------------------

def path_data(study: Study) -> pd.DataFrame:
    """What the CAR chart shows: group, event day, mean CAR since t = -5 in %, members."""
    paths = study.paths
    return paths.assign(car_pct=(paths["car"] * 100).round(4))[["group", "tau", "car_pct", "n"]]


def car_chart(data: pd.DataFrame) -> alt.FacetChart:
    """Mean CAR by group over event time, one small panel per group; each line orange if the
    group ended the window below its market-model path, blue if above."""
    groups = list(dict.fromkeys(data["group"]))
    by = data.set_index(["group", "tau"])["car_pct"]
    day0 = pd.Series({g: by[(g, 0)] - by[(g, -1)] for g in groups})
    end = pd.Series({g: by[(g, PATH[1])] for g in groups})
    worst = day0.idxmin()
    below = int((end < 0).sum())
    frame = data.assign(
        short=data["group"].str.replace(r" \((.*) only\)", r" (\1)", regex=True),
        ended=data["group"].map(lambda g: "below" if end[g] < 0 else "above"))
    shorts = list(dict.fromkeys(frame["short"]))
    line = alt.Chart().mark_line(strokeWidth=2).encode(
        x=alt.X("tau:Q", title="Sessions from day 0",
                scale=alt.Scale(domain=list(PATH), nice=False), axis=alt.Axis(tickCount=5)),
        y=alt.Y("car_pct:Q", title="Mean CAR (%)", axis=alt.Axis(tickCount=4)),
        color=alt.Color("ended:N", scale=alt.Scale(domain=["below", "above"],
                                                   range=[NEGATIVE, POSITIVE]), legend=None),
        tooltip=[alt.Tooltip("group:N", title="Group"),
                 alt.Tooltip("tau:Q", title="Session from day 0"),
                 alt.Tooltip("car_pct:Q", title="Mean CAR since t = −5 (%)", format=".1f"),
                 alt.Tooltip("n:Q", title="Securities")])
    zero = alt.Chart().mark_rule(color=MUTED).encode(y=alt.datum(0))
    day = alt.Chart().mark_rule(color=NEUTRAL, strokeDash=[3, 3]).encode(x=alt.datum(0))
    chart = alt.layer(zero, day, line, data=frame).properties(width=150, height=110).facet(
        facet=alt.Facet("short:N", sort=shorts, title=None,
                        header=alt.Header(labelFontSize=12, labelFontWeight="bold")),
        columns=4).resolve_scale(y="shared")
    chart = narrow_layout(chart, set={"columns": 2, "spacing": 8, "spec/width": 118,
                                      "spec/height": 90, "spec/layer/2/encoding/y/title": None,
                                      "spec/layer/2/encoding/x/axis/tickCount": 3})
    return finish(
        chart,
        title=[f"{worst} fell furthest beyond the market on day 0 ({abs(day0[worst]):.1f}%);",
               f"{below} of {len(groups)} groups were still below their market-model path "
               f"{PATH[1]} sessions later"],
        subtitle=["Mean cumulative abnormal return per group (%) from five sessions before "
                  "day 0; orange: below the path at the end, blue: above",
                  f"Day 0 (dashed) is {es.EVENT.day} {es.EVENT:%B} in New York and Tokyo, "
                  "later in Seoul and Taipei"],
        source=es.SOURCE,
        description=_MINUS.sub("\u2212", (
            f"Small multiples of the mean cumulative abnormal return of {len(groups)} groups of "
            f"securities from 5 sessions before to {PATH[1]} sessions after the DeepSeek shock. "
            + " ".join(f"{g}: {day0[g]:.1f}% on day 0, {end[g]:.1f}% cumulative by day "
                       f"{PATH[1]}." for g in groups))),
    )

