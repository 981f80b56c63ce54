"""Files that hold residents' data (exports, photos, tables): written mode 0600, or to stdout.

``sunshine cases export`` and ``report stats`` write to ``-o FILE`` or stdout; photos
go to the media folder. An export holds residents' words and contacts, so no file
Sunshine writes with them may be readable by other users of the host.
"""

from __future__ import annotations

import io
import os
import stat
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import click

PRIVATE_FILE_MODE = 0o600


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` with mode 0600, also over a file that was readable by others.

    The mode is set before anything is written, whatever the operator's umask.
    """
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
    with os.fdopen(descriptor, "wb") as out:
        if stat.S_ISREG(os.fstat(descriptor).st_mode):  # not /dev/stdout or a pipe
            os.fchmod(descriptor, PRIVATE_FILE_MODE)
        out.write(data)


output_option = click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write here instead of stdout.",
)


def refuse_binary_to_terminal(fmt: str, output: Path | None) -> None:
    if fmt == "xlsx" and output is None and sys.stdout.isatty():
        raise click.ClickException("an XLSX file is binary: give -o FILE or redirect stdout")


def write_output(output: Path | None, fmt: str, write: Callable[[IO[Any]], None]) -> None:
    """Run ``write`` into a text or (for xlsx) binary buffer, then to ``output`` (mode 0600:
    an export holds residents' words and contacts) or stdout."""
    if fmt == "xlsx":
        binary = io.BytesIO()
        write(binary)
        if output:
            write_private(output, binary.getvalue())
        else:
            click.echo(binary.getvalue(), nl=False)  # bytes go to the binary stdout
        return
    text = io.StringIO(newline="")
    write(text)
    if output:
        write_private(output, text.getvalue().encode("utf-8"))
    else:
        click.echo(text.getvalue(), nl=False)
