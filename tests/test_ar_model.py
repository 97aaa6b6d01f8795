"""Arabic NER: the trained model, its training data converters and the given-name lexicon.

The converters are checked on small files written here in the corpora's formats; the
shipped model on own sentences whose people carry no title or cue word.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import spacy
from spacy.tokens import Doc

from pipeline import lang as registry
from pipeline import ner_model
from pipeline.nlp import blank, get_nlp
from pipeline.training import (
    desegment,
    read_wikifane,
    read_wojood_flat,
    training_spec,
)

MODEL = Path(str(registry.get("ar").folder)) / "model"


def people(doc: Doc) -> list[str]:
    return [e.text for e in doc.ents if e.label_ == "PERSON"]


# ------------------------------------------------------------------ training data

WIKIFANE = (
    "و\tO\tO\n"
    "قال\tO\tO\n"
    "كونستانتين\tB-PER\tB-Politician\n"
    "ماكيينكو\tI-PER\tI-Politician\n"
    "ان\tO\tO\n"
    "الروس\tB-PER\tB-Group\n"
    "زاروا\tO\tO\n"
    "عاصمة\tO\tO\n"
    "ها\tO\tO\n"
    "و\tO\tO\n"
    "مطار\tB-FAC\tB-Airport\n"
    "ها\tO\tO\n"
    "ل\tO\tO\n"
    "الحكومة\tB-ORG\tB-Government\n"
    "على\tO\tO\n"
    "ه\tO\tO\n"
    "و\tO\tO\n"
    "مصر\tB-GPE\tB-Nation\n"
    ".\tO\tO\n"
    "\n"
    "دبابة\tB-VEH\tB-Land\n"
    "تي-90\tI-VEH\tI-Land\n"
)


def test_wikifane_reader_maps_labels_and_drops_groups(tmp_path: Path) -> None:
    path = tmp_path / "train.tsv"
    path.write_text(WIKIFANE, "utf-8")
    sentences = list(read_wikifane(path, training_spec("ar").corpora["wikifane"]))
    assert len(sentences) == 2
    words, tags = sentences[0]
    assert tags[words.index("كونستانتين")] == "B-PERSON"
    assert tags[words.index("الروس")] == "O"  # PER Group: a nationality, not a person
    assert tags[words.index("مطار")] == "B-LOC"  # FAC → LOC
    assert sentences[1][1] == ["O", "O"]  # vehicles are not entities of ours


def test_split_clitics_are_glued_back(tmp_path: Path) -> None:
    path = tmp_path / "train.tsv"
    path.write_text(WIKIFANE, "utf-8")
    spec = training_spec("ar")
    words, tags = next(read_wikifane(path, spec.corpora["wikifane"]))
    glued, glued_tags = desegment(words, tags, spec.desegment)
    assert " ".join(glued) == (
        "وقال كونستانتين ماكيينكو ان الروس زاروا عاصمتها ومطارها للحكومة عليه ومصر ."
    )
    by_word = dict(zip(glued, glued_tags, strict=True))
    assert by_word["ومطارها"] == "B-LOC"
    assert by_word["للحكومة"] == "B-ORG"
    assert by_word["ومصر"] == "B-GPE"
    assert by_word["ماكيينكو"] == "I-PERSON"


def test_wojood_keeps_the_outermost_span_of_our_types(tmp_path: Path) -> None:
    path = tmp_path / "train.txt"
    path.write_text(
        "سكرتير B-OCC\nاللجنة I-OCC B-ORG\nالقومية I-OCC I-ORG\nفي I-OCC\n"
        "نابلس I-OCC B-GPE\n$#$ O\nمجلس B-ORG\nالأمن I-ORG B-ORG\n"
        "ضد I-ORG\nالأسد I-ORG B-PERS\n. O\n",
        "utf-8",
    )
    [(words, tags)] = read_wojood_flat(path, training_spec("ar").corpora["wojood"])
    assert words[0] == "سكرتير" and "$#$" not in words
    assert tags == [
        "O",
        "B-ORG",
        "I-ORG",
        "O",
        "B-GPE",
        "B-ORG",
        "I-ORG",
        "I-ORG",
        "I-ORG",
        "O",
    ]


# ------------------------------------------------------------------ the shipped model


def test_model_carries_its_sources_and_licence() -> None:
    meta = json.loads((MODEL / "meta.json").read_text("utf-8"))
    assert meta["license"].startswith("CC BY-SA")
    names = {s["name"] for s in meta["sources"]}
    assert any("WikiFANE" in n for n in names) and any("Wojood" in n for n in names)
    wikifane = next(s for s in meta["sources"] if "WikiFANE" in s["name"])
    assert "Alotaibi" in wikifane["author"] and "by-sa/3.0" in wikifane["license"]
    assert "Khalilia" in next(s["license"] for s in meta["sources"] if "Wojood" in s["name"])
    assert (MODEL / "README.md").is_file()
    assert set(meta["labels"]["ner"]) == {"PERSON", "ORG", "GPE", "LOC"}


def test_model_is_part_of_the_arabic_pipeline() -> None:
    assert ner_model.MODEL_COMPONENT in get_nlp("ar").pipe_names


def model_only() -> spacy.language.Language:
    nlp = blank("ar")
    nlp.add_pipe(ner_model.MODEL_COMPONENT)
    return nlp


# people without a title or cue word before them (the first two: nor a listed given name)
NO_CUE = [
    ("وكتب الروائي نجيب محفوظ ثلاثيته الشهيرة في القاهرة.", "نجيب محفوظ"),
    ("ولد طه حسين في مصر عام 1889.", "طه حسين"),
    ("أكدت ماريا فوروبييفا أن الصفقة ستوقع قريبا.", "ماريا فوروبييفا"),
    ("وقال كونستانتين ماكيينكو إن روسيا ستسلم الطائرات في موعدها.", "كونستانتين ماكيينكو"),
]


@pytest.mark.parametrize(("text", "name"), NO_CUE)
def test_people_without_a_cue_word_are_found(text: str, name: str) -> None:
    assert name in people(get_nlp("ar")(text))


def test_model_finds_names_the_rules_cannot() -> None:
    from pipeline.evaluate.ner import rules_pipeline

    text, name = NO_CUE[0]
    assert name not in people(rules_pipeline()(text))
    assert name in people(model_only()(text))


def test_model_reads_hamzated_text_in_its_comparison_form() -> None:
    """The model was trained on normalised alefs; real text keeps its hamzas and the
    entity is copied back onto the original tokens."""
    doc = model_only()("وصل أحمد أبو الغيط إلى أنقرة.")
    assert doc.text == "وصل أحمد أبو الغيط إلى أنقرة."
    assert people(doc) == ["أحمد أبو الغيط"]
    assert [e.text for e in doc.ents if e.label_ == "GPE"] == ["أنقرة"]


# ------------------------------------------------------------------ given names


def test_foreign_given_name_starts_a_name_without_a_title() -> None:
    """Rules alone (no model): a transliterated given name starts a person's name."""
    from pipeline.evaluate.ner import rules_pipeline

    doc = rules_pipeline()("قال كونستانتين ماكيينكو إن الوفد وصل إلى الرياض.")
    assert "كونستانتين ماكيينكو" in people(doc)


def test_clitic_is_split_off_a_given_name() -> None:
    from pipeline.evaluate.ner import rules_pipeline

    doc = rules_pipeline()("وصل الوفد ومايكل هاريسون إلى بغداد.")
    assert "مايكل هاريسون" in people(doc)


def test_regression_no_clitic_split_off_a_short_native_name() -> None:
    """كريم is "Karim", not ك + ريم; لدينا is "we have", not ل + دينا."""
    doc = get_nlp("ar")("قال كريم إن لدينا خطة.")
    assert "كريم" in [t.text for t in doc] and "لدينا" in [t.text for t in doc]


def test_regression_name_run_stops_at_preposition_with_article() -> None:
    """A given-name run ended on "للصحفيين بأن" (to the journalists that)."""
    doc = get_nlp("ar")("وصرح ديمتري بيسكوف للصحفيين بأن الكرملين لا يعلق على الصفقة.")
    assert "ديمتري بيسكوف" in people(doc)


def test_regression_two_known_people_are_not_one_model_span() -> None:
    """The model ran "أندريه بيلوسوف سيرغي شويغو" into one PERSON; reference data wins."""
    doc = get_nlp("ar")("وفي عام 2024 خلف أندريه بيلوسوف سيرغي شويغو في منصب وزير الدفاع.")
    assert {e._.canonical for e in doc.ents if e.label_ == "PERSON"} == {
        "person:andrei-belousov",
        "person:sergei-shoigu",
    }
