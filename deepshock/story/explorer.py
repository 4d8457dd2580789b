"""Look up any security: one row per panel security and per series of the book, with its path
around 27 January 2025 against the average S&P 500 member, for the explorer page.

* Panel securities (the S&P 500 members and the funds): every number comes from
  `crosssection.stocks()` (day-0 return, abnormal return, chip sensitivity and its fifth, rank
  among the members); the path from the panel's adjusted closes (total returns).
* The book's own series (`data/universe.csv`) that are not in the panel: the path from
  `load.returns` (the closes the other chapters use) and the return of the first session on or
  after 27 January (`selloff.first_sessions`), unrounded.
* The path: cumulative return from the close of NYSE session -11 to each session up to +20, in
  each market's own sessions; the average member is the equal-weighted mean of the members'
  returns each session (the cross-section chapter's `market`).

`table()` is the published frame (one row per security, one column per date of the path);
`chart(table, url)` draws it from the file at `url` for the security typed into the page's
picker (`picker(table)`), with Vega-Lite parameters only: no server.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

import altair as alt
import pandas as pd

from ..data import facts, load
from . import crosssection as cs
from .charts import MUTED, NEGATIVE, NEUTRAL, POSITIVE, WIDTH, finish, narrow_layout, preview
from .crosssection.charts import short_industry, short_name
from .eventstudy.words import day, number
from .page import stored
from .selloff import first_sessions

BEFORE, AFTER = 10, 20          # sessions drawn before and after day 0 (NYSE sessions)
AVERAGE = "AVERAGE"             # the row of the average member (not a ticker)
FIRST = "NVDA"                  # the security shown before the reader picks one
PICKER = "explorer-pick"        # id of the page's <input>, bound to the chart's parameter
LISTING = "explorer-list"       # id of its <datalist>
ABOUT_CHARS = 40                # the card's last line must fit a phone's column
KIND = {"sp500": "S&P 500 member", "etf": "fund", "equity": "share", "adr": "US-listed ADR",
        "index": "index", "fx": "currency rate"}
FIFTHS = ["lowest", "2nd-lowest", "middle", "2nd-highest", "highest"]
PATH_DIGITS = 1                 # the path's precision (per cent), as its tooltip shows it; the
                                # card's numbers are kept whole and rounded once, when shown
LINE = 18                       # px between the card's lines
PHONE_WIDTH = 280               # the views' width on a narrow column: drawn once at 390 px
SOURCE = ("Yahoo Finance daily closes; abnormal returns and chip sensitivity from the "
          "cross-section chapter")
NUMBERS = ["ret0_pct", "ar0_pct", "rank_fall", "chip", "chip_fifth"]


def dates() -> tuple[pd.Timestamp, pd.Timestamp, pd.Timestamp]:
    """(base, day 0, last): the NYSE close the path starts from (session -BEFORE-1), day 0
    and session +AFTER."""
    sessions = cs.panel()[0].index
    i0 = cs.event_row()
    return sessions[i0 - BEFORE - 1], sessions[i0], sessions[i0 + AFTER]


def _cumulative(returns: pd.DataFrame) -> pd.DataFrame:
    """Cumulative return (per cent) of each column from the first row's close (0) on."""
    grown = (1 + returns.iloc[1:]).cumprod() - 1
    start = pd.DataFrame(0.0, index=returns.index[:1], columns=returns.columns)
    out = pd.concat([start, grown]) * 100
    if out.isna().any().any():
        bad = list(out.columns[out.isna().any()])[:5]
        raise ValueError(f"explorer: missing returns inside the path window for {bad}")
    return out


def _panel_paths() -> pd.DataFrame:
    """Per panel security and the average member (rows), the path per date (columns)."""
    base, _, last = dates()
    returns = cs.panel()[0]
    window = returns.loc[base:last]
    window = window.assign(**{AVERAGE: window[cs.stock_tickers()].mean(axis=1)})
    return _cumulative(window).T


def _book_paths(tickers: list[str]) -> pd.DataFrame:
    """The same for the book's series outside the panel, each in its own sessions: 0 at its
    last close on or before the base date."""
    base, _, last = dates()
    rets = load.returns(tickers)
    rows = {}
    for ticker, own in rets.groupby("ticker"):
        own = own.set_index("date").sort_index()
        inside = own.loc[(own.index > base) & (own.index <= last), "ret"]
        start = own.loc[inside.index[0], "prev_date"]
        series = pd.concat([pd.Series([0.0], index=[start]), inside])
        rows[ticker] = _cumulative(series.to_frame(ticker))[ticker]
    return pd.DataFrame(rows).T


_CUT = re.compile(r",?\s+(Incorpor\w*|Corporat\w*|Comp|Compa\w*|Inc|I)$")


def _name(raw: str) -> str:
    """A panel member's name for the card and the list: `short_name`, and a legal suffix the
    source cut off half-way ('Vertex Pharmaceuticals Incorpor') dropped too."""
    return _CUT.sub("", short_name(raw)).strip()


def _about(row: pd.Series) -> str:
    """The card's last line: sector and industry, fund, or the book's group; joining date."""
    if row["kind"] == "sp500":
        industry = short_industry(row["industry"], ABOUT_CHARS)
        text = f"{row['sector']} · {industry}"
        text = text if len(text) <= ABOUT_CHARS else industry
        if pd.notna(row["joined"]):
            text = f"Joined the S&P 500 later: {row['joined']:%-d %b %Y}"
    else:
        text = f"{row['group']} · {KIND[row['kind']]}" if row["group"] else "Fund (ETF)"
    return text if len(text) <= ABOUT_CHARS else text[:ABOUT_CHARS - 1] + "…"


def table() -> pd.DataFrame:
    """One row per security (the panel's, then the book's other series, then the average
    member): ticker, name, kind, sector, industry, group (the book's), book (1 if one of the
    book's own series), day0 (date of its day-0 session), ret0_pct, ar0_pct (per cent),
    rank_fall (1 = largest abnormal fall among the members), chip, chip_fifth (1 = least
    chip-sensitive), about (a line for the card); then the path: cumulative return in per
    cent since the base close (PATH_DIGITS decimals), one column per date (empty where the
    market was closed)."""
    stocks = cs.stocks()
    _, day0, _ = dates()
    universe = facts.universe().set_index("ticker")
    panel = pd.DataFrame({
        "ticker": stocks["ticker"],
        "name": stocks["ticker"].map(universe["name"]).fillna(stocks["name"].map(_name)),
        "kind": stocks["kind"], "sector": stocks["sector"], "industry": stocks["industry"],
        "group": stocks["ticker"].map(universe["group"]).fillna(""),
        "day0": day0, "ret0_pct": stocks["ret0"] * 100, "ar0_pct": stocks["ar0"] * 100,
        "rank_fall": stocks["rank_fall"], "chip": stocks["chip"],
        "chip_fifth": stocks["chip_quintile"], "joined": stocks["joined"]})
    panel.loc[panel["kind"] != "sp500", "group"] = ""
    outside = [t for t in universe.index if t not in set(stocks["ticker"])]
    first = first_sessions(outside).set_index("ticker").reindex(outside)  # the book's rule
    exact = load.returns(outside).set_index(["ticker", "date"])["ret"]  # unrounded
    first["ret"] = exact.loc[list(zip(first.index, first["date"]))].to_numpy()
    book = pd.DataFrame({
        "ticker": outside, "name": universe.loc[outside, "name"].to_numpy(),
        "kind": universe.loc[outside, "kind"].to_numpy(), "sector": "", "industry": "",
        "group": universe.loc[outside, "group"].to_numpy(), "day0": first["date"].to_numpy(),
        "ret0_pct": first["ret"].to_numpy() * 100})
    average = pd.DataFrame({
        "ticker": [AVERAGE], "name": ["Average S&P 500 member"], "kind": ["average"],
        "sector": [""], "industry": [""], "group": [""], "day0": [day0],
        "ret0_pct": [stocks.loc[stocks["kind"] == "sp500", "ret0"].mean() * 100]})
    rows = pd.concat([panel, book, average], ignore_index=True)
    rows["book"] = rows["ticker"].isin(universe.index).astype(int)
    rows["about"] = [_about(r) for _, r in rows.iterrows()]
    rows.loc[rows["ticker"] == AVERAGE, "about"] = "Equal-weighted mean of the members"
    paths = pd.concat([_panel_paths(), _book_paths(outside)], sort=True)
    paths = paths[sorted(paths.columns)].reindex(rows["ticker"])
    paths.columns = [f"{d:%Y-%m-%d}" for d in paths.columns]
    rows["day0"] = pd.to_datetime(rows["day0"]).dt.strftime("%Y-%m-%d")
    out = rows.drop(columns="joined").reset_index(drop=True)
    for col in ("rank_fall", "chip_fifth"):
        out[col] = out[col].astype("Int64")
    return pd.concat([out, paths.round(PATH_DIGITS).reset_index(drop=True)], axis=1)


def path_columns(frame: pd.DataFrame) -> list[str]:
    """The path's date columns of `table()`."""
    return [c for c in frame.columns if c[:2] == "20" and c[4] == "-"]


def ranked(frame: pd.DataFrame) -> int:
    """How many securities are ranked (the members)."""
    return int(frame["rank_fall"].notna().sum())


# ---- the chart ---------------------------------------------------------------------------

KEY = "upper(trim(pick))"
HIT = f"upper(datum.ticker) === {KEY} || upper(datum.name) === {KEY}"


def _card(n: int, day0: str) -> alt.LayerChart:
    """The picked security's numbers as short lines of text (each fits a phone's column; a
    long name is cut to the view's width), or a note that nothing matches what was typed."""
    move = ("(datum.ret0_pct < 0 ? 'Fell ' : datum.ret0_pct > 0 ? 'Rose ' : 'Unchanged') + "
            "(datum.ret0_pct === 0 ? '' : format(abs(datum.ret0_pct) / 100, '.1%')) + ' on ' + "
            f"(datum.day0 === '{day0}' ? utcFormat(toDate(datum.day0), '%A %-d %B %Y') : "
            "utcFormat(toDate(datum.day0), '%a %-d %b') + ' (first session)')")
    member, fund = "isValid(datum.rank_fall)", "isValid(datum.ar0_pct)"
    abnormal = (f"{fund} ? 'Abnormal return ' + format(datum.ar0_pct / 100, '+.1%') + "
                f"({member} ? '' : ' (a fund)') : 'Outside the S&P 500 panel:'")
    rank = (f"{member} ? 'Rank ' + datum.rank_fall + ' of {n} members (1 = largest fall)' : "
            f"{fund} ? 'Funds are not ranked' : 'no abnormal return or rank here'")
    chip = ("isValid(datum.chip) ? 'Chip sensitivity ' + format(datum.chip, '.2f') + "
            f"(isValid(datum.chip_fifth) ? ': ' + {FIFTHS}[datum.chip_fifth - 1] + ' fifth' "
            f": '') : {fund} ? 'Chip sensitivity: too little 2024 data' : ''")
    missing = "datum.hits === 0"
    lines = {
        "l1": f"{missing} ? 'Nothing matches “' + trim(pick) + '”' : "
              "datum.name + ' (' + datum.ticker + ')'",
        "l2": f"{missing} ? 'Type a ticker or a name, or pick' : {move}",
        "l3": f"{missing} ? 'one from the list' : {abnormal}",
        "l4": f"{missing} ? '' : {rank}",
        "l5": f"{missing} ? '' : {chip}",
        "l6": f"{missing} ? '' : datum.about"}
    base = alt.Chart().transform_calculate(hit=f"({HIT}) ? 1 : 0").transform_joinaggregate(
        hits="sum(hit)").transform_filter(
        f"datum.hit === 1 || (datum.hits === 0 && datum.ticker === '{AVERAGE}')"
    ).transform_calculate(**lines)
    layers = []
    for k, name in enumerate(lines):
        bold = k == 0
        layers.append(base.mark_text(
            align="left", baseline="top", fontSize=14 if bold else 12, limit=alt.expr("width"),
            fontWeight="bold" if bold else "normal", color="#222222").encode(
            x=alt.value(0), y=alt.value(k * LINE + (0 if bold else 3)), text=f"{name}:N",
            tooltip=[alt.Tooltip("name:N", title="Security"),
                     alt.Tooltip("ticker:N", title="Ticker")]))
    return alt.layer(*layers).properties(width=WIDTH, height=len(lines) * LINE)


def _path(dates_: list[str], day0: str, base: pd.Timestamp) -> alt.LayerChart:
    """The picked security's cumulative return and the average member's, by date."""
    tone = (f"datum.ticker === '{AVERAGE}' ? 'average' : datum.ret0_pct < 0 ? 'fell' : "
            "datum.ret0_pct > 0 ? 'rose' : 'average'")
    x = alt.X("date:T", title="Session (2025)", scale=alt.Scale(type="utc"),
              axis=alt.Axis(format="%-d %b", labelOverlap=True))
    lines = alt.Chart().transform_filter(f"{HIT} || datum.ticker === '{AVERAGE}'").transform_fold(
        dates_, as_=["day", "cum"]).transform_filter("isValid(datum.cum)").transform_calculate(
        date="toDate(datum.day)", tone=tone,
        when="utcFormat(toDate(datum.day), '%a %-d %b %Y')").mark_line(
        point=alt.OverlayMarkDef(size=16, filled=True)).encode(
        x=x, y=alt.Y("cum:Q", title=f"Return since {base:%-d %B} close (%)"),
        color=alt.Color("tone:N", legend=None, scale=alt.Scale(
            domain=["fell", "rose", "average"], range=[NEGATIVE, POSITIVE, NEUTRAL])),
        strokeDash=alt.StrokeDash("tone:N", legend=None, scale=alt.Scale(
            domain=["fell", "rose", "average"], range=[[1, 0], [1, 0], [5, 3]])),
        detail="ticker:N",
        tooltip=[alt.Tooltip("name:N", title="Security"), alt.Tooltip("when:N", title="Session"),
                 alt.Tooltip("cum:Q", title=f"Return since {base:%-d %b} (%)",
                             format=f"+.{PATH_DIGITS}f")])
    label = f"{pd.Timestamp(day0):%A %-d %B %Y}"
    rule = alt.Chart(alt.Data(values=[{"date": day0, "label": label}])
                     ).mark_rule(color=MUTED, strokeDash=[2, 2]).encode(
        x=x, tooltip=[alt.Tooltip("label:N", title="Day 0")])
    return alt.layer(rule, lines).properties(width=WIDTH, height=220)


def _strip(n: int, day0: pd.Timestamp) -> alt.LayerChart:
    """Every member's abnormal return on day 0, the picked one marked."""
    x = alt.X("ar0_pct:Q", title=f"Abnormal return on {day0:%-d %B}, {n} members (%)")
    tips = [alt.Tooltip("name:N", title="Member"),
            alt.Tooltip("ar0_pct:Q", title="Abnormal return (%)", format="+.1f"),
            alt.Tooltip("rank_fall:Q", title=f"Rank of {n} (1 = largest fall)")]
    members = alt.Chart().transform_filter("isValid(datum.rank_fall)")
    everyone = members.mark_tick(color=MUTED, thickness=1, size=22).encode(x=x, tooltip=tips)
    picked = members.transform_filter(HIT).transform_calculate(
        tone="datum.ar0_pct < 0 ? 'fell' : 'rose'").mark_tick(thickness=3, size=34).encode(
        x=x, tooltip=tips, color=alt.Color("tone:N", legend=None, scale=alt.Scale(
            domain=["fell", "rose"], range=[NEGATIVE, POSITIVE])))
    return alt.layer(everyone, picked).properties(width=WIDTH, height=40)


def chart(frame: pd.DataFrame, url: str) -> alt.VConcatChart:
    """The explorer: the picked security's card, its path against the average member, and
    its abnormal return among all members; data loaded from `url` (the file of `frame`)."""
    days = path_columns(frame)
    n, total = ranked(frame), int((frame["ticker"] != AVERAGE).sum())
    base, day0, last = dates()
    parse = {c: "number" for c in NUMBERS + days}
    data = alt.UrlData(url=url, format=alt.CsvDataFormat(type="csv", parse=parse))
    pick = alt.param(name="pick", value=FIRST, bind=alt.BindDirect(element=f"#{PICKER}"))
    iso = f"{day0:%Y-%m-%d}"
    body = alt.vconcat(_card(n, iso), _path(days, iso, base), _strip(n, day0), data=data,
                       spacing=14).add_params(pick).resolve_scale(color="independent")
    first = frame.set_index("ticker").at[FIRST, "name"]
    phone = {f"vconcat/{k}/width": PHONE_WIDTH for k in range(3)}
    return finish(
        preview(narrow_layout(body, set=phone)),  # at the top of its page: a picture first
        title=f"Any of {total} securities around {day0:%-d %B %Y}, against the average member",
        subtitle=[f"Line: return since the close on {base:%-d %B}, in each market's own sessions.",
                  "Orange if the security fell on day 0, blue if it rose; grey dashed: the "
                  "average member.", f"Ticks: all {n} members' abnormal returns on "
                  f"{day0:%-d %B}."],
        source=SOURCE,
        description=(f"Interactive chart of one security at a time, chosen in the box above "
                     f"from {total} ({first} at first): a card with its day-0 return, abnormal "
                     f"return, rank among the {n} S&P 500 members and chip sensitivity; a line "
                     f"of its cumulative return from {base:%-d %B} to {last:%-d %B %Y} "
                     "against the average member; and a strip of every member's abnormal "
                     f"return on {day0:%-d %B} with the chosen one marked."))


# ---- the picker --------------------------------------------------------------------------

def picker(frame: pd.DataFrame) -> str:
    """The page's type-ahead box: an <input> bound to the chart's `pick` parameter and a
    <datalist> of every security (ticker as value, name and kind as label)."""
    rows = frame.loc[frame["ticker"] != AVERAGE]
    what = rows["sector"].where(rows["kind"] == "sp500", rows["group"]).where(
        rows["kind"] != "etf", "fund")
    options = "".join(f'<option value="{html.escape(t)}" label="{html.escape(f"{n} · {w}")}">'
                      for t, n, w in zip(rows["ticker"], rows["name"], what))
    return (f'<div class="deepshock-explorer"><label for="{PICKER}">Security: type a ticker or '
            f'a name, or pick from the list</label>'
            f'<input id="{PICKER}" list="{LISTING}" value="{FIRST}" autocomplete="off" '
            f'spellcheck="false" autocapitalize="characters" enterkeyhint="done">'
            f'<datalist id="{LISTING}">{options}</datalist></div>')


@dataclass(frozen=True)
class Page:
    """What the explorer page publishes."""
    table: pd.DataFrame
    chart: alt.VConcatChart | None   # None only inside `page`, before the URL is known
    picker: str
    total: int       # securities to pick from
    members: int     # ranked members
    funds: int       # the panel's funds
    book: int        # the book's own series
    outside: int     # of them, not in the panel
    base: pd.Timestamp
    day0: pd.Timestamp
    last: pd.Timestamp
    window: tuple            # the chip sensitivity's first and last session
    late: list               # markets whose first session came after day 0

    @property
    def text(self) -> dict[str, str]:
        """The page's prose numbers (glue name -> house-style text)."""
        return {
            "ex_total": number(self.total, 0), "ex_members": number(self.members, 0),
            "ex_funds": number(self.funds, 0), "ex_book": number(self.book, 0),
            "ex_outside": number(self.outside, 0), "ex_before": number(BEFORE, 0),
            "ex_after": number(AFTER, 0), "ex_base": day(self.base),
            "ex_day0": day(self.day0, weekday=True), "ex_last": day(self.last),
            "ex_window": f"{day(self.window[0])} to {day(self.window[1])}",
            "ex_late": " and ".join(self.late)}


def page(publish: Callable[[str, pd.DataFrame], str], name: str = "fig-explorer") -> Page:
    """The page's data, chart, picker and counts in one call; `publish(name, table)` writes
    the data file the chart loads and returns its URL (`book.report.data_url`). Both parts are
    kept in the artefact store (`page.stored`); the file is written on every call."""
    return _drawn(publish(name, _counted().table))


@stored
def _counted() -> Page:
    """The page without its chart, which names the URL of the data file."""
    frame = table()
    base, day0, last = dates()
    rows = frame.loc[frame["ticker"] != AVERAGE]
    markets = facts.universe().set_index("ticker")["market"]
    late = rows.loc[rows["day0"] > f"{day0:%Y-%m-%d}", "ticker"].map(markets)
    return Page(frame, None, picker(frame), len(rows),
                ranked(frame), int((rows["kind"] == "etf").sum()), int(rows["book"].sum()),
                len(rows) - len(cs.stocks()), base, day0, last, cs.exposure_window(),
                sorted(late.dropna().unique()))


@stored
def _drawn(url: str) -> Page:
    """The page with its chart, which loads its data from `url`."""
    counted = _counted()
    return replace(counted, chart=chart(counted.table, url))
