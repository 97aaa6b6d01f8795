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
