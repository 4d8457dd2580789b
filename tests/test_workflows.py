"""GitHub Actions workflows: valid against the vendored schemas, with the jobs the project needs."""

from __future__ import annotations

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
