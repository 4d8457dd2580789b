"""The readers' data dictionary, from the declared schema of the facts (`data/datapackage.json`).

* `facts_markdown()`: every facts file with its description, keys and fields (meaning, unit),
  for the data page;
* `figure_schema(name, data, spec)`: for a chart's CSV download, a Frictionless table resource
  `<name>.json` naming each column with its description and unit. A column is a facts field
  as it is (`FACTS`), or a computed field described here (`COMPUTED`, or per chart in
  `FIGURES`); a column described nowhere stops the build;
* a Sphinx extension (`setup`) that puts a link to that file beside each chart's CSV download.
"""

from __future__ import annotations

import re

import pandas as pd
from docutils import nodes
from sphinx import addnodes

from ..data import schema

PCT, PP = "%", "percentage points"
# figure columns that are a facts field as written: column -> (file, field)
FACTS = {"ticker": ("universe", "ticker"), "certainty": ("events", "certainty")}
# computed columns with one meaning wherever they appear: column -> (description, unit)
COMPUTED = {
    "name": ("Name of the security as the book shows it (universe.csv's name, or a short "
             "form of it).", ""),
    "group": ("The book's group of the security (universe.csv's group).", ""),
    "date": ("The session (the exchange's calendar day) the row's figures are for.", ""),
    "prev_date": ("The security's previous session: the return runs from its close to the "
                  "close on date.", ""),
    "ret_pct": ("Close-to-close return of the session: close / previous session's close - 1.",
                PCT),
    "close": ("Closing price in the security's currency, as its price file gives it.",
              "currency units"),
    "label": ("The text the chart writes beside the mark.", ""),
    "tau": ("Event time in sessions: 0 is day 0, -1 the session before.", "sessions"),
}
DATE = "YYYY-MM-DD"  # FIGURES key of every column named by a date (a path drawn by date)
# columns whose meaning is particular to one chart: (figure, column) -> (description, unit)
FIGURES = {
    ("fig-aftermath-groups", "cum_pct"): (
        "Mean (equal-weighted) of the group's cumulative returns since the close of 24 January "
        "2025, on the dates all its members traded.", PCT),
    ("fig-aftermath-groups", "members"): ("Number of the group's securities averaged.",
                                          "securities"),
    ("fig-aftermath-recovery", "base_date"): ("Session whose close the returns start from.", ""),
    ("fig-aftermath-recovery", "first_pct"): ("Cumulative return at the first session after the "
                                              "base.", PCT),
    ("fig-aftermath-recovery", "low_pct"): ("Lowest cumulative return since the base.", PCT),
    ("fig-aftermath-recovery", "low_date"): ("Session of that low.", ""),
    ("fig-aftermath-recovery", "status"): ("Whether and when the security closed again at or "
                                           "above its base close.", ""),
    ("fig-aftermath-recovery", "regained_date"): ("First session that closed at or above the "
                                                  "base close (empty: none).", ""),
    ("fig-aftermath-recovery", "sessions"): ("The security's own sessions from the base to "
                                             "regained_date.", "sessions"),
    ("fig-aftermath-recovery", "end_pct"): ("Cumulative return at the last session drawn.", PCT),
    ("fig-aftermath-recovery", "low_in_window"): ("Whether the low fell inside the tariff "
                                                  "sell-off window.", ""),
    ("fig-contagion-first", "city"): ("City of the security's exchange.", ""),
    ("fig-contagion-first", "base"): ("The security's last session before 27 January 2025.", ""),
    ("fig-contagion-first", "end"): ("Its market's first session that opened after New York's "
                                     "close of 27 January 2025.", ""),
    ("fig-contagion-first", "sessions"): ("Sessions from base (excluded) to end.", "sessions"),
    ("fig-contagion-first", "window"): ("The window in words.", ""),
    ("fig-contagion-first", "end_close_utc"): ("Close of the end session, in UTC.", ""),
    ("fig-contagion-first", "ret_pct"): ("Compounded close-to-close return from the base close "
                                         "to the end close.", PCT),
    ("fig-contagion-grid", "market"): ("Exchange calendar code of the market.", ""),
    ("fig-contagion-grid", "city"): ("City of the exchange.", ""),
    ("fig-contagion-grid", "date"): ("The weekday.", ""),
    ("fig-contagion-grid", "status"): ("open, early close, or closed (a weekday holiday).", ""),
    ("fig-contagion-grid", "open_utc"): ("Opening time, in UTC (empty when closed).", ""),
    ("fig-contagion-grid", "close_utc"): ("Closing time, in UTC (empty when closed).", ""),
    ("fig-contagion-grid", "marker"): ("The security whose move the cell shows.", ""),
    ("fig-contagion-grid", "ret_pct"): ("Its close-to-close return that session (empty when "
                                        "closed).", PCT),
    ("fig-contagion-grid", "cell"): ("The cell's colour: fell, rose or closed.", ""),
    ("fig-contagion-grid", "label"): ("The text in the cell (* a half day).", ""),
    ("fig-contagion-reopening", "place"): ("The local market.", ""),
    ("fig-contagion-reopening", "fund"): ("Ticker of the New York-listed counterpart.", ""),
    ("fig-contagion-reopening", "fund_name"): ("Name of the counterpart.", ""),
    ("fig-contagion-reopening", "local_last"): ("Last local session before the closure.", ""),
    ("fig-contagion-reopening", "local_back"): ("First local session after it.", ""),
    ("fig-contagion-reopening", "weekdays_shut"): ("Weekdays the local market was shut.",
                                                   "days"),
    ("fig-contagion-reopening", "ny_start"): ("First New York session of the closure.", ""),
    ("fig-contagion-reopening", "ny_end"): ("Last New York session of the closure.", ""),
    ("fig-contagion-reopening", "ny_sessions"): ("New York sessions over the closure.",
                                                 "sessions"),
    ("fig-contagion-reopening", "local_pct"): ("Local line's compounded close-to-close return "
                                               "from local_last to local_back, in its own "
                                               "currency.", PCT),
    ("fig-contagion-reopening", "fund_pct"): ("Counterpart's compounded close-to-close return "
                                              "over the New York sessions of the closure.", PCT),
    ("fig-contagion-reopening", "left_pp"): ("local_pct minus fund_pct.", PP),
    ("fig-contagion-reopening", "measure"): ("Which bar: the local reopening, or New York "
                                             "over the closure.", ""),
    ("fig-contagion-reopening", "value"): ("The bar's return (local_pct or fund_pct).", PCT),
    ("fig-contagion-reopening", "sign"): ("The bar's colour: fell or rose.", ""),
    ("fig-eventstudy-car", "group"): ("The book's group (with the one security's name when the "
                                      "group has one).", ""),
    ("fig-eventstudy-car", "car_pct"): ("Mean cumulative abnormal return of the group's "
                                        "securities from event day -5.", PCT),
    ("fig-eventstudy-car", "n"): ("Number of securities averaged.", "securities"),
    ("fig-eventstudy-verdict", "row"): ("The primary test: the security or basket and its "
                                        "event days.", ""),
    ("fig-eventstudy-verdict", "kind"): ("'event' for the event's abnormal return, 'ordinary' "
                                         "for one ordinary session (or span) of the estimation "
                                         "window.", ""),
    ("fig-eventstudy-verdict", "ar_pct"): ("Abnormal return (summed over the window's sessions) "
                                           "under the market model.", PCT),
    ("fig-eventstudy-verdict", "lo_pct"): ("Lower end of the event's 95% confidence interval "
                                           "(empty for ordinary days).", PCT),
    ("fig-eventstudy-verdict", "hi_pct"): ("Upper end of the event's 95% confidence interval "
                                           "(empty for ordinary days).", PCT),
    ("fig-factcheck-moves", "claim"): ("The security and session a claim is about, as the "
                                       "chart labels it (short name, weekday).", ""),
    ("fig-factcheck-moves", "security"): ("The security the claim is about (full name).", ""),
    ("fig-factcheck-moves", "session"): ("The session the claim is about.", ""),
    ("fig-factcheck-moves", "reported"): ("The move the article reports.", PCT),
    ("fig-factcheck-moves", "measured"): ("The close-to-close return measured in the daily "
                                          "closes.", PCT),
    ("fig-factcheck-moves", "verdict"): ("The fact-check's verdict.", ""),
    ("fig-factcheck-moves", "reason"): ("Why.", ""),
    ("fig-intro-clock", "what"): ("What the row draws: the S&P 500 CFD's thinned minute "
                                  "closes, Nvidia's hourly closes, a labelled point, a press "
                                  "report, a market's session or closure, or a news span.", ""),
    ("fig-intro-clock", "utc"): ("Time of a point (the end of its bar), in UTC.", ""),
    ("fig-intro-clock", "pct"): ("Price against New York's close of Friday 24 January 2025 "
                                 "(the S&P 500 CFD, Nvidia), or the move a press report "
                                 "states.", PCT),
    ("fig-intro-clock", "start"): ("Start of a bar (a session, closure or news span), UTC.", ""),
    ("fig-intro-clock", "end"): ("End of a bar (a session, closure or news span), UTC.", ""),
    ("fig-intro-clock", "lane"): ("The row of the lower panel: a market, or the news.", ""),
    ("fig-intro-first", "date"): ("The security's first session on or after 27 January 2025.",
                                  ""),
    ("fig-launch-timeline", "date"): ("The session (a price row) or the event's day (an event "
                                      "row).", ""),
    ("fig-launch-timeline", "index"): ("Close rebased to 100 at the security's close on the "
                                       "base session.", "index points"),
    ("fig-launch-timeline", "kind"): ("price (a close) or event (a row of events.csv).", ""),
    ("fig-launch-timeline", "label"): ("The event's label (events.csv).", ""),
    ("fig-marketvalue-losses", "layer"): ("company (a bar) or record (a press record drawn as "
                                          "a line).", ""),
    ("fig-marketvalue-losses", "name"): ("The company.", ""),
    ("fig-marketvalue-losses", "short"): ("The company's name as a phone's axis shows it.", ""),
    ("fig-marketvalue-losses", "loss_bn"): ("Market value lost on the session (shares x the "
                                            "fall in the close, in US dollars), or the press "
                                            "record's figure.", "US$ bn"),
    ("fig-marketvalue-losses", "figure"): ("exact, approximate (a grade-C share count or an "
                                           "adjusted price level) or press record.", ""),
    ("fig-marketvalue-losses", "detail"): ("Where the share count comes from (its grade in "
                                           "words) and the price level, or the record's "
                                           "source.", ""),
    ("fig-nvda-price", "close"): ("Nvidia's closing price as traded.", "US$"),
    ("fig-nvda-records", "rank_usd"): ("Rank of the company-day's loss in dollars among every "
                                       "company-day ranked (1 = largest).", "rank"),
    ("fig-nvda-records", "label"): ("The company-day: company and session.", ""),
    ("fig-nvda-records", "short"): ("The company-day as a phone's axis shows it.", ""),
    ("fig-nvda-records", "loss_bn"): ("Market value lost that session: the share count serving "
                                      "the day x (previous close - close).", "US$ bn"),
    ("fig-nvda-records", "fall_pct"): ("Close-to-close return of the session.", PCT),
    ("fig-nvda-records", "press_bn"): ("The press figure for that company-day (records.csv or "
                                       "later_losses.csv; empty where the press gives none).",
                                       "US$ bn"),
    ("fig-nvda-records", "count"): ("Date of the share count used (shares.csv: the last count "
                                    "dated to a day at or before the session), '(an estimate)' "
                                    "for a grade-C count.", ""),
    ("fig-nvda-records", "move"): ("Close-to-close move of the session as the tooltip shows it "
                                   "(one decimal, house minus sign).", ""),
    ("fig-nvda-records", "day"): ("The shock day (New York's day 0, in the accent colour) or other "
                                  "days.", ""),
    ("fig-selloff-us", "short"): ("The security's short name, as the chart's bar labels show "
                                  "it.", ""),
    ("fig-selloff-sox-worst", "day"): ("The session in words.", ""),
    ("fig-selloff-sox-worst", "when"): ("Earlier, on 27 January 2025, or later.", ""),
    ("fig-shocks-map", "day"): ("The comparison day: a New York session on which the SOX or "
                                "the S&P 500 had one of its largest falls in the data.", ""),
    ("fig-shocks-map", "event"): ("The label of the shock of shocks.csv whose New York day 0 it "
                                  "is, else the day written out.", ""),
    ("fig-shocks-map", "named"): ("Whether the day is a shock of shocks.csv.", ""),
    ("fig-shocks-map", "rsp_pct"): ("Close-to-close return of RSP (the equal-weighted S&P 500 "
                                    "fund) on the day.", PCT),
    ("fig-shocks-map", "sox_pct"): ("Close-to-close return of the SOX semiconductor index on "
                                    "the day.", PCT),
    ("fig-shocks-map", "gap_pp"): ("sox_pct minus rsp_pct.", PP),
    ("fig-shocks-map", "share_fell_pct"): ("Share of the S&P 500 members (the panel) that fell "
                                           "on the day.", PCT),
    ("fig-shocks-map", "primary"): ("Whether the day is the book's event (its New York day 0).",
                                    ""),
    ("fig-shocks-paths", "series"): ("The security or index drawn.", ""),
    ("fig-shocks-paths", "cum_pct"): ("Cumulative return from the close before day 0.", PCT),
    ("fig-shocks-paths", "event"): ("The shock and its day 0.", ""),
    ("fig-tokyo-names", "session"): ("The session in words.", ""),
    ("fig-tokyo-names", "role"): ("stock, or benchmark (the Nikkei 225).", ""),
    ("fig-tokyo-names", "two_day_pct"): ("Compounded return over the two sessions drawn.", PCT),
    ("fig-tokyo-timeline", "city"): ("City of the exchange.", ""),
    ("fig-tokyo-timeline", "market"): ("Exchange calendar code of the market.", ""),
    ("fig-tokyo-timeline", "session"): ("The calendar day.", ""),
    ("fig-tokyo-timeline", "status"): ("open, early close, closed (a weekday holiday) or "
                                       "weekend.", ""),
    ("fig-tokyo-timeline", "start_utc"): ("Start of the trading span, in UTC (a closed day "
                                          "shows the market's usual hours).", ""),
    ("fig-tokyo-timeline", "end_utc"): ("End of the trading span, in UTC.", ""),
    ("fig-tokyo-timeline", "label"): ("The moves written beside the session.", ""),
    ("fig-tokyo-timeline", "move"): ("fell, rose (the first security's move) or closed.", ""),
    ("fig-tokyo-timeline", "moves"): ("The same moves on one line.", ""),
    ("fig-tokyo-timeline", "show_label"): ("Whether the label is drawn (once per session, after "
                                           "its last span).", ""),
    ("fig-xs-beyond", "ticker"): ("Ticker of the S&P 500 member, as the panel writes it.", ""),
    ("fig-xs-beyond", "name"): ("The member's name (the panel's, in a short form).", ""),
    ("fig-xs-beyond", "industry"): ("The company's industry (Yahoo's, in a short form).", ""),
    ("fig-xs-beyond", "joined_later"): ("Whether the company joined the S&P 500 after the event "
                                        "(index_changes.csv).", ""),
    ("fig-xs-beyond", "theme"): ("The thesis group of its industry (power producers, "
                                 "data-centre equipment, gas), named before looking at who fell; "
                                 "other for the rest.", ""),
    ("fig-xs-beyond", "beyond_pct"): ("Day-0 abnormal return beyond what the exposures (chips, "
                                      "beta, momentum, volatility) predict: ar_pct minus "
                                      "fitted_pct.", PP),
    ("fig-xs-beyond", "ar_pct"): ("Day-0 abnormal return: the return minus the market model's "
                                  "prediction.", PCT),
    ("fig-xs-beyond", "fitted_pct"): ("The abnormal return the cross-sectional regression on "
                                      "the exposures predicts.", PCT),
    ("fig-xs-beyond", "ret_pct"): ("Day-0 return (adjusted closes, close to close).", PCT),
    ("fig-xs-placebo", "date"): ("The session whose cross-section the row regresses.", ""),
    ("fig-xs-placebo", "kind"): ("The event's day 0 or another session away from the news.",
                                 ""),
    ("fig-xs-placebo", "slope_pp"): ("Slope of the session's abnormal returns on chip "
                                     "sensitivity: the return for one unit more sensitivity.",
                                     PP),
    ("fig-xs-placebo", "r2_pct"): ("Share of the cross-section's variance that chip sensitivity "
                                   "explains (R²).", PCT),
    ("fig-xs-placebo", "sox_pct"): ("The SOX's close-to-close return that session.", PCT),
    ("fig-xs-placebo", "market_pct"): ("The average member's return that session "
                                       "(equal-weighted).", PCT),
    ("fig-xs-placebo", "in_sample"): ("yes when the session lies in the estimation or exposure "
                                      "window (its own return helped measure the regressors).",
                                      ""),
    ("fig-xs-quintiles", "fifth"): ("Fifth of the S&P 500 members sorted by chip sensitivity "
                                    "(1: least sensitive).", ""),
    ("fig-xs-quintiles", "members"): ("Members in the fifth.", "securities"),
    ("fig-xs-quintiles", "chip_lo"): ("Lowest chip sensitivity in the fifth: the slope on the "
                                      "SOX beyond the market, measured before the event.",
                                      "return per unit of SOX return"),
    ("fig-xs-quintiles", "chip_hi"): ("Highest chip sensitivity in the fifth.",
                                      "return per unit of SOX return"),
    ("fig-xs-quintiles", "ar_pct"): ("Mean day-0 abnormal return of the fifth's members.", PCT),
    ("fig-xs-quintiles", "fell_pct"): ("Share of the fifth's members whose price fell on day 0.",
                                       PCT),
    ("fig-explorer", "ticker"): ("Ticker of the security: a panel member or fund, one of the "
                                 "book's series (universe.csv), or AVERAGE for the average "
                                 "member.", ""),
    ("fig-explorer", "name"): ("Name of the security as the page shows it.", ""),
    ("fig-explorer", "kind"): ("sp500 (an S&P 500 member), etf, equity, adr, index, fx, or "
                               "average (the average member).", ""),
    ("fig-explorer", "sector"): ("Yahoo's sector of a panel member (empty for the others).", ""),
    ("fig-explorer", "industry"): ("Yahoo's industry of a panel member (empty for the others).",
                                   ""),
    ("fig-explorer", "day0"): ("The security's day-0 session: the event's New York day 0 for "
                               "the panel, the first session on or after it for the book's "
                               "other series.", ""),
    ("fig-explorer", "ret0_pct"): ("Close-to-close return on day0.", PCT),
    ("fig-explorer", "ar0_pct"): ("Day-0 abnormal return: the return minus the market model's "
                                  "prediction (panel securities only).", PCT),
    ("fig-explorer", "rank_fall"): ("Rank of the abnormal return among the members (1: the "
                                    "largest fall; empty for the others).", "rank"),
    ("fig-explorer", "chip"): ("Chip sensitivity: the slope on the SOX beyond the market, "
                               "measured before the event (panel securities only).",
                               "return per unit of SOX return"),
    ("fig-explorer", "chip_fifth"): ("Fifth of the members by chip sensitivity (1: least "
                                     "sensitive).", ""),
    ("fig-explorer", "book"): ("1 when the security is one of the book's own series "
                               "(universe.csv), else 0.", ""),
    ("fig-explorer", "about"): ("The line the card writes under the name.", ""),
    ("fig-explorer", DATE): ("Cumulative return from the base close (NYSE session -11) to the "
                             "security's close on this date (the column's name), in its own "
                             "market's sessions; empty where that market was closed.", PCT),
    ("fig-meaning-plans", "row"): ("The bar's label: the company and the day stated.", ""),
    ("fig-meaning-plans", "company"): ("The company (capex.csv), or DeepSeek for its training "
                                       "run.", ""),
    ("fig-meaning-plans", "short"): ("A short form of the company's name.", ""),
    ("fig-meaning-plans", "stated"): ("Day the plan was stated (capex.csv), or the day of the "
                                      "DeepSeek-V3 report for the run.", ""),
    ("fig-meaning-plans", "status"): ("The bar's colour: stated before the shock, kept or first "
                                      "stated after it, raised or cut after it, or DeepSeek's "
                                      "run.", ""),
    ("fig-meaning-plans", "low_usd"): ("Low end of the plan (capex.csv's low_usd_bn), or the "
                                       "run's cost.", "US$"),
    ("fig-meaning-plans", "high_usd"): ("High end of the plan, or the run's cost.", "US$"),
    ("fig-meaning-plans", "period"): ("The period the plan covers (capex.csv).", ""),
    ("fig-meaning-plans", "covers"): ("What the spending covers (capex.csv), or how the run's "
                                      "cost was computed.", ""),
    ("fig-meaning-plans", "change"): ("Against the company's previous statement for the same "
                                      "period: first, kept, raised or cut (empty for the run).",
                                      ""),
    ("fig-meaning-plans", "certainty"): ("How the sources support the row (capex.csv's "
                                         "certainty).", ""),
    ("fig-meaning-standing", "label"): ("The series, or the group with its number of members.",
                                        ""),
    ("fig-meaning-standing", "members"): ("Securities averaged (1 for a single series).",
                                          "securities"),
    ("fig-meaning-standing", "when"): ("The first session after the shock, or the last day of "
                                       "the data.", ""),
    ("fig-meaning-standing", "date"): ("The session of the point.", ""),
    ("fig-meaning-standing", "pct"): ("Cumulative return from the close before the shock to the "
                                      "close of that session (a group: the mean of its "
                                      "members').", PCT),
    ("fig-tokyo-clock", "utc"): ("Time of the price, in UTC.", ""),
    ("fig-tokyo-clock", "level"): ("The S&P 500 level: the CFD's bid (minute bars), or the "
                                   "index's own open or close without intraday prices.",
                                   "index points"),
    ("fig-tokyo-clock", "pct"): ("Level against New York's Friday close before the shock.", PCT),
    ("fig-tokyo-clock", "series"): ("Which prices the line draws.", ""),
}
TYPES = {"f": "number", "i": "integer", "u": "integer", "b": "boolean"}


def describe(figure: str, column: str) -> dict:
    """Description, unit and origin of one column of a chart's data."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", column) and (figure, DATE) in FIGURES:
        column = DATE
    if (figure, column) in FIGURES:
        text, unit = FIGURES[(figure, column)]
        return {"description": text, **({"unit": unit} if unit else {})}
    if column in FACTS:
        name, field = FACTS[column]
        declared = next(f for f in schema.fields(name) if f["name"] == field)
        return {"description": f"{declared['description']} (data/{name}.csv, {field})",
                **({"unit": declared["unit"]} if "unit" in declared else {})}
    if column in COMPUTED:
        text, unit = COMPUTED[column]
        return {"description": text, **({"unit": unit} if unit else {})}
    raise ValueError(f"figure {figure!r}: column {column!r} has no description (add it to "
                     f"deepshock.book.dictionary.FIGURES or COMPUTED)")


def figure_schema(figure: str, data: pd.DataFrame, spec: dict) -> dict:
    """The Frictionless table resource describing a chart's CSV download."""
    title = spec.get("title", "")
    title = title.get("text", "") if isinstance(title, dict) else title
    title = " ".join(title) if isinstance(title, list) else title
    fields = [{"name": c, **_type(data[c]), **describe(figure, c)} for c in data.columns]
    return {"name": figure, "type": "table", "path": f"{figure}.csv", "format": "csv",
            "title": title, "description": spec.get("description", ""),
            "schema": {"fields": fields}}


def _type(column: pd.Series) -> dict:
    """Table Schema type (and format) of a column as `DataFrame.to_csv` writes it."""
    values = column.dropna()
    if column.dtype.kind == "M" or (len(values) and values.map(
            lambda v: isinstance(v, pd.Timestamp)).all()):
        stamps = pd.to_datetime(values)
        if (stamps == stamps.dt.normalize()).all():
            return {"type": "date"}
        zone = "%z" if getattr(stamps.dt, "tz", None) is not None else ""  # to_csv writes +00:00
        return {"type": "datetime", "format": f"%Y-%m-%d %H:%M:%S{zone}"}
    if column.dtype.kind == "O" and len(values) and values.map(
            lambda v: isinstance(v, int) and not isinstance(v, bool)).all():
        return {"type": "integer"}  # whole numbers with gaps (None)
    return {"type": TYPES.get(column.dtype.kind, "string")}


def facts_markdown() -> str:
    """Every declared file of data/ with its description, keys and fields (MyST)."""
    from ..story.marketvalue import list_table  # (not at import: it reads the event's days)

    parts = []
    for name, resource in schema.resources().items():
        declared = resource["schema"]
        note = f" One row per {' and '.join(declared['primaryKey'])}." if "primaryKey" in declared \
            else ""
        for key in declared.get("foreignKeys", []):
            target = f"{key['reference']['resource'] or name}.csv"
            note += (f" Each {', '.join(key['fields'])} must be a "
                     f"{', '.join(key['reference']['fields'])} of {target}.")
        parts.append(f"**`{resource['path']}`: {resource['title']}.** "
                     f"{resource['description']}{note}")
        rows = [[f"`{f['name']}` ({f['type']})", _meaning(f), f.get("unit", "–")]
                for f in declared["fields"]]
        parts.append(list_table(["Column", "Meaning", "Unit"], rows, [27, 55, 18]))
    return "\n\n".join(parts)


def _meaning(field: dict) -> str:
    """The field's description, with what its constraints allow."""
    rules = field.get("constraints", {})
    text = field["description"]
    if "enum" in rules:
        text += f" One of: {', '.join(rules['enum'])}."
    if rules.get("exclusiveMinimum") == 0:
        text += " Above 0" + (f", at most {rules['maximum']:g}." if "maximum" in rules else ".")
    if "form" in field:
        text += f" Form: {field['form']}."
    elif "pattern" in rules and field["name"] != "source":
        text += f" Form: `{rules['pattern']}`."
    if not rules.get("required") and "empty" not in text:
        text += " May be empty."
    return text


# ---- Sphinx: a link to the column dictionary beside each chart's CSV download ----------------

FIGDATA = re.compile(r"(.*/_build/figdata/[\w-]+)\.csv")


def link_dictionaries(app, doctree: nodes.document) -> None:
    """After each `{download}` of a chart's CSV, a download of its `<name>.json` (read before
    Sphinx's download collector, which then copies both files)."""
    for node in list(doctree.findall(addnodes.download_reference)):
        found = FIGDATA.fullmatch(node["reftarget"])
        if not found:
            continue
        link = node.deepcopy()
        link["reftarget"] = f"{found.group(1)}.json"
        for literal in link.findall(nodes.literal):
            literal.children = [nodes.Text("its columns (JSON)")]
        parent = node.parent
        at = parent.index(node) + 1
        parent.insert(at, nodes.Text(" and "))
        parent.insert(at + 1, link)


def setup(app) -> dict:
    app.connect("doctree-read", link_dictionaries, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
