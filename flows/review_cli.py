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
    Path, typer.Option("--out-dir", help="Output folder of the runs (holds review.sqlite).")
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


@contextmanager
def _store(out_dir: Path) -> Iterator[Store]:
    from pipeline.review import open_store, sync_output

    with open_store(out_dir) as store:
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
    """Merge ID1 into ID2: mentions and event references move to ID2."""
    _decide(out_dir, record_id, "merge", reviewer, note, {"into": into})


@review_app.command("split")
@one_line_errors
def split_merge(
    seq: Annotated[int, typer.Argument(help="Sequence number of the merge decision to undo.")],
    reviewer: Reviewer = "cli",
    note: Note = "",
    out_dir: OutDir = DEFAULT_OUT,
) -> None:
    """Undo a wrong merge (by its decision number, see `list --json` or the web page)."""
    from pipeline.review import split

    with _store(out_dir) as store:
        decision = split(store, seq, reviewer=reviewer, note=note)
    typer.echo(f"#{decision.seq} split {decision.record_id} (undoes #{seq})")


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

    options = load_options(config_path(config, Path.cwd())).review
    if login_required(host, options):
        with open_store(out_dir) as store:
            reviewers = [u for u in list_users(store) if u.can_decide]
        if not reviewers:
            raise ReviewError(
                f"the desk on {host} asks for a login but {out_dir} has no reviewer yet:"
                " add one with `osintdesk users add NAME --role reviewer`"
            )
    if host in ("0.0.0.0", "::") and not options.public_hosts:
        typer.echo(
            f"warning: bound to every address, but the Host guard only accepts {host}:{port};"
            " list the names users type in review.public_hosts (osintdesk.yaml)",
            err=True,
        )
    app = create_app(out_dir, bind_host=host, port=port, options=options)
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
) -> None:
    """Export reviewed records as JSON Lines, CSV, followthemoney or the deal register."""
    from pipeline.review import export

    with _store(out_dir) as store:
        result = export(
            store, fmt.value, out, accepted_only=accepted_only, references=references.value
        )
    for path in result.files:
        typer.echo(f"{path}\t{result.counts[path.name]}")
    if result.dropped:
        typer.echo(
            f"dropped {result.dropped} references to people or systems not in the export",
            err=True,
        )
