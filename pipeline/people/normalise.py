"""Comparison forms of names across scripts.

Names are compared through *keys*: casefolded, diacritics stripped for Latin
script (Vietnamese included), every registry language's normalisation applied
(Arabic harakat/tatweel removed and letter variants unified), name dots removed,
Cyrillic tokens cut to a stem so that case endings (Путина, Путиным, Зунгом) still
match. Languages that write a name's parts without spaces (``name_parts_joined``)
compare the whole name as one string.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from pipeline import lang as lang_registry
from pipeline.people.models import name_patterns

_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=4096)
def _is_latin(char: str) -> bool:
    return char.isalpha() and unicodedata.name(char, "").startswith("LATIN")


def fold_latin(text: str) -> str:
    """Latin letters without diacritics (Nguyễn → Nguyen, Đà → Da); other scripts untouched."""
    fold = name_patterns().latin_fold
    out: list[str] = []
    for char in text:
        if char in fold:
            out.append(fold[char])
        elif _is_latin(char):
            out.append(
                "".join(
                    c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
                )
            )
        else:
            out.append(char)
    return "".join(out)


def normalize_arabic(text: str) -> str:
    """Arabic in its comparison form (the registry's one table, ``lang/ar``)."""
    return lang_registry.get("ar").normalise(text)


def _is_cyrillic(text: str) -> bool:
    return any("\u0400" <= c <= "\u04ff" for c in text)


@lru_cache(maxsize=1)
def _cyrillic_endings() -> tuple[str, ...]:
    endings = {e for p in name_patterns().for_script("cyrillic") for e in p.stem_endings}
    return tuple(sorted(endings, key=lambda e: (-len(e), e)))


def ru_stem(word: str) -> str:
    """A casefolded Cyrillic word without its case ending (Путиным → путин).

    The endings are those of every Cyrillic-script language in the registry, so a
    name key does not depend on which of them a sentence was detected as.
    """
    min_stem = name_patterns().min_stem
    word = word.casefold().replace("ё", "е")
    for ending in _cyrillic_endings():
        if word.endswith(ending) and len(word) - len(ending) >= min_stem:
            return word[: -len(ending)]
    return word


@lru_cache(maxsize=65536)
def normalize_text(text: str) -> str:
    """Script-aware comparison form of a string (no stemming)."""
    text = unicodedata.normalize("NFC", text)
    text = lang_registry.normalise_all(text)
    for dot in name_patterns().chinese_name_dots:
        if dot != ".":
            text = text.replace(dot, "")
    text = fold_latin(text).casefold().replace("ё", "е")
    return _SPACES.sub(" ", text).strip()


def marks_agree(form: str, text: str) -> bool:
    """Whether a word of the text may be this written form as far as diacritics go.

    Keys fold diacritics so that "Nguyen" finds "Nguyễn"; but where both carry marks,
    the marks must be the same: "Tân Cương" (Xinjiang) is not "Tần Cương" (Qin Gang).
    Words outside the Latin script always agree (their keys decide)."""
    a = unicodedata.normalize("NFC", form).casefold()
    b = unicodedata.normalize("NFC", text).casefold()
    return a == b or fold_latin(a) == a or fold_latin(b) == b


@lru_cache(maxsize=65536)
def token_key(token: str) -> str:
    """Comparison key of one token: normalised, Russian words stemmed."""
    if _is_cyrillic(token):
        return ru_stem(normalize_text(token))
    return normalize_text(token)


@lru_cache(maxsize=1)
def _cyrillic_latin() -> dict[str, str]:
    """One Cyrillic → Latin table: the registry's Cyrillic languages, in code order."""
    table: dict[str, str] = {}
    for patterns in name_patterns().for_script("cyrillic"):
        for letter, latin in patterns.transliteration.items():
            table.setdefault(letter, latin)
    return table


def transliterate_cyrillic(text: str) -> str:
    table = _cyrillic_latin()
    return "".join(table.get(c, c) for c in text.casefold())


def joined_key(text: str) -> str:
    """Comparison form of a whole name, spaces left out (习近平, "Ho Chi Minh" → hochiminh)."""
    return normalize_text(text).replace(" ", "")


def parts_joined(lang: str) -> bool:
    """Whether ``lang`` writes the parts of a name without spaces (``names.yaml``)."""
    return name_patterns().for_lang(lang).name_parts_joined


def person_key(name: str, lang: str) -> str:
    """A stable key for any person name, known or not.

    Latin names are folded to ASCII lower case, Cyrillic names are put in the
    nominative (``pipeline.people.inflection``), stemmed and transliterated (so
    "Зунгом" and "Зунг" share a key), other scripts keep their normalised native
    form; in a language whose name parts are joined (Chinese) the key is the whole
    name without spaces.
    """
    if parts_joined(lang) or not name.strip():
        return joined_key(name)
    if _is_cyrillic(name):
        from pipeline.people.inflection import nominative

        # the dictionary's nominative first: an endings list alone cuts "Петровского"
        # and "Петровский" to different stems
        name = nominative(name, lang)
    parts: list[str] = []
    for word in name.split():
        if _is_cyrillic(word):
            parts.append(transliterate_cyrillic(ru_stem(normalize_text(word))))
        else:
            parts.append(normalize_text(word))
    return " ".join(p for p in parts if p)


for _cached in (_cyrillic_endings, _cyrillic_latin, normalize_text, token_key):
    lang_registry.on_change(_cached.cache_clear)
