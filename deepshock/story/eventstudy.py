"""Market-model event study of the DeepSeek shock: abnormal returns, CARs and their tests.

Conventions (the chapter `eventstudy` states them for readers):

* Returns are close-to-close on each security's own sessions (`load.returns`); event time counts
  those sessions, and t = 0 is the first one on or after the event date.
* The benchmark return paired with a security's return covers exactly the same interval
  (previous session -> session). When the security skipped days the benchmark traded (Lunar New
  Year in Seoul), the benchmark's move over those days is compounded into that one row.
* A benchmark holiday on a day the security traded: the estimation window uses only rows whose
  interval starts and ends on benchmark sessions, so it drops the holiday and the session after
  it; the event window keeps every session of the security, taking the benchmark's last close
  (no move on its holiday) and counting the move in its next session, so multi-day CARs miss
  nothing.
* Market model by OLS over the estimation window; the variance of a CAR is the sum of the full
  prediction-error covariance matrix, s^2 (L + L^2/T + (sum(Rm_t - mean Rm))^2 / Sxx).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import altair as alt
import numpy as np
import pandas as pd

from ..data import facts, load
from ..methods.eventstudy import (ESTIMATION, PATH, SHORT_ESTIMATION, WINDOWS, Fit,  # noqa: F401
                                  Result, analyse, bmp, car_variance, group_tests,
                                  kolari_pynnonen, market_model, mean_pairwise_corr, portfolio)
from .charts import DASHES, NEUTRAL, PALETTE, finish

EVENT = pd.Timestamp("2025-01-27")
EX_SEMIS = "ex-semis"
SOURCE = ("Yahoo Finance daily closes (snapshot, PROVENANCE.md); data/universe.csv; "
          "market-model event study")


# --- data: benchmarks and aligned returns ---------------------------------------------------

def ex_semis_members(ticker: str) -> tuple[str, ...]:
    """US common stocks and ADRs outside the chip groups, without `ticker` itself."""
    uni = facts.universe()
    keep = ((uni["market"] == "US") & uni["kind"].isin(["equity", "adr"])
            & ~uni["group"].str.contains("semiconductors") & (uni["ticker"] != ticker))
    return tuple(uni.loc[keep, "ticker"])


@cache
def _levels(benchmark: str) -> pd.Series:
    """Benchmark level by date: an index's closes, or an equal-weighted basket grown from 1."""
    if not benchmark.startswith(EX_SEMIS + ":"):
        return load.prices(benchmark).set_index("date")["close"].sort_index()
    wide = load.wide_returns(list(ex_semis_members(benchmark.split(":", 1)[1])))
    live = wide.loc[wide.notna().all(axis=1).idxmax():]  # from the last member's first return
    if live.isna().any().any():
        raise ValueError(f"{benchmark}: a member misses a session inside the basket's span")
    return (1 + live.mean(axis=1)).cumprod()


def _benchmark_key(ticker: str, benchmark: str | None) -> str:
    if benchmark == EX_SEMIS:
        return f"{EX_SEMIS}:{ticker}"
    return benchmark or facts.universe().set_index("ticker").at[ticker, "benchmark"]


@cache
def aligned(ticker: str, benchmark: str) -> pd.DataFrame:
    """The security's returns with the benchmark's return over the same interval.

    `matched` is True when the benchmark closed on both ends of the interval.
    """
    rets = load.returns(ticker)
    rets = pd.DataFrame({c: rets[c].to_numpy() for c in ("date", "prev_date", "ret")})
    level = _levels(benchmark)

    def last_close(dates: pd.Series) -> np.ndarray:
        pos = level.index.searchsorted(dates, side="right") - 1
        return np.where(pos >= 0, level.to_numpy()[pos.clip(0)], np.nan)

    mret = last_close(rets["date"]) / last_close(rets["prev_date"]) - 1
    matched = rets["date"].isin(level.index) & rets["prev_date"].isin(level.index)
    return rets.assign(mret=mret, matched=matched.to_numpy())


def event_frame(ticker: str, benchmark: str | None = None, event: pd.Timestamp = EVENT
                ) -> pd.DataFrame:
    """Aligned returns with event time tau (t = 0: first session on or after `event`)."""
    return _event_time(aligned(ticker, _benchmark_key(ticker, benchmark)), ticker, event)


def _event_time(frame: pd.DataFrame, ticker: str, event: pd.Timestamp) -> pd.DataFrame:
    after = (frame["date"] >= pd.Timestamp(event)).to_numpy()
    if not after.any():
        raise ValueError(f"{ticker}: no session on or after {event:%Y-%m-%d}")
    return frame.assign(tau=np.arange(len(frame)) - after.argmax())


# --- one security -------------------------------------------------------------------------

def security(ticker: str, benchmark: str | None = None, event: pd.Timestamp = EVENT,
             estimation: tuple[int, int] = ESTIMATION) -> Result:
    """Event study of one security against its universe benchmark (or EX_SEMIS, or a ticker)."""
    return analyse(event_frame(ticker, benchmark, event), ticker, estimation)


# --- the study ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Study:
    plan: pd.DataFrame     # ticker, name, group, benchmark, included, reason
    results: dict[str, Result]
    securities: pd.DataFrame  # ticker x window: car, t, p, df, event_day
    groups: pd.DataFrame   # group x window (groups of two or more): BMP, KP, portfolio
    paths: pd.DataFrame    # group, tau, car (mean CAR from tau = -5), n

    def sec(self, ticker: str, window: str) -> pd.Series:
        """One security's window result: car, se, t, df, p, event_day."""
        return self.securities.set_index(["ticker", "window"]).loc[(ticker, window)]

    def grp(self, group: str, window: str) -> pd.Series:
        """One group's window tests: caar, bmp, kp, r, port_t and their p-values."""
        return self.groups.set_index(["group", "window"]).loc[(group, window)]


def plan(benchmark: str | None = None) -> pd.DataFrame:
    """Which securities enter the study, against which benchmark, and why others do not."""
    uni = facts.universe()[["ticker", "name", "kind", "group", "market", "benchmark"]].copy()
    reason = np.select(
        [uni["kind"] == "index", uni["kind"] == "fx", uni["benchmark"] == ""],
        ["an index: a market measure, not a traded security",
         "an exchange rate, not a security",
         "no benchmark index for its market in the snapshot"], "")
    if benchmark == EX_SEMIS:
        reason = np.where((reason == "") & (uni["benchmark"] != "^GSPC"),
                          "the ex-semiconductor benchmark is built for US names only", reason)
        uni["benchmark"] = np.where(reason == "", "equal-weighted US non-chip stocks",
                                    uni["benchmark"])
    return uni.assign(included=reason == "", reason=reason).drop(columns=["kind", "market"])


def exclusions(table: pd.DataFrame) -> str:
    """'A, B (reason); C (reason)': the securities a plan leaves out, grouped by reason."""
    out = table.loc[~table["included"]].groupby("reason", sort=False)["name"]
    return "; ".join(f"{', '.join(names)} ({reason})" for reason, names in out)


@cache
def run(estimation: tuple[int, int] = ESTIMATION, benchmark: str | None = None,
        event: pd.Timestamp = EVENT) -> Study:
    """The whole study: every included security, group tests and mean CAR paths by group."""
    table = plan(benchmark)
    keep = table.loc[table["included"]]
    results = {t: security(t, benchmark, event, estimation) for t in keep["ticker"]}
    sec = pd.concat({t: r.windows.assign(event_day=r.event_day) for t, r in results.items()},
                    names=["ticker"]).reset_index()
    sec = sec.merge(keep[["ticker", "name", "group"]], on="ticker")
    groups, paths = [], []
    for group, rows in keep.groupby("group", sort=False):
        members = [results[t] for t in rows["ticker"]]
        if len(members) > 1:
            groups += group_tests(members, group, estimation=estimation)
        cum = pd.concat([m.path.set_index("tau")["ar"].loc[PATH[0]:PATH[1]].cumsum()
                         for m in members], axis=1)
        label = group if len(members) > 1 else f"{group} ({members[0].label} only)"
        paths.append(pd.DataFrame({"group": label, "tau": cum.index,
                                   "car": cum.mean(axis=1).to_numpy(), "n": len(members)}))
    return Study(table, results, sec, pd.DataFrame(groups), pd.concat(paths, ignore_index=True))


def placebo(tickers: list[str], n: int = 200, seed: int = 20250127,
            span: tuple[str, str] = ("2021-01-01", "2023-12-31"),
            windows: tuple[str, ...] = ("[0]", "[0,+1]", "[0,+5]")) -> pd.DataFrame:
    """The same tests on `n` random US sessions in `span` (no event): one row per date, window,
    test and (for the single-security test) ticker, with its two-sided p-value."""
    sessions = load.prices("^GSPC")["date"]
    sessions = sessions.loc[sessions.between(*span)].to_numpy()
    dates = np.sort(np.random.default_rng(seed).choice(sessions, size=n, replace=False))
    frames = {t: aligned(t, "^GSPC") for t in tickers}  # aligned once; only event time moves
    rows = []
    for date in dates:
        members = [analyse(_event_time(frames[t], t, pd.Timestamp(date)), t) for t in tickers]
        for g in group_tests(members, windows=windows):
            w = g["window"]
            rows += [(date, w, "single", m.label, m.windows.at[w, "p"]) for m in members]
            rows += [(date, w, test, "", g[key]) for test, key in
                     (("BMP", "bmp_p"), ("Kolari-Pynnönen", "kp_p"), ("portfolio", "port_p"))]
    return pd.DataFrame(rows, columns=["date", "window", "test", "ticker", "p"])


def rejection_rates(placebo_rows: pd.DataFrame, level: float = 0.05) -> pd.DataFrame:
    """Share of placebo tests rejecting at `level`: window x test."""
    return (placebo_rows.assign(reject=placebo_rows["p"] < level)
            .pivot_table(index="window", columns="test", values="reject", aggfunc="mean"))


# --- presentation ----------------------------------------------------------------------------

def stars(p: float) -> str:
    """Significance marks, two-sided: *** 1%, ** 5%, * 10% (escaped for Markdown)."""
    return "\\*" * sum(1 for cut in (0.01, 0.05, 0.10) if p < cut)


def cell(value: float, t: float, p: float) -> str:
    """'-16.9 (-7.4)\\*\\*\\*': a return in percent, its t-statistic, its significance."""
    return f"{value * 100:+.1f} ({t:+.1f}){stars(p)}"


def verdict(p: float) -> str:
    """Plain words for a two-sided p-value."""
    for cut in (0.01, 0.05, 0.10):
        if p < cut:
            return f"significant at the {cut:.0%} level"
    return "not significant even at the 10% level"


def security_table(study: Study, windows: tuple[str, ...] = tuple(WINDOWS),
                   day0: bool = True) -> pd.DataFrame:
    """One row per security under a row per group: (t = 0 and) each window's AR/CAR, % (t)."""
    sec = study.securities.set_index(["ticker", "window"])
    rows = []
    for group, members in study.securities.drop_duplicates("ticker").groupby("group", sort=False):
        rows.append({"Security": f"**{group}**"})
        for _, m in members.iterrows():
            row = {"Security": m["name"]}
            if day0:
                row["t = 0"] = f"{m['event_day']:%d %b}"
            for w in windows:
                r = sec.loc[(m["ticker"], w)]
                row[w] = cell(r["car"], r["t"], r["p"])
            rows.append(row)
    return pd.DataFrame(rows).fillna("")


def group_table(study: Study) -> pd.DataFrame:
    """Group tests, one row per group and window."""
    g = study.groups
    return pd.DataFrame({
        "Group": g["group"], "Window": g["window"], "n": g["n"],
        "CAAR (%)": [f"{v * 100:+.1f}" for v in g["caar"]],
        "BMP t": [f"{t:+.2f}{stars(p)}" for t, p in zip(g["bmp"], g["bmp_p"])],
        "r": [f"{r:.2f}" for r in g["r"]],
        "KP t": [f"{t:+.2f}{stars(p)}" for t, p in zip(g["kp"], g["kp_p"])],
        "Portfolio t": [f"{t:+.2f}{stars(p)}" for t, p in zip(g["port_t"], g["port_p"])],
    })


def headline(study: Study, ticker: str = "NVDA", group: str = "US semiconductors") -> dict:
    """The numbers the robustness comparison follows: one security and one group."""
    out = {}
    for w in ("[0]", "[0,+1]"):
        sec, grp = study.sec(ticker, w), study.grp(group, w)
        out[f"{facts.name(ticker)} {w}, % (t)"] = cell(sec["car"], sec["t"], sec["p"])
        out[f"{group} {w}: CAAR %"] = f"{grp['caar'] * 100:+.1f}"
        out[f"{group} {w}: BMP t"] = f"{grp['bmp']:+.2f}{stars(grp['bmp_p'])}"
        out[f"{group} {w}: KP t"] = f"{grp['kp']:+.2f}{stars(grp['kp_p'])}"
    return out


def robustness_table(runs: dict[str, Study], ticker: str = "NVDA",
                     group: str = "US semiconductors") -> pd.DataFrame:
    """Headline numbers (rows) under each specification (columns)."""
    return pd.DataFrame({name: headline(s, ticker, group) for name, s in runs.items()}
                        ).rename_axis("Statistic").reset_index()


def placebo_table(rates: pd.DataFrame) -> pd.DataFrame:
    """Placebo rejection rates in percent: one row per window, one column per test."""
    order = [w for w in WINDOWS if w in rates.index]
    cols = ["single", "portfolio", "BMP", "Kolari-Pynnönen"]
    out = rates.loc[order, cols].map(lambda v: f"{v * 100:.1f}%")
    return out.rename(columns={"single": "Single security"}).rename_axis("Window").reset_index()


def markdown(table: pd.DataFrame) -> str:
    """A pipe table for `{glue:md}` (renders in both the HTML and the PDF book)."""
    align = ["left"] + ["right"] * (table.shape[1] - 1)
    return table.to_markdown(index=False, disable_numparse=True, colalign=align)


def path_data(study: Study) -> pd.DataFrame:
    """What the CAR chart shows: group, event day, mean CAR since t = -5 in %, members."""
    paths = study.paths
    return paths.assign(car_pct=(paths["car"] * 100).round(2))[["group", "tau", "car_pct", "n"]]


def car_chart(data: pd.DataFrame) -> alt.LayerChart:
    """Mean CAR by group over event time, colour paired with dashes; click the legend to focus."""
    groups = list(dict.fromkeys(data["group"]))
    day0 = data.loc[data["tau"] == 0].set_index("group")["car_pct"] - \
        data.loc[data["tau"] == -1].set_index("group")["car_pct"]
    end = data.loc[data["tau"] == PATH[1]].set_index("group")["car_pct"]
    worst = day0.idxmin()
    pick = alt.selection_point(fields=["group"], bind="legend")
    dashes = (DASHES + [[4, 2, 1, 2], [3, 1]])[:len(groups)]
    enc = {
        "x": alt.X("tau:Q", title="Event day (sessions of each security; t = 0 is its first "
                              "session on or after 27 Jan 2025)",
                   scale=alt.Scale(domain=list(PATH), nice=False)),
        "y": alt.Y("car_pct:Q", title="Mean cumulative abnormal return since t = -5 (%)"),
        "color": alt.Color("group:N", title="Group", sort=groups, legend=alt.Legend(columns=4),
                           scale=alt.Scale(domain=groups, range=PALETTE[:len(groups)])),
        "strokeDash": alt.StrokeDash("group:N", title="Group", sort=groups,
                                     legend=alt.Legend(columns=4),
                                     scale=alt.Scale(domain=groups, range=dashes)),
        "opacity": alt.condition(pick, alt.value(1.0), alt.value(0.15)),
        "tooltip": [alt.Tooltip("group:N", title="Group"),
                    alt.Tooltip("tau:Q", title="Event day"),
                    alt.Tooltip("car_pct:Q", title="Mean CAR since t = -5 (%)", format="+.2f"),
                    alt.Tooltip("n:Q", title="Securities")],
    }
    base = alt.Chart(data)
    lines = base.mark_line().encode(**enc).add_params(pick)
    points = base.mark_point(filled=True, size=20).encode(
        **{k: v for k, v in enc.items() if k != "strokeDash"})
    zero = alt.Chart(pd.DataFrame({"tau": [0], "label": ["t = 0"]}))
    rule = zero.mark_rule(color=NEUTRAL, strokeDash=[4, 3]).encode(x="tau:Q")
    text = zero.mark_text(align="left", dx=4, dy=8, color=NEUTRAL, fontSize=10).encode(
        x="tau:Q", y=alt.value(0), text="label:N")
    chart = alt.layer(rule, text, lines, points).properties(width=560, height=320)
    below = int((end < 0).sum())
    return finish(
        chart,
        title=[f"{worst} took the largest abnormal hit on day 0 ({day0[worst]:+.1f}%);",
               f"{below} of {len(groups)} groups were still below their market-model path "
               f"{PATH[1]} sessions later"],
        subtitle="Mean cumulative abnormal return per group (market model); click a legend "
                 "entry to highlight a group",
        source=SOURCE,
        description=(
            f"Line chart of the mean cumulative abnormal return of {len(groups)} groups of "
            f"securities from 5 sessions before to {PATH[1]} sessions after the DeepSeek shock. "
            + " ".join(f"{g}: {day0[g]:+.1f}% on day 0, {end[g]:+.1f}% cumulative by day "
                       f"{PATH[1]}." for g in groups)),
    )
