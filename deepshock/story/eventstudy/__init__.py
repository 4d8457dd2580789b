"""The event study chapter ("How abnormal was it?"): the market-model event study of the
DeepSeek shock and everything its page shows.

`study` runs it (securities, groups, tests; kept in the artefact store), `bench` builds the
benchmarks, `news` finds other news in the windows and the day's breadth, `placebo` measures
the tests' size on days with no event, `tables` formats the tables and the group chart,
`opening` draws the opening chart and `page.chapter` (re-exported as `chapter`) returns the page's prose numbers and figures
in one call. The study's names are re-exported here (`from deepshock.story import eventstudy
as es; es.run()`), as other chapters use them.
"""

from .study import *  # noqa: F401,F403
from .page import chapter  # noqa: E402,F401  (the page's one call)
