"""pytest plugin of `make mutation` (`-p mutation_select`, loaded in mutmut's copy only).

- Deselects the tests that need the built book or execute chapters (a fixture named in
  `tests/conftest.py`'s BOOK_FIXTURES in their closure): they are slow, and a chapter runs in
  its own kernel, which imports the package from the checkout, never mutmut's mutated copy.
- At each session's start, empties the in-process caches (`functools.cache`) of the mutated
  module's layer and the layers above it: mutmut forks every mutant's run from a process
  that already ran the tests with the original code, whose cached results would hide a mutant.
- While a mutant is under test (`MUTANT_UNDER_TEST`), `artefacts.keep` computes instead of
  reading the store: the store's key hashes the package's files, the same for every mutant.
"""

from __future__ import annotations

import os
import sys

LAYERS = ("deepshock.data", "deepshock.methods", "deepshock.story", "deepshock.book")
BOOK = frozenset({"site", "glued", "pdf", "visits"})


def pytest_collection_modifyitems(config, items):
    slow = [item for item in items if BOOK & set(getattr(item, "fixturenames", ()))]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if item not in slow]


def _layers_from(module: str) -> tuple[str, ...]:
    """The layer of `module` and the layers above it (all of them for an unknown module)."""
    for i, layer in enumerate(LAYERS):
        if module == layer or module.startswith(layer + "."):
            return LAYERS[i:]
    return LAYERS


def clear_caches(module: str) -> int:
    """Empty every cached function of the loaded deepshock modules from `module`'s layer up."""
    cleared = 0
    layers = _layers_from(module)
    for name, loaded in list(sys.modules.items()):
        if loaded is None or not name.startswith(layers):
            continue
        for value in list(vars(loaded).values()):
            if callable(getattr(value, "cache_clear", None)) and hasattr(value, "cache_info"):
                value.cache_clear()
                cleared += 1
    return cleared


def pytest_sessionstart(session):
    clear_caches(os.environ.get("MUTATION_MODULE", ""))
    if "__mutmut_" in os.environ.get("MUTANT_UNDER_TEST", ""):
        from deepshock.data import artefacts

        artefacts.keep = lambda name, compute, *parts, **_: compute()
