"""Fuzzy comparison of Latin person names across documents and scripts.

Two spellings of one name ("Dmitriy Shugaev" romanised from Russian, "Dmitry
Shugayev" in an English text) differ in letters that stand for one sound. Names are
compared through a *sound key*: ASCII-folded, lower case, letters only, the
``sound_folds`` spelling pairs of ``name_patterns.yaml`` applied in order and
doubled letters written once; then scored with rapidfuzz's ``ratio`` (0-100), the
whole key and, for names of as many words, word by word (the lower counts). Only
names of two or more words are compared: a lone surname is too common to link
across documents by spelling.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import lru_cache

import numpy as np
from rapidfuzz import fuzz, process

from pipeline import lang as lang_registry
from pipeline.people.models import name_patterns
from pipeline.people.normalise import fold_latin

_NOT_LETTERS = re.compile(r"[^a-z ]+")
_DOUBLED = re.compile(r"(.)\1+")


@lru_cache(maxsize=65536)
def sound_key(name: str) -> str:
    """The comparison key of a Latin name ("Dmitriy Shugaev" → "dmitrii shugaiv"-like)."""
    text = fold_latin(name).casefold().replace("-", " ")
    text = " ".join(_NOT_LETTERS.sub("", text).split())
    for spelling, sound in name_patterns().sound_folds:
        text = text.replace(spelling, sound)
    return _DOUBLED.sub(r"\1", text)


def comparable(name: str) -> bool:
    """Whether ``name`` has the two or more words a fuzzy comparison needs."""
    return len(sound_key(name).split()) >= 2


def name_score(a: str, b: str) -> float:
    """Similarity of two Latin names, 0-100 (0 when either is not comparable): the
    ratio of the whole keys and, for names of as many words, of their weakest word
    pair, whichever is lower (siblings "Khalid bin Salman" and "Mohammed bin Salman"
    share most letters but not the given name)."""
    if not (comparable(a) and comparable(b)):
        return 0.0
    key_a, key_b = sound_key(a), sound_key(b)
    score = float(fuzz.ratio(key_a, key_b))
    words_a, words_b = key_a.split(), key_b.split()
    if len(words_a) == len(words_b):
        weakest = min(fuzz.ratio(x, y) for x, y in zip(words_a, words_b, strict=True))
        score = min(score, float(weakest))
    return score


def same_person(a: str, b: str) -> bool:
    """Whether two Latin names score at or above the measured ``fuzzy_threshold``."""
    return name_score(a, b) >= name_patterns().fuzzy_threshold


#: rows of one ``cdist`` call: a block of ``_ROWS`` x (names) bytes at a time
_ROWS = 2048


def similar_pairs(
    names: Sequence[str], others: Sequence[str] | None = None
) -> Iterator[tuple[int, int]]:
    """Index pairs ``(i, j)`` of names :func:`same_person` accepts: between ``names`` and
    ``others``, or within ``names`` (``i < j``) when ``others`` is None.

    Every pair's whole keys are first scored in C by rapidfuzz's ``cdist`` with the
    threshold as cut-off: a pair under it cannot match, because :func:`name_score` is
    never above the whole keys' ratio. Only the pairs left are scored in full, so
    comparing thousands of names with thousands costs seconds, not the hours of a
    pair-by-pair loop in Python.
    """
    threshold = name_patterns().fuzzy_threshold
    rows = [i for i, n in enumerate(names) if comparable(n)]
    targets = names if others is None else others
    cols = rows if others is None else [j for j, n in enumerate(targets) if comparable(n)]
    keys = [sound_key(targets[j]) for j in cols]
    for first in range(0, len(rows), _ROWS):
        block = [sound_key(names[i]) for i in rows[first : first + _ROWS]]
        if not block or not keys:
            break
        scores = process.cdist(
            block, keys, scorer=fuzz.ratio, score_cutoff=threshold, dtype=np.uint8
        )
        for row, col in zip(*np.nonzero(scores), strict=True):
            i, j = rows[first + int(row)], cols[int(col)]
            if (others is not None or i < j) and same_person(names[i], targets[j]):
                yield i, j


lang_registry.on_change(sound_key.cache_clear)
