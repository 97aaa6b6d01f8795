"""Named warships: a WEAPON record of the ship, linked to its class where the catalogue
lists the ship (pipeline/data/catalogue/*.yaml `ships:`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import ConfigError
from pipeline.nlp import blank
from pipeline.weapons import COMPONENT_NAME, find_mentions, load_catalogue, load_weapons, resolve


def ships(text: str) -> list[tuple[str, str, str | None, bool]]:
    """(text, record id, family, known) of every mention."""
    out = []
    for mention in find_mentions(text):
        ref = resolve(mention.key)
        out.append((mention.text, ref.id, ref.family, ref.known))
    return out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "The destroyer USS Hopper (DDG 70) sailed.",
            [("USS Hopper (DDG 70)", "weapon:uss-hopper", "Arleigh Burke class", True)],
        ),
        (
            "DDG 70 left Pearl Harbor.",
            [("DDG 70", "weapon:uss-hopper", "Arleigh Burke class", True)],
        ),
        (
            "USS Dwight D. Eisenhower and HMS Prince of Wales exercised.",
            [
                (
                    "USS Dwight D. Eisenhower",
                    "weapon:uss-dwight-d-eisenhower",
                    "Nimitz class",
                    True,
                ),
                (
                    "HMS Prince of Wales",
                    "weapon:hms-prince-of-wales",
                    "Queen Elizabeth class",
                    True,
                ),
            ],
        ),
        # a ship the data does not list is still a ship, of the navy its prefix names
        ("HMS Ocean docked.", [("HMS Ocean", "weapon:hms-ocean", None, False)]),
        # a catalogue entry that is itself a ship stays that entry
        (
            "FS Charles de Gaulle sailed.",
            [("FS Charles de Gaulle", "weapon:charles-de-gaulle", "Charles de Gaulle", True)],
        ),
        # hull numbers in Vietnamese texts, and a name with its hull number is one mention
        (
            "Cặp tàu đầu tiên, Đinh Tiên Hoàng (HQ-011) và Lý Thái Tổ, về nước.",
            [
                ("Đinh Tiên Hoàng (HQ-011)", "weapon:dinh-tien-hoang", "Gepard 3.9", True),
                ("Lý Thái Tổ", "weapon:ly-thai-to", "Gepard 3.9", True),
            ],
        ),
        # «…» after a ship word
        ("Крейсер «Москва» затонул.", [("Москва", "weapon:moskva", "Slava class", True)]),
        ("里根号航母进入南海。", [("里根号", "weapon:uss-ronald-reagan", "Nimitz class", True)]),
    ],
)
def test_named_ships(text: str, expected: list[tuple[str, str, str | None, bool]]) -> None:
    assert ships(text) == expected


def test_a_ship_record_has_its_class_category_and_the_navy_origin() -> None:
    listed = resolve("SHIP:USS Hopper")
    assert (listed.category, listed.origin, listed.match) == ("ship", "US", "exact")
    submarine = resolve("SHIP:Ha Noi")
    assert submarine.category == "submarine" and submarine.family == "Project 636.1"
    unlisted = resolve("SHIP:INS Foo")
    assert (unlisted.category, unlisted.origin, unlisted.known) == ("ship", "IN", False)


@pytest.mark.parametrize(
    "text",
    [
        # names that are places and people without a ship word are not ships
        "В Москве прошёл парад.",
        "Vua Đinh Tiên Hoàng lên ngôi năm 968.",
        "The Hanoi government said so.",
        # a prefix needs a capitalised name; one-letter pennant numbers alone are not ships
        "USS and HMS were mentioned; the D32 road and form F78.",
        "uss hopper in lower case.",
        "BRP SAYS NAVY ORDERS TWO FRIGATES",
    ],
)
def test_no_ship_where_a_reader_sees_none(text: str) -> None:
    assert ships(text) == []


def test_the_component_makes_the_ship_a_weapon_entity() -> None:
    nlp = blank("en")
    nlp.add_pipe(COMPONENT_NAME)
    doc = nlp("The Arleigh Burke-class destroyer USS Hopper arrived.")
    found = [(e.text, e._.canonical, e._.weapon["family"]) for e in doc.ents]
    assert found == [
        ("Arleigh Burke-class", "weapon:arleigh-burke-class", "Arleigh Burke class"),
        ("USS Hopper", "weapon:uss-hopper", "Arleigh Burke class"),
    ]


def test_every_ship_links_to_a_class_entry() -> None:
    data = load_weapons()
    ids = {e.id for e in data.weapons}
    assert len(data.ships) >= 40
    assert {s.class_id for s in data.ships} <= ids
    assert len({s.source for s in data.ships}) >= 5  # several navies' catalogue files


def test_a_ship_of_an_unknown_class_is_refused(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_text(
        "version: 1\n"
        "weapons:\n"
        "  - {id: weapon:x-1, name: X-1, family: X-1, category: ship, origin: US}\n"
        "ships:\n"
        "  - {name: USS Nowhere, class_id: weapon:no-such-class}\n",
        "utf-8",
    )
    with pytest.raises(ConfigError, match="USS Nowhere"):
        load_catalogue(tmp_path)


def test_a_hull_number_naming_two_ships_is_refused(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_text(
        "version: 1\n"
        "weapons:\n"
        "  - {id: weapon:x-1, name: X-1, family: X-1, category: ship, origin: US}\n"
        "ships:\n"
        "  - {name: USS One, hull: DDG-1, class_id: weapon:x-1}\n"
        "  - {name: USS Two, hull: DDG 1, class_id: weapon:x-1}\n",
        "utf-8",
    )
    with pytest.raises(ConfigError, match="DDG 1"):
        load_catalogue(tmp_path)
