"""The prose numbers and tables of "Compared with what" (house style: one decimal, ranks in
brackets, counts in words up to ten)."""

from __future__ import annotations

import pandas as pd

from .. import aftermath
from .. import transmission as tr
from ..eventstudy import markdown, stars
from ..prose import count, day, pct, size
from . import days as cdays
from . import measures


def place(n: int, word: str = "largest") -> str:
    """1 -> 'the largest', 2 -> 'the second-largest', 44 -> 'the 44th-largest'."""
    words = {1: "", 2: "second-", 3: "third-", 4: "fourth-", 5: "fifth-", 6: "sixth-",
             7: "seventh-", 8: "eighth-", 9: "ninth-"}
    return f"the {words.get(n, f'{n}th-')}{word}"


def censored_text(rec: dict) -> str:
    """A comparison day's recovery by this page's rule (censored at the next comparison day)."""
    if not rec["censored"]:
        return f"regained its close before the shock after {rec['sessions']} sessions"
    if rec["censor"] == cdays.NEXT:
        return (f"had not regained its close before the shock when the {rec['censor']} came, "
                f"{rec['sessions']} sessions later ({day(rec['censor_date'])})")
    return (f"had not regained its close before the shock by the end of the data, "
            f"{rec['sessions']} sessions later")


def full_recovery() -> pd.DataFrame:
    """The SOX's and the S&P 500's recovery followed to the end of the data: the aftermath's
    own count (`aftermath.recovery`), so both chapters state one number."""
    path = aftermath.paths(list(cdays.RECOVERY))
    return aftermath.recovery(path, aftermath.tariff_window()).set_index("ticker")


def _full_text(row: pd.Series) -> str:
    if row["status"] == aftermath.STATUS[3]:
        return "had not regained its close before the shock by the end of the data"
    return (f"regained its close before the shock after {int(row['sessions'])} sessions, on "
            f"{day(row['regained_date'])}")


def ranking_text(table: pd.DataFrame) -> dict[str, str]:
    """Where the book's event ranks among the comparison days, and the rule's counts."""
    rk, info = cdays.ranks(table), cdays.shares(table)
    sox, spx, nv = rk["size ^SOX"], rk["size ^GSPC"], rk["size NVDA"]
    conc, brd = rk["concentration"], rk["breadth"]
    rsox, rspx = rk["recovery ^SOX"], rk["recovery ^GSPC"]
    years, outside = info["years"], info["outside"]
    full = full_recovery()
    panel = cdays.in_panel(table)
    rsp = panel.loc[panel["primary"], "RSP"].iloc[0]
    rose_too = int((panel.loc[~panel["primary"], "RSP"] > 0).sum())
    return {
        "sh_day": day(rk["day"], weekday=True), "sh_day_short": f"{rk['day'].day} {rk['day']:%B}",
        "sh_one_in": f"{round(1 / cdays.TAIL):,}", "sh_level": f"{(1 - cdays.TAIL) * 100:.1f}th",
        "sh_n_days": f"{info['n']:,}", "sh_sessions": f"{info['sessions']:,}",
        "sh_first": day(info["first"]), "sh_last": day(info["last"]),
        "sh_tail": pct(cdays.TAIL, signed=False),
        "sh_k_sox": f"{info['k']['^SOX']:,}", "sh_k_spx": f"{info['k']['^GSPC']:,}",
        "sh_thr_sox": size(cdays.threshold("^SOX")), "sh_thr_spx": size(cdays.threshold("^GSPC")),
        "sh_both": count(info["both"]),
        "sh_years": "; ".join(f"{y}: {count(int(n))}" for y, n in years.items()),
        "sh_busiest": f"{years.idxmax()} ({count(int(years.max()))} days)",
        "sh_labelled": count(info["labelled"]), "sh_named": count(len(measures.events())),
        "sh_outside": ("; ".join(f"{lab} ({day(d)})" for d, lab in outside) if outside else "none"),
        "sh_sox": size(sox["value"]), "sh_sox_place": place(sox["rank"]),
        "sh_sox_all": place(sox["rank_all"]),
        "sh_nv": size(nv["value"]), "sh_nv_place": place(nv["rank"]),
        "sh_spx": size(spx["value"]), "sh_spx_place": place(spx["rank"]),
        "sh_spx_all": place(spx["rank_all"]),
        "sh_gap": f"{abs(conc['value']) * 100:.1f}",
        "sh_gap_place": place(conc["rank"], "widest"), "sh_n_panel": count(conc["out_of"]),
        "sh_gap_all": place(conc["rank_all"], "widest"), "sh_panel_sessions": f"{conc['out_of_all']:,}",
        "sh_panel_first": day(conc["first"]),
        "sh_fell": f"{brd['fell']:,}", "sh_members": f"{brd['members']:,}",
        "sh_share_fell": pct(brd["value"], 0, signed=False),
        "sh_breadth_place": place(brd["rank"], "narrowest"),
        "sh_rec_sox": censored_text(rsox), "sh_rec_spx": censored_text(rspx),
        "sh_rec_sox_full": _full_text(full.loc["^SOX"]),
        "sh_rec_spx_full": _full_text(full.loc["^GSPC"]),
        "sh_rec_sox_faster": count(rsox["faster"]), "sh_rec_sox_unordered": count(rsox["unordered"]),
        "sh_rec_spx_faster": count(rspx["faster"]), "sh_rec_spx_slower": count(rspx["slower"]),
        "sh_rec_spx_unordered": count(rspx["unordered"]), "sh_rec_others": count(rsox["out_of"]),
        "sh_rsp_text": ((f"rose {size(rsp)}" + (": on no other of these days did the average stock "
                                                "rise" if rose_too == 0 else
                                                f", as it did on {count(rose_too)} other of these days"))
                        if rsp >= 0 else f"fell {size(rsp)}"),
    }


def _ranked(ret: float, rank: float) -> str:
    return f"{pct(ret)} ({int(rank):,})"


def _recovered(sessions: float, censored: bool) -> str:
    return f"more than {int(sessions)}" if censored else str(int(sessions))


def days_table(table: pd.DataFrame) -> dict[str, str]:
    listing = table.sort_values("date")
    frame = pd.DataFrame({
        "Day": [f"{d:%-d %b %Y}" for d in listing["date"]],
        "Named shock": listing["label"],
        "SOX (rank)": [_ranked(r, n) for r, n in zip(listing["^SOX"], listing["rank ^SOX"])],
        "S&P 500 (rank)": [_ranked(r, n) for r, n in zip(listing["^GSPC"], listing["rank ^GSPC"])],
        "Nvidia (rank)": [_ranked(r, n) for r, n in zip(listing["NVDA"], listing["rank NVDA"])],
        "SOX recovery (sessions)": [_recovered(s, c) for s, c in
                                    zip(listing["recovery ^SOX"], listing["censored ^SOX"])],
        "S&P 500 recovery (sessions)": [_recovered(s, c) for s, c in
                                        zip(listing["recovery ^GSPC"], listing["censored ^GSPC"])],
    })
    return {"sh_days_table": markdown(frame, text=2)}


def _known(span: pd.Timedelta) -> str:
    minutes = int(span / pd.Timedelta(minutes=1))
    if minutes == 1:
        return "to the minute"
    if minutes % 1440 == 0:
        return "to the day" if minutes == 1440 else f"within {minutes // 1440} days"
    hours, rest = divmod(minutes, 60)
    return ("within the hour" if minutes == 60 else f"within {minutes} min" if not hours
            else f"within {hours} hours" if not rest else f"within {hours} h {rest} min")


def events_table() -> dict[str, str]:
    events = measures.events()
    frame = pd.DataFrame({
        "News (UTC)": [f"{t:%-d %b %Y %H:%M}" for t in events["news_utc"]],
        "Time known": [_known(p) for p in events["precision"]],
        "Day 0 Tokyo": [f"{d:%-d %b}" for d in events["day0_tokyo"]],
        "Day 0 New York": [f"{d:%-d %b}" for d in events["day0"]],
        "What happened": events["label"],
        "Source": events["source"].str.split(";").str[0].str.replace(r"\s*\(.*?\)", "", regex=True),
    })
    return {"sh_events_table": markdown(frame)}


def named_tables(table: pd.DataFrame) -> dict[str, str]:
    """Each named shock's New York moves (with ranks) and its breadth."""
    moves = pd.DataFrame({
        "Day 0": [f"{d:%-d %b %Y}" for d in table["day0"]], "Event": table["label"],
        "Nvidia": [_ranked(r, n) for r, n in zip(table["ret NVDA"], table["rank NVDA"])],
        "SOX": [_ranked(r, n) for r, n in zip(table["ret ^SOX"], table["rank ^SOX"])],
        "S&P 500": [_ranked(r, n) for r, n in zip(table["ret ^GSPC"], table["rank ^GSPC"])],
        "Equal weight": [pct(r) for r in table["ret RSP"]],
        "VIX": [pct(r) for r in table["ret ^VIX"]],
    })
    breadth = pd.DataFrame({
        "Event": table["label"],
        "S&P 500 members that fell": [f"{f:,} of {n:,}" for f, n in zip(table["fell"], table["n"])],
        "Worst sector (mean)": [f"{s} ({pct(r)})" for s, r in
                                zip(table["worst_sector"], table["worst_sector_ret"])],
        "Largest loss of market value": [f"{n} (${v / 1e9:,.0f}bn)" if n else "" for n, v in
                                         zip(table["top_loser"], table["top_loss"])],
    })
    first = table.iloc[0]
    return {"sh_moves_table": markdown(moves), "sh_breadth_table": markdown(breadth),
            "sh_rank_n": f"{int(first['out_of NVDA']):,}", "sh_rank_sox": f"{int(first['out_of ^SOX']):,}"}


def travel_table(table: pd.DataFrame) -> dict[str, str]:
    """Each named shock's day 0 and day 1 in Tokyo, Seoul, Taipei and Europe: total (excess),
    ‡ beyond the usual echo, † a session shared with another shock."""
    local, dd = measures.LOCAL, measures.DAYS
    sess = {m: table[[f"{m} d{d} session" for d in dd]] for m in local}
    shared = {m: {d for d in sess[m].stack() if (sess[m] == d).any(axis=1).sum() > 1} for m in local}

    def cell(r: dict, market: str, d: int) -> str:
        total = r[f"{market} d{d} total"]
        if pd.isna(total):
            return "–"
        beyond = "‡" if r[f"{market} d{d} verdict"] == "beyond the usual echo" else ""
        mark = "†" if r[f"{market} d{d} session"] in shared[market] else ""
        return f"{pct(total)} ({pct(r[f'{market} d{d} excess'])}){beyond}{mark}"

    rows = [{"Event": r["label"], **{m: " · ".join(cell(r, m, d) for d in dd) for m in local}}
            for r in table.to_dict("records")]
    return {"sh_travel_table": markdown(pd.DataFrame(rows)),
            "sh_shared": "; ".join(f"{day(d)} ({', '.join(m for m in local if d in shared[m])})"
                                   for d in sorted(set().union(*shared.values()))) or "none",
            "sh_est": f"{-tr.ESTIMATION[0]} to {-tr.ESTIMATION[1]}"}


def study_table(table: pd.DataFrame) -> dict[str, str]:
    """The event study's group tests for each named shock."""
    rows = []
    for r in table.to_dict("records"):
        row = {"Event": r["label"]}
        for group in measures.GROUPS:
            if pd.isna(r[f"{group} caar"]):
                row[group] = ""
                continue
            row[group] = (f"{pct(r[f'{group} caar'])} (KP {r[f'{group} kp']:+.1f}"
                          f"{stars(r[f'{group} kp_p'])}; portfolio {r[f'{group} port_t']:+.1f}"
                          f"{stars(r[f'{group} port_p'])})")
        rows.append(row)
    return {"sh_es_table": markdown(pd.DataFrame(rows)),
            "sh_es_windows": ", ".join(f"{g} {w}" for g, w in measures.GROUPS.items())}
