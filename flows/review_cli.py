"""``osintdesk review …`` and ``osintdesk export``: the review desk from the command line.

Every command loads OUT (``--out-dir``, default ``output``) into the review
store first when its files changed, so decisions always apply to the latest
run. Errors are one line on stderr and exit code 1, never a traceback.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from flows.cli_errors import one_line_errors
from pipeline.errors import ReviewError
from pipeline.review import Store

log = logging.getLogger(__name__)

review_app = typer.Typer(
    help="Review extracted records: list, accept, reject, edit, merge, split, alias, serve.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DEFAULT_OUT = Path("output")

OutDir = Annotated[
    Path,
    typer.Option(
        "--out-dir",
        help="Output folder of the runs (holds review.sqlite, unless store.url names a"
        " PostgreSQL store).",
    ),
]
Reviewer = Annotated[
    str, typer.Option("--reviewer", help="Who decides (stored with the decision).")
]
Note = Annotated[str, typer.Option("--note", help="Why (stored with the decision).")]
RecordId = Annotated[str, typer.Argument(help="Record id, e.g. event:… person:… weapon:…")]


class StatusChoice(StrEnum):
    pending = "pending"
    accepted = "accepted"
    rejected = "rejected"
    changed = "changed"


class TypeChoice(StrEnum):
    event = "event"
    person = "person"
    organisation = "organisation"
    weapon = "weapon"
    deal = "deal"


class References(StrEnum):
    include = "include"
    drop = "drop"


class ExportFormat(StrEnum):
    jsonl = "jsonl"
    csv = "csv"
    ftm = "ftm"
    register = "register"


def store_url() -> str | None:
    """``store.url`` of the project's options (``osintdesk.yaml``, ``OSINTDESK_STORE_URL``):
    the shared PostgreSQL store, or None for ``OUT/review.sqlite``."""
    from pipeline.config import config_path, load_options

    # the project root is the current folder, as for `osintdesk run`'s default manifest
    return load_options(config_path(None, Path.cwd())).store.url


@contextmanager
def _store(out_dir: Path) -> Iterator[Store]:
    from pipeline.review import open_store, sync_output

    with open_store(out_dir, store_url()) as store:
        run = sync_output(store, out_dir)
        if run is not None:
            typer.echo(f"loaded run {run.id}: {run.counts}", err=True)
        yield store


def _decide(
    out_dir: Path,
    record_id: str,
    action: str,
    reviewer: str,
    note: str = "",
    payload: dict[str, Any] | None = None,
) -> None:
    from pipeline.review import decide

    with _store(out_dir) as store:
        decision = decide(
            store,
            record_id,
            action,
            reviewer=reviewer,
            note=note,
            payload=payload,
            base_version=store.version(record_id),
            out_dir=out_dir,
        )
    typer.echo(f"#{decision.seq} {decision.action} {decision.record_id}")


@review_app.command("list")
@one_line_errors
def list_records(
    status: Annotated[
        StatusChoice | None, typer.Option("--status", help="Only records with this status.")
    ] = None,
    rtype: Annotated[
        TypeChoice | None, typer.Option("--type", help="Only records of this type.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON Lines instead of a table.")] = False,
    out_dir: OutDir = DEFAULT_OUT,
) -> None:
    """List records with their review status (orphaned decisions are reported on stderr)."""
    from pipeline.review import review_state

    with _store(out_dir) as store:
        state = review_state(store)
    for rec in sorted(state.survivors(), key=lambda r: (r.type, r.id)):
        if status is not None and rec.status != status.value:
            continue
        if rtype is not None and rec.type != rtype.value:
            continue
        if as_json:
            row = {
                "id": rec.id,
                "type": rec.type,
                "status": rec.status,
                "name": rec.name,
                "version": rec.version,
                "record": rec.data,
                "stale_decisions": [d.seq for d in rec.stale],
            }
            typer.echo(json.dumps(row, ensure_ascii=False, sort_keys=True))
        else:
            typer.echo(f"{rec.status:9} {rec.id:32} {' '.join(rec.name.split())}")
    for d in state.orphaned:
        typer.echo(
            f"orphaned decision #{d.seq}: {d.action} {d.record_id} by {d.reviewer} ({d.at})",
            err=True,
        )


class BulkAction(StrEnum):
    accept = "accept"
    reject = "reject"


Query = Annotated[
    str, typer.Argument(help="Words to find in names, aliases, evidence (any script).")
]
StatusFilter = Annotated[
    StatusChoice | None, typer.Option("--status", help="Only records with this status.")
]
TypeFilter = Annotated[TypeChoice | None, typer.Option("--type", help="Only records of this type.")]
LanguageFilter = Annotated[str, typer.Option("--language", help="Only records in this language.")]
SourceFilter = Annotated[str, typer.Option("--source", help="Site or URL part of a source.")]
DateFilter = Annotated[
    str, typer.Option("--date", help="Events dated within this value (2014, 2014-11, 199X).")
]


def _filters(
    query: str,
    status: StatusChoice | None,
    rtype: TypeChoice | None,
    language: str,
    source: str,
    date: str,
) -> Any:
    from pipeline.review.search import Filters
    from schemas.edtf import parse_or_none

    if date and parse_or_none(date) is None:
        raise ReviewError(f"--date {date!r}: not a date value (2014, 2014-11, 2014-11-27, 201X)")
    return Filters(
        q=query.strip(),
        status=status.value if status else "",
        type=rtype.value if rtype else "",
        language=language.strip(),
        source=source.strip(),
        date=date.strip(),
    )


@review_app.command()
@one_line_errors
def search(
    query: Query = "",
    status: StatusFilter = None,
    rtype: TypeFilter = None,
    language: LanguageFilter = "",
    source: SourceFilter = "",
    date: DateFilter = "",
    page: Annotated[int, typer.Option("--page", help="Page of 50, from 1.")] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="JSON Lines instead of a table.")] = False,
    out_dir: OutDir = DEFAULT_OUT,
) -> None:
    """Search the queue as the web page does: one page of 50 in queue order (an event
    cluster is one row); the count of matches goes to stderr."""
    from pipeline.review.search import queue_page

    filters = _filters(query, status, rtype, language, source, date)
    with _store(out_dir) as store:
        result = queue_page(store, filters, page)
    typer.echo(f"{result.total} records match · page {result.number} of {result.pages}", err=True)
    for rec in result.records:
        if as_json:
            row = {"id": rec.id, "type": rec.type, "status": rec.status, "name": rec.name}
            typer.echo(json.dumps(row, ensure_ascii=False, sort_keys=True))
        else:
            typer.echo(f"{rec.status:9} {rec.id:32} {' '.join(rec.name.split())}")


@review_app.command()
@one_line_errors
def bulk(
    action: Annotated[BulkAction, typer.Argument(help="accept or reject")],
    query: Annotated[str, typer.Option("--q", help="Search words, as in `review search`.")] = "",
    status: StatusFilter = None,
    rtype: TypeFilter = None,
    language: LanguageFilter = "",
    source: SourceFilter = "",
    date: DateFilter = "",
    limit: Annotated[
        int, typer.Option("--limit", help="Refuse when more records than this match.")
    ] = 1000,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only say what would be decided.")
    ] = False,
    reviewer: Reviewer = "cli",
    note: Note = "",
    out_dir: OutDir = DEFAULT_OUT,
) -> None:
    """Accept or reject every record the filter matches (all pages), one decision each in
    one transaction; `review undo` takes the whole action back."""
    from pipeline.review import decide_many
    from pipeline.review.search import queue_page

    filters = _filters(query, status, rtype, language, source, date)
    if not any((filters.q, filters.status, filters.type, filters.language, filters.source, date)):
        raise ReviewError("bulk: give a filter (--q, --status, --type, ...); refusing every record")
    with _store(out_dir) as store:
        result = queue_page(store, filters, 1, size=max(limit, 1))
        if result.total > limit:
            raise ReviewError(
                f"bulk {action.value}: {result.total} records match, more than --limit {limit}"
            )
        if dry_run or not result.records:
            typer.echo(f"would {action.value} {len(result.records)} records")
            return
        batch = decide_many(
            store,
            [(rec.id, rec.version) for rec in result.records],
            action.value,
            reviewer=reviewer,
            note=note,
        )
    typer.echo(f"bulk {batch.id}: {action.value} {len(batch.decisions)} records")


@review_app.command()
@one_line_errors
def undo(
    batch_id: Annotated[
        str, typer.Argument(help="The bulk action to undo (default: your last one).")
    ] = "",
    reviewer: Reviewer = "cli",
    out_dir: OutDir = DEFAULT_OUT,
) -> None:
    """Take back a bulk accept or reject: one undo entry per record in the log."""
    from pipeline.review import last_batch, undo_batch

    with _store(out_dir) as store:
        if not batch_id:
            batch = last_batch(store, reviewer)
            if batch is None or batch.undone:
                raise ReviewError(f"undo: {reviewer} has no bulk action left to undo")
            batch_id = batch.id
        undone = undo_batch(store, batch_id, reviewer=reviewer)
    typer.echo(f"undid bulk {batch_id}: {len(undone)} records")


@review_app.command()
@one_line_errors
def accept(
    record_id: RecordId, reviewer: Reviewer = "cli", note: Note = "", out_dir: OutDir = DEFAULT_OUT
) -> None:
    """Accept a record as extracted (or as edited)."""
    _decide(out_dir, record_id, "accept", reviewer, note)


@review_app.command()
@one_line_errors
def reject(
    record_id: RecordId, reviewer: Reviewer = "cli", note: Note = "", out_dir: OutDir = DEFAULT_OUT
) -> None:
    """Reject a record: it is left out of published files and exports."""
    _decide(out_dir, record_id, "reject", reviewer, note)


@review_app.command()
@one_line_errors
def edit(
    record_id: RecordId,
    changes: Annotated[
        list[str],
        typer.Option(
            "--set",
            help="field=value; events: date, date_precision, type, quantity, people, weapons"
            " (ids separated by ;); people: name, canonical, known, roles; weapons: name,"
            " canonical, category, family, origin; deals: status, number_ordered, order_date,"
            " number_delivered, supplier, recipient, comments.",
        ),
    ],
    reviewer: Reviewer = "cli",
    note: Note = "",
    out_dir: OutDir = DEFAULT_OUT,
) -> None:
    """Correct fields of a record (e.g. --set date=2014-11 --set type=arms_order)."""
    fields: dict[str, str] = {}
    for change in changes:
        name, sep, value = change.partition("=")
        if not sep or not name.strip():
            raise ReviewError(f"--set {change!r}: expected field=value")
        fields[name.strip()] = value
    _decide(out_dir, record_id, "edit", reviewer, note, {"set": fields})


@review_app.command()
@one_line_errors
def merge(
    record_id: Annotated[str, typer.Argument(help="The record merged away (ID1).")],
    into: Annotated[str, typer.Argument(help="The surviving record (ID2).")],
    reviewer: Reviewer = "cli",
    note: Note = "",
    out_dir: OutDir = DEFAULT_OUT,
) -> None:
    """Merge ID1 into ID2: mentions and event references move to ID2. Two events (or event
    clusters): their clusters become one real-world event."""
    _decide(out_dir, record_id, "merge", reviewer, note, {"into": into})


@review_app.command("split")
@one_line_errors
def split_merge(
    targets: Annotated[
        list[str],
        typer.Argument(
            help="The number of a merge decision to undo, or event ids: those reports leave"
            " their event cluster and become an event of their own.",
        ),
    ],
    reviewer: Reviewer = "cli",
    note: Note = "",
    out_dir: OutDir = DEFAULT_OUT,
) -> None:
    """Undo a wrong merge (by its decision number), or split reports off an event cluster."""
    from pipeline.review import split
    from pipeline.review.clusters import decide_cluster, members_of

    with _store(out_dir) as store:
        if len(targets) == 1 and targets[0].isdigit():
            decision = split(store, int(targets[0]), reviewer=reviewer, note=note)
            typer.echo(f"#{decision.seq} split {decision.record_id} (undoes #{targets[0]})")
            return
        cid, _ = members_of(store, targets[0])
        decision = decide_cluster(
            store,
            cid,
            "split",
            reviewer=reviewer,
            note=note,
            payload={"events": targets},
            base_version=store.version(cid),
        )
    typer.echo(f"#{decision.seq} split {len(targets)} reports off {decision.record_id}")


@review_app.command()
@one_line_errors
def alias(
    record_id: RecordId,
    name: Annotated[str, typer.Argument(help="Another name of the person or weapons system.")],
    reviewer: Reviewer = "cli",
    note: Note = "",
    out_dir: OutDir = DEFAULT_OUT,
) -> None:
    """Add an alias; also written to OUT/reference_overrides.yaml for the next runs."""
    _decide(out_dir, record_id, "alias", reviewer, note, {"name": name})


@review_app.command()
@one_line_errors
def publish(out_dir: OutDir = DEFAULT_OUT) -> None:
    """Write OUT/reviewed/people|weapons|events.jsonl with all decisions applied."""
    from pipeline.review import publish as publish_files

    with _store(out_dir) as store:
        for path in publish_files(store, out_dir):
            typer.echo(str(path))


@review_app.command()
@one_line_errors
def serve(
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8765,
    host: Annotated[
        str,
        typer.Option(
            "--host", help="Address to bind; any but loopback needs users (osintdesk users add)."
        ),
    ] = "127.0.0.1",
    out_dir: OutDir = DEFAULT_OUT,
    config: Annotated[
        Path | None,
        typer.Option("--config", help="Options file (default: osintdesk.yaml here, if any)."),
    ] = None,
) -> None:
    """Serve the review web desk (queue, records, timeline) on HOST:PORT.

    A login is asked for when HOST is not loopback, or when review.require_login is set.
    """
    import uvicorn

    from flows.web import create_app
    from flows.web.auth import login_required
    from pipeline.config import config_path, load_options
    from pipeline.review import open_store
    from pipeline.review.users import list_users

    loaded = load_options(config_path(config, Path.cwd()))
    options, url = loaded.review, loaded.store.url
    if login_required(host, options):
        with open_store(out_dir, url) as store:
            reviewers = [u for u in list_users(store) if u.can_decide]
        if not reviewers:
            raise ReviewError(
                f"the desk on {host} asks for a login but its store has no reviewer yet:"
                " add one with `osintdesk users add NAME --role reviewer`"
            )
    if host in ("0.0.0.0", "::") and not options.public_hosts:
        typer.echo(
            f"warning: bound to every address, but the Host guard only accepts {host}:{port};"
            " list the names users type in review.public_hosts (osintdesk.yaml)",
            err=True,
        )
    app = create_app(out_dir, bind_host=host, port=port, options=options, store_url=url)
    login = "login required" if login_required(host, options) else "no login"
    typer.echo(f"review desk on http://{host}:{port}/ ({login})", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")


def export_command(
    fmt: Annotated[
        ExportFormat,
        typer.Option("--format", help="jsonl, csv, ftm or register (one row per deal)."),
    ],
    out: Annotated[Path, typer.Option("--out", help="Folder to write the export into.")],
    accepted_only: Annotated[
        bool, typer.Option("--accepted-only", help="Only records a reviewer accepted.")
    ] = False,
    references: Annotated[
        References,
        typer.Option(
            "--references",
            help="ftm: people and systems an exported event names but that are not exported"
            " themselves (--accepted-only): include them, or drop the reference (counted).",
        ),
    ] = References.include,
    out_dir: OutDir = DEFAULT_OUT,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress display, only the summary.")
    ] = False,
) -> None:
    """Export reviewed records as JSON Lines, CSV, followthemoney or the deal register."""
    from flows.progress import reporter_for, reporting
    from pipeline.review import export

    with _store(out_dir) as store, reporting(reporter_for(quiet)) as report:
        result = export(
            store,
            fmt.value,
            out,
            accepted_only=accepted_only,
            references=references.value,
            on_stage=report.stage,
            on_step=report.advance,
        )
    for path in result.files:
        typer.echo(f"{path}\t{result.counts[path.name]}")
    if result.dropped:
        typer.echo(
            f"dropped {result.dropped} references to people or systems not in the export",
            err=True,
        )
