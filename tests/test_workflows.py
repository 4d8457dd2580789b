"""GitHub Actions workflows: valid against the vendored schemas, with the jobs the project needs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
CHECKER = str(Path(sys.executable).with_name("check-jsonschema"))


def load(name: str) -> dict:
    workflow = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    workflow["on"] = workflow.pop(True, workflow.get("on"))  # YAML 1.1 reads `on:` as True
    return workflow


def steps(job: dict) -> list[dict]:
    return job.get("steps", [])


def runs(job: dict) -> str:
    return "\n".join(step.get("run", "") for step in steps(job))


def uses(job: dict) -> list[str]:
    return [step["uses"] for step in steps(job) if "uses" in step]


@pytest.mark.parametrize("schema", ["vendor.github-workflows",
                                    "custom.github-workflows-require-timeout"])
def test_every_workflow_is_valid(schema):
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert {f.name for f in files} >= {"book.yml", "refresh.yml", "linkcheck.yml"}
    # Built-in schemas ship inside check-jsonschema: no network needed.
    done = subprocess.run([CHECKER, "--builtin-schema", schema, *map(str, files)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_schema_check_rejects_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  build:\n    steps:\n      - run: make book\n")  # no runs-on
    done = subprocess.run([CHECKER, "--builtin-schema", "vendor.github-workflows", str(broken)],
                          capture_output=True, text=True)
    assert done.returncode != 0


def test_book_builds_tests_and_deploys_main():
    workflow = load("book.yml")
    assert {"push", "pull_request"} <= set(workflow["on"])
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    script = runs(build)
    for command in ("make data MARKET_DATA=", "deepshock.book.build pdflatex", "-m pytest",
                    "deepshock.book.build html", "_build/html/_static/deepseek-shock.pdf"):
        assert command in script, command
    assert script.index("pdflatex") < script.index("deepshock.book.build html")  # PDF into the site
    for package in ("chromium", "poppler-utils", "texlive-xetex", "latexmk",
                    "fonts-freefont-otf", "xindy"):
        assert package in script, package
    assert build["env"]["MARKET_DATA"] == ""
    assert any(u.startswith("actions/checkout@") for u in uses(build))
    assert any(u.startswith("actions/cache@") and "pip" in str(s.get("with", {}).get("path"))
               for s in steps(build) for u in [s.get("uses", "")])
    pages = [s for s in steps(build) if s.get("uses", "").startswith("actions/upload-pages-artifact@")]
    assert pages and pages[0]["with"]["path"] == "_build/html"
    assert "refs/heads/main" in pages[0]["if"] and "refs/heads/main" in deploy["if"]
    assert deploy["needs"] == "build"
    assert any(u.startswith("actions/deploy-pages@") for u in uses(deploy))
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}


VINTAGE_KEY = "prices-${{ hashFiles('data/vintage.csv') }}"


def index(job: dict, predicate) -> int:
    found = [i for i, step in enumerate(steps(job)) if predicate(step)]
    assert len(found) == 1, found
    return found[0]


def cache_step(job: dict, action: str) -> tuple[int, dict]:
    i = index(job, lambda s: s.get("uses", "").startswith(f"actions/cache/{action}@"))
    return i, steps(job)[i]


def test_book_restores_the_prices_of_the_vintage_and_downloads_only_on_a_miss():
    job = load("book.yml")["jobs"]["build"]
    data = index(job, lambda s: "make data MARKET_DATA=" in s.get("run", ""))
    restore_at, restore = cache_step(job, "restore")
    save_at, save = cache_step(job, "save")
    assert restore_at < data < save_at  # restore, then (on a miss) download, then save
    for step in (restore, save):
        assert step["with"] == {"path": ".cache", "key": VINTAGE_KEY}
    assert save["if"] == f"steps.{restore['id']}.outputs.cache-hit != 'true'"
    assert "zstd" in runs(job)  # same compression as the refresh job: its cache restores here


def test_refresh_is_weekly_and_only_opens_a_pull_request():
    workflow = load("refresh.yml")
    assert workflow["on"]["schedule"][0]["cron"].split()[2:] == ["*", "*", "1"]  # weekly
    job = workflow["jobs"]["refresh"]
    assert job["container"] == load("book.yml")["jobs"]["build"]["container"]
    refresh = index(job, lambda s: "make refresh" in s.get("run", ""))
    restore_at, restore = cache_step(job, "restore")
    save_at, save = cache_step(job, "save")
    assert restore_at < refresh < save_at
    assert restore["with"] == save["with"] == {"path": ".cache", "key": VINTAGE_KEY}
    assert "success" in save["if"]  # a failed refresh never overwrites good prices
    pr_at = index(job, lambda s: s.get("uses", "").startswith("peter-evans/create-pull-request@"))
    pr = steps(job)[pr_at]
    assert pr_at > refresh and pr["with"]["branch"] not in ("main", "master")
    # the pull request carries exactly the vintage and the report, never prices
    assert pr["with"]["add-paths"].split() == ["data/vintage.csv", "data/refresh/report.md"]
    assert pr["with"]["body-path"] == "data/refresh/report.md"
    assert "cp .cache/market-data-refresh.md data/refresh/report.md" in runs(job)
    assert ".csv data/" not in runs(job) and "prices" not in runs(job)
    assert "git push" not in runs(job)
    assert any("pip" in str(s.get("with", {}).get("path")) for s in steps(job))


def test_linkcheck_is_weekly_without_execution():
    workflow = load("linkcheck.yml")
    assert len(workflow["on"]["schedule"][0]["cron"].split()) == 5
    assert workflow["on"]["schedule"][0]["cron"].split()[4] != "*"  # one day a week
    script = runs(workflow["jobs"]["linkcheck"])
    assert "--builder linkcheck" in script and '"off"' in script
    assert any(s.get("with", {}).get("cache") == "pip" for s in steps(workflow["jobs"]["linkcheck"]))


def test_no_workflow_pushes_to_main():
    for path in WORKFLOWS.glob("*.yml"):
        text = path.read_text(encoding="utf-8")
        assert "git push" not in text, path.name


# --- third-party actions pinned to commits ------------------------------------------------------

USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>\S+)(?P<rest>.*)$")
PINNED = re.compile(r"(?P<action>[\w.-]+/[\w.-]+(?:/[\w./-]+)?)@(?P<sha>[0-9a-f]{40})")
VERSION = re.compile(r"\s+# (?P<version>v\d+(?:\.\d+){0,2})\s*$")


def pin_problems(text: str, name: str = "workflow") -> list[str]:
    """Every `uses:` that is not a local action and not `owner/repo[/path]@<40-hex SHA>`
    followed by its release as a comment (`# v4.2.2`); and one SHA per action repository and
    version throughout (`actions/cache` and `actions/cache/restore` are one repository)."""
    problems, seen = [], {}
    for number, line in enumerate(text.splitlines(), 1):
        found = USES.match(line)
        if not found or found["ref"].startswith("./"):
            continue
        pin, comment = PINNED.fullmatch(found["ref"]), VERSION.fullmatch(found["rest"])
        if not pin:
            problems.append(f"{name}:{number}: {found['ref']} is not pinned to a full commit SHA")
        elif not comment:
            problems.append(f"{name}:{number}: {found['ref']} has no version comment (# vX.Y.Z)")
        else:
            repo = "/".join(pin["action"].split("/")[:2])
            key = (repo, comment["version"])
            if seen.setdefault(key, pin["sha"]) != pin["sha"]:
                problems.append(f"{name}:{number}: {repo} {comment['version']} pinned to two SHAs")
    return problems


def test_every_third_party_action_is_pinned_to_a_commit_with_its_version():
    problems, counted = [], 0
    for path in sorted(WORKFLOWS.glob("*.yml")):
        text = path.read_text(encoding="utf-8")
        problems += pin_problems(text, path.name)
        in_yaml = [u for job in load(path.name)["jobs"].values() for u in uses(job)]
        in_text = [m["ref"] for m in map(USES.match, text.splitlines()) if m]
        assert sorted(in_yaml) == sorted(in_text), f"{path.name}: a `uses:` the line check misses"
        counted += len(in_yaml)
    assert counted >= 15 and not problems, "\n".join(problems)


@pytest.mark.parametrize("line, problem", [
    ("- uses: actions/checkout@v4", "not pinned"),
    ("  uses: actions/checkout@main # v4.2.2", "not pinned"),
    ("- uses: actions/checkout@11bd719 # v4.2.2", "not pinned"),
    ("- uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683", "no version comment"),
    ("- uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # latest",
     "no version comment"),
])
def test_the_pin_check_names_an_unpinned_action(line, problem):
    assert problem in " ".join(pin_problems(f"steps:\n{line}\n"))


def test_the_pin_check_accepts_pins_and_local_actions_and_refuses_two_shas_for_one_version():
    good = ("- uses: actions/cache/restore@5a3ec84eff668545956fd18022155c47e93e2684 # v4.2.3\n"
            "- uses: actions/cache@5a3ec84eff668545956fd18022155c47e93e2684 # v4.2.3\n"
            "- uses: ./.github/actions/local\n")
    assert pin_problems(good) == []
    other = "- uses: actions/cache/save@1bd1e32a3bdc45362d1e726936510720a7c30a57 # v4.2.3\n"
    assert "pinned to two SHAs" in " ".join(pin_problems(good + other))
