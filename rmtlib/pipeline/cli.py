"""Command line: ``python -m rmtlib run NOTEBOOK``, ``book``, ``sweep CONFIG.yml`` and ``compare RUN.ipynb``.

``run`` executes one chapter with a profile's parameters overridden by ``-p NAME
VALUE`` (values are YAML 1.2 literals: ``-p N 4000`` is an int, ``-p Ns "[500, 1000]"``
a list, ``-p theta_max -1e-3`` a negative float) and by ``--params MAPPING`` (a YAML
mapping, inline or the path of a file), and writes ``<output>/<chapter>.ipynb`` and
``<output>/figures/`` (default output ``_build/runs/<chapter>/``). Parameters are checked
before anything runs; so is the output folder: it must be new, empty or made by an earlier
``run`` (never the notebooks' own folder), and one run at a time writes into it. ``book``
executes every chapter of ``_toc.yml`` (cached by content hash) and renders the
strict offline site into ``_build/html`` (``full``) or ``_build/html-ci`` (``ci``).
``sweep`` is :mod:`rmtlib.pipeline.sweep`'s command (see its documentation); ``compare RUN.ipynb``
sets a rerun against the published book (:mod:`rmtlib.pipeline.compare`).
"""

from __future__ import annotations

import argparse
import re
import signal
import sys
from pathlib import Path

from . import compare, files
from .signals import Terminated, interrupts_raise
from .sweep import cli as sweep_cli

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m rmtlib", description="Rerun a chapter, build the book, or run a parameter sweep."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="execute one chapter notebook with chosen parameters")
    run.add_argument("notebook", help="path of the notebook, or a chapter name such as 01_semicircle")
    run.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="override one parameter (repeatable); VALUE is read as a YAML 1.2 literal",
    )
    # `-p theta_max -1e-3`: a negative number (exponent included) is a value, not an option
    run._negative_number_matcher = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
    run.add_argument(
        "--params",
        metavar="MAPPING",
        default=None,
        help="parameters as a YAML mapping, inline ('{N: 8000, seed: 3}') or the path of a YAML file; "
        "checked like -p, and a name may not be given both here and with -p",
    )
    run.add_argument(
        "--profile",
        choices=["ci", "full"],
        default="full",
        help="the parameter profile from notebooks/profiles.yml to start from (default: full)",
    )
    run.add_argument(
        "--output",
        type=Path,
        default=None,
        help="directory for the executed notebook and its figures (default: _build/runs/<chapter>)",
    )

    book = commands.add_parser(
        "book", help="execute the chapters (cached) and build the site into _build/html (ci: _build/html-ci)"
    )
    book.add_argument(
        "--profile",
        choices=["ci", "full"],
        default="full",
        help="full: the published sizes (default); ci: small sizes, same code path",
    )
    book.add_argument("--root", type=Path, default=Path("."), help="the repository root (default: .)")
    book.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="chapters executed side by side, one BLAS thread each (default: one per core)",
    )
    sweep_cli.add_parser(commands)  # `sweep`: see rmtlib.pipeline.sweep
    compare.add_parser(commands)  # `compare`: see rmtlib.pipeline.compare
    return parser


def _run(args) -> int:
    from ..verdict import noise_line, read_verdicts, summary_line
    from . import runner
    from .parameters import (
        ParameterError,
        chapter_name,
        find_notebook,
        parse_cli_value,
        parse_parameters,
        resolve_parameters,
        shown,
    )

    notebook = find_notebook(args.notebook)
    chapter = chapter_name(notebook)
    overrides = parse_parameters(args.params) if args.params is not None else {}
    for name, value in args.parameter:
        if name in overrides:
            raise ParameterError(f"parameter {shown(name)} is given twice")
        overrides[name] = parse_cli_value(value, name)
    parameters = resolve_parameters(notebook, profile=args.profile, overrides=overrides)
    output_dir = args.output or Path("_build") / "runs" / chapter
    output = output_dir / f"{chapter}.ipynb"
    if output_dir.resolve() == notebook.resolve().parent:
        raise ValueError(
            f"--output {output_dir} would overwrite the source notebook {notebook}: choose another folder"
        )
    files.claim_folder(output_dir, default=args.output is None)
    busy = f"another run is writing into {output_dir}: wait for it to finish or choose another --output"
    with files.exclusive(output_dir / files.MARKER, busy):
        print(f"running {chapter} with {parameters} (profile {args.profile} + overrides)", file=sys.stderr)
        figures = output_dir / "figures"
        nb = runner.execute(notebook, parameters, output, profile=args.profile, figures_dir=figures)
    verdicts = read_verdicts(nb)
    for verdict in verdicts:
        print(verdict.to_text())
    if verdicts:
        print(summary_line(verdicts, verdicts[-1].runtime_s))
        print(noise_line(verdicts))
    record = nb.metadata["rmtlib"]
    print(
        f"executed notebook: {output}\nfigures: {output_dir / 'figures'} ({len(record['figures'])} files)\n"
        f"runtime: {record['runtime_s']:.1f} s"
    )
    return 0


def _book(args) -> int:
    from .site import build_book

    index = build_book(args.root, profile=args.profile, jobs=args.jobs)
    print(f"book built: {index}")
    return 0


def main(argv=None) -> int:
    """Run the command line and return the exit status.

    A refused parameter or a missing file prints one message and returns 2; a
    failing chapter or book build returns 1; Ctrl-C (SIGINT) or SIGTERM prints one line
    and returns 128 + the signal number (the unfinished executed notebook is removed, the
    published site is left as it was).

    Examples
    --------
    >>> main(["run", "no_such_chapter"])  # prints "error: no notebook 'no_such_chapter' ..."
    2
    """
    from .runner import NotebookExecutionError
    from .site import BookError

    args = _parser().parse_args(argv)
    if args.command in ("sweep", "compare"):
        return args.handler(args)
    try:
        with interrupts_raise():
            return _run(args) if args.command == "run" else _book(args)
    except (KeyboardInterrupt, Terminated) as exc:
        signum = exc.signum if isinstance(exc, Terminated) else signal.SIGINT
        kept = "nothing was written" if args.command == "run" else "the site is as it was before this build"
        print(
            f"\nrmtlib {args.command}: interrupted ({signal.Signals(signum).name}); {kept}", file=sys.stderr
        )
        return 128 + signum
    except (ValueError, TypeError, OSError, files.Busy) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (NotebookExecutionError, BookError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
