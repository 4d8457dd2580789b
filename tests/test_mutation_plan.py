"""`make mutation`'s pure logic (bench/mutation_plan.py): which tests a module gets, the key its
stored result is reused under, and the score with equivalent mutants left out. A small made-up
repository in tmp_path; nothing is mutated here."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("mutation_plan", ROOT / "bench" / "mutation_plan.py")
plan = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(plan)

FILES = {
    "deepshock/__init__.py": "",
    "deepshock/methods/__init__.py": "",
    "deepshock/methods/stat.py": "def mean(x):\n    return sum(x) / len(x)\n",
    "deepshock/story/__init__.py": '"""Story."""\n',
    "deepshock/story/charts.py": "def chart():\n    return 1\n",
    "deepshock/story/top.py": "from .shocks.page import chapter\n",
    "deepshock/story/shocks/__init__.py": "from .page import chapter  # noqa\n",
    "deepshock/story/shocks/page.py": ("from . import days\nfrom ..charts import chart\n"
                                       "from ...methods.stat import mean\n"
                                       "def chapter():\n    return days.rule()\n"),
    "deepshock/story/shocks/days.py": "def rule():\n    return 2\n",
    "deepshock/story/shocks/spare.py": "def unused():\n    return 3\n",
    "tests/__init__.py": "",
    "tests/conftest.py": "",
    "tests/helpers.py": "X = 1\n",
    "tests/test_shocks.py": "from deepshock.story.shocks import chapter\nfrom tests.helpers import X\n",
    "tests/test_days.py": "from deepshock.story.shocks.days import rule\n",
    "tests/test_top.py": "from deepshock.story import top\n",
    "tests/test_charts.py": "import deepshock.story.charts\n",
    "tests/test_stat.py": "from deepshock.methods import stat\n",
    "tests/test_other.py": "import json\n",
    "tests/test_methods_x.py": "from deepshock.story.shocks import page\n",
}


@pytest.fixture
def repo(tmp_path, monkeypatch) -> Path:
    for name, text in FILES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    monkeypatch.setattr(plan, "TESTS", ["tests/test_stat.py", "tests/test_methods_*.py"])
    monkeypatch.setattr(plan, "SHARED", ["tests/conftest.py"])
    monkeypatch.setattr(plan, "EXTRA_TESTS", {})
    return tmp_path


def test_expand_lists_files_and_skips_init_files_without_functions(repo):
    got = plan.expand(["deepshock/story/shocks/", "deepshock/story/shocks/days.py"], repo)
    assert got == ["deepshock/story/shocks/days.py", "deepshock/story/shocks/page.py",
                   "deepshock/story/shocks/spare.py"]


def test_relative_imports_resolve_to_modules(repo):
    edges = plan.graph(repo)
    assert edges["deepshock.story.shocks.page"] == {
        "deepshock.story.shocks", "deepshock.story.shocks.days",
        "deepshock.story.charts", "deepshock.methods.stat"}
    assert edges["deepshock.story.top"] == {"deepshock.story.shocks.page"}


def test_a_story_module_gets_the_tests_that_reach_it_through_its_own_package(repo):
    # test_shocks imports the package, whose __init__ imports page, which imports days;
    # test_top reaches days only through a module of another package: not selected
    assert plan.select("deepshock/story/shocks/days.py", repo) == [
        "tests/test_days.py", "tests/test_methods_x.py", "tests/test_shocks.py"]
    # a module importing the target itself counts, wherever it sits (top imports page)
    assert plan.select("deepshock/story/shocks/page.py", repo) == [
        "tests/test_methods_x.py", "tests/test_shocks.py", "tests/test_top.py"]
    # charts is imported by page: tests reaching page count, here also through top, a
    # module of charts' own package
    assert plan.select("deepshock/story/charts.py", repo) == [
        "tests/test_charts.py", "tests/test_methods_x.py", "tests/test_shocks.py",
        "tests/test_top.py"]


def test_a_methods_module_gets_the_layer_s_tests_reaching_it_by_any_chain(repo):
    # test_methods_x reaches stat through story's page; test_shocks does too but is no
    # unit test of the layer (not in TESTS)
    assert plan.select("deepshock/methods/stat.py", repo) == [
        "tests/test_methods_x.py", "tests/test_stat.py"]


def test_a_module_no_rule_reaches_gets_nothing_or_the_declared_tests(repo, monkeypatch):
    assert plan.select("deepshock/story/shocks/spare.py", repo) == []
    monkeypatch.setattr(plan, "EXTRA_TESTS", {"deepshock/story/shocks/spare.py":
                                              ["tests/test_other.py"]})
    assert plan.select("deepshock/story/shocks/spare.py", repo) == ["tests/test_other.py"]


def test_the_key_changes_with_the_module_its_tests_and_their_helpers_only(repo):
    module, tests = "deepshock/story/shocks/days.py", ["tests/test_shocks.py"]
    first = plan.key(module, tests, repo)
    assert plan.key(module, tests, repo) == first
    (repo / "deepshock/story/shocks/spare.py").write_text("def unused():\n    return 4\n")
    (repo / "tests/test_other.py").write_text("import os\n")
    assert plan.key(module, tests, repo) == first          # neither is an input
    for edited in (module, "tests/test_shocks.py", "tests/helpers.py", "tests/conftest.py"):
        before = plan.key(module, tests, repo)
        (repo / edited).write_text((repo / edited).read_text() + "\n# edited\n")
        assert plan.key(module, tests, repo) != before, edited
    assert plan.key(module, tests + ["tests/test_days.py"], repo) != plan.key(module, tests, repo)


def test_score_leaves_equivalents_out_and_counts_no_tests_as_survivors():
    codes = {"m__mutmut_1": 1, "m__mutmut_2": 3, "m__mutmut_3": 0, "m__mutmut_4": 33,
             "m__mutmut_5": 0, "m__mutmut_6": 36, "m__mutmut_7": 1}
    counts, survivors = plan.score(codes, {"m__mutmut_5": "same behaviour"})
    assert counts == {"killed": 3, "survived": 1, "no tests": 1, "equivalent": 1, "other": 1,
                      "mutants": 7, "score": 0.6}
    assert survivors == [{"mutant": "m__mutmut_3", "status": "survived"},
                         {"mutant": "m__mutmut_4", "status": "no tests"}]
    assert plan.score({}, {})[0]["score"] is None
