"""``python -m rmtlib sweep CONFIG.yml``: the command line of a sweep, with Ctrl-C and SIGTERM handling."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import warnings

from ..signals import Terminated, interrupts_raise
from .config import SweepConfigError
from .executors import SweepInterrupted, run_sweep
from .store import StoreError

__all__ = ["add_parser", "run_from_args"]


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", help="the sweep's YAML file")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, help="local worker processes (default: all usable cores)")
    where.add_argument(
        "--scheduler", metavar="tcp://HOST:PORT", help="run on this Dask distributed scheduler"
    )
    where.add_argument(
        "--local-cluster", type=int, metavar="N", help="start a Dask LocalCluster of N workers for this sweep"
    )
    parser.add_argument("--store", help="the SQLite store (default: from the config, else NAME.sqlite)")
    parser.add_argument(
        "--connect-timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="wait this long for the scheduler",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


_DESCRIPTION = (
    "Run a grid of parameters x seeds of an experiment or a notebook, on local processes or a Dask "
    "cluster, appending one row per finished task to an SQLite store; rerunning skips finished tasks."
)


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``sweep`` sub-command to an ``argparse`` sub-parsers object.

    The parser's default ``handler`` is :func:`run_from_args`; the caller runs
    ``args.handler(args)`` and uses its return value as exit status.
    """
    parser = subparsers.add_parser("sweep", help="run a parameter sweep", description=_DESCRIPTION)
    _add_arguments(parser)
    parser.set_defaults(handler=run_from_args)
    return parser


def run_from_args(args: argparse.Namespace) -> int:
    """Run the sweep that ``args`` describe.

    Returns the exit status: 0 if every task finished, 1 if some failed, 2 when
    the sweep could not start, 3 when the store could not be written mid-sweep (disk
    full: the rows recorded are intact), 128 + the signal number when interrupted by
    Ctrl-C (SIGINT) or SIGTERM. Messages and warnings are one line each on stderr.
    """
    try:
        with interrupts_raise(), _one_line_warnings():
            summary = run_sweep(
                args.config,
                store=args.store,
                workers=args.workers,
                scheduler=args.scheduler,
                local_cluster=args.local_cluster,
                connect_timeout=args.connect_timeout,
                progress=not args.no_progress,
            )
    except SweepConfigError as exc:
        print(f"rmtlib sweep: error: {exc}", file=sys.stderr)
        return 2
    except StoreError as exc:
        print(f"rmtlib sweep: error: {exc}", file=sys.stderr)
        return 3
    except (KeyboardInterrupt, Terminated) as exc:  # SweepInterrupted, or a signal before the tasks ran
        signum = exc.signum if isinstance(exc, SweepInterrupted | Terminated) else signal.SIGINT
        recorded = exc.recorded if isinstance(exc, SweepInterrupted) else 0
        kept = (
            f"the {recorded} task(s) that finished are in the store"
            if recorded
            else "no task of this run had finished, so none was recorded"
        )
        print(
            f"\nrmtlib sweep: interrupted ({signal.Signals(signum).name}); {kept}: "
            "run the same command again to run the rest",
            file=sys.stderr,
        )
        return 128 + signum
    print(summary.to_text())
    return 1 if summary.failed else 0


@contextlib.contextmanager
def _one_line_warnings():
    """Show warnings (more workers than cores...) as one line each, without the source location."""
    previous = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):
        print(f"rmtlib sweep: warning: {message}", file=sys.stderr)

    warnings.showwarning = show
    try:
        yield
    finally:
        warnings.showwarning = previous
