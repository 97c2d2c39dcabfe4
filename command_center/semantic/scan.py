"""Scan a request against the semantic layer: which words name what, and which words are left.

Longest phrase first at every position; a word no phrase covers may still be a near-spelling
of one (rapidfuzz), else it is grammar, filler, or *unaccounted* — a meaning-carrying word the
builder did not understand (it must then ask rather than guess).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

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

    def mark(self, pattern: str) -> list[re.Match[str]]:
        """Mark the words a grammar pattern matches; returns the matches."""
        found = list(re.finditer(pattern, self.text))
        for match in found:
            first = len(self.text[: match.start()].split())
            last = len(self.text[: match.end()].split())
            self.grammar.update(range(first, max(last, first + 1)))
        return found


def _single_words(layer: SemanticLayer) -> list[str]:
    cached = getattr(layer, "_single_words", None)
    if cached is None:
        cached = sorted({k[0] for k in layer.lexicon if len(k) == 1 and len(k[0]) >= 4})
        layer._single_words = cached  # type: ignore[attr-defined]
    return cached


def scan(raw: str, layer: SemanticLayer) -> Scan:
    """Tokenise `raw` and cover it with the layer's phrases (longest first)."""
    text = normalize(raw)
    words = text.split()
    stems = [stem(w) for w in words]
    result = Scan(text=text, words=words, stems=stems)
    longest = layer.max_phrase_len()
    taken: set[int] = set()
    # metric phrases first ("warehouse claim volume": the metric, not the table synonym)
    for only_metrics in (True, False):
        i = 0
        while i < len(stems):
            for size in range(min(longest, len(stems) - i), 0, -1):
                if taken & set(range(i, i + size)):
                    continue
                tags = layer.lexicon.get(tuple(stems[i : i + size]))
                if tags and (not only_metrics or any(t.kind == "metric" for t in tags)):
                    words_ = " ".join(words[i : i + size])
                    result.spans.append(Span(i, i + size, words_, list(tags)))
                    taken.update(range(i, i + size))
                    i += size
                    break
            else:
                i += 1
    result.spans.sort(key=lambda s: s.start)
    return result


def fuzzy(result: Scan, layer: SemanticLayer) -> None:
    """Near-spellings ("enrolments", "escalted") of single lexicon words, for words neither a
    phrase nor grammar explained."""
    covered = {i for s in result.spans for i in range(s.start, s.end)} | result.grammar
    choices = _single_words(layer)
    for i, word in enumerate(result.stems):
        if i in covered or len(word) < 5 or word in grammar.FILLER or not choices:
            continue
        best = process.extractOne(word, choices, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
        if best is None:
            continue
        tags = layer.lexicon[(best[0],)]
        result.spans.append(Span(i, i + 1, result.words[i], list(tags)))
        result.corrected[result.words[i]] = best[0]
    result.spans.sort(key=lambda s: s.start)
