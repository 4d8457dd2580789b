"""The independent oracle (issue 24): the book's key published values recomputed from the raw
snapshot files and the committed facts, and compared with the glued values of the session's
build. See `registry.py`."""
