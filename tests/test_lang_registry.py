"""The language registry: specs load, nothing else lists the languages, and a language
added as a folder alone is used by every stage."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline import lang as registry
from pipeline.config import ExtractOptions, LanguageOptions, load_options
from pipeline.errors import ConfigError
from pipeline.extract import extract_document
from pipeline.nlp import coverage, get_nlp
from schemas.records import Extractor, Paragraph

ROOT = Path(__file__).resolve().parent.parent


def test_every_folder_is_a_valid_language() -> None:
    assert {"ar", "en", "ru", "uk", "vi", "zh"} <= set(registry.codes())
    for code in registry.codes():
        spec = registry.get(code)
        assert spec.code == code
        assert spec.coverage.rules, f"{code}: the coverage statement says nothing"
        for name in ("dates", "numbers", "triggers", "names"):
            assert spec.data(name) is not None, f"{code}: no {name}.yaml"


def test_directions_and_unknown_codes() -> None:
    assert registry.is_rtl("ar")
    assert not registry.is_rtl("uk")
    assert registry.find("zh-Hant") == registry.get("zh")
    assert registry.find("fr") is None
    with pytest.raises(ConfigError, match="not in the registry"):
        registry.get("fr")


def test_one_arabic_table_for_every_stage() -> None:
    from pipeline.people import normalize_text
    from pipeline.quantities import normalise_word

    written = "أَحْمَد مصطفى فاطمة"
    assert registry.get("ar").normalise(written) == "احمد مصطفي فاطمه"
    assert normalize_text(written) == "احمد مصطفي فاطمه"
    assert normalise_word("اثنتى") == normalise_word("اثنتي")


def test_no_module_lists_the_supported_languages() -> None:
    """The codes are the registry's folders; a tuple or list of three or more of them
    written in code would be a second list to keep in step."""
    codes = "|".join(registry.codes())
    listing = re.compile(rf'["\'](?:{codes})["\'](?:\s*,\s*["\'](?:{codes})["\']){{2,}}')
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for folder in ("pipeline", "flows", "schemas")
        for path in sorted((ROOT / folder).rglob("*.py"))
        for n, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if listing.search(line)
    ]
    assert offenders == []


# A toy language, Esperanto, written for this test only: a folder of YAML files.
TOY = {
    "language.yaml": """
code: eo
name: Esperanto (toy)
scripts: [latin]
pipeline:
  spacy_lang: xx
  components:
    - {factory: osintdesk_rule_ner, config: {titles: true}}
coverage:
  rules: [PERSON after titles, WEAPON, DATE, quantities, event triggers]
""",
    "dates.yaml": r"""
left: '(?<!\w)'
right: '(?!\w)'
months: {1: [januaro], 2: [februaro], 3: [marto], 4: [aprilo], 5: [majo], 6: [junio],
         7: [julio], 8: [aŭgusto], 9: [septembro], 10: [oktobro], 11: [novembro],
         12: [decembro]}
seasons: {1: [printempo], 2: [somero], 3: [aŭtuno], 4: [vintro]}
weekdays: {0: [lundo], 1: [mardo], 2: [merkredo], 3: [ĵaŭdo], 4: [vendredo], 5: [sabato],
           6: [dimanĉo]}
relmods: {pasinta: -1}
relative: {hieraŭ: [day, -1], pasintan jaron: [year, -1]}
units: {jaro: [year, 1], jaroj: [year, 1]}
numbers: {}
ordinals: {}
decade_words: {}
century_rel: {}
mods: []
present: [nun]
vague: []
year_before_blockers: []
year_after_blockers: []
fillers: [en, la]
range_prefix: [de]
range_infix: [ĝis]
range_and: [kaj]
and_prefix: [inter]
patterns:
  - re: '{L}(?:la\s+)?{DAY}-?an?\s+de\s+{MONTH}\s+{YEAR}{R}'
  - re: '{L}{MONTH}\s+{YEAR}{R}'
  - re: '{L}{YEAR}{R}'
    weak: true
  - re: '{L}{REL}{R}'
""",
    "numbers.yaml": """
units: {unu: 1, du: 2, tri: 3, kvar: 4, kvin: 5, ses: 6, sep: 7, ok: 8, naŭ: 9, dek: 10}
tens: {dudek: 20, tridek: 30}
joiners: []
phrases: {}
barriers: [kaj, en, de, al]
not_before: [jaro]
""",
    "triggers.yaml": """
match: word
clause_words: [kaj, sed]
types:
  arms_delivery: {"liver*": 0.9, "ricev*": 0.8}
  diplomatic_visit: {"vizit*": 0.9}
""",
    "names.yaml": """
titles: [Prezidanto, prezidanto, ministro]
max_name_tokens: 3
""",
}


@pytest.fixture
def toy_language(tmp_path: Path) -> Iterator[str]:
    folder = tmp_path / "eo"
    folder.mkdir()
    for name, text in TOY.items():
        (folder / name).write_text(text.lstrip(), "utf-8")
    registry.add_path(tmp_path)
    try:
        yield "eo"
    finally:
        registry.remove_path(tmp_path)


def test_a_language_added_as_a_folder_is_used_everywhere(toy_language: str) -> None:
    assert toy_language in registry.codes()
    assert toy_language in ExtractOptions().languages
    assert toy_language in LanguageOptions().preferred
    assert toy_language in load_options().extract.languages
    assert "osintdesk_rule_ner" in coverage(toy_language)

    text = (
        "Prezidanto Lazaro Zamenhof vizitis Varsovion la 15-an de decembro 2014. "
        "Vjetnamio ricevis ses Su-30MK2 en julio 2015."
    )
    extraction = extract_document(
        "document:toy",
        text,
        [Paragraph(text=text, start=0, end=len(text), language=toy_language)],
        published=dt.date(2015, 8, 1),
        options=ExtractOptions(),
        extractor=Extractor(version="test"),
    )
    assert extraction.coverage[toy_language]
    assert [p.mention.text for p in extraction.people] == ["Lazaro Zamenhof"]
    weapons = [(w.mention.text, w.mention.quantity) for w in extraction.weapons]
    assert weapons == [("Su-30MK2", 6)]
    events = sorted((e.type, e.date.value if e.date else None) for e in extraction.events)
    assert events == [("arms_delivery", "2015-07"), ("diplomatic_visit", "2014-12-15")]


def test_removing_the_folder_forgets_the_language(tmp_path: Path) -> None:
    folder = tmp_path / "eo"
    folder.mkdir()
    for name, text in TOY.items():
        (folder / name).write_text(text.lstrip(), "utf-8")
    registry.add_path(tmp_path)
    get_nlp("eo")
    registry.remove_path(tmp_path)
    assert "eo" not in registry.codes()
    assert get_nlp("eo").pipe_names == ["sentencizer"]


def test_a_bad_language_file_is_one_line_naming_it(tmp_path: Path) -> None:
    folder = tmp_path / "eo"
    folder.mkdir()
    (folder / "language.yaml").write_text("code: eo\nname: x\nscripts: []\n", "utf-8")
    registry.add_path(tmp_path)
    try:
        with pytest.raises(ConfigError, match=r"eo/language.yaml: .*scripts") as info:
            registry.get("eo")
        assert "\n" not in str(info.value)
    finally:
        registry.remove_path(tmp_path)
