"""Text normalisation shared by the vocabulary and the parser (both ways: `cracked_screen` ↔
"cracked screen", case, plurals)."""

from __future__ import annotations

import re

_PUNCT = re.compile(r"[^a-z0-9%$#' ]+")
_WITHOUT = re.compile(r"\bw/o\b")
_NUMBER_OF = re.compile(r"\bno\.\s*of\b")  # "no. of" is "number of", not a negation
_WITH = re.compile(r"\bw/(?=\s|[a-z])")
_CURRENCY = re.compile(r"(?<!\S)[$€£](?!\S)")  # "total $ paid out": the sign alone adds nothing
# "I'd like", "don't include": spelled out ("id" would read as a column, "dont" as nothing)
_CONTRACTIONS = re.compile(r"\b([a-z]+?)(n't|'d|'m|'ve|'ll|'re)\b")
_EXPANDED = {"n't": "not", "'d": "would", "'m": "am", "'ve": "have", "'ll": "will", "'re": "are"}


def normalize(text: str) -> str:
    """Lower-case; "w/", "w/o", "no. of" as "with", "without", "number of"; contractions
    spelled out; a lone currency sign, `_`, `-`, `/` and punctuation to spaces; single spaces."""
    text = text.lower().replace("’", "'")
    text = _NUMBER_OF.sub(" number of ", _WITHOUT.sub(" without ", text))
    text = text.replace("can't", "can not").replace("won't", "will not")
    text = _CONTRACTIONS.sub(lambda m: f"{m.group(1)} {_EXPANDED[m.group(2)]}", text)
    text = _WITH.sub(" with ", text).replace("_", " ").replace("-", " ").replace("/", " ")
    text = (
        _PUNCT.sub(" ", _CURRENCY.sub(" ", text))
        .replace("'s ", " ")
        .replace("'", "")
        .replace("#", "# ")
    )
    return re.sub(r"\s+", " ", text).strip()


def stem(word: str) -> str:
    """A plural-insensitive form of one word ("batteries" → "battery", "statuses" → "status",
    "8s" → "8")."""
    if re.fullmatch(r"\d+s", word):  # "Pixel 8s": plural of a model number
        return word[:-1]
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith(("sses", "shes", "ches", "xes", "uses")):
        return word[:-2]
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def tokens(text: str) -> list[str]:
    """Normalised, stemmed words of `text`."""
    return [stem(word) for word in normalize(text).split()]


def key(text: str) -> tuple[str, ...]:
    """The lookup key of a phrase (its stemmed tokens)."""
    return tuple(tokens(text))


def display(value: str) -> str:
    """How a stored value reads in a sentence ("cracked_screen" → "cracked screen")."""
    return value.replace("_", " ")
