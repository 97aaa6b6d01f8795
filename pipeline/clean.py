"""Main-text extraction and boilerplate removal.

HTML goes through trafilatura (``bare_extraction``, precision first, no
comments) and its paragraphs then through the same paragraph filter as plain
text. Plain text goes through the paragraph filter only.

The paragraph filter is driven by ``pipeline/data/boilerplate.yaml``: UI
labels and page furniture, cookie / consent notices, reader-comment threads,
reference lists, author contact blocks and legal lines are dropped, each
counted under its reason in :attr:`Cleaned.removed`; inline footnote markers
(``[12]``, ``[6][7]``) are stripped from the paragraphs that stay and counted
as ``footnote_markers``.

Sections: a heading such as "References" or "参考" followed by citation-like
paragraphs opens a reference section, which lasts while paragraphs stay
citation-like; a run of comment markers (post timestamps, "5 years ago",
"Reply") opens a comment section, which lasts while another marker follows
within a few paragraphs; a consent heading opens a section that lasts while
paragraphs keep talking about cookies and personal data; an author heading
opens a short block of short paragraphs. When the evidence stops, the section
ends and the next article paragraph is kept.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

import trafilatura
from lxml import etree
from lxml import html as lxml_html
from pydantic import BaseModel, ConfigDict, Field, field_validator

from pipeline.config import CleanOptions
from pipeline.errors import CleanError
from pipeline.refdata import check_patterns, load_yaml_model

logger = logging.getLogger(__name__)

Method = Literal["trafilatura", "text-filter", "tag-strip"]
Reason = Literal["navigation", "cookie", "comments", "references", "author", "legal"]
REASONS: tuple[Reason, ...] = ("navigation", "cookie", "comments", "references", "author", "legal")
FOOTNOTE_REASON = "footnote_markers"
DUPLICATE_REASON = "duplicate"
SHORT_REASON = "short"
# repeated shorter paragraphs (table cells, "1", "Yes") are content, not repeated headlines
_MIN_DUPLICATE_CHARS = 12


# --------------------------------------------------------------------------
# Reference data: pipeline/data/boilerplate.yaml
# --------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReasonRules(_Strict):
    max_chars: int = Field(200, gt=0, description="'contains' applies to paragraphs this short.")
    labels: list[str] = Field(default_factory=list, description="Whole-paragraph UI labels.")
    lines: list[str] = Field(default_factory=list, description="Whole-paragraph regexes.")
    contains: list[str] = Field(default_factory=list, description="Regexes searched inside.")
    headings: list[str] = Field(default_factory=list, description="Regexes of section headings.")

    _patterns = field_validator("lines", "contains", "headings")(check_patterns)


class CitationFeature(_Strict):
    pattern: str
    weight: int = Field(1, ge=1)

    _pattern = field_validator("pattern")(lambda v: check_patterns([v])[0])


class CitationRules(_Strict):
    threshold: int = Field(3, ge=1)
    max_chars: int = Field(1500, gt=0)
    features: list[CitationFeature]


class SectionRules(_Strict):
    comment_max_body: int = Field(12, ge=1)
    comment_tail_body: int = Field(4, ge=0)
    comment_min_article_chars: int = Field(200, ge=0)
    heading_max_chars: int = Field(80, gt=0)
    foreign_label_max_chars: int = Field(12, ge=0)
    foreign_script_max_share: float = Field(0.05, ge=0, le=1)
    citation_run: int = Field(3, ge=2)
    reference_near_max_chars: int = Field(250, ge=0)
    author_max_paragraphs: int = Field(10, ge=1)
    consent_vocabulary: list[str]

    _patterns = field_validator("consent_vocabulary")(check_patterns)


def _check_xpaths(paths: list[str]) -> list[str]:
    for path in paths:
        try:
            etree.XPath(path)
        except etree.XPathSyntaxError as exc:
            raise ValueError(f"invalid XPath {path!r}: {exc}") from exc
    return paths


class BoilerplateRules(_Strict):
    version: int
    reasons: dict[Reason, ReasonRules]
    prune_xpath: list[str] = Field(default_factory=list)
    footnotes: list[str]
    citation: CitationRules
    sections: SectionRules

    _patterns = field_validator("footnotes")(check_patterns)
    _xpaths = field_validator("prune_xpath")(_check_xpaths)


def _normalise_label(text: str) -> str:
    """Case-folded paragraph without bullets, leading numbering, trailing colon/dot."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"^[\s•·▪►▸*\-–—>]+", "", text)
    text = re.sub(r"^\d{1,3}[.)]\s+", "", text)
    text = re.sub(r"[\s:：.。!！|»›>]+$", "", text)
    return " ".join(text.split())


def _union(patterns: list[str], *, whole: bool = False) -> re.Pattern[str] | None:
    if not patterns:
        return None
    body = "|".join(f"(?:{p})" for p in patterns)
    return re.compile(f"(?:{body})\\Z" if whole else body, re.IGNORECASE)


@dataclass(frozen=True)
class _ReasonMatcher:
    reason: Reason
    max_chars: int
    labels: frozenset[str]
    lines: re.Pattern[str] | None
    contains: re.Pattern[str] | None
    headings: re.Pattern[str] | None


@dataclass(frozen=True)
class CompiledRules:
    """``BoilerplateRules`` with every pattern compiled once."""

    reasons: tuple[_ReasonMatcher, ...]
    prune_xpath: tuple[str, ...]
    footnote: re.Pattern[str] | None
    citation: tuple[tuple[re.Pattern[str], int], ...]
    citation_threshold: int
    citation_max_chars: int
    sections: SectionRules
    consent: re.Pattern[str] | None

    def matcher(self, reason: Reason) -> _ReasonMatcher | None:
        return next((m for m in self.reasons if m.reason == reason), None)


def _compile(rules: BoilerplateRules) -> CompiledRules:
    matchers = []
    for reason in REASONS:
        spec = rules.reasons.get(reason)
        if spec is None:
            continue
        matchers.append(
            _ReasonMatcher(
                reason=reason,
                max_chars=spec.max_chars,
                labels=frozenset(_normalise_label(label) for label in spec.labels),
                lines=_union(spec.lines, whole=True),
                contains=_union(spec.contains),
                headings=_union(spec.headings, whole=True),
            )
        )
    return CompiledRules(
        reasons=tuple(matchers),
        prune_xpath=tuple(rules.prune_xpath),
        footnote=_union(rules.footnotes),
        citation=tuple(
            (re.compile(f.pattern, re.IGNORECASE), f.weight) for f in rules.citation.features
        ),
        citation_threshold=rules.citation.threshold,
        citation_max_chars=rules.citation.max_chars,
        sections=rules.sections,
        consent=_union(rules.sections.consent_vocabulary),
    )


@lru_cache(maxsize=4)
def load_rules(path: Path | None = None) -> CompiledRules:
    """Load, validate and compile the boilerplate patterns (once per path)."""
    rules = load_yaml_model(BoilerplateRules, "boilerplate.yaml", path)
    return _compile(rules)


# --------------------------------------------------------------------------
# Result
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Cleaned:
    """Main text of one source; ``text`` is ``paragraphs`` joined by blank lines."""

    text: str
    title: str | None
    author: str | None
    published: dt.date | None
    site: str | None
    method: Method
    removed: dict[str, int] = field(default_factory=dict)
    paragraphs: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------
# Plain text → paragraphs
# --------------------------------------------------------------------------

_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SENTENCE_END = re.compile(r"[.!?。！？…:;»”\"')\]؟۔]\s*$")
_MAX_SECTION_HEADING = 160
_LIST_ITEM = re.compile(r"\s*(\[\d{1,3}\]|\d{1,3}[.)]|[-•*·▪]\s)")
_FULL_STOP = re.compile(r"[.!?。！？…;؟][\"'»”)\]]*\s*$")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


def _tidy(line: str) -> str:
    line = _INVISIBLE.sub("", line)
    return _SPACES.sub(" ", line).strip()


def _hard_wrapped(lines: list[str]) -> bool:
    """A block whose lines were wrapped at a fixed width, not one line per paragraph."""
    if len(lines) < 3:
        return False
    body = lines[:-1]
    widths = [len(line) for line in body]
    if min(widths) < 30 or max(widths) > 110 or max(widths) - min(widths) > 30:
        return False
    ends = sum(1 for line in body if _SENTENCE_END.search(line))
    return ends <= len(body) // 3


def _join_wrapped(lines: list[str]) -> str:
    out = lines[0]
    for line in lines[1:]:
        if out.endswith("-") and not out.endswith(" -"):
            out = out[:-1] + line
        elif _CJK.search(out[-1:]) and _CJK.search(line[:1]):
            out += line
        else:
            out += " " + line
    return out


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs of a plain text: one per line, or per blank-line block when hard-wrapped."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    paragraphs: list[str] = []
    for block in re.split(r"\n\s*\n", text):
        lines = [_tidy(line) for line in block.split("\n")]
        lines = [line for line in lines if line]
        if not lines:
            continue
        if _hard_wrapped(lines):
            paragraphs.append(_join_wrapped(lines))
        else:
            paragraphs.extend(lines)
    return paragraphs


# --------------------------------------------------------------------------
# The paragraph filter
# --------------------------------------------------------------------------


@dataclass
class _Info:
    text: str
    norm: str
    single: Reason | None = None  # reason when the paragraph alone is boilerplate
    heading: Reason | None = None  # reason of the section this heading opens
    comment_marker: bool = False
    citation: bool = False
    citation_score: int = 0
    list_item: bool = False
    heading_like: bool = False


@lru_cache(maxsize=16384)
def _script(ch: str) -> str | None:
    """The script of a letter (first word of its Unicode name; CJK as one); None for
    anything else."""
    if not ch.isalpha():
        return None
    name = unicodedata.name(ch, "")
    return "CJK" if name.startswith("CJK") else name.partition(" ")[0]


def _scripts(text: str) -> Counter[str]:
    """Letters of ``text`` per script (first word of the Unicode name; CJK as one), in the
    order each script first appears; each distinct character looked up once."""
    counts: Counter[str] = Counter()
    for ch, n in Counter(text).items():
        script = _script(ch)
        if script is not None:
            counts[script] += n
    return counts


def _section_heading(text: str) -> bool:
    """Short enough and unpunctuated: a heading, not a sentence that mentions the topic."""
    return len(text) <= _MAX_SECTION_HEADING and not _FULL_STOP.search(text)


def _citation_score(text: str, rules: CompiledRules) -> int:
    if len(text) > rules.citation_max_chars:
        return 0
    return sum(weight for pattern, weight in rules.citation if pattern.search(text))


def _classify(text: str, rules: CompiledRules) -> _Info:
    norm = _normalise_label(text)
    stripped = re.sub(r"^[\s•·▪►▸*\-–—]+", "", text)
    info = _Info(text=text, norm=norm)
    info.heading_like = (
        len(text) <= rules.sections.heading_max_chars and not _SENTENCE_END.search(text)
    ) or len(text) <= 3
    for m in rules.reasons:
        whole = norm in m.labels or (m.lines is not None and m.lines.match(stripped))
        inside = m.contains is not None and len(text) <= m.max_chars and m.contains.search(text)
        if info.single is None and (whole or inside):
            info.single = m.reason
        if (
            info.heading is None
            and m.headings is not None
            and len(text) <= 200
            and (m.headings.match(norm) or m.headings.match(stripped))
        ):
            info.heading = m.reason
    comments = rules.matcher("comments")
    if comments is not None and (
        norm in comments.labels or (comments.lines is not None and comments.lines.match(stripped))
    ):
        info.comment_marker = True
    info.list_item = bool(_LIST_ITEM.match(text))
    info.citation_score = _citation_score(text, rules)
    info.citation = info.citation_score >= rules.citation_threshold
    return info


class _Filter:
    """One pass over a document's paragraphs with the section state machine."""

    def __init__(self, paragraphs: list[str], rules: CompiledRules) -> None:
        self.rules = rules
        self.sec = rules.sections
        self.infos = [_classify(p, rules) for p in paragraphs]
        self.drop: list[str | None] = [None] * len(paragraphs)
        self.markers = [i for i, info in enumerate(self.infos) if info.comment_marker]
        self.state: str | None = None  # the section being dropped
        self.last_marker = -1  # the last comment marker seen
        self.author_count = 0  # paragraphs of the author box so far
        self._mark_foreign_labels()

    def _mark_foreign_labels(self) -> None:
        """Short unpunctuated lines in a script the page hardly uses are page labels."""
        totals: Counter[str] = Counter()
        for info in self.infos:
            totals.update(_scripts(info.text))
        letters = sum(totals.values())
        if not letters:
            return
        for info in self.infos:
            if info.single or info.heading or len(info.text) > self.sec.foreign_label_max_chars:
                continue
            if _SENTENCE_END.search(info.text.rstrip(":：")):
                continue
            scripts = set(_scripts(info.text))
            if len(scripts) != 1:
                continue
            share = totals[scripts.pop()] / letters
            if share <= self.sec.foreign_script_max_share:
                info.single = "navigation"

    # -- helpers ---------------------------------------------------------
    def _next_marker(self, i: int) -> int | None:
        return next((j for j in self.markers if j > i), None)

    def _near_citation(self, info: _Info) -> bool:
        """Inside a reference section: citation-like, or a short list item, or a short
        paragraph one feature short of citation-like."""
        if info.citation:
            return True
        short = len(info.text) <= self.sec.reference_near_max_chars
        return short and (
            info.list_item or info.citation_score >= self.rules.citation_threshold - 1
        )

    def _citation_ahead(self, i: int, look: int = 3) -> bool:
        """After a references heading: do the next paragraphs read as a reference list
        (citation-like, or a numbered / bulleted list)?"""
        ahead = [info for info in self.infos[i + 1 : i + 1 + look] if len(info.text) > 12]
        if not ahead or not self._near_citation(ahead[0]):
            return False
        return any(info.citation or info.list_item for info in ahead)

    def _citation_run(self, i: int) -> bool:
        run = self.infos[i : i + self.sec.citation_run]
        return len(run) == self.sec.citation_run and all(info.citation for info in run)

    def _thread_ahead(self, i: int) -> bool:
        """Another comment marker within a comment's length after ``i``."""
        nxt = self._next_marker(i)
        return nxt is not None and nxt - i <= self.sec.comment_max_body

    def _article_chars(self, i: int) -> int:
        """Characters of the paragraphs kept so far."""
        return sum(
            len(info.text) for info, d in zip(self.infos[:i], self.drop, strict=False) if d is None
        )

    def _table_row(self, i: int) -> bool:
        """A "a | b | c" row next to rows with as many cells is a data table, not a menu."""
        cells = self.infos[i].text.count(" | ")
        if cells < 2:
            return False
        near = self.infos[max(i - 1, 0) : i] + self.infos[i + 1 : i + 2]
        return any(other.text.count(" | ") == cells and other.single is None for other in near)

    def _opens_other(self, info: _Info, current: str) -> bool:
        return info.heading is not None and info.heading != current

    # -- the pass: inside a section -------------------------------------
    def _in_references(self, i: int, info: _Info) -> bool:
        return self._near_citation(info) or (
            info.heading_like
            and not self._opens_other(info, "references")
            and self._citation_ahead(i)
        )

    def _in_comments(self, i: int, info: _Info) -> bool:
        if info.comment_marker:
            self.last_marker = i
            return True
        nxt = self._next_marker(i)
        in_thread = nxt is not None and nxt - self.last_marker <= self.sec.comment_max_body + 1
        # after the last marker: the last comment's body, up to a heading
        in_tail = (
            nxt is None
            and i - self.last_marker <= self.sec.comment_tail_body
            and not info.heading_like
        )
        return (in_thread or in_tail) and not self._opens_other(info, "comments")

    def _in_cookie(self, i: int, info: _Info) -> bool:
        consent = self.rules.consent
        return (
            consent is not None
            and bool(consent.search(info.text))
            and not self._opens_other(info, "cookie")
        ) or info.single == "cookie"

    def _in_author(self, i: int, info: _Info) -> bool:
        matcher = self.rules.matcher("author")
        limit = matcher.max_chars if matcher else 300
        if (
            len(info.text) <= limit
            and self.author_count < self.sec.author_max_paragraphs
            and not self._opens_other(info, "author")
        ):
            self.author_count += 1
            return True
        return False

    def _continues(self, i: int, info: _Info) -> bool:
        """Whether paragraph ``i`` still belongs to the open section (dropped if so)."""
        if self.state is None:
            return False
        inside = {
            "references": self._in_references,
            "comments": self._in_comments,
            "cookie": self._in_cookie,
            "author": self._in_author,
        }[self.state](i, info)
        if inside:
            self.drop[i] = self.state
        return inside

    # -- the pass: opening a section -------------------------------------
    def _open(self, i: int, section: str) -> bool:
        self.drop[i] = section
        self.state = section
        return True

    def _opens_section(self, i: int, info: _Info) -> bool:
        """A heading that opens a section (dropped with it)."""
        if info.heading == "references" and self._citation_ahead(i):
            return self._open(i, "references")
        if info.heading == "comments" and (
            info.comment_marker or info.single == "comments" or self._thread_ahead(i)
        ):
            self.last_marker = i
            return self._open(i, "comments")
        if info.heading == "cookie" and _section_heading(info.text):
            return self._open(i, "cookie")
        if info.heading == "author" and _section_heading(info.text):
            self.author_count = 0
            return self._open(i, "author")
        return False

    def _starts_thread(self, i: int) -> None:
        """A comment marker that starts a thread (threads follow an article: post dates
        above the first article text are datelines)."""
        self.drop[i] = "comments"
        if self._article_chars(i) < self.sec.comment_min_article_chars or not (
            self._thread_ahead(i)
        ):
            return
        self.state, self.last_marker = "comments", i
        # the commenter's name just above the first timestamp
        prev = i - 1
        if (
            prev >= 0
            and self.drop[prev] is None
            and self.infos[prev].heading_like
            and len(self.infos[prev].text) <= 40
        ):
            self.drop[prev] = "comments"

    def run(self) -> None:
        self.state = None
        self.last_marker = -1
        self.author_count = 0
        for i, info in enumerate(self.infos):
            if self._continues(i, info):
                continue
            self.state = None
            if self._opens_section(i, info):
                continue
            if info.comment_marker:
                self._starts_thread(i)
                continue
            # a reference list without a heading
            if info.citation and self._citation_run(i):
                self._open(i, "references")
                continue
            if info.single is not None and not self._table_row(i):
                self.drop[i] = info.single


def _strip_footnotes(text: str, rules: CompiledRules) -> tuple[str, int]:
    if rules.footnote is None:
        return text, 0
    stripped, count = rules.footnote.subn("", text)
    if count:
        stripped = re.sub(r"\s+([.,;:!?،؛。，])", r"\1", stripped)
        stripped = _SPACES.sub(" ", stripped).strip()
    return stripped, count


def filter_paragraphs(
    paragraphs: list[str],
    *,
    options: CleanOptions,
    rules: CompiledRules | None = None,
) -> tuple[list[str], dict[str, int]]:
    """Drop boilerplate paragraphs; return the kept ones and counts per reason."""
    rules = rules or load_rules()
    removed: Counter[str] = Counter()
    if not options.filter_boilerplate:
        kept = [p for p in paragraphs if p.strip()]
    else:
        flt = _Filter(paragraphs, rules)
        flt.run()
        kept = []
        previous = ""
        for info, reason in zip(flt.infos, flt.drop, strict=True):
            if reason is not None:
                removed[reason] += 1
                continue
            headline = len(kept) == 1  # the second kept paragraph repeats the first
            long_enough = len(info.norm) >= _MIN_DUPLICATE_CHARS or headline
            if info.norm and long_enough and info.norm == previous:
                removed[DUPLICATE_REASON] += 1
                continue
            previous = info.norm
            kept.append(info.text)
    out: list[str] = []
    for text in kept:
        if options.strip_footnote_markers:
            text, count = _strip_footnotes(text, rules)
            if count:
                removed[FOOTNOTE_REASON] += count
        if len(text) < max(options.min_paragraph_chars, 1):
            removed[SHORT_REASON] += 1
            continue
        out.append(text)
    return out, dict(sorted(removed.items()))


# --------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------

_BLOCK_TAGS = (
    "p", "div", "br", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6",
    "blockquote", "pre", "section", "article", "header", "footer", "dd", "dt",
)  # fmt: skip


def html_to_text(markup: str) -> str:
    """All visible text of a page, one line per block element (the fallback)."""
    try:
        root = lxml_html.document_fromstring(markup)
    except (ValueError, TypeError, etree.ParserError) as exc:
        logger.info("html_to_text: unparsable markup: %s", exc)
        return ""
    for bad in root.xpath("//script|//style|//noscript|//template|//head"):
        bad.drop_tree()
    for element in root.iter(*_BLOCK_TAGS):
        element.tail = "\n" + (element.tail or "")
        if element.tag != "br":
            element.text = "\n" + (element.text or "")
    return str(root.text_content())


#: libxml2 stops at 256 nested elements unless told otherwise; a little less, to be safe
MAX_TREE_DEPTH = 250
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)[^>]*?(/?)>")
#: elements that do not nest: void ones, and those whose end tag is optional (unclosed
#: ``<p>``s or ``<li>``s in old pages must not count as depth)
_FLAT_TAGS = frozenset(
    ("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
     "track", "wbr", "p", "li", "dt", "dd", "tr", "td", "th", "option", "optgroup", "thead",
     "tbody", "tfoot", "colgroup", "rt", "rp")
)  # fmt: skip
_HIDDEN = re.compile(
    r"<!--.*?-->|<(script|style|noscript|template|head)\b[^>]*>.*?</\1\s*>",
    re.IGNORECASE | re.DOTALL,
)
_BLOCK_TAG = re.compile(rf"</?(?:{'|'.join(_BLOCK_TAGS)})\b[^>]*>", re.IGNORECASE)
_ANY_TAG = re.compile(r"<[!/?A-Za-z][^>]*>")


def nesting_depth(markup: str, stop_above: int) -> int:
    """How deeply elements nest in ``markup`` (scanning tags, no parser); stops counting
    once past ``stop_above``."""
    depth = deepest = 0
    for match in _TAG.finditer(markup):
        closing, name, self_closing = match.groups()
        if self_closing or name.lower() in _FLAT_TAGS:
            continue
        if closing:
            depth = max(depth - 1, 0)
            continue
        depth += 1
        if depth > deepest:
            deepest = depth
            if deepest > stop_above:
                break
    return deepest


def tag_strip_text(markup: str) -> str:
    """All visible text of a page without building a tree (any nesting depth): hidden
    elements and comments dropped, a line break per block element, other tags removed,
    character references resolved."""
    text = _HIDDEN.sub(" ", markup)
    text = _BLOCK_TAG.sub("\n", text)
    return html.unescape(_ANY_TAG.sub("", text))


def _parse_date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        logger.info("unparsable publication date %r", value)
        return None


def _strip_xml_declaration(markup: str) -> str:
    # lxml refuses str input that carries an encoding declaration
    return re.sub(r"^\s*<\?xml[^>]*\?>", "", markup, count=1)


def _extract(
    markup: str,
    url: str | None,
    options: CleanOptions,
    *,
    precision: bool,
    prune: tuple[str, ...] = (),
) -> trafilatura.settings.Document | None:
    document = trafilatura.bare_extraction(
        markup,
        url=url,
        favor_precision=precision,
        include_comments=False,
        include_tables=options.include_tables,
        with_metadata=True,
        prune_xpath=list(prune) or None,
    )
    return document if isinstance(document, trafilatura.settings.Document) else None


_CELL_SPLIT = re.compile(r"(?<!\\)\|")


def _cells(line: str) -> list[str]:
    """Table rows come out of trafilatura as "| a | | b |": keep "a | b", drop empty rows."""
    if not (line.startswith("|") and line.endswith("|")):
        return [line]
    cells = (_tidy(cell.replace("\\|", "|")) for cell in _CELL_SPLIT.split(line))
    row = " | ".join(cell for cell in cells if cell)
    return [row] if row else []


def _lines(document: trafilatura.settings.Document | None) -> list[str]:
    if document is None:
        return []
    lines = [_tidy(line) for line in (document.text or "").split("\n")]
    return [cell for line in lines if line for cell in _cells(line)]


def _title_from_text(paragraphs: list[str]) -> str | None:
    """The headline of a plain text: among the first paragraphs, the wordiest
    heading-like one (mastheads and section names are shorter; datelines and
    menus have separators; bylines are bulleted)."""
    best: tuple[int, str] | None = None
    for text in paragraphs[:6]:
        if re.match(r"[•·▪►*\-–—]", text) or re.search(r"\s[|·>»]\s", text):
            continue
        if len(text) > 200 or re.search(r"[.。!]\s*$", text):
            continue
        words = len(text) // 2 if _CJK.search(text) else len(text.split())
        if words >= 3 and (best is None or words > best[0]):
            best = (words, text)
    return best[1] if best else None


def clean(
    text: str,
    *,
    source: str,
    is_html: bool,
    options: CleanOptions,
    url: str | None = None,
) -> Cleaned:
    """Main text of a decoded source, with boilerplate removed.

    Raises :class:`CleanError` when no main text is left.
    """
    rules = load_rules()
    title = author = site = None
    published: dt.date | None = None
    method: Method = "text-filter"
    if is_html and nesting_depth(text, MAX_TREE_DEPTH) > MAX_TREE_DEPTH:
        # lxml (under trafilatura) stops building the tree at libxml2's depth limit and the
        # text below it is lost: a tokenizer that builds no tree keeps it
        logger.warning(
            "%s: HTML nested deeper than %d elements, text taken without a tree",
            source,
            MAX_TREE_DEPTH,
        )
        raw = split_paragraphs(tag_strip_text(text))
        method = "tag-strip"
    elif is_html:
        markup = _strip_xml_declaration(text)
        prune = rules.prune_xpath if options.filter_boilerplate else ()
        document = _extract(markup, url, options, precision=options.favor_precision, prune=prune)
        raw = _lines(document)
        if options.favor_precision and sum(map(len, raw)) < options.short_main_text_chars:
            # precision mode sometimes settles on one small block (a reprint
            # notice, a teaser); take the balanced extraction when it finds
            # much more.
            balanced = _extract(markup, url, options, precision=False, prune=prune)
            lines = _lines(balanced)
            if sum(map(len, lines)) >= 2 * max(sum(map(len, raw)), 1):
                document, raw = balanced, lines
        if document is not None:
            title = document.title or None
            author = document.author or None
            site = document.sitename or None
            published = _parse_date(document.date)
        if raw:
            method = "trafilatura"
        else:
            logger.info(
                "%s: trafilatura found no main text, falling back to the text filter", source
            )
            raw = split_paragraphs(html_to_text(markup))
    else:
        raw = split_paragraphs(text)
    if not raw:
        raise CleanError(source, "no text found")
    paragraphs, removed = filter_paragraphs(raw, options=options, rules=rules)
    if not paragraphs:
        raise CleanError(
            source, f"no main text left after removing boilerplate ({len(raw)} paragraphs)"
        )
    if not is_html:
        title = _title_from_text(paragraphs)
    return Cleaned(
        text="\n\n".join(paragraphs),
        title=title,
        author=author,
        published=published,
        site=site,
        method=method,
        removed=removed,
        paragraphs=paragraphs,
    )
