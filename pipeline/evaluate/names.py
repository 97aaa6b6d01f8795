"""The fuzzy name threshold, measured on the people reference data.

Every form of two or more words of every reference person, in every script, is
given its Latin name (``pipeline.people.latin``; Chinese forms only when written with
a name dot). Pairs of forms of one person should match, pairs of two people never:
the table gives, per threshold, the share of same-person pairs that reach it and
the number of different-person pairs that do (false merges).
"""

from __future__ import annotations

import itertools
from pathlib import Path

from pipeline.evaluate import Report
from pipeline.people import load_people
from pipeline.people.fuzzy import comparable, name_score
from pipeline.people.latin import latin_name
from pipeline.people.models import name_patterns

THRESHOLDS = (70, 75, 80, 82, 85, 88, 90, 95)


def _forms(path: Path | None) -> list[tuple[str, str]]:
    """(person id, Latin name) for every comparable form, once."""
    dots = tuple(name_patterns().chinese_name_dots)
    out: set[tuple[str, str]] = set()
    for person in load_people(path).people:
        out.add((person.id, person.name))
        for lang, forms in person.names.items():
            for form in forms:
                if name_patterns().for_lang(lang).name_parts_joined and not any(
                    d in form for d in dots
                ):
                    continue
                latin = latin_name(form, lang)
                if latin is not None and comparable(latin[0]):
                    out.add((person.id, latin[0]))
    return sorted(out)


def evaluate(path: Path | None = None) -> Report:
    forms = _forms(path)
    same: list[float] = []
    different: list[float] = []
    for (a, name_a), (b, name_b) in itertools.combinations(forms, 2):
        (same if a == b else different).append(name_score(name_a, name_b))
    report = Report(
        title="Fuzzy person-name matching on the people reference data",
        columns=["threshold", "same_person_pairs", "matched", "different_person_pairs", "merged"],
    )
    for threshold in THRESHOLDS:
        matched = sum(s >= threshold for s in same)
        report.rows.append(
            {
                "threshold": threshold,
                "same_person_pairs": len(same),
                "matched": f"{matched / len(same):.3f}" if same else "n/a",
                "different_person_pairs": len(different),
                "merged": sum(s >= threshold for s in different),
            }
        )
    worst = max(different, default=0.0)
    report.notes.append(
        f"{len(forms)} Latin forms. Highest different-person score: {worst:.1f}; the "
        f"configured threshold is {name_patterns().fuzzy_threshold:g} (name_patterns.yaml)."
    )
    return report
