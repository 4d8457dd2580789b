"""A chart's Vega-Lite spec as the story tests compare it: without its named datasets (each
test checks the drawn frame itself), its config and its schema URL."""

from __future__ import annotations


def clean(chart) -> dict:
    """The spec without its data (checked separately), config and schema."""
    def walk(node):
        if isinstance(node, dict):
            return {k: walk(v) for k, v in node.items()
                    if not (k == "data" and isinstance(v, dict) and "name" in v)}
        return [walk(x) for x in node] if isinstance(node, list) else node
    spec = chart.to_dict()
    for key in ("datasets", "config", "$schema"):
        spec.pop(key, None)
    return walk(spec)
