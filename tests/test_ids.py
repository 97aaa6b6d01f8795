"""Slugs and hash ids: the id conventions every record relies on."""

from __future__ import annotations

import hashlib

import pytest

from pipeline.ids import hash_id, slug


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Su-30MK2", "su-30mk2"),
        ("Project 636.1", "project-636-1"),
        ("Gepard 3.9", "gepard-3-9"),
        ("Bastion-P", "bastion-p"),
        ("P-800 Oniks", "p-800-oniks"),
        ("Vladimir Putin", "vladimir-putin"),
        ("  Nguyen -- Tan  Dung!! ", "nguyen-tan-dung"),
        ("snake_case_name", "snake-case-name"),
        # letters of other scripts are kept, not dropped
        ("Владимир Путин", "владимир-путин"),
        ("فلاديمير بوتين", "فلاديمير-بوتين"),
        ("", ""),
        ("---", ""),
    ],
)
def test_slug(text: str, expected: str) -> None:
    assert slug(text) == expected


def test_slug_is_normalised_so_equal_names_give_equal_slugs() -> None:
    composed = "Nguy\u1ec5n"  # ễ as one code point
    decomposed = "Nguye\u0302\u0303n"  # e + circumflex + tilde
    assert slug(composed) == slug(decomposed)


def test_hash_id_format_and_definition() -> None:
    value = hash_id("event", "document:abc", "10:42", "arms_order")
    expected = hashlib.sha256(b"document:abc\x1f10:42\x1farms_order").hexdigest()[:16]
    assert value == f"event:{expected}"


def test_hash_id_separates_parts() -> None:
    # the separator keeps ("ab", "c") and ("a", "bc") apart
    assert hash_id("x", "ab", "c") != hash_id("x", "a", "bc")
    assert hash_id("x", "a", "b") == hash_id("x", "a", "b")
    assert hash_id("x", "a") != hash_id("y", "a")
