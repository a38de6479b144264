"""Verdicts: the comparison of a theorem's prediction with a simulation.

Every chapter ends with :func:`check`. It records the numbers (theorem id,
quantity, predicted, observed, tolerance, N, seeds, runtime) in the metadata
of a display output of the executed notebook, under the key :data:`VERDICT_KEY`
(the book renders the text/HTML part of that output), and raises :class:`VerdictError` when the
agreement is outside the tolerance, so that a chapter whose numbers drift from
the theory fails the build. :func:`read_verdicts` collects the records of an
executed notebook for the reproduction status page.
"""

from __future__ import annotations

import dataclasses
import time
from html import escape

from ._validation import check_real

__all__ = ["Verdict", "VerdictError", "VERDICT_KEY", "check", "read_verdicts"]

VERDICT_KEY = "rmtlib_verdict"
_START = time.perf_counter()


class VerdictError(AssertionError):
    """The simulation disagrees with the theory beyond the stated tolerance."""


@dataclasses.dataclass(frozen=True)
class Verdict:
    """One recorded comparison; ``passed`` is ``|observed - predicted| <= tolerance``.

    ``detectable`` is the check's power stated as a number: the smallest relative error
    in the checked quantity that the check rejects with probability at least 0.9 (from
    the tolerance and the statistic's standard error); ``None`` where not stated.
    """

    theorem: str
    quantity: str
    predicted: float
    observed: float
    tolerance: float
    passed: bool
    N: int
    seeds: int
    runtime_s: float
    note: str = ""
    detectable: float | None = None

    def to_text(self) -> str:
        status = "PASS" if self.passed else "FAIL"
        return (
            f"[{status}] {self.theorem} {self.quantity}: predicted {self.predicted:.6g}, "
            f"observed {self.observed:.6g}, |diff| {abs(self.observed - self.predicted):.3g} "
            f"<= tolerance {self.tolerance:.3g}? (N={self.N}, seeds={self.seeds}, "
            f"{self.runtime_s:.1f} s)"
            f"{f'; detects a relative error of {self.detectable:.2g}' if self.detectable is not None else ''}"
            f"{' - ' + self.note if self.note else ''}"
        )


def check(
    theorem: str,
    quantity: str,
    *,
    predicted: float,
    observed: float,
    tolerance: float,
    N: int,
    seeds: int = 1,
    note: str = "",
    detectable: float | None = None,
    display: bool = True,
) -> Verdict:
    """Record one comparison and raise :class:`VerdictError` if it fails.

    ``runtime_s`` is the time since :mod:`rmtlib.verdict` was imported, i.e.
    roughly the notebook's run time when the chapter imports rmtlib first.

    Examples
    --------
    >>> v = check("T1", "KS distance", predicted=0.0, observed=0.01, tolerance=0.05,
    ...           N=100, display=False)
    >>> v.passed
    True
    """
    predicted = check_real(predicted, "predicted")
    observed = check_real(observed, "observed")
    tolerance = check_real(tolerance, "tolerance", positive=True)
    if detectable is not None:
        detectable = check_real(detectable, "detectable", positive=True)
    verdict = Verdict(
        theorem=str(theorem),
        quantity=str(quantity),
        predicted=predicted,
        observed=observed,
        tolerance=tolerance,
        passed=bool(abs(observed - predicted) <= tolerance),
        N=int(N),
        seeds=int(seeds),
        runtime_s=round(time.perf_counter() - _START, 2),
        note=str(note),
        detectable=detectable,
    )
    if display:
        from IPython.display import display as ipy_display

        colour = "#009E73" if verdict.passed else "#D55E00"
        html = (
            f'<div class="rmtlib-verdict" style="border-left:4px solid {colour};padding:0.3em 0.8em">'
            f"{escape(verdict.to_text())}</div>"
        )
        ipy_display(
            {"text/plain": verdict.to_text(), "text/html": html},
            metadata={VERDICT_KEY: dataclasses.asdict(verdict)},
            raw=True,
        )
    if not verdict.passed:
        raise VerdictError(verdict.to_text())
    return verdict


def read_verdicts(notebook) -> list[Verdict]:
    """Return the verdicts recorded in an executed notebook (``nbformat`` node or dict)."""
    found = []
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            record = output.get("metadata", {}).get(VERDICT_KEY)
            if record is not None:
                found.append(Verdict(**record))
    return found
