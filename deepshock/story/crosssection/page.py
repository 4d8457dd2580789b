"""The cross-section page in one call: `page()` returns every number its prose states (glue
name -> house-style text), its tables (Markdown) and its figures, from `model.chapter()`. The
asserts guard sentences the prose states in words: a change in the data that breaks one fails
the build instead of publishing a false sentence."""

from __future__ import annotations

from dataclasses import dataclass, field

import altair as alt
import pandas as pd

from ..eventstudy.page import table as markdown
from ..eventstudy.words import count, day, listing, move, number, pvalue, share, size
from . import model as cs
from .charts import plain_industry, short_industry, short_name
from ..page import stored

ON = f"{cs.EVENT.day} {cs.EVENT:%B}"   # the event day in words, from the event table
LABELS = {"chip_z": "Chip sensitivity", "beta_z": "Market beta",
          "momentum_z": "Momentum (2024 return)", "volatility_z": "Volatility"}


@dataclass
class Page:
    text: dict[str, str]                      # glue name -> prose or a Markdown table
    chapter: cs.Chapter
    figures: dict[str, tuple[alt.TopLevelMixin, pd.DataFrame]] = field(default_factory=dict)


def pp(x: float) -> str:
    return f"{abs(x) * 100:.1f} percentage points"


def nth(rank: int) -> str:
    return "the largest" if rank == 1 else f"number {rank}"


def names(rows: pd.DataFrame, n: int | None = None) -> str:
    return listing([short_name(x) for x in rows["name"]][:n])


def _cell(fit, term: str) -> str:
    t = fit.table
    return f"{number(t.at[term, 'coef'] * 100, 2)} ({number(t.at[term, 'se_cluster'] * 100, 2)})"


def _listing(rows: pd.DataFrame) -> pd.DataFrame:
    one = lambda x: number(x * 100, 1)  # noqa: E731
    return pd.DataFrame({
        "Company": [short_name(x) + (" †" if j else "") for x, j in
                    zip(rows["name"], rows["joined"].notna())],
        "Industry": [short_industry(x, 40) for x in rows["industry"]],
        "Thesis group": rows["theme"].replace("", "–").to_numpy(),
        "Return": [one(x) + "%" for x in rows["ret0"]],
        "Abnormal": [one(x) + "%" for x in rows["ar0"]],
        "Predicted": [one(x) + "%" for x in rows["fitted"]],
        "Beyond (pp)": [one(x) for x in rows["beyond"]]})


def tables(ch: cs.Chapter) -> dict[str, str]:
    """The page's tables: regressions, windows, the largest falls and rises, the placebo's
    ranks, the two member lists and the index changes."""
    expo, sect, chip = ch.fits["exposures"], ch.fits["sectors"], ch.fits["chip"]
    holm, daily, ranks = ch.holm_exposures, ch.placebo, ch.ranks
    reg = pd.DataFrame({
        "Exposure (per standard deviation)": list(LABELS.values()),
        "Four exposures": [_cell(expo, k) for k in LABELS],
        "HC3 s.e.": [number(expo.table.at[k, "se_hc3"] * 100, 2) for k in LABELS],
        "p (clustered; Holm)": [f"{pvalue(expo.table.at[k, 'p_cluster'])}; {pvalue(holm[k])}"
                                for k in LABELS],
        "With sectors": [_cell(sect, k) for k in LABELS]})
    fit_rows = pd.DataFrame({
        "Exposure (per standard deviation)": ["R²", "Members", "Industry clusters"],
        "Four exposures": [number(expo.r2, 3), f"{expo.n}", f"{expo.clusters}"],
        "HC3 s.e.": ["", "", ""], "p (clustered; Holm)": ["", "", ""],
        "With sectors": [number(sect.r2, 3), f"{sect.n}", f"{sect.clusters}"]})
    windows = pd.DataFrame({
        "Window": list(ch.windows),
        "Chip sensitivity (per s.d.)": [_cell(f, "chip_z") for f in ch.windows.values()],
        "Momentum (per s.d.)": [_cell(f, "momentum_z") for f in ch.windows.values()],
        "R²": [number(f.r2, 3) for f in ch.windows.values()]})
    stats_rows = []
    for label, col, key in (("Chip slope (pp per unit)", "chip_slope", "slope"),
                            ("R², chip alone", "chip_r2", "r2"),
                            ("R², four exposures", "r2_exposures", "r2_exposures"),
                            ("R², with sectors", "r2_sectors", "r2_sectors")):
        scale, digits = (100, 1) if col == "chip_slope" else (1, 2)
        stats_rows.append({
            "Statistic": label,
            ON: number(cs.event_day()[col] * scale, digits),
            "Median session": number(daily[col].median() * scale, digits),
            "Rank among all": "{} of {}".format(*ranks[(key, "all")][:2]),
            "Rank out of sample": "{} of {}".format(*ranks[(key, "out")][:2])})
    then_chip, then_expo, th, th0 = ch.then["chip"], ch.then["exposures"], ch.thesis, ch.thesis_then
    both = pd.DataFrame({
        "": ["Members with a day-0 return", "Fell", "Rose", "Chip slope (pp per unit)",
             "R², chip alone", "R², four exposures",
             "Thesis industries among the 20 largest falls beyond exposure"],
        "Today's list": [f"{ch.breadth['n']}", f"{ch.breadth['fell']}", f"{ch.breadth['rose']}",
                         number(chip.table.at["chip", "coef"] * 100, 1), number(chip.r2, 3),
                         number(expo.r2, 3), f"{th['hits']}"],
        f"Members on {ON}": [f"{ch.breadth_then['n']}", f"{ch.breadth_then['fell']}",
                                  f"{ch.breadth_then['rose']}",
                                  number(then_chip.table.at["chip", "coef"] * 100, 1),
                                  number(then_chip.r2, 3), number(then_expo.r2, 3),
                                  f"{th0['hits']}"]})
    after = ch.changes.loc[ch.changes["date"] > cs.EVENT]
    changes = pd.DataFrame({
        "Effective": [f"{d.day} {d:%b %Y}" for d in after["date"]],
        "Joined": after["added_name"] + " (" + after["added"] + ")",
        "Replaced": after["removed_name"] + " (" + after["removed"] + ")",
        "Kind": after["kind"],
        "Source": after["source"].str.split(r" \(|;|,", regex=True).str[0]})
    winners = ch.sample.nlargest(10, "ar0")
    return {"xs_reg_table": markdown(pd.concat([reg, fit_rows])),
            "xs_win_table": markdown(windows),
            "xs_worst_table": markdown(_listing(th["worst"]), text=3),
            "xs_winners_table": markdown(_listing(winners), text=3),
            "xs_placebo_table": markdown(pd.DataFrame(stats_rows)),
            "xs_surv_table": markdown(both), "xs_changes_table": markdown(changes, text=5)}


@stored
def page() -> Page:
    """Every number, table and figure of the cross-section page."""
    ch = cs.chapter()
    frame, sample, fits = ch.stocks, ch.sample, ch.fits
    chip, expo, sect = fits["chip"], fits["exposures"], fits["sectors"]
    q, th, th0, daily, ranks = ch.quintiles, ch.thesis, ch.thesis_then, ch.placebo, ch.ranks
    members = frame.loc[frame["kind"] == "sp500"]
    by_ticker = frame.set_index("ticker")
    top, bottom = q.iloc[-1], q.iloc[0]
    slope = chip.table.at["chip", "coef"]
    left = ch.left_out
    gev = left.loc[left["ticker"] == "GEV"]
    first, last = ch.window
    est_first, est_last = ch.estimation
    best = daily.loc[daily["chip_r2"].idxmax()]
    winners = sample.nlargest(10, "ar0")
    later = members.loc[~members["member_then"]].sort_values("joined")
    after = ch.changes.loc[ch.changes["date"] > cs.EVENT]
    added = after.loc[after["kind"] == "addition"]
    still = added.loc[added["removed"].isin(frame["ticker"])]
    then_chip = ch.then["chip"]
    nonchip = th["others"]
    non_ai_chips = sample.loc[(sample["industry"] == "Semiconductors")
                              & (sample["beyond"] > 0)].nlargest(4, "beyond")
    ratio = slope / ch.chip_excess
    slope_r, r2_r = ranks[("slope", "all")][0], ranks[("r2", "all")][0]
    shown = ch.figures["fig-xs-beyond"][1]
    later_shown = []
    for tk in shown.loc[shown["joined_later"], "ticker"]:
        r = by_ticker.loc[tk]
        where = (f"{nth(int(r['rank_beyond']))} among the falls beyond exposure"
                 if r["beyond"] < 0 else
                 f"{nth(int(len(sample) - r['rank_beyond'] + 1))} among the rises")
        later_shown.append(f"{short_name(r['name'])} ({where})")
    win_inds = list(dict.fromkeys(plain_industry(i) for i in winners["industry"]))
    mom_holm = ch.holm_exposures["momentum_z"]
    assert all(f.table.at["chip_z", "p_cluster"] < 0.05 for f in ch.windows.values()), \
        "prose says the chip pattern held over [0,+1] and [0,+5]"
    assert abs(ratio - 1) < 0.1, "prose says the slope is about the SOX's own excess fall"
    assert th0["hits"] >= th["hits"] - 3 and abs(then_chip.r2 - chip.r2) < 0.05, \
        "prose says the findings do not rest on the later entrants"
    assert "ORCL" in set(nonchip["ticker"]), "prose names Oracle among the other large falls"
    row = by_ticker.loc
    text = {
        "xs_slope_sentence": (f"chip sensitivity never predicted a steeper fall than on {ON}"
                              if slope_r == 1 else "chip sensitivity predicted a steeper fall "
                              f"on only {count(slope_r - 1)}"),
        "xs_shape": ("it was the largest chip day in the data, not a uniquely chip-shaped one"
                     if r2_r > 1 else
                     "it was both the largest and the most chip-shaped day in the data"),
        "xs_best_sox": move(float(best["sox"])), "xs_best_mkt": move(float(best["market"])),
        "xs_later_shown": " and ".join(later_shown) or "none of the names above",
        "xs_others_labelled": ", ".join(f"{short_name(n)} ({plain_industry(i)})"
                                        for n, i in zip(nonchip["name"], nonchip["industry"])),
        "xs_win_inds": listing(win_inds),
        "xs_left_listed": "; ".join(
            f"{short_name(by_ticker.at[tk, 'name'])}, first priced on {day(d)}"
            for tk, d in zip(left["ticker"], left["first_close"])),
        "xs_n": f"{len(sample):,}", "xs_members": f"{len(members):,}",
        "xs_r2": share(chip.r2, 0), "xs_slope": pp(slope), "xs_sox_excess": size(ch.chip_excess),
        "xs_top_move": move(top["mean"]), "xs_top_fell": share(top["share_fell"], 0),
        "xs_bottom_move": move(bottom["mean"]), "xs_bottom_fell": share(bottom["share_fell"], 0),
        "xs_r2_expo": share(expo.r2, 0), "xs_r2_sect": share(sect.r2, 0),
        "xs_hits": count(th["hits"]), "xs_top": count(th["top"]) if th["top"] <= 10
        else str(th["top"]),
        "xs_expected": number(th["expected"], 1), "xs_marked": f"{th['marked']}",
        "xs_thesis_p": pvalue(th["p"]),
        "xs_thesis_names": names(th["worst"].loc[th["worst"]["theme"] != ""], 6),
        "xs_non_ai_chips": names(non_ai_chips),
        "xs_slope_rank": nth(slope_r), "xs_days": f"{len(daily):,}",
        "xs_r2_higher": count(r2_r - 1),
        "xs_r2_out_higher": count(ranks[("r2", "out")][0] - 1),
        "xs_out_days": f"{int((~daily['in_sample']).sum()):,}",
        "xs_best_day": day(best["date"]), "xs_best_r2": share(best["chip_r2"], 0),
        "xs_best_slope": number(best["chip_slope"] * 100, 1),
        "xs_median_r2": share(daily["chip_r2"].median(), 0),
        "xs_later_n": count(len(later)), "xs_later_names": names(later),
        "xs_then_n": f"{ch.breadth_then['n']:,}", "xs_then_fell": f"{ch.breadth_then['fell']:,}",
        "xs_then_rose": f"{ch.breadth_then['rose']:,}", "xs_fell": f"{ch.breadth['fell']:,}",
        "xs_rose": f"{ch.breadth['rose']:,}", "xs_all_n": f"{ch.breadth['n']:,}",
        "xs_then_r2": share(then_chip.r2, 0), "xs_then_slope": pp(then_chip.table.at["chip", "coef"]),
        "xs_then_hits": count(th0["hits"]),
        "xs_added_n": count(len(added)),
        "xs_gone_n": count(len(added.loc[~added["removed"].isin(frame["ticker"])])),
        "xs_still_names": names(still.rename(columns={"removed_name": "name"})),
        "xs_win_first": day(first), "xs_win_last": day(last), "xs_est_first": day(est_first),
        "xs_est_last": day(est_last),
        "xs_est_n": str(cs.es.ESTIMATION[1] - cs.es.ESTIMATION[0] + 1),
        "xs_margin": count(cs.MARGIN),
        "xs_gev": move(float(gev["ar0"].iloc[0])) if len(gev) else "",
        "xs_win_ar": size(winners["ar0"].mean()), "xs_win_fit": pp(winners["fitted"].mean()),
        "xs_win_share": share(winners["fitted"].mean() / winners["ar0"].mean(), 0),
        "xs_win_names": names(winners, 6),
        "xs_vst": move(row["VST"]["ar0"]), "xs_vst_beyond": pp(row["VST"]["beyond"]),
        "xs_nvda": move(row["NVDA"]["ar0"]), "xs_nvda_fit": pp(row["NVDA"]["fitted"]),
        "xs_chip_p": pvalue(chip.table.at["chip", "p_cluster"]),
        "xs_chip_se": number(chip.table.at["chip", "se_cluster"] * 100, 1),
        "xs_chip_hc3": number(chip.table.at["chip", "se_hc3"] * 100, 1),
        "xs_holm": pvalue(ch.holm_primary), "xs_clusters": str(chip.clusters),
        "xs_chip_sd": number(sample["chip"].std(), 2),
        "xs_chip_z": pp(expo.table.at["chip_z", "coef"]),
        "xs_mom": (f"{pp(expo.table.at['momentum_z', 'coef'])} per standard deviation of "
                   "momentum" + ("" if mom_holm < 0.05 else ", though not significant once "
                                 "corrected for testing four exposures")),
        **tables(ch),
    }
    return Page({k: v for k, v in text.items() if v != ""}, ch, dict(ch.figures))
