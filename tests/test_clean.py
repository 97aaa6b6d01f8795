"""Main-text extraction and boilerplate removal.

Fixtures in tests/fixtures/clean/ are our own texts about Russia–Vietnam
relations with page furniture, cookie notices, comment threads and reference
lists around them; each ``<name>.expect.yaml`` lists what must stay and what
must go. The ``shared`` tests run the same checks on the project's real seed
documents when ``../shared`` is present.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipeline.clean import (
    Cleaned,
    clean,
    filter_paragraphs,
    html_to_text,
    load_rules,
    split_paragraphs,
)
from pipeline.config import CleanOptions
from pipeline.decode import decode
from pipeline.errors import CleanError, ConfigError
from pipeline.evaluate import shared_dir

FIXTURES = Path(__file__).parent / "fixtures" / "clean"
EXPECTATIONS = sorted(FIXTURES.glob("*.expect.yaml"))
OPTIONS = CleanOptions()


def _load_case(expect: Path) -> tuple[dict[str, Any], Cleaned]:
    spec = yaml.safe_load(expect.read_text("utf-8"))
    suffix = ".html" if spec["is_html"] else ".txt"
    source = expect.with_name(expect.name.replace(".expect.yaml", suffix))
    text, _ = decode(source.read_bytes(), source=source.name, is_html=spec["is_html"])
    cleaned = clean(text, source=source.name, is_html=spec["is_html"], options=OPTIONS)
    return spec, cleaned


@pytest.fixture(scope="module", params=EXPECTATIONS, ids=lambda p: p.name.split(".")[0])
def case(request: pytest.FixtureRequest) -> tuple[dict[str, Any], Cleaned]:
    return _load_case(request.param)


def test_fixtures_exist() -> None:
    assert len(EXPECTATIONS) >= 7


def test_keeps_article_paragraphs(case: tuple[dict[str, Any], Cleaned]) -> None:
    spec, cleaned = case
    missing = [snippet for snippet in spec["keep"] if snippet not in cleaned.text]
    assert not missing


def test_drops_boilerplate(case: tuple[dict[str, Any], Cleaned]) -> None:
    spec, cleaned = case
    leaked = [snippet for snippet in spec["drop"] if snippet in cleaned.text]
    assert not leaked


def test_counts_removals_per_reason(case: tuple[dict[str, Any], Cleaned]) -> None:
    spec, cleaned = case
    for reason, least in spec.get("removed_at_least", {}).items():
        assert cleaned.removed.get(reason, 0) >= least, reason


def test_metadata_and_method(case: tuple[dict[str, Any], Cleaned]) -> None:
    spec, cleaned = case
    assert cleaned.method == spec["method"]
    assert cleaned.title == spec["title"]
    if "published" in spec:
        assert cleaned.published == dt.date.fromisoformat(spec["published"])
    for snippet, times in spec.get("count", {}).items():
        assert cleaned.text.count(snippet) == times


def test_text_is_paragraphs_joined_by_blank_lines(case: tuple[dict[str, Any], Cleaned]) -> None:
    _, cleaned = case
    assert cleaned.text == "\n\n".join(cleaned.paragraphs)
    offset = 0
    for paragraph in cleaned.paragraphs:
        start = cleaned.text.index(paragraph, offset)
        assert cleaned.text[start : start + len(paragraph)] == paragraph
        offset = start + len(paragraph)
    assert all(p == p.strip() and p and "\n\n" not in p for p in cleaned.paragraphs)


def test_html_has_site_and_author() -> None:
    _, cleaned = _load_case(FIXTURES / "article_en.expect.yaml")
    assert cleaned.site == "Osintdesk Test Review"
    assert cleaned.author == "Desk Analyst"


def test_footnote_markers_stripped_inside_paragraphs() -> None:
    kept, removed = filter_paragraphs(
        [
            "Vietnam and the USSR signed a friendship treaty in 1978.[6][7] It lasted.",
            "Russia left Cam Ranh Bay in 2002 [12] [13], ending a presence begun in 1979.[a]",
        ],
        options=OPTIONS,
    )
    assert kept == [
        "Vietnam and the USSR signed a friendship treaty in 1978. It lasted.",
        "Russia left Cam Ranh Bay in 2002, ending a presence begun in 1979.",
    ]
    assert removed == {"footnote_markers": 5}


def test_footnote_markers_kept_when_disabled() -> None:
    options = CleanOptions(strip_footnote_markers=False)
    kept, removed = filter_paragraphs(["Cam Ranh Bay.[1]"], options=options)
    assert kept == ["Cam Ranh Bay.[1]"]
    assert removed == {}


def test_filter_can_be_switched_off() -> None:
    options = CleanOptions(filter_boilerplate=False)
    kept, _ = filter_paragraphs(["Share", "Vietnam bought Su-30MK2 fighters."], options=options)
    assert kept == ["Share", "Vietnam bought Su-30MK2 fighters."]


def test_reference_section_ends_at_an_article_paragraph() -> None:
    paragraphs = [
        "Vietnam received two Bastion-P coastal missile systems from Russia in 2011.",
        "Bibliography",
        "1. SIPRI (2024). SIPRI Trade Registers. URL: https://armstrade.sipri.org",
        "2. The Kremlin (2024), June 20. Press statements. URL: http://en.kremlin.ru",
        "The four Gepard 3.9 frigates were delivered in two pairs, in 2011 and 2017–2018.",
    ]
    kept, removed = filter_paragraphs(paragraphs, options=OPTIONS)
    assert kept == [paragraphs[0], paragraphs[4]]
    assert removed == {"references": 3}


def test_heading_alone_is_not_a_reference_section() -> None:
    paragraphs = [
        "Sources",
        "Vietnamese and Russian officials both describe the 2012 upgrade as a milestone.",
    ]
    kept, removed = filter_paragraphs(paragraphs, options=OPTIONS)
    assert kept == paragraphs
    assert removed == {}


def test_reference_list_without_heading() -> None:
    citations = [
        f"{n}. Author{n}, A. ({2000 + n}). Title {n}. Journal, {n}(2), 10-20. doi:10.1000/x{n}"
        for n in range(1, 5)
    ]
    paragraphs = ["Russia and Vietnam signed a strategic partnership in 2001.", *citations]
    kept, removed = filter_paragraphs(paragraphs, options=OPTIONS)
    assert kept == paragraphs[:1]
    assert removed == {"references": 4}


def test_single_date_line_is_not_a_comment_thread() -> None:
    paragraphs = [
        "Putin arrives in Hanoi",
        "June 19, 2024",
        "Russian President Vladimir Putin arrived in Hanoi on a state visit.",
        "He met General Secretary Nguyen Phu Trong the next day.",
    ]
    kept, removed = filter_paragraphs(paragraphs, options=OPTIONS)
    assert kept == paragraphs
    assert removed == {}


def test_duplicate_headline_kept_once() -> None:
    kept, removed = filter_paragraphs(
        ["Russia's ties with Vietnam", "Russia's ties with Vietnam", "Body text here."],
        options=OPTIONS,
    )
    assert kept == ["Russia's ties with Vietnam", "Body text here."]
    assert removed == {"duplicate": 1}


def test_hard_wrapped_blocks_are_joined() -> None:
    text = (
        "Vietnam ordered six Project 636.1 submarines from Russia in\n"
        "2009; the boats were delivered between 2014 and 2017 and are\n"
        "based at Cam Ranh Bay, on the south-central coast of the\n"
        "country.\n"
        "\n"
        "Short line one\n"
        "Short line two\n"
    )
    assert split_paragraphs(text) == [
        "Vietnam ordered six Project 636.1 submarines from Russia in 2009; the boats were "
        "delivered between 2014 and 2017 and are based at Cam Ranh Bay, on the south-central "
        "coast of the country.",
        "Short line one",
        "Short line two",
    ]


def test_fallback_to_text_filter_when_trafilatura_finds_nothing() -> None:
    page = (
        "<html><body><footer><p>Cam Ranh Bay hosted the Soviet Pacific Fleet from 1979 "
        "until Russia left in 2002.</p><p>Share</p></footer></body></html>"
    )
    cleaned = clean(page, source="footer.html", is_html=True, options=OPTIONS)
    assert cleaned.method == "text-filter"
    assert cleaned.paragraphs == [
        "Cam Ranh Bay hosted the Soviet Pacific Fleet from 1979 until Russia left in 2002."
    ]
    assert cleaned.removed == {"navigation": 1}


def test_html_to_text_one_line_per_block() -> None:
    text = html_to_text(
        "<html><head><style>p{}</style><script>var x=1;</script></head>"
        "<body><div>First block</div><p>Second <b>block</b></p></body></html>"
    )
    assert split_paragraphs(text) == ["First block", "Second block"]


@pytest.mark.parametrize(
    ("text", "is_html"),
    [
        ("", False),
        ("   \n\n  ", False),
        ("top of page\n\nShare\n\nSubscribe", False),
        ("", True),
        ("<html><body><nav><a href='/'>Home</a></nav></body></html>", True),
    ],
)
def test_no_main_text_raises(text: str, is_html: bool) -> None:
    with pytest.raises(CleanError) as info:
        clean(text, source="menu.txt", is_html=is_html, options=OPTIONS)
    assert str(info.value).startswith("menu.txt: clean failed:")
    assert "\n" not in str(info.value)


def test_bad_pattern_file_is_a_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "boilerplate.yaml"
    bad.write_text(
        "version: 1\nreasons:\n  navigation:\n    lines: ['(unclosed']\nfootnotes: []\n"
        "citation: {threshold: 3, features: []}\nsections: {consent_vocabulary: []}\n",
        "utf-8",
    )
    with pytest.raises(ConfigError, match=r"boilerplate\.yaml"):
        load_rules(bad)


def test_unknown_reason_is_a_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "boilerplate.yaml"
    bad.write_text(
        "version: 1\nreasons:\n  adverts: {}\nfootnotes: []\n"
        "citation: {threshold: 3, features: []}\nsections: {consent_vocabulary: []}\n",
        "utf-8",
    )
    with pytest.raises(ConfigError, match="reasons"):
        load_rules(bad)


def test_article_paragraph_with_a_year_in_parentheses_ends_a_reference_section() -> None:
    article = (
        "After Russia's annexation of Crimea (2014), Vietnam kept buying Russian arms: "
        "it ordered 64 T-90S and T-90SK tanks in 2017, received them in 2019, and "
        "continued to service its six Project 636.1 submarines at Cam Ranh Bay, which "
        "Russian ships also used for port calls; Hanoi abstained in the UN General Assembly "
        "votes on Ukraine in March 2022 and February 2023 instead of voting against Moscow."
    )
    paragraphs = [
        "Vietnam ordered six Project 636.1 submarines from Russia in 2009.",
        "References",
        "1. SIPRI (2024). SIPRI Trade Registers. URL: https://armstrade.sipri.org",
        "2. The Kremlin (2024), June 20. Press statements. URL: http://en.kremlin.ru",
        article,
    ]
    kept, removed = filter_paragraphs(paragraphs, options=OPTIONS)
    assert kept == [paragraphs[0], article]
    assert removed == {"references": 3}


def test_short_headline_repeated_at_the_top_kept_once() -> None:
    kept, removed = filter_paragraphs(
        ["Cam Ranh", "Cam Ranh", "Yes", "Yes", "The base was used by the Soviet Navy from 1979."],
        options=OPTIONS,
    )
    # the headline is deduplicated; short repeated cells further down are content
    assert kept == ["Cam Ranh", "Yes", "Yes", "The base was used by the Soviet Navy from 1979."]
    assert removed == {"duplicate": 1}


def test_table_header_row_is_not_a_menu() -> None:
    rows = [
        "Deliveries of Russian systems to Vietnam, by year of the first unit:",
        "System | Type | Ordered | Delivered",
        "Su-30MK2 | fighter | 2009 | 2011",
        "Project 636.1 | submarine | 2009 | 2014",
    ]
    kept, removed = filter_paragraphs(rows, options=OPTIONS)
    assert kept == rows
    menu = ["Home | World | Asia | Defence | Subscribe", rows[0]]
    kept, removed = filter_paragraphs(menu, options=OPTIONS)
    assert kept == [rows[0]]
    assert removed == {"navigation": 1}


@pytest.mark.parametrize(
    "paragraph",
    [
        "منذ 1950 حتى اليوم",  # "from 1950 until today": a heading, not "N hours ago"
        "حقوق الإنسان في العلاقات الروسية الفيتنامية",  # "human rights in ..."
        "Copyright disputes did not feature in the 2012 talks.",
        "Reply to the sanctions: Hanoi kept its Russian-made fleets in service after 2022.",
        "Russian websites that use cookies were not part of the 2024 agenda, officials said "
        "in Hanoi, where the talks focused on energy, education and the Cam Ranh base.",
    ],
)
def test_article_sentences_are_not_boilerplate(paragraph: str) -> None:
    lead = "Vietnam and Russia established a strategic partnership in 2001 and upgraded it later."
    kept, removed = filter_paragraphs([lead, paragraph, lead + " Again."], options=OPTIONS)
    assert paragraph in kept
    assert removed == {}


def test_sentence_mentioning_cookies_does_not_open_a_consent_section() -> None:
    paragraphs = [
        "Vietnam and Russia established a strategic partnership in 2001 and upgraded it in 2012.",
        "The cookie notice on the ministry's site was in Russian.",
        "The operator of the Russian site said personal data stayed in Russia.",
    ]
    kept, _ = filter_paragraphs(paragraphs, options=OPTIONS)
    assert paragraphs[2] in kept


# --------------------------------------------------------------------------
# The project's real seed documents (read by path, never copied)
# --------------------------------------------------------------------------

SEEDS = shared_dir() / "seeds"
shared = pytest.mark.skipif(not SEEDS.is_dir(), reason=f"{SEEDS} not present")
# what the seeds must lose is derived from the seed files at run time: no text
# from them is written here
_POST_TIME = re.compile(r"\d{4} at \d{1,2}:\d{2}$")


def _seed(prefix: str) -> tuple[list[str], Cleaned]:
    path = next(SEEDS.glob(f"{prefix}_*.txt"))
    raw = path.read_text("utf-8")
    return split_paragraphs(raw), clean(raw, source=path.name, is_html=False, options=OPTIONS)


@pytest.mark.shared
@shared
def test_seed_002_loses_references_labels_and_cookie_notice() -> None:
    lines, cleaned = _seed("002")
    # the reference list: every numbered line with a year in parentheses
    references = [line for line in lines if re.match(r"\d{1,2}\. .*\((19|20)\d{2}", line)]
    assert len(references) >= 40
    for line in references:
        assert line not in cleaned.text
    # the Chinese page labels: every short Han line (read from the seed, not copied here)
    labels = [line for line in lines if re.search("[\u4e00-\u9fff]", line) and len(line) <= 12]
    assert len(labels) >= 5
    assert not re.search("[\u4e00-\u9fff]", cleaned.text)
    # the Russian consent / cookie notice: every Cyrillic paragraph
    cyrillic = [line for line in lines if re.search("[а-яА-Я]{4}", line)]
    assert len(cyrillic) >= 10
    for line in cyrillic:
        assert line not in cleaned.text
    assert not re.search("[а-яА-Я]", cleaned.text)
    assert "cookie" not in cleaned.text
    assert "@" not in cleaned.text
    assert "ORCID" not in cleaned.text
    # the abstract (the longest paragraph before the author block) stays
    abstract = max(lines[:10], key=len)
    assert len(abstract) > 500
    assert abstract in cleaned.paragraphs
    assert cleaned.removed["references"] >= 40
    assert cleaned.removed["cookie"] >= 10


@pytest.mark.shared
@shared
def test_seed_003_loses_reader_comments() -> None:
    lines, cleaned = _seed("003")
    stamps = [i for i, line in enumerate(lines) if _POST_TIME.search(line)]
    assert len(stamps) >= 15
    first_comment = stamps[0]
    for line in lines[first_comment:]:
        assert line not in cleaned.text
    # commenters' names: the short lines just above a post time
    names = {lines[i - 1] for i in stamps if len(lines[i - 1]) <= 30}
    assert names
    for name in names:
        assert name not in cleaned.text
    assert not _POST_TIME.search(cleaned.text)
    # the article before the thread stays, its headline once
    for line in lines[1:first_comment]:
        assert line in cleaned.text
    assert cleaned.text.count(lines[0]) == 1
    assert cleaned.removed["comments"] >= 50


@pytest.mark.shared
@shared
@pytest.mark.parametrize("prefix", ["000", "001", "004"])
def test_seed_article_paragraphs_survive(prefix: str) -> None:
    lines, cleaned = _seed(prefix)
    long_lines = [line for line in lines if len(line) > 200]
    assert len(long_lines) >= 5
    for line in long_lines:
        # footnote markers are stripped, so compare the text before the first one
        head = line.split("[")[0][:150]
        assert head in cleaned.text
    assert "[" not in cleaned.text or prefix == "004"
    if prefix == "004":
        for furniture in ("top of page", "ISSN", "Photo credits", "bottom of page"):
            assert furniture not in cleaned.text


# --------------------------------------------------------------------------
# The evaluation metric (pipeline/evaluate/boilerplate.py)
# --------------------------------------------------------------------------


def test_shingle_scores_match_the_upstream_definition() -> None:
    from pipeline.evaluate.boilerplate import char_tokens, macro_scores, page_counts, word_tokens

    gold = "Vietnam ordered six Project 636.1 submarines from Russia in 2009"
    assert page_counts(gold, gold, word_tokens) == (1.0, 0.0, 0.0)
    tp, fp, fn = page_counts(gold, gold + " Share this article on social media", word_tokens)
    assert fn == 0 and fp > 0 and tp + fp + fn == pytest.approx(1.0)
    # empty prediction: no precision for the page, zero recall
    assert page_counts(gold, "", word_tokens) == (0.0, 0.0, 1.0)
    precision, recall, f1 = macro_scores([(1.0, 0.0, 0.0), (0.0, 0.0, 1.0)])
    assert (precision, recall) == (1.0, 0.5)
    assert f1 == pytest.approx(2 / 3)
    # Chinese is scored on characters, so line wrapping does not matter
    zh = "越南于2009年向俄罗斯订购六艘潜艇"
    assert page_counts(zh, "越南于2009年向\n俄罗斯订购六艘潜艇", char_tokens) == (1.0, 0.0, 0.0)


def test_short_lines_in_a_script_the_page_hardly_uses_are_labels() -> None:
    """An English journal page served with Chinese or Russian interface tabs: the tabs go,
    whatever their words; a short line in the page's own script stays."""
    text = "\n\n".join(
        [
            "Vietnam and Russia: arms, training and the Cam Ranh question",
            "首页",
            "下载PDF",
            "Поделиться",
            "Vietnam received six Project 636.1 submarines from Russia between 2014 and 2017, "
            "and its navy trained crews at Russian schools before each handover.",
            "Key findings",
            "Moscow remains the main supplier of Vietnam's air force, while Hanoi has "
            "diversified its purchases since 2017 toward Israel, India and South Korea.",
        ]
    )
    cleaned = clean(text, source="journal.txt", is_html=False, options=OPTIONS)
    assert "首页" not in cleaned.text and "下载PDF" not in cleaned.text
    assert "Поделиться" not in cleaned.text
    assert "Key findings" in cleaned.paragraphs
    assert cleaned.removed.get("navigation", 0) >= 3
