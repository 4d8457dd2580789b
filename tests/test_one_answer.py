"""One answer per market-day: every number a page glues about how much of a market's move was
the usual echo of New York is the one model's (`story.transmission`), and only the chapter that
tells that market's story states it (`echo.OWNER`); other pages link to it.

The glued values are read from the built book's executed notebooks
(`_build/jupyter_execute/**/*.glue.json`, the `site` fixture's one build), parsed back into
numbers, and compared with `transmission.security` rows; the formatting is the test's own."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from deepshock.story import echo, shocks
from deepshock.story import transmission as tr
from tests.test_browser import site  # noqa: F401  (the session's one build of the book)

KEY = re.compile(r"^tm_(?P<slug>[0-9A-Za-z]+)_d(?P<day>\d+)_(?P<field>\w+)$")
NUMBER = re.compile(r"[-+\u2212]?\d+\.\d")   # published negatives take the minus sign
BOUND = {"close to close": "cc", "open to close": "oc", "index contract": "intraday"}
FIELDS = re.compile(r"^(total|band|verdict|(echo|excess)_(cc|oc))$")
# the names the chapters' tables give the securities
NAMES = {"Nikkei 225": "^N225", "Advantest": "6857.T", "Tokyo Electron": "8035.T",
         "SoftBank Group": "9984.T", "KOSPI": "^KS11", "SK hynix": "000660.KS",
         "Samsung Electronics": "005930.KS", "Taiex": "^TWII", "TSMC": "2330.TW",
         "Hang Seng": "^HSI", "Shanghai Composite": "000001.SS",
         "STOXX Europe 600": "^STOXX", "Euro STOXX 50": "^STOXX50E", "DAX": "^GDAXI",
         "Schneider Electric": "SU.PA"}
SLUGS = {re.sub(r"[^0-9A-Za-z]", "", t): t for t in NAMES.values()}
# keys of the pass-through models these pages used to glue, each its own answer
RETIRED = re.compile(r"^(pt_|es_tk_|sh_tokyo_(usual|abn))")


@pytest.fixture(scope="module")
def glued(site) -> dict[str, dict[str, str]]:  # noqa: F811
    """page ('chapters/tokyo') -> glue key -> its markdown text."""
    root = site.parent / "jupyter_execute"
    pages = {}
    for path in sorted(root.rglob("*.glue.json")):
        page = path.relative_to(root).as_posix().removesuffix(".glue.json")
        data = json.loads(path.read_text(encoding="utf-8"))
        pages[page] = {k: "".join(v["data"].get("text/markdown") or "") for k, v in data.items()}
    assert "chapters/tokyo" in pages and "chapters/contagion" in pages, sorted(pages)
    return pages


def rows(ticker: str, day: int) -> pd.DataFrame:
    return tr.security(ticker, tr.NEWS_UTC, (day,))


def close(text: str, *values: float) -> None:
    """The numbers in `text` are `values` (fractions) in percent to one decimal."""
    got = [float(x.replace("\u2212", "-")) for x in NUMBER.findall(text)]
    assert len(got) == len(values), (text, values)
    for g, v in zip(got, values):
        assert abs(g - v * 100) <= 0.05 + 1e-9, (text, values)


def verdict(part: pd.DataFrame) -> str:
    if (part["bound"] == "none").any():
        return "not measured"
    lo, hi = part["excess_lo"], part["excess_hi"]
    if (hi < 0).all() or (lo > 0).all():
        return "beyond the usual echo"
    return "within the usual echo" if ((lo <= 0) & (hi >= 0)).all() else "depends on the lead"


def check_key(ticker: str, day: int, field: str, text: str) -> None:
    part = rows(ticker, day)
    first = part.iloc[0]
    if field == "total":
        close(text, first["total"])
    elif field == "band":
        close(text, first["total_hi"] - first["total"])
    elif field == "verdict":
        assert text == verdict(part)
    elif field.startswith(("echo_", "excess_")):
        what, bound = field.split("_")
        col = "predicted" if what == "echo" else "excess"
        r = part.loc[part["bound"] == bound].iloc[0]
        assert ", 95% CI " in text and " to " in text, text
        close(text, r[col], r[f"{col}_lo"], r[f"{col}_hi"])
    else:
        raise AssertionError(f"unknown field {field!r}")


def test_every_glued_answer_is_the_model_s(glued):
    seen = 0
    for page, keys in glued.items():
        for key, text in keys.items():
            m = KEY.match(key)
            if m:
                assert FIELDS.match(m["field"]), key
                check_key(SLUGS[m["slug"]], int(m["day"]), m["field"], text)
                seen += 1
    assert seen >= 100, seen   # Tokyo's eight market-days and contagion's fifteen, at least


def parse_table(text: str) -> list[tuple[str, int, str, list[float], str]]:
    """(ticker, day, bound, numbers in the row, verdict) per row of a glued answer table."""
    out, ticker, day = [], None, None
    for line in text.splitlines()[2:]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[0]:
            name, when = re.match(r"(.+), (\w{3} \d+ \w{3})", cells[0]).groups()
            ticker = NAMES[name]
            frame = tr.clock.leads(ticker, tr.LEADS)
            date = pd.Timestamp(f"{when} {tr.NEWS_UTC.year}")
            day = int(frame.index[frame["date"] == date][0]) - tr.day0(frame, tr.NEWS_UTC)
        lead = cells[1]
        bound = "none" if lead == "not measured" else BOUND[lead.split(" (")[0]]
        numbers = [float(x.replace("\u2212", "-")) for x in NUMBER.findall(" ".join(cells[2:7]))]
        out.append((ticker, day, bound, numbers, cells[7]))
    return out


def test_every_glued_answer_table_is_the_model_s(glued):
    tables = {(p, k): t for p, keys in glued.items() for k, t in keys.items()
              if k.startswith("tm_table_")}
    assert len(tables) >= 5
    for (page, key), text in tables.items():
        parsed = parse_table(text)
        assert parsed, key
        for ticker, day, bound, numbers, said in parsed:
            part = rows(ticker, day)
            r = part.loc[part["bound"] == bound].iloc[0]
            first = bound == part["bound"].iloc[0]
            if bound == "none":
                assert said == "not measured"
                continue
            want = [r["lead_^GSPC"], r["lead_^SOX"]]
            want += [r["total"], r["total_lo"], r["total_hi"]] if first else []
            want += [r[c] for c in ("predicted", "predicted_lo", "predicted_hi",
                                    "excess", "excess_lo", "excess_hi")]
            assert len(numbers) == len(want), (key, ticker, day, bound, numbers)
            for g, v in zip(numbers, want):
                assert abs(g - v * 100) <= 0.05 + 1e-9, (key, ticker, day, bound)
            assert said == (verdict(part) if first else "")


def owner(ticker: str) -> str:
    return f"chapters/{echo.OWNER[tr.market_of(ticker)]}"


def test_only_the_owning_chapter_states_a_market_s_answer(glued):
    """Two chapters cannot disagree: a market-day's answer is glued by one page only."""
    for page, keys in glued.items():
        for key, text in keys.items():
            m = KEY.match(key)
            if m:
                assert page == owner(SLUGS[m["slug"]]), (page, key)
            if key.startswith("tm_table_"):
                for ticker, *_ in parse_table(text):
                    assert page == owner(ticker), (page, key, ticker)
            assert not RETIRED.match(key), (page, key)


def test_the_comparison_table_repeats_the_same_model_for_deepseek(glued):
    """'Compared with what' shows each event's market-days; its DeepSeek row quotes exactly
    what the owning chapters state (the same function and parameters, close to close)."""
    text = glued["chapters/shocks"]["sh_travel_table"]
    header = [c.strip() for c in text.splitlines()[0].strip().strip("|").split("|")]
    row = next(line for line in text.splitlines() if "DeepSeek" in line)
    cells = dict(zip(header, [c.strip() for c in row.strip().strip("|").split("|")]))
    for market, ticker in shocks.LOCAL.items():
        for piece, day in zip(cells[market].split(" · "), shocks.DAYS):
            r = rows(ticker, day).query("bound == 'cc'").iloc[0]
            close(piece, r["total"], r["excess"])
            assert ("‡" in piece) == (verdict(rows(ticker, day)) == "beyond the usual echo")
