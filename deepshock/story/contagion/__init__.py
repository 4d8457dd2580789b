"""Delayed contagion: Europe, China and Hong Kong, and Seoul's and Taipei's reopening after the
Lunar New Year, in one call (`chapter`). `reopening` sets each closed market's reopening against
the New York fund that kept trading; `europe` checks Schneider Electric's 28 January bar. Every
statement of the usual echo of New York comes from the one model (`story.transmission`, stated
through `story.echo`)."""

from __future__ import annotations

import pandas as pd

from ...data import context, load, sessions
from .. import asia, echo
from ..eventstudy import markdown
from ..prose import Chapter, count, day, fall, join, move, short_day, size
from . import europe, reopening
from ..page import stored

SHOCK = asia.SHOCK
FIRST_BACK = ["000660.KS", "005930.KS", "^KS11", "2330.TW", "^TWII"]
# the one model's answer for Seoul, Taipei, Hong Kong, Shanghai and Europe (`echo.OWNER`)
NAMES = {"^KS11": "the KOSPI", "000660.KS": "SK hynix", "005930.KS": "Samsung Electronics",
         "^TWII": "the Taiex", "2330.TW": "TSMC", "^HSI": "the Hang Seng",
         "000001.SS": "the Shanghai Composite", "^STOXX": "the STOXX Europe 600",
         "^STOXX50E": "the Euro STOXX 50", "^GDAXI": "the DAX", "SU.PA": "Schneider Electric"}
SHORT = {t: n[4:] if n.startswith("the ") else n for t, n in NAMES.items()}
THREE = ["^KS11", "^TWII", "^HSI"]   # the reopenings whose fund holds the index's shares


def _on(ticker: str, date=SHOCK) -> float:
    return float(load.returns(ticker).set_index("date").at[pd.Timestamp(date), "ret"])


def _fund(ticker: str, date=SHOCK) -> float:
    return float(load.panel_returns().at[pd.Timestamp(date), ticker])


def closures() -> dict[str, list[pd.Timestamp]]:
    """Each market's Lunar New Year closure (Hong Kong and Shanghai shut after the shock day)."""
    return {m: sessions.closure(m, reopening.gap_start(m)) for m in ("XKRX", "XTAI", "XHKG", "XSHG")}


def blocks(hk_back: pd.Timestamp, sh_back: pd.Timestamp) -> dict[str, list[tuple[str, int]]]:
    """The market-days of each answer table."""
    hk_day, sh_day = echo.day_of("^HSI", hk_back), echo.day_of("000001.SS", sh_back)
    return {"korea": [("^KS11", 0), ("000660.KS", 0), ("005930.KS", 0)],
            "taiwan": [("^TWII", 0), ("2330.TW", 0)],
            "china": [("^HSI", 0), ("^HSI", 1), ("^HSI", hk_day), ("000001.SS", 0),
                      ("000001.SS", sh_day)],
            "europe": [("^STOXX", 0), ("^STOXX", 1), ("^STOXX50E", 0), ("^GDAXI", 0), ("SU.PA", 0)]}


def calendar_text(shut: dict, first: dict) -> dict[str, str]:
    hk_back = sessions.first_session("XHKG", shut["XHKG"][-1])
    sh_back = sessions.first_session("XSHG", shut["XSHG"][-1])
    half = sessions.close_utc("XHKG", sessions.last_session_before("XHKG", shut["XHKG"][0]))
    out = {"kr_first": day(first["000660.KS"]["date"], weekday=True),
           "kr_prev": day(first["000660.KS"]["prev_date"], weekday=True),
           "tw_prev": day(first["2330.TW"]["prev_date"], weekday=True),
           "tw_first": day(first["2330.TW"]["date"], weekday=True),
           "tw_prev_short": short_day(first["2330.TW"]["prev_date"]),
           "hk_half_close": f"{half:%H:%M} UTC",
           "hk_half_local": f"{half.tz_convert(sessions.calendar('XHKG').tz):%H:%M}",
           "hk_back": day(hk_back, weekday=True), "sh_back": day(sh_back, weekday=True)}
    for key, market in (("kr", "XKRX"), ("tw", "XTAI"), ("hk", "XHKG"), ("sh", "XSHG")):
        out |= {f"{key}_closed_from": short_day(shut[market][0]),
                f"{key}_closed_to": short_day(shut[market][-1])}
        if key in ("kr", "tw"):
            out[f"{key}_closed_n"] = count(len(shut[market]))
    return out


def moves_text(first: dict, hk_back: pd.Timestamp) -> dict[str, str]:
    """The moves of the first sessions, Europe, China and Hong Kong."""
    su = europe.bar_check("SU.PA")
    tue = sessions.shift("XHKG", SHOCK, 1)
    return {
        "hynix": fall(first["000660.KS"]["ret"]), "samsung": fall(first["005930.KS"]["ret"]),
        "kospi": fall(first["^KS11"]["ret"]), "tsmc": fall(first["2330.TW"]["ret"]),
        "taiex": fall(first["^TWII"]["ret"]), "tsm_adr_mon": fall(_on("TSM")),
        "hk_mon": move(_on("^HSI")), "hk_tue": move(_on("^HSI", tue)),
        "hk_back_ret": move(_on("^HSI", hk_back)), "sh_mon": move(_on("000001.SS")),
        "tencent": move(_on("0700.HK")), "alibaba_hk": move(_on("9988.HK")),
        "baidu_hk": move(_on("9888.HK")), "baba": move(_on("BABA")),
        "china_funds": "; ".join(f"{t} {move(_fund(t))}" for t in reopening.CHINA_FUNDS),
        "su_vol": f"{su.volume_ratio:.1f}",
        "su_low": "at its low of the day" if su.closed_at_low else "above its low",
        "su_index": move(su.index_ret), "su_tue": move(su.ret),
        "asml": fall(_on("ASML")), "stoxx": move(_on("^STOXX")), "stoxx50": move(_on("^STOXX50E")),
        "dax": move(_on("^GDAXI")), "schneider": fall(_on("SU.PA")),
    }


def gaps_text() -> dict[str, str]:
    """What New York did while Seoul and Taipei were shut (Micron, Nvidia, TSMC's ADR)."""
    tw = asia.gap_comparison("2330.TW", "TSM")
    kr_mu, kr_nv = asia.gap_comparison("000660.KS", "MU"), asia.gap_comparison("000660.KS", "NVDA")
    gap = tw["local_ret"] - tw["us_ret"]
    news = context.confounders().set_index("label")
    return {"mu_start": short_day(kr_mu["us_start"]), "mu_end": short_day(kr_mu["us_end"]),
            "mu_n": count(kr_mu["us_sessions"]), "mu_ret": move(kr_mu["us_ret"]),
            "nv_gap_ret": move(kr_nv["us_ret"]),
            "tsm_start": short_day(tw["us_start"]), "tsm_end": short_day(tw["us_end"]),
            "tsm_n": count(tw["us_sessions"]), "tsm_ret": move(tw["us_ret"]),
            "tsm_gap": (f"{abs(gap) * 100:.1f} percentage points " + ("more" if gap < 0 else "less")
                        if abs(gap) >= 0.0005 else "as much"),
            "tariff_day": day(news.at["US tariff orders signed", "date"], weekday=True),
            "chip_tariff_day": day(news.at["Trump: chip tariffs coming", "date"], weekday=True)}


def funds_text(pairs: pd.DataFrame, verdict: dict[str, str]) -> dict[str, str]:
    """Each reopening against its New York fund, and how that compares with the model."""
    pair = pairs.set_index("ticker")
    near = pair.loc[THREE, "left_pp"].abs()
    bound = reopening.bound(pairs)
    agree = [NAMES[t] for t in verdict if verdict[t] == "within the usual echo"
             and abs(pair.at[t, "left_pp"]) <= bound]
    differ = [NAMES[t] for t in verdict if NAMES[t] not in agree]
    out = {"rp_max_gap": f"{bound:.1f} percentage points",
           "rp_bound": f"{bound:.1f}",
           "rp_sh_gap": f"{abs(pair.at['000001.SS', 'left_pp']):.1f} percentage points",
           "rp_near": ("the three markets reopened close to where their New York funds had gone, "
                       "currency included" if near.max() < reopening.NEAR else "the three markets reopened "
                       "some way from where their New York funds had gone"),
           "rp_reconcile": ("The funds and the model ask different questions"
                            + (f", and for {join(agree)} they agree: each reopened within its usual "
                               f"echo of New York and within {bound:.1f} points of its fund"
                               if agree else "")
                            + (f"; for {join(differ)} they do not, and the model's verdict stands "
                               "as the answer" if differ else "") + ".")}
    for ticker, local, fund in (("^KS11", "rp_kospi", "rp_ewy"), ("^TWII", "rp_taiex", "rp_ewt"),
                                ("^HSI", "rp_hsi", "rp_ewh"), ("000001.SS", "rp_sh", "rp_mchi")):
        out[local] = move(pair.at[ticker, "local_pct"] / 100)
        out[fund] = move(pair.at[ticker, "fund_pct"] / 100)
    out["rp_ewy_n"] = count(int(pair.at["^KS11", "ny_sessions"]))
    out["rp_ewt_n"] = count(int(pair.at["^TWII", "ny_sessions"]))
    return out


def answer_text(block: dict) -> dict[str, str]:
    """The one model's answers: glue per market-day, tables, leads, verdicts and stability."""
    out: dict[str, str] = {}
    for pairs in block.values():
        for t, d in pairs:
            out |= echo.texts(t, d)
    out |= {f"tm_table_{b}": markdown(echo.table(p, SHORT), text=2) for b, p in block.items()}
    reopened = block["korea"] + block["taiwan"]
    out["cg_rounding"] = echo.rounding_note([p for b in block.values() for p in b])
    kr, tw = echo.lead("^KS11", 0), echo.lead("^TWII", 0)
    hynix = echo.slope_range("000660.KS", "^SOX")

    def clause(t: str, d: int) -> str:
        return echo.verdict_clause(out[echo.key(t, d, "verdict")])

    return out | {
        "cg_short": echo.summary(reopened, NAMES, {0: "their first session back"}),
        "kr_ny": echo.window_words(kr), "tw_ny": echo.window_words(tw),
        "kr_sox": move(kr["lead_^SOX"]), "kr_spx": move(kr["lead_^GSPC"]),
        "tw_sox": move(tw["lead_^SOX"]), "tw_spx": move(tw["lead_^GSPC"]),
        "cg_bounds": echo.bounds_sentence(),
        "kr_hynix_b": f"{hynix['window']:.2f}",
        "kr_kospi_b": f"{echo.slope_range('^KS11', '^SOX')['window']:.2f}",
        "kr_hynix_v": clause("000660.KS", 0), "kr_kospi_v": clause("^KS11", 0),
        "tw_tsmc_v": clause("2330.TW", 0), "tw_taiex_v": clause("^TWII", 0),
        "eu_mon": clause("^STOXX", 0), "eu_tue": clause("^STOXX", 1),
        "cg_slopes": markdown(echo.slopes(["^KS11", "000660.KS", "005930.KS", "^TWII", "2330.TW",
                                           "^HSI", "000001.SS", "^STOXX"], SHORT)),
        "cg_stab": (f"SK hynix's slope on the SOX was {hynix['window']:.2f} over the estimation "
                    f"window but ranged from {hynix['lo']:.2f} in {hynix['lo_year']} to "
                    f"{hynix['hi']:.2f} in {hynix['hi_year']} by calendar year"),
    }


@stored
def chapter() -> Chapter:
    """The chapter's prose numbers (glue name -> text) and its three figures."""
    first = {t: asia.first_back(t) for t in FIRST_BACK}
    shut = closures()
    hk_back = sessions.first_session("XHKG", shut["XHKG"][-1])
    sh_back = sessions.first_session("XSHG", shut["XSHG"][-1])
    block = blocks(hk_back, sh_back)
    answers = answer_text(block)
    verdict = {t: answers[echo.key(t, d, "verdict")]
               for t, d in [("^KS11", 0), ("^TWII", 0), ("^HSI", echo.day_of("^HSI", hk_back))]}
    pairs, bars, grid = reopening.pairs(), asia.contagion(), asia.grid()
    at = bars.set_index("ticker")["ret_pct"] / 100
    text = (calendar_text(shut, first) | moves_text(first, hk_back) | gaps_text()
            | funds_text(pairs, verdict) | answers
            | {"nvda": fall(at["NVDA"]), "adv_two": fall(at["6857.T"])})
    figures = {"fig-contagion-grid": (asia.grid_chart(grid), grid),
               "fig-contagion-reopening": (reopening.chart(pairs), reopening.chart_data(pairs)),
               "fig-contagion-first": (asia.contagion_chart(bars), bars)}
    return Chapter(text, figures)
