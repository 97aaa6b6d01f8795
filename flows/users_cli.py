"""``osintdesk users …``: who may log in to the review desk, and as what.

Users live in the review store of the output folder (``OUT/review.sqlite``).
Passwords are read from a hidden prompt (asked twice) or, when stdin is not a
terminal, from the first line of stdin; never from the command line, where
other users of the machine could read them in the process list.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from flows.cli_errors import fail, one_line_errors

users_app = typer.Typer(
    help="Users of the review web desk: add, list, remove.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

OutDir = Annotated[
    Path, typer.Option("--out-dir", help="Output folder whose review store holds the users.")
]
DEFAULT_OUT = Path("output")


class RoleChoice(StrEnum):
    reviewer = "reviewer"
    viewer = "viewer"


def read_password(name: str) -> str:
    """The new password: a hidden prompt asked twice on a terminal, else stdin's first line."""
    if sys.stdin.isatty():
        return str(
            typer.prompt(
                f"Password for {name}",
                hide_input=True,
                confirmation_prompt=True,
                err=True,
            )
        )
    line = sys.stdin.readline()
    if not line:
        fail("no password on stdin (pipe one line, or run in a terminal to be asked)")
    return line.rstrip("\r\n")


@users_app.command("add")
@one_line_errors
def add(
    name: Annotated[str, typer.Argument(help="User name (letters, digits, . _ @ -).")],
    role: Annotated[
        RoleChoice,
        typer.Option("--role", help="reviewer (decides) or viewer (reads only)."),
    ],
    replace: Annotated[
        bool,
        typer.Option("--replace", help="Change an existing user's role and password."),
    ] = False,
    out_dir: OutDir = DEFAULT_OUT,
) -> None:
    """Add a user; the password is asked for (or read from stdin), never an argument."""
    from pipeline.review import open_store
    from pipeline.review.users import add_user, name_problem

    problem = name_problem(name)
    if problem:
        fail(f"user {name!r}: {problem}")
    password = read_password(name)
    with open_store(out_dir) as store:
        user = add_user(store, name, role.value, password, replace=replace)
    typer.echo(f"{user.name}\t{user.role}")


@users_app.command("list")
@one_line_errors
def list_(out_dir: OutDir = DEFAULT_OUT) -> None:
    """List users: name, role, when added."""
    from pipeline.review import open_store
    from pipeline.review.users import list_users

    with open_store(out_dir) as store:
        for user in list_users(store):
            typer.echo(f"{user.name}\t{user.role}\t{user.created}")


@users_app.command("remove")
@one_line_errors
def remove(
    name: Annotated[str, typer.Argument(help="User name.")],
    out_dir: OutDir = DEFAULT_OUT,
) -> None:
    """Remove a user: their sessions end; their decisions stay in the log."""
    from pipeline.review import open_store
    from pipeline.review.users import remove_user

    with open_store(out_dir) as store:
        remove_user(store, name)
    typer.echo(f"removed {name}")
