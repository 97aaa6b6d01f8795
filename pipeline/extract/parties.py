"""Supplier and recipient of arms transfers: which country gives a system, which receives it.

Each arms event (an order, delivery, sale or contract naming a weapons system) gets, per
system, a supplier and a recipient, each with the basis that states it:

1. **sentence** — a country of the event's sentence with a role the sentence gives it:
   - a *source* word before it ("from Russia", «из России», "من روسيا", "从俄罗斯", "từ Nga");
   - a *destination* word before it, or glued to it ("to India", "إلى الهند", "لمصر", "向印度");
   - the subject of a *supply* verb (delivered, sold, передала) makes it the supplier, of an
     *acquire* verb (received, ordered, bought, تسلمت) the recipient. The subject is the
     nearest country before the verb with no other country between (or, where the language
     puts the subject after the verb, right after it).
   Then, still in the sentence: the system's origin country, when named, supplies it; another
   country named there receives it.
2. **paragraph** and then **document** — the same roles read in the event's paragraph, then
   the country the document names most, for what the sentence leaves open.
3. **origin** — a supplier no text states is the system's country of origin (the
   catalogue's), marked as such: SIPRI's register records most transfers that way.

The Soviet Union and Russia are one party for this purpose (neither supplies the other).
The role words of each language are data: ``pipeline/lang/<code>/parties.yaml``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pipeline import lang as lang_registry
from pipeline.extensions import doc_text
from pipeline.extract.records import DocPart, DocumentExtraction
from pipeline.people.index import adjective_forms
from pipeline.people.normalise import parts_joined, token_key
from pipeline.people.places import country_code, lookup_place, place_info
from schemas.records import EventRecord, Party, PartyBasis

ARMS_EVENT_TYPES = frozenset({"arms_order", "arms_delivery"})
# events that are transfers only when they name a system ("a contract for 12 Su-30MK2")
ARMS_WHEN_ARMED = frozenset({"agreement_signed", "trade_or_investment"})

_SAME_STATE = {"SU": "RU"}

Role = Literal["supplier", "recipient"]


class PartyWords(BaseModel):
    """Words that give a country its part in a transfer, in one language.

    Entries are whole words; ``stem*`` matches any word starting with ``stem``. In a
    language written without spaces (Chinese) every entry matches as a substring.
    """

    model_config = ConfigDict(extra="forbid")

    source: list[str] = Field(default_factory=list, description="before the supplier")
    destination: list[str] = Field(default_factory=list, description="before the recipient")
    # before the other side of a deal ("a contract with Russia"): the supplier when the
    # sentence's verb acquires, the recipient when it supplies
    partner: list[str] = Field(default_factory=list)
    # letters glued to the front of a country name that make it the recipient (Arabic ل)
    destination_prefixes: list[str] = Field(default_factory=list)
    supplies: list[str] = Field(default_factory=list, description="verbs whose subject gives")
    # nouns of supply: a country right after one receives («поставки С-400 Индии»); they
    # have no subject
    supply_nouns: list[str] = Field(default_factory=list)
    acquires: list[str] = Field(default_factory=list, description="verbs whose subject gets")
    # the subject may follow its verb (Arabic: تسلمت مصر)
    subject_after_verb: bool = False
    # words allowed between a source/destination word and its country ("to the Philippines")
    max_gap_words: int = Field(1, ge=0)
    # words between a subject and its verb
    max_subject_words: int = Field(8, ge=0)
    # a country right after a supply verb is its recipient (Russian dative «поставит Индии»)
    object_after_supply: bool = False
    max_object_words: int = Field(3, ge=0)
    # words that make the verb passive right before it ("was supplied", "được giao"): its
    # subject receives what the verb supplies
    passive: list[str] = Field(default_factory=list)
    # clitics a verb may carry in front (Arabic و, ف: "and", "then")
    verb_prefixes: list[str] = Field(default_factory=list)


@dataclass(frozen=True)
class CountryMention:
    """A country named in the text (a GPE span or a demonym), in document offsets."""

    start: int
    end: int
    code: str
    adjective: bool = False  # a demonym: it may qualify a system, not stand as a subject


@dataclass(frozen=True)
class _Cues:
    words: PartyWords
    source: re.Pattern[str] | None
    destination: re.Pattern[str] | None
    partner: re.Pattern[str] | None
    supplies: re.Pattern[str] | None
    acquires: re.Pattern[str] | None
    joined: bool
    supply_words: re.Pattern[str] | None  # verbs and nouns of supply
    passive: re.Pattern[str] | None


def _pattern(
    entries: Iterable[str], joined: bool, prefixes: Sequence[str] = ()
) -> re.Pattern[str] | None:
    alternatives = []
    for entry in sorted(set(entries), key=len, reverse=True):
        stem = entry.removesuffix("*")
        body = re.escape(stem) + (r"[^\W_]*" if entry.endswith("*") and not joined else "")
        alternatives.append(body)
    if not alternatives:
        return None
    inner = "|".join(alternatives)
    if joined:
        return re.compile(inner, re.IGNORECASE)
    glued = "(?:" + "|".join(re.escape(p) for p in prefixes) + ")?" if prefixes else ""
    return re.compile(rf"(?<![^\W_]){glued}(?:{inner})(?![^\W_])", re.IGNORECASE)


@cache
def cues(lang: str) -> _Cues | None:
    """The language's party words (``lang/<code>/parties.yaml``); None when it has none."""
    if lang not in lang_registry.codes():
        return None
    data = lang_registry.get(lang).data("parties")
    if data is None:
        return None
    words = PartyWords.model_validate(data)
    joined = parts_joined(lang)
    return _Cues(
        words,
        _pattern(words.source, joined),
        _pattern(words.destination, joined),
        _pattern(words.partner, joined),
        _pattern(words.supplies, joined, words.verb_prefixes),
        _pattern(words.acquires, joined, words.verb_prefixes),
        joined,
        _pattern([*words.supplies, *words.supply_nouns], joined, words.verb_prefixes),
        _pattern(words.passive, joined),
    )


@cache
def _adjectives(lang: str) -> dict[str, str]:
    """The language's demonym keys → country codes, built once (each part asks)."""
    return adjective_forms(lang)


lang_registry.on_change(cues.cache_clear)
lang_registry.on_change(_adjectives.cache_clear)


def country_mentions(parts: Sequence[DocPart]) -> list[CountryMention]:
    """Every country the processed paragraphs name: GPE spans linked to a country code, and
    demonyms ("Russian", «российские», الروسية), which link but are never entities."""
    found: list[CountryMention] = []
    for part in parts:
        taken: set[int] = set()
        for ent in part.ents:
            if ent.label_ != "GPE":
                continue
            code = _country_of(ent.text, ent._.canonical, part.language)
            if code:
                found.append(
                    CountryMention(part.offset + ent.start_char, part.offset + ent.end_char, code)
                )
                taken.update(range(ent.start, ent.end))
        adjectives = _adjectives(part.language)
        if not adjectives:
            continue
        for token in part.doc:
            code = adjectives.get(token_key(token.text))
            if code and token.i not in taken:
                start = part.offset + token.idx
                found.append(CountryMention(start, start + len(token.text), code, True))
    return sorted(found, key=lambda m: m.start)


def _country_of(text: str, canonical: object, lang: str) -> str | None:
    """The ISO code of a GPE span: its link; else its name less a lower-case article ("the
    United States"); else the country of a known city, a capital standing for its state
    ("Washington agreed to transfer", «Ханой заказал»)."""
    if isinstance(canonical, str) and re.fullmatch("[A-Z]{2}", canonical):
        return canonical
    first, _, rest = text.partition(" ")
    if rest and first.islower() and (code := country_code(rest, lang)):
        return code
    value = lookup_place(text, lang)
    if value is not None and value.startswith("place:"):
        place = place_info(value)
        return place.code if place.label == "GPE" else None
    return None


def _words_between(text: str, joined: bool, commas: bool = False) -> int:
    """How many words ``text`` holds; -1 when a clause mark separates (a stop, a colon, a
    semicolon; a comma too unless ``commas``)."""
    marks = r"[;:.!?؛。；：！？]" if commas else r"[,;:.!?،؛。，；：！？]"
    if re.search(marks, text):
        return -1
    return len(text.strip()) if joined else len(text.split())


def _preceded_by(
    text: str, start: int, pattern: re.Pattern[str] | None, gap: int, joined: bool
) -> str | None:
    """The cue word ending at most ``gap`` words before ``start``, if any."""
    if pattern is None:
        return None
    window = text[max(0, start - 60) : start]
    best = None
    for match in pattern.finditer(window):
        if 0 <= _words_between(window[match.end() :], joined) <= gap:
            best = match.group(0)
    return best


def _glued_prefix(text: str, start: int, prefixes: Sequence[str]) -> str | None:
    """A destination prefix glued to the word the country name starts in (لمصر)."""
    word_start = start
    while word_start > 0 and text[word_start - 1].isalpha():
        word_start -= 1
    glued = text[word_start:start]
    return glued if glued and glued in prefixes else None


def _verb_role(
    text: str,
    span: tuple[int, int],
    others: Sequence[tuple[int, int]],
    c: _Cues,
    adjective: bool = False,
) -> tuple[Role, str] | None:
    """The role a supply/acquire verb gives the country at ``span`` as its subject.

    Before a passive verb the subject is the other side ("Egypt was sold"); a demonym
    there qualifies the system, not the subject ("Russian S-400 were delivered"): no role.
    """
    start, end = span
    found: list[tuple[int, Role, str]] = []
    verbs: tuple[tuple[Role, re.Pattern[str] | None], ...] = (
        ("supplier", c.supplies),
        ("recipient", c.acquires),
    )
    for role, pattern in verbs:
        if pattern is None:
            continue
        match = pattern.search(text, end)
        if match is not None and not any(end <= o[0] < match.start() for o in others):
            # "Slovakia confirmed, that it handed over": a comma may stand between
            words = _words_between(text[end : match.start()], c.joined, commas=True)
            if 0 <= words <= c.words.max_subject_words:
                cue = match.group(0)
                if not _preceded_by(text, match.start(), c.passive, 0, c.joined):
                    found.append((words, role, cue))
                elif not adjective:
                    found.append((words, "recipient" if role == "supplier" else "supplier", cue))
        if c.words.subject_after_verb:
            before = [
                m
                for m in pattern.finditer(text, 0, start)
                if 0 <= _words_between(text[m.end() : start], c.joined) <= 1
                and not any(m.end() <= o[0] < start for o in others)
            ]
            if before:
                found.append((-1, role, before[-1].group(0)))
    if not found:
        return None
    _, role, cue = min(found, key=lambda f: f[0])
    return role, cue


def _object_role(text: str, start: int, c: _Cues) -> str | None:
    """A supply verb right before the country: its indirect object, the recipient
    («поставит Индии», "sold India")."""
    if not c.words.object_after_supply:
        return None
    return _preceded_by(text, start, c.supply_words, c.words.max_object_words, c.joined)


def _partner_role(text: str, c: _Cues) -> Role | None:
    """The other side of the sentence's first supply or acquire verb."""
    sides: tuple[tuple[Role, re.Pattern[str] | None], ...] = (
        ("recipient", c.supplies),
        ("supplier", c.acquires),
    )
    verbs: list[tuple[int, Role]] = [
        (m.start(), role)
        for role, pattern in sides
        if pattern is not None and (m := pattern.search(text)) is not None
    ]
    return min(verbs)[1] if verbs else None


def sentence_roles(
    text: str, offset: int, mentions: Sequence[CountryMention], lang: str
) -> list[tuple[CountryMention, Role, str]]:
    """(country, role, cue) for each country of ``text`` whose role the words state.

    ``offset`` is where ``text`` starts in the document; ``mentions`` are in document
    offsets and lie within ``text``. Source and destination words are read first; a
    country they place is no obstacle between another country and its verb ("India
    bought from Russia").
    """
    c = cues(lang)
    if c is None:
        return []
    gap = c.words.max_gap_words
    roles: dict[int, tuple[CountryMention, Role, str]] = {}
    local = [(m.start - offset, m.end - offset) for m in mentions]
    for i, (start, _) in enumerate(local):
        cue = _preceded_by(text, start, c.source, gap, c.joined)
        if cue:
            roles[i] = (mentions[i], "supplier", cue)
            continue
        cue = _preceded_by(text, start, c.destination, gap, c.joined) or _glued_prefix(
            text, start, c.words.destination_prefixes
        )
        if cue:
            roles[i] = (mentions[i], "recipient", cue)
            continue
        cue = _preceded_by(text, start, c.partner, gap, c.joined)
        role = _partner_role(text, c) if cue else None
        if cue and role:
            roles[i] = (mentions[i], role, cue)
    unplaced = [i for i in range(len(mentions)) if i not in roles]
    for i in unplaced:
        others = [local[j] for j in unplaced if j != i]
        found = _verb_role(text, local[i], others, c, mentions[i].adjective)
        if found:
            roles[i] = (mentions[i], found[0], found[1])
            continue
        cue = _object_role(text, local[i][0], c)
        if cue:
            roles[i] = (mentions[i], "recipient", cue)
    return [roles[i] for i in sorted(roles)]


def same_state(code: str) -> str:
    """The state a country code stands for in a transfer (the Soviet Union is Russia's)."""
    return _SAME_STATE.get(code, code)


@dataclass
class _Scope:
    """The countries of one stretch of text and the roles its words give them."""

    basis: PartyBasis
    mentions: list[CountryMention]
    roles: list[tuple[CountryMention, Role, str]]

    def stated(
        self, role: Role, not_state: str | None = None, prefer: str | None = None
    ) -> Party | None:
        """The first country the words give ``role`` (``prefer``'s state first: the
        system's origin among several suppliers), never of ``not_state``."""
        found = [
            Party(country=mention.code, basis=self.basis, cue=cue)
            for mention, given, cue in self.roles
            if given == role and (not_state is None or same_state(mention.code) != not_state)
        ]
        if prefer is not None:
            found.sort(key=lambda p: same_state(p.country) != same_state(prefer))
        return found[0] if found else None

    def named(self, code: str) -> bool:
        return any(same_state(m.code) == same_state(code) for m in self.mentions)

    def other(self, not_states: set[str]) -> Party | None:
        """The country named most here that is none of ``not_states``."""
        counts = Counter(m.code for m in self.mentions if same_state(m.code) not in not_states)
        if not counts:
            return None
        best = max(counts.items(), key=lambda kv: (kv[1], -self._first(kv[0])))[0]
        return Party(country=best, basis=self.basis)

    def _first(self, code: str) -> int:
        return next(m.start for m in self.mentions if m.code == code)


def _parties(scopes: Sequence[_Scope], origin: str | None) -> tuple[Party | None, Party | None]:
    """(supplier, recipient) of one system, reading the scopes from narrowest to widest."""
    supplier: Party | None = None
    recipient: Party | None = None
    for scope in scopes:
        if supplier is None:
            supplier = scope.stated("supplier", prefer=origin)
            # a document names many transfers: its stated supplier of another system is
            # no evidence against this one's origin
            if (
                supplier
                and origin
                and scope.basis == "document"
                and same_state(supplier.country) != same_state(origin)
            ):
                supplier = None
            if supplier is None and origin and scope.named(origin):
                supplier = Party(country=origin, basis=scope.basis)
        if recipient is None:
            gives = (
                same_state(supplier.country) if supplier else same_state(origin) if origin else None
            )
            recipient = scope.stated("recipient", not_state=gives)
        if recipient is None and supplier is not None:
            taken = {same_state(supplier.country)}
            taken |= {same_state(m.code) for m, role, _ in scope.roles if role == "supplier"}
            recipient = scope.other(taken)
        if supplier is not None and recipient is not None:
            break
    if supplier is None and origin:
        supplier = Party(country=origin, basis="origin")
    if recipient is None and supplier is not None:
        for scope in scopes:
            recipient = scope.other({same_state(supplier.country)})
            if recipient is not None:
                break
    return supplier, recipient


def is_arms_event(event: EventRecord) -> bool:
    """An order, delivery, or a contract or sale that names a weapons system."""
    return event.type in ARMS_EVENT_TYPES or (event.type in ARMS_WHEN_ARMED and bool(event.weapons))


def add_parties(result: DocumentExtraction, parts: Sequence[DocPart]) -> None:
    """Set supplier and recipient on every arms event of ``result`` (and on its systems)."""
    events = [e for e in result.events if is_arms_event(e)]
    if not events:
        return
    mentions = country_mentions(parts)
    origins = {w.id: w.origin for w in result.weapons}
    document = _Scope("document", mentions, _roles_in(parts, mentions))
    for event in events:
        part = _part_of(parts, event.evidence.start)
        lang = event.evidence.language
        start, end = event.evidence.start, event.evidence.end
        in_sentence = [m for m in mentions if start <= m.start and m.end <= end]
        sentence = _Scope(
            "sentence",
            in_sentence,
            sentence_roles(event.evidence.sentence, start, in_sentence, lang),
        )
        scopes = [sentence]
        if part is not None:
            p_start, p_end = part.offset, part.offset + len(doc_text(part.doc))
            in_para = [m for m in mentions if p_start <= m.start and m.end <= p_end]
            p_roles = [r for r in document.roles if p_start <= r[0].start < p_end]
            scopes.append(_Scope("paragraph", in_para, p_roles))
        scopes.append(document)
        _assign(event, scopes, origins)
    _mark_mentions(result, events)


def _assign(event: EventRecord, scopes: Sequence[_Scope], origins: dict[str, str | None]) -> None:
    weapons = []
    for weapon in event.weapons:
        supplier, recipient = _parties(scopes, origins.get(weapon.id))
        weapons.append(weapon.model_copy(update={"supplier": supplier, "recipient": recipient}))
    event.weapons = weapons
    if weapons:
        event.supplier, event.recipient = weapons[0].supplier, weapons[0].recipient
    else:
        event.supplier, event.recipient = _parties(scopes, None)


def _mark_mentions(result: DocumentExtraction, events: Sequence[EventRecord]) -> None:
    """Each weapons mention inside an arms event's sentence carries that system's parties."""
    for mention in result.weapons:
        at = mention.mention
        for event in events:
            if not event.evidence.start <= at.start < event.evidence.end:
                continue
            weapon = next((w for w in event.weapons if w.id == mention.id), None)
            if weapon is not None:
                at.supplier, at.recipient = weapon.supplier, weapon.recipient
                break


def _part_of(parts: Sequence[DocPart], offset: int) -> DocPart | None:
    for part in parts:
        if part.offset <= offset < part.offset + len(doc_text(part.doc)):
            return part
    return None


def _roles_in(
    parts: Sequence[DocPart], mentions: Sequence[CountryMention]
) -> list[tuple[CountryMention, Role, str]]:
    """Roles stated anywhere in the document, sentence by sentence."""
    from pipeline.extract import sentences  # the extractor's own sentence split

    roles: list[tuple[CountryMention, Role, str]] = []
    for part in parts:
        for sent in sentences(part.doc):
            start = part.offset + sent.start_char
            end = part.offset + sent.end_char
            inside = [m for m in mentions if start <= m.start and m.end <= end]
            if inside:
                roles += sentence_roles(part.text_of(sent), start, inside, part.language)
    return roles
