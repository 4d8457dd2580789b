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


def test_refresh_is_weekly_and_only_opens_a_pull_request():
    workflow = load("refresh.yml")
    assert workflow["on"]["schedule"][0]["cron"].split()[2:] == ["*", "*", "1"]  # weekly
    job = workflow["jobs"]["refresh"]
    assert "make refresh" in runs(job)
    pr = [s for s in steps(job) if s.get("uses", "").startswith("peter-evans/create-pull-request@")]
    assert pr and pr[0]["with"]["branch"] not in ("main", "master")
    assert pr[0]["with"]["add-paths"] == "data/refresh/*"  # the report and manifest, no prices
    assert "git push" not in runs(job)
    assert any(s.get("with", {}).get("cache") == "pip" for s in steps(job))


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
