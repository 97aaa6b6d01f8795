"""Decode fetched bytes to text, refusing what is not text.

Order of evidence, first that applies wins:

1. a byte-order mark (UTF-8, UTF-16, UTF-32);
2. the charset declared in the HTTP ``Content-Type`` header;
   then, for bytes that would otherwise be refused as binary (NULs, control
   bytes), UTF-32 or UTF-16 without a byte-order mark when the bytes decode
   strictly to plausible text (no unassigned, private-use or control
   characters, and ASCII spaces or CJK/Arabic punctuation between words);
   and a few stray NUL bytes in otherwise-text bytes are dropped and counted;
3. for HTML, ``<meta charset>`` / ``http-equiv`` (or an XML declaration) in
   the first 4 KB;
4. strict UTF-8;
5. ``charset_normalizer``'s best guess.

A declared legacy charset (2, 3) is not trusted over bytes that are valid,
non-ASCII UTF-8: pages that declare ``gb2312`` or ``iso-8859-1`` but are
served as UTF-8 are common, while legacy text that happens to be valid UTF-8
is vanishingly rare. Chinese legacy names (gb2312, gbk, cp936) are decoded
as gb18030, their superset, so characters outside gb2312 are not garbled;
iso-8859-1 and us-ascii as windows-1252, as browsers do.

:func:`looks_garbled` flags text that was decoded with the wrong codec
(mojibake); the boilerplate evaluation counts such pages.
"""

from __future__ import annotations

import codecs
import logging
import re
import unicodedata
from dataclasses import dataclass

import charset_normalizer

from pipeline.errors import DecodeError

logger = logging.getLogger(__name__)

#: Signatures of binary formats we are sometimes handed instead of text.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "PDF document"),
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"PK\x03\x04", "ZIP archive (or DOCX/XLSX/EPUB)"),
    (b"\x1f\x8b", "GZIP archive"),
    (b"BZh", "BZIP2 archive"),
    (b"\xfd7zXZ\x00", "XZ archive"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
    (b"Rar!\x1a\x07", "RAR archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "OLE2 document (DOC/XLS)"),
    (b"\x7fELF", "ELF executable"),
    (b"RIFF", "RIFF media file"),
    (b"OggS", "Ogg media file"),
    (b"ID3", "MP3 audio"),
    (b"\x00\x00\x00\x18ftyp", "MP4 video"),
    (b"\x00\x00\x00\x20ftyp", "MP4 video"),
    (b"wOFF", "WOFF font"),
    (b"wOF2", "WOFF2 font"),
    (b"SQLite format 3\x00", "SQLite database"),
)

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

#: Legacy names decoded with a superset codec (Python codec name on the right).
_SUPERSETS: dict[str, str] = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "big5": "big5hkscs",
    "iso8859_1": "cp1252",
    "ascii": "cp1252",
    "euc_kr": "cp949",
    "shift_jis": "cp932",
    "tis_620": "cp874",
    "gb18030": "gb18030",
    "iso8859_9": "cp1254",
}

#: Detector guesses that are rare on the web, and the common codec that fits
#: the same bytes (the detector confuses them on short texts).
_WEB_PREFERRED: dict[str, str] = {
    "mac_cyrillic": "cp1251",
    "ptcp154": "cp1251",
    "kz1048": "cp1251",
    "cp1125": "cp1251",
}

#: Names seen on the web that Python's codec registry does not know.
_ALIASES: dict[str, str] = {
    "x-gbk": "gbk",
    "gb_2312-80": "gb2312",
    "x-gb2312": "gb2312",
    "x-sjis": "shift_jis",
    "x-euc-jp": "euc_jp",
    "x-cp1251": "cp1251",
    "unicode": "utf-8",
}

_SNIFF_BYTES = 4096
_MAX_REPLACED_RATIO = 0.002
#: Tried (leniently) when nothing else fits: the legacy codecs of zh, ja, ko pages.
_MULTIBYTE_FALLBACKS = ("gb18030", "big5hkscs", "cp932", "cp949")
_CONTROL_SAMPLE = 8192
_MAX_CONTROL_RATIO = 0.1
# bytes that are fine in text: TAB, LF, FF, CR, ESC (ISO-2022 escapes)
_TEXT_CONTROLS = frozenset(b"\t\n\x0c\r\x1b")

_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:\-]+)""", re.IGNORECASE
)
_XML_ENCODING = re.compile(rb"""<\?xml[^>]+encoding\s*=\s*["']([a-zA-Z0-9_.:\-]+)""", re.IGNORECASE)

# --- mojibake signatures -------------------------------------------------
# UTF-8 read as windows-1252 / latin-1: a lead byte shown as Â..ß (two-byte
# sequences) or à..ï (three-byte) followed by a continuation byte, which
# windows-1252 shows as one of €‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ or U+00A0..U+00BF
# (or the C1 control a latin-1 decoder leaves).
_CONT = "\u0080-\u00bf€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ"
_MOJIBAKE = re.compile(f"[\u00c2-\u00df][{_CONT}]|[\u00e0-\u00ef][{_CONT}]{{2}}")
_C1_CONTROLS = re.compile("[\u0080-\u009f]")
_LATIN1_RUN = re.compile("[\u0080-\u00ff]{3,}")
_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")
# CJK double-byte text read as a Cyrillic single-byte codec: "ДкЦР№ъёпГь".
_CYRILLIC_CASE_FLIP = re.compile("[а-яё][А-ЯЁ]")
_CYRILLIC = re.compile("[А-яЁё]")


def _canonical(name: str) -> str | None:
    """Python codec name for a declared charset, upgraded to its superset."""
    cleaned = name.strip().strip("\"'").lower()
    if not cleaned:
        return None
    cleaned = _ALIASES.get(cleaned, cleaned)
    try:
        codec = codecs.lookup(cleaned).name
    except LookupError:
        return None
    codec = codec.replace("-", "_")
    return _SUPERSETS.get(codec, codec)


def _magic_reason(data: bytes) -> str | None:
    for magic, what in _MAGIC:
        if data.startswith(magic):
            return f"binary content ({what})"
    return None


def _binary_reason(data: bytes) -> str | None:
    magic = _magic_reason(data)
    if magic:
        return magic
    sample = data[:_CONTROL_SAMPLE]
    if b"\x00" in sample:
        return "binary content (NUL bytes)"
    controls = sum(1 for b in sample if b < 0x20 and b not in _TEXT_CONTROLS)
    if sample and controls / len(sample) > _MAX_CONTROL_RATIO:
        return f"binary content ({controls / len(sample):.0%} control bytes)"
    return None


def _sniff_html(data: bytes) -> str | None:
    head = data[:_SNIFF_BYTES]
    for pattern in (_META_CHARSET, _XML_ENCODING):
        match = pattern.search(head)
        if match:
            return match.group(1).decode("ascii", "replace")
    return None


def _fixup(text: str, codec: str) -> str:
    if codec == "gb18030":
        # GBK's 0xA3A0 (a full-width space on Windows) is a private-use
        # character in GB18030; browsers show U+3000, and so do we.
        return text.replace("\ue5e5", "\u3000")
    return text


def _try(data: bytes, codec: str) -> str | None:
    try:
        return _fixup(data.decode(codec), codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _lenient(data: bytes, codecs_: list[str], source: str) -> tuple[str, str] | None:
    """Decode with the codec that leaves the fewest replaced bytes, if few enough."""
    best: tuple[int, str, str] | None = None
    for codec in codecs_:
        try:
            text = _fixup(data.decode(codec, errors="replace"), codec)
        except LookupError:
            continue
        bad = text.count("\ufffd")
        if bad / max(len(text), 1) > _MAX_REPLACED_RATIO or looks_garbled(text):
            continue
        if best is None or bad < best[0]:
            best = (bad, text, codec)
    if best is None:
        return None
    bad, text, codec = best
    logger.warning("%s: decoded as %s with %d undecodable sequences replaced", source, codec, bad)
    return text, codec.replace("_", "-")


def _is_utf8_non_ascii(data: bytes) -> str | None:
    if data.isascii():
        return None
    return _try(data, "utf-8")


def _after_bom(data: bytes, source: str) -> tuple[str, str] | None:
    """The text after a byte-order mark, in the codec it names; None without one."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            body = data[len(bom) :]
            if not body.strip(b"\x00 \t\r\n"):
                raise DecodeError(source, "empty file")
            text = _try(body, codec)
            if text is None:
                raise DecodeError(source, f"undecodable: invalid {codec} after its byte-order mark")
            return text, codec
    return None


def _declared(declared_charset: str | None, data: bytes, is_html: bool) -> list[tuple[str, str]]:
    """Charsets the source declares, with where: the HTTP header, then ``<meta>``."""
    candidates: list[tuple[str, str]] = []
    if declared_charset:
        candidates.append((declared_charset, "HTTP header"))
    if is_html:
        sniffed = _sniff_html(data)
        if sniffed:
            candidates.append((sniffed, "meta charset"))
    return candidates


def _as_declared(
    data: bytes, candidates: list[tuple[str, str]], utf8: str | None, source: str
) -> tuple[str, str] | None:
    """The first declaration the bytes fit; UTF-8 bytes win over any other declaration."""
    for name, where in candidates:
        codec = _canonical(name)
        if codec is None:
            logger.info("%s: unknown charset %r in %s, ignored", source, name, where)
            continue
        if utf8 is not None and codec not in ("utf_8", "utf_8_sig"):
            logger.info("%s: %s declares %s but the bytes are UTF-8", source, where, name)
            return utf8, "utf-8"
        text = _try(data, codec)
        if text is not None:
            return text, codec.replace("_", "-")
        logger.info("%s: bytes are not valid %s (%s), detecting", source, name, where)
    return None


def _detected(data: bytes, source: str) -> tuple[str, str] | None:
    """charset_normalizer's guess (a web-preferred superset where one fits), unless it
    reads as mojibake."""
    best = charset_normalizer.from_bytes(data).best()
    if best is None:
        return None
    codec = _canonical(best.encoding) or best.encoding
    preferred = _WEB_PREFERRED.get(codec)
    if preferred and _try(data, preferred) is not None:
        codec = preferred
    text = _try(data, codec)
    if text is not None and not looks_garbled(text):
        return text, codec.replace("_", "-")
    logger.info("%s: detector guessed %s, which reads as mojibake", source, best.encoding)
    return None


#: UTF-32 first: its strict decoding fails on nearly any bytes that are not UTF-32
_WIDE_CODECS: tuple[tuple[str, int], ...] = (
    ("utf-32-le", 4),
    ("utf-32-be", 4),
    ("utf-16-le", 2),
    ("utf-16-be", 2),
)
#: characters between words in real text: ASCII white space, ideographic space and commas,
#: full stops, the Arabic comma, question mark and full stop. Bytes read in the wrong width or
#: byte order give none of them (ASCII read as UTF-16 gives CJK ideographs, never U+0020).
_WORD_BREAKS = frozenset(" \t\n\r\u3000\u3001\u3002\uff0c\uff0e\u060c\u061f\u06d4")
_NOT_TEXT = frozenset(("Cc", "Cn", "Co", "Cs"))
_MIN_BREAK_RATIO = 0.01
_MAX_ODD_RATIO = 0.001
#: one NUL, plus one per this many bytes, is "stray" (random binary has one per 256)
_STRAY_NUL_EVERY = 1000


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    #: NUL bytes dropped from otherwise-text bytes
    nul_bytes: int = 0


def _plausible_text(text: str) -> bool:
    sample = text[:_CONTROL_SAMPLE]
    if not sample:
        return False
    odd = sum(
        1
        for ch in sample
        if ch not in _TEXT_CONTROL_CHARS and unicodedata.category(ch) in _NOT_TEXT
    )
    breaks = sum(1 for ch in sample if ch in _WORD_BREAKS)
    return odd <= len(sample) * _MAX_ODD_RATIO and breaks >= len(sample) * _MIN_BREAK_RATIO


_TEXT_CONTROL_CHARS = frozenset("\t\n\x0c\r\x1b")


def _wide_without_bom(data: bytes) -> tuple[str, str] | None:
    """UTF-32 or UTF-16 text that carries no byte-order mark."""
    for codec, unit in _WIDE_CODECS:
        if len(data) % unit:
            continue
        text = _try(data, codec)
        if text is not None and _plausible_text(text):
            return text, codec
    return None


def decode(
    data: bytes,
    *,
    source: str,
    declared_charset: str | None = None,
    is_html: bool = False,
) -> tuple[str, str]:
    """Decode ``data`` and return ``(text, encoding)``; see :func:`decode_bytes`."""
    decoded = decode_bytes(data, source=source, declared_charset=declared_charset, is_html=is_html)
    return decoded.text, decoded.encoding


def decode_bytes(
    data: bytes,
    *,
    source: str,
    declared_charset: str | None = None,
    is_html: bool = False,
) -> Decoded:
    """Decode ``data``: its text, the encoding used and the stray NUL bytes dropped.

    Raises :class:`DecodeError` for empty input, binary content, or bytes no
    codec can decode.
    """
    found = _after_bom(data, source)
    if found is not None:
        return Decoded(*found)
    if not data.strip():
        raise DecodeError(source, "empty file")
    # UTF-16/32 without a byte-order mark is full of NUL bytes: trust a declaration first
    wide = _canonical(declared_charset or "")
    if wide and wide.startswith(("utf_16", "utf_32")):
        text = _try(data, wide)
        if text is not None:
            return Decoded(text, wide.replace("_", "-"))
    reason = _magic_reason(data)
    if reason:
        raise DecodeError(source, reason)
    nuls = data.count(0)
    if nuls or _binary_reason(data):
        found = _wide_without_bom(data)
        if found is not None:
            logger.info("%s: %s without a byte-order mark", source, found[1])
            return Decoded(*found)
    dropped = 0
    if nuls and nuls <= 1 + len(data) // _STRAY_NUL_EVERY:
        stripped = data.replace(b"\x00", b"")
        if _binary_reason(stripped) is None:
            logger.warning("%s: dropped %d stray NUL bytes", source, nuls)
            data, dropped = stripped, nuls
    found = _decode_text(data, source, declared_charset, is_html)
    return Decoded(found[0], found[1], dropped)


def _decode_text(
    data: bytes, source: str, declared_charset: str | None, is_html: bool
) -> tuple[str, str]:
    """Decode bytes that hold no BOM: refuse binary, then declarations, UTF-8, detection."""
    reason = _binary_reason(data)
    if reason:
        raise DecodeError(source, reason)
    if b"\x00" in data:
        raise DecodeError(source, "binary content (NUL bytes)")

    utf8 = _is_utf8_non_ascii(data)
    candidates = _declared(declared_charset, data, is_html)
    found = _as_declared(data, candidates, utf8, source)
    if found is not None:
        return found
    if utf8 is not None or data.isascii():
        return (utf8 if utf8 is not None else data.decode("ascii")), "utf-8"
    # A few stray bytes (a truncated character, a pasted fragment) must not
    # cost the whole page: a declared charset that fits all but a few wins.
    declared = [c for c in (_canonical(name) for name, _ in candidates) if c]
    found = _lenient(data, declared, source) or _detected(data, source)
    # Undeclared legacy CJK pages with a stray byte defeat the detector.
    found = found or _lenient(data, list(_MULTIBYTE_FALLBACKS), source)
    if found is not None:
        return found
    raise DecodeError(source, "undecodable: no character encoding fits the bytes")


def looks_garbled(text: str) -> bool:
    """True when ``text`` shows signs of decoding with the wrong codec.

    Signs: UTF-8 byte pairs shown as windows-1252 ("Ã©", "â€™", "Ð°"), C1
    control characters, replacement characters (U+FFFD), private-use
    characters, and runs of three or more Latin-1 characters (what CJK
    multibyte text turns into when read as Latin-1).
    """
    if not text:
        return False
    size = max(len(text), 1)
    mojibake = len(_MOJIBAKE.findall(text))
    if mojibake >= 3 and mojibake / size > 0.0005:
        return True
    if len(_C1_CONTROLS.findall(text)) >= 3:
        return True
    replacement = text.count("\ufffd")
    if replacement >= 3 and replacement / size > 0.005:
        return True
    private = len(_PRIVATE_USE.findall(text))
    if private >= 5 and private / size > 0.002:
        return True
    cyrillic = len(_CYRILLIC.findall(text))
    if cyrillic >= 20 and len(_CYRILLIC_CASE_FLIP.findall(text)) / cyrillic > 0.05:
        return True
    latin_runs = sum(len(m) for m in _LATIN1_RUN.findall(text))
    return latin_runs >= 12 and latin_runs / size > 0.01
