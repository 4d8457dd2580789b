"""The site's search finds numbers (part of the `deepshock.book.site` extension).

A reader looks a figure up as it is quoted: "593" for Nvidia's loss, which the pages state as
"$592.7bn" (computed) or "$593bn" (reported). Sphinx's English index splits text at every
character that is not a letter or digit, so "$593bn" is the one word "593bn" and "$592.7bn" the
words "592" and "7bn"; and Sphinx's search page drops every query word made of digits only.
Here

- the index (`NumberedEnglish`) also holds each number of the text as whole units, as written
  and rounded half up: "$593bn" adds "593", "$592.7bn" adds "592" and "593", "1,234" adds
  "1234";
- the search page (`_static/deepshock-search.js`, loaded there only) searches a query word made
  of digits like any other word, instead of dropping it.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from sphinx.application import Sphinx
from sphinx.search.en import SearchEnglish

# A number as prose writes it, not glued to a preceding letter or digit (not the 100 of "H100"):
# optional grouping commas, optional decimals.
NUMBER = re.compile(r"(?<![^\W_])(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?")
SCRIPT = "deepshock-search.js"  # in _static; page.page_meta keeps it on the search page only


def number_words(text: str) -> list[str]:
    """The whole units of each number in `text`, as written and rounded half up:
    '$592.7bn' -> ['592', '593']; '$593bn' -> ['593']; '1,234.5' -> ['1234', '1235']."""
    words: list[str] = []
    for match in NUMBER.finditer(text):
        written = match.group().replace(",", "")
        whole = written.split(".")[0]
        words.append(whole)
        if "." in written:
            words.append(str(Decimal(written).quantize(Decimal(1), rounding=ROUND_HALF_UP)))
    return list(dict.fromkeys(words))


class NumberedEnglish(SearchEnglish):
    """Sphinx's English search index, with the whole units of every number as words too."""

    def split(self, input: str) -> list[str]:
        return super().split(input) + number_words(input)


def setup(app: Sphinx) -> None:
    app.add_search_language(NumberedEnglish)
