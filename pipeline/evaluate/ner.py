"""Arabic NER against the public Wojood sample (``eval/ner/ar_wojood_sample``).

The file is one token per line, ``token TAG [TAG ...]``, where several IOB2
tags on a token are nested entities; a blank line ends a sentence and the
token ``$#$`` is a segment marker (dropped). Each sentence is rebuilt by
joining its tokens with single spaces, keeping every token's offsets, and is
run through our Arabic pipeline. A predicted span is mapped to the gold tokens
it touches (gold tokens carry clitics, e.g. للمغرب, that our tokenizer may
split off), then scored by exact token span per class:

====  ===========================  ===================
ours  Wojood                       notes
====  ===========================  ===================
PERS  PERS                         our PERSON
ORG   ORG                          our ORG
GPE   GPE, LOC, FAC                our GPE or LOC
DATE  DATE                         our DATE
====  ===========================  ===================

Gold spans at every nesting level count. The baseline in the same run is
the gazetteer alone (known people, countries, places; no titles, no
tokenizer fixes), so the table shows what the rules add.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from pipeline import ner_model, ner_rules, people
from pipeline.evaluate import Report, eval_path, shared_dir
from pipeline.nlp import get_nlp

CLASSES: dict[str, tuple[set[str], set[str]]] = {
    # class: (Wojood types, our labels)
    "PERS": ({"PERS"}, {"PERSON"}),
    "ORG": ({"ORG"}, {"ORG"}),
    "GPE/LOC": ({"GPE", "LOC", "FAC"}, {"GPE", "LOC"}),
    "DATE": ({"DATE"}, {"DATE"}),
}
SEGMENT_MARKER = "$#$"

Span3 = tuple[int, int, str]  # first token, end token (exclusive), class


@dataclass
class Sentence:
    tokens: list[str]
    tags: list[list[str]]
    gold: set[Span3] = field(default_factory=set)

    @property
    def text(self) -> str:
        return " ".join(self.tokens)

    def offsets(self) -> list[tuple[int, int]]:
        out: list[tuple[int, int]] = []
        pos = 0
        for token in self.tokens:
            out.append((pos, pos + len(token)))
            pos += len(token) + 1
        return out


def _class_of(wojood_type: str) -> str | None:
    return next((name for name, (types, _) in CLASSES.items() if wojood_type in types), None)


def _gold_spans(tags: list[list[str]]) -> set[Span3]:
    """Scored spans of every nesting level (Wojood types mapped to our classes)."""
    return {
        (start, end, cls)
        for start, end, kind in typed_spans(tags)
        if (cls := _class_of(kind)) is not None
    }


def typed_spans(tags: list[list[str]]) -> set[Span3]:
    """Spans of every nesting level with their Wojood type; the n-th tag of a type on a
    token is level n."""
    spans: set[Span3] = set()
    open_at: dict[tuple[str, int], int] = {}  # (type, level) -> start token

    def close(kind: str, from_level: int, end: int) -> None:
        for (k, level), start in list(open_at.items()):
            if k == kind and level >= from_level:
                spans.add((start, end, kind))
                del open_at[(k, level)]

    for i, token_tags in enumerate(tags):
        per_type: dict[str, list[str]] = {}
        for tag in token_tags:
            if tag == "O" or "-" not in tag:
                continue
            prefix, kind = tag.split("-", 1)
            per_type.setdefault(kind, []).append(prefix)
        for kind in {k for k, _ in open_at} - set(per_type):
            close(kind, 0, i)
        for kind, prefixes in per_type.items():
            close(kind, len(prefixes), i)
            for level, prefix in enumerate(prefixes):
                if prefix == "B" or (kind, level) not in open_at:
                    close(kind, level, i)
                    open_at[(kind, level)] = i
    for kind in {k for k, _ in open_at}:
        close(kind, 0, len(tags))
    return spans


def read_wojood(path: Path) -> list[Sentence]:
    """Sentences of a Wojood file (segment markers dropped, empty sentences skipped)."""
    sentences: list[Sentence] = []
    tokens: list[str] = []
    tags: list[list[str]] = []

    def flush() -> None:
        if tokens:
            sentences.append(Sentence(list(tokens), [list(t) for t in tags], _gold_spans(tags)))
        tokens.clear()
        tags.clear()

    for line in path.read_text("utf-8").splitlines():
        parts = line.split()
        if not parts:
            flush()
            continue
        if parts[0] == SEGMENT_MARKER:
            continue
        tokens.append(parts[0])
        tags.append(parts[1:] or ["O"])
    flush()
    return sentences


def predicted_spans(sentence: Sentence, doc: Doc) -> set[Span3]:
    """Our entities as gold-token spans (a span covers every gold token it touches)."""
    offsets = sentence.offsets()
    out: set[Span3] = set()
    for ent in doc.ents:
        cls = next((name for name, (_, ours) in CLASSES.items() if ent.label_ in ours), None)
        if cls is None:
            continue
        touched = [i for i, (s, e) in enumerate(offsets) if s < ent.end_char and ent.start_char < e]
        if touched:
            out.add((touched[0], touched[-1] + 1, cls))
    return out


def gazetteer_pipeline() -> Language:
    """Baseline: known people and places only (no titles, no Arabic tokenizer fixes)."""
    nlp = spacy.blank("ar")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe(ner_rules.RULE_COMPONENT, config={"titles": False})
    nlp.add_pipe(people.PEOPLE_COMPONENT)
    return nlp


def _scores(gold: list[set[Span3]], pred: list[set[Span3]], cls: str) -> dict[str, object]:
    """Counts and rates for one class over all sentences (spans keyed by sentence)."""
    g = {(i, *s) for i, spans in enumerate(gold) for s in spans if s[2] == cls}
    p = {(i, *s) for i, spans in enumerate(pred) for s in spans if s[2] == cls}
    tp = len(g & p)
    precision = tp / len(p) if p else 0.0
    recall = tp / len(g) if g else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    overlap = sum(1 for a in p if any(a[0] == b[0] and a[1] < b[2] and b[1] < a[2] for b in g))
    return {
        "gold": len(g),
        "predicted": len(p),
        "correct": tp,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "overlap_precision": overlap / len(p) if p else 0.0,
    }


def rules_pipeline() -> Language:
    """The Arabic pipeline without its trained model: the rules and reference data alone
    (osintdesk's Arabic NER before the model)."""
    from pipeline.nlp import build_nlp

    nlp = build_nlp("ar")
    if ner_model.MODEL_COMPONENT in nlp.pipe_names:
        nlp.remove_pipe(ner_model.MODEL_COMPONENT)
    return nlp


def default_systems() -> dict[str, Callable[[], Language]]:
    return {
        "gazetteer only (baseline)": gazetteer_pipeline,
        "ar rules only (before the model)": rules_pipeline,
        "ar pipeline": lambda: get_nlp("ar"),
    }


def score(
    title: str,
    sentences: list[Sentence],
    systems: dict[str, Callable[[], Language]],
    classes: list[str] | None = None,
) -> Report:
    """One table: P/R/F1 per system and class over ``sentences``."""
    report = Report(
        title=title,
        columns=[
            "system",
            "class",
            "gold",
            "predicted",
            "correct",
            "precision",
            "recall",
            "f1",
            "overlap_precision",
        ],
    )
    gold = [s.gold for s in sentences]
    for system, build in systems.items():
        nlp = build()
        docs = nlp.pipe(s.text for s in sentences)
        pred = [predicted_spans(s, d) for s, d in zip(sentences, docs, strict=True)]
        for cls in classes or list(CLASSES):
            row = _scores(gold, pred, cls)
            report.rows.append({"system": system, "class": cls, **row})
    return report


# our training labels → the Wojood types the scorer maps to classes
_FROM_OURS = {"PERSON": "PERS", "ORG": "ORG", "GPE": "GPE", "LOC": "LOC"}


def read_wikifane_dev(path: Path, glued: bool) -> list[Sentence]:
    """WikiFANE dev sentences scored like Wojood (PER Group, VEH, WEA, PRO are not
    entities; GPE, LOC and FAC are GPE/LOC); ``glued``: split clitics glued back."""
    from pipeline.training import desegment, read_wikifane, training_spec

    spec = training_spec("ar")
    out: list[Sentence] = []
    for words, tags in read_wikifane(path, spec.corpora["wikifane"]):
        if glued:
            words, tags = desegment(words, tags, spec.desegment)
        nested = [[t[:2] + _FROM_OURS[t[2:]]] if t != "O" else ["O"] for t in tags]
        out.append(Sentence(words, nested, _gold_spans(nested)))
    return out


def evaluate(
    path: Path | None = None,
    systems: dict[str, Callable[[], Language]] | None = None,
) -> list[Report]:
    """Span-level P/R/F1 per class for our Arabic pipeline, without its model, and the
    gazetteer baseline: on the Wojood sample's test split and, when the training data is
    beside the checkout, on WikiFANE Gold's dev split (as given and with clitics glued)."""
    target = eval_path("ner", "ar_wojood_sample", "test.txt", path=path)
    sentences = read_wojood(target)
    systems = systems or default_systems()
    report = score(
        f"Arabic NER on Wojood sample ({target.name}, {len(sentences)} sentences)",
        sentences,
        systems,
    )
    report.notes = [
        "Exact match on gold token spans; a predicted span is widened to the gold tokens it "
        "touches (gold tokens keep clitics). Gold spans at every nesting level count; "
        "Wojood GPE+LOC+FAC are scored against our GPE+LOC.",
        "overlap_precision: share of predictions that overlap a gold span of the same class.",
        "Wojood tags some country names as ORG and includes dialect and archival captions; "
        "the Arabic model never saw test.txt (trained on WikiFANE train and Wojood train); "
        "DATE comes from the dates component.",
    ]
    reports = [report]
    dev = shared_dir() / "train" / "ar_wikifane_gold" / "dev.tsv"
    if path is None and dev.is_file():
        for glued, how in ((False, "as given: clitics split"), (True, "clitics glued back")):
            dev_sentences = read_wikifane_dev(dev, glued)
            dev_report = score(
                f"Arabic NER on WikiFANE Gold dev ({how}, {len(dev_sentences)} sentences)",
                dev_sentences,
                systems,
                ["PERS", "ORG", "GPE/LOC"],
            )
            dev_report.notes = [
                "WikiFANE dev = the last 10% of sentences, never trained on (used to pick "
                "the best checkpoint). Text is ANERcorp-style (alefs normalised); PER "
                "Group (nationalities), vehicles, weapons and products are not entities.",
            ]
            reports.append(dev_report)
    return reports
