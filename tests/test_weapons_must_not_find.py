"""Nothing a reader would not call a weapon becomes one: a must-not-find list of our own,
and ordinary sentences of every supported language from the language-ID test data."""

from __future__ import annotations

import pytest

from pipeline import lang as registry
from pipeline.evaluate import shared_dir
from pipeline.weapons import find_mentions

# Strings that look like designations and are not weapons (written for this test).
MUST_NOT_FIND = [
    "The COVID-19 pandemic delayed the G-20 summit in 2020.",
    "Leaders met at the G7 and the BRICS summit; the SCO-2024 forum followed.",
    "She bought an iPhone 15 and a Galaxy S23 before flight VN-123 to Hanoi.",
    "Take the M4 motorway, then Route 66; the A-level results come out in August.",
    "He wore a T-shirt with the number 7 and drove a Model S.",
    "Tài liệu A4 dài 20 trang, phòng số 305 ở tầng 3.",
    "Рейс SU-1234 задержан; поезд № 7 прибыл на платформу 3.",
    "Рейс PS-101 затримано; у кімнаті 12 стояли столи.",
    "وصلت الرحلة رقم 115 إلى مطار القاهرة عند الساعة 10.",
    "会议在A座305室举行，G20峰会于2016年在杭州召开。",
    "The Kilo of rice cost more, and the patriot act was debated.",
    "Parliament passed Bill C-32; take vitamin B-12 daily; the MH-17 inquiry reported.",
    "一直20年来，他运10箱货物，直到今天。",
    "Golf clubs were sold out; он пришёл в клуб с друзьями.",
]


@pytest.mark.parametrize("text", MUST_NOT_FIND)
def test_no_weapon_in_look_alikes(text: str) -> None:
    assert [m.text for m in find_mentions(text)] == []


LINGUA = shared_dir() / "eval" / "langid" / "lingua-testdata" / "sentences"


@pytest.mark.shared
@pytest.mark.skipif(not LINGUA.is_dir(), reason="../shared/eval/langid is not here")
@pytest.mark.parametrize("code", registry.codes())
def test_no_weapon_in_ordinary_sentences(code: str) -> None:
    path = LINGUA / f"{code}.txt"
    if not path.is_file():
        pytest.skip(f"no lingua sentences for {code}")
    lines = path.read_text("utf-8").splitlines()[:300]
    found = [(m.text, line) for line in lines for m in find_mentions(line)]
    assert found == []
