"""One number per idea (READER.md): every built page states each registered idea
(`deepshock.story.ideas.IDEAS`) with the value its owning page glues.

For each idea the test knows how a sentence states it (STATES: patterns with the number as
group `n`), reads the prose of every page of the built site, and compares each statement's
number, at the precision the sentence gives, with the glued value (read from the executed
notebooks' glue files). A sentence about another day or a window of several sessions is not a
statement of a one-day idea (OTHER_DAY). CLAIMS are sentences that call a figure "the" measure:
they must carry the glued value. Inconsistencies that the chapter helpers are fixing are
listed in KNOWN: the list only shrinks, and a listed pair that now agrees fails the test.
"""

from __future__ import annotations

import glob
import json
import re
from pathlib import Path

import pytest

from deepshock.story.ideas import IDEAS, owner
from tests.test_browser import pages, site  # noqa: F401  (the session's one build of the book)
from tests.test_style import prose

NUM = r"(?P<n>\d[\d,]*(?:\.\d+)?)"
FALL = r"(?:fell|lost|dropped|sank|down|had fallen)"
BEYOND = r"(?!\s*(?:beyond|more than|below (?:its|the) (?:market|model)))"  # an abnormal return
# sentences about another day than 27 January 2025, or about a window of several sessions
OTHER_DAY = re.compile(
    r"\b(?!27 Jan)\d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\b"
    r"|\b(?:sessions from|over the \w+ (?:New York )?sessions"
    r"|in two|both days|on average|comparison days?)\b")
ONE_DAY = {"nvidia_fall", "nvidia_loss", "sox_fall", "spx_fall", "average_stock"}
STATES: dict[str, list[str]] = {
    "nvidia_fall": [rf"\bNvidia(?:’s shares)?[^.;%$]{{0,40}}?\b{FALL}\s+{NUM}%{BEYOND}"],
    "nvidia_loss": [r"\bNvidia[^.;]{0,80}?(?<!reported )(?<!the )\$" + NUM + r"\s?bn"],
    "nvidia_recovery": [r"\bNvidia\b[^.;]{0,160}?(?:took|closed at or above|regained|back)"
                        r"[^.;]{0,80}?\b" + NUM + r" sessions"],
    "sox_fall": [rf"\b(?:SOX|chip index)[^.;%]{{0,40}}?\b{FALL}\s+{NUM}%"],
    "spx_fall": [rf"(?<!equal-weighted )\bS&P 500[^.;%]{{0,30}}?\b{FALL}\s+{NUM}%"],
    "average_stock": [rf"\b(?:average (?:stock|member)|equal-weighted S&P 500)[^.;:%]{{0,12}}?"
                      rf"\b(?:rose|fell)\s+{NUM}%",
                      r"\baverage (?:stock|member)[^.;]{0,20}?(?P<n>unchanged)"],
    "sox_recovery": [r"\bSOX\b(?![^.;]*comparison day)[^.;]{0,120}?(?:regain|recover|back at)"
                     r"[^.;]{0,80}?\b" + NUM + r" sessions"],
    "spx_recovery": [r"\bS&P 500\b(?![^.;]*comparison day)[^.;]{0,120}?(?:regain|recover"
                     r"|back at)[^.;]{0,80}?\b" + NUM + r" sessions"],
    "tsmc_move": [rf"\bTSMC(?:’s Taipei shares| Taipei)?\s+{FALL}?\s*{NUM}%"],
    "tsmc_adr_27jan": [rf"\bTSMC’s New York shares[^.;%]{{0,40}}?{FALL}\s+{NUM}%"],
    "share_count_companies": [NUM + r" companies with a sourced share count"],
    "companies_27jan": [NUM + r"(?: hand-picked)?(?: AI-exposed)? companies with a share "
                        r"count and a session"],
}
# sentences that name one figure as THE measure of an idea: they must state its glued value
CLAIMS: dict[str, str] = {
    "tsmc_move": r"\bTSMC\b[^.]*(?:one TSMC figure|cleaner measure|better measure|the measure)"
                 r"|(?:one TSMC figure|cleaner measure|better measure)[^.]*\bTSMC\b",
}
# (idea, page) -> why the page states another number today, and who fixes it.
KNOWN: dict[tuple[str, str], str] = {
    ("average_stock", "shocks"): "calls the equal-weighted fund's (RSP) rise of 0.1% the average "
                                 "stock, where the sell-off's average member was unchanged to "
                                 "one decimal: one measure, one name (h23-asia with h23-us)",
    ("tsmc_move", "eventstudy"): "calls the ADR's abnormal return on 27 January the cleaner "
                                 "measure of TSMC, where the contagion chapter names the Taipei "
                                 "line the book's one TSMC figure (h23-research)",
}
# ideas whose glue key the owning page does not publish yet -> who adds it
UNGLUED: dict[str, str] = {
    "sox_recovery": "the aftermath draws it (103 sessions in its chart's CSV) but glues no value "
                    "for the prose to cite (h23-asia: glue af_sox_sessions)",
}


def glue_values(build: Path) -> dict[str, list[tuple[str, str]]]:
    """glue key -> [(page, text)] over every executed notebook."""
    found: dict[str, list[tuple[str, str]]] = {}
    for path in glob.glob(str(build / "jupyter_execute" / "**" / "*.glue.json"), recursive=True):
        page = Path(path).name.removesuffix(".glue.json")
        for key, output in json.loads(Path(path).read_text(encoding="utf-8")).items():
            data = output.get("data") or {}
            text = data.get("text/markdown") or data.get("text/plain") or ""
            found.setdefault(key, []).append((page, "".join(text) if isinstance(text, list)
                                              else str(text)))
    return found


def value_of(text: str) -> float:
    """The number a glued text states ('fell 17.0%' -> 17.0, '$592.7bn' -> 592.7, 'was
    unchanged to one decimal' -> 0.0, 'regained ... after 14 sessions' -> 14)."""
    if "unchanged" in text:
        return 0.0
    found = re.search(r"\d[\d,]*(?:\.\d+)?", text.replace("−", "-"))
    if not found:
        raise ValueError(f"no number in the glued text {text!r}")
    return float(found.group().replace(",", ""))


def same(stated: str, value: float) -> bool:
    """A statement agrees when the glued value, rounded as the statement is, reads the same."""
    if stated == "unchanged":
        return f"{abs(value):.1f}" == "0.0"
    digits = stated.replace(",", "")
    decimals = len(digits.split(".")[1]) if "." in digits else 0
    return f"{abs(value):.{decimals}f}" == f"{float(digits):.{decimals}f}"


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.;!?])\s+(?=[A-Z(“‘])", text) if s]


def statements(idea: str, text: str) -> list[tuple[str, str]]:
    """(number as stated, sentence) of every statement of `idea` in a page's prose."""
    found = []
    parts = sentences(text)
    if idea in ONE_DAY:  # a clause after a colon states its own day
        parts = [c for s in parts for c in re.split(r":\s+", s)]
    for sentence in parts:
        if idea in ONE_DAY and OTHER_DAY.search(sentence):
            continue
        for pattern in STATES[idea]:
            found += [(m.group("n"), sentence) for m in re.finditer(pattern, sentence)]
    return found


def disagreements(texts: dict[str, str], values: dict[str, float]) -> dict[tuple[str, str], list]:
    """(idea, page) -> the statements (number, sentence) that do not match the glued value."""
    bad: dict[tuple[str, str], list] = {}
    for idea, value in values.items():
        for page, text in texts.items():
            wrong = [(n, s[:160]) for n, s in statements(idea, text) if not same(n, value)]
            claim = CLAIMS.get(idea)
            if claim:
                want = f"{abs(value):.1f}"
                wrong += [("(claim)", s[:160]) for s in sentences(text)
                          if re.search(claim, s) and want not in s]
            if wrong:
                bad[(idea, page)] = wrong
    return bad


# --- the method can fail -------------------------------------------------------------------------

def test_a_page_with_another_number_is_listed():
    texts = {"a": "On Monday 27 January Nvidia fell 17.0% and the SOX fell 9.1%.",
             "b": "Nvidia fell 17% that day. The SOX fell 9.2% on 27 January.",
             "c": "The SOX fell 6.7% over the eight New York sessions from 22 to 31 January.",
             "d": "TSMC fell 5.7%. The cleaner measure of TSMC is its ADR: -13.5%.",
             "e": "The average member was unchanged to one decimal; the equal-weighted S&P 500 "
                  "rose 0.1%."}
    values = {"nvidia_fall": 16.97, "sox_fall": 9.148, "tsmc_move": 5.73, "average_stock": 0.03}
    bad = disagreements(texts, values)
    assert set(bad) == {("sox_fall", "b"), ("tsmc_move", "d"), ("average_stock", "e")}
    assert bad[("average_stock", "e")][0][0] == "0.1"
    assert value_of("was unchanged to one decimal") == 0.0
    assert value_of("regained its close before the shock after 14 sessions") == 14


def test_every_idea_has_an_owner_and_a_way_to_find_it():
    for name, (where, key, description) in IDEAS.items():
        assert callable(owner(name)), f"{name}: owner {where} is not a function"
        assert re.fullmatch(r"[a-z][\w-]*", key), f"{name}: glue key {key!r}"
        assert description.endswith("."), f"{name}: describe what is measured"
        assert name in STATES, f"{name}: tests/test_ideas.py has no pattern for its statements"
    assert not set(STATES) - set(IDEAS) and not set(KNOWN_IDEAS()) - set(IDEAS)


def KNOWN_IDEAS() -> set[str]:  # noqa: N802
    return {idea for idea, _ in KNOWN} | set(UNGLUED)


# --- the book ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def book(site):  # noqa: F811
    texts = {p.stem: prose(p.read_text(encoding="utf-8")) for p in pages(site)}
    return texts, glue_values(site.parent)


@pytest.mark.build
def test_each_idea_is_glued_once_by_its_owner(book):
    _, glued = book
    problems = []
    for name, (_, key, _) in IDEAS.items():
        where = glued.get(key, [])
        if not where and name not in UNGLUED:
            problems.append(f"{name}: no page glues {key!r}")
        elif where and name in UNGLUED:
            problems.append(f"{name}: {key!r} is glued now: remove it from UNGLUED")
        elif len({page for page, _ in where}) > 1:
            problems.append(f"{name}: {key!r} glued by {sorted({p for p, _ in where})}")
    assert not problems, "; ".join(problems)


@pytest.mark.build
def test_every_page_states_each_idea_with_its_glued_value(book):
    texts, glued = book
    values = {name: value_of(glued[key][0][1]) for name, (_, key, _) in IDEAS.items()
              if key in glued}
    bad = disagreements(texts, values)
    new = {k: v for k, v in bad.items() if k not in KNOWN}
    fixed = sorted(k for k in KNOWN if k not in bad)
    message = [f"{idea} on {page}: states {', '.join(n for n, _ in found)} where the book "
               f"glues {values[idea]:g} ({found[0][1]!r})" for (idea, page), found in new.items()]
    if fixed:
        message.append(f"now consistent, remove from KNOWN: {fixed}")
    assert not message, "\n".join(message)
