"""Scan a request against the semantic layer: which words name what, and which words are left.

Longest phrase first at every position; a word no phrase covers may still be a near-spelling
of one (rapidfuzz), else it is grammar, filler, or *unaccounted* — a meaning-carrying word the
builder did not understand (it must then ask rather than guess).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from command_center.semantic import grammar
from command_center.semantic.layer import SemanticLayer, Tag
from command_center.semantic.text import normalize, stem

FUZZY_CUTOFF = 88


@dataclass
class Span:
    """Words [start, end) of the request and the tags their phrase carries."""

    start: int
    end: int
    words: str
    tags: list[Tag]

    def of(self, kind: str) -> list[Tag]:
        """Tags of one kind."""
        return [t for t in self.tags if t.kind == kind]


@dataclass
class Scan:
    """The request's words, the lexicon spans over them and what grammar covered."""

    text: str  # normalised request
    words: list[str]  # normalised words
    stems: list[str]
    spans: list[Span] = field(default_factory=list)
    grammar: set[int] = field(default_factory=set)  # word indices explained by grammar
    corrected: dict[str, str] = field(default_factory=dict)  # typo -> lexicon word

    def unaccounted(self) -> list[str]:
        """Meaning-carrying words nothing explained."""
        covered = {i for s in self.spans for i in range(s.start, s.end)} | self.grammar
        return [
            w
            for i, w in enumerate(self.words)
            if i not in covered and self.stems[i] not in grammar.FILLER and w not in grammar.FILLER
        ]

    def index_at(self, char: int) -> int:
        """Word index at character offset `char` of `text`."""
        return len(self.text[:char].split()) - (0 if self.text[:char].endswith(" ") else 1)

    def mark(self, pattern: str, unnamed: bool = False) -> list[re.Match[str]]:
        """Mark the words a grammar pattern matches; returns the matches (with `unnamed`, only
        those not inside a column or value phrase: "line" in "phone line" is no chart kind)."""
        named = {  # a metric phrase may carry a kind ("claim status mix" is a pie)
            i for s in self.spans if unnamed and not s.of("metric") for i in range(s.start, s.end)
        }
        found = []
        for match in re.finditer(pattern, self.text):
            first = len(self.text[: match.start()].split())
            last = max(len(self.text[: match.end()].split()), first + 1)
            if not set(range(first, last)) <= named:
                found.append(match)
                self.grammar.update(range(first, last))
        return found

    def unnamed_text(self) -> str:
        """The request without the words lexicon phrases cover."""
        named = {i for s in self.spans for i in range(s.start, s.end)}
        return " ".join(w for i, w in enumerate(self.words) if i not in named)


def _single_words(layer: SemanticLayer) -> list[str]:
    cached = getattr(layer, "_single_words", None)
    if cached is None:
        cached = sorted({k[0] for k in layer.lexicon if len(k) == 1 and len(k[0]) >= 4})
        layer._single_words = cached  # type: ignore[attr-defined]
    return cached


def scan(raw: str, layer: SemanticLayer, forbid: frozenset[tuple[int, int]] = frozenset()) -> Scan:
    """Tokenise `raw` and cover it with the layer's phrases (longest first), never with the
    word ranges in `forbid`."""
    spelled = " ".join(grammar.spell_out(w) for w in normalize(raw).split())
    words, corrected = _mend_grammar(spelled.split(), layer)
    text = " ".join(words)
    stems = [stem(w) for w in words]
    result = Scan(text=text, words=words, stems=stems, corrected=corrected)
    longest = layer.max_phrase_len()
    taken: set[int] = set()
    spelled_values = _snake_values(raw, spelled, layer)  # "claim_filed events": the value
    # metric phrases first ("warehouse claim volume": the metric, not the table synonym)
    for only_metrics in (True, False):
        i = 0
        while i < len(stems):
            for size in range(min(longest, len(stems) - i), 0, -1):
                if taken & set(range(i, i + size)) or (i, i + size) in forbid:
                    continue
                tags = layer.lexicon.get(tuple(stems[i : i + size]))
                if only_metrics and tags and _yields(result, layer, i, size):
                    continue
                if only_metrics and (i, i + size) in spelled_values:
                    continue
                if only_metrics and tags and _shadows_metric(layer, stems, i, size, tags):
                    i += 1  # "payout amount": the longer phrase, not the metric "payout"
                    break
                if tags and (not only_metrics or any(t.kind == "metric" for t in tags)):
                    words_ = " ".join(words[i : i + size])
                    if (i, i + size) in spelled_values:  # the value as the data spells it
                        tags = [t for t in tags if t.kind == "value"]
                    result.spans.append(Span(i, i + size, words_, list(tags)))
                    taken.update(range(i, i + size))
                    i += size
                    break
            else:
                i += _auxiliary_phrase(result, layer, i, taken) if only_metrics else 1
    result.spans.sort(key=lambda s: s.start)
    return result


def _snake_values(raw: str, spelled: str, layer: SemanticLayer) -> set[tuple[int, int]]:
    """Word ranges written as a data value is spelled in the data ("claim_filed",
    "device_registered": snake_case naming a value): read as that value, not a metric."""
    out: set[tuple[int, int]] = set()
    at, words = 0, []
    for token in raw.split():
        mine = " ".join(grammar.spell_out(w) for w in normalize(token).split()).split()
        key_ = tuple(stem(w) for w in mine)
        tags = layer.lexicon.get(key_, []) if "_" in token and len(mine) > 1 else []
        if any(t.kind == "value" for t in tags):
            out.add((at, at + len(mine)))
        at += len(mine)
        words.extend(mine)
    return out if " ".join(words) == spelled else set()


def _shadows_metric(
    layer: SemanticLayer, stems: list[str], i: int, size: int, tags: list[Tag]
) -> bool:
    """Whether a longer phrase naming no metric ("payout amount", a column) starts where a
    shorter metric phrase ("payout") does: the longer reading wins."""
    if any(t.kind == "metric" for t in tags):
        return False
    return any(
        any(t.kind == "metric" for t in layer.lexicon.get(tuple(stems[i : i + shorter]), []))
        for shorter in range(1, size)
    )


def _yields(result: Scan, layer: SemanticLayer, i: int, size: int) -> bool:
    """Whether the metric phrase at words [i, i+size) opens with count grammar and overlaps a
    metric phrase reaching further right ("number of claims filed": "claims filed", the
    words before it only saying "count")."""
    stems, longest = result.stems, layer.max_phrase_len()
    for j in range(i + 1, i + size):
        if not re.fullmatch(rf"(?:{grammar.COUNT_WORDS})\s*", " ".join(result.words[i:j]) + " "):
            continue
        for end in range(min(len(stems), j + longest), i + size, -1):
            tags = layer.lexicon.get(tuple(stems[j:end]), [])
            if any(t.kind == "metric" for t in tags):
                return True
    return False


def _auxiliary_phrase(result: Scan, layer: SemanticLayer, i: int, taken: set[int]) -> int:
    """A metric phrase split by an auxiliary verb after its first word ("plans got
    cancelled" is "plans cancelled"): covered as one span; returns how far to move on."""
    stems = result.stems
    if i + 2 >= len(stems) or stems[i + 1] not in grammar.AUXILIARIES or i in taken:
        return 1
    for size in range(min(layer.max_phrase_len(), len(stems) - i - 1), 1, -1):
        end = i + size + 1
        tags = layer.lexicon.get((stems[i], *stems[i + 2 : end]))
        if tags and any(t.kind == "metric" for t in tags) and not taken & set(range(i, end)):
            result.spans.append(Span(i, end, " ".join(result.words[i:end]), list(tags)))
            taken.update(range(i, end))
            return end - i
    return 1


def fuzzy(result: Scan, layer: SemanticLayer) -> None:
    """Near-spellings ("enrolments", "escalted") and swapped letters ("cliams", "regoin") of
    single lexicon words, for words neither a phrase nor grammar explained; a corrected word
    joins the uncovered words around it when together they are a phrase ("aproval rate")."""
    covered = {i for s in result.spans for i in range(s.start, s.end)} | result.grammar
    choices = _single_words(layer)
    fixed = list(result.stems)
    for i, word in enumerate(result.stems):
        short = len(result.words[i]) == 4  # "opne": only two swapped letters are mended
        if i in covered or len(result.words[i]) < 4 or word in grammar.FILLER or not choices:
            continue
        if word not in choices and len(result.words[i]) >= 5 and result.words[i][-1] == "s":
            word = result.words[i][:-1]  # "devcies": a slip the plural stemming would mangle
        best = (
            None
            if short
            else process.extractOne(word, choices, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
        )
        swaps = [c for c in choices if sorted(c) == sorted(word) and OSA.distance(c, word) == 1]
        match = best[0] if best is not None else swaps[0] if len(swaps) == 1 else None
        if match is None or (_names_a_value(match, layer) and OSA.distance(match, word) > 1):
            continue  # "Northwest" is no slip of "Northeast": a value is mended for one letter
        fixed[i] = match
        start, end = _widest_phrase(fixed, i, covered, result.grammar, layer)
        cut = [s for s in result.spans if not (s.end <= start or s.start >= end)]
        result.spans = [s for s in result.spans if s not in cut]
        for old in cut:  # "opne claims by status": "by status" stays read once "open claims" is
            for rest in _rescan(result, layer, fixed, max(old.start, end), old.end):
                result.spans.append(rest)
        result.spans.append(
            Span(
                start,
                end,
                " ".join(result.words[start:end]),
                list(layer.lexicon[tuple(fixed[start:end])]),
            )
        )
        covered.update(range(start, end))
        result.corrected[result.words[i]] = match
    result.spans.sort(key=lambda s: s.start)


def _rescan(
    result: Scan, layer: SemanticLayer, stems: list[str], start: int, end: int
) -> list[Span]:
    """The longest lexicon phrases over words [start, end) (what a mended word's phrase left
    of a span it took words from)."""
    out, i = [], start
    while i < end:
        for size in range(end - i, 0, -1):
            tags = layer.lexicon.get(tuple(stems[i : i + size]))
            if tags:
                out.append(Span(i, i + size, " ".join(result.words[i : i + size]), list(tags)))
                i += size
                break
        else:
            i += 1
    return out


def _widest_phrase(
    stems: list[str], i: int, covered: set[int], grammar_words: set[int], layer: SemanticLayer
) -> tuple[int, int]:
    """The longest lexicon phrase over word `i` and the uncovered words beside it; a metric
    phrase may also take words another phrase covered ("open cliams" → open claims)."""
    for size in range(min(layer.max_phrase_len(), len(stems)), 1, -1):
        for start in range(max(0, i - size + 1), min(i, len(stems) - size) + 1):
            tags = layer.lexicon.get(tuple(stems[start : start + size]), [])
            metric = any(t.kind == "metric" for t in tags)
            free = all(
                j == i
                or j not in covered
                or (metric and (j not in grammar_words or stems[j] in grammar.FILLER))
                for j in range(start, start + size)
            )
            if tags and free:
                return start, start + size
    return i, i + 1


def splittable(
    found: Scan, layer: SemanticLayer, spans: list[Span] | None = None
) -> frozenset[tuple[int, int]]:
    """Multi-word value phrases (of `spans`, default all) whose words each name something on
    their own ("claims approved": an event type, or the claims table and a status)."""
    return frozenset(
        (span.start, span.end)
        for span in (found.spans if spans is None else spans)
        if span.end - span.start > 1
        and span.tags == span.of("value")
        and all((found.stems[i],) in layer.lexicon for i in range(span.start, span.end))
    )


def distinctive(found: Scan, layer: SemanticLayer) -> list[str]:
    """Metrics named by a word only their phrases contain ("registrations")."""
    owners: dict[str, set[str]] = {}
    for phrase_key, tags in layer.lexicon.items():
        for tag in tags:
            if tag.kind in ("metric", "value"):
                for word in phrase_key:
                    owners.setdefault(word, set()).add(tag.name if tag.kind == "metric" else "")
    hits: list[str] = []
    for word in dict.fromkeys(found.unaccounted()):  # sentence order, not hash order
        metrics = owners.get(stem(word), set())
        if len(metrics) == 1 and "" not in metrics:
            hits.append(next(iter(metrics)))
            found.grammar.add(found.words.index(word))
    return hits


def _names_a_value(word: str, layer: SemanticLayer) -> bool:
    """Whether the single lexicon word `word` names only data values (a region, a make)."""
    tags = layer.lexicon.get((word,), [])
    return bool(tags) and all(t.kind == "value" for t in tags)


def _mend_grammar(words: list[str], layer: SemanticLayer) -> tuple[list[str], dict[str, str]]:
    """Words one slip away from a grammar keyword ("tabluate", "warehose") and naming nothing
    in the layer, spelled as the keyword; returns the words and {typo: keyword}."""
    known = _grammar_keywords()
    out, corrected = [], {}
    for word in words:
        plain = len(word) < 3 or word in known or word in grammar.FILLER
        if plain or (stem(word),) in layer.lexicon:
            out.append(word)
            continue
        slips = [k for k in known if len(word) >= 5 and OSA.distance(k, word) == 1]
        near = slips or _swapped_filler(word) or _dropped_letter(word, layer)
        out.append(near[0] if len(near) == 1 else word)
        if len(near) == 1:
            corrected[word] = near[0]
    return out, corrected


def _dropped_letter(word: str, layer: SemanticLayer) -> list[str]:
    """Words of the layer, grammar or time units that a short word (3-4 letters) spells with
    one letter dropped ("opn" is "open", "wek" is "week"); a negation ("non") is never read
    as one, and a word with two such readings is left alone."""
    if not 3 <= len(word) <= 4 or not word.isalpha() or re.fullmatch(grammar.NEGATIONS, word):
        return []  # "non retail" is no "none"
    pool = {*_single_words(layer), *_grammar_keywords(), *grammar.UNIT_DAYS}
    return sorted(
        k
        for k in pool
        if len(k) == len(word) + 1 and any(k[:i] + k[i + 1 :] == word for i in range(len(k)))
    )


def _swapped_filler(word: str) -> list[str]:
    """Filler words of four letters or more that `word` spells with two neighbouring letters
    swapped ("shwo" is "show"): the one slip that cannot turn one real word into another."""
    return [
        f
        for f in grammar.FILLER
        if len(f) == len(word) >= 4 and sorted(f) == sorted(word) and OSA.distance(f, word) == 1
    ]


_KEYWORDS: set[str] = set()


def _grammar_keywords() -> set[str]:
    if not _KEYWORDS:
        _KEYWORDS.update(grammar.keywords())
    return _KEYWORDS


def count_totals(found: Scan, layer: SemanticLayer) -> bool:
    """ "total claims", "overall approval rate", "total devices registered": an aggregate word
    before a table or a count (or, for "overall", any metric) adds nothing — the total of a
    count is the count. Marks the word as grammar; True when it counts a table's rows."""
    counted = False
    for i, word in enumerate(found.words):
        if word not in ("total", "overall") or i in found.grammar:
            continue
        following = next((s for s in found.spans if s.start > i), None)
        gap = found.words[i + 1 : following.start] if following else ["?"]
        if following is None or any(w not in grammar.FILLER for w in gap):
            continue
        after = [s for s in found.spans if s.start >= following.start]
        while len(after) > 1 and after[0].tags == after[0].of("value"):
            if after[1].start != after[0].end:  # "total enterprise customers": the customers
                break
            after = after[1:]
        following = after[0]
        if any(layer.numeric(t.table, t.column) for t in following.of("column")):
            continue  # "total payout": a sum of its measure
        metrics = [layer.metric(t.name) for t in following.of("metric")]
        counts = [
            m
            for m in metrics
            if m and (word == "overall" or m.measure.upper().startswith("COUNT("))
        ]
        if counts or (not metrics and following.of("table") and not following.of("value")):
            found.grammar.add(i)
            counted = counted or not metrics
    return counted
