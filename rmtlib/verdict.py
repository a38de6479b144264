"""Verdicts: the comparison of a theorem's prediction with a simulation.

Every chapter ends with one cell of the same shape::

    specs = <chapter module>.<subject>_verdicts(...)
    verdicts = [check(**spec) for spec in specs]
    verdict_table(verdicts)

:func:`check` records one comparison and returns it (it neither displays nor raises).
:func:`verdict_table` displays the chapter's verdicts as one table (quantity, predicted,
observed, tolerance, margin, power, pass/fail) with the summary line "N of N verdicts
passed" and the chapter's runtime; the display output carries the records in its
metadata under :data:`VERDICT_KEY`, and a plain-text form for the command line. It then
raises :class:`VerdictError` naming every failed verdict, so that a chapter whose numbers
drift from the theory fails the build. :func:`read_verdicts` collects the records of an
executed notebook for the reproduction status page.

A verdict's ``detectable`` is stated in the quantity it checks. Its power against a wrong model,
the noise variance ``sigma^2 (1 + delta)``, is stated by ``noise_shift`` and ``standard_error``;
:func:`noise_variance_power` and :func:`noise_variance_detectable` combine a chapter's verdicts
into one figure, which the table's summary states.
"""

from __future__ import annotations

import dataclasses
import math
import time
from html import escape

from ._validation import check_real

__all__ = [
    "Verdict",
    "VerdictError",
    "VERDICT_KEY",
    "check",
    "noise_variance_detectable",
    "noise_variance_power",
    "read_verdicts",
    "verdict_table",
]

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

    ``noise_shift`` and ``standard_error`` state the check's power against a wrong noise
    variance ``sigma^2 -> sigma^2 (1 + delta)``: ``observed - predicted`` moves by
    ``noise_shift * delta`` (first order) and fluctuates with ``standard_error`` under the
    model (0: a conservative step, see :meth:`noise_power`), estimated from the data with
    ``noise_dof`` degrees of freedom where it is a Student test (``None``: known). ``None``: the
    statistic does not move at first order (a count) or its power is not stated.
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
    noise_shift: float | None = None
    standard_error: float | None = None
    noise_dof: float | None = None

    @property
    def noise_sensitive(self) -> bool:
        """Whether the check states a nonzero first-order response to the noise variance."""
        return bool(self.noise_shift) and self.standard_error is not None

    def noise_power(self, delta: float) -> float:
        """Probability that this check fails when the noise variance is ``sigma^2 (1 + delta)``.

        ``observed - predicted`` is taken Gaussian with mean ``noise_shift * delta`` and
        standard deviation ``standard_error``; the check fails when its size exceeds the
        tolerance (the finite-N bias allowance inside the tolerance is taken as spent on
        nothing: the statistic's own bias is neglected). With ``noise_dof`` (a Student test whose
        tolerance is a quantile times the estimated standard error) the power is the noncentral
        t law's, noncentrality ``noise_shift * delta / standard_error``. With ``standard_error`` 0
        the power is a step: 1 once ``|noise_shift * delta|`` exceeds the tolerance, else 0 (the
        conservative form of a Kolmogorov check, whose shift is half the law's distance). 0 where
        not sensitive.
        """
        if not self.noise_sensitive:
            return 0.0
        shift = abs(self.noise_shift * delta)
        if self.standard_error == 0:
            return 1.0 if shift > self.tolerance else 0.0
        se = self.standard_error
        if self.noise_dof is not None:
            from scipy import stats

            quantile, nc = self.tolerance / se, shift / se
            dof = self.noise_dof
            upper, lower = stats.nct.sf(quantile, dof, nc), stats.nct.sf(quantile, dof, -nc)
            return float(upper + (lower if math.isfinite(lower) else 0.0))  # lower: the other tail, tiny
        tol = self.tolerance
        return float(_normal_cdf((shift - tol) / se) + _normal_cdf((-shift - tol) / se))

    @property
    def noise_detectable(self) -> float | None:
        """The smallest ``delta > 0`` with :meth:`noise_power` at least 0.9 (either sign; the
        first-order power is even in ``delta``); ``None`` where not sensitive."""
        if not self.noise_sensitive:
            return None
        slope = abs(self.noise_shift)
        if self.standard_error == 0:
            return self.tolerance / slope
        low, high = 0.0, (self.tolerance + 10.0 * self.standard_error) / slope
        while self.noise_power(high) < 0.9:  # few degrees of freedom need more than 10 se
            high *= 2
        for _ in range(60):  # bisection on the increasing power, to a relative 1e-18
            middle = 0.5 * (low + high)
            low, high = (middle, high) if self.noise_power(middle) < 0.9 else (low, middle)
        return high

    @property
    def margin(self) -> float:
        """``|observed - predicted| / tolerance``: below 1 passes, the smaller the easier."""
        return abs(self.observed - self.predicted) / self.tolerance

    def to_text(self) -> str:
        """One line for the command line, e.g. ``[PASS] T1 KS distance: predicted 0, ...``."""
        status, relation = ("PASS", "within") if self.passed else ("FAIL", "beyond")
        power = f"; detects a relative error of {self.detectable:.2g}" if self.detectable is not None else ""
        if self.noise_sensitive:
            power += f", a noise-variance error of {self.noise_detectable:.2g}"
        note = f". {self.note}" if self.note else ""
        return (
            f"[{status}] {self.theorem} {self.quantity}: predicted {self.predicted:.6g}, "
            f"observed {self.observed:.6g}, |diff| {abs(self.observed - self.predicted):.3g} "
            f"{relation} tolerance {self.tolerance:.3g} (margin {self.margin:.2f}; N={self.N}, "
            f"seeds={self.seeds}{power}){note}"
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
    noise_shift: float | None = None,
    standard_error: float | None = None,
    noise_dof: float | None = None,
) -> Verdict:
    """Record one comparison and return it; :func:`verdict_table` shows and enforces it.

    ``runtime_s`` is the time since :mod:`rmtlib.verdict` was imported, i.e.
    roughly the notebook's run time when the chapter imports rmtlib first.

    Examples
    --------
    >>> v = check("T1", "KS distance", predicted=0.0, observed=0.01, tolerance=0.05, N=100)
    >>> v.passed, round(v.margin, 2)
    (True, 0.2)
    """
    predicted = check_real(predicted, "predicted")
    observed = check_real(observed, "observed")
    tolerance = check_real(tolerance, "tolerance", positive=True)
    if detectable is not None:
        detectable = check_real(detectable, "detectable", positive=True)
    if noise_shift is not None:
        noise_shift = check_real(noise_shift, "noise_shift")
    if standard_error is not None:
        standard_error = check_real(standard_error, "standard_error", nonnegative=True)
    if noise_dof is not None:
        noise_dof = check_real(noise_dof, "noise_dof", positive=True)
    return Verdict(
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
        noise_shift=noise_shift,
        standard_error=standard_error,
        noise_dof=noise_dof,
    )


def _normal_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def noise_variance_power(verdicts, delta: float) -> float:
    """A lower bound on the probability that at least one of ``verdicts`` fails when the noise
    variance is ``sigma^2 (1 + delta)``: the largest single-verdict :meth:`Verdict.noise_power`.

    The verdicts of a chapter share their data (a pooled location error and its chi-square
    come from the same outliers), so the chance that one of them fails is at least that of
    each, whatever their dependence; the product rule for independent checks would overstate it.

    Examples
    --------
    >>> v = check("T", "q", predicted=0.0, observed=0.0, tolerance=3.29, N=10,
    ...           noise_shift=100.0, standard_error=1.0)
    >>> round(noise_variance_power([v], 0.0458), 2)
    0.9
    """
    delta = check_real(delta, "delta")
    return max((v.noise_power(delta) for v in verdicts), default=0.0)


def noise_variance_detectable(verdicts) -> float | None:
    """The chapter's power against a wrong noise variance: the smallest ``delta > 0`` at which
    :func:`noise_variance_power` reaches 0.9 for ``+delta`` and ``-delta`` (the smallest
    :attr:`Verdict.noise_detectable`); ``None`` where no verdict is sensitive."""
    found = [v.noise_detectable for v in verdicts if v.noise_sensitive]
    return min(found) if found else None


def _number(value: float) -> str:
    return f"{value:.4g}".replace("e-0", "e-").replace("e+0", "e+")


def summary_line(verdicts, runtime_s: float) -> str:
    """``"8 of 8 verdicts passed (chapter runtime 12.3 s)"``."""
    passed = sum(v.passed for v in verdicts)
    return f"{passed} of {len(verdicts)} verdicts passed (chapter runtime {runtime_s:.1f} s)"


def noise_line(verdicts) -> str:
    """``"Together the verdicts reject a noise-variance error of 4.6% (either sign) ..."``."""
    delta = noise_variance_detectable(verdicts)
    if delta is None:
        return "No verdict of this chapter states its power against an error in the noise variance."
    return (
        f"Together the verdicts reject an error of {100 * delta:.2g}% in the noise variance "
        "(either sign) with probability at least 0.9 (first order; the best single verdict)."
    )


_HEAD = ("quantity", "predicted", "observed", "tolerance", "margin |diff| / tolerance", "detects", "result")


def _words(text: str) -> str:
    """``text`` escaped, each word with a bracket, slash or hyphen kept on one line
    (a browser may otherwise break ``sqrt(N)(lambda_1`` between its brackets)."""
    return " ".join(
        f'<span class="rmtlib-nobr">{escape(word)}</span>'
        if any(c in word for c in "()[]/-")
        else escape(word)
        for word in text.split(" ")
    )


def _html_row(v: Verdict) -> str:
    details = f"N = {v.N:,}, {v.seeds} seed{'s' if v.seeds != 1 else ''}"
    note = f"<br><small>{escape(v.note)}</small>" if v.note else ""
    result = "pass" if v.passed else "FAIL"
    cells = (
        f"<b>{escape(v.theorem)}</b> {_words(v.quantity)} <small>({details})</small>{note}",
        _number(v.predicted),
        _number(v.observed),
        _number(v.tolerance),
        f"{v.margin:.2f}",
        "—" if v.detectable is None else f"{v.detectable:.2g}",
        result,
    )
    tds = "".join(
        f'<td data-label="{escape(label)}" class="{"rmtlib-q" if i == 0 else "rmtlib-n"}">{cell}</td>'
        for i, (label, cell) in enumerate(zip(_HEAD, cells, strict=True))
    )
    return f'<tr class="{"rmtlib-pass" if v.passed else "rmtlib-fail"}">{tds}</tr>'


def verdict_html(verdicts, runtime_s: float) -> str:
    """The chapter's verdicts as one HTML table, its summary line above it."""
    head = "".join(f"<th>{escape(h)}</th>" for h in _HEAD)
    rows = "\n".join(_html_row(v) for v in verdicts)
    unstated = (
        "<p class='rmtlib-verdict-key'>detects: the smallest relative error in the quantity that the "
        "check rejects with probability at least 0.9; — where the check states no power.</p>"
        if any(v.detectable is None for v in verdicts)
        else "<p class='rmtlib-verdict-key'>detects: the smallest relative error in the quantity that "
        "the check rejects with probability at least 0.9.</p>"
    )
    return (
        "<div class='rmtlib-verdicts-wrap'>"
        f"<p class='rmtlib-verdict-summary'><b>{escape(summary_line(verdicts, runtime_s))}</b> "
        f"{escape(noise_line(verdicts))}</p>"
        f"<table class='rmtlib-verdicts'><thead><tr>{head}</tr></thead><tbody>\n{rows}\n</tbody></table>"
        f"{unstated}</div>"
    )


def verdict_table(verdicts) -> None:
    """Display the chapter's verdicts as one table, then raise if any failed.

    The output holds the HTML table, a plain-text form (one line per verdict and the
    summary line) and, in its metadata under :data:`VERDICT_KEY`, the list of records
    (each with the chapter's runtime at this call), which :func:`read_verdicts` reads.

    Raises
    ------
    VerdictError
        Naming every failed verdict.
    """
    from IPython.display import display

    verdicts = list(verdicts)
    if not verdicts or not all(isinstance(v, Verdict) for v in verdicts):
        raise TypeError("verdicts must be a non-empty list of Verdict (the results of check)")
    runtime_s = round(time.perf_counter() - _START, 2)
    verdicts = [dataclasses.replace(v, runtime_s=runtime_s) for v in verdicts]
    lines = [*(v.to_text() for v in verdicts), noise_line(verdicts), summary_line(verdicts, runtime_s)]
    text = "\n".join(lines)
    display(
        {"text/plain": text, "text/html": verdict_html(verdicts, runtime_s)},
        metadata={VERDICT_KEY: [dataclasses.asdict(v) for v in verdicts]},
        raw=True,
    )
    failed = [v for v in verdicts if not v.passed]
    if failed:
        raise VerdictError(
            f"{len(failed)} of {len(verdicts)} verdicts failed:\n" + "\n".join(v.to_text() for v in failed)
        )


def read_verdicts(notebook) -> list[Verdict]:
    """Return the verdicts recorded in an executed notebook (``nbformat`` node or dict)."""
    found = []
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            records = output.get("metadata", {}).get(VERDICT_KEY)
            if isinstance(records, dict):  # one record per output (notebooks executed before tables)
                records = [records]
            found.extend(Verdict(**record) for record in records or [])
    return found
