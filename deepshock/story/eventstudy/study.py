"""Market-model event study of the DeepSeek shock: abnormal returns, CARs and their tests.

Conventions (the chapter `eventstudy` states them for readers):

* Returns are close-to-close total returns on each security's own sessions (`load.total_returns`:
  dividends reinvested where the snapshot has an adjusted close, as the panel benchmark is); event time counts
  those sessions, and t = 0 is the first one on or after the event date.
* Benchmarks (`bench`): US listings are judged against the equal-weighted mean of
  the S&P 500 panel members other than the company itself (`Spec.us = "ew"`); Korea against
  KOSPI, Taiwan against the Taiex, Hong Kong against the Hang Seng, Tokyo against the Nikkei
  225 plus the SOX's close-to-close move over the lead window (`lead`: the transmission
  model's own column of `data.clock`, so the two cannot disagree about the lead).
  The local indices hold some of the securities they judge (`data/index_members.csv`):
  `Spec.asia = "exown"` takes a sourced own weight out, `"mean"` uses no benchmark at all.
* The benchmark return paired with a security's return covers exactly the same interval
  (previous session -> session), compounded over days the security skipped; estimation uses
  only rows whose interval starts and ends on benchmark sessions.
* Returns that span a closure get a gap-matched variance (`Spec.gap`, "own": the security's own
  past multi-weekday gaps; see `methods.gaps`), in single and group tests alike.
* Group statistics only for groups of at least `TESTED` (four) securities; smaller groups
  are described (mean CAR), not tested.
Tables, multiplicity and the chart: `tables`; other news in the windows, breadth
and the RSP check: `news`; the placebo: `placebo`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache

import numpy as np
import pandas as pd

from ...data import artefacts, context, event, facts
from ...methods import ranks
from ...methods.eventstudy import (  # noqa: F401
    ESTIMATION,
    MIN_SHARE,
    PATH,
    SHORT_ESTIMATION,
    WINDOWS,
    Fit,
    Result,
    analyse,
    bmp,
    car_variance,
    kolari_pynnonen,
    market_model,
    mean_pairwise_corr,
    portfolio,
)
from ...methods.groups import group_statistics
from ...methods.leadlag import event_portfolio, event_result
from .bench import (  # noqa: F401
    LEAD_MARKETS,
    NEW,
    NY_LEAD,
    OLD,
    SAME_COMPANY,
    Spec,
    aligned,
    benchmark_key,
    full_frame,
    held,
    market_without,
    own_weight,
    panel_market,
    regressors,
)

EVENT = event.day0("XNYS")  # each market's t = 0: its first session on or after it
TESTED = 4      # groups of three or fewer are described, not tested
CONTRAST = "Nvidia's $279bn day"   # the comparison event (data/shocks.csv) whose chips moved together
PRIMARY = (("security", "NVDA", "[0]"), ("group", "US semiconductors", "[0]"),
           ("group", "Japan semiconductors", "[0,+1]"))
SOURCE = ("Yahoo Finance daily closes of the securities, indices and S&P 500 members; exchange "
          "calendars; market-model event study")


def _event_time(frame: pd.DataFrame, ticker: str, event: pd.Timestamp) -> pd.DataFrame:
    after = (frame["date"] >= pd.Timestamp(event)).to_numpy()
    if not after.any():
        raise ValueError(f"{ticker}: no session on or after {event:%Y-%m-%d}")
    return frame.assign(tau=np.arange(len(frame)) - after.argmax())


def event_frame(ticker: str, spec: Spec = NEW, event: pd.Timestamp = EVENT) -> pd.DataFrame:
    """Aligned returns with event time tau (t = 0: first session on or after `event`)."""
    return _event_time(full_frame(ticker, spec), ticker, event)


# --- one security, one group --------------------------------------------------------------

def security(ticker: str, spec: Spec = NEW, event: pd.Timestamp = EVENT,
             estimation: tuple[int, int] | None = None) -> Result:
    """Event study of one security under `spec` (estimation window: the spec's by default)."""
    return event_result(event_frame(ticker, spec, event), ticker, regressors(ticker, spec),
                        estimation or spec.estimation, spec.gap)


def _regs(member: Result) -> tuple[str, ...]:
    cols = member.frame.columns
    return tuple(c for c in ("mret", "lead") if c in cols and not
                 (c == "mret" and (member.frame["mret"] == 0).all()))


def group_tests(members: list[Result], label: str = "", windows=tuple(WINDOWS),
                estimation: tuple[int, int] = ESTIMATION, gap: str | None = NEW.gap
                ) -> list[dict]:
    """All group statistics (`methods.groups.group_statistics`: caar, BMP, KP, portfolio,
    Corrado, GRANK, sign), the portfolio tested with the members' own model. Raises
    ValueError for fewer than three members."""
    regs = _regs(members[0])
    port = event_portfolio(members, label, regs, estimation, gap)
    return group_statistics(members, label, windows, estimation, gap, port=port)


# --- the study ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Study:
    spec: Spec
    plan: pd.DataFrame     # ticker, name, group, benchmark, included, reason
    results: dict[str, Result]
    securities: pd.DataFrame  # ticker x window: car, se, t, df, p, emp_p, event_day, ...
    groups: pd.DataFrame   # group x window, groups of TESTED or more: group_statistics
    paths: pd.DataFrame    # group, tau, car (mean CAR from tau = -5), n
    only: tuple[str, ...] | None = None   # a partial run's securities

    @property
    def complete(self) -> bool:
        """Whether this is the cached full run of its spec for EVENT (tables cache on it)."""
        return self.only is None and self is run(self.spec)

    def sec(self, ticker: str, window: str) -> pd.Series:
        """One security's window result: car, se, t, df, p, emp_p, event_day."""
        return self.securities.set_index(["ticker", "window"]).loc[(ticker, window)]

    def grp(self, group: str, window: str) -> pd.Series:
        """One group's window tests (see `group_tests`)."""
        return self.groups.set_index(["group", "window"]).loc[(group, window)]


def plan(spec: Spec = NEW) -> pd.DataFrame:
    """Which securities enter the study, against which benchmark, and why others do not."""
    uni = facts.universe()[["ticker", "name", "kind", "group", "market", "benchmark"]].copy()
    reason = np.select(
        [uni["kind"] == "index", uni["kind"] == "fx", uni["benchmark"] == ""],
        ["an index: a market measure, not a traded security",
         "an exchange rate, not a security",
         "no benchmark index for its market in the snapshot"], "")
    keys = [benchmark_key(t, spec) if r == "" else "" for t, r in zip(uni["ticker"], reason)]
    uni["benchmark"] = [describe(k) for k in keys]
    return uni.assign(included=reason == "", reason=reason).drop(columns=["kind"])


def describe(key: str) -> str:
    """Plain words for a benchmark key."""
    if key.startswith("ew:"):
        return "S&P 500 members without it, equal-weighted"
    if key.startswith("ex:"):
        return f"{describe(key[3:])} without its own weight"
    if key == "":
        return "none (constant mean)"
    return facts.name(key) if key in set(facts.universe()["ticker"]) else key


def exclusions(table: pd.DataFrame) -> str:
    """'A, B (reason); C (reason)': the securities a plan leaves out, grouped by reason."""
    out = table.loc[~table["included"]].groupby("reason", sort=False)["name"]
    return "; ".join(f"{', '.join(names)} ({reason})" for reason, names in out)


def empirical(res: Result) -> pd.Series:
    """Per window: the SQ test's two-sided p (the CAR against every same-length sum of the
    security's own estimation residuals; length = weekdays the window spans)."""
    tau = res.frame["tau"].to_numpy()
    span = (res.frame["weekdays"].to_numpy(float) if "weekdays" in res.frame
            else np.ones(len(tau)))
    resid = res.resid.to_numpy()
    out = {}
    for w, (a, b) in WINDOWS.items():
        length = int(round(span[(tau >= a) & (tau <= b)].sum()))
        out[w] = ranks.empirical_p(resid, res.windows.at[w, "car"], length).p
    return pd.Series(out)


HEADLINE = ("NVDA", "AVGO", "AMD", "MU", "MRVL", "INTC", "QCOM", "6857.T", "8035.T", "6146.T",
            "6920.T", "7735.T", "6723.T", "000660.KS", "2330.TW")   # what `headline` reads


def run(spec: Spec = NEW, event: pd.Timestamp = EVENT, only: tuple[str, ...] | None = None
        ) -> Study:
    """The whole study: every included security, group tests and mean CAR paths by group
    (`only`: just these securities, e.g. HEADLINE for a robustness column). Cached: the
    same arguments give the same object."""
    return _run(spec, pd.Timestamp(event), tuple(only) if only is not None else None)


@cache
def _run(spec: Spec, event: pd.Timestamp, only: tuple[str, ...] | None) -> Study:
    # kept in the artefact store, keyed by these arguments, the package, the data and the facts
    return artefacts.keep("eventstudy-run", lambda: _study(spec, event, only), spec, event, only)


def _study(spec: Spec, event: pd.Timestamp, only: tuple[str, ...] | None) -> Study:
    table = plan(spec)
    if only is not None:
        table = table.loc[table["ticker"].isin(only)].reset_index(drop=True)
    results = {}
    for t in table.loc[table["included"], "ticker"]:
        try:
            results[t] = security(t, spec, event)
        except ValueError as exc:  # listed too late for the estimation window: say so
            if "past returns span" in str(exc):
                table.loc[table["ticker"] == t, ["included", "reason"]] = [
                    False, "too few past closures for its gap-matched variance"]
                continue
            if "usable estimation days" not in str(exc):
                raise
            est = spec.estimation
            need = int(np.ceil(MIN_SHARE * (est[1] - est[0] + 1)))
            found = str(exc).rsplit("only ", 1)[1].split()[0]
            table.loc[table["ticker"] == t, ["included", "reason"]] = [
                False, f"too short a price history for the estimation window: {found} of "
                       f"the {need} sessions needed"]
    keep = table.loc[table["included"]]
    sec = pd.concat({t: r.windows.assign(event_day=r.event_day, emp_p=empirical(r))
                     for t, r in results.items()}, names=["ticker"]).reset_index()
    sec = sec.merge(keep[["ticker", "name", "group"]], on="ticker")
    groups, paths = [], []
    for group, rows in keep.groupby("group", sort=False):
        members = [results[t] for t in rows["ticker"]]
        if len(members) >= TESTED:
            groups += group_tests(members, group, estimation=spec.estimation, gap=spec.gap)
        cum = pd.concat([m.path.set_index("tau")["ar"].loc[PATH[0]:PATH[1]].cumsum()
                         for m in members], axis=1)
        label = group if len(members) > 1 else f"{group} ({members[0].label} only)"
        paths.append(pd.DataFrame({"group": label, "tau": cum.index,
                                   "car": cum.mean(axis=1).to_numpy(), "n": len(members)}))
    return Study(spec, table, results, sec, pd.DataFrame(groups),
                 pd.concat(paths, ignore_index=True), only)


def variant(only: tuple[str, ...] | None = HEADLINE, **changes) -> Study:
    """The main study with some `Spec` fields changed (robustness runs), by default only for
    the securities the headline numbers need."""
    return run(replace(NEW, **changes), EVENT, only)


def headline(study: Study | None = None) -> dict:
    """Raw numbers for the landing page and the robustness comparison: Nvidia's day-0 AR, the
    US chip group on day 0, the Japanese chip group over [0,+1], SK hynix and TSMC on day 0."""
    study = study or run()
    out = {}
    nv = study.sec("NVDA", "[0]")
    out.update(nvda_ar=nv["car"], nvda_t=nv["t"], nvda_p=nv["p"], nvda_emp_p=nv["emp_p"])
    for key, group, w in (("us_semis", "US semiconductors", "[0]"),
                          ("japan_semis", "Japan semiconductors", "[0,+1]")):
        g = study.grp(group, w)
        out.update({f"{key}_{k}": float(g[k]) for k in
                    ("caar", "kp", "kp_p", "port_t", "port_p", "bmp", "bmp_p", "grank_nr",
                     "grank_nr_p", "gsign", "gsign_p")})
        out[f"{key}_n"] = int(g["n"])
    for key, ticker in (("hynix", "000660.KS"), ("tsmc", "2330.TW")):
        s = study.sec(ticker, "[0]")
        out.update({f"{key}_ar": s["car"], f"{key}_t": s["t"], f"{key}_p": s["p"]})
    return out


# --- presentation helpers shared with other chapters ----------------------------------------

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


def markdown(table: pd.DataFrame, text: int = 1) -> str:
    """A pipe table for `{glue:md}` (renders in both the HTML and the PDF book); the first
    `text` columns are left-aligned, the rest (numbers) right-aligned."""
    align = ["left"] * text + ["right"] * (table.shape[1] - text)
    return table.to_markdown(index=False, disable_numparse=True, colalign=align)


def contrast_day() -> pd.Timestamp:
    """The date of the comparison event `CONTRAST` (`data/shocks.csv`)."""
    shocks = context.shocks()
    return pd.Timestamp(shocks.loc[shocks["label"] == CONTRAST, "date"].iat[0])
