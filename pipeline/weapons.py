"""Weapons systems: reference data, designation grammar across scripts, spaCy component.

Reference data lives in ``pipeline/data/weapons.yaml`` (prefix table per script,
suffix letters, entries) and, for the words of one language (project words, class
context, merge gap words, class-name patterns), in each registry folder's
``pipeline/lang/<code>/weapons.yaml``; validated on load, loaded once.
Designations are recognised by a grammar built from the prefix table, in every
script: ``Su-30MK2``, ``SU-30 MK2``, ``Су-30МК2``, ``سو-30 إم كي 2``,
``苏-30MK2`` all normalise to the key ``SU-30MK2``; project numbers (``проекта
636.1``, ``636.1型``, ``Dự án 636.1``) to ``PROJECT-636.1``; class and reporting
names to the key of the entry the name denotes: "Kilo-class", 基洛级 and «Кило» to
the Kilo class (Projects 877 and 636), Varshavyanka and "Improved Kilo" to Project
636, «Гепард» to the Gepard class; a variant's entry (Project 636.1, Gepard 3.9,
Bastion-P) only where the variant is written.

Families. An entry's ``family`` names the broader system it belongs to: a
designation family (``Su-30`` for the Su-30MK2) or a family-level entry of the
data (Project 636.1 → Project 636 → Kilo class; Gepard 3.9 → Gepard; Bastion-P →
Bastion; Leopard 2 for the grammar's ``Leopard 2A6``).

Linking (:func:`lookup`, :func:`resolve`). Every designation becomes a record; the
data decides only whether the record is one of its entries:

* ``match="exact"``: the key of an entry, or of one of its aliases, links to that
  entry (``known=True``; ``as_written`` keeps the variant written, ``MiG-21bis``).
  A family-level entry is exact for its own name (``Project 636``, ``Dự án 636``).
* ``match="variant"``: a designation the data does not list whose family does
  (``Su-30MKK``, ``Su-30MKI``, ``S-300PMU2`` beside the data's ``Su-30MK2`` and
  ``S-300PMU1``; ``Project 636.3``) is its own record: designation and id as
  written (``weapon:su-30mkk``), ``known=False``, ``family`` the family
  (``Su-30``; the family-level entry's name where the data has one, ``Project
  636``), category and origin those of the family-level entry, else those the
  family's entries share.
* ``match="family"``: a bare family designation (``Su-30``, ``سو-30``) that is no
  entry's own designation or alias is the family-level record (``weapon:su-30``,
  ``known=False``, ``family`` itself), with the family's category and origin. A
  text that names only the family does not say which variant it means, so the
  record never becomes one of the family's entries, even when the data has only
  one: how many variants the data lists says nothing about the text.
* ``match="none"``: a designation whose family the data does not know at all
  (``Su-35S``, ``Ту-160``): ``known=False``, category and origin from the prefix
  table.

Two mentions next to each other are one mention when they name one entry across
a small gap ("проекта 636 «Варшавянка»", "T-90S and T-90SK"), or when one names a
broader system than the other (see :meth:`_Grammar.ancestors`) across a naming
gap but not a listing one ("проекта 10412 «Светляк»" is Project 10412, "Kilo
thuộc Dự án 636" Project 636; "Su-30 and Su-30MKK" are two): the member, the
more specific, is kept. The gap words are each language's ``merge_gap_words``.
"""

from __future__ import annotations

import bisect
import dataclasses
import logging
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from spacy.language import Language
from spacy.tokens import Doc, Span

from pipeline import extensions
from pipeline import lang as lang_registry
from pipeline.errors import ConfigError
from pipeline.ids import slug
from pipeline.quantities import find_quantity_span, load_numbers, quantity_value
from pipeline.refdata import check_patterns, read_yaml, validate
from schemas.records import WeaponCategory

logger = logging.getLogger(__name__)

DATA_FILE = "data/weapons.yaml"
CATALOGUE_DIR = "data/catalogue"
COMPONENT_NAME = "osintdesk_weapons"
Match = Literal["exact", "variant", "family", "none"]

_DASH_CHARS = "-‐‑–—"
_DASHES = "\\-‐‑–—"  # for character classes
_SEPARATORS = re.compile(rf"[\s{_DASHES}_]+")
_QUOTES = "«»\"“”„'‘’「」『』"
_APOSTROPHES = "['’ʼ]"
# Arabic letter names that are also words: never a suffix on their own
_WORDS = frozenset({"كي", "أي", "اي", "دي"})
_CJK_CHAR = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_ARABIC_CHAR = re.compile(r"[\u0600-\u06ff]")
_ARABIC_CLITIC = r"(?P<clitic>[وفبلك]?(?:ال|لل)?)"
_LETTERS = "A-Za-zА-Яа-яЁёІіЇїЄєҐґ"  # Latin, Russian and Ukrainian Cyrillic
# a Latin or Cyrillic name ends where no letter, digit or underscore of those scripts
# follows: Chinese text runs on without spaces ("购买S-300PMU1和BrahMos导弹")
_WORDISH = f"{_LETTERS}\u00c0-\u024f\u1e00-\u1eff0-9_"
_NOT_AFTER = f"(?![{_WORDISH}])"
_NOT_BEFORE = f"(?<![{_WORDISH}])"


# ---------------------------------------------------------------------------
# Reference data models


class PrefixForm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    form: str = Field(min_length=1)
    # hyphen: a hyphen (or dash) follows; space: a hyphen or a space (Leopard 2,
    # Leopard-2); optional: a hyphen, a space or nothing (then at least two digits)
    sep: Literal["hyphen", "space", "optional"] = "hyphen"
    min_digits: int | None = Field(None, ge=1, le=4)


class Prefix(BaseModel):
    """A designation prefix (Su, MiG, S ...) and how each script writes it."""

    model_config = ConfigDict(extra="forbid")

    canonical: str = Field(min_length=1)
    category: WeaponCategory
    origin: str = Field(pattern=r"^[A-Z]{2}$")
    min_digits: int = Field(1, ge=1, le=4)
    # designation numbers have at most three digits (Tu-160, S-400, An-225): SU-1234 is a
    # flight, and four digits are a year or a model number
    max_digits: int = Field(3, ge=1, le=4)
    joiner: Literal["-", " "] = "-"  # between prefix and number when displayed
    forms: list[PrefixForm] = Field(min_length=1)


class SuffixLetters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cyrillic: dict[str, str]
    arabic: dict[str, str]
    lowercase: dict[str, str] = Field(default_factory=dict)
    not_suffix: list[str] = Field(default_factory=list)


class ProjectWord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    word: str = Field(min_length=1)
    unknown_ok: bool = False


class ClassContext(BaseModel):
    model_config = ConfigDict(extra="forbid")

    before: list[str] = Field(default_factory=list)
    after: list[str] = Field(default_factory=list)

    @field_validator("before", "after")
    @classmethod
    def _compiles(cls, value: list[str]) -> list[str]:
        return check_patterns(value)


class UnknownClassPattern(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: WeaponCategory
    pattern: str

    @field_validator("pattern")
    @classmethod
    def _has_name_group(cls, value: str) -> str:
        return check_patterns([value], groups=("name",))[0]


class WeaponEntry(BaseModel):
    """One weapons system of the reference data."""

    model_config = ConfigDict(extra="forbid")

    id: str
    name: str = Field(min_length=1)
    family: str = Field(min_length=1)
    category: WeaponCategory
    origin: str = Field(pattern=r"^[A-Z]{2}$")
    project: str | None = None
    producer: str | None = Field(None, description="Producer organisation(s), as named.")
    classes: list[str] = Field(default_factory=list)
    aliases: dict[str, list[str]] = Field(default_factory=dict)
    context_aliases: dict[str, list[str]] = Field(default_factory=dict)
    # aliases that may also name another entry ("Patriot" the system and its missiles):
    # where two entries share one, the alias links to neither
    ambiguous: list[str] = Field(default_factory=list)
    # the catalogue file the entry came from (for error messages), set on load
    source: str = Field("", exclude=True)

    @field_validator("aliases", "context_aliases")
    @classmethod
    def _languages(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        unknown = sorted(set(value) - set(lang_registry.codes()))
        if unknown:
            valid = list(lang_registry.codes())
            raise ValueError(f"unknown alias language(s) {unknown}; valid: {valid}")
        return value

    @model_validator(mode="after")
    def _id_is_slug(self) -> WeaponEntry:
        expected = f"weapon:{slug(self.name)}"
        if self.id != expected:
            raise ValueError(f"id {self.id!r} must be {expected!r} (weapon:<slug of name>)")
        return self

    def all_aliases(self) -> list[str]:
        return [a for lang in sorted(self.aliases) for a in self.aliases[lang]]

    def all_context_aliases(self) -> list[str]:
        return [a for lang in sorted(self.context_aliases) for a in self.context_aliases[lang]]


class ShipPrefix(BaseModel):
    """A navy's ship prefix (USS, HMS, INS ...) and the country of that navy."""

    model_config = ConfigDict(extra="forbid")

    prefix: str = Field(min_length=2)
    country: str = Field(pattern=r"^[A-Z]{2}$")


class ShipEntry(BaseModel):
    """One named warship of the catalogue, linked to its class entry."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, description="As the navy writes it: USS Hopper.")
    hull: str | None = Field(None, description="Hull or pennant number: DDG-70, HQ-011.")
    class_id: str = Field(pattern=r"^weapon:", description="Id of the class's entry.")
    # forms matched anywhere, per registry language
    aliases: dict[str, list[str]] = Field(default_factory=dict)
    # names that are also places or people ("Москва", "Đinh Tiên Hoàng"): matched only
    # where a ship word or hull number says a ship is meant (pipeline/people/ships.py)
    context_names: dict[str, list[str]] = Field(default_factory=dict)
    source: str = Field("", exclude=True)

    @field_validator("aliases", "context_names")
    @classmethod
    def _languages(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        unknown = sorted(set(value) - set(lang_registry.codes()))
        if unknown:
            valid = list(lang_registry.codes())
            raise ValueError(f"unknown language(s) {unknown}; valid: {valid}")
        return value


class MergeGapWords(BaseModel):
    """Words between two mentions that make them one (see the module docstring)."""

    model_config = ConfigDict(extra="forbid")

    naming: list[str] = Field(default_factory=list)  # "X of Y", "Y «X»": one system named twice
    listing: list[str] = Field(default_factory=list)  # "X and X'": forms of one entry listed


class LanguageWeapons(BaseModel):
    """The words of one language: ``pipeline/lang/<code>/weapons.yaml``."""

    model_config = ConfigDict(extra="forbid")

    project_words: list[ProjectWord] = Field(default_factory=list)
    project_after: list[str] = Field(default_factory=list)  # after the number: 636型
    class_context: ClassContext = ClassContext()
    merge_gap_words: MergeGapWords = MergeGapWords()
    unknown_classes: list[UnknownClassPattern] = Field(default_factory=list)
    not_class_names: list[str] = Field(default_factory=list)
    # generic weapon classes (ids of WeaponsData.weapon_classes): patterns per class
    weapon_classes: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("weapon_classes")
    @classmethod
    def _class_patterns_compile(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for patterns in value.values():
            check_patterns(patterns)
        return value


class WeaponsData(BaseModel):
    """``pipeline/data/weapons.yaml`` with every language's part under ``languages``."""

    model_config = ConfigDict(extra="forbid")

    version: int
    prefixes: list[Prefix]
    suffix_letters: SuffixLetters
    merge_gap_words: MergeGapWords = MergeGapWords()  # marks of no language ("/")
    weapon_classes: list[str] = Field(default_factory=list)
    ship_prefixes: list[ShipPrefix] = Field(default_factory=list)
    languages: dict[str, LanguageWeapons] = Field(default_factory=dict)
    weapons: list[WeaponEntry] = Field(default_factory=list)
    ships: list[ShipEntry] = Field(default_factory=list)

    @model_validator(mode="after")
    def _classes_are_declared(self) -> WeaponsData:
        for code, part in self.languages.items():
            unknown = sorted(set(part.weapon_classes) - set(self.weapon_classes))
            if unknown:
                raise ValueError(
                    f"languages.{code}.weapon_classes: unknown class(es) {unknown}; "
                    f"valid: {self.weapon_classes}"
                )
        return self

    def parts(self) -> list[LanguageWeapons]:
        """The languages' parts in code order (the grammar reads them all: a text may
        quote another language's name with that language's words)."""
        return [self.languages[code] for code in sorted(self.languages)]

    def project_words(self) -> dict[str, ProjectWord]:
        """Every language's project words; a word two languages share is open to
        unknown numbers when either says so (проекту is Russian and Ukrainian)."""
        words: dict[str, ProjectWord] = {}
        for part in self.parts():
            for word in part.project_words:
                seen = words.get(word.word)
                if seen is None or (word.unknown_ok and not seen.unknown_ok):
                    words[word.word] = word
        return words

    def gap_words(self) -> MergeGapWords:
        parts = [self.merge_gap_words, *(p.merge_gap_words for p in self.parts())]
        return MergeGapWords(
            naming=[w for p in parts for w in p.naming],
            listing=[w for p in parts for w in p.listing],
        )


# ---------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class WeaponRef:
    """A designation linked (or not) to the reference data."""

    id: str
    name: str
    family: str | None
    category: str
    origin: str | None
    known: bool
    match: Match
    as_written: str  # the normalised designation as written (Su-30MKK, MiG-21bis)

    @property
    def designation(self) -> str:
        """The canonical designation (the entry's name; otherwise as written)."""
        return self.name

    def as_dict(self) -> dict[str, Any]:
        """The ``Span._.weapon`` dict."""
        return {
            "as_written": self.as_written,
            "category": self.category,
            "designation": self.designation,
            "family": self.family,
            "known": self.known,
            "match": self.match,
            "origin": self.origin,
        }


@dataclass(frozen=True)
class WeaponMention:
    """A designation found in a text: ``text[start:end]`` and its key."""

    start: int
    end: int
    key: str
    text: str
    outer_start: int = field(default=-1)  # start including an Arabic clitic
    conjunction: bool = False  # an Arabic و/ف clitic ("and") is attached
    category: str | None = None  # for unknown class names: from the noun that follows


# ---------------------------------------------------------------------------
# Grammar


def _literal_norm(text: str) -> str:
    """Comparison form of a literal alias: casefolded, no separators or quotes."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = "".join(c for c in text if c not in _QUOTES and c != "ʼ")
    return _SEPARATORS.sub("", text)


def _literal_key(text: str) -> str:
    """Key of a name that is not a prefix designation: "Gepard 3.9" -> "GEPARD-3.9"."""
    text = "".join(c for c in unicodedata.normalize("NFKC", text) if c not in _QUOTES)
    return _SEPARATORS.sub("-", text.strip()).strip("-").upper()


def _flexible(alias: str) -> str:
    """Regex for an alias whose spaces/hyphens may be written as space, hyphen or nothing
    (and an apostrophe as any apostrophe: Варшав'янка, Варшав’янка)."""
    parts = [re.escape(p) for p in _SEPARATORS.split(alias.strip()) if p]
    return f"[{_DASHES}\\s]?".join(parts).replace("'", _APOSTROPHES)


def _script(text: str) -> Literal["cjk", "arabic", "other"]:
    if _CJK_CHAR.match(text):
        return "cjk"
    if _ARABIC_CHAR.match(text):
        return "arabic"
    return "other"


def _alternation(items: Iterable[str]) -> str:
    return "|".join(sorted(set(items), key=lambda s: (-len(s), s)))


_SEP_ATOM = f"[{_DASHES}\\s]?"


@dataclass
class _TrieNode:
    children: dict[str, _TrieNode] = field(default_factory=dict)
    sep: bool = False  # a separator may come before this node's character
    end: bool = False  # an alias ends here

    @cached_property
    def depth(self) -> int:
        return 1 + max((child.depth for child in self.children.values()), default=0)


def _trie_alternation(aliases: Iterable[str], fold_case: bool = False) -> str:
    """One regex for many aliases, factored as a trie: a position is rejected after its
    first character instead of after a try of every alias (thousands in the catalogue).

    Spaces and hyphens between an alias's parts are optional separators, as in
    :func:`_flexible`, so "K9" and "K-9" share one path; with ``fold_case`` (for a regex
    compiled with IGNORECASE) "ASTROS" and "Astros" do too. Siblings then start with
    different characters, and a longer continuation is tried before an alias's end, so
    the longest alias written wins."""
    root = _TrieNode()
    for alias in set(aliases):
        node = root
        parts = [p for p in _SEPARATORS.split(alias.strip()) if p]
        for i, part in enumerate(parts):
            # a last part of one letter keeps its hyphen: Club-S is not "clubs", Клуб-С
            # not "клуб с"
            tail = i > 0 and i == len(parts) - 1 and len(part) == 1 and part.isalpha()
            for j, char in enumerate(part):
                folded = char.lower() if fold_case and len(char.lower()) == 1 else char
                atom = _APOSTROPHES if char == "'" else re.escape(folded)
                if tail:
                    atom = f"[{_DASHES}]" + atom
                node = node.children.setdefault(atom, _TrieNode())
                node.sep = node.sep or (i > 0 and j == 0 and not tail)
        node.end = True

    def emit(node: _TrieNode) -> str:
        children = sorted(node.children.items(), key=lambda item: (-item[1].depth, item[0]))
        branches = [
            (_SEP_ATOM if child.sep else "") + atom + emit(child) for atom, child in children
        ]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if node.end else body

    return emit(root)


def _literal_regex(literals: list[str], script: str) -> re.Pattern[str] | None:
    """One regex for the literal names of one script, with that script's boundaries."""
    bodies = [literal for literal in literals if _script(literal) == script]
    if not bodies:
        return None
    if script == "cjk":
        return re.compile(f"(?P<body>{_trie_alternation(bodies)})")
    if script == "arabic":
        return re.compile(f"(?<!\\w){_ARABIC_CLITIC}(?P<body>{_trie_alternation(bodies)})(?!\\w)")
    return re.compile(f"{_NOT_BEFORE}(?P<body>{_trie_alternation(bodies)}){_NOT_AFTER}")


_BRACKETED = re.compile(r"^\s*[(（][^()（）]{1,12}[)）]")
# the closing quote and name mark after a ship's name: “陈兴道”号和“光中”号
_NAME_MARKS = re.compile(f"^[{_QUOTES}]*[号號]?")


def _ship_context(text: str, start: int, end: int, previous_end: int = -1) -> bool:
    """Whether a ship word or hull number of any language says the name is a ship's
    ("крейсер «Москва»", "tàu Đinh Tiên Hoàng", "Lý Thái Tổ (HQ-012)"), or a list joiner
    ties it to the ship named before ("Đinh Tiên Hoàng (HQ-011) và Lý Thái Tổ")."""
    from pipeline.people.ships import ship_cues

    for code in lang_registry.codes():
        cues = ship_cues(code)
        if cues.is_ship_text(text, start, end):
            return True
        joiner = cues.joiner
        if joiner is not None and 0 <= previous_end <= start:
            # a bracketed hull number may follow the first name: "(HQ-011) và"
            gap = _BRACKETED.sub("", text[previous_end:start], count=1)
            gap = _NAME_MARKS.sub("", gap).strip(_QUOTES)
            if joiner.fullmatch(gap):
                return True
    return False


def _is_year(number: str) -> bool:
    """Whether a number reads as a year (a project number with letters, 052D, never does)."""
    digits = number.split(".")[0]
    return len(digits) == 4 and digits.isdigit() and 1800 <= int(digits) <= 2100


class _Grammar:
    """Regexes and indexes compiled once from the reference data."""

    def __init__(self, data: WeaponsData) -> None:
        self.data = data
        self.form_info: dict[str, tuple[Prefix, PrefixForm]] = {}
        self.by_canonical: dict[str, Prefix] = {}
        for prefix in data.prefixes:
            self.by_canonical[prefix.canonical.upper()] = prefix
            for form in prefix.forms:
                if form.form in self.form_info:
                    raise ConfigError(
                        f"pipeline/{DATA_FILE}: prefix form {form.form!r} listed twice"
                    )
                self.form_info[form.form] = (prefix, form)
        letters = data.suffix_letters
        self.cyrillic = {k: v.upper() for k, v in letters.cyrillic.items()}
        self.cyrillic.update({k.lower(): v.upper() for k, v in letters.cyrillic.items()})
        self.arabic_letters = dict(letters.arabic)
        self.lowercase = {k.casefold(): v for k, v in letters.lowercase.items()}
        self.not_suffix = {w.upper() for w in letters.not_suffix}
        self.designation_re = self._designation_regex()
        self.project_words = data.project_words()
        self.project_re = self._project_regex()
        self._build_index()
        self.alias_res = self._alias_regexes()
        self.context_res = self._context_regexes()
        self.unknown_class_res = [
            (re.compile(f"{_NOT_BEFORE}{p.pattern}"), p.category)
            for part in data.parts()
            for p in part.unknown_classes
        ]
        self.not_class_names = {n for part in data.parts() for n in part.not_class_names}
        gaps = data.gap_words()
        self.naming_gap_re = _gap_regex(gaps.naming)
        self.merge_gap_re = _gap_regex([*gaps.naming, *gaps.listing])
        self._build_ships()

    # -- regexes -----------------------------------------------------------

    def _designation_regex(self) -> re.Pattern[str]:
        by_script: dict[str, list[str]] = {"other": [], "arabic": [], "cjk": []}
        for form in self.form_info:
            by_script[_script(form)].append(_flexible(form))
        lower = _alternation(re.escape(k) for k in self.lowercase)
        upper = "A-ZА-ЯЁІЇЄҐ"
        arabic_names = _alternation(re.escape(k) for k in self.arabic_letters)
        pattern = (
            "(?:"
            f"(?<![{_WORDISH}{_DASHES}])(?P<pl>{_alternation(by_script['other'])})"
            f"|(?<!\\w){_ARABIC_CLITIC}(?P<pa>{_alternation(by_script['arabic'])})"
            f"|(?<![0-9A-Za-z])(?P<pc>{_alternation(by_script['cjk'])})"
            ")"
            f"(?P<sep>[{_DASHES}]|[ \u00a0])?"
            "(?P<num>[0-9٠-٩]{1,4})(?![0-9٠-٩]|[.,][0-9])"
            "(?:"
            f"(?P<suf>(?:{lower})(?![{_LETTERS}])"
            f"|[{_LETTERS}]{{1,4}}(?:-?[0-9]{{1,2}}[{_LETTERS}]{{0,2}})?)"
            f"|(?P<ssuf>[ \u00a0][{upper}]{{2,4}}(?:-?[0-9]{{1,2}}[{upper}]{{0,2}})?)"
            f"|(?P<asuf>(?:\\s+(?:{arabic_names})(?![\\w])){{1,4}}(?:\\s*[0-9])?)"
            ")?"
            f"(?![{_WORDISH}])"
        )
        return re.compile(pattern)

    def _project_regex(self) -> re.Pattern[str]:
        spaced = [_flexible(w) for w in self.project_words if _script(w) != "cjk"]
        cjk = [re.escape(w) for w in self.project_words if _script(w) == "cjk"]
        number = "[0-9]{3,5}(?:\\.[0-9]{1,2})?(?:[A-ZА-ЯЁ]{1,3})?"
        after = _alternation(re.escape(a) for p in self.data.parts() for a in p.project_after)
        alternatives = [
            f"(?<!\\w)(?P<pw>{_alternation(spaced)})",
            f"(?P<pwc>{_alternation(cjk)})" if cjk else "",
        ]
        words = "|".join(a for a in alternatives if a)
        pattern = f'(?:(?:{words})\\s*[«"„“]?(?P<pnum>{number})(?![0-9]|\\.[0-9]|\\w))'
        if after:
            pattern += f"|(?:(?<![0-9.])(?P<anum>{number})(?:{after}))"
        return re.compile(pattern)

    def _alias_regexes(self) -> list[re.Pattern[str]]:
        by_script: dict[str, list[str]] = {"other": [], "arabic": [], "cjk": []}
        for literal in self.literal_aliases:
            by_script[_script(literal)].append(literal)
        regexes = []
        if by_script["other"]:
            body = _trie_alternation(by_script["other"], fold_case=True)
            regexes.append(re.compile(f"{_NOT_BEFORE}(?P<body>{body}){_NOT_AFTER}", re.IGNORECASE))
        if by_script["arabic"]:
            body = _trie_alternation(by_script["arabic"])
            regexes.append(re.compile(f"(?<!\\w){_ARABIC_CLITIC}(?P<body>{body})(?!\\w)"))
        if by_script["cjk"]:
            regexes.append(re.compile(f"(?P<body>{_trie_alternation(by_script['cjk'])})"))
        return regexes

    def _context_regexes(self) -> list[re.Pattern[str]]:
        by_script: dict[str, list[str]] = {"other": [], "arabic": [], "cjk": []}
        for literal in self.context_literals:
            by_script[_script(literal)].append(literal)
        contexts = [part.class_context for part in self.data.parts()]
        before = "|".join(f"(?:{b})" for c in contexts for b in c.before)
        after = "|".join(f"(?:{a})" for c in contexts for a in c.after)
        closing = '[»"”」』]?'
        regexes = []
        for script, bodies in by_script.items():
            if not bodies:
                continue
            body = f"(?P<body>{_trie_alternation(bodies)})"
            end = {"cjk": "", "arabic": "(?!\\w)"}.get(script, _NOT_AFTER)
            start = {"cjk": "", "arabic": "(?<!\\w)"}.get(script, _NOT_BEFORE)
            regexes.append(re.compile(f"(?<!\\w)(?:{before}){body}{end}"))
            regexes.append(re.compile(f"{start}{body}{end}(?={closing}(?:{after}))"))
        return regexes

    # -- ships ---------------------------------------------------------------

    def _build_ships(self) -> None:
        """Named warships: a navy prefix and a name (USS Hopper), a listed hull number
        (DDG 70, HQ-011) or a listed name; the ship is a record linked to its class."""
        self.ships: dict[str, ShipEntry] = {}  # key SHIP:<name> -> ship
        self.ship_lookup: dict[str, str] = {}  # _literal_norm of a form -> key
        self.ship_country = {p.prefix: p.country for p in self.data.ship_prefixes}
        literals: list[str] = []
        context: list[str] = []
        for ship in self.data.ships:
            key = f"SHIP:{ship.name}"
            self.ships[key] = ship
            # a ship whose name is also a place or a person is matched by its name only
            # next to a ship word (context_names), never anywhere
            names = [] if ship.context_names else [ship.name]
            forms = [*names, *(a for lang in sorted(ship.aliases) for a in ship.aliases[lang])]
            self.ship_lookup[_literal_norm(ship.name)] = key
            for form in [*forms, *([ship.hull] if ship.hull else [])]:
                self.ship_lookup[_literal_norm(form)] = key
            literals.extend(forms)
            # a bare hull number names the ship when it has two letters (DDG-70, HQ-011);
            # one letter and digits (D32, F78) are too many other things, so only in brackets
            if ship.hull and re.match(r"[A-Z]{2}", ship.hull):
                literals.append(ship.hull)
            for lang in sorted(ship.context_names):
                for name in ship.context_names[lang]:
                    self.ship_lookup[_literal_norm(name)] = key
                    context.append(name)
        prefixes = _alternation(re.escape(p) for p in self.ship_country)
        word = r"[A-Z][\w'’.\-]*"
        # the name starts with a capitalised word, not an all-capital one ("ITS FIRST ...")
        first = r"[A-Z][a-z\u00c0-\u024f'’\-][\w'’.\-]*"
        joint = r"(?:de|del|da|do|di|la|le|of|the|van|von|y)"
        hull = r"[A-Z]{1,4}[\s\-]?[0-9]{1,4}"
        self.ship_prefix_re = (
            re.compile(
                f"(?<![\\w])(?P<prefix>{prefixes})\\s+(?P<name>{first}(?:\\s+(?:{joint}\\s+)?{word}){{0,3}})"
                f"(?:\\s*[(（]\\s*(?P<hull>{hull})\\s*[)）])?"
            )
            if prefixes
            else None
        )
        self.ship_res = [_literal_regex(literals, script) for script in ("other", "arabic", "cjk")]
        self.ship_context_res = [
            _literal_regex(context, script) for script in ("other", "arabic", "cjk")
        ]

    def _ships(self, text: str) -> Iterator[WeaponMention]:
        if self.ship_prefix_re is not None:
            for match in self.ship_prefix_re.finditer(text):
                found = self._prefixed_ship(text, match)
                if found is not None:
                    yield found
        for regex in self.ship_res:
            for match in regex.finditer(text) if regex is not None else ():
                key = self.ship_lookup.get(_literal_norm(match.group("body")))
                if key is not None:
                    start, end = match.span("body")
                    yield WeaponMention(start, end, key, text[start:end], start)
        named = sorted(
            (match.span("body"), self.ship_lookup.get(_literal_norm(match.group("body"))))
            for regex in self.ship_context_res
            if regex is not None
            for match in regex.finditer(text)
        )
        previous_end = -1
        for (start, end), key in named:
            if key is not None and _ship_context(text, start, end, previous_end):
                yield WeaponMention(start, end, key, text[start:end], start)
                previous_end = end

    def _prefixed_ship(self, text: str, match: re.Match[str]) -> WeaponMention | None:
        """USS Hopper (DDG 70): the longest listed ship the words begin with, else the
        ship as written (a prefix and capitalised words: a ship the data does not list).
        None where a catalogue entry has the words (FS Charles de Gaulle is an entry)."""
        prefix, start = match.group("prefix"), match.start()
        words = match.group("name").split()
        for size in range(len(words), 0, -1):
            written = f"{prefix} {' '.join(words[:size])}"
            if _literal_norm(written) in self.literal_lookup:
                return None
            key = self.ship_lookup.get(_literal_norm(written))
            if key is not None:
                end = text.index(words[size - 1], match.start("name")) + len(words[size - 1])
                if size == len(words) and match.group("hull"):
                    end = match.end()
                return WeaponMention(start, end, key, text[start:end], start)
        end = match.end("name")
        while text[end - 1] == ".":  # a full stop after the name
            end -= 1
        name = " ".join(text[start:end].split())
        return WeaponMention(start, end, f"SHIP:{name}", text[start:end], start)

    # -- index ---------------------------------------------------------------

    def _build_index(self) -> None:
        self.by_key: dict[str, WeaponEntry] = {}
        self.families: dict[str, list[WeaponEntry]] = {}
        self.literal_aliases: dict[str, str] = {}  # literal text -> entry key
        self.context_literals: dict[str, str] = {}
        self.literal_lookup: dict[str, str] = {}  # _literal_norm -> entry key
        self.entry_key: dict[str, str] = {}  # entry id -> key
        self.family_key: dict[str, str] = {}  # entry id -> key of its family
        self.shared_ambiguous: set[str] = set()  # _literal_norm of aliases two entries share

        def claim(key: str, entry: WeaponEntry) -> None:
            other = self.by_key.get(key)
            if other is not None and other.id != entry.id:
                raise ConfigError(
                    f"{entry.source or DATA_FILE}: {key!r} names both {other.id} "
                    f"({other.source}) and {entry.id}"
                )
            self.by_key[key] = entry

        for entry in self.data.weapons:
            key = self.grammar_key(entry.name) or _literal_key(entry.name)
            self.entry_key[entry.id] = key
            claim(key, entry)
            if entry.project:
                claim(self._project_key(entry.project), entry)
            self.family_key[entry.id] = self.grammar_key(entry.family) or _literal_key(entry.family)
            families = {self.family_key[entry.id], family_of(key) or key}
            if entry.project:
                families.add(family_of(self._project_key(entry.project)) or "")
            for family_key in sorted(f for f in families if f):
                members = self.families.setdefault(family_key, [])
                if entry not in members:
                    members.append(entry)
        for entry in self.data.weapons:
            key = self.entry_key[entry.id]
            # an entry with context aliases lists every literal form: its name may be an
            # ordinary word or a class phrase ("Kilo class" is not "a kilo-class weight")
            names = [] if entry.context_aliases else [entry.name]
            for alias in [*names, *entry.all_aliases()]:
                alias_key = self.grammar_key(alias)
                if alias_key is not None:
                    claim(alias_key, entry)
                else:
                    self.literal_aliases[alias] = key
                    self._claim_literal(alias, key, entry)
            for alias in entry.all_context_aliases():
                self.context_literals[alias] = key
                self._claim_literal(alias, key, entry)
        self._drop_shared_ambiguous()
        self._check_families()

    def _claim_literal(self, alias: str, key: str, entry: WeaponEntry) -> None:
        norm = _literal_norm(alias)
        other = self.literal_lookup.get(norm)
        if other is not None and other != key:
            owner = self.by_key.get(other)
            if alias in entry.ambiguous and owner is not None and alias in owner.ambiguous:
                self.shared_ambiguous.add(norm)
                return
            where = f" ({owner.id}, {owner.source})" if owner is not None else ""
            raise ConfigError(
                f"{entry.source or DATA_FILE}: alias {alias!r} of {entry.id} also names "
                f"{other}{where}; list it under `ambiguous` in both entries if both are meant"
            )
        self.literal_lookup[norm] = key

    def _drop_shared_ambiguous(self) -> None:
        """An alias two entries mark ambiguous links to neither: the text does not say."""
        for norm in self.shared_ambiguous:
            self.literal_lookup.pop(norm, None)
        for table in (self.literal_aliases, self.context_literals):
            for alias in [a for a in table if _literal_norm(a) in self.shared_ambiguous]:
                del table[alias]

    def _check_families(self) -> None:
        """Every entry's family is itself (or one of its own names), another entry, or a
        family the grammar derives from its designation (Su-30 for Su-30MK2); anything
        else is a broken link."""
        for entry in self.data.weapons:
            key, family = self.entry_key[entry.id], self.family_key[entry.id]
            keys = [key, *(self.grammar_key(a) for a in entry.all_aliases())]
            if entry.project:
                keys.append(self._project_key(entry.project))
            derived = {k for k in keys if k} | {family_of(k) for k in keys if k}
            own = {_literal_norm(a) for a in [entry.name, *entry.all_aliases()]}
            if (
                family != key
                and family not in self.by_key
                and family not in derived
                and (_literal_norm(entry.family) not in own)
            ):
                raise ConfigError(
                    f"{entry.source or DATA_FILE}: {entry.id}: family {entry.family!r} is "
                    "neither an entry nor the family of its designation"
                )

    # -- keys ------------------------------------------------------------------

    def _suffix_key(self, suffix: str) -> str:
        suffix = suffix.strip()
        if suffix.casefold() in self.lowercase:
            return self.lowercase[suffix.casefold()].upper()
        if suffix == "s" or (len(suffix) > 1 and suffix.endswith("s") and not suffix[-2].islower()):
            suffix = suffix[:-1]  # English plural: Su-30MK2s
        out = []
        for char in suffix:
            if char in _DASH_CHARS:
                continue
            out.append(self.cyrillic.get(char, char.upper()))
        return "".join(out)

    def _arabic_suffix_key(self, suffix: str) -> str | None:
        parts = suffix.split()
        letters = [p for p in parts if not p.isdigit()]
        digits = "".join(p for p in parts if p.isdigit())
        if not digits and (
            not letters or (len(letters) == 1 and (len(letters[0]) < 2 or letters[0] in _WORDS))
        ):
            return None  # a lone كي is "so that", أي "that is"; a lone م an abbreviation
        return "".join(self.arabic_letters.get(p, "") for p in letters) + digits

    def _project_key(self, number: str) -> str:
        return "PROJECT-" + "".join(self.cyrillic.get(c, c.upper()) for c in number)

    def designation_from_match(self, match: re.Match[str]) -> tuple[str, int] | None:
        """(key, end) of a designation match, or None when it breaks a rule."""
        form = match.group("pl") or match.group("pa") or match.group("pc")
        prefix, form_info = self.form_info[form] if form in self.form_info else self._form_for(form)
        number = "".join(str(unicodedata.digit(c)) for c in match.group("num"))
        sep = match.group("sep")
        min_digits = form_info.min_digits or prefix.min_digits
        if sep is None or sep in " \u00a0":
            if form_info.sep == "hyphen" or (form_info.sep == "space" and sep is None):
                return None
            if form_info.sep == "optional":
                min_digits = max(min_digits, 2)
        if len(number) > prefix.max_digits:
            return None
        if len(number) < min_digits:
            return None
        end = match.end()
        suffix = ""
        if match.group("suf"):
            suffix = self._suffix_key(match.group("suf"))
        elif match.group("ssuf"):
            candidate = match.group("ssuf").strip()
            if candidate.upper() in self.not_suffix:
                end = match.end("num")
            else:
                suffix = self._suffix_key(candidate)
        elif match.group("asuf"):
            arabic = self._arabic_suffix_key(match.group("asuf"))
            if arabic is None:
                end = match.end("num")
            else:
                suffix = arabic
        return f"{prefix.canonical.upper()}-{number}{suffix}", end

    def _form_for(self, written: str) -> tuple[Prefix, PrefixForm]:
        norm = _literal_norm(written)
        for form, info in self.form_info.items():
            if _literal_norm(form) == norm:
                return info
        raise KeyError(written)  # unreachable: the regex only matches listed forms

    def project_from_match(self, match: re.Match[str]) -> str | None:
        number = match.group("pnum") or match.group("anum")
        if _is_year(number):
            return None
        key = self._project_key(number)
        word = match.group("pw") or match.group("pwc")
        unknown_ok = False
        if word is not None:
            info = self.project_words.get(word) or next(
                (
                    w
                    for w in self.project_words.values()
                    if _literal_norm(w.word) == _literal_norm(word)
                ),
                None,
            )
            unknown_ok = bool(info and info.unknown_ok)
        known = key in self.by_key or (family_of(key) or "") in self.families
        if not known and not unknown_ok:
            return None
        return key

    def grammar_key(self, text: str) -> str | None:
        """Key of ``text`` when the whole of it is a designation or a project number."""
        stripped = text.strip().strip(_QUOTES)
        for match in self.designation_re.finditer(stripped):
            if match.start() == 0 or match.start() == len(match.group("clitic") or ""):
                result = self.designation_from_match(match)
                if result is not None and result[1] == len(stripped):
                    return result[0]
        project = self.project_re.fullmatch(stripped)
        if project is not None:
            number = project.group("pnum") or project.group("anum")
            if not _is_year(number):
                return self._project_key(number)
        return None

    # -- finding -------------------------------------------------------------

    def _designations(self, text: str) -> Iterator[WeaponMention]:
        for match in self.designation_re.finditer(text):
            result = self.designation_from_match(match)
            if result is None:
                continue
            key, end = result
            clitic = match.group("clitic") or ""
            start = match.start() + len(clitic)
            yield WeaponMention(
                start, end, key, text[start:end], match.start(), clitic[:1] in ("و", "ف")
            )

    def _projects(self, text: str) -> Iterator[WeaponMention]:
        for match in self.project_re.finditer(text):
            key = self.project_from_match(match)
            if key is not None:
                yield WeaponMention(match.start(), match.end(), key, match.group(0), match.start())

    def _names(self, text: str, regexes: list[re.Pattern[str]]) -> Iterator[WeaponMention]:
        for regex in regexes:
            for match in regex.finditer(text):
                key = self.literal_lookup.get(_literal_norm(match.group("body")))
                if key is None:
                    continue
                clitic = match.groupdict().get("clitic") or ""
                start, end = match.start("body"), match.end("body")
                outer = start - len(clitic)
                yield WeaponMention(
                    start, end, key, text[start:end], outer, clitic[:1] in ("و", "ف")
                )

    def _unknown_classes(self, text: str) -> Iterator[WeaponMention]:
        for regex, category in self.unknown_class_res:
            for match in regex.finditer(text):
                name = match.group("name")
                if name in self.not_class_names or _literal_norm(name) in self.literal_lookup:
                    continue  # known names are found with their entry's key
                start, end = match.span("name")
                yield WeaponMention(
                    start, end, f"CLASS-{name.upper()}", name, start, category=category
                )

    def find(self, text: str) -> list[WeaponMention]:
        """Non-overlapping mentions (the longest wins), left to right."""
        candidates = [
            *self._designations(text),
            *self._projects(text),
            *self._names(text, self.alias_res),
            *self._names(text, self.context_res),
            *self._unknown_classes(text),
            *self._ships(text),
        ]
        return self._merge_adjacent(text, _non_overlapping(candidates))

    def ancestors(self, key: str) -> list[str]:
        """Keys of the broader systems ``key`` belongs to, nearest first.

        An entry's ``family`` (``PROJECT-636.1`` -> ``PROJECT-636`` -> ``KILO-CLASS``);
        for a key the data does not list, its designation family (``SU-30MKK`` ->
        ``SU-30``; ``PROJECT-636.3`` -> ``PROJECT-636`` -> ``KILO-CLASS``).
        """
        found: list[str] = []
        current = key
        while True:
            entry = self.by_key.get(current)
            parent = self.family_key[entry.id] if entry is not None else family_of(current)
            if parent is None or parent in (current, key) or parent in found:
                return found
            found.append(parent)
            current = parent

    def is_family_of(self, family: str, key: str) -> bool:
        """Whether ``family`` names a broader system than ``key`` (not the same entry)."""
        entry = self.by_key.get(key)
        if entry is not None and self.by_key.get(family) is entry:
            return False
        return family in self.ancestors(key)

    def _joined_key(self, text: str, last: WeaponMention, mention: WeaponMention) -> str | None:
        """The key of one mention made of ``last`` and ``mention``, or None when they are two."""
        if last.key == mention.key and last.key.startswith("SHIP:"):
            # a ship named twice: "Đinh Tiên Hoàng (HQ-011)"
            return last.key if self.merge_gap_re.fullmatch(text, last.end, mention.start) else None
        first, second = self.by_key.get(last.key), self.by_key.get(mention.key)
        if first is not None and second is not None and first.id == second.id:
            if self.merge_gap_re.fullmatch(text, last.end, mention.start):
                return last.key
            return None
        if not self.naming_gap_re.fullmatch(text, last.end, mention.start):
            return None
        if self.is_family_of(last.key, mention.key):
            return mention.key
        if self.is_family_of(mention.key, last.key):
            return last.key
        return None

    def _merge_adjacent(self, text: str, mentions: list[WeaponMention]) -> list[WeaponMention]:
        """One mention for "проекта 10412 «Светляк»" (see the module docstring)."""
        merged: list[WeaponMention] = []
        for mention in mentions:
            key = self._joined_key(text, merged[-1], mention) if merged else None
            if key is None:
                merged.append(mention)
                continue
            last = merged[-1]
            end = mention.end
            if key.startswith("SHIP:") and text[last.end : end].count("(") > text[
                last.end : end
            ].count(")"):
                end += text[end : end + 1] == ")"  # "Đinh Tiên Hoàng (HQ-011)": its bracket
            merged[-1] = dataclasses.replace(last, end=end, key=key, text=text[last.start : end])
        return merged


def _gap_regex(words: list[str]) -> re.Pattern[str]:
    """Quotes, brackets, dashes and spaces, with at most one of ``words`` among them."""
    marks = f"[\\s{re.escape(_QUOTES)}()\\[\\]{_DASHES}]*"
    alternatives = _alternation(_flexible(w) for w in words)
    gap_words = f"(?:(?:{alternatives}){marks})?" if alternatives else ""
    return re.compile(f"{marks}{gap_words}")


def _non_overlapping(candidates: list[WeaponMention]) -> list[WeaponMention]:
    """Keep the longest of overlapping candidates (then the earliest), in text order."""
    starts: list[int] = []
    kept: list[WeaponMention] = []
    for cand in sorted(candidates, key=lambda m: (-(m.end - m.start), m.start, m.key)):
        at = bisect.bisect_left(starts, cand.start)
        if at > 0 and kept[at - 1].end > cand.start:
            continue
        if at < len(kept) and kept[at].start < cand.end:
            continue
        starts.insert(at, cand.start)
        kept.insert(at, cand)
    return kept


def family_of(key: str) -> str | None:
    """Family key of a designation key.

    ``SU-30MKK`` -> ``SU-30``; ``PROJECT-636.1`` -> ``PROJECT-636``; None for other keys.
    """
    match = re.fullmatch(r"(PROJECT-[0-9]+)(?:\.[0-9]+)?[A-Z]*", key)
    if match:
        return match.group(1)
    match = re.fullmatch(r"([A-Z]+-[0-9]+)[A-Z0-9]*", key)
    if match:
        return match.group(1)
    return None


# ---------------------------------------------------------------------------
# Public API


@lru_cache(maxsize=1)
def load_weapons(catalogue: Path | None = None) -> WeaponsData:
    """``pipeline/data/weapons.yaml`` with every language's ``weapons.yaml`` and the entries
    of every catalogue file (``catalogue`` or ``pipeline/data/catalogue/*.yaml``)."""
    data = lang_registry.load_with_languages(WeaponsData, "weapons.yaml", "weapons")
    entries, ships = _load_catalogue_files(catalogue)
    if not entries:
        raise ConfigError(f"{catalogue or CATALOGUE_DIR}: the weapons catalogue has no entries")
    return data.model_copy(update={"weapons": entries, "ships": ships})


class CatalogueFile(BaseModel):
    """One file of the catalogue: the systems of one producer country (or group)."""

    model_config = ConfigDict(extra="forbid")

    version: int
    weapons: list[WeaponEntry] = Field(min_length=1)
    ships: list[ShipEntry] = Field(default_factory=list)


def load_catalogue(folder: Path | None = None) -> list[WeaponEntry]:
    """Every entry of the catalogue's files, in file-name order, each marked with its file.

    A file is validated on its own, so an error names it; a system listed in two files
    is refused. The shipped catalogue is read once per process (:func:`load_weapons`)."""
    if folder is None:
        return list(load_weapons().weapons)
    return _load_catalogue_files(folder)[0]


def _load_catalogue_files(folder: Path | None) -> tuple[list[WeaponEntry], list[ShipEntry]]:
    root = folder or Path(str(resources.files("pipeline").joinpath(CATALOGUE_DIR)))
    entries: list[WeaponEntry] = []
    ships: list[ShipEntry] = []
    seen: dict[str, str] = {}
    for path in sorted(root.glob("*.yaml")):
        origin = str(path) if folder else f"pipeline/{CATALOGUE_DIR}/{path.name}"
        part = validate(CatalogueFile, read_yaml(path.read_text("utf-8"), origin), origin)
        for entry in part.weapons:
            if entry.id in seen:
                raise ConfigError(f"{origin}: {entry.id} is also in {seen[entry.id]}")
            seen[entry.id] = origin
            entries.append(entry.model_copy(update={"source": origin}))
        ships.extend(ship.model_copy(update={"source": origin}) for ship in part.ships)
    _check_ships(ships, set(seen))
    return entries, ships


def _check_ships(ships: list[ShipEntry], entry_ids: set[str]) -> None:
    """Every ship's class is an entry; no name or hull number names two ships."""
    names: dict[str, ShipEntry] = {}
    for ship in ships:
        if ship.class_id not in entry_ids:
            raise ConfigError(f"{ship.source}: ship {ship.name!r}: no entry {ship.class_id}")
        for form in (ship.name, ship.hull):
            if form is None:
                continue
            other = names.get(_literal_norm(form))
            if other is not None:
                raise ConfigError(
                    f"{ship.source}: {form!r} of ship {ship.name!r} also names "
                    f"{other.name!r} ({other.source})"
                )
            names[_literal_norm(form)] = ship


@lru_cache(maxsize=1)
def _grammar() -> _Grammar:
    return _Grammar(load_weapons())


def find_mentions(text: str) -> list[WeaponMention]:
    """Every designation, project number and class name in ``text``, left to right."""
    return _grammar().find(text)


def normalise_designation(text: str) -> str | None:
    """One key for every written form of a designation, or None.

    The key of the first mention in ``text`` (a class name with its class words,
    ``Kilo-class``, ``lớp Kilo``, is found by the languages' ``class_context``);
    failing that, of ``text`` as a bare name or alias (``Kilo``, ``«Варшавянка»``).
    """
    grammar = _grammar()
    mentions = grammar.find(text)
    if mentions:
        return mentions[0].key
    return grammar.literal_lookup.get(_literal_norm(text.strip().strip(_QUOTES)))


def display_designation(key: str) -> str:
    """Canonical spelling of a key: ``SU-35S`` -> ``Su-35S``, ``MIG-21BIS`` -> ``MiG-21bis``."""
    grammar = _grammar()
    entry = grammar.by_key.get(key)
    if entry is not None and grammar.entry_key[entry.id] == key:
        return entry.name
    if key.startswith("SHIP:"):
        return key[len("SHIP:") :]
    match = re.fullmatch(r"PROJECT-(.+)", key)
    if match:
        return f"Project {match.group(1)}"
    match = re.fullmatch(r"CLASS-(.+)", key)
    if match:
        return f"{match.group(1).capitalize()} class"
    match = re.fullmatch(r"([A-Z]+)-([0-9]+)(.*)", key)
    if match and match.group(1) in grammar.by_canonical:
        suffix = match.group(3)
        lowered = {v.upper(): v for v in grammar.lowercase.values()}
        suffix = lowered.get(suffix, suffix)
        prefix = grammar.by_canonical[match.group(1)]
        return f"{prefix.canonical}{prefix.joiner}{match.group(2)}{suffix}"
    return key


def _ref(entry: WeaponEntry, as_written: str) -> WeaponRef:
    return WeaponRef(
        id=entry.id,
        name=entry.name,
        family=entry.family,
        category=entry.category,
        origin=entry.origin,
        known=True,
        match="exact",
        as_written=as_written,
    )


def lookup(key: str) -> WeaponRef | None:
    """The entry ``key`` names (as designation or alias), or None: no guessing by family."""
    entry = _grammar().by_key.get(key)
    return None if entry is None else _ref(entry, display_designation(key))


def _family_traits(grammar: _Grammar, family: str) -> tuple[str, str] | None:
    """(category, origin) the family's entries share, or None when none or they differ."""
    traits = {(e.category, e.origin) for e in grammar.families.get(family, [])}
    return traits.pop() if len(traits) == 1 else None


@lru_cache(maxsize=4096)
def resolve(key: str) -> WeaponRef:
    """The record of ``key``: its entry, else its own record (see the module docstring)."""
    ref = lookup(key)
    if ref is not None:
        return ref
    grammar = _grammar()
    if key.startswith("SHIP:"):
        return _ship_ref(grammar, key)
    name = display_designation(key)
    family = family_of(key)
    prefix = grammar.by_canonical.get(key.split("-")[0]) if not key.startswith("PROJECT-") else None
    category, origin = (prefix.category, prefix.origin) if prefix else ("other", None)
    match: Match = "none"
    family_name = display_designation(family) if family else None
    family_entry = grammar.by_key.get(family) if family else None
    if family_entry is not None:  # a family-level entry: Leopard 2, Project 636, Gepard
        traits: tuple[str, str | None] | None = (family_entry.category, family_entry.origin)
        family_name = family_entry.name
    else:  # a bare family key: what its entries share
        traits = _family_traits(grammar, family) if family else None
    if traits is not None:
        category, origin = traits
        match = "family" if family == key else "variant"
    return WeaponRef(
        id=f"weapon:{slug(name)}",
        name=name,
        family=family_name,
        category=category,
        origin=origin,
        known=False,
        match=match,
        as_written=name,
    )


@dataclass(frozen=True)
class ClassMention:
    """A generic weapon class named in a text (a mortar, a VBIED): not a weapon record."""

    start: int
    end: int
    class_id: str
    text: str


@lru_cache(maxsize=32)
def _class_regex(lang: str) -> tuple[re.Pattern[str], tuple[str, ...]] | None:
    """One regex for the language's class words; group ``c<k>`` is the k-th class id."""
    part = load_weapons().languages.get(lang.split("-")[0].lower())
    if part is None or not part.weapon_classes:
        return None
    ids: list[str] = []
    groups: list[str] = []
    for class_id in sorted(part.weapon_classes):
        patterns = part.weapon_classes[class_id]
        # longer patterns first: "vehicle-borne IED" before "IED"
        body = "|".join(f"(?:{p})" for p in sorted(patterns, key=len, reverse=True))
        groups.append(f"(?P<c{len(ids)}>{body})")
        ids.append(class_id)
    alternatives = "|".join(groups)
    regex = re.compile(f"{_NOT_BEFORE_WORD}(?:{alternatives}){_NOT_AFTER_WORD}", re.IGNORECASE)
    return regex, tuple(ids)


# a class word stands alone, except in Chinese, which runs on without spaces
_NOT_BEFORE_WORD = r"(?:(?<![^\W\d_])|(?<=[\u3400-\u9fff]))"
_NOT_AFTER_WORD = r"(?:(?![^\W\d_])|(?<=[\u3400-\u9fff]))"


def find_weapon_classes(text: str, lang: str) -> list[ClassMention]:
    """Generic weapon classes the text names in language ``lang``, left to right."""
    compiled = _class_regex(lang)
    if compiled is None:
        return []
    regex, ids = compiled
    found = []
    for match in regex.finditer(text):
        group = next(name for name, value in match.groupdict().items() if value is not None)
        found.append(ClassMention(match.start(), match.end(), ids[int(group[1:])], match.group()))
    return found


def _ship_ref(grammar: _Grammar, key: str) -> WeaponRef:
    """A named ship: linked to its class entry when listed, else a ship of the navy its
    prefix names."""
    name = display_designation(key)
    ship = grammar.ships.get(key)
    if ship is not None:
        entry = next(e for e in grammar.data.weapons if e.id == ship.class_id)
        return WeaponRef(
            id=f"weapon:{slug(ship.name)}",
            name=ship.name,
            family=entry.name,
            category=entry.category,
            origin=entry.origin,
            known=True,
            match="exact",
            as_written=ship.name,
        )
    return WeaponRef(
        id=f"weapon:{slug(name)}",
        name=name,
        family=None,
        category="ship",
        origin=grammar.ship_country.get(name.split()[0]),
        known=False,
        match="none",
        as_written=name,
    )


for _cache in (load_weapons, _grammar, resolve, _class_regex):
    lang_registry.on_change(_cache.cache_clear)


# ---------------------------------------------------------------------------
# spaCy component


class WeaponsComponent:
    """Sets WEAPON entities with canonical ids, weapon details and quantities."""

    def __init__(self, name: str, max_words: int, lang: str) -> None:
        self.name = name
        self.max_words = max_words
        self.lang = lang
        _grammar()  # load and validate the data now, not on the first document
        load_numbers()

    def __call__(self, doc: Doc) -> Doc:
        text = extensions.doc_text(doc)
        mentions = find_mentions(text)
        spans: list[Span] = []
        details: list[tuple[Span, WeaponMention]] = []
        for mention in mentions:
            span = doc.char_span(
                mention.start, mention.end, label="WEAPON", alignment_mode="expand"
            )
            if span is None or (spans and span.start < spans[-1].end):
                continue
            spans.append(span)
            details.append((span, mention))
        if spans:
            _merge_entities(doc, spans)
        lang = self.lang
        # sentence boundaries from the parser or a sentencizer when present, else by
        # punctuation (checking the annotation once: it walks the whole doc)
        sentences = (
            [(sent.start_char, sent.end_char) for sent in doc.sents]
            if doc.has_annotation("SENT_START")
            else None
        )
        previous_end = 0
        found: list[tuple[int, int] | None] = []
        for k, (span, mention) in enumerate(details):
            ref = resolve(mention.key)
            if not ref.known and mention.category is not None:
                ref = dataclasses.replace(ref, category=mention.category)
            span._.canonical = ref.id
            span._.canonical_name = ref.name
            span._.weapon = ref.as_dict()
            following = details[k + 1][1].outer_start if k + 1 < len(details) else None
            quantity = None
            if not mention.conjunction:
                quantity = find_quantity_span(
                    text,
                    mention.outer_start,
                    mention.end,
                    lang,
                    max_words=self.max_words,
                    left_limit=previous_end,
                    right_limit=following,
                    sentences=sentences,
                )
            # a count between two mentions written after the first and before the second
            # (S-400 5套歼-10) counts the second: the number before the noun is the rule
            earlier = found[-1] if found else None
            if quantity is not None and earlier is not None and earlier[1] > quantity[1]:
                details[k - 1][0]._.quantity = None
                details[k - 1][0]._.quantity_detail = None
            found.append((quantity[1], quantity[2]) if quantity else None)
            span._.quantity_detail = quantity[0] if quantity else None
            span._.quantity = quantity_value(quantity[0]) if quantity else None
            previous_end = mention.end
        doc._.weapon_classes = [
            (c.start, c.end, c.class_id) for c in find_weapon_classes(text, self.lang)
        ]
        if doc._.coverage is None:
            doc._.coverage = []
        doc._.coverage.append(self.name)
        return doc


def _merge_entities(doc: Doc, spans: list[Span]) -> None:
    """WEAPON spans win over overlapping entities; other tokens are left as they were."""
    covered: set[int] = set()
    for span in spans:
        covered.update(range(span.start, span.end))
    overlapping = [ent for ent in doc.ents if any(i in covered for i in range(ent.start, ent.end))]
    if overlapping:
        doc.set_ents([], missing=overlapping, default="unmodified")
    doc.set_ents(spans, default="unmodified")


@Language.factory(COMPONENT_NAME, default_config={"max_words": 6})
def make_weapons_component(nlp: Language, name: str, max_words: int) -> WeaponsComponent:
    """``nlp.add_pipe("osintdesk_weapons", before="ner")`` (any language, blank or trained)."""
    extensions.register_extensions()
    return WeaponsComponent(name, max_words, nlp.lang or "xx")
