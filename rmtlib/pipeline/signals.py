"""Ctrl-C and SIGTERM: the commands end on either with one line, having cleaned up.

Within :func:`interrupts_raise`, SIGTERM raises :class:`Terminated` (as Ctrl-C raises
``KeyboardInterrupt``), so the same cleanup runs for both; once either arrived, what the
libraries log while they unwind (papermill's "Kernel died", asyncio's "Task exception was
never retrieved" for the cell the interrupt cut short) is dropped: the command says what
happened in one line.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading

__all__ = ["QUIET_LOGGERS", "Terminated", "interrupts_raise"]

#: The loggers that report, at length, the consequences of an interrupt.
QUIET_LOGGERS = ("papermill", "asyncio", "traitlets", "nbclient", "distributed")
_received: list[int] = []


class Terminated(Exception):
    """SIGTERM reached the process (raised in the main thread within :func:`interrupts_raise`)."""

    def __init__(self, signum: int = signal.SIGTERM):
        super().__init__(f"terminated by signal {signum}")
        self.signum = signum


def _on_signal(signum, frame):
    _received.append(signum)
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise Terminated(signum)


def _not_after_an_interrupt(record: logging.LogRecord) -> bool:
    return not _received


@contextlib.contextmanager
def interrupts_raise():
    """Within the block, SIGINT raises ``KeyboardInterrupt`` and SIGTERM :class:`Terminated` in the
    main thread, and the :data:`QUIET_LOGGERS` fall silent once one arrived (and stay so while the
    process ends). Outside the main thread: no change."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _received.clear()
    previous = {signum: signal.signal(signum, _on_signal) for signum in (signal.SIGINT, signal.SIGTERM)}
    for name in QUIET_LOGGERS:
        logging.getLogger(name).addFilter(_not_after_an_interrupt)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
