"""All group statistics for one group of analysed securities, parametric and rank-based.

`group_statistics` extends `eventstudy.group_tests` (same keys, same values for BMP,
Kolari-Pynnönen and the portfolio) with the Corrado rank test (one-day windows), GRANK (with
and without re-standardization), and Cowan's generalized sign test, each with the name of the
distribution its p-value uses. It refuses groups of fewer than MIN_GROUP securities.

Alignment: estimation rows are matched across members by calendar date (a shared event date;
the rank tests' denominator then carries the members' cross-correlation); a member without a
row on a date is missing there. Standardized residuals are e_t / s. Members analysed with
`gap=` carry their gap variance in `windows["t"]`, so BMP, KP and GRANK standardize each
member by its own gap variance; pass the same `gap` here for the portfolio.

Which to show (placebo, 200 random 2021-2023 US dates, groups of 10, 4 and 3 US stocks, share
rejected at 5%): portfolio 4.5-5.5%, Corrado 3-4.5%, GRANK without re-standardization
(`grank_nr`) 1.5-5%, Kolari-Pynnönen 3.5-9%, GRANK re-standardized 7% (n = 10) to 23.5%
(n = 3), BMP 10-21.5%, exact sign test 11.5% with n = 10 (cross-correlation) and no power
with n = 3 (smallest attainable p about 0.25). So for groups this small: portfolio and KP
side by side, `grank_nr` as the rank test; GRANK re-standardized only for large groups.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import ranks
from .eventstudy import (ESTIMATION, WINDOWS, Result, bmp, kolari_pynnonen, mean_pairwise_corr,
                         portfolio)
from .stat import require_group, t_stat


def estimation_matrix(members: list[Result], standardized: bool = True) -> np.ndarray:
    """Estimation residuals, dates x members (union of dates, NaN where a member has none),
    divided by each member's s when `standardized`."""
    cols = [m.resid / np.sqrt(m.fit.s2) if standardized else m.resid for m in members]
    return pd.concat(cols, axis=1, ignore_index=True, sort=True).to_numpy(float)


def group_statistics(members: list[Result], label: str = "", windows=tuple(WINDOWS),
                     estimation: tuple[int, int] = ESTIMATION, gap: str | None = None,
                     port: Result | None = None) -> list[dict]:
    """One dict per window: the `group_tests` keys plus corrado / grank / grank_nr (GRANK
    without re-standardization) / gsign statistics and p-values, and `*_dist` names.
    `port`: the group's portfolio when the members use another model (e.g.
    `leadlag.event_portfolio`); by default `eventstudy.portfolio`."""
    n = len(members)
    require_group(n, label)
    port = (port if port is not None else portfolio(members, label, estimation, gap)).windows
    r = mean_pairwise_corr([m.resid for m in members])
    raw = estimation_matrix(members, standardized=False)
    sar = raw / np.sqrt([m.fit.s2 for m in members])
    out = []
    for w in windows:
        a, b = WINDOWS[w]
        cars = np.array([m.windows.at[w, "car"] for m in members], float)
        scar = np.array([m.windows.at[w, "t"] for m in members], float)
        t_bmp = bmp(scar)
        t_kp = kolari_pynnonen(t_bmp, r, n)
        g = ranks.grank(sar, scar, label)
        g_nr = ranks.grank(sar, scar, label, restandardize=False)
        sign = ranks.generalized_sign(raw, cars, label)
        row = {"group": label, "window": w, "n": n, "caar": float(cars.mean()),
               "bmp": t_bmp, "bmp_p": t_stat(t_bmp, n - 1).p, "r": r, "kp": t_kp,
               "kp_p": t_stat(t_kp, n - 1).p, "port_car": float(port.at[w, "car"]),
               "port_t": float(port.at[w, "t"]), "port_p": float(port.at[w, "p"]),
               "bmp_dist": f"t({n - 1})", "port_dist": f"t({int(port.at[w, 'df'])})",
               "grank": g.stat, "grank_p": g.p, "grank_dist": g.dist,
               "grank_nr": g_nr.stat, "grank_nr_p": g_nr.p,
               "gsign": sign.stat, "gsign_p": sign.p, "gsign_dist": sign.dist,
               "corrado": np.nan, "corrado_p": np.nan, "corrado_dist": "N(0,1)"}
        if a == b:
            day = np.array([m.path["ar"].to_numpy()[a - int(m.path["tau"].iat[0])]
                            for m in members], float)
            c = ranks.corrado(raw, day, label)
            row["corrado"], row["corrado_p"] = c.stat, c.p
        out.append(row)
    return out
