"""The declared schema of the facts (`data/datapackage.json`, a Frictionless Data Package) and
the one validator of every facts file.

`check(names)` reads each file (its structure: UTF-8, one field per column, the declared
columns), checks its cells and keys against the declaration with the `frictionless` library
(types, formats, constraints, primary keys, foreign keys to the universe), then runs the rules
the standard cannot express (`rules`). A file that passes gets a stamp under
`_build/facts-checked/`, named by a hash of the declaration, this validator and the bytes of the
file and of the files it refers to. `table(name)` serves the typed table (dates as timestamps,
numbers as floats, lists as lists, text trimmed) once its stamp is there, checking first when it
is not: a chapter's kernel never imports frictionless for facts `make data` or the build driver
already checked, and a changed file is always checked again. Every rejection is a `DataError`
naming the file, the line and the column; `make data` and the build stop on it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
import time
from contextlib import contextmanager
from functools import cache
from importlib import metadata
from pathlib import Path

import pandas as pd

from . import rules
from .paths import facts_dir, write_atomic
from .validate import DataError

PACKAGE = "datapackage.json"
VERSION = "1"
NOUN = {"claims": "claim", "known_jumps": "jump"}  # "<noun> has no <column>" (default: row)
EMPTY = {("shocks", "time_source"): "news time has no time_source",  # a required cell left empty
         ("index_changes", "added"): "no ticker added",
         ("earnings", "tickers"): "tickers names no ticker"}
_DAY = re.compile(r"\s*\d{4}-\d{2}-\d{2}\s*")


# ---- the declaration ----------------------------------------------------------------------

def package_path(data: Path | None = None) -> Path:
    return (data or facts_dir()) / PACKAGE


def descriptor(data: Path | None = None) -> dict:
    """The data package of `data/` as a dict (read again when the file changes)."""
    path = package_path(data)
    try:
        return _parse(path.read_bytes())
    except FileNotFoundError:
        raise DataError(f"{path}: missing: the facts have no declared schema") from None
    except ValueError as exc:
        raise DataError(f"{path}: not valid JSON: {exc}") from None


@cache
def _parse(raw: bytes) -> dict:
    return json.loads(raw)


def resources(data: Path | None = None) -> dict[str, dict]:
    """Declared resources by name, in the declaration's order."""
    return {r["name"]: r for r in descriptor(data)["resources"]}


def facts_files(data: Path | None = None) -> list[str]:
    """The facts files the validator checks: every declared resource not written by a program
    (`writtenBy`, e.g. the vintage, which `deepshock.data.vintage` checks)."""
    return [n for n, r in resources(data).items() if "writtenBy" not in r]


def fields(name: str, data: Path | None = None) -> list[dict]:
    return resources(data)[name]["schema"]["fields"]


def closure(name: str, data: Path | None = None) -> list[str]:
    """`name` and the files it refers to (foreign keys, rules), referred-to files first."""
    found: list[str] = []

    def visit(n: str) -> None:
        if n in found:
            return
        keys = resources(data)[n]["schema"].get("foreignKeys", [])
        for other in [k["reference"]["resource"] for k in keys] + list(rules.needs(n)):
            if other and other != n:
                visit(other)
        found.append(n)

    visit(name)
    return found


# ---- reading ------------------------------------------------------------------------------

class Lines(tuple):
    """The file line of each row of a facts table (`attrs["lines"]`): pandas deep-copies `attrs`
    into every frame derived from the table, so this immutable tuple is shared, not copied."""

    def __deepcopy__(self, memo: dict) -> "Lines":
        return self


def read_facts(name: str, path: Path | None = None, columns: list[str] | None = None,
               raw: bytes | None = None) -> pd.DataFrame:
    """`data/<name>.csv` as text, exactly as written: every record has as many fields as the
    header, the header (trimmed) holds `columns` (default: the declared fields), every row a
    source. `attrs` holds each row's file line (`lines`) and the file's `path`."""
    path = path or facts_dir() / f"{name}.csv"
    if raw is None:
        if not path.is_file():
            raise DataError(f"{path}: missing facts file")
        raw = path.read_bytes()
    header, rows, lines = _records(path, raw)
    missing = [c for c in (columns or [f["name"] for f in fields(name)]) if c not in header]
    if missing:
        raise DataError(f"{path}: line 1: missing columns {missing}")
    table = pd.DataFrame(rows, columns=header, dtype=str) if rows else \
        pd.DataFrame({c: pd.Series(dtype=str) for c in header})
    for i, source in enumerate(table["source"]):
        if not source.strip():
            raise DataError(f"{path}: line {lines[i]}: row has no source")
    table.attrs.update(lines=Lines(lines), path=str(path))
    return table


def _records(path: Path, raw: bytes) -> tuple[list[str], list[list[str]], list[int]]:
    """Header (trimmed), records and the file line where each record starts; blank lines are
    skipped; a record with another number of fields than the header is refused (pandas would
    shift its columns)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: unreadable CSV: {exc}") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [c.strip() for c in next(reader, [])]
        rows, lines, start = [], [], reader.line_num + 1
        for row in reader:
            if row:
                if len(row) != len(header):
                    raise DataError(f"{path}: line {start}: {len(row)} fields, header has "
                                    f"{len(header)}")
                rows.append(row)
                lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise DataError(f"{path}: unreadable CSV: {exc}") from None
    if not header or header == [""]:
        raise DataError(f"{path}: empty file (no header)")
    return header, rows, lines


def typed(name: str, raw: pd.DataFrame, data: Path | None = None) -> pd.DataFrame:
    """The declared columns of a checked table with their types: text trimmed, dates as
    timestamps (NaT when empty), numbers as floats (NaN when empty), lists as lists."""
    out = {}
    for field in fields(name, data):
        text = raw[field["name"]].str.strip()
        kind = field["type"]
        if kind == "date":  # the standard's form, which frictionless reads leniently (2025-1-7)
            for i in text.index[(text != "") & ~text.str.fullmatch(r"\d{4}-\d{2}-\d{2}")]:
                rules.fail(name, i, f"{field['name']} {raw.at[i, field['name']]!r} is not "
                                    f"YYYY-MM-DD", raw)
            out[field["name"]] = pd.to_datetime(text.replace("", None), format="%Y-%m-%d")
        elif kind in ("number", "integer"):
            values = pd.to_numeric(text.replace("", None), errors="coerce").astype(float)
            bad = values.isin([math.inf, -math.inf]) | (values.isna() & (text != ""))
            for i in values.index[bad]:
                rules.fail(name, i, f"{field['name']} {raw.at[i, field['name']]!r} is not a "
                                    f"number", raw)
            out[field["name"]] = values
        elif kind == "datetime":  # a strptime form, read strictly (frictionless takes 2025-1-7)
            pattern, form = _form(field)
            for i in text.index[(text != "") & ~text.str.fullmatch(pattern)]:
                rules.fail(name, i, f"{field['name']} {raw.at[i, field['name']]!r} is not "
                                    f"{form}", raw)
            out[field["name"]] = pd.to_datetime(text.replace("", None), format=field["format"],
                                                utc=field["format"].endswith("Z"))
        elif kind == "list":
            sep = field.get("delimiter", ",")
            out[field["name"]] = [[n.strip() for n in t.split(sep) if n.strip()] for t in text]
        else:
            out[field["name"]] = text
    table = pd.DataFrame(out, index=raw.index)
    table.attrs.update(raw.attrs)
    return table


_STRPTIME = {"%Y": (r"\d{4}", "YYYY"), "%m": (r"\d{2}", "MM"), "%d": (r"\d{2}", "DD"),
             "%H": (r"\d{2}", "HH"), "%M": (r"\d{2}", "MM"), "%S": (r"\d{2}", "SS")}


def _form(field: dict) -> tuple[str, str]:
    """A datetime field's strptime format as a strict pattern and as the form a message names
    ('YYYY-MM-DDTHH:MMZ (UTC)' for '%Y-%m-%dT%H:%MZ')."""
    parts = re.split(r"(%[A-Za-z])", field["format"])
    pattern = "".join(_STRPTIME[p][0] if p in _STRPTIME else re.escape(p) for p in parts)
    form = "".join(_STRPTIME[p][1] if p in _STRPTIME else p for p in parts)
    return pattern, form + (" (UTC)" if field["format"].endswith("Z") else "")


# ---- checking -----------------------------------------------------------------------------

def check(names: list[str] | None = None, data: Path | None = None, force: bool = False
          ) -> dict[str, pd.DataFrame]:
    """Check `names` (default: every facts file) and the files they refer to, except those
    whose stamp says they passed as they are (unless `force`); stamp each file that passes and
    return the typed tables. Raises `DataError` on the first problem, in the order: structure,
    declared types and keys, rules."""
    data = Path(data or facts_dir())
    if names is None:
        names = facts_files(data)
        undeclared = _undeclared(data)
        if undeclared:
            raise DataError(f"{data / (undeclared[0] + '.csv')}: a facts file that "
                            f"{PACKAGE} does not declare (add a resource for it)")
    order = [n for name in names for n in closure(name, data)]
    order = list(dict.fromkeys(order))
    blobs = {n: _blob(data / f"{n}.csv") for n in order}
    raws = {}
    for n in order:
        raws[n] = read_facts(n, data / f"{n}.csv", raw=blobs[n])
        extra = [c for c in raws[n].columns if c not in {f["name"] for f in fields(n, data)}]
        if extra:
            raise DataError(f"{data / f'{n}.csv'}: line 1: columns {extra} are not declared in "
                            f"{PACKAGE}")
    todo = [n for n in order if force or not _stamp(n, data, blobs).is_file()]  # stamped: good
    _declared(todo, order, raws, data)
    tables = {n: typed(n, raws[n], data) for n in order}
    for n in todo:
        rules.run(tables, n)
    for n in todo:
        write_atomic(_stamp(n, data, blobs), b"")
    return tables


def check_all(data: Path | None = None, force: bool = False) -> str:
    """Check every facts file (those without a stamp, or all if `force`); return a one-line
    summary with the time it took."""
    started = time.perf_counter()
    data = Path(data or facts_dir())
    names = facts_files(data)
    if not force and all(_stamp(n, data, {m: _blob(data / f"{m}.csv") for m in closure(n, data)})
                         .is_file() for n in names) and not _undeclared(data):
        return (f"facts: {len(names)} files already checked against {PACKAGE} "
                f"({time.perf_counter() - started:.2f} s)")
    tables = check(None, data, force)
    return (f"facts: {len(tables)} files checked against {PACKAGE} "
            f"({time.perf_counter() - started:.2f} s)")


def table(name: str, data: Path | None = None) -> pd.DataFrame:
    """The typed table of `data/<name>.csv`, checked first unless its stamp says it was."""
    data = Path(data or facts_dir())
    order = closure(name, data)
    blobs = {n: _blob(data / f"{n}.csv") for n in order}
    if not _stamp(name, data, blobs).is_file():
        return check([name], data)[name]
    return typed(name, read_facts(name, data / f"{name}.csv", raw=blobs[name]), data)


def _undeclared(data: Path) -> list[str]:
    """CSV files of `data/` that the package does not declare."""
    return sorted({p.stem for p in data.glob("*.csv")} - set(resources(data)))


def _blob(path: Path) -> bytes:
    if not path.is_file():
        raise DataError(f"{path}: missing facts file")
    return path.read_bytes()


def _stamp(name: str, data: Path, blobs: dict[str, bytes]) -> Path:
    digest = hashlib.sha256(repr((VERSION, metadata.version("frictionless"),
                                  metadata.version("exchange_calendars"))).encode())
    for code in (Path(__file__), Path(rules.__file__), Path(__file__).with_name("validate.py")):
        digest.update(code.read_bytes())
    digest.update(package_path(data).read_bytes())
    for n in closure(name, data):
        digest.update(n.encode() + b"\0" + blobs[n])
    return data.parent / "_build" / "facts-checked" / f"{name}-{digest.hexdigest()[:32]}"


def _declared(todo: list[str], order: list[str], raws: dict[str, pd.DataFrame],
              data: Path) -> None:
    """Cells and keys of the files `todo` against the declaration, with frictionless (cells
    trimmed; the files of `order` are there for the foreign keys to look up)."""
    if not todo:
        return
    with library() as frictionless:
        _validate(frictionless.Package, todo, order, raws, data)


@contextmanager
def library():
    """The frictionless library, with the csv module's field size limit as it was: importing
    frictionless raises it for the whole process, and the price files' reader relies on it."""
    limit = csv.field_size_limit()
    try:
        import frictionless

        yield frictionless
    finally:
        csv.field_size_limit(limit)


def _validate(Package, todo: list[str], order: list[str], raws: dict[str, pd.DataFrame],
              data: Path) -> None:
    declared = resources(data)
    lookups = {k["reference"]["resource"] for n in todo
               for k in declared[n]["schema"].get("foreignKeys", [])}
    inline = []
    for n in [n for n in order if n in todo or n in lookups]:
        header = [f["name"] for f in fields(n, data)]
        rows = raws[n][header].apply(lambda c: c.str.strip()).values.tolist()
        inline.append({"name": n, "type": "table", "data": [header, *rows],
                       "schema": declared[n]["schema"]})
    package = Package({"$schema": descriptor(data)["$schema"], "name": "facts",
                       "resources": inline})
    for n in todo:
        report = package.get_resource(n).validate()
        if not report.valid:
            errors = [e for task in report.tasks for e in task.errors]
            first = min(errors, key=lambda e: _place(n, e, data))
            row, column = first.row_number - 2, getattr(first, "field_name", None)
            text = raws[n].iat[row, raws[n].columns.get_loc(column)] if column else None
            raise DataError(f"{data / f'{n}.csv'}: line {raws[n].attrs['lines'][row]}: "
                            f"{message(n, first, data, text)}")


def _place(name: str, error, data: Path) -> tuple[int, int, int]:
    """Sort key of an error: its row, then its column, cell errors before row errors."""
    number = getattr(error, "field_number", None)
    if number is None:
        keys = _key_fields(name, error, data)
        header = [f["name"] for f in fields(name, data)]
        number = 1 + min((header.index(k) for k in keys), default=len(header))
        return error.row_number, number, 1
    return error.row_number, number, 0


def _key_fields(name: str, error, data: Path) -> list[str]:
    schema = resources(data)[name]["schema"]
    if error.type == "primary-key":
        return schema["primaryKey"]
    found = re.search(r'for "([^"]+)"', getattr(error, "note", ""))
    return found.group(1).split(", ") if found else []


def message(name: str, error, data: Path | None = None, text: str | None = None) -> str:
    """The project's message for one frictionless error: the column, the value as written
    (`text`, else the trimmed cell), the problem."""
    declared = {f["name"]: f for f in fields(name, data)}
    header = list(declared)
    if error.type == "primary-key":
        keys = _key_fields(name, error, data)
        values = [str(error.cells[header.index(k)]) for k in keys]
        if len(keys) == 1:
            return f"duplicate {keys[0]} {values[0]!r}"
        return f"duplicate ({', '.join(keys)}) ({', '.join(map(repr, values))})"
    if error.type == "foreign-key":
        key = _key_fields(name, error, data)[0]
        return _unknown(name, key, str(error.cells[header.index(key)]), data)
    field = declared.get(error.field_name, {})
    cell = text if text is not None else str(getattr(error, "cell", ""))
    column, constraints = error.field_name, field.get("constraints", {})
    if error.type == "type-error":
        if field.get("type") == "date":
            form = "a calendar date" if _DAY.fullmatch(cell) else "YYYY-MM-DD"
            return f"{column} {cell!r} is not {form}"
        if field.get("type") in ("number", "integer"):
            return f"{column} {cell!r} is not a {_range(column, constraints)}"
        if field.get("type") == "datetime" and field.get("format", "default") != "default":
            return f"{column} {cell!r} is not {_form(field)[1]}"
        return f"{column} {cell!r} is not of type {field.get('type')}"
    constraint = re.search(r'constraint "(\w+)"', error.note)
    constraint = constraint.group(1) if constraint else ""
    if constraint == "required" or (column == "source" and constraint == "pattern"):
        if column == "source":
            return "row has no source"
        if (name, column) in EMPTY:
            return EMPTY[(name, column)]
        if _references(name, column, data):
            return _unknown(name, column, "", data)
        return f"{NOUN.get(name, 'row')} has no {column}"
    if constraint == "enum":
        return f"{column} {cell!r} is not one of {sorted(constraints['enum'])}"
    if constraint == "pattern" and "form" in field:
        return f"{column} {cell!r} is not {field['form']}"
    if constraint == "pattern":
        example = f" (e.g. {field['example']!r})" if "example" in field else ""
        return f"{column} {cell!r} does not match the pattern {constraints['pattern']}{example}"
    if constraint in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return f"{column} {cell!r} is not a {_range(column, constraints)}"
    return f"{column} {cell!r}: {error.note}"


def _range(column: str, constraints: dict) -> str:
    """'positive number', 'fraction (0 < stake <= 1)', 'number' ... from a field's bounds."""
    low, high = constraints.get("exclusiveMinimum"), constraints.get("maximum")
    if low == 0 and high == 1:
        return f"fraction (0 < {column} <= 1)"
    if low == 0 and high is None and constraints.get("exclusiveMaximum") == 100:
        return f"percentage (0 < {column} < 100)"
    if low == 0 and high is None:
        return "positive number"
    bounds = [f"> {low}" if low is not None else "",
              f">= {constraints['minimum']}" if "minimum" in constraints else "",
              f"<= {high}" if high is not None else "",
              f"< {constraints['exclusiveMaximum']}" if "exclusiveMaximum" in constraints else ""]
    bounds = [b for b in bounds if b]
    return f"number {' and '.join(bounds)}" if bounds else "number"


def _references(name: str, column: str, data: Path | None) -> dict | None:
    for key in resources(data)[name]["schema"].get("foreignKeys", []):
        if key["fields"] == [column]:
            return key["reference"]
    return None


def _unknown(name: str, column: str, value: str, data: Path | None) -> str:
    target = _references(name, column, data)
    if target["resource"] in ("", name):
        return f"{column} {value!r} is not a {target['fields'][0]} of the {name}"
    return f"{column} {value!r} is not in {target['resource']}.csv"
