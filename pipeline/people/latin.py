"""A Latin canonical name for any person name, and how it was obtained.

``reference``: the people reference data knows the person (its ``name``);
``transliteration``: romanised here from another script; ``as_written``: the text
already writes the name in Latin letters.

Schemes, by the script a name is written in (each language's data in ``names.yaml``):

- Latin: the name as written, spaces normalised.
- Cyrillic: the name put in the nominative (``pipeline.people.inflection``), then
  anyascii's table (close to BGN/PCGN without diacritics: Шугаев → Shugaev), after
  the language's own ``romanise_letters`` (Ukrainian г → h, и → y, as the national
  system writes them).
- Arabic: common given names by their usual spelling (``latin_given_names``: محمد →
  Mohammed); other words letter by letter through ``romanise_letters`` (a simplified
  UNGEGN/ALA-LC table without diacritics: خ kh, ش sh, ع and hamza left out), و and ي
  after a consonant as the long vowels u and i (``vowel_letters``), the article ال as
  "al-". Short vowels are not written in Arabic, so this spelling is a skeleton of
  the name, marked as a transliteration.
- Chinese: a transcribed foreign name (parts joined by a name dot, or not starting
  with a native family name) through the Xinhua transcription syllables
  (``transcription_syllables``: 佩斯科夫 → Peskov); a Chinese name in pinyin, family
  name first (习近平 → Xi Jinping), family names read as ``native_surnames`` say.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from pipeline import lang as lang_registry
from pipeline.people.inflection import nominative
from pipeline.people.models import LanguagePatterns, name_patterns
from schemas.records import NameBasis

_SPACES = re.compile(r"\s+")


def script_of(text: str) -> str | None:
    """The script of the letters of ``text`` (latin, cyrillic, arabic, han), or None
    when they mix scripts or there are none."""
    scripts: set[str] = set()
    for char in text:
        if not char.isalpha():
            continue
        name = unicodedata.name(char, "")
        if name.startswith("LATIN"):
            scripts.add("latin")
        elif name.startswith("CYRILLIC"):
            scripts.add("cyrillic")
        elif name.startswith("ARABIC"):
            scripts.add("arabic")
        elif name.startswith("CJK"):
            scripts.add("han")
        else:
            scripts.add("other")
    return scripts.pop() if len(scripts) == 1 else None


def _title(word: str) -> str:
    return "-".join(p[:1].upper() + p[1:] for p in word.split("-"))


def _cyrillic(name: str, lang: str, patterns: LanguagePatterns) -> str:
    from anyascii import anyascii

    name = nominative(name, lang)
    words = []
    for word in name.split():
        lowered = "".join(patterns.romanise_letters.get(c, c) for c in word.casefold())
        words.append(_title(anyascii(lowered)))
    return " ".join(words)


def _arabic_word(word: str, patterns: LanguagePatterns) -> str:
    out: list[str] = []
    after_consonant = False
    for i, char in enumerate(word):
        vowel = patterns.vowel_letters.get(char)
        if vowel is not None and i > 0 and after_consonant:
            out.append(vowel)
            after_consonant = False
            continue
        latin = patterns.romanise_letters.get(char, "")
        out.append(latin)
        after_consonant = bool(latin) and latin[-1] not in "aeiou"
    return "".join(out)


def _arabic(name: str, patterns: LanguagePatterns) -> str:
    from pipeline.people.normalise import normalize_arabic

    given = {normalize_arabic(k): v for k, v in patterns.latin_given_names.items()}
    words = name.split()
    out: list[str] = []
    i = 0
    while i < len(words):
        pair = normalize_arabic(" ".join(words[i : i + 2]))
        if i + 1 < len(words) and pair in given:  # عبد الله → Abdullah
            out.append(given[pair])
            i += 2
            continue
        word = words[i]
        known = given.get(normalize_arabic(word))
        if known is not None:
            out.append(known)
        elif patterns.article and word.startswith(patterns.article) and len(word) > 3:
            out.append("al-" + _title(_arabic_word(word[len(patterns.article) :], patterns)))
        else:
            out.append(_title(_arabic_word(word, patterns)))
        i += 1
    return " ".join(w for w in out if w)


def _pinyin(chars: str) -> list[str]:
    from pypinyin import Style, lazy_pinyin

    return [p for p in lazy_pinyin(chars, style=Style.NORMAL) if p.strip()]


def _chinese(name: str, patterns: LanguagePatterns) -> str:
    dots = "".join(re.escape(d) for d in name_patterns().chinese_name_dots)
    parts = [p for p in re.split(f"[{dots}\\s]", name) if p]
    if not parts:
        return ""
    # the longest family name the name starts with
    surname = next(
        (name[:k] for k in range(len(name), -1, -1) if name[:k] in patterns.native_surnames),
        None,
    )
    if len(parts) == 1 and surname is not None and len(name) <= 4:
        given = "".join(_pinyin(name[len(surname) :]))
        family = patterns.native_surnames[surname]
        return f"{family.capitalize()} {given.capitalize()}".strip()
    syllables = patterns.transcription_syllables
    words = []
    for part in parts:
        sounds = [syllables.get(c) or "".join(_pinyin(c)) for c in part]
        words.append("".join(sounds).capitalize())
    return " ".join(w for w in words if w)


def _patterns(script: str | None, lang: str) -> LanguagePatterns:
    """The text language's romanisation data; where it has none for this script (an
    Arabic name in a Vietnamese text), that of the first registry language written in
    the script that has some."""
    own = name_patterns().for_lang(lang)
    if script is None or _has_romanisation(own):
        return own
    return next((p for p in name_patterns().for_script(script) if _has_romanisation(p)), own)


def _has_romanisation(patterns: LanguagePatterns) -> bool:
    return bool(
        patterns.morphology or patterns.romanise_letters or patterns.transcription_syllables
    )


@lru_cache(maxsize=8192)
def latin_name(name: str, lang: str) -> tuple[str, NameBasis] | None:
    """A Latin spelling of the person name ``name`` written in a text of ``lang``, and
    its basis (``as_written`` or ``transliteration``); None when no scheme applies."""
    text = _SPACES.sub(" ", name).strip()
    # a name holds no closing bracket: what a span took before one is not the name
    # ("(SSB)Халук Гёргун" where the text lacks a space)
    text = re.sub(r"^.*[)\]）]", "", text).strip()
    script = script_of(text)
    patterns = _patterns(script, lang)
    if script == "latin":
        return text, "as_written"
    if script == "cyrillic":
        latin = _cyrillic(text, lang, patterns)
    elif script == "arabic":
        latin = _arabic(text, patterns)
    elif script == "han":
        latin = _chinese(text, patterns)
    else:
        return None
    return (latin, "transliteration") if latin.strip() else None


lang_registry.on_change(latin_name.cache_clear)
