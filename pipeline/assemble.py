"""A run's JSONL outputs built from its documents' extractions, one document at a time.

:func:`pipeline.link.link_all` links everything in memory; a run of any size instead
hands each document's extraction to an :class:`Assembler` as soon as it is processed.
The mentions and events go to a scratch SQLite file next to the outputs; what linking
decides across documents is computed from small indexes (name keys and ids per person,
the few facts per event the clustering rule compares, dropped once each event's cluster
label is stored in the scratch file); then each output file is written record by record,
reading one group of mentions (or one cluster's events) at a time from the scratch file.
The records are the ones :func:`link_all`, :func:`pipeline.clusters.cluster_records` and
:func:`pipeline.deals.build_deals` give for the same extractions (a test holds them to it,
byte for byte).

Memory: the indexes grow with distinct names and with events (a few hundred bytes each,
while the events are clustered); mentions, evidence, clusters and records are never all
held. The weapon records' names are held while the deals are built, and the reports of one
deal key at a time (deals join reports of one key only: :func:`pipeline.deals.deal_reports`).

Nothing is replaced until every file is written: the files are staged as temporary files
in the output folder and renamed one after the other at the end, so a crash while linking
leaves the previous outputs as they were. The scratch file is a temporary file of the
output folder too (``.scratch.*.tmp``): removed on close, or swept with other stale
temporary files if a killed run left it.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack
from itertools import groupby
from pathlib import Path
from typing import IO, Any, TypeVar

from pydantic import BaseModel

from pipeline.clusters import (
    EventFacts,
    Member,
    cluster_labels,
    cluster_record,
    cluster_summary,
    event_facts,
)
from pipeline.deals import build_deals, deal_reports
from pipeline.extract import (
    DocumentExtraction,
    OrganisationMention,
    PersonMention,
    WeaponMention,
)
from pipeline.link import (
    GroupNames,
    PersonKeys,
    combined_map,
    fuzzy_map,
    organisation_record,
    person_record,
    remap_people,
    weapon_record,
)
from pipeline.write import staged_writer, sweep_stale_temps, temp_file, write_lines
from schemas.records import ClusterRecord, DealRecord, EventCluster, EventRecord, WeaponRecord

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)

#: rows written to the scratch file at a time while records are read from it
_BATCH = 1000

#: the JSONL files a run writes, in the order they are built and renamed
OUTPUTS = ("people", "organisations", "weapons", "events", "clusters", "deals")

_SCHEMA = """
CREATE TABLE documents (doc TEXT PRIMARY KEY, location TEXT NOT NULL);
CREATE TABLE people (doc TEXT, pos INTEGER, raw TEXT, data TEXT);
CREATE TABLE organisations (doc TEXT, pos INTEGER, id TEXT, data TEXT);
CREATE TABLE weapons (doc TEXT, pos INTEGER, id TEXT, data TEXT);
CREATE TABLE events (doc TEXT, pos INTEGER, start INTEGER, id TEXT, data TEXT,
                     source TEXT, stop INTEGER, lang TEXT);
CREATE TABLE person_ids (raw TEXT PRIMARY KEY, final TEXT NOT NULL);
CREATE TABLE event_labels (event INTEGER PRIMARY KEY, label INTEGER NOT NULL);
CREATE TABLE clusters (label INTEGER PRIMARY KEY, id TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE arms (key TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE deals (id TEXT PRIMARY KEY, data TEXT NOT NULL);
"""


class Assembler:
    """Collects extractions (any order, each document once) and writes the outputs.

    Use as a context manager, or call :meth:`close`: the scratch file goes with it.
    """

    def __init__(self, out_dir: Path) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        sweep_stale_temps(out_dir)
        fd, name = temp_file(out_dir, "scratch")  # an empty file is an empty database
        os.close(fd)
        self.path = Path(name)
        self.out_dir = out_dir
        # the flow may call from another thread than the one that opened it; one at a time
        self.db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "temp_store=FILE"):
            self.db.execute(f"PRAGMA {pragma}")
        self.db.executescript(_SCHEMA)
        self.documents = 0

    def __enter__(self) -> Assembler:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()
        self.path.unlink(missing_ok=True)

    def add(self, extraction: DocumentExtraction, location: str) -> None:
        """One document's extraction (reviewer aliases already applied) and the location
        its deals cite. A document id given twice is refused."""
        doc = extraction.document_id
        db = self.db
        db.execute("BEGIN")
        try:
            db.execute("INSERT INTO documents VALUES (?, ?)", (doc, location))
            db.executemany(
                "INSERT INTO people VALUES (?, ?, ?, ?)",
                ((doc, i, p.id, p.model_dump_json()) for i, p in enumerate(extraction.people)),
            )
            db.executemany(
                "INSERT INTO organisations VALUES (?, ?, ?, ?)",
                (
                    (doc, i, o.id, o.model_dump_json())
                    for i, o in enumerate(extraction.organisations)
                ),
            )
            db.executemany(
                "INSERT INTO weapons VALUES (?, ?, ?, ?)",
                ((doc, i, w.id, w.model_dump_json()) for i, w in enumerate(extraction.weapons)),
            )
            db.executemany(
                "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    (
                        doc,
                        i,
                        ev.start,
                        e.id,
                        e.model_dump_json(),
                        ev.document_id,
                        ev.end,
                        ev.language,
                    )
                    for i, e in enumerate(extraction.events)
                    for ev in (e.evidence,)
                ),
            )
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        self.documents += 1

    def _rows(self, sql: str) -> Iterator[tuple[Any, ...]]:
        yield from self.db.execute(sql)

    def _person_ids(self) -> dict[str, str]:
        """Linking's person id map (by name key, then by Latin name), from the mentions in
        document order; also stored in the scratch file for grouping."""
        keys = PersonKeys()
        raw_groups: dict[str, GroupNames] = {}
        for (data,) in self._rows("SELECT data FROM people ORDER BY doc, pos"):
            mention = PersonMention.model_validate_json(data)
            keys.add(mention)
            raw_groups.setdefault(mention.id, GroupNames()).add(mention)
        first = keys.id_map()
        groups: dict[str, GroupNames] = {}
        for raw, names in raw_groups.items():
            groups.setdefault(first.get(raw, raw), GroupNames()).merge(names)
        fuzzy = fuzzy_map(groups)
        mapping = combined_map(first, fuzzy) if fuzzy else first
        self.db.execute("BEGIN")
        self.db.executemany(
            "INSERT INTO person_ids VALUES (?, ?)",
            ((raw, mapping.get(raw, raw)) for raw in raw_groups),
        )
        self.db.execute("COMMIT")
        return mapping

    def _groups(
        self, sql: str, model: type[M], build: Callable[[str, list[M]], BaseModel]
    ) -> Iterator[BaseModel]:
        """Records from mention rows ``(group id, data)`` sorted by group id."""
        for gid, rows in groupby(self._rows(sql), key=lambda row: str(row[0])):
            yield build(gid, [model.model_validate_json(data) for _, data in rows])

    def _people(self) -> Iterator[BaseModel]:
        return self._groups(
            "SELECT i.final, p.data FROM people p JOIN person_ids i ON p.raw = i.raw "
            "ORDER BY i.final, p.doc, p.pos",
            PersonMention,
            person_record,
        )

    def _organisations(self) -> Iterator[BaseModel]:
        return self._groups(
            "SELECT id, data FROM organisations ORDER BY id, doc, pos",
            OrganisationMention,
            organisation_record,
        )

    def _weapons(self, keep: dict[str, WeaponRecord]) -> Iterator[BaseModel]:
        """Weapon records; each one's names (no mentions) kept in ``keep`` for the deals."""
        for record in self._groups(
            "SELECT id, data FROM weapons ORDER BY id, doc, pos", WeaponMention, weapon_record
        ):
            assert isinstance(record, WeaponRecord)
            keep[record.id] = record.model_copy(update={"mentions": []})
            yield record

    def _cluster(self, mapping: dict[str, str]) -> None:
        """Cluster the events (person ids linked): each event's cluster label and each
        cluster's summary go to the scratch file. Only the facts the rule compares are held
        meanwhile, one per event; the summaries are built one cluster at a time."""
        rowids: list[int] = []
        facts: list[EventFacts] = []
        for rowid, data in self._rows(
            "SELECT rowid, data FROM events ORDER BY doc, start, id, pos"
        ):
            rowids.append(rowid)
            facts.append(event_facts(remap_people(EventRecord.model_validate_json(data), mapping)))
        labels = cluster_labels(facts)
        del facts
        members = self._rows(
            "SELECT l.label, e.id, e.source, e.start, e.stop, e.lang FROM event_labels l "
            "JOIN events e ON e.rowid = l.event ORDER BY l.label"
        )

        def summaries() -> Iterator[tuple[int, str, str]]:
            for label, rows in groupby(members, key=lambda row: int(row[0])):
                summary = cluster_summary([Member(*row[1:]) for row in rows])
                yield label, summary.id, summary.model_dump_json()

        self.db.execute("BEGIN")
        self.db.executemany(
            "INSERT INTO event_labels VALUES (?, ?)", zip(rowids, labels, strict=True)
        )
        del rowids, labels
        self.db.executemany("INSERT INTO clusters VALUES (?, ?, ?)", summaries())
        self.db.execute("COMMIT")

    def _events(
        self, mapping: dict[str, str], weapons: dict[str, WeaponRecord]
    ) -> Iterator[EventRecord]:
        """Events sorted by id, person ids linked, each with its cluster's summary; what
        the deals read of each arms event (:func:`deal_reports`, by deal key) goes to the
        scratch file."""
        arms: list[tuple[str, str]] = []
        for data, cluster in self._rows(
            "SELECT e.data, c.data FROM events e JOIN event_labels l ON l.event = e.rowid "
            "JOIN clusters c ON c.label = l.label ORDER BY e.id, e.doc, e.pos"
        ):
            event = remap_people(EventRecord.model_validate_json(data), mapping)
            for key, report in deal_reports(event, weapons):
                arms.append((json.dumps(key), report.model_dump_json()))
            if len(arms) >= _BATCH:
                self.db.executemany("INSERT INTO arms VALUES (?, ?)", arms)
                arms.clear()
            yield event.model_copy(update={"cluster": EventCluster.model_validate_json(cluster)})
        self.db.executemany("INSERT INTO arms VALUES (?, ?)", arms)

    def _deals(self, weapons: dict[str, WeaponRecord]) -> Iterator[DealRecord]:
        """Deal records sorted by id, built one deal key at a time (deals join the reports
        of one key only) into the scratch file, then read back in id order."""
        locations = dict(self._rows("SELECT doc, location FROM documents"))
        systems = list(weapons.values())

        def built() -> Iterator[tuple[str, str]]:
            rows = self._rows("SELECT key, data FROM arms ORDER BY key")
            for _, group in groupby(rows, key=lambda row: str(row[0])):
                events = [EventRecord.model_validate_json(data) for _, data in group]
                for deal in build_deals(events, systems, locations=locations):
                    yield deal.id, deal.model_dump_json()

        self.db.executemany("INSERT INTO deals VALUES (?, ?)", built())
        for (data,) in self._rows("SELECT data FROM deals ORDER BY id"):
            yield DealRecord.model_validate_json(data)

    def _clusters(self) -> Iterator[ClusterRecord]:
        """Cluster records sorted by id, each built from its own events' rows."""
        rows = self._rows(
            "SELECT c.id, c.data, e.id, e.source, e.start, e.stop, e.lang FROM clusters c "
            "JOIN event_labels l ON l.label = c.label JOIN events e ON e.rowid = l.event "
            "ORDER BY c.id"
        )
        for _, group in groupby(rows, key=lambda row: str(row[0])):
            members = list(group)
            summary = EventCluster.model_validate_json(members[0][1])
            yield cluster_record(summary, (Member(*row[2:]) for row in members))

    def write(self) -> dict[str, int]:
        """Write ``people``, ``organisations``, ``weapons``, ``events``, ``clusters`` and
        ``deals`` ``.jsonl`` into the output folder; returns the records per file."""
        mapping = self._person_ids()
        self._cluster(mapping)
        weapons: dict[str, WeaponRecord] = {}
        sources: Mapping[str, Callable[[], Iterable[BaseModel]]] = {
            "people": self._people,
            "organisations": self._organisations,
            "weapons": lambda: self._weapons(weapons),
            "events": lambda: self._events(mapping, weapons),
            "clusters": self._clusters,
            "deals": lambda: self._deals(weapons),
        }
        counts: dict[str, int] = {}
        with ExitStack() as stack:
            commits: list[Callable[[], None]] = []
            for name in OUTPUTS:
                path = self.out_dir / f"{name}.jsonl"
                handle: IO[bytes]
                handle, commit = stack.enter_context(staged_writer(path))
                counts[name] = write_lines(handle, sources[name]())
                commits.append(commit)
            for commit in commits:  # every file complete: now replace the old ones
                commit()
        log.info("%s: outputs of %d documents written", self.out_dir, self.documents)
        return counts
