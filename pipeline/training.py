"""Training data and packaging for a language's statistical NER model.

A language that ships a trained model has ``ner.cfg`` (the spaCy training config)
and ``ner_training.yaml`` (:class:`TrainingSpec`: label mappings per corpus, clitic
gluing, licence and sources) in its registry folder. :func:`build_corpora` turns the
corpora into spaCy DocBins, :func:`train` runs ``spacy train`` on them with the
config's fixed seed and :func:`package` copies the best model into the language
folder with its sources and licence in ``meta.json`` and a README.

Corpora are read by path and never copied into the repository:

- WikiFANE Gold TSV (``token<TAB>COARSE_IOB2<TAB>FINE_IOB2``, blank line between
  sentences), ANERcorp-style: clitics split off as tokens and alefs normalised;
- Wojood (``token TAG [TAG ...]``, nested IOB2; see :mod:`pipeline.evaluate.ner`).

Every word is put in the language's comparison form (``LanguageSpec.normalise``) at
training time, as the model component does at inference.
"""

from __future__ import annotations

import json
import logging
import random
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import spacy
from pydantic import BaseModel, ConfigDict, Field
from spacy.tokens import Doc, DocBin

from pipeline import lang as registry
from pipeline.errors import ConfigError
from pipeline.evaluate.ner import read_wojood, typed_spans
from pipeline.refdata import validate

log = logging.getLogger(__name__)

SPEC_NAME = "ner_training"
CONFIG_NAME = "ner.cfg"
MODEL_DIR = "model"


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Desegment(_Spec):
    """How split clitics are glued back onto their word."""

    prefixes: list[str] = Field(default_factory=list)
    suffixes: list[str] = Field(default_factory=list)
    article: str = ""
    article_drops_alef: list[str] = Field(default_factory=list)
    final_before_suffix: dict[str, str] = Field(default_factory=dict)
    keep_split_share: float = Field(0.0, ge=0.0, le=1.0)


class CorpusSpec(_Spec):
    labels: dict[str, str] = Field(description="Corpus type → our label.")
    drop_fine: list[str] = Field(default_factory=list)
    repeat: int = Field(1, ge=1)


class Source(_Spec):
    name: str
    author: str
    url: str
    license: str
    citation: str = ""
    changes: str = ""


class TrainingSpec(_Spec):
    model_name: str
    labels: list[str]
    desegment: Desegment = Desegment()
    corpora: dict[str, CorpusSpec]
    license: str
    sources: list[Source]


Example = tuple[list[str], list[str]]  # words, IOB2 tags with our labels


def training_spec(lang: str) -> TrainingSpec:
    spec = registry.get(lang)
    data = spec.data(SPEC_NAME)
    if data is None:
        raise ConfigError(f"language {lang}: no {SPEC_NAME}.yaml, so no NER model to train")
    return validate(TrainingSpec, data, f"{spec.folder}/{SPEC_NAME}.yaml")


def _corpus(spec: TrainingSpec, name: str) -> CorpusSpec:
    if name not in spec.corpora:
        raise ConfigError(f"{SPEC_NAME}.yaml: no corpus {name!r} ({sorted(spec.corpora)})")
    return spec.corpora[name]


def fix_iob(tags: list[str]) -> list[str]:
    """An I- tag that does not continue an entity of its label becomes B-."""
    out: list[str] = []
    prev = "O"
    for tag in tags:
        if tag.startswith("I-") and prev[2:] != tag[2:]:
            tag = "B-" + tag[2:]
        out.append(tag)
        prev = tag
    return out


def read_wikifane(path: Path, corpus: CorpusSpec) -> Iterator[Example]:
    """Sentences of a WikiFANE TSV with tags mapped to our labels."""
    words: list[str] = []
    tags: list[str] = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if not line.strip():
            if words:
                yield words, fix_iob(tags)
            words, tags = [], []
            continue
        parts = line.split("\t")
        if len(parts) != 3:
            raise ConfigError(f"{path}:{number}: expected token, coarse and fine tag")
        token, coarse, fine = parts
        words.append(token)
        label = corpus.labels.get(coarse[2:]) if coarse != "O" else None
        if label is None or fine[2:] in corpus.drop_fine:
            tags.append("O")
        else:
            tags.append(coarse[:2] + label)
    if words:
        yield words, fix_iob(tags)


def read_wojood_flat(path: Path, corpus: CorpusSpec) -> Iterator[Example]:
    """Wojood sentences, flat: the outermost span among the mapped types."""
    for sentence in read_wojood(path):
        spans = [
            (s, e, corpus.labels[k]) for s, e, k in typed_spans(sentence.tags) if k in corpus.labels
        ]
        kept: list[tuple[int, int, str]] = []
        for start, end, label in sorted(spans, key=lambda x: (x[0] - x[1], x[0])):
            if all(end <= s or e <= start for s, e, _ in kept):
                kept.append((start, end, label))
        tags = ["O"] * len(sentence.tokens)
        for start, end, label in kept:
            tags[start] = "B-" + label
            for i in range(start + 1, end):
                tags[i] = "I-" + label
        yield list(sentence.tokens), tags


def _is_word(token: str) -> bool:
    return any(c.isalpha() for c in token)


def desegment(words: list[str], tags: list[str], rules: Desegment) -> Example:
    """Glue split clitics back: "و تعتبر" → "وتعتبر", "عاصمة ها" → "عاصمتها".

    A glued token takes the tag of its word (the clitic's own tag is O in practice);
    an entity's first token stays B- even with a conjunction glued on, as in Wojood
    ("وروسيا" B-GPE).
    """
    out_words: list[str] = []
    out_tags: list[str] = []
    pending: list[str] = []  # prefix clitics waiting for their word
    for word, tag in zip(words, tags, strict=True):
        if word in rules.prefixes:
            pending.append(word)
            continue
        if pending:
            if not _is_word(word):
                for clitic in pending:  # a clitic before punctuation stays a token
                    out_words.append(clitic)
                    out_tags.append("O")
            else:
                stem = word
                if (
                    pending[-1] in rules.article_drops_alef
                    and rules.article
                    and stem.startswith(rules.article)
                ):
                    stem = stem[1:]
                word = "".join(pending) + stem
                if tag.startswith("I-") and out_tags and out_tags[-1] == "O":
                    tag = "B-" + tag[2:]
            pending = []
        if word in rules.suffixes and out_words and _is_word(out_words[-1]):
            previous = out_words[-1]
            last = previous[-1]
            out_words[-1] = previous[:-1] + rules.final_before_suffix.get(last, last) + word
            continue
        out_words.append(word)
        out_tags.append(tag)
    for clitic in pending:
        out_words.append(clitic)
        out_tags.append("O")
    return out_words, fix_iob(out_tags)


def make_doc(nlp: spacy.language.Language, lang: str, words: list[str], tags: list[str]) -> Doc:
    spec = registry.get(lang)
    normal = [spec.normalise(w) or w for w in words]
    return Doc(nlp.vocab, words=normal, ents=tags)


@dataclass
class CorpusFiles:
    train: Path
    dev: Path
    counts: dict[str, dict[str, int]]


def _count(examples: list[Example]) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for _, tags in examples:
        counts.update(t[2:] for t in tags if t.startswith("B-"))
    counts["sentences"] = len(examples)
    return dict(sorted(counts.items()))


def build_corpora(lang: str, wikifane: Path, wojood: Path, out: Path, seed: int = 0) -> CorpusFiles:
    """DocBins for training (WikiFANE train + Wojood train) and model selection
    (WikiFANE dev + Wojood val), both with clitics glued back. Wojood's test split is
    never read here."""
    spec = training_spec(lang)
    wf, wj = _corpus(spec, "wikifane"), _corpus(spec, "wojood")
    rules = spec.desegment
    rng = random.Random(seed)
    for path in (wikifane / "train.tsv", wikifane / "dev.tsv", wojood / "train.txt"):
        if not path.is_file():
            raise ConfigError(f"training data not found: {path}")
    train: list[Example] = []
    for words, tags in read_wikifane(wikifane / "train.tsv", wf):
        train.append(desegment(words, tags, rules))
        if rng.random() < rules.keep_split_share:
            train.append((words, tags))
    for example in read_wojood_flat(wojood / "train.txt", wj):
        train.extend([example] * wj.repeat)
    dev = [desegment(w, t, rules) for w, t in read_wikifane(wikifane / "dev.tsv", wf)]
    if (wojood / "val.txt").is_file():
        dev.extend(read_wojood_flat(wojood / "val.txt", wj))
    rng.shuffle(train)
    nlp = spacy.blank(registry.get(lang).pipeline.spacy_lang)
    out.mkdir(parents=True, exist_ok=True)
    files = {}
    for name, examples in (("train", train), ("dev", dev)):
        bin_ = DocBin(store_user_data=False)
        for words, tags in examples:
            bin_.add(make_doc(nlp, lang, words, tags))
        path = out / f"{name}.spacy"
        bin_.to_disk(path)
        files[name] = path
    counts = {"train": _count(train), "dev": _count(dev)}
    log.info("%s NER corpora: %s", lang, counts)
    return CorpusFiles(files["train"], files["dev"], counts)


def train(lang: str, corpora: CorpusFiles, out: Path) -> Path:
    """Run ``spacy train`` with the language's ``ner.cfg``; the best model's folder."""
    from spacy.cli.train import train as spacy_train

    config = registry.get(lang).folder / CONFIG_NAME  # type: ignore[operator]
    if not config.is_file():
        raise ConfigError(f"language {lang}: no {CONFIG_NAME}")
    overrides = {"paths.train": str(corpora.train), "paths.dev": str(corpora.dev)}
    spacy_train(config, out, overrides=overrides)
    return out / "model-best"


def package(lang: str, trained: Path, counts: dict[str, dict[str, int]]) -> Path:
    """Copy the trained model into the language folder with its sources and licence."""
    spec = training_spec(lang)
    folder = registry.get(lang).folder
    assert folder is not None
    nlp = spacy.load(trained)
    meta = dict(nlp.meta)
    meta.update(
        {
            "name": spec.model_name.removeprefix(f"{lang}_"),
            "lang": lang,
            "license": spec.license,
            "sources": [s.model_dump(exclude_defaults=True) for s in spec.sources],
            "description": (
                f"osintdesk {lang} NER (tok2vec + ner: {', '.join(spec.labels)}), trained by "
                f"`make train-{lang}-ner`; input words in the language's comparison form."
            ),
            "training_data": counts,
        }
    )
    nlp.meta = meta
    target = folder / MODEL_DIR
    staging = folder / f".{MODEL_DIR}.new"
    if staging.exists():
        shutil.rmtree(staging)
    nlp.to_disk(staging)
    # the string store holds every training word (megabytes); the model hashes words
    # itself and needs only its labels' strings
    labels = sorted(set(getattr(nlp.get_pipe("ner"), "labels", ())))
    (staging / "vocab" / "strings.json").write_text(json.dumps(labels), "utf-8")
    readme = target / "README.md"
    if readme.is_file():
        shutil.copy(readme, staging / "README.md")
    (staging / "meta.json").write_text(
        json.dumps(meta, ensure_ascii=False, indent=2, sort_keys=True) + "\n", "utf-8"
    )
    if target.exists():
        shutil.rmtree(target)
    staging.rename(target)
    return target
