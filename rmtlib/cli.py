"""Command line: ``python -m rmtlib run NOTEBOOK ...``, ``book ...``, ``sweep CONFIG.yml ...``, ``compare``.

``run`` executes one chapter with a profile's parameters overridden by ``-p NAME
VALUE`` (values are YAML literals: ``-p N 4000`` is an int, ``-p Ns "[500, 1000]"``
a list) and writes ``<output>/<chapter>.ipynb`` and ``<output>/figures/``
(default output ``_build/runs/<chapter>/``). Parameters are checked before
anything runs. ``book`` executes every chapter of ``_toc.yml`` (cached by content
hash) and renders the strict offline site into ``_build/html``. ``sweep`` is
:mod:`rmtlib.sweep`'s command (see its documentation); ``compare RUN.ipynb`` sets a
rerun against the published book (:mod:`rmtlib.pipeline.compare`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import sweep
from .pipeline import compare

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m rmtlib",
        description="Rerun a chapter, build the book, run a sweep, or compare a rerun with the book.",
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
        help="override one parameter (repeatable); VALUE is read as a YAML literal",
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
        "book", help="execute the chapters (cached) and build the site into _build/html"
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
    sweep.add_parser(commands)  # `sweep`: see rmtlib.sweep
    compare.add_parser(commands)  # `compare`: see rmtlib.pipeline.compare
    return parser


def _resolve_notebook(text: str) -> Path:
    path = Path(text)
    if path.suffix != ".ipynb" and not path.exists():
        path = Path("notebooks") / f"{text}.ipynb"
    if not path.is_file():
        raise FileNotFoundError(f"no notebook {text!r} (looked for {path}); chapters live in notebooks/")
    return path


def _run(args) -> int:
    from . import run
    from .verdict import read_verdicts

    notebook = _resolve_notebook(args.notebook)
    chapter = run.chapter_name(notebook)
    overrides = {}
    for name, value in args.parameter:
        if name in overrides:
            raise run.ParameterError(f"parameter {name!r} is given twice")
        overrides[name] = run.parse_cli_value(value)
    parameters = run.resolve_parameters(notebook, profile=args.profile, overrides=overrides)
    output_dir = args.output or Path("_build") / "runs" / chapter
    output = output_dir / f"{chapter}.ipynb"
    print(f"running {chapter} with {parameters} (profile {args.profile} + overrides)", file=sys.stderr)
    nb = run.execute_chapter(
        notebook, output, parameters=parameters, profile=args.profile, figures_dir=output_dir / "figures"
    )
    for verdict in read_verdicts(nb):
        print(verdict.to_text())
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
    failing chapter or book build returns 1.

    Examples
    --------
    >>> main(["run", "no_such_chapter"])  # prints "error: no notebook 'no_such_chapter' ..."
    2
    """
    from .run import NotebookExecutionError
    from .site import BookError

    args = _parser().parse_args(argv)
    if args.command in ("sweep", "compare"):
        return args.handler(args)
    try:
        return _run(args) if args.command == "run" else _book(args)
    except (ValueError, TypeError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (NotebookExecutionError, BookError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
