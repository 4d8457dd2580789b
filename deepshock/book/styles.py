"""One small stylesheet per site instead of nine (part of the `deepshock.book.site` extension).

Every page of the theme links nine stylesheets before its first paint (pydata-sphinx-theme's
alone is 397 kB, with all of Bootstrap; 52 kB brotli), of which a reading page uses about a
tenth: on a phone's slow connection they hold up the first paint, and the browser matches
every rule against every element of a long page. When the build finishes, `combine_styles`

- reads the stylesheets each page links, in their order (the same for every page);
- keeps, of each, the rules that can apply to this site (`used`): a rule whose selector names
  only classes that some page's HTML or some script of the site mentions (the theme's scripts
  add classes such as ``show`` when a menu opens, so any word of a script counts as used, and
  the classes Bootstrap builds from parts, `BUILT`, are kept);
  selectors without classes, at-rules other than ``@media``/``@supports``/``@layer``/
  ``@container`` (fonts, keyframes) and custom properties are kept whole;
- writes them as one file, `COMBINED` (beside the theme's own, so its relative URLs still
  resolve; its first line names them, for the next incremental build, whose pages written
  earlier link it already), and links it from every page in place of the nine, with a version
  (``?v=``) from its content, so a reader's cache never holds a stale copy.

The theme's own files stay in `_static` (untouched) for anything that still links them.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

COMBINED = "_static/styles/deepshock-site.css"
HEADER = "/* deepshock-site.css, the rules this site uses of: "   # + the files, in order
LINK = re.compile(r'[ \t]*<link (?:rel="stylesheet" type="text/css" href="([^"]+)"|href="([^"]+)" '
                  r'rel="stylesheet") />\n?')
OWN = re.compile(r'[ \t]*<link rel="stylesheet" href="[^"]*' + re.escape(COMBINED) + r'\?v=[0-9a-f]+" />\n?')
CLASS = re.compile(r"\.(-?[_a-zA-Z][\w-]*)")
WORD = re.compile(r"[_a-zA-Z][\w-]*")
IMPORT = re.compile(r"""@import\s+(?:url\()?["']?([^"')\s;]+)["']?\)?\s*;""")
BUILT = ("bs-",)   # classes Bootstrap's script builds from parts (``bs-tooltip-auto``)
GROUPS = ("@media", "@supports", "@layer", "@container")


def _block_end(css: str, start: int) -> int:
    """Index just past the `}` closing the block whose `{` is at `start` (strings, comments
    and nested blocks skipped)."""
    depth, i, n = 0, start, len(css)
    while i < n:
        c = css[i]
        if c in "\"'":
            i = css.index(c, i + 1) + 1 if css.find(c, i + 1) >= 0 else n
            continue
        if css.startswith("/*", i):
            i = css.index("*/", i + 2) + 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return n


def _split_selectors(selector: str) -> list[str]:
    """A selector list split at its top-level commas (not those inside `:is(...)` or `[...]`)."""
    out, depth, start = [], 0, 0
    for i, c in enumerate(selector):
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        elif c == "," and depth == 0:
            out.append(selector[start:i])
            start = i + 1
    out.append(selector[start:])
    return out


def purge(css: str, used: set[str], imported=None) -> str:
    """`css` without the rules (and selectors of a list) that name a class not in `used`; an
    ``@import`` of a file is replaced by its purged rules when `imported(url)` reads it."""
    out, i, n = [], 0, len(css)
    while i < n:
        if css[i].isspace():
            i += 1
            continue
        if css.startswith("/*", i):
            end = css.find("*/", i + 2)
            i = n if end < 0 else end + 2
            continue
        brace, semi = css.find("{", i), css.find(";", i)
        if css[i] == "@" and semi >= 0 and (brace < 0 or semi < brace):  # a statement
            found = IMPORT.match(css, i)
            if found and imported is not None:     # the imported file's rules, in its place
                out.append(purge(imported(found.group(1)), used, imported))
            elif not css.startswith("@charset", i):
                out.append(css[i:semi + 1])
            i = semi + 1
            continue
        if brace < 0:
            break
        end = _block_end(css, brace)
        head, body = css[i:brace].strip(), css[brace + 1:end - 1]
        i = end
        if head.startswith(GROUPS):
            inner = purge(body, used, imported)
            if inner:
                out.append(f"{head}{{{inner}}}")
        elif head.startswith("@"):
            out.append(f"{head}{{{body}}}")
        else:
            kept = [s for s in _split_selectors(head)
                    if all(name in used or name.startswith(BUILT)
                           for name in CLASS.findall(re.sub(r"\[[^\]]*\]", "", s)))]
            if kept:
                out.append(f"{','.join(s.strip() for s in kept)}{{{body}}}")
    return "\n".join(out)


def used_words(out: Path, pages: list[Path]) -> set[str]:
    """Every class a page's HTML names, and every word of the site's scripts."""
    words: set[str] = set()
    for page in pages:
        for value in re.findall(r'class="([^"]*)"', page.read_text(encoding="utf-8")):
            words.update(value.split())
    for script in (out / "_static").rglob("*.js"):   # the Vega runtime's too (svg.marks)
        words.update(WORD.findall(script.read_text(encoding="utf-8", errors="replace")))
    return words


def _linked(page: Path, text: str, out: Path) -> list[str]:
    """The site's stylesheets `page` links (paths under `out`), in order."""
    up = "../" * (len(page.relative_to(out).parts) - 1)
    return [(m.group(1) or m.group(2)).split("?")[0].removeprefix(up) for m in LINK.finditer(text)]


def combine_styles(out: Path, pages: list[Path]) -> None:
    """Write `COMBINED` from the stylesheets the pages link and link it instead (see above).
    A page linking another set of stylesheets than the others keeps its own links."""
    texts = {page: page.read_text(encoding="utf-8") for page in sorted(pages)}
    sets = [tuple(_linked(page, text, out)) for page, text in texts.items()]
    sets = [s for s in sets if s]
    target = out / COMBINED
    head = target.read_text(encoding="utf-8").partition("\n")[0] if target.is_file() else ""
    stored = tuple(head.removeprefix(HEADER).removesuffix(" */").split()) if head.startswith(
        HEADER) else ()
    if stored and (stored in sets or any(OWN.search(t) for t in texts.values())):
        order = stored      # an incremental build: pages written before link the last build's
    elif sets:
        order = max(sorted(set(sets)), key=sets.count)   # the theme's: (nearly) every page's
    else:
        return
    used = used_words(out, list(texts))
    parts = []
    for href in order:
        def read(url: str, base: Path = (out / href).parent) -> str:
            return re.sub(r"/\*# sourceMappingURL=[^*]*\*/", "",
                          (base / url).resolve().read_text(encoding="utf-8"))
        parts.append(f"/* {href} (rules this site uses) */\n{purge(read(Path(href).name), used, read)}")
    combined = f"{HEADER}{' '.join(order)} */\n" + "\n".join(parts) + "\n"
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.is_file() or target.read_text(encoding="utf-8") != combined:
        target.write_text(combined, encoding="utf-8")
    version = hashlib.sha256(combined.encode()).hexdigest()[:8]
    for page, text in texts.items():
        linked = tuple(_linked(page, text, out))
        first = LINK.search(text) if linked == order else OWN.search(text) if not linked else None
        if first is None:
            continue
        up = "../" * (len(page.relative_to(out).parts) - 1)
        link = f'<link rel="stylesheet" href="{up}{COMBINED}?v={version}" />\n'
        new = text[:first.start()] + "    " + link + OWN.sub("", LINK.sub("", text[first.start():]))
        if new != text:
            page.write_text(new, encoding="utf-8")
