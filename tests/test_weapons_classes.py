"""Generic weapon classes: typed mentions in every language, carried by events, never
weapon records."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy

from pipeline import lang as lang_registry
from pipeline.config import ExtractOptions
from pipeline.errors import ConfigError
from pipeline.extract import extract_parts
from pipeline.extract.records import DocPart
from pipeline.nlp import blank
from pipeline.weapons import COMPONENT_NAME, find_weapon_classes, load_weapons
from schemas.records import Extractor


def classes(text: str, lang: str) -> list[tuple[str, str]]:
    return [(c.text, c.class_id) for c in find_weapon_classes(text, lang)]


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        (
            "en",
            "Militants fired mortars at the base before a VBIED exploded at the gate.",
            [("mortars", "mortar"), ("VBIED", "vbied")],
        ),
        (
            "en",
            "The group used MANPADS, chemical weapons and a vehicle-borne IED.",
            [
                ("MANPADS", "manpads"),
                ("chemical weapons", "chemical_weapon"),
                ("vehicle-borne IED", "vbied"),
            ],
        ),
        (
            "en",
            "Russia launched ballistic missiles, cruise missiles and kamikaze drones; rocket "
            "artillery and cluster munitions followed.",
            [
                ("ballistic missiles", "ballistic_missile"),
                ("cruise missiles", "cruise_missile"),
                ("kamikaze drones", "attack_drone"),
                ("rocket artillery", "rocket_artillery"),
                ("cluster munitions", "cluster_munition"),
            ],
        ),
        (
            "ru",
            "Армия применила баллистические ракеты, дроны-камикадзе, РСЗО и миномёты.",
            [
                ("баллистические ракеты", "ballistic_missile"),
                ("дроны-камикадзе", "attack_drone"),
                ("РСЗО", "rocket_artillery"),
                ("миномёты", "mortar"),
            ],
        ),
        (
            "uk",
            "Росія вдарила крилатими ракетами та ударними безпілотниками; є касетні боєприпаси.",
            [
                ("крилатими ракетами", "cruise_missile"),
                ("ударними безпілотниками", "attack_drone"),
                ("касетні боєприпаси", "cluster_munition"),
            ],
        ),
        (
            "ar",
            "انفجرت سيارة مفخخة وسقطت قذائف الهاون والصواريخ الباليستية.",
            [
                ("سيارة مفخخة", "vbied"),
                ("الهاون", "mortar"),
                ("والصواريخ الباليستية", "ballistic_missile"),
            ],
        ),
        (
            "ar",
            "استخدم الجيش الأسلحة الكيميائية والطائرات المسيرة الانتحارية.",
            [
                ("الأسلحة الكيميائية", "chemical_weapon"),
                ("والطائرات المسيرة الانتحارية", "attack_drone"),
            ],
        ),
        (
            "zh",
            "武装分子发射迫击炮和弹道导弹，并使用自杀式无人机和火箭炮。",
            [
                ("迫击炮", "mortar"),
                ("弹道导弹", "ballistic_missile"),
                ("自杀式无人机", "attack_drone"),
                ("火箭炮", "rocket_artillery"),
            ],
        ),
        (
            "vi",
            "Phiến quân dùng súng cối, tên lửa đạn đạo và máy bay không người lái cảm tử.",
            [
                ("súng cối", "mortar"),
                ("tên lửa đạn đạo", "ballistic_missile"),
                ("máy bay không người lái cảm tử", "attack_drone"),
            ],
        ),
    ],
)
def test_classes_in_every_language(lang: str, text: str, expected: list[tuple[str, str]]) -> None:
    assert classes(text, lang) == expected


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        # an air strike and a drone strike are events, not weapons
        ("en", "The air strike and a drone strike hit the depot."),
        ("ru", "Авиаудар нанесён по складу."),
        ("zh", "空袭击中了仓库，对地雷达未受损。"),
        # words that contain a class word
        ("en", "She tried on a mortarboard; the ballistics report was late."),
        ("en", "The committee tried the Ied family case."),
        ("vi", "Không kích đã phá hủy kho."),
    ],
)
def test_no_class_where_a_reader_sees_none(lang: str, text: str) -> None:
    assert classes(text, lang) == []


def test_every_language_names_every_class() -> None:
    data = load_weapons()
    for code in lang_registry.codes():
        part = data.languages.get(code)
        assert part is not None, code
        assert set(part.weapon_classes) == set(data.weapon_classes), code


TOY_SPEC = """
code: eo
name: Esperanto (toy)
scripts: [latin]
pipeline: {spacy_lang: xx}
coverage: {rules: [WEAPON]}
"""


def test_a_language_folder_brings_its_class_words(tmp_path: Path) -> None:
    folder = tmp_path / "eo"
    folder.mkdir()
    (folder / "language.yaml").write_text(TOY_SPEC.lstrip(), "utf-8")
    (folder / "weapons.yaml").write_text("weapon_classes:\n  mortar: ['morteroj?']\n", "utf-8")
    lang_registry.add_path(tmp_path)
    try:
        assert classes("Ili pafis morterojn kaj morteroj.", "eo") == [("morteroj", "mortar")]
    finally:
        lang_registry.remove_path(tmp_path)


def test_an_undeclared_class_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "eo"
    folder.mkdir()
    (folder / "language.yaml").write_text(TOY_SPEC.lstrip(), "utf-8")
    (folder / "weapons.yaml").write_text("weapon_classes:\n  railgun: ['railguns?']\n", "utf-8")
    lang_registry.add_path(tmp_path)
    try:
        with pytest.raises(ConfigError, match="railgun"):
            load_weapons()
    finally:
        lang_registry.remove_path(tmp_path)


def test_classes_are_not_weapon_records_and_events_carry_them() -> None:
    nlp = blank("en")
    nlp.add_pipe(COMPONENT_NAME)
    text = "Militants attacked the base with mortars and a VBIED on 12 May 2024."
    doc = nlp(text)
    assert [e for e in doc.ents if e.label_ == "WEAPON"] == []
    start = text.index("12 May 2024")
    span = doc.char_span(start, start + len("12 May 2024"), label="DATE")
    assert span is not None
    doc.ents = [span]
    doc.ents[0]._.date = {"value": "2024-05-12", "precision": "day", "anchored": False}
    result = extract_parts(
        "document:test",
        [DocPart(doc=doc, offset=0, language="en")],
        options=ExtractOptions(),
        extractor=Extractor(name="osintdesk", version="test"),
    )
    assert result.weapons == []
    assert [(c.class_id, c.mention.text) for c in result.weapon_classes] == [
        ("mortar", "mortars"),
        ("vbied", "VBIED"),
    ]
    [event] = result.events
    assert event.type == "incident"
    assert event.weapon_classes == ["mortar", "vbied"]


def test_blank_spacy_language_without_class_words_finds_none() -> None:
    nlp = spacy.blank("xx")
    nlp.add_pipe(COMPONENT_NAME)
    doc = nlp("mortars and a VBIED")
    assert doc._.weapon_classes == []
