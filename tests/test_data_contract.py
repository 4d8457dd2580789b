"""`make data` on damaged copies of the real snapshot: structure and content are checked first,
the vintage second. A damaged file gets one short message naming file, line and date (and the
column where there is one), never a list of vintage differences; a real revision gets a bounded
summary on the terminal and every difference in the report beside the cache; anything rejected
or refused leaves the cache byte for byte as it was.

One private snapshot copy (four price files and the real 624 x 511 panel), its vintage and a
synced cache are made once for the module; each case edits one file of the copy (restored
afterwards) and runs `make data` (`cli.main`). Expected messages are built from the raw text
of the files here, not from the package."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from deepshock.data import cli, vintage
from tests.conftest import ROOT, small_book
from tests.test_sync import line_of, lines, tree

SUBSET = {"NVDA": "NVDA.csv", "ARM": "ARM.csv", "^GSPC": "INDEX_GSPC.csv", "^VIX": "INDEX_VIX.csv"}
REJECTED = "data sync rejected, cache left unchanged: "
WINDOW = "2024-12-01..2025-02-28"
SHORT = 2000  # bytes: what the terminal may show for any one case


@pytest.fixture(scope="module")
def world(snapshot, tmp_path_factory):
    """(root, snapshot copy, pristine copy of it, cache) with the environment pointing at them."""
    root = tmp_path_factory.mktemp("contract")
    with pytest.MonkeyPatch.context() as patch:
        small_book(root, patch, SUBSET)
        patch.setenv("DEEPSHOCK_CACHE", str(root / "cache" / "market-data"))
        copy = root / "snapshot"
        (copy / "prices").mkdir(parents=True)
        for name in ("PROVENANCE.md", "manifest.csv"):
            shutil.copyfile(snapshot / name, copy / name)
        for name in SUBSET.values():
            shutil.copyfile(snapshot / "prices" / name, copy / "prices" / name)
        if not (snapshot / "panel" / "closes.csv").is_file():
            pytest.skip("no panel in this snapshot")
        shutil.copytree(snapshot / "panel", copy / "panel")
        vintage.write(vintage.build(copy))
        assert cli.main(["--snapshot", str(copy)]) == 0
        yield root, copy, snapshot, root / "cache" / "market-data"


@pytest.fixture
def run(world, capsys):
    """Edit the copy with `damage(snapshot)`, run `make data`: (exit code, stderr, stdout)."""
    root, copy, pristine, cache = world
    edited: list[Path] = []

    def go(damage):
        capsys.readouterr()
        edited.append(damage(copy))
        code = cli.main(["--snapshot", str(copy)])
        out = capsys.readouterr()
        return code, out.err, out.out

    yield go
    for path in edited:
        shutil.copyfile(pristine / path.relative_to(copy), path)


def report(world) -> str:
    return (world[0] / "cache" / "market-data-refresh.md").read_text()


def closes(snap: Path) -> Path:
    return snap / "panel" / "closes.csv"


def nvda(snap: Path) -> Path:
    return snap / "prices" / "NVDA.csv"


def rewrite(path: Path, edit) -> None:
    rows = lines(path)
    edit(rows)
    path.write_text("".join(rows))


def scaled(row: str, factor: float, columns: list[int] | None = None) -> str:
    cells = row.rstrip("\n").split(",")
    for j in columns or range(1, len(cells)):
        if cells[j]:
            cells[j] = repr(float(cells[j]) * factor)
    return ",".join(cells) + "\n"


# --- damaged files: one message naming file, line, date (column), the cache untouched ---------
# Each case damages the copy and returns (the damaged file, the message after the prefix).

def _panel_duplicated_row(snap):
    n = line_of(closes(snap), "2025-01-27")
    rewrite(closes(snap), lambda r: r.insert(n, r[n - 1]))
    return closes(snap), (f"line {n + 1} (2025-01-27): column date: duplicated date "
                          f"(previous row 2025-01-27)")


def _panel_swapped_rows(snap):
    n = line_of(closes(snap), "2025-01-27")
    rewrite(closes(snap), lambda r: r.__setitem__(slice(n - 1, n + 1), [r[n], r[n - 1]]))
    return closes(snap), (f"line {n + 1} (2025-01-27): column date: dates not sorted "
                          f"(previous row 2025-01-28)")


def _panel_duplicated_last_row(snap):
    n = len(lines(closes(snap)))
    last = lines(closes(snap))[-1].split(",")[0]
    rewrite(closes(snap), lambda r: r.append(r[-1]))
    return closes(snap), (f"line {n + 1} ({last}): column date: duplicated date "
                          f"(previous row {last})")


def _panel_row_dropped_inside_the_window(snap):
    n = line_of(closes(snap), "2025-01-28")
    rewrite(closes(snap), lambda r: r.pop(n - 1))
    return closes(snap), (f"line {n} (2025-01-29): column date: the XNYS session 2025-01-28 "
                          f"before this row is missing")


def _panel_row_dropped_outside_the_window(snap):
    n = line_of(closes(snap), "2023-05-02")
    rewrite(closes(snap), lambda r: r.pop(n - 1))
    return closes(snap), (f"line {n} (2023-05-03): column date: the XNYS session 2023-05-02 "
                          f"before this row is missing")


def _panel_holiday_row_inside_the_window(snap):
    n = line_of(closes(snap), "2025-01-17")  # Friday; Monday 20 January was a holiday
    rewrite(closes(snap), lambda r: r.insert(n, "2025-01-20," + r[n - 1].split(",", 1)[1]))
    return closes(snap), (f"line {n + 1} (2025-01-20): column date: not a XNYS session "
                          f"(Monday; a holiday or filled row?)")


def _panel_text_inside_the_window(snap):
    n = line_of(closes(snap), "2025-01-27")
    column = lines(closes(snap))[0].strip().split(",").index("AAPL")

    def edit(r):
        cells = r[n - 1].rstrip("\n").split(",")
        cells[column] = "abc"
        r[n - 1] = ",".join(cells) + "\n"
    rewrite(closes(snap), edit)
    return closes(snap), f"line {n} (2025-01-27): column AAPL: non-numeric close 'abc'"


def _prices_duplicated_row(snap):
    n = line_of(nvda(snap), "2025-01-27")
    rewrite(nvda(snap), lambda r: r.insert(n, r[n - 1]))
    return nvda(snap), f"line {n + 1}: duplicate date 2025-01-27"


def _prices_swapped_rows(snap):
    n = line_of(nvda(snap), "2025-01-27")
    rewrite(nvda(snap), lambda r: r.__setitem__(slice(n - 1, n + 1), [r[n], r[n - 1]]))
    return nvda(snap), f"line {n + 1}: date 2025-01-27 after 2025-01-28: dates not sorted"


def _prices_holiday_bar_inside_the_window(snap):
    n = line_of(nvda(snap), "2025-01-17")
    rewrite(nvda(snap), lambda r: r.insert(n, "2025-01-20," + r[n - 1].split(",", 1)[1]))
    return nvda(snap), (f"line {n + 1}: 2025-01-20 is not a XNYS session (Monday; a holiday "
                        f"or filled row?)")


def _prices_split_like_jump_inside_the_window(snap):
    raw = pd.read_csv(nvda(snap), dtype={"date": str}).set_index("date")["close"]
    move = 2 * raw["2025-01-27"] / raw["2025-01-24"] * 100 - 100
    n = line_of(nvda(snap), "2025-01-27")
    header = lines(nvda(snap))[0].strip().split(",")
    prices = [header.index(c) for c in ("open", "high", "low", "close", "adj_close")]
    rewrite(nvda(snap), lambda r: r.__setitem__(n - 1, scaled(r[n - 1], 2.0, prices)))
    return nvda(snap), (f"line {n}: close moves {move:+.1f}% on 2025-01-27 (beyond ±40% in one "
                        f"session: split-like); document it in data/known_jumps.csv with a "
                        f"source if it is real")


DAMAGED = {f.__name__[1:]: f for f in (
    _panel_duplicated_row, _panel_swapped_rows, _panel_duplicated_last_row,
    _panel_row_dropped_inside_the_window, _panel_row_dropped_outside_the_window,
    _panel_holiday_row_inside_the_window, _panel_text_inside_the_window,
    _prices_duplicated_row, _prices_swapped_rows, _prices_holiday_bar_inside_the_window,
    _prices_split_like_jump_inside_the_window)}


@pytest.mark.parametrize("case", list(DAMAGED))
def test_a_damaged_file_gets_one_message_naming_file_line_and_date(world, run, case):
    cache = world[3]
    before, written = tree(cache), report(world)
    damaged: list[str] = []

    def damage(snap):
        path, message = DAMAGED[case](snap)
        damaged.append(f"{REJECTED}{path}: {message}\n")
        return path

    code, err, out = run(damage)
    assert (code, err, out) == (1, damaged[0], "")
    assert len(err.encode()) < SHORT
    assert tree(cache) == before  # the cache, byte for byte
    assert report(world) == written  # the last report stands: the damage needs none


# --- real revisions: the vintage names them, bounded on the terminal, in full in the report ---

def _scale_cell(path: Path, day: str, column: str, factor: float) -> None:
    n = line_of(path, day)
    j = lines(path)[0].strip().split(",").index(column)
    rewrite(path, lambda r: r.__setitem__(n - 1, scaled(r[n - 1], factor, [j])))


def refused(snap: Path, what: str, report_path: Path) -> str:
    return (f"{REJECTED}{snap}: differs from {vintage.path()} inside the frozen event window "
            f"{WINDOW}: {what}; every difference is listed in {report_path}; if this snapshot is "
            f"meant to change the book's data, accept it with `make vintage MARKET_DATA={snap}` "
            f"(`python -m deepshock.data.vintage write --from {snap}`)\n")


def test_a_changed_panel_value_inside_the_window_is_refused_by_member_and_date(world, run):
    root, snap, _, cache = world
    before = tree(cache)
    code, err, _ = run(lambda s: _scale_cell(closes(s), "2025-01-27", "AAPL", 1.01)
                       or closes(s))
    found = ["panel AAPL: INSIDE the event window: window (values differ); outside: all "
             "(values differ)", "panel *: INSIDE the event window: 2025-01-27 (values differ)"]
    assert (code, err) == (1, refused(snap, "; ".join(found), root / "cache" /
                                      "market-data-refresh.md"))
    assert tree(cache) == before
    text = report(world)
    assert text.startswith("# Data check: REFUSED\n")
    assert [line for line in text.splitlines() if line.startswith("- ")] == \
        [f"- {line}" for line in found]


def test_a_changed_panel_value_outside_the_window_is_reported_and_installed(world, run):
    _, snap, pristine, cache = world
    code, err, _ = run(lambda s: _scale_cell(closes(s), "2023-05-01", "AAPL", 1.01)
                       or closes(s))
    found = ["panel AAPL: outside: all (values differ)",
             "panel *: outside: 2023-05-01 (values differ)"]
    assert (code, err) == (0, "against vintage.csv (nothing differs inside the frozen event "
                              "window; reported, not stopping):\n" +
                           "".join(f"  {line}\n" for line in found))
    assert (cache / "panel" / "closes.csv").read_bytes() == closes(snap).read_bytes()
    assert closes(snap).read_bytes() != closes(pristine).read_bytes()
    text = report(world)
    assert text.startswith("# Data check: OK\n") and f"- {found[0]}\n- {found[1]}\n" in text


def test_a_price_row_dropped_inside_the_window_is_refused_as_a_lost_session(world, run):
    root, snap, _, cache = world
    before = tree(cache)
    raw = pd.read_csv(nvda(snap), dtype={"date": str})["date"]
    code, err, _ = run(lambda s: rewrite(nvda(s), lambda r: r.pop(line_of(nvda(s), "2025-01-28")
                                                                   - 1)) or nvda(s))
    what = (f"NVDA: INSIDE the event window: 2025-01-28 (rows gone); outside: {len(raw)} rows "
            f"{raw.iloc[0]}..{raw.iloc[-1]} -> {len(raw) - 1} rows {raw.iloc[0]}..{raw.iloc[-1]}")
    assert (code, err) == (1, refused(snap, what, root / "cache" / "market-data-refresh.md"))
    assert tree(cache) == before


def test_a_revised_whole_panel_is_summarised_on_the_terminal_and_listed_in_full(world, run):
    root, snap, pristine, cache = world
    before = tree(cache)
    raw = pd.read_csv(closes(pristine), dtype={"date": str}).set_index("date")
    inside = raw.loc[(raw.index >= "2024-12-01") & (raw.index <= "2025-02-28")]
    members = sorted(raw.columns)
    assert inside.notna().any().all()  # every member trades in the window: all differ there
    code, err, out = run(lambda s: rewrite(closes(s), lambda r: r.__setitem__(
        slice(1, None), [scaled(row, 1.001) for row in r[1:]])) or closes(s))
    what = (f"differences in {len(members)} securities ({len(members)} inside the event "
            f"window): panel {', panel '.join(members[:5])} and {len(members) - 5} more; on "
            f"{len(raw)} dates ({len(inside)} inside the event window), "
            f"{raw.index[0]}..{raw.index[-1]}")
    assert (code, err) == (1, refused(snap, what, root / "cache" / "market-data-refresh.md"))
    assert len(err.encode()) < SHORT
    assert tree(cache) == before
    listed = [line for line in report(world).splitlines() if line.startswith("- panel ")]
    assert [line.split(":")[0][len("- panel "):] for line in listed] == members + ["*"]
    assert all("INSIDE the event window" in line for line in listed)


def test_a_revision_outside_the_window_of_every_member_is_summarised_and_installed(world, run):
    root, snap, pristine, cache = world
    raw = pd.read_csv(closes(pristine), dtype={"date": str}).set_index("date")
    early = raw.loc[raw.index < "2024-06-01"]
    changed = sorted(early.columns[early.notna().any()])
    code, err, _ = run(lambda s: rewrite(closes(s), lambda r: r.__setitem__(
        slice(1, None), [scaled(row, 1.001) if row < "2024-06-01" else row for row in r[1:]]))
        or closes(s))
    assert code == 0 and len(err.encode()) < SHORT
    assert err == (
        "against vintage.csv (nothing differs inside the frozen event window; reported, not "
        f"stopping):\n  differences in {len(changed)} securities (0 inside the event window): "
        f"panel {', panel '.join(changed[:5])} and {len(changed) - 5} more; on {len(early)} "
        f"dates (0 inside the event window), {early.index[0]}..{early.index[-1]}\n"
        f"  every difference is listed in {root / 'cache' / 'market-data-refresh.md'}\n")
    listed = [line for line in report(world).splitlines() if line.startswith("- panel ")]
    assert len(listed) == len(changed) + 1  # each member, and the dates
    assert (cache / "panel" / "closes.csv").read_bytes() == closes(snap).read_bytes()


def test_every_case_is_in_the_data_chapters_catalogue():
    """The catalogue in chapters/data.md names each damaged input above and only tests that
    exist here."""
    import re
    text = (ROOT / "chapters" / "data.md").read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if "`test_data_contract::" in line]
    assert {case for line in rows for case in re.findall(r"…\[(\w+)\]", line)} == set(DAMAGED)
    tests = {name for line in rows for name in re.findall(r"`test_data_contract::(test_\w+)`?",
                                                          line)}
    here = {name for name in globals() if name.startswith("test_")}
    assert tests <= here and here - tests == {"test_every_case_is_in_the_data_chapters_catalogue"}
