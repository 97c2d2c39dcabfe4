"""Request grammar: the words that shape a widget (chart kinds, windows, aggregates, negation,
ordering, filler). Domain vocabulary (metrics, tables, columns, values) is NOT here: it comes
from the catalog, the data dictionary and the data through the semantic layer."""

from __future__ import annotations

import re

# chart kinds, most specific first; each pattern runs on the normalised request
CHART_KINDS: list[tuple[str, str]] = [  # the first kind found wins
    (r"\b(composed chart|composed|combo chart|combination chart)\b", "composed"),
    (r"\b(pie|pies|donut|doughnut|share of|proportion|composition)\b", "pie"),
    (r"\bmix\b", "pie"),
    (r"\b(scatter|scatterplot|correlation)\b", "scatter"),
    (r"\b(area chart|stacked area|area graph|area)\b", "area"),
    (r"\b(radar|spider)\b", "radar"),
    (r"\b(radial|radial bar)\b", "radial_bar"),
    (r"\b(line|lines|trend|trends|trending|over time|time series|sparkline)\b", "line"),
    (
        r"\b(bar|bars|stacked bar|stacked|column chart|histogram|ranking|ranked|leaderboard)\b",
        "bar",
    ),
]
# words that ask for a part-of-whole view when nothing else names a chart kind and the
# request is not a time series
SOFT_PIE = r"\b(breakdown|break down|distribution|distributed|split|spread)\b"
KPI_WORDS = (
    r"\b(kpi|tile|single number|big number|number card|scorecard|headline|stat card|"
    r"counter|card|single value|one number|just the number|just a number)\b"
)
TABLE_WORDS = r"\b(table|tabulate|list|listing|grid|rows|tabular|spreadsheet)\b"
CHART_WORDS = r"\b(chart|graph|plot|visuali[sz]e|visuali[sz]ation|diagram)\b"
OVER_TIME = (
    r"\b(trend|trends|trending|over time|time series|daily|by day|per day|by date|"
    r"day by day|each day|every day|sparkline|day over day|week over week)\b"
)
# a request's opening verb before a pronoun or article ("make me a chart of …"): the verb,
# never the column a noun of the same spelling names ("claims by make")
IMPERATIVE = (
    r"^(?:(?:please|pls|can you|could you|would you|can u)\s+)?(?:make|build|create|give)\b"
    r"(?=\s+(?:me|us|a|an|the|it|my|our|this|that)\b)"
)
# who or where the widget is for ("for the exec wallboard", "for my manager", "for the
# standup"): an audience says nothing about the data, so its words are read as grammar
_AUDIENCE_NOUNS = (
    r"(?:wall|wallboard|board|tv|screen|deck|slides?|meeting|standup|stand up|huddle|team|"
    r"manager|boss|execs?|executives?|leadership|management|director|folks)"
)
AUDIENCE = (
    rf"\bfor (?:the|my|our|a|an) (?:[a-z]+ ){{0,2}}?{_AUDIENCE_NOUNS}(?: {_AUDIENCE_NOUNS})*\b"
)
# the grain of a time series (pseudo-dimensions hour/week/month; "day" is OVER_TIME's)
GRAINS: list[tuple[str, str]] = [
    (
        r"\b(hourly|by (the )?hour|per hour|each hour|every hour|hour by hour|"
        r"hour over hour|hour on hour)\b",
        "hour",
    ),
    (
        r"\b(weekly|by (the )?week|per week|each week|every week|week by week|"
        r"week over week|week on week)\b",
        "week",
    ),
    (
        r"\b(monthly|by (the )?month|per month|each month|every month|month by month|"
        r"month over month|month on month)\b",
        "month",
    ),
]
DAY_GRAIN = r"\b(daily|by day|per day|each day|every day|day by day|day over day)\b"
# a cyclic profile ("by hour of day": the 24 hours of every day pooled together) is not a
# series of consecutive buckets: no widget computes it yet, so it is asked, never guessed
CYCLIC = (
    r"\b(hours? of (the )?day|time of (the )?day|days? of (the )?week|weekdays?|"
    r"days? of (the )?month|months? of (the )?year)\b"
)
# asks no variant can draw yet → the `custom` hook (template name)
CUSTOM_TEMPLATES: list[tuple[str, str]] = [
    (r"\b(feed|feeds|ticker|stream of|live log|activity log)\b", "feed"),
    (r"\b(timeline|timelines|gantt)\b", "timeline"),
    (r"\b(against target|vs target|versus target|to target|target|goal|goals|quota)\b", "progress"),
    (r"\b(progress bar|progress)\b", "progress"),
    (r"\b(gauge|speedometer|dial)\b", "gauge"),
    (r"\b(map|heatmap|heat map|choropleth)\b", "map"),
    (r"\b(funnel|sankey)\b", "funnel"),
    (
        r"\b(alert|alerts|alarm|alarms|notification|notifications|notify|notifies|ping me)\b",
        "alerts",
    ),
]
# text that is code or markup, not a request (asked to rephrase, never parsed for words)
CODE_LIKE = (
    r"<\s*/?\s*[a-z][a-z0-9]*[^>]*>|;\s*(drop|delete|insert|update|alter|create|truncate)\b|"
    r"--\s*$|\bunion\s+select\b|\bselect\s+.+\s+from\b"
)
ACCENTS = {
    "blue": "blue",
    "green": "green",
    "amber": "amber",
    "orange": "amber",
    "yellow": "amber",
    "red": "red",
    "violet": "violet",
    "purple": "violet",
    "grey": "slate",
    "gray": "slate",
    "slate": "slate",
    "teal": "teal",
    "pink": "pink",
}
BACKEND_WORDS = (
    r"\b(warehouse|databricks|lakehouse|l3|asurion|ev claim|analytics store|analytics side|"
    r"analytics)\b"
)

NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "sixty": 60,
    "ninety": 90,
}
UNIT_DAYS = {"hour": 1 / 24, "day": 1, "week": 7, "fortnight": 14, "month": 30, "quarter": 90}
UNIT_DAYS["year"] = 365
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]

# (pattern, window_days, period); first match wins
FIXED_WINDOWS: list[tuple[str, int, str | None]] = [
    # "since the start of the month": the calendar period so far (before "the week")
    (r"\bsince the (start|beginning) of (the|this) month\b|\bsince the 1st\b", 30, "this_month"),
    (r"\bsince the (start|beginning) of (the|this) week\b", 7, "this_week"),
    (r"\bsince the (start|beginning) of (the|this) quarter\b", 90, "this_quarter"),
    (r"\bsince the (start|beginning) of (the|this) year\b", 365, "this_year"),
    (r"\b(last|past|previous) 24 ?h(ours|rs)?\b|\b24 ?h\b|\blast day\b", 1, None),
    (r"\b(so far )?today\b|\bthis day\b", 1, "today"),
    (r"\byesterday\b", 1, "yesterday"),
    (r"\b(this week|week to date|wtd|so far this week)\b", 7, "this_week"),
    (r"\b(last|previous|prior) week\b", 7, "last_week"),
    (r"\b(past|trailing|recent) week\b|\bthe week\b", 7, None),
    (r"\b(past|last|previous) fortnight\b|\bfortnight\b", 14, None),
    (r"\b(this month|month to date|mtd|so far this month)\b", 30, "this_month"),
    (r"\b(last|previous|prior) month\b", 30, "last_month"),
    (r"\b(past|trailing|recent) month\b", 30, None),
    (r"\b(this quarter|quarter to date|qtd)\b", 90, "this_quarter"),
    (r"\b(last|previous|prior) quarter\b", 90, "last_quarter"),
    (r"\b(past|trailing) quarter\b", 90, None),
    (r"\b(this year|year to date|ytd)\b", 365, "this_year"),
    (r"\b(last|previous|prior) year\b", 365, "last_year"),
    (r"\b(past|trailing) year\b", 365, None),
]
TRAILING = re.compile(
    r"\b(?:last|past|previous|trailing|over the last|in the last|within the last|recent)\s+"
    r"(\d+|[a-z]+)\s+(hour|day|week|fortnight|month|quarter|year)s?\b"
)
SHORT_DAYS = re.compile(r"\b(\d+)\s*(d|days?|wks?|weeks?|mos?|months?)\b")
# "last 90d": the lead word of a short window (SHORT_DAYS reads the amount)
SHORT_DAYS_LEAD = (
    r"\b(?:last|past|previous|trailing)\s+(?=\d+\s*(?:d|days?|wks?|weeks?|mos?|months?)\b)"
)
# shorthand for time words, spelled out before the request is read ("last wk", "yday")
TIME_SHORTHAND = {
    "hr": "hour", "hrs": "hours", "wk": "week", "wks": "weeks", "mo": "month", "mos": "months",
    "mth": "month", "mths": "months", "mnth": "month", "mnths": "months", "qtr": "quarter",
    "qtrs": "quarters", "yr": "year",
    "yrs": "years", "wow": "week over week", "mom": "month over month", "dod": "day over day",
    "yday": "yesterday", "yest": "yesterday", "tdy": "today", "2day": "today",
}  # fmt: skip
# "l7d", "l30d", "l4w": the last N days / weeks
TIME_CODE = re.compile(r"^l(\d+)([dwm])$")
SINCE_WEEKDAY = re.compile(r"\bsince (monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b")

# a widget request is one sentence (the labelled ones have at most 13 words); a longer text is
# a paste or a keyword dump, asked about rather than read
MAX_WORDS = 50
AGGREGATES: dict[str, str] = {
    "average": "AVG",
    "avg": "AVG",
    "mean": "AVG",
    "typical": "AVG",
    "total": "SUM",
    "much": "SUM",  # "how much did we pay out": a sum of money
    "sum": "SUM",
    "overall": "SUM",
    "max": "MAX",
    "maximum": "MAX",
    "largest": "MAX",
    "biggest": "MAX",
    "highest": "MAX",
    "min": "MIN",
    "minimum": "MIN",
    "smallest": "MIN",
    "lowest": "MIN",
    "cheapest": "MIN",
    "priciest": "MAX",
    "dearest": "MAX",
}
# aggregate words that may also follow their measure ("payout total", "premium average")
TRAILING_AGGREGATES = {"total", "sum", "average", "avg", "mean", "max", "maximum", "min", "minimum"}
# a share of rows: "denial rate", "share of claims via app", "% of sessions escalated"
RATE_WORDS = (
    r"^(rate|rates|ratio|ratios|percentage|percentages|percent|pct|proportion|share|fraction|%)$"
)
EXPLICIT_PIE = r"\b(pie|pies|donut|doughnut)\b"
COUNT_WORDS = (
    r"\b(count|counts|number of|how many|volume of|volume|tally|amount of|quantity of|quantity)\b"
    r"|#\s*of\b|#(?=\s*[a-z])"
)
DISTINCT_WORDS = r"\b(distinct|unique|different)\b"
NEGATIONS = (
    r"\b(excluding|exclude|excludes|excl|except|without|other than|not counting|not including|"
    r"not|but not|minus|no|non|"
    r"leave out|leaving out|leave|omit|omitting|ignore|ignoring|skip|skipping|sans|"
    r"filter out|filtering out|apart from|aside from|barring|ex)\b"
)
# a negation after its values: "tablets excluded", "retail and web left out"
POSTFIX_NEGATIONS = re.compile(
    r"^(excluded|omitted|removed|aside|left out|taken out|not included|not counted)\b"
)
# "vs last week", "compared to yesterday": no widget compares a period with another yet
VERSUS_PERIOD = (
    r"\b(vs|versus|compared to|compared with|against)\s+(the\s+)?(last|previous|prior|this|"
    r"same|yesterday|today)\b"
)
TOP = re.compile(r"\b(top|best|highest|most|largest|biggest|leading|busiest)\s+(\d+|[a-z]+)\b")
BOTTOM = re.compile(r"\b(bottom|worst|lowest|least|fewest|smallest|quietest)\s+(\d+|[a-z]+)\b")
# "which 3 models … the most": a top N whose order word comes later
WHICH_N = re.compile(r"\b(?:which|what)\s+(\d+|[a-z]+)\b")
# "rank channels by payout": a descending ranking of the word after it
RANK_WORDS = re.compile(r"\b(rank|ranked|ranking)\b")
MOST_WORDS = r"\b(most|highest|largest|biggest|best|top|busiest)\b"
LEAST_WORDS = r"\b(least|fewest|lowest|smallest|worst|bottom|quietest)\b"
GROUP_WORDS = (
    r"\b(by|per|across|for each|for every|each|grouped by|group by|broken down by|"
    r"broken out by|broken up by|break down by|break out by|"
    r"split by|segmented by|breakdown by|breakdown of|versus|vs)\b"
)
# words that ask for numbers without naming a measure ("show me performance"): which metric?
VAGUE_MEASURES = {
    "performance",
    "kpi",
    "kpis",
    "health",
    "overview",
    "summary",
    "results",
    "numbers",
    "metrics",
    "stats",
    "figures",
    "dashboard",
    "status",
    "progress",
    "doing",  # "how are we doing": which numbers?
}
# auxiliary verbs that may split a metric phrase ("plans got cancelled", "claims were filed")
AUXILIARIES = {"got", "get", "gets", "getting", "were", "was", "been", "being", "are", "is"}
# words that carry no meaning of their own in a widget request (stemmed forms)
# fmt: off
FILLER = set([
    "a", "an", "the", "of", "for", "in", "on", "at", "to", "from", "with", "and", "or", "as", "by",
    "per", "across", "each", "every", "over", "during", "within", "into", "via", "through", "show",
    "me", "my", "our", "us", "i", "we", "you", "want", "need", "would", "like", "could", "can",
    "please", "give", "display", "see", "get", "add", "create", "build", "make", "put", "new",
    "widget", "dashboard", "panel", "view", "chart", "graph", "plot", "visualise", "visualize",
    "visualisation", "visualization", "diagram", "number", "numbers", "what", "whats", "what's",
    "is", "are", "was", "were", "be", "been", "how", "many", "much", "which", "who", "do", "does",
    "did", "have", "has", "there", "their", "it", "its", "this", "that", "these", "those", "all",
    "any", "some", "data", "info", "metric", "metrics", "stat", "stats",
    "statistic", "figure", "figures", "report", "current", "currently", "so", "far", "now",
    "recent", "latest", "live", "realtime", "just", "only", "also", "then", "than",
    "up", "down", "out", "right", "here", "let", "lets", "broken", "split", "grouped", "group",
    "segmented", "breakdown", "compare", "comparison", "comparing", "versus", "vs", "using", "use",
    "based", "where", "when", "while", "kind", "sort", "type", "about", "regarding", "between",
    "ve", "'s", "s", "top", "bottom", "most", "least", "best", "worst", "highest",
    "lowest", "fewest", "largest", "smallest", "biggest", "leading",
    # everyday words that carry no meaning in a widget request
    "got", "gets", "getting", "still", "yet", "sitting", "sit", "came", "come", "coming", "pls",
    "plz", "thx", "ty", "thanks", "thank", "ones", "one", "at", "exactly", "currently", "combos",
    "combo",
    "combination", "combinations", "happening", "looking", "look", "tell", "know", "quick",
    "rn", "moment", "single", "offer", "offers", "offered", "compared", "stuff",
    "things", "thing", "everything", "anything", "please", "doing", "atm", "format", "since",
    "performing", "perform", "faring", "going", "whose", "bring", "brings", "bringing",
    "brought", "gimme", "fine", "ok", "okay", "works", "whatever", "include", "includes",
    "including",
    "hey", "hi", "hello", "u", "ur", "had", "ever", "weve", "ive", "made", "can", "cheers",
    "together", "idea", "track", "monitor", "common", "frequent", "busiest", "quietest",
    # follow-up phrasing ("make it a pie", "last 7 days instead")
    "instead", "rather", "change", "switch", "turn", "actually",
])
# fmt: on


def spell_out(word: str) -> str:
    """A time shorthand spelled out ("wk" → "week", "l7d" → "last 7 days"); else the word."""
    code = TIME_CODE.match(word)
    if code:
        return f"last {code.group(1)} {dict(d='days', w='weeks', m='months')[code.group(2)]}"
    return TIME_SHORTHAND.get(word, word)


def number(word: str) -> int | None:
    """An integer written as digits or a small number word."""
    return int(word) if word.isdigit() else NUMBER_WORDS.get(word)


_EXPLICIT_KINDS = {
    "pie": r"\b(pie|pies|donut|doughnut)\b",
    "scatter": r"\b(scatter|scatterplot)\b",
    "area": r"\barea\b",
    "radar": r"\b(radar|spider)\b",
    "line": r"\b(line|lines)\b",
    "bar": r"\b(bar|bars|column chart)\b",
    "composed": r"\b(composed|combo)\b",
}


def shape_conflict(text: str) -> list[str]:
    """The widget shapes `text` names explicitly when they disagree ("chart and table", "bar
    and line"); [] when at most one is named."""
    kinds = [kind for kind, pattern in _EXPLICIT_KINDS.items() if re.search(pattern, text)]
    if "composed" in kinds:  # "composed bar and line": one composed chart
        kinds = ["composed"]
    shapes = [f"{kind} chart" for kind in kinds]
    if not kinds and re.search(CHART_WORDS, text):
        shapes.append("chart")
    for name, pattern in (("KPI tile", KPI_WORDS), ("table", TABLE_WORDS)):
        if re.search(pattern, text):
            shapes.append(name)
    return shapes if len(shapes) > 1 else []


def keywords() -> set[str]:
    """The grammar's own words of five letters or more (widget shapes, backends, series,
    aggregates):
    a one-letter slip of one of them ("tabluate", "warehose") is mended before scanning."""
    patterns = [p for p, _k in CHART_KINDS] + [KPI_WORDS, TABLE_WORDS, CHART_WORDS, OVER_TIME]
    words = {w for p in [*patterns, BACKEND_WORDS] for w in re.findall(r"[a-z]{5,}", p)}
    return words | {w for w in AGGREGATES if len(w) >= 5}  # "avrage", "totl" is too short
