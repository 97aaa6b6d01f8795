"""Language identification per paragraph and per document.

Two layers:

1. **Script rules** (``pipeline/data/language_scripts.yaml``): letters are
   counted per script; the dominant script decides outright where it is
   decisive (Han without kana -> zh, kana -> ja, Hangul -> ko, Arabic without
   Persian/Urdu letters -> ar ...), and marker letters (Persian/Urdu letters in
   Arabic script, Vietnamese-only letters in Latin script) decide short texts.
2. **A statistical model** for the rest: lingua (default) or langdetect,
   restricted to the configured languages *of the dominant script*, so an
   English sentence with a Russian name in parentheses stays English and a
   Cyrillic line is only ever compared with Cyrillic languages.

Detectors are built once per language set and cached; both backends are
deterministic (langdetect runs with ``DetectorFactory.seed = 0``).
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pipeline import lang as lang_registry
from pipeline.config import LanguageOptions
from pipeline.errors import ConfigError
from pipeline.refdata import load_yaml_model

log = logging.getLogger(__name__)

UNDETERMINED = "und"
Span = tuple[int, int, str]

_LETTER = re.compile(r"[^\W\d_]")
_WORD = re.compile(r"[^\W\d_]+")
_LINE = re.compile(r"[^\n]+")
# URLs, e-mail addresses and DOIs say nothing about the language around them
_NOT_LANGUAGE = re.compile(
    r"(?:https?://|ftp://|www\.|doi:\s*)\S+|\b10\.\d{4,9}/\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+",
    re.IGNORECASE,
)


# --------------------------------------------------------------------------- reference data


class MarkerRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    letters: str = Field(min_length=1)
    languages: list[str] = Field(min_length=1)


class EvidenceRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    letters: str = Field(min_length=1)
    rules_out: list[str] = Field(min_length=1)
    unless: str = ""


class ScriptTable(BaseModel):
    """The validated contents of ``pipeline/data/language_scripts.yaml``."""

    model_config = ConfigDict(extra="forbid")

    scripts: dict[str, list[tuple[int, int]]]
    cjk_scripts: list[str]
    cjk_weight: float = Field(gt=0)
    japanese_kana_share: float = Field(ge=0, le=1)
    script_languages: dict[str, str]
    markers: dict[str, list[MarkerRule]]
    script_default: dict[str, str]
    model_languages: dict[str, list[str]]
    marker_word_share: float = Field(gt=0, le=1)
    alphabet_evidence: dict[str, list[EvidenceRule]] = {}

    @field_validator("scripts")
    @classmethod
    def _ranges_ordered(cls, value: dict[str, list[tuple[int, int]]]) -> Any:
        for name, ranges in value.items():
            for first, last in ranges:
                if not 0 <= first <= last <= 0x10FFFF:
                    raise ValueError(f"script {name}: bad range {first:#x}-{last:#x}")
        return value

    def model_post_init(self, __context: Any) -> None:
        known = set(self.scripts)
        named = (
            set(self.cjk_scripts)
            | set(self.script_languages)
            | set(self.markers)
            | set(self.script_default)
            | set(self.model_languages)
            | set(self.alphabet_evidence)
        )
        if named - known:
            raise ValueError(f"rules name unknown scripts: {sorted(named - known)}")
        if "han" not in known or "kana" not in known:
            raise ValueError("scripts 'han' and 'kana' are required")


@dataclass(frozen=True)
class _Compiled:
    table: ScriptTable
    patterns: dict[str, re.Pattern[str]]


@lru_cache(maxsize=1)
def script_table() -> _Compiled:
    """Load, validate and compile the script rules once."""
    table = load_yaml_model(ScriptTable, "language_scripts.yaml")
    patterns = {
        name: re.compile(
            "[" + "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges) + "]"
        )
        for name, ranges in table.scripts.items()
    }
    return _Compiled(table, patterns)


@lru_cache(maxsize=32)
def script_letter(code: str) -> re.Pattern[str]:
    """One character of the scripts of registry language ``code``: a letter of those
    scripts (``language_scripts.yaml``) or a mark its normalisation removes (harakat)."""
    spec = lang_registry.get(code)
    patterns = script_table().patterns
    classes = [patterns[script].pattern for script in spec.scripts if script in patterns]
    if spec.normalisation.remove:
        classes.append(spec.normalisation.remove)
    return re.compile("|".join(classes) or "(?!x)x")


@lru_cache(maxsize=32)
def script_word(code: str) -> re.Pattern[str]:
    """A whole word written in the scripts of registry language ``code`` (``fullmatch`` it)."""
    return re.compile(f"(?:{script_letter(code).pattern})+")


for _cached in (script_letter, script_word):
    lang_registry.on_change(_cached.cache_clear)


# --------------------------------------------------------------------------- backends


class _Backend:
    """A statistical model restricted to a set of ISO 639-1 codes."""

    def rank(self, text: str, languages: frozenset[str]) -> list[tuple[str, float]]:
        """Candidate languages with confidences, best first ([] when undecidable)."""
        raise NotImplementedError

    def supported(self) -> frozenset[str]:
        raise NotImplementedError


class _Lingua(_Backend):
    def __init__(self, low_accuracy: bool = False) -> None:
        from lingua import Language

        self._low_accuracy = low_accuracy

        self._codes = {lang.iso_code_639_1.name.lower(): lang for lang in Language.all()}

    def supported(self) -> frozenset[str]:
        return frozenset(self._codes)

    def rank(self, text: str, languages: frozenset[str]) -> list[tuple[str, float]]:
        detector = _lingua_detector(languages, self._low_accuracy)
        return [
            (str(value.language.iso_code_639_1.name.lower()), float(value.value))
            for value in detector.compute_language_confidence_values(text)
            if value.value > 0
        ]


@lru_cache(maxsize=32)
def _lingua_detector(languages: frozenset[str], low_accuracy: bool = False) -> Any:
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    codes = [IsoCode639_1.from_str(code) for code in sorted(languages)]
    log.debug("building lingua detector for %s", sorted(languages))
    builder = LanguageDetectorBuilder.from_iso_codes_639_1(*codes)
    if low_accuracy:
        builder = builder.with_low_accuracy_mode()
    return builder.build()


# langdetect answers these codes for languages we name otherwise
_LANGDETECT_CODES = {"zh-cn": "zh", "zh-tw": "zh", "no": "nb"}


class _Langdetect(_Backend):
    _lock = threading.Lock()

    def __init__(self) -> None:
        from langdetect import DetectorFactory
        from langdetect.detector_factory import init_factory

        DetectorFactory.seed = 0
        init_factory()
        from langdetect import detector_factory

        self._factory = detector_factory._factory
        self._codes = frozenset(
            _LANGDETECT_CODES.get(code, code) for code in self._factory.get_lang_list()
        )

    def supported(self) -> frozenset[str]:
        return self._codes

    def rank(self, text: str, languages: frozenset[str]) -> list[tuple[str, float]]:
        from langdetect.lang_detect_exception import LangDetectException

        with self._lock:  # langdetect seeds the shared random generator per call
            try:
                detector = self._factory.create()
                detector.append(text)
                ranked = detector.get_probabilities()
            except LangDetectException:
                return []
        found: dict[str, float] = {}
        for candidate in ranked:
            code = str(_LANGDETECT_CODES.get(candidate.lang, candidate.lang))
            if code in languages:
                found[code] = found.get(code, 0.0) + float(candidate.prob)
        return sorted(found.items(), key=lambda item: (-item[1], item[0]))


@lru_cache(maxsize=4)
def _backend(name: str, low_accuracy: bool = False) -> _Backend:
    if name == "lingua":
        return _Lingua(low_accuracy)
    if name == "langdetect":
        return _Langdetect()
    raise ConfigError(f"language.backend: unknown backend {name!r} (expected lingua or langdetect)")


# --------------------------------------------------------------------------- detector


@dataclass(frozen=True)
class LanguageProfile:
    """Languages of a document: main language, characters per language, paragraph spans."""

    language: str
    languages: dict[str, int]
    paragraphs: list[Span]


class LanguageDetector:
    """Detect the language of texts and paragraphs (ISO 639-1 codes, or ``"und"``)."""

    def __init__(self, options: LanguageOptions | None = None) -> None:
        self.options = options or LanguageOptions()
        self._rules = script_table()
        self._backend = _backend(self.options.backend, self.options.low_accuracy)
        configured = [code.lower() for code in self.options.languages]
        self._configured = frozenset(configured)
        usable = self._configured & self._backend.supported()
        self._model_sets: dict[str, frozenset[str]] = {
            script: usable & frozenset(codes)
            for script, codes in self._rules.table.model_languages.items()
        }
        self._model_all = usable
        self._preferred = frozenset(code.lower() for code in self.options.preferred)
        table = self._rules.table
        by_rules = (
            set(table.script_languages.values())
            | set(table.script_default.values())
            | {code for rules in table.markers.values() for r in rules for code in r.languages}
        )
        unanswerable = sorted(self._configured - usable - by_rules)
        if unanswerable:
            log.warning(
                "language.languages: %s cannot be detected by %s or the script rules; ignored",
                ", ".join(unanswerable),
                self.options.backend,
            )

    # ---- public API

    def detect(self, text: str) -> str:
        """The language of ``text`` as an ISO 639-1 code, or ``"und"``."""
        normalized = _NOT_LANGUAGE.sub(" ", unicodedata.normalize("NFC", text))
        counts = self._script_counts(normalized)
        total = sum(counts.values())
        if total == 0:
            return UNDETERMINED
        short = total < self.options.short_text_chars
        table = self._rules.table

        # Han + kana: enough kana makes the Han letters Japanese too
        han, kana = counts.get("han", 0), counts.get("kana", 0)
        if kana and (short or kana >= table.japanese_kana_share * (han + kana)):
            counts["kana"] = han + kana
            counts["han"] = 0

        script = self._dominant(counts)
        if script == "other":
            return self._model(normalized, self._model_all)

        language = table.script_languages.get(script)
        if language is not None:
            return language if language in self._configured else UNDETERMINED

        marked = self._marker_language(script, normalized, short)
        if marked is not None:
            return marked

        default = table.script_default.get(script)
        if default is not None and default in self._configured:
            return default
        return self._model(normalized, self._candidates(script, normalized))

    def detect_paragraphs(self, text: str) -> list[Span]:
        """``(start, end, language)`` for every non-blank line of ``text``.

        Offsets index ``text``; leading and trailing whitespace is left out
        of each span.
        """
        spans: list[Span] = []
        for match in _LINE.finditer(text):
            line = match.group()
            stripped = line.strip()
            if not stripped:
                continue
            start = match.start() + (len(line) - len(line.lstrip()))
            end = start + len(stripped)
            spans.append((start, end, self.detect(stripped)))
        return spans

    def profile(self, text: str) -> LanguageProfile:
        """Paragraph languages plus the document language by characters."""
        spans = self.detect_paragraphs(text)
        counts = characters_by_language(spans)
        return LanguageProfile(main_language(counts), counts, spans)

    # ---- internals

    def _script_counts(self, text: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        known = 0
        for name, pattern in self._rules.patterns.items():
            found = len(pattern.findall(text))
            if found:
                counts[name] = found
                known += found
        other = len(_LETTER.findall(text)) - known
        if other > 0:
            counts["other"] = other
        return counts

    def _dominant(self, counts: dict[str, int]) -> str:
        table = self._rules.table

        def weight(item: tuple[str, int]) -> tuple[float, str]:
            name, count = item
            factor = table.cjk_weight if name in table.cjk_scripts else 1.0
            return (count * factor, name)

        return max(counts.items(), key=weight)[0]

    def _candidates(self, script: str, text: str) -> frozenset[str]:
        """Model languages for a script, less those its alphabet rules out."""
        candidates = self._model_sets.get(script, self._model_all)
        lowered = text.lower()
        for rule in self._rules.table.alphabet_evidence.get(script, []):
            if any(ch in rule.letters for ch in lowered) and not any(
                ch in rule.unless for ch in lowered
            ):
                remaining = candidates - frozenset(rule.rules_out)
                if remaining:
                    candidates = remaining
        return candidates

    def _marker_language(self, script: str, text: str, short: bool) -> str | None:
        rules = self._rules.table.markers.get(script, [])
        lowered = text.lower()
        for rule in rules:
            letters = set(rule.letters)
            if not any(ch in letters for ch in lowered):
                continue
            language = next((c for c in rule.languages if c in self._configured), None)
            if language is None:
                continue
            if short:
                return language
            return self._decide_marked(script, text, letters, language)
        return None

    def _decide_marked(self, script: str, text: str, letters: set[str], language: str) -> str:
        """A longer text with marker letters: are the marker words only names?

        Marker words written with a capital may be names (Nguyễn Tấn Dũng in
        an English article); marker words in lower case are the language
        itself. Enough of the latter decides; otherwise the model judges the
        text without the marker words. In a script without case the model
        judges the whole text (Arabic written with Persian keyboard letters).
        """
        words = [w for w in _WORD.findall(text) if self._rules.patterns[script].match(w)]
        if not any(w[0].isupper() or w[0].islower() for w in words):
            # a script without case (Arabic) cannot tell names apart: the model decides
            found = self._model(text, self._candidates(script, text))
            return language if found == UNDETERMINED else found
        marked = [w for w in words if any(ch in letters for ch in w.lower())]
        common = [w for w in marked if not w[0].isupper()]
        if words and len(common) / len(words) >= self._rules.table.marker_word_share:
            return language
        rest = " ".join(w for w in words if w not in marked)
        if len(_LETTER.findall(rest)) < self.options.short_text_chars:
            return language
        found = self._model(rest, self._candidates(script, rest))
        return language if found == UNDETERMINED else found

    def _model(self, text: str, languages: frozenset[str]) -> str:
        if not languages:
            return UNDETERMINED
        if len(languages) == 1:
            return next(iter(languages))
        ranked = self._backend.rank(text, languages)
        if not ranked:
            return UNDETERMINED
        best_code, best = ranked[0]
        if best_code in self._preferred:
            return best_code
        floor = self.options.preference_ratio * best
        for code, confidence in ranked[1:]:
            if confidence < floor:
                break
            if code in self._preferred:
                return code
        return best_code


def characters_by_language(spans: Sequence[Span]) -> dict[str, int]:
    """Characters per language over paragraph spans, sorted by code."""
    counts: Counter[str] = Counter()
    for start, end, language in spans:
        counts[language] += end - start
    return dict(sorted(counts.items()))


def main_language(counts: dict[str, int]) -> str:
    """The language with most characters ("und" only when nothing else was found)."""
    decided = {code: n for code, n in counts.items() if code != UNDETERMINED}
    if not decided:
        return UNDETERMINED
    return min(decided.items(), key=lambda item: (-item[1], item[0]))[0]


@lru_cache(maxsize=8)
def _cached_detector(options_json: str) -> LanguageDetector:
    return LanguageDetector(LanguageOptions.model_validate_json(options_json))


def get_detector(options: LanguageOptions | None = None) -> LanguageDetector:
    """A detector for these options, built once per distinct options."""
    return _cached_detector((options or LanguageOptions()).model_dump_json())


def release_detectors() -> None:
    """Drop the detectors and lingua's loaded models (about 280 MB with every script's);
    they are built again on next use."""
    _cached_detector.cache_clear()
    _lingua_detector.cache_clear()
