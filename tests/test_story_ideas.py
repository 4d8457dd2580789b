"""The registry of the book's recurring ideas (`story.ideas`): every idea's owner is a story
function that imports, its glue key is a name some story module publishes (a quoted key in the
story layer's source, read as text), and its description is a sentence saying what is
measured. The built pages' agreement with the glued values is `tests/test_ideas.py` (book)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from deepshock.story import ideas

STORY = Path(ideas.__file__).resolve().parent
SOURCES = {path: path.read_text(encoding="utf-8") for path in STORY.rglob("*.py")
           if path.name != "ideas.py"}

# idea -> (owning module, function, glue key), written out again
EXPECTED = {
    "nvidia_fall": ("deepshock.story.nvidia", "record_day", "nv_ret"),
    "nvidia_loss": ("deepshock.story.nvidia", "record_day", "nv_lost"),
    "nvidia_recovery": ("deepshock.story.aftermath", "recovery", "nv_sessions"),
    "sox_fall": ("deepshock.story.selloff", "fall_rank", "so_sox_fall"),
    "spx_fall": ("deepshock.story.selloff", "us_moves", "so_spx"),
    "average_stock": ("deepshock.story.landing", "breadth", "so_sp_ew"),
    "sox_recovery": ("deepshock.story.aftermath", "recovery", "af_sox_sessions"),
    "spx_recovery": ("deepshock.story.shocks.days", "ranks", "sh_rec_spx"),
    "tsmc_move": ("deepshock.story.asia", "first_back", "tsmc"),
    "tsmc_adr_27jan": ("deepshock.story.selloff", "us_moves", "tsm_adr_mon"),
    "share_count_companies": ("deepshock.story.marketvalue", "losses", "mv_universe_n"),
    "companies_27jan": ("deepshock.story.marketvalue", "totals", "mv_n_all"),
}
# a word each description must use: what the idea measures
SAYS = {
    "nvidia_fall": "fall", "nvidia_loss": "share count", "nvidia_recovery": "sessions",
    "sox_fall": "SOX", "spx_fall": "S&P 500", "average_stock": "equal-weighted",
    "sox_recovery": "uncensored", "spx_recovery": "S&P 500", "tsmc_move": "Taipei",
    "tsmc_adr_27jan": "ADR", "share_count_companies": "sourced share count",
    "companies_27jan": "AND a session",
}


def test_the_registry_lists_exactly_the_known_ideas():
    assert set(ideas.IDEAS) == set(EXPECTED)
    for name, (module, function, key) in EXPECTED.items():
        where, glue, _ = ideas.IDEAS[name]
        assert (where, glue) == (f"{module}:{function}", key), name


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_owner_imports_the_owning_function(name):
    module, function, _ = EXPECTED[name]
    found = ideas.owner(name)
    assert callable(found)
    assert found.__name__ == function
    assert found.__module__.startswith(module)


def test_owner_of_an_unknown_idea_is_a_key_error():
    with pytest.raises(KeyError):
        ideas.owner("no_such_idea")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_glue_key_is_published_by_a_story_module(name):
    key = ideas.IDEAS[name][1]
    quoted = re.compile(rf"""["']{re.escape(key)}["']""")
    assert any(quoted.search(text) for text in SOURCES.values()), key


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_description_is_a_sentence_saying_what_is_measured(name):
    text = ideas.IDEAS[name][2]
    assert re.fullmatch(r"[A-Z][^\n]*[a-z)]\.", text), text
    assert SAYS[name] in text
