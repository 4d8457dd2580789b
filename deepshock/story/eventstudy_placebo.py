"""The event study's tests on random dates with no event: their real size on these securities.

`placebo` runs every statistic the chapter shows (single-security t and SQ test; portfolio,
Kolari-Pynnönen, BMP, GRANK without re-standardization, Corrado and the generalized sign test)
on `n` random sessions, each date playing "day 0" for a whole group, under the chapter's own
specification (benchmarks without the stock, Tokyo's lead-lag model, gap variance). It is the
build's slowest step, so its rows are kept in the artefact store (`paths.artefacts_dir()`,
beside the price cache: a clean build reuses them) under a key hashed from everything they
depend on: the groups, dates, windows, specification, the input returns and the source of the
code that computes them. A changed input or method gives a new key.
"""

from __future__ import annotations

import hashlib
import inspect
import pickle
from pathlib import Path

import numpy as np
import pandas as pd

from ..data import paths, sessions
from ..methods import eventstudy as m_es
from ..methods import gaps, leadlag, ranks
from ..methods import groups as m_groups
from ..methods.multiple import rejection_rates
from . import eventstudy as es

GROUPS = {"US semiconductors": ("NVDA", "AVGO", "AMD", "MU", "MRVL", "INTC", "QCOM"),
          "US chip equipment": ("AMAT", "LRCX", "KLAC"),
          "Japan semiconductors": ("6857.T", "8035.T", "6146.T", "6920.T", "7735.T", "6723.T")}
SPAN = ("2024-02-01", "2024-12-20")   # inside the panel, with a full estimation window
WINDOWS = ("[0]", "[0,+1]", "[0,+5]")
TESTS = {"single t": None, "single SQ": None, "portfolio": "port_p", "Kolari-Pynnönen": "kp_p",
         "BMP": "bmp_p", "GRANK": "grank_nr_p", "Corrado": "corrado_p", "sign": "gsign_p"}
VERSION = "1"


def _dates(code: str, n: int, seed: int, span: tuple[str, str]) -> np.ndarray:
    days = sessions.sessions(code, *span).to_numpy()
    return np.sort(np.random.default_rng(seed).choice(days, size=min(n, len(days)),
                                                      replace=False))


def _compute(groups: dict, spec: es.Spec, n: int, seed: int, span, windows) -> pd.DataFrame:
    rows = []
    for group, tickers in groups.items():
        frames = {t: es.full_frame(t, spec).assign(tau=0) for t in tickers}  # own copies
        regs = es.regressors(tickers[0], spec)
        for date in _dates(sessions.code(tickers[0]), n, seed, span):
            day = pd.Timestamp(date)
            members = []
            for t, frame in frames.items():   # move event time in place: no copy per date
                frame["tau"] = np.arange(len(frame)) - int(frame["date"].searchsorted(day))
                members.append(leadlag.event_result(frame, t, regs, spec.estimation, spec.gap))
            for m in members:
                emp = es.empirical(m)
                for w in windows:
                    rows.append((day, group, w, "single t", m.label, m.windows.at[w, "p"]))
                    rows.append((day, group, w, "single SQ", m.label, emp[w]))
            port = leadlag.event_portfolio(members, group, regs, spec.estimation, spec.gap)
            for g in m_groups.group_statistics(members, group, windows, spec.estimation,
                                               spec.gap, port=port):
                for test, key in TESTS.items():
                    if key is not None and np.isfinite(g[key]):
                        rows.append((day, group, g["window"], test, "", g[key]))
    return pd.DataFrame(rows, columns=["date", "group", "window", "test", "ticker", "p"])


def key(groups: dict, spec: es.Spec, n: int, seed: int, span, windows) -> str:
    """Hash of everything the placebo rows depend on."""
    h = hashlib.sha256(repr((VERSION, sorted(groups.items()), spec, n, seed, span,
                             windows)).encode())
    for module in (m_es, gaps, m_groups, leadlag, ranks, es):
        h.update(inspect.getsource(module).encode())
    for tickers in groups.values():
        for t in tickers:
            frame = es.full_frame(t, spec)
            h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return h.hexdigest()[:20]


def placebo(groups: dict | None = None, spec: es.Spec = es.NEW, n: int = 100,
            seed: int = 20250127, span: tuple[str, str] = SPAN, windows=WINDOWS,
            cache: bool = True, where: Path | None = None) -> pd.DataFrame:
    """One row per placebo date, group, window, test (and ticker, for single-security tests)
    with its two-sided p-value; read from the artefact store (`where`, default
    `paths.artefacts_dir()/placebo/`) when the inputs are unchanged."""
    groups = groups or GROUPS
    where = Path(where) if where else paths.artefacts_dir() / "placebo"
    path = where / f"placebo-{key(groups, spec, n, seed, span, windows)}.pkl"
    if cache and path.exists():
        return pd.read_pickle(path)
    rows = _compute(groups, spec, n, seed, span, windows)
    if cache:
        paths.write_atomic(path, pickle.dumps(rows))
    return rows


def rates(rows: pd.DataFrame) -> pd.DataFrame:
    """Rejection rates at 1%, 5% and 10% per test (all groups and windows pooled) and per
    group: index (group or "All", test), columns n, 1%, 5%, 10%."""
    pooled = rejection_rates(rows.assign(group="All"), by=("group", "test"))
    per = rejection_rates(rows, by=("group", "test"))
    return pd.concat([pooled, per])
