"""Designations the catalogue need not list: the grammar reads them in every script."""

from __future__ import annotations

import pytest

from pipeline.weapons import find_mentions


@pytest.mark.parametrize(
    ("text", "key"),
    [
        # Latin letters spelled out in Arabic
        ("اشترت الجزائر مقاتلات سو-30 أم كي أي من روسيا", "SU-30MKI"),
        ("طائرات سو-30 م ك ك الصينية", "SU-30MKK"),
        ("تسلمت مقاتلات سو-30 إم كي أيه", "SU-30MKA"),
        ("حاملة الطائرات تشغل ميج-29 كيه", "MIG-29K"),
    ],
)
def test_arabic_letter_names(text: str, key: str) -> None:
    assert [m.key for m in find_mentions(text)] == [key]


@pytest.mark.parametrize(
    "text",
    [
        "وصلت طائرات سو-30 في عام 2015",  # في is "in", not V
        "مقاتلات سو-30 أي أنها روسية",  # أي is "that is"
    ],
)
def test_arabic_words_after_a_designation_are_no_suffix(text: str) -> None:
    assert [m.key for m in find_mentions(text)] == ["SU-30"]


@pytest.mark.parametrize(
    ("text", "keys"),
    [
        # Chinese designator characters, Simplified and Traditional
        ("巴基斯坦接收歼-10CE战机", ["J-10CE"]),
        ("殲-20和運-20", ["J-20", "Y-20"]),
        ("直-10ME武装直升机", ["Z-10ME"]),
        ("红旗-9B防空系统与东风-21D导弹", ["HQ-9B", "DF-21D"]),
        ("鹰击-12与霹雳-15", ["YJ-12", "PL-15"]),
        # Latin letter prefixes of Chinese, US and Korean designations
        ("Pakistan received J-10CE jets and JF-17 fighters", ["J-10CE", "JF-17"]),
        ("AH-64E helicopters, MQ-9B drones and KC-135R tankers", ["AH-64E", "MQ-9B", "KC-135R"]),
        ("Seoul sold FA-50 jets", ["FA-50"]),
        ("Egypt flies the Mirage 2000; ميراج 2000; 幻影2000", ["MIRAGE-2000"] * 3),
    ],
)
def test_designators_of_other_producers(text: str, keys: list[str]) -> None:
    assert [m.key for m in find_mentions(text)] == keys


def test_hull_numbers_are_not_air_defence_systems() -> None:
    # they are the ships (the catalogue's `ships:`), never HQ-x air defence systems
    keys = [m.key for m in find_mentions("the frigate HQ-011 and submarine HQ-183")]
    assert keys == ["SHIP:Dinh Tien Hoang", "SHIP:Ho Chi Minh City"]


def test_a_project_number_with_letters_is_not_read_as_a_year() -> None:
    keys = [m.key for m in find_mentions("中国海军052D型驱逐舰和054A型护卫舰")]
    assert len(keys) == 2
