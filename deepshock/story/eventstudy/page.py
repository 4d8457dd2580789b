"""The event study page in one call: `chapter()` runs the study, its variants, the placebo and
the transmission model's reopening placebo, and returns every number the prose states (glue
name -> house-style text), the tables (Markdown) and the figures."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import altair as alt
import pandas as pd

from ...data import context, facts, load
from .. import echo
from .. import transmission as tr
from . import news, opening
from . import placebo as pl
from . import study as es
from . import tables as tb
from .words import count, day, listing, move, number, pct, pvalue, share, size
from ..page import stored

TEST_NAMES = {"BMP": "the unadjusted BMP test", "sign": "the sign test", "GRANK": "GRANK",
              "Corrado": "Corrado's test", "portfolio": "the portfolio test",
              "Kolari-Pynnönen": "the KP test", "single t": "the single-security t-test"}
_MINUS = re.compile(r"(?<![\w.])-(?=\d)")


def table(frame: pd.DataFrame, text: int = 1) -> str:
    """`study.markdown` with the minus sign of house style in its figures."""
    return _MINUS.sub("\u2212", es.markdown(frame, text=text))


def t(value: float) -> str:
    return number(value, 2)


@dataclass
class Chapter:
    text: dict[str, str]                      # glue name -> prose or a Markdown table
    primaries: pd.DataFrame                   # the opening chart's three tests
    figures: dict[str, tuple[alt.TopLevelMixin, pd.DataFrame]] = field(default_factory=dict)


def _spans(frame: pd.DataFrame) -> str:
    """'US semiconductors and US chip equipment: 320 days, from … to …; …' by shared span."""
    out = []
    for (n, a, b), part in frame.groupby(["nunique", "min", "max"], sort=False):
        out.append(f"{listing(list(part.index))}: {n} days, from {day(a)} to {day(b)}")
    return "; ".join(out)


def _rsp_span() -> tuple[pd.Timestamp, pd.Timestamp]:
    """The RSP check's span: the panel's sessions of the year before the event, up to the last
    session before it."""
    dates = load.panel_closes().index
    return dates[dates.year == es.EVENT.year - 1][0], dates[dates < es.EVENT][-1]


def _opening(main: es.Study, prim: pd.DataFrame, holm: pd.DataFrame) -> dict[str, str]:
    """The verdict's numbers, from the opening chart's rows."""
    nv, us, jp = (prim.iloc[i] for i in range(3))
    nv_days = int(nv["spans"])
    beyond = lambda r: r["car"] < r["lowest"]  # noqa: E731
    adj = holm.loc[holm["primary"]].set_index(["name", "test"])["p_adj"]
    survive = adj[("NVDA", "t")] < 0.05 and adj[(us["name"], "portfolio")] < 0.05
    return {
        "es_op_nv": size(nv["car"]), "es_op_nv_sd": number(abs(nv["car"]) / nv["sd"], 0),
        "es_op_nv_days": f"{nv_days}",
        "es_op_nv_beyond": ("further than on any" if beyond(nv) else
                            "not as far as on the worst"),
        "es_op_nv_lo": size(nv["hi"]), "es_op_nv_hi": size(nv["lo"]),
        "es_op_us_n": count(us["n"]), "es_op_us": size(us["car"]),
        "es_op_us_beyond": ("also further than on any ordinary day" if beyond(us) else
                            "within the range of ordinary days"),
        "es_op_us_kp": ("is not significant" if adj[(us["name"], "Kolari-Pynnönen")] >= 0.05
                        else "is significant too"),
        "es_op_us_kp_but": ("But" if adj[(us["name"], "Kolari-Pynnönen")] >= 0.05 else "And"),
        "es_op_survive": ("Both survive the correction for testing several hypotheses at once"
                          if survive else
                          "Not both survive the correction for testing several hypotheses"),
        "es_op_jp_n": count(jp["n"]), "es_op_jp": move(jp["car"]),
        "es_op_jp_lo": pct(jp["lo"], 1), "es_op_jp_hi": pct(jp["hi"], 1),
        "es_op_jp_verdict": ("includes zero" if jp["lo"] < 0 < jp["hi"] else
                             "excludes zero"),
    }


@stored
def chapter() -> Chapter:
    """Every number, table and figure of the event study page."""
    main, old = es.run(), es.run(es.OLD)
    scaled, nolead = es.variant(gap="scaled"), es.variant(lead=False)
    short = es.variant(estimation=es.SHORT_ESTIMATION)
    exown, mean = es.variant(es.held(), asia="exown"), es.variant(es.held(), asia="mean")
    contrast = es.run(es.NEW, es.contrast_day(), pl.GROUPS["US semiconductors"])
    rows = pl.placebo()
    rates = pl.rates(rows)
    keep = tb.starred(rates)
    h_old = es.headline(old)
    mult, holm = tb.multiplicity(main), tb.adjusted(main)
    est = tb.estimands(main, contrast)
    est_len = es.ESTIMATION[1] - es.ESTIMATION[0] + 1
    nv = main.results["NVDA"]
    nv_path = nv.path.set_index("tau")
    nv0, nv1, nv5 = (main.sec("NVDA", w) for w in ("[0]", "[0,+1]", "[0,+5]"))
    semis0, semis1 = main.grp("US semiconductors", "[0]"), main.grp("US semiconductors", "[0,+1]")
    power0, japan1 = main.grp("US power", "[0]"), main.grp("Japan semiconductors", "[0,+1]")
    hynix0, tsmc0, adr0 = (main.sec(x, "[0]") for x in ("000660.KS", "2330.TW", "TSM"))
    sizes = main.securities.drop_duplicates("ticker").groupby("group", sort=False)["ticker"].size()
    small = [f"{g} ({n})" for g, n in sizes.items() if n < es.TESTED]
    breadth = news.breadth().rename(index={"Unknown": "No sector in the panel"})
    tot, tech = breadth.loc["All"], breadth.loc["Technology"]
    assert abs(tot["ew_ret"]) < 0.0005, "prose says the average member was unchanged to one decimal"
    sectors = breadth.drop(["All", "No sector in the panel"], errors="ignore")
    gspc0 = load.session_return("^GSPC", es.EVENT)["ret"]
    spy0 = load.session_return("SPY", es.EVENT)["ret"]
    rsp = news.rsp_check(*_rsp_span())
    tm_tests, tm_rates = tr.placebo()
    tm_rate = tm_rates.set_index(["bound", "level"])
    tm_tried = tm_tests.loc[tm_tests["bound"] != "none"].drop_duplicates(["ticker", "date"])
    pooled = rates.loc["All"]
    prim = holm.loc[holm["primary"]]
    members = context.index_members()
    results = context.earnings()
    held_by = members.loc[members["ticker"].isin(es.held())].groupby("index", sort=False)["ticker"]
    weighted = members.loc[members["weight"].notna()]
    unstarred = [TEST_NAMES[x] for x in pooled.index if x not in keep and x != "single SQ"]
    unverified = results.loc[results["certainty"] == "unverified", "company"]
    names = lambda tickers: listing([facts.name(x) for x in tickers])  # noqa: E731

    def rate(test, level="5%", group="All"):
        """A placebo rejection rate with its Monte-Carlo standard error: '5.8% (± 0.3)'."""
        r = rates.loc[(group, test)]
        return f"{share(r[level])} (± {share(r[f'se {level}'])})"

    def tm_count(bound, level):
        return (f"{int(tm_rate.at[(bound, level), 'rejected'])} of "
                f"{int(tm_rate.at[(bound, level), 'n'])}")

    prim_rows = opening.primaries(main)
    text = _opening(main, prim_rows, holm)
    text.update(
        es_nv_ar=pct(nv0["car"], 1), es_nv_ar_t=t(nv0["t"]), es_nv_ar_verdict=es.verdict(nv0["p"]),
        es_nv_emp_p=number(nv0["emp_p"], 3), es_nv_emp_n=f"{nv.fit.n:d}",
        es_nv_raw=size(nv_path.at[0, "ret"]), es_nv_move=move(nv_path.at[0, "ret"]),
        es_nv_mret=pct(nv_path.at[0, "mret"], 1),
        es_nv_car01=pct(nv1["car"], 1), es_nv_car01_t=t(nv1["t"]),
        es_nv_car01_verdict=es.verdict(nv1["p"]),
        es_nv_car05=pct(nv5["car"], 1), es_nv_car05_t=t(nv5["t"]),
        es_nv_beta=number(nv.fit.beta, 2), es_nv_days=f"{nv.fit.n:d}",
        es_nv_df=f"{int(nv0['df'])}",
        es_nv_old=pct(h_old["nvda_ar"], 1), es_nv_old_t=t(h_old["nvda_t"]),
        es_n_secs=f"{len(main.results):d}", es_n_groups=f"{main.securities['group'].nunique():d}",
        es_n_group_tests=count(main.groups["group"].nunique()),
        es_tested_min=count(es.TESTED), es_untested_max=count(es.TESTED - 1),
        es_three_n=count(len(pl.GROUPS["US chip equipment"])),
        es_small_groups=", ".join(small) or "none",
        es_excluded=es.exclusions(main.plan),
        es_korea_day=day(hynix0["event_day"], weekday=True),
        es_taiwan_day=day(tsmc0["event_day"], weekday=True),
        es_short_est=", ".join(f"{facts.name(k)} ({r.fit.n:d})" for k, r in main.results.items()
                               if r.fit.n < est_len) or "none",
        # primaries and breadth
        es_prim_n=count(len(prim)),
        es_prim_nv_p=pvalue(prim.loc[prim["name"] == "NVDA", "p_adj"].iat[0]),
        es_prim_h=count(len(es.PRIMARY)),
        es_table_primaries=table(tb.primary_table(main), text=3),
        es_br_n=f"{int(tot['members'])}", es_br_rose=f"{int(tot['rose'])}",
        es_br_fell=f"{int(tot['fell'])}", es_br_ew=pct(tot["ew_ret"], 2),
        es_br_tech_fell=f"{int(tech['fell'])}", es_br_tech_n=f"{int(tech['members'])}",
        es_br_tech_ret=pct(tech["ew_ret"], 1),
        es_br_sectors_up=f"{int((sectors['ew_ret'] > 0).sum())}",
        es_br_sectors=f"{len(sectors)}",
        es_gspc0=move(gspc0), es_spy0=pct(spy0, 1),
        es_rsp0=pct(rsp["rsp0"], 2), es_ew0=pct(rsp["ew0"], 2),
        es_rsp_corr=number(rsp["corr"], 3), es_rsp_te=pct(rsp["te"], 2, signed=False),
        es_rsp_n=f"{rsp['n']}",
        es_table_breadth=table(tb.breadth_table(breadth)),
        # benchmarks that hold the stock
        es_held="; ".join(f"the {facts.name(i)} holds {names(list(g))}" for i, g in held_by),
        es_held_weighted=names(list(weighted["ticker"])),
        es_held_weight_day=day(weighted["as_of"].iat[0]),
        es_held_index=facts.name(weighted["index"].iat[0]),
        es_held_unweighted=names(list(members.loc[members["weight"].isna(), "ticker"])),
        es_table_held=table(tb.held_table(main, exown, mean), text=4),
        # groups
        es_semis_n=count(semis0["n"]), es_semis_caar0=pct(semis0["caar"], 1),
        es_semis_port0=t(semis0["port_t"]), es_semis_port0_verdict=es.verdict(semis0["port_p"]),
        es_semis_kp0=t(semis0["kp"]), es_semis_kp0_verdict=es.verdict(semis0["kp_p"]),
        es_semis_r=number(semis0["r"], 2), es_semis_df=f"{int(semis0['n']) - 1}",
        es_semis_grank0=t(semis0["grank_nr"]),
        es_semis_grank0_verdict=es.verdict(semis0["grank_nr_p"]),
        es_semis_sign0_p=number(semis0["gsign_p"], 3),
        es_semis_caar1=pct(semis1["caar"], 1), es_semis_port1=t(semis1["port_t"]),
        es_semis_kp1=t(semis1["kp"]),
        es_power_n=count(power0["n"]), es_power_caar0=pct(power0["caar"], 1),
        es_power_port0=t(power0["port_t"]), es_power_kp0=t(power0["kp"]),
        es_power_kp0_verdict=es.verdict(power0["kp_p"]),
        es_japan_n=count(japan1["n"]),
        es_japan_caar1=pct(japan1["caar"], 1), es_japan_port1=t(japan1["port_t"]),
        es_japan_port1_verdict=es.verdict(japan1["port_p"]),
        es_japan_kp1=t(japan1["kp"]),
        es_japan_caar1_old=pct(h_old["japan_semis_caar"], 1),
        es_japan_port1_old=t(h_old["japan_semis_port_t"]),
        # the two estimands, and the contrast day
        es_est_lo=t(est["event"]["lo"]), es_est_lo_name=est["event"]["lo_name"],
        es_est_hi=t(est["event"]["hi"]), es_est_hi_name=est["event"]["hi_name"],
        es_est_sd=number(est["event"]["sd"], 1),
        es_con_day=day(est["contrast"]["day"], weekday=True),
        es_con_caar=move(est["contrast"]["caar"]),
        es_con_lo=t(est["contrast"]["lo"]), es_con_hi=t(est["contrast"]["hi"]),
        es_con_sd=number(est["contrast"]["sd"], 1),
        es_con_port=t(est["contrast"]["port_t"]), es_con_kp=t(est["contrast"]["kp"]),
        es_con_port_verdict=es.verdict(est["contrast"]["port_p"]),
        es_con_kp_verdict=es.verdict(est["contrast"]["kp_p"]),
        # the transmission model (story.transmission): its method and its reopening placebo
        es_tm_est=f"{-tr.ESTIMATION[0]} to {-tr.ESTIMATION[1]}",
        es_tm_min=count(tr.MIN_CLOSED), es_tm_min_nonzero=f"{tr.tm.MIN_NONZERO}",
        es_tm_n=f"{len(tm_tried)}", es_tm_tickers=count(tm_tried["ticker"].nunique()),
        es_tm_first=f"{tm_tried['date'].dt.year.min()}",
        es_tm_last=f"{tm_tried['date'].dt.year.max()}",
        es_tm_kinds="; ".join(f"{k}: {n}" for k, n in tm_tried["holiday"].value_counts().items()),
        es_tm_untried=f"{int((tm_tests['bound'] == 'none').sum())}",
        es_tm_cc5=tm_count("cc", 0.05), es_tm_oc5=tm_count("oc", 0.05),
        es_tm_cc10=tm_count("cc", 0.10), es_tm_oc10=tm_count("oc", 0.10),
        es_tm_se5=share(tm_rate.at[("cc", 0.05), "se"]),
        es_tm_bounds=echo.bounds_sentence(),
        es_tm_verdict=("it shows none" if not ((tm_rates["level"] == 0.05)
                                               & (tm_rates["rate"] > 0.05)
                                               & (tm_rates["binom_p"] < 0.05)).any()
                       else "it shows one, so the intervals of the reopenings are too narrow"),
        # gaps
        es_hynix_ar=pct(hynix0["car"], 1), es_hynix_t=t(hynix0["t"]),
        es_hynix_verdict=es.verdict(hynix0["p"]),
        es_hynix_days=count(hynix0["weekdays"]), es_hynix_gaps=f"{int(hynix0['gaps_used'])}",
        es_hynix_t_old=t(h_old["hynix_t"]),
        es_hynix_t_scaled=t(scaled.sec("000660.KS", "[0]")["t"]),
        es_tsmc_ar=pct(tsmc0["car"], 1), es_tsmc_t=t(tsmc0["t"]),
        es_tsmc_days=count(tsmc0["weekdays"]), es_tsmc_gaps=f"{int(tsmc0['gaps_used'])}",
        es_tsmc_ret=move(main.results["2330.TW"].path.set_index("tau").at[0, "ret"]),
        es_tsmc_mean=pct(mean.sec("2330.TW", "[0]")["car"], 1),
        es_tsmc_mean_t=t(mean.sec("2330.TW", "[0]")["t"]),
        es_tsmc_news=tb.window_news(main, "2330.TW", "[0]"),
        es_adr_ar=pct(adr0["car"], 1), es_adr_t=t(adr0["t"]),
        # other news in the windows
        es_nv_pre_news=tb.window_news(main, "NVDA", "[-5,-1]"),
        es_nv_01_news=tb.window_news(main, "NVDA", "[0,+1]"),
        es_nv_pre=pct(main.sec("NVDA", "[-5,-1]")["car"], 1),
        es_nv_pre_t=t(main.sec("NVDA", "[-5,-1]")["t"]),
        es_n_flagged=f"{len(tb.flags(main))}",
        es_n_windows=f"{len(main.results) * len(es.WINDOWS)}",
        es_n_results=f"{len(results)}",
        es_results_unverified=", ".join(unverified) or "none",
        es_no_results=names(news.no_results_on_file(main)) or "none",
        es_table_confounders=table(tb.confounder_table(main), text=3),
        # multiplicity and placebo
        es_mult_n=f"{mult['n']}", es_mult_raw=f"{mult['raw5']}", es_mult_holm=f"{mult['holm5']}",
        es_mult_bh=f"{mult['bh5']}",
        es_placebo_days=_spans(pl.days(rows)),
        es_panel_start=f"{load.panel_closes().index[0]:%B %Y}",
        es_placebo_margin=count(pl.MARGIN),
        es_placebo_known=f"{len(pl.known_days())}",
        es_placebo_groups="; ".join(f"{g} ({len(v)})" for g, v in pl.GROUPS.items()),
        es_placebo_port=rate("portfolio"), es_placebo_kp=rate("Kolari-Pynnönen"),
        es_placebo_single=rate("single t"), es_placebo_sq=rate("single SQ"),
        es_placebo_single1=rate("single t", "1%"), es_placebo_port1=rate("portfolio", "1%"),
        es_placebo_bmp=rate("BMP"), es_placebo_grank=rate("GRANK"),
        es_placebo_corrado=rate("Corrado"), es_placebo_sign=rate("sign"),
        es_placebo_sign_max=share(rates.xs("sign", level="test")["5%"].max()),
        es_placebo_three_bmp=rate("BMP", group="US chip equipment"),
        es_star_rule=number(tb.STAR_RULE, 1), es_star_cut=share(tb.STAR_RULE * 0.05),
        es_unstarred=" and ".join(unstarred) or "no test",
        es_table_placebo=table(tb.placebo_table(rates)),
        # tables
        es_table_securities=table(tb.security_table(main, ("[-5,-1]", "[0]", "[0,+1]"),
                                                    keep=keep)),
        es_table_securities_later=table(
            tb.security_table(main, ("[0,+5]", "[0,+20]"), day0=False, keep=keep)),
        es_table_groups=table(tb.group_table(main, keep=keep)),
        es_table_robustness=table(tb.robustness_table({
            "S&P 500 / Nikkei, one-day variance": old, "Main specification": main,
            "Gap variance scaled": scaled, "Tokyo without New York": nolead,
            "Window −120..−11": short})),
        es_sh_nv_ar=pct(short.sec("NVDA", "[0]")["car"], 1),
    )
    verdict_data = opening.chart_data(prim_rows)
    path_data = tb.path_data(main)
    return Chapter(text, prim_rows, {
        "fig-eventstudy-verdict": (opening.chart(verdict_data, prim_rows), verdict_data),
        "fig-eventstudy-car": (tb.car_chart(path_data), path_data)})
