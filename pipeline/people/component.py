"""The spaCy component ``osintdesk_people``: the last one of every pipeline.

It links PERSON spans to person ids, adds PERSON spans for known forms the NER
missed, and links GPE/LOC spans to ISO country codes or known places. It also
removes false people: ship names (after a ship word or a hull number, per language
in ``names.yaml``), known places a model called PERSON ("Sochi"), known person names
inside longer place names ("Ho Chi Minh City"), and Chinese country abbreviations
("越方", "苏越").
"""

from __future__ import annotations

from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from pipeline.extensions import doc_text, merge_ents, note_coverage, register_extensions
from pipeline.people.credits import find_credits
from pipeline.people.index import adjective_forms, people_forms, person_index, place_forms
from pipeline.people.inflection import is_given_name
from pipeline.people.models import name_patterns
from pipeline.people.normalise import token_key
from pipeline.people.organisations import (
    lookup_organisation,
    organisation_forms,
    organisations_by_id,
)
from pipeline.people.places import lookup_place, place_info
from pipeline.people.ships import is_country_abbreviation, ship_cues

register_extensions()

PEOPLE_COMPONENT = "osintdesk_people"


def _name_word(token: Token) -> bool:
    """A capitalised word (hyphenated parts allowed) that may continue a name."""
    text = token.text
    return text[:1].isupper() and all(part.isalpha() for part in text.split("-") if part)


def _inside(span: Span, regions: list[tuple[int, int]]) -> bool:
    """Whether ``span`` overlaps one of the character ``regions``."""
    return any(start < span.end_char and span.start_char < end for start, end in regions)


class PeopleLinker:
    """Links PERSON spans to people.yaml and GPE/LOC spans to countries.yaml."""

    def __init__(self, nlp: Language, name: str, people_path: str, countries_path: str) -> None:
        self.name = name
        self.lang: str = nlp.lang or "xx"
        self.people_path = Path(people_path) if people_path else None
        self.countries_path = Path(countries_path) if countries_path else None
        tokenizer = nlp.tokenizer
        self.people = people_forms(self.lang, tokenizer, self.people_path)
        self.places = place_forms(self.lang, tokenizer, self.countries_path)
        self.index = person_index(self.people_path)
        self.orgs = organisation_forms(self.lang, tokenizer)
        patterns = name_patterns().for_lang(self.lang)
        self.parts_joined = patterns.name_parts_joined
        self.dictionary_names = patterns.dictionary_names
        self.named_after = {w.casefold() for w in patterns.named_after}
        self.geo_words = {token_key(w) for w in patterns.geo_features if " " not in w}
        self.geo_first = patterns.geo_feature_first
        self.articles = set(patterns.span_articles)
        self.possessives = set(patterns.span_possessives)
        # joined scripts (Chinese): only a feature of two or more characters, as the
        # name's last part, may turn a PERSON into a place; one character (江, 海, 山)
        # is too common inside given names (江泽民, 张海丽, 郑海霞)
        self.geo_suffixes = tuple(
            w for w in patterns.geo_features if self.parts_joined and len(w) >= 2
        )
        self.demonyms = set(adjective_forms(self.lang, self.countries_path))

    def _link_person(self, span: Span) -> None:
        pid = self.index.lookup(span.text)
        if pid is None:
            found = {value for _, _, value in self.people.scan(span.doc, span.start, span.end)}
            pid = next(iter(found)) if len(found) == 1 else None
        if pid is not None:
            span._.canonical = pid
            span._.canonical_name = self.index.people[pid].name

    def _trim(self, span: Span) -> Span:
        """Cut a PERSON span down to the one complete known name inside it.

        Title rules take up to a few words after a title; when the first of them
        form a known name ("إدوارد شيفرنادزه خيار ..."), the rest is not the name.
        A known name of two or more words further in wins too ("للحزب الشيوعي
        نغوين فو ترونغ"); a lone known word further in does not ("Владимир
        Владимирович Путин" stays whole).
        """
        matches = list(self.people.scan(span.doc, span.start, span.end))
        if len(matches) != 1:
            return span
        start, end, _ = matches[0]
        if (start, end) == (span.start, span.end):
            return span
        if start == span.start or end - start >= 2:
            return Span(span.doc, start, end, label="PERSON")
        return span

    def _link_organisation(self, span: Span) -> Span | None:
        """The span as a linked ORG when its whole text is a known organisation, else None."""
        oid = lookup_organisation(span.text, self.lang)
        if oid is None:
            found = list(self.orgs.scan(span.doc, span.start, span.end))
            if len(found) == 1 and (found[0][0], found[0][1]) == (span.start, span.end):
                oid = found[0][2]
        if oid is None:
            return None
        org = Span(span.doc, span.start, span.end, label="ORG")
        org._.canonical = oid
        org._.canonical_name = organisations_by_id()[oid].name
        return org

    def _without_article(self, span: Span) -> Span:
        """An ORG, GPE or LOC span without the article or possessive a model took in
        ("the Russian Navy", "Indian Navy's"), so that it links and keys like the name."""
        if span.label_ not in ("ORG", "GPE", "LOC"):
            return span
        start, end = span.start, span.end
        if end - start > 1 and span[0].text in self.articles:
            start += 1
        if end - start > 1 and span[-1].text in self.possessives:
            end -= 1
        return (
            span
            if (start, end) == (span.start, span.end)
            else Span(span.doc, start, end, label=span.label_)
        )

    @staticmethod
    def _is_weapon(span: Span) -> bool:
        """Whether the weapons catalogue names exactly this span ("Bayraktar TB2")."""
        from pipeline.weapons import find_mentions, lookup

        text = span.text.strip()
        return any(
            m.start == 0 and m.end == len(text) and lookup(m.key) is not None
            for m in find_mentions(text)
        )

    def _link_place(self, span: Span) -> Span:
        value = lookup_place(span.text, self.lang)
        if value is None:
            matches = list(self.places.scan(span.doc, span.start, span.end))
            if len(matches) == 1 and (matches[0][0], matches[0][1]) == (span.start, span.end):
                value = matches[0][2]
        if value is None:
            return span
        info = place_info(value, self.countries_path)
        if span.label_ == "ORG" and not info.is_country:
            return span
        label = info.label if span.label_ in ("GPE", "LOC", "ORG") else span.label_
        if label != span.label_:
            span = Span(span.doc, span.start, span.end, label=label)
        if info.is_country:
            span._.canonical = info.code
        span._.canonical_name = info.name
        return span

    def _not_a_person(self, span: Span) -> str | None:
        """For a PERSON span no reference data knows as a person: the place label when
        it is a known place ("Sochi", "Vung Tau"), "LOC" when it names a geographic
        feature (an unlisted "X Bay" or "Y Island"), "drop" when it ends in a demonym
        ("Russo-Vietnamese") or is a Chinese country abbreviation ("越方", "苏越"),
        else None (keep it as an unknown person)."""
        words = [token_key(t.text) for t in span if not t.is_punct]
        if not words or is_country_abbreviation(span.text, self.lang):
            return "drop"
        place = lookup_place(span.text, self.lang)
        if place is not None:
            return place_info(place, self.countries_path).label
        if self._has_geo_feature(span, words):
            return "LOC"
        if words[-1] in self.demonyms:
            return "drop"
        return None

    def _has_geo_feature(self, span: Span, words: list[str]) -> bool:
        """Whether the span names a geographic feature: a feature word among its words,
        or, where name parts are joined, a feature of two or more characters ending it
        (never a single character: the statistical model's PERSON stands)."""
        if self.parts_joined:
            text = span.text.strip()
            return any(text.endswith(w) and len(text) > len(w) for w in self.geo_suffixes)
        if self.geo_first:
            return words[0] in self.geo_words
        return bool(set(words) & self.geo_words)

    def _dictionary_names(self, doc: Doc) -> list[Span]:
        """PERSON spans for a given name the morphology dictionary knows followed by one
        or two capitalised words ("Штеффен Хебештрайт", "Анджея Дуди"), where the
        language has ``dictionary_names``; existing entities are left alone."""
        if not self.dictionary_names:
            return []
        spans: list[Span] = []
        i = 0
        while i < len(doc) - 1:
            if not (doc[i].is_alpha and doc[i].text[:1].isupper()) or not is_given_name(
                doc[i].text, self.lang
            ):
                i += 1
                continue
            end = i + 1
            while end < len(doc) and end - i < 3 and _name_word(doc[end]):
                end += 1
            after = i > 0 and doc[i - 1].text.casefold() in self.named_after
            if end - i >= 2 and not after:
                spans.append(Span(doc, i, end, label="PERSON"))
            i = end
        return spans

    def _known_names(self, doc: Doc) -> list[Span]:
        """Known person forms in ``doc``, except those inside a longer known place
        ("Ho Chi Minh" in "Ho Chi Minh City", "胡志明" in "胡志明市")."""
        places = [(start, end) for start, end, _ in self.places.scan(doc)]
        return [
            Span(doc, start, end, label="PERSON")
            for start, end, _ in self.people.scan(doc)
            if not any(s <= start and end <= e and e - s > end - start for s, e in places)
        ]

    @staticmethod
    def _drop_partial_overlaps(doc: Doc, known: list[Span]) -> None:
        """A known name beats a PERSON span that overlaps it only in part (a title
        rule's "للحزب الشيوعي نغوين فو" against the known "نغوين فو ترونغ")."""

        def partial(ent: Span, name: Span) -> bool:
            if ent.end <= name.start or name.end <= ent.start:
                return False
            inside = name.start <= ent.start and ent.end <= name.end
            return not inside and not (ent.start <= name.start and name.end <= ent.end)

        ents = doc.ents
        keep = [
            ent
            for ent in ents
            if ent.label_ != "PERSON" or not any(partial(ent, name) for name in known)
        ]
        if len(keep) != len(ents):
            doc.ents = keep

    def _is_country(self, span: Span) -> bool:
        value = lookup_place(span.text, self.lang)
        return value is not None and value.startswith("country:")

    def _person(self, ent: Span) -> Span | None:
        """The PERSON span trimmed and linked, turned into a place or an organisation, or
        None to drop it (a weapons system: "Bayraktar TB2")."""
        doc = ent.doc
        if self.index.lookup(ent.text) is None:
            if lookup_place(ent.text, self.lang):
                return self._link_place(Span(doc, ent.start, ent.end, label="GPE"))
            org = self._link_organisation(ent)
            if org is not None:
                return org
            if self._is_weapon(ent):
                return None
        ent = self._trim(ent)
        self._link_person(ent)
        if ent._.canonical is None:
            verdict = self._not_a_person(ent)
            if verdict == "drop":
                return None
            if verdict in ("GPE", "LOC"):
                return self._link_place(Span(doc, ent.start, ent.end, label=verdict))
        return ent

    @staticmethod
    def _drop_credited(doc: Doc, lang: str) -> list[tuple[int, int]]:
        """Bylines and credits are the document's authors: names inside them are
        neither people nor organisations of the story (``Doc._.credits`` keeps them)."""
        credits = find_credits(doc_text(doc), lang)
        doc._.credits = [c.who for c in credits]
        regions = [(c.start, c.end) for c in credits]
        if regions:
            doc.ents = [
                ent
                for ent in doc.ents
                if ent.label_ not in ("PERSON", "ORG") or not _inside(ent, regions)
            ]
        return regions

    def __call__(self, doc: Doc) -> Doc:
        credits = self._drop_credited(doc, self.lang)
        found = [s for s in self._dictionary_names(doc) if not _inside(s, credits)]
        merge_ents(doc, found)
        known = [k for k in self._known_names(doc) if not _inside(k, credits)]
        self._drop_partial_overlaps(doc, known)
        merge_ents(doc, known, replace=True)
        orgs = [
            Span(doc, start, end, label="ORG")
            for start, end, _ in self.orgs.scan(doc)
            if not _inside(doc[start:end], credits)
        ]
        merge_ents(doc, orgs, replace=True)
        ships = ship_cues(self.lang)
        ents: list[Span] = []
        ship_end = -1  # end char of the last ship name, for lists of ships
        for ent in doc.ents:
            ent = self._without_article(ent)
            if ent.label_ in ("PERSON", "GPE", "LOC"):
                # a place after a ship word or hull number is a ship ("HQ-186 Da Nang",
                # "tàu ngầm Hải Phòng"); a country is not ("tàu Nga": a Russian ship)
                if ships.is_ship(doc, ent.start_char, ent.end_char) and not self._is_country(ent):
                    ship_end = ent.end_char
                    continue
                if ent.label_ == "PERSON" and ships.joined(doc, ship_end, ent.start_char):
                    ship_end = ent.end_char
                    continue
            if ent.label_ == "PERSON":
                person = self._person(ent)
                if person is not None:
                    ents.append(person)
                continue
            if ent.label_ == "ORG":
                org = self._link_organisation(ent)
                if org is not None:
                    ents.append(org)
                    continue
            if ent.label_ in ("GPE", "LOC", "ORG"):
                ent = self._link_place(ent)
            ents.append(ent)
        doc.ents = ents
        note_coverage(doc, self.name)
        return doc


@Language.factory(
    PEOPLE_COMPONENT,
    default_config={"people_path": "", "countries_path": ""},
)
def make_people_linker(
    nlp: Language, name: str, people_path: str, countries_path: str
) -> PeopleLinker:
    return PeopleLinker(nlp, name, people_path, countries_path)
