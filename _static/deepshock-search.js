/* The DeepSeek Shock: the search page finds numbers ("593").
 *
 * Sphinx's search drops every query word made of digits only. The book's index holds the whole
 * units of every number in its pages (deepshock/book/search.py), so such a word is searched, and
 * highlighted on the page it leads to, like any other. Loaded on the search page only, deferred:
 * it runs after searchtools.js defines Search and before the search runs (DOMContentLoaded).
 */
(function () {
  "use strict";
  if (typeof Search === "undefined" || typeof Search._parseQuery !== "function" ||
      typeof splitQuery !== "function") return;
  var parse = Search._parseQuery;
  Search._parseQuery = function (query) {
    var parsed = parse(query);  // [query, searchTerms, excludedTerms, highlightTerms, objectTerms]
    splitQuery(query.trim()).forEach(function (word) {
      if (/^\d+$/.test(word)) {
        parsed[1].add(word);
        parsed[3].add(word);
      }
    });
    if (typeof SPHINX_HIGHLIGHT_ENABLED !== "undefined" && SPHINX_HIGHLIGHT_ENABLED) {
      localStorage.setItem("sphinx_highlight_terms", Array.from(parsed[3]).join(" "));
    }
    return parsed;
  };
})();
