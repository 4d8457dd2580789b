"""Tokyo, before New York: the chapter's numbers and figures in one call (`chapter`).

The sessions and moves come from `story.asia` (exchange calendars, close-to-close returns), the
US market between its sessions from `story.sameclock` (the index contract), and every statement
of how much of a Tokyo move was the usual echo of New York from the one model
(`story.transmission`, stated through `story.echo`)."""

from __future__ import annotations

import pandas as pd

from ...data import facts, sessions
from .. import asia, echo, sameclock
from ..eventstudy import markdown
from ..prose import Chapter, count, day, fall, pct, utc
from ..page import stored

# the one model's answer for Tokyo, stated in this chapter and nowhere else (`echo.OWNER`)
ANSWER = {"^N225": "the Nikkei 225", "6857.T": "Advantest", "8035.T": "Tokyo Electron",
          "9984.T": "SoftBank Group"}
SHORT = {t: n[4:] if n.startswith("the ") else n for t, n in ANSWER.items()}
PAIRS = [(t, d) for t in ANSWER for d in (0, 1)]


def _local(market: str, stamp: pd.Timestamp) -> str:
    return f"{stamp.tz_convert(sessions.calendar(market).tz):%H:%M}"


def sessions_text(mon: pd.Timestamp, tue: pd.Timestamp) -> dict[str, str]:
    """The order of the sessions on one clock, and each session's index moves."""
    line = asia.timeline((mon, tue))
    move = {(r.city, pd.Timestamp(r.session)): r.moves for r in line.itertuples()}
    ev = facts.events().set_index("label")
    return {
        "tk_open": utc(sessions.open_utc("XTKS", mon)), "tk_close": utc(sessions.close_utc("XTKS", mon)),
        "tk_close_local": _local("XTKS", sessions.close_utc("XTKS", mon)),
        "eu_open": utc(sessions.open_utc("XETR", mon)), "ny_open": utc(sessions.open_utc("XNYS", mon)),
        "ny_open_local": _local("XNYS", sessions.open_utc("XNYS", mon)),
        "ny_close": utc(sessions.close_utc("XNYS", mon)),
        "tk_ny_gap": f"{asia.hours_between(('XTKS', mon), ('XNYS', mon)):.0f}",
        "ny_tk_gap": f"{asia.hours_between(('XNYS', mon), ('XTKS', tue)):.0f}",
        "r1_date": day(ev.at["R1 release", "date"], weekday=True),
        "app_date": day(ev.at["App Store No. 1", "date"], weekday=True),
        "boj_date": day(ev.at["BoJ hike", "date"], weekday=True),
        "tk_line": move[("Tokyo", mon)], "eu_line": move[("Europe (Xetra)", mon)],
        "ny_line": move[("New York", mon)], "ny_line_tue": move[("New York", tue)],
        "tk_line_tue": move[("Tokyo", tue)], "sh_line": move[("Shanghai", mon)],
        "hk_line": move[("Hong Kong", mon)],
        "taira_time": asia.reaction_time("Masaaki Taira", tue),
    }


def names_text(names: pd.DataFrame, mon: pd.Timestamp, tue: pd.Timestamp) -> dict[str, str]:
    """The Japanese AI-linked stocks on Monday and Tuesday, against the Nikkei 225."""
    at = names.set_index(["ticker", "date"])["ret_pct"]

    def ret(ticker: str, date: pd.Timestamp) -> float:
        return at[(ticker, pd.Timestamp(date))] / 100

    stocks = names.loc[names["role"] == "stock"]
    m = stocks.loc[stocks["date"] == mon, "ret_pct"] / 100
    t = stocks.loc[stocks["date"] == tue, "ret_pct"] / 100
    nk2 = names.loc[names["ticker"] == "^N225", "two_day_pct"].iloc[0] / 100
    worst2 = stocks.sort_values("two_day_pct").iloc[0]
    below = int((m < ret("^N225", mon)).sum())
    out = {"nk_mon": fall(ret("^N225", mon)), "nk_tue": fall(ret("^N225", tue)), "nk_two": fall(nk2),
           "n_names": count(stocks["ticker"].nunique()),
           "n_fell_mon": count(int((m < 0).sum())), "n_fell_tue": count(int((t < 0).sum())),
           "avg_mon": fall(m.mean()), "avg_tue": fall(t.mean()),
           "worst2_name": worst2["name"], "worst2": fall(worst2["two_day_pct"] / 100),
           "n_below_nk_mon": count(below),
           "all_mon": ("all " + count(int((m < 0).sum())) if (m < 0).all()
                       else f"{count(int((m < 0).sum()))} of them"),
           "all_tue": "all of them" if (t < 0).all() else count(int((t < 0).sum())),
           "all_below": "all" if below == len(m) else count(below)}
    for key, ticker in (("adv", "6857.T"), ("sb", "9984.T"), ("fj", "5803.T"), ("tel", "8035.T")):
        out[f"{key}_mon"], out[f"{key}_tue"] = fall(ret(ticker, mon)), fall(ret(ticker, tue))
    return out


def yen_text() -> dict[str, str]:
    fx = asia.yen()["yen_per_usd"]
    change = asia.yen()["change"]
    return {"fx_fri": f"{fx.iloc[0]:.2f}", "fx_mon": f"{fx.iloc[1]:.2f}", "fx_tue": f"{fx.iloc[2]:.2f}",
            "fx_chg_mon": pct(change.iloc[1]), "fx_chg_tue": pct(change.iloc[2]),
            "fx_yen_two": pct(fx.iloc[0] / fx.iloc[2] - 1, signed=False)}


def answer_text() -> dict[str, str]:
    """The one model's answer for Tokyo: its glue per market-day, table, summary and stability."""
    out: dict[str, str] = {}
    for t, d in PAIRS:
        out |= echo.texts(t, d)
    lead = echo.lead("^N225", 1)
    stab = echo.slope_range("6857.T", "^SOX")

    def clause(t: str, d: int) -> str:
        return echo.verdict_clause(out[echo.key(t, d, "verdict")])

    oc_smaller = abs(echo.lead("^N225", 1, "oc")["predicted"]) < abs(lead["predicted"])
    return out | {
        "tm_table_tokyo": markdown(echo.table(PAIRS, SHORT), text=2),
        "tk_rounding": echo.rounding_note(PAIRS),
        "tk_summary": echo.summary(PAIRS, ANSWER, {0: "Monday", 1: "Tuesday"}),
        "tk_sox_fri": fall(echo.lead("^N225", 0)["lead_^SOX"]),
        "tk_sox_mon": fall(lead["lead_^SOX"]), "tk_spx_mon": fall(lead["lead_^GSPC"]),
        "tk_n_est": f"{int(lead['n'])}",
        "tk_adv_mon": clause("6857.T", 0), "tk_sb_mon": clause("9984.T", 0),
        "tk_nk_tue": clause("^N225", 1), "tk_adv_tue": clause("6857.T", 1),
        "tk_adv_b": f"{stab['window']:.2f}",
        "tk_oc_note": ("The open-to-close measure leaves out New York's move from Friday's close "
                       "to Monday's open, which Tokyo's Monday session could already see in part, "
                       f"so its usual echo is {'smaller' if oc_smaller else 'larger'}."),
        "tk_bounds": echo.bounds_sentence(),
        "tk_slopes": markdown(echo.slopes(ANSWER, SHORT)),
        "tk_stab": (f"Advantest's slope on the SOX was {stab['window']:.2f} over the estimation "
                    f"window but ranged from {stab['lo']:.2f} in {stab['lo_year']} to "
                    f"{stab['hi']:.2f} in {stab['hi_year']} by calendar year"),
    }


@stored
def chapter() -> Chapter:
    """The chapter's prose numbers (glue name -> text) and its three figures."""
    mon, tue = asia.TOKYO
    line, names = asia.timeline((mon, tue)), asia.tokyo_names((mon, tue))
    cfd = sameclock.path()
    text = (sessions_text(mon, tue) | names_text(names, mon, tue) | yen_text() | answer_text()
            | sameclock.words()
            | {"sc_table": markdown(sameclock.same_hours_table(sameclock.same_hours()))})
    figures = {"fig-tokyo-timeline": (asia.timeline_chart(line), line),
               "fig-tokyo-clock": (sameclock.chart(cfd, sameclock.marks(), sameclock.bands()), cfd),
               "fig-tokyo-names": (asia.tokyo_chart(names), names)}
    return Chapter(text, figures)
