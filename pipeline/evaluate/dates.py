"""Evaluate date finding and normalisation (``pipeline.dates``) on external sets.

Reads ``shared_dir()/eval/dates/`` (never copied into the repository):

``tempeval``
    TempEval-3 platinum, ``timex3_gold.tsv``: every DATE expression (DCTs left
    out) is normalised with ``normalise_date(text, "en", anchor=DCT)`` and
    compared with the gold TIMEX3 value mapped to our EDTF form:

    ==================  =================================================
    gold TIMEX3 value   canonical form compared against
    ==================  =================================================
    2013-03-22, 2013    unchanged (a ``T...`` time part is cut to the day)
    2013-W12            the week as a day range ``2013-03-18/2013-03-24``
    2012-SU (SP FA WI)  EDTF season ``2012-22`` (21 22 23 24)
    1998-Q3             EDTF quarter ``1998-35`` (33 34 35 36)
    201 / 19            decade ``201X`` / century ``19XX``
    PRESENT_REF         the DCT as a day (we read "now" as the anchor day)
    PAST_REF, FUTURE_   no calendar value: correct only when we return no
    REF, values with X  value either (we must not invent one)
    ==================  =================================================

    The baseline is bare ``dateparser.parse(text)`` (no language, no anchor),
    formatted at the gold value's granularity.
``spans``
    Span detection on the 20 platinum TimeML documents: ``find_dates`` over the
    raw TEXT, strict (same offsets) and relaxed (overlap) match. Recall is over
    gold DATE timexes; a prediction counts as correct when it matches a gold
    timex of any type (TIME, DURATION, SET spans are not false dates).
``wojood``
    Arabic DATE spans of the Wojood public sample (``../ner/ar_wojood_sample``,
    test part, outermost DATE spans, tokens joined by spaces): strict and
    relaxed P/R/F1 of ``find_dates``. Spans only: the corpus has no values.
``dateparser``
    dateparser's own test cases restricted to en/ru/ar/vi/zh: the search
    paragraphs (``test_search_and_parse``, anchor 2000-01-01), the parser cases
    (``test_dates_parsing*``, anchor 2012-11-13) and the relative cases
    (``test_relative_*``/``test_normalized_relative_dates``, anchor 2014-09-01).
    Cases without a language code are assigned one by script (Cyrillic: ru,
    Arabic: ar, Han: zh, Latin with Vietnamese letters: vi, other Latin: en) and
    kept only when dateparser itself parses them in that language (so French or
    Bulgarian cases drop out). The granularity of a case is its ``period`` where the
    case gives one, else dateparser's own period for the string; a match is the
    exact value at that granularity.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path
from typing import Any

from pipeline import lang as registry
from pipeline.dates import DateValue, find_dates, normalise_date, week_range
from pipeline.errors import ConfigError
from pipeline.evaluate import Report, eval_path
from schemas.edtf import parse_or_none

COLUMNS = ["set", "lang", "system", "n", "accuracy", "precision", "recall", "f1", "per_second"]
_SEASONS = {"SP": 21, "SU": 22, "FA": 23, "WI": 24}


def canonical_timex(value: str, dct: dt.date) -> str | None:
    """A TIMEX3 value in the EDTF form ``pipeline.dates`` produces (None: no calendar value)."""
    value = value.strip()
    if value == "PRESENT_REF":
        return dct.isoformat()
    if "X" in value or value.endswith("_REF") or value.startswith("P"):
        return None
    value = value.split("T")[0]
    if m := re.fullmatch(r"(\d{4})-W(\d{2})", value):
        return week_range(dt.date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1))
    if m := re.fullmatch(r"(\d{4})-(SP|SU|FA|WI)", value):
        return f"{m.group(1)}-{_SEASONS[m.group(2)]}"
    if m := re.fullmatch(r"(\d{4})-Q([1-4])", value):
        return f"{m.group(1)}-{32 + int(m.group(2))}"
    if re.fullmatch(r"\d{3}", value):
        return f"{value}X"
    if re.fullmatch(r"\d{2}", value):
        return f"{value}XX"
    if re.fullmatch(r"\d{4}(?:-\d{2}(?:-\d{2})?)?", value):
        return value
    return None


def _at_granularity(day: dt.datetime | dt.date | None, gold: str | None) -> str | None:
    """Format a parsed date the way ``gold`` is written (baseline scoring)."""
    if day is None or gold is None:
        return None
    d = day.date() if isinstance(day, dt.datetime) else day
    value = parse_or_none(gold)
    precision = value.precision if value is not None else None
    if precision == "range":  # gold ranges are weeks
        return week_range(d)
    if precision == "month":
        return f"{d.year:04d}-{d.month:02d}"
    if precision == "year":
        return f"{d.year:04d}"
    return d.isoformat()


def _tempeval_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return [
        r for r in rows
        if r["split"] == "platinum" and r["type"] == "DATE" and r["is_dct"] != "True"
    ]  # fmt: skip


def tempeval_value_accuracy(
    path: Path, baseline: bool = True
) -> tuple[list[dict[str, object]], list[dict[str, Any]]]:
    """Value accuracy rows for ours (and the dateparser baseline), and the list of our misses."""
    import dateparser

    rows = _tempeval_rows(path)
    ours = base = ours_resolvable = resolvable = 0
    misses: list[dict[str, Any]] = []
    predictions: list[DateValue | None] = [
        normalise_date(r["text"], "en", dt.date.fromisoformat(r["dct"])) for r in rows
    ]
    started = time.perf_counter()  # timed on a second, warm pass (patterns compiled)
    for r in rows:
        normalise_date(r["text"], "en", dt.date.fromisoformat(r["dct"]))
    elapsed = time.perf_counter() - started
    for r, pred in zip(rows, predictions, strict=True):
        dct = dt.date.fromisoformat(r["dct"])
        gold = canonical_timex(r["value"], dct)
        got = pred.value if pred is not None else None
        if got == gold:
            ours += 1
        else:
            misses.append({"text": r["text"], "gold": r["value"], "canonical": gold, "got": got})
        if gold is not None:
            resolvable += 1
            ours_resolvable += got == gold
        if baseline:
            base += _at_granularity(dateparser.parse(r["text"]), gold) == gold
    n = len(rows)
    result: list[dict[str, object]] = [
        {"set": "tempeval3-platinum DATE values", "lang": "en", "system": "osintdesk",
         "n": n, "accuracy": ours / n, "per_second": round(n / elapsed) if elapsed else ""},
        {"set": "tempeval3-platinum DATE values (gold has a calendar value)", "lang": "en",
         "system": "osintdesk", "n": resolvable, "accuracy": ours_resolvable / resolvable},
    ]  # fmt: skip
    if baseline:
        result.append(
            {"set": "tempeval3-platinum DATE values", "lang": "en",
             "system": "dateparser.parse (no language, no anchor)", "n": n, "accuracy": base / n}
        )  # fmt: skip
    return result, misses


def _timeml(path: Path) -> tuple[str, list[tuple[int, int, str]]]:
    """Raw TEXT of a TimeML file and its TIMEX3 spans (start, end, type)."""
    root = ET.parse(path).getroot()
    text_el = root.find("TEXT")
    if text_el is None:
        raise ConfigError(f"{path}: no TEXT element")
    parts: list[str] = []
    spans: list[tuple[int, int, str]] = []
    pos = 0

    def walk(el: ET.Element) -> None:
        nonlocal pos
        if el.text:
            parts.append(el.text)
            pos += len(el.text)
        for child in el:
            start = pos
            walk(child)
            if child.tag == "TIMEX3":
                spans.append((start, pos, child.get("type", "")))
            if child.tail:
                parts.append(child.tail)
                pos += len(child.tail)

    walk(text_el)
    return "".join(parts), spans


def span_scores(folder: Path) -> list[dict[str, object]]:
    """Strict and relaxed span P/R/F1 of ``find_dates`` on the TimeML documents."""
    counts = {"strict": [0, 0], "relaxed": [0, 0]}  # [true predictions, found gold]
    n_pred = n_gold = chars = 0
    elapsed = 0.0
    files = sorted(folder.glob("*.tml"))
    for f in files:
        text, gold = _timeml(f)
        dct_match = re.search(r"(\d{8})", f.name)
        anchor = dt.datetime.strptime(dct_match.group(1), "%Y%m%d").date() if dct_match else None
        started = time.perf_counter()
        pred = [(m.start, m.end) for m in find_dates(text, "en", anchor)]
        elapsed += time.perf_counter() - started
        chars += len(text)
        dates = [(s, e) for s, e, t in gold if t == "DATE"]
        n_pred += len(pred)
        n_gold += len(dates)
        for s, e in pred:
            counts["strict"][0] += any((s, e) == (gs, ge) for gs, ge, _ in gold)
            counts["relaxed"][0] += any(s < ge and gs < e for gs, ge, _ in gold)
        for gs, ge in dates:
            counts["strict"][1] += (gs, ge) in pred
            counts["relaxed"][1] += any(s < ge and gs < e for s, e in pred)
    rows: list[dict[str, object]] = []
    for mode, (tp, found) in counts.items():
        p = tp / n_pred if n_pred else 0.0
        r = found / n_gold if n_gold else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        rows.append(
            {"set": f"tempeval3-platinum DATE spans ({mode}, {len(files)} docs)", "lang": "en",
             "system": "osintdesk find_dates", "n": n_gold, "precision": p, "recall": r,
             "f1": f1,
             "per_second": f"{round(chars / elapsed)} chars" if elapsed else ""}
        )  # fmt: skip
    return rows


def _wojood_sentences(path: Path) -> list[tuple[str, list[tuple[int, int]]]]:
    """Sentences of a Wojood IOB2 file (tokens joined by spaces) and their outermost DATE spans."""
    sentences: list[list[tuple[str, list[str]]]] = [[]]
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if not parts:
            if sentences[-1]:
                sentences.append([])
            continue
        if parts[0] != "$#$":  # segment marker
            sentences[-1].append((parts[0], parts[1:]))
    out: list[tuple[str, list[tuple[int, int]]]] = []
    for tokens in (t for t in sentences if t):
        text, offsets = "", []
        for token, _ in tokens:
            text += " " if text else ""
            offsets.append((len(text), len(text) + len(token)))
            text += token
        spans: list[list[int]] = []
        open_span: list[int] | None = None
        for i, (_, tags) in enumerate(tokens):
            inside = "I-DATE" in tags
            if "B-DATE" in tags and not (open_span is not None and inside):
                open_span = [i, i]
                spans.append(open_span)
            elif inside and open_span is not None:
                open_span[1] = i
            else:
                open_span = None
        out.append((text, [(offsets[a][0], offsets[b][1]) for a, b in spans]))
    return out


def wojood_spans(path: Path) -> list[dict[str, object]]:
    """Arabic DATE span P/R/F1 of ``find_dates`` on the Wojood sample (outermost spans)."""
    counts = {"strict": [0, 0], "relaxed": [0, 0]}
    n_pred = n_gold = 0
    for text, gold in _wojood_sentences(path):
        pred = [(m.start, m.end) for m in find_dates(text, "ar", None)]
        n_pred += len(pred)
        n_gold += len(gold)
        for s, e in pred:
            counts["strict"][0] += (s, e) in gold
            counts["relaxed"][0] += any(s < ge and gs < e for gs, ge in gold)
        for gs, ge in gold:
            counts["strict"][1] += (gs, ge) in pred
            counts["relaxed"][1] += any(s < ge and gs < e for s, e in pred)
    rows: list[dict[str, object]] = []
    for mode, (tp, found) in counts.items():
        p = tp / n_pred if n_pred else 0.0
        r = found / n_gold if n_gold else 0.0
        rows.append(
            {"set": f"wojood sample test DATE spans ({mode})", "lang": "ar",
             "system": "osintdesk find_dates", "n": n_gold, "precision": p, "recall": r,
             "f1": 2 * p * r / (p + r) if p + r else 0.0}
        )  # fmt: skip
    return rows


def _granularity_value(when: dt.datetime, period: str) -> str:
    if period == "year":
        return f"{when.year:04d}"
    if period == "month":
        return f"{when.year:04d}-{when.month:02d}"
    if period == "week":
        return week_range(when.date())
    return when.date().isoformat()


def _shift(base: dt.datetime, delta: dict[str, float], sign: int) -> dt.datetime:
    """``base`` moved by dateparser's relativedelta-style ``delta`` (years/months first)."""
    months = sign * int(12 * delta.get("years", 0) + delta.get("months", 0))
    index = base.year * 12 + base.month - 1 + months
    year, month = index // 12, index % 12 + 1
    days_in_month = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    moved = base.replace(year=year, month=month, day=min(base.day, days_in_month))
    rest = {k: sign * v for k, v in delta.items() if k not in ("years", "months")}
    return moved + dt.timedelta(**rest)


_VI_LETTERS = re.compile(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", re.I)


def _script_language(text: str) -> str | None:
    """Our language for a string by its script (None: not one of ours)."""
    if re.search(r"[\u3040-\u30ff\uac00-\ud7af]", text):
        return None  # kana or hangul: Japanese or Korean
    if re.search(r"[\u4e00-\u9fff]", text):
        return "zh"
    if re.search(r"[\u0600-\u06ff]", text):
        return None if re.search(r"[پچژگکیۀ]", text) else "ar"
    if re.search(r"[\u0400-\u04ff]", text):
        if re.search(r"[ўјљњћђџѓќѕӏ]", text, re.I):
            return None  # Belarusian, Serbian, Macedonian...
        return "uk" if re.search(r"[іїєґ]", text, re.I) else "ru"
    if _VI_LETTERS.search(text):
        return "vi"
    return "en" if re.search(r"[A-Za-z]", text) else None


def _case_language(case: dict[str, Any], text: str) -> str | None:
    """The case's own language code, else its script's language when dateparser accepts it.

    Unlabelled cases come from many languages sharing a script (ru/uk/bg, en/fr/es…);
    a case counts for ``lang`` only if dateparser itself parses it with ``languages=[lang]``.
    """
    from dateparser.date import DateDataParser

    if case.get("lang"):
        own = str(case["lang"])
        return own if own in registry.codes() else None
    lang = _script_language(text)
    if lang is None or lang not in registry.codes():
        return None
    if DateDataParser(languages=[lang]).get_date_data(text).date_obj is None:
        return None
    return lang


def dateparser_cases(path: Path) -> list[dict[str, object]]:
    """Per-language exact-match accuracy on dateparser's own test cases."""
    from dateparser.date import DateDataParser

    tally: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    parse_tests = ("test_dates_parsing", "test_dates_parsing_with_normalization")
    relative_tests = (
        "test_relative_past_dates", "test_relative_future_dates", "test_normalized_relative_dates"
    )  # fmt: skip
    with path.open(encoding="utf-8") as fh:
        cases = [json.loads(line) for line in fh if line.strip()]
    for case in cases:
        test, args = case["test"], case["args"]
        if test == "test_search_and_parse":
            lang = case.get("lang")
            if lang not in registry.codes():
                continue
            anchor = dt.date(2000, 1, 1)
            mentions = find_dates(args["string"], lang, anchor)
            for substring, iso in args["expected"]:
                at = args["string"].find(substring)
                period = DateDataParser(languages=[lang]).get_date_data(substring).period
                gold = _granularity_value(dt.datetime.fromisoformat(iso), period or "day")
                hit = [m for m in mentions if m.start < at + len(substring) and at < m.end]
                found = parse_or_none(hit[0].value) if hit else None
                ok = found is not None and (found.text == gold or gold in found.ends)
                tally[("search paragraphs", lang)][0] += int(ok)
                tally[("search paragraphs", lang)][1] += 1
        elif test in parse_tests or test in relative_tests:
            text = args["date_string"]
            lang = _case_language(case, text)
            if lang is None:
                continue
            if test in parse_tests:
                anchor = dt.date(2012, 11, 13)
                when = dt.datetime.fromisoformat(args["expected"])
                period = DateDataParser(languages=[lang]).get_date_data(text).period or "day"
                group = "parser cases"
            else:
                anchor = dt.date(2014, 9, 1)
                base = dt.datetime(2014, 9, 1, 10, 30)
                if "ago" in args:
                    when = _shift(base, args["ago"], -1)
                else:
                    when = _shift(base, args["in_future"], 1)
                period = args.get("period", "day")
                group = "relative cases"
            gold = _granularity_value(when, "day" if period == "time" else period)
            got = normalise_date(text, lang, anchor)
            tally[(group, lang)][0] += int(bool(got and got.value == gold))
            tally[(group, lang)][1] += 1
    rows: list[dict[str, object]] = []
    for (group, lang), (n_ok, n) in sorted(tally.items()):
        rows.append(
            {"set": f"dateparser {group}", "lang": lang, "system": "osintdesk", "n": n,
             "accuracy": n_ok / n if n else 0.0}
        )  # fmt: skip
    return rows


def evaluate(which: str = "all", path: Path | None = None) -> Report:
    """Run the date evaluations: ``which`` is all, tempeval, spans, dateparser or wojood.

    ``path`` replaces ``shared_dir()/eval/dates``; the Wojood sample is read from
    ``<that folder>/../ner/ar_wojood_sample/test.txt``.
    """
    valid = ("all", "tempeval", "spans", "dateparser", "wojood")
    if which not in valid:
        raise ConfigError(f"dates evaluation: unknown set {which!r}; valid: {', '.join(valid)}")
    root = eval_path("dates", path=path)
    report = Report(title="Dates: normalisation and spans", columns=COLUMNS)
    if which in ("all", "tempeval"):
        rows, misses = tempeval_value_accuracy(
            eval_path(path=root / "tempeval3_platinum" / "timex3_gold.tsv")
        )
        report.rows.extend(rows)
        report.notes.append(
            f"TempEval-3 misses ({len(misses)}): "
            + "; ".join(f"{m['text']!r} gold {m['gold']} got {m['got']}" for m in misses)
        )
    if which in ("all", "spans"):
        report.rows.extend(
            span_scores(eval_path(path=root / "tempeval3_platinum" / "te3-platinum"))
        )
    if which in ("all", "dateparser"):
        report.rows.extend(
            dateparser_cases(eval_path(path=root / "dateparser_cases" / "dateparser_cases.jsonl"))
        )
    if which in ("all", "wojood"):
        report.rows.extend(
            wojood_spans(eval_path(path=root.parent / "ner" / "ar_wojood_sample" / "test.txt"))
        )
    report.notes.append(
        "Gold TIMEX3 values are mapped to EDTF (weeks as day ranges, seasons 21-24, quarters "
        "33-36, PRESENT_REF as the DCT day, PAST_REF and X-values as 'no value'); see "
        "pipeline/evaluate/dates.py. per_second: expressions per second (values, second warm "
        "pass) or characters per second (spans), one CPU core of a shared machine."
    )
    return report
