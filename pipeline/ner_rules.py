"""Rule-based recognition of people and places, for languages without a model.

Arabic and Vietnamese have no NER model in this project, so names are found
from cues written in ``pipeline/data/name_patterns.yaml``:

- a title ("Thủ tướng", "رئيس الوزراء", "Đại tướng", "السيد") followed by one
  to a few name tokens, after skipping a country or nationality word
  ("Bộ trưởng Quốc phòng Nga Sergei Shoigu", "وزير الدفاع الروسي سيرغي شويغو");
- Vietnamese runs of capitalised syllables that start with a common family name;
- country and place names from ``countries.yaml`` (every language).

Known people are added later by ``osintdesk_people``. The Arabic tokenizer is
also adjusted here: a clitic (و، ب، ل، ف…) glued to a known name is split
off, and a full stop glued to a number or word is split.
"""

from __future__ import annotations

import logging
import re
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc, Span, Token
from spacy.util import compile_suffix_regex, filter_spans

from pipeline import lang as lang_registry
from pipeline.extensions import merge_ents, note_coverage
from pipeline.language import script_word
from pipeline.people import (
    FormIndex,
    PlaceInfo,
    adjective_forms,
    name_patterns,
    people_forms,
    place_forms,
    place_info,
    token_key,
)
from pipeline.refdata import validate

log = logging.getLogger(__name__)

RULE_COMPONENT = "osintdesk_rule_ner"
CLITIC_COMPONENT = "osintdesk_ar_clitics"

# A full stop, colon or Arabic comma glued to the end of a number or word.
_ARABIC_SUFFIXES = [r"(?<=[0-9\u0660-\u0669])[.:]", r"(?<=[\u0621-\u064a])[.:،؛]"]


def fix_arabic_tokenizer(nlp: Language) -> None:
    """Split "1975." into "1975" "." (spaCy's Arabic suffixes leave it glued)."""
    suffixes = [*_ARABIC_SUFFIXES, *(nlp.Defaults.suffixes or ())]
    tokenizer = nlp.tokenizer
    if isinstance(tokenizer, Tokenizer):
        tokenizer.suffix_search = compile_suffix_regex(suffixes).search


def _path(value: str) -> Path | None:
    return Path(value) if value else None


class GivenNamesFile(BaseModel):
    """``pipeline/lang/<code>/given_names.yaml``: given names that start a name."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    native: list[str] = Field(default_factory=list, description="The language's own names.")
    foreign: list[str] = Field(
        default_factory=list, description="Foreign given names as the language writes them."
    )


@cache
def _lexicon(lang: str) -> GivenNamesFile:
    spec = lang_registry.find(lang)
    data = spec.data("given_names") if spec is not None else None
    if spec is None or data is None:
        return GivenNamesFile()
    return validate(GivenNamesFile, data, f"{spec.folder}/given_names.yaml")


def given_names(lang: str) -> frozenset[str]:
    """Given names of ``lang`` (as written): ``names.yaml``'s and ``given_names.yaml``'s."""
    lexicon = _lexicon(lang)
    native = name_patterns().for_lang(lang).given_names
    return frozenset([*native, *lexicon.native, *lexicon.foreign])


def foreign_given_names(lang: str) -> frozenset[str]:
    """Foreign given names: a clitic glued to one may be split off. (Not the language's
    own: a clitic plus a short native name is often another word, ك + ريم = كريم,
    ل + دينا = لدينا.)"""
    return frozenset(_lexicon(lang).foreign)


lang_registry.on_change(_lexicon.cache_clear)


class RuleNER:
    """Title-cued names, Vietnamese family-name runs, gazetteer places."""

    def __init__(self, nlp: Language, name: str, titles: bool, countries_path: str) -> None:
        self.name = name
        self.lang: str = nlp.lang or "xx"
        self.use_titles = titles
        patterns = name_patterns().for_lang(self.lang)
        self.patterns = patterns
        self.matcher = PhraseMatcher(nlp.vocab, attr="ORTH")
        if titles and patterns.titles:
            self.matcher.add("TITLE", [nlp.make_doc(t) for t in patterns.titles])
            # Arabic: "والسيد", "وللرئيس" — a one-word title with a clitic glued on
            glued = [
                nlp.make_doc(clitic + t)
                for t in patterns.titles
                if " " not in t
                for clitic in patterns.clitics
            ]
            if glued:
                self.matcher.add("TITLE_CLITIC", glued)
        self.cues = PhraseMatcher(nlp.vocab, attr="ORTH")
        for cue, label in patterns.place_cues.items():
            self.cues.add(label, [nlp.make_doc(cue)])
        self.orgs = PhraseMatcher(nlp.vocab, attr="ORTH")
        if patterns.org_cues:
            self.orgs.add("ORG", [nlp.make_doc(c) for c in patterns.org_cues])
            self.orgs.add(
                "ORG_CLITIC",
                [nlp.make_doc(k + c) for c in patterns.org_cues for k in patterns.clitics],
            )
        self.countries_path = _path(countries_path)
        self.places: FormIndex = place_forms(self.lang, nlp.tokenizer, self.countries_path)
        self.adjectives = adjective_forms(self.lang, self.countries_path)
        # a name run also stops at the next title ("... الرئيس التنفيذي"): at the first
        # word of any title, except words that are also name syllables ("Đồng" of
        # "Đồng chí", "Trung" of "Trung tướng"), which stop a run only where the whole
        # title matches: "Phạm Văn Đồng" is a name
        self.marks_matter = patterns.marks_distinguish_words
        in_names = {self._stop_key(w) for w in patterns.title_words_in_names}
        # (a place cue word stops a run only where a name follows it: see __call__)
        self.stop = {self._stop_key(w) for w in patterns.name_stop} | (
            {self._stop_key(t.split()[0]) for t in patterns.titles if titles} - in_names
        )
        # runs starting with one of these words (as written) are names
        self.name_starts = set(patterns.surnames) | given_names(self.lang)
        # a foreign given name after a given name and a surname starts the next name
        # ("أندريه بيلوسوف سيرغي شويغو"); native Arabic names chain given names
        self.foreign_starts = foreign_given_names(self.lang)
        self.stop_prefixes = tuple(patterns.name_stop_prefixes)
        self.start_stop_prefixes = tuple(patterns.name_start_stop_prefixes)
        self.not_starts = set(patterns.not_name_starts)
        self.connectors = {token_key(w) for w in patterns.connectors}
        spec = lang_registry.find(self.lang)
        self.script_word = script_word(spec.code) if spec is not None else None
        # in a script without case a name word is any word of the language's script
        self.capitalised = patterns.names_capitalised
        self.article = token_key(patterns.article) if patterns.article else ""
        self.adjective_endings = tuple(token_key(e) for e in patterns.adjective_endings)
        self.surnames = set(patterns.surnames)
        self.native = re.compile(patterns.native_syllable) if patterns.native_syllable else None
        self.foreign_not_after = set(patterns.foreign_name_not_after)

    def _stop_key(self, text: str) -> str:
        return text.casefold() if self.marks_matter else token_key(text)

    # -- names after titles

    def _is_adjective(self, token: Token) -> bool:
        key = token_key(token.text)
        if key in self.adjectives:
            return True
        # an adjective of origin by its shape (Arabic nisba الروسي، الفلسطينية)
        endings = self.adjective_endings
        return bool(endings) and self._has_article(key) and key.endswith(endings)

    def _has_article(self, key: str) -> bool:
        return bool(self.article) and key.startswith(self.article)

    def _in_script(self, text: str) -> bool:
        return self.script_word is not None and bool(self.script_word.fullmatch(text))

    def _cued_places(self, doc: Doc) -> list[Span]:
        """ "مدينة البيرة", "thành phố Đà Nẵng": a cue word and the name after it."""
        spans: list[Span] = []
        for match_id, start, end in self.cues(doc):
            j = end
            while j < len(doc) and j - end < 2 and self._name_token(doc[j], 1, set()):
                j += 1
            if j > end:
                first = start if self.patterns.cue_in_span else end
                spans.append(Span(doc, first, j, label=doc.vocab.strings[match_id]))
        return spans

    def _cued_orgs(self, doc: Doc, place_ends: dict[int, int]) -> list[Span]:
        """ "وزارة الخارجية الروسية", "جامعة بيرزيت": a cue and up to three words.

        The first word after the cue may be any name word, the next ones must be
        definite (ال...); a listed place counts as one word. (Following a whole idafa
        chain, "هيئة سوق رأس المال", scored worse on the Wojood training sample.)
        """
        spans: list[Span] = []
        for cue in filter_spans([doc[s:e] for _, s, e in self.orgs(doc)]):
            start, end = cue.start, cue.end
            j = end
            while j < len(doc) and j - end < 3:
                if j in place_ends:
                    j = place_ends[j]
                    continue
                key = token_key(doc[j].text)
                if self._stop_key(doc[j].text) in self.stop or not self._in_script(doc[j].text):
                    break
                if j > end and self.article and not key.startswith(self.article):
                    break
                j += 1
            if j > end:
                spans.append(Span(doc, start, j, label="ORG"))
        return spans

    def _name_token(self, token: Token, position: int, place_starts: set[int]) -> bool:
        text = token.text
        if token.is_punct or token.like_num or token.is_space or token.i in place_starts:
            return False
        key = token_key(text)
        if self._stop_key(text) in self.stop or key in self.adjectives:
            return False
        if position > 0 and text.startswith(self.stop_prefixes):
            return False
        # "Chủ tịch Hội đồng ...", "الأمين العام للحزب ...": a body, not a name
        if position == 0 and (text in self.not_starts or text.startswith(self.start_stop_prefixes)):
            return False
        if not self.capitalised:
            return self._in_script(text) and not (position == 0 and self._has_article(key))
        return text[:1].isupper() and all(c.isalpha() or c in "-'’." for c in text)

    def _title_names(
        self,
        doc: Doc,
        places_at: dict[int, tuple[int, PlaceInfo]],
        matches: list[tuple[int, int, int]],
        cue_starts: set[int],
    ) -> list[Span]:
        spans: list[Span] = []
        titles = filter_spans([doc[s:e] for _, s, e in matches])
        # a name stops at a listed place, at the next title or at a cued place
        place_starts = set(places_at) | {start for _, start, _ in matches} | cue_starts
        limit = self.patterns.max_name_tokens
        for title in titles:
            i = title.end
            skipped = 0
            while i < len(doc) and skipped < self.patterns.skip_after_title:
                if i in places_at and places_at[i][1].is_country:
                    i = places_at[i][0]
                elif self._is_adjective(doc[i]):
                    i += 1
                else:
                    break
                skipped += 1
            j = i
            while j < len(doc) and j - i < limit and self._name_token(doc[j], j - i, place_starts):
                j += 1
            # a name does not end on أبو / عبد / بن: take the word they bind
            if (
                j > i
                and token_key(doc[j - 1].text) in self.connectors
                and j < len(doc)
                and self._name_token(doc[j], j - i, place_starts)
            ):
                j += 1
            while j > i and token_key(doc[j - 1].text) in self.connectors:
                j -= 1
            if j > i:
                spans.append(Span(doc, i, j, label="PERSON"))
        return spans

    # -- runs that start with a family name (vi) or a common given name (ar)

    def _name_runs(self, doc: Doc, place_starts: set[int]) -> list[Span]:
        spans: list[Span] = []
        limit = self.patterns.max_name_tokens
        i = 0
        while i < len(doc):
            if doc[i].text not in self.name_starts or i in place_starts:
                i += 1
                continue
            j = i + 1
            while (
                j < len(doc)
                and j - i < limit
                and self._name_token(doc[j], j - i, place_starts)
                and not (j - i >= 2 and doc[j].text in self.foreign_starts)
            ):
                j += 1
            if j < len(doc) and token_key(doc[j - 1].text) in self.connectors:
                j += 1 if self._name_token(doc[j], j - i, place_starts) else 0
            while j > i + 1 and token_key(doc[j - 1].text) in self.connectors:
                j -= 1
            if j - i >= self.patterns.min_name_run:
                spans.append(Span(doc, i, j, label="PERSON"))
                i = j
            else:
                i += 1
        return spans

    def _cue_starts(self, doc: Doc) -> set[int]:
        """Where a place cue word is followed by a name: there a name run stops ("Nguyễn
        Chí Vịnh," ends no run at Vịnh; "... Thành phố Hồ Chí Minh" does at Thành)."""
        return {
            start
            for _, start, end in self.cues(doc)
            if end < len(doc) and self._name_token(doc[end], 1, set())
        }

    # -- foreign names in Latin letters in a language whose own names are native syllables

    def _foreign(self, text: str) -> bool:
        return self.native is not None and not self.native.fullmatch(text.casefold())

    def _foreign_runs(self, doc: Doc, place_starts: set[int]) -> list[Span]:
        """Runs of two or more capitalised words, one of which no native syllable can be
        ("Carl Thayer", "Yoon Suk Yeol"). Acronyms (NATO) break a run; a capitalised
        first word of the sentence that is a native syllable ("Theo Carl Thayer") is left
        out; a run after ``foreign_name_not_after`` names a body, not a person."""
        spans: list[Span] = []
        limit = self.patterns.max_name_tokens
        i = 0
        while i < len(doc):
            j = i
            while (
                j < len(doc)
                and j - i < limit
                and self._name_token(doc[j], j - i, place_starts)
                and not (doc[j].text.isupper() and len(doc[j]) > 1)
            ):
                j += 1
            start = i
            if start < j and doc[start].is_sent_start and not self._foreign(doc[start].text):
                start += 1
            words = doc[start:j]
            before = {doc[start - 1].text} if start > 0 else set()
            if start > 1:
                before.add(doc[start - 2 : start].text)
            if (
                len(words) >= 2
                and any(self._foreign(t.text) for t in words)
                and not before & self.foreign_not_after
            ):
                spans.append(Span(doc, start, j, label="PERSON"))
            i = max(j, i + 1)
        return spans

    def __call__(self, doc: Doc) -> Doc:
        # a listed place right after a family name is the person's given name ("Nguyễn
        # Tân Cương" is a general; Tân Cương alone is Xinjiang)
        places_at = {
            start: (end, place_info(value, self.countries_path))
            for start, end, value in self.places.scan(doc)
            if not (start > 0 and doc[start - 1].text in self.surnames)
        }
        title_matches = list(self.matcher(doc)) if self.use_titles else []
        title_starts = {start for _, start, _ in title_matches}
        cue_starts = self._cue_starts(doc) if self.use_titles else set()
        if self.use_titles:
            merge_ents(doc, self._title_names(doc, places_at, title_matches, cue_starts))
        # a listed place overrides a model's entity inside it ("Cam Ranh Bay" PERSON)
        merge_ents(
            doc,
            [Span(doc, s, end, label=info.label) for s, (end, info) in places_at.items()],
            replace=True,
        )
        if self.use_titles:
            merge_ents(doc, self._cued_places(doc), replace=True)
            ends = {start: end for start, (end, _) in places_at.items()}
            merge_ents(doc, self._cued_orgs(doc, ends), replace=True)
        if self.use_titles and self.name_starts:
            merge_ents(doc, self._name_runs(doc, set(places_at) | title_starts | cue_starts))
        if self.use_titles and self.native is not None:
            merge_ents(doc, self._foreign_runs(doc, set(places_at) | title_starts | cue_starts))
        note_coverage(doc, self.name)
        return doc


@Language.factory(
    RULE_COMPONENT,
    default_config={"titles": True, "countries_path": ""},
)
def make_rule_ner(nlp: Language, name: str, titles: bool, countries_path: str) -> RuleNER:
    return RuleNER(nlp, name, titles, countries_path)


class ArabicClitics:
    """Split a clitic prefix off a token when the rest is a known name's first word.

    "وبوتين" → "و" "بوتين", "لروسيا" → "ل" "روسيا", so that spans start at
    the name and not at the conjunction or preposition glued to it.
    """

    def __init__(self, nlp: Language, name: str, people_path: str, countries_path: str) -> None:
        self.name = name
        people = people_forms(nlp.lang or "xx", nlp.tokenizer, _path(people_path))
        places = place_forms(nlp.lang or "xx", nlp.tokenizer, _path(countries_path))
        given = {token_key(n) for n in foreign_given_names(nlp.lang or "xx")}
        self.firsts = set(people.by_first) | set(places.by_first) | given
        clitics = name_patterns().for_lang(nlp.lang or "xx").clitics
        self.clitics = sorted(clitics, key=len, reverse=True)

    def _split_at(self, text: str) -> int:
        if token_key(text) in self.firsts:
            return 0
        for clitic in self.clitics:
            rest = text[len(clitic) :]
            if text.startswith(clitic) and len(rest) >= 2 and token_key(rest) in self.firsts:
                return len(clitic)
        return 0

    def __call__(self, doc: Doc) -> Doc:
        cuts = [(t, n) for t in doc if (n := self._split_at(t.text))]
        if cuts:
            with doc.retokenize() as retokenizer:
                for token, n in cuts:
                    retokenizer.split(
                        token, [token.text[:n], token.text[n:]], heads=[(token, 1), (token, 1)]
                    )
        return doc


@Language.factory(
    CLITIC_COMPONENT,
    default_config={"people_path": "", "countries_path": ""},
)
def make_arabic_clitics(
    nlp: Language, name: str, people_path: str, countries_path: str
) -> ArabicClitics:
    return ArabicClitics(nlp, name, people_path, countries_path)
