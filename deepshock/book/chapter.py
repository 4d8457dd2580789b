"""Execute one MyST chapter outside Sphinx (for tests and benchmarks) and collect its glue."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
from myst_nb.core.read import read_myst_markdown_notebook
from nbclient import NotebookClient

from ..data.paths import ROOT


def execute(chapter: Path | str, timeout: int = 600) -> dict[str, dict]:
    """Run `chapter` (path, or a name under chapters/) in a fresh kernel; raise on any error.

    Returns the glued outputs: key -> mime bundle (e.g. bundle['text/markdown']).
    """
    path = Path(chapter)
    if not path.suffix:
        path = ROOT / "chapters" / f"{chapter}.md"
    notebook = read_myst_markdown_notebook(path.read_text(encoding="utf-8"))
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    client.execute()
    return glued(notebook)


def glued(notebook: nbformat.NotebookNode) -> dict[str, dict]:
    found = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            meta = output.get("metadata", {}).get("scrapbook")
            if meta:
                cut = len(meta.get("mime_prefix", ""))
                found[meta["name"]] = {k[cut:]: v for k, v in output["data"].items()}
    return found
