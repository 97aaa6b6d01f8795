"""Decoding bytes to text: charset evidence, superset codecs, refusals, mojibake."""

from __future__ import annotations

import codecs

import pytest

from pipeline.decode import decode, looks_garbled
from pipeline.errors import DecodeError

# Own sentences about checkable facts; 朱镕基 (Zhu Rongji) has a character
# (镕) that is in GBK but not in GB2312.
ZH = (
    "越南于2009年向俄罗斯订购六艘636.1型常规潜艇，这些潜艇于2014年至2017年间全部交付越南海军。"
    "2024年6月，俄罗斯总统普京对越南进行国事访问。朱镕基曾任中国国务院总理。"
)
RU = (
    "В 2017 году Вьетнам заказал 64 танка Т-90С и Т-90СК, поставки которых завершились в 2019 году."
)
VI = "Việt Nam và Liên Xô thiết lập quan hệ ngoại giao ngày 30 tháng 1 năm 1950."
AR = "زار الرئيس الروسي فلاديمير بوتين هانوي يومي 19 و20 يونيو 2024."
EN = "Vietnam ordered six Project 636.1 submarines from Russia in 2009."


def test_gbk_page_without_declared_charset() -> None:
    text, encoding = decode(ZH.encode("gbk"), source="zh.txt")
    assert text == ZH
    assert encoding == "gb18030"


def test_gb2312_declaration_decoded_as_superset() -> None:
    page = '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
    page += f"</head><body><p>{ZH}</p></body></html>"
    text, encoding = decode(page.encode("gbk"), source="zh.html", is_html=True)
    assert ZH in text
    assert "朱镕基" in text
    assert encoding == "gb18030"


def test_meta_charset_cp1251() -> None:
    page = f'<html><head><meta charset="windows-1251"></head><body><p>{RU}</p></body></html>'
    text, encoding = decode(page.encode("cp1251"), source="ru.html", is_html=True)
    assert RU in text
    assert encoding == "cp1251"


def test_meta_ignored_for_plain_text() -> None:
    # a plain text that merely quotes a meta tag is not an HTML declaration
    body = f'<meta charset="koi8-r"> {RU}'
    text, encoding = decode(body.encode("utf-8"), source="ru.txt", is_html=False)
    assert RU in text
    assert encoding == "utf-8"


def test_http_header_charset_wins_over_meta() -> None:
    page = f'<html><head><meta charset="iso-8859-5"></head><body><p>{RU}</p></body></html>'
    text, encoding = decode(
        page.encode("cp1251"), source="ru.html", declared_charset="windows-1251", is_html=True
    )
    assert RU in text
    assert encoding == "cp1251"


def test_utf8_bytes_beat_a_wrong_legacy_declaration() -> None:
    page = f'<html><head><meta charset="iso-8859-1"></head><body><p>{VI}</p></body></html>'
    text, encoding = decode(page.encode("utf-8"), source="vi.html", is_html=True)
    assert VI in text
    assert encoding == "utf-8"
    assert not looks_garbled(text)


def test_short_cp1251_text_is_not_read_as_mac_cyrillic() -> None:
    text, encoding = decode(RU.encode("cp1251"), source="ru.txt")
    assert text == RU
    assert encoding == "cp1251"


@pytest.mark.parametrize(
    ("bom", "codec"),
    [
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ],
)
def test_bom(bom: bytes, codec: str) -> None:
    text, encoding = decode(bom + AR.encode(codec), source="ar.txt", declared_charset="latin-1")
    assert text == AR
    assert encoding == codec
    assert not text.startswith("\ufeff")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG"),
        (b"PK\x03\x04\x14\x00\x06\x00", "ZIP"),
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00", "GZIP"),
        # more NULs than a stray one or two (those are dropped: tests/test_bad_files.py)
        (b"some text\x00with NUL bytes\x00" * 50, "NUL"),
        (bytes(range(1, 32)) * 20, "control"),
    ],
)
def test_binary_refused(data: bytes, reason: str) -> None:
    with pytest.raises(DecodeError) as info:
        decode(data, source="https://example.org/report", declared_charset="utf-8")
    message = str(info.value)
    assert "binary" in message
    assert reason in message


@pytest.mark.parametrize("data", [b"", b"   \n\t\r\n", codecs.BOM_UTF8])
def test_empty_refused(data: bytes) -> None:
    with pytest.raises(DecodeError, match="empty file"):
        decode(data, source="empty.txt")


def test_error_is_one_line_naming_the_source() -> None:
    with pytest.raises(DecodeError) as info:
        decode(b"%PDF-1.4\n\n\nstream", source="raw/samples/brief.pdf")
    message = str(info.value)
    assert message.startswith("raw/samples/brief.pdf: decode failed:")
    assert "\n" not in message
    assert info.value.source == "raw/samples/brief.pdf"


def test_a_few_stray_bytes_do_not_cost_the_page() -> None:
    data = (ZH * 20).encode("gbk")
    broken = data[:400] + b"\xff" + data[400:]
    page = b'<meta charset="gb2312">' + broken
    text, encoding = decode(page, source="zh.html", is_html=True)
    assert encoding == "gb18030"
    assert 1 <= text.count("\ufffd") <= 3  # the stray byte and its neighbour(s)
    assert "朱镕基" in text
    assert not looks_garbled(text)


@pytest.mark.parametrize("clean_text", [ZH, RU, VI, AR, EN, "Hanoï, café, naïve, São Paulo"])
def test_clean_text_is_not_garbled(clean_text: str) -> None:
    assert not looks_garbled(clean_text * 3)


@pytest.mark.parametrize(
    ("clean_text", "wrong"),
    [
        (VI, "cp1252"),  # UTF-8 read as windows-1252: "Viá»‡t"
        (RU, "cp1252"),  # "Ð’ 2017"
        (AR, "cp1252"),  # "Ø²Ø§Ø±"
        (ZH, "latin-1"),  # GBK read as Latin-1
        (ZH, "cp1251"),  # GBK read as Cyrillic
    ],
)
def test_mojibake_is_garbled(clean_text: str, wrong: str) -> None:
    source_codec = "gbk" if clean_text is ZH else "utf-8"
    garbled = (clean_text * 3).encode(source_codec).decode(wrong, errors="replace")
    assert looks_garbled(garbled)


def test_replacement_characters_are_garbled() -> None:
    assert looks_garbled("\ufffd\ufffd 2014 \ufffd\ufffd\ufffd\ufffd")
    assert not looks_garbled("")


def test_declared_utf16_without_bom_is_not_binary() -> None:
    text, encoding = decode(EN.encode("utf-16-le"), source="en.txt", declared_charset="utf-16le")
    assert text == EN
    assert encoding == "utf-16-le"
