"""Argument checks shared by every module.

Each check names the offending parameter and the accepted range, so that a user
mistake is reported at the call site and never as a traceback from deep inside
numpy.
"""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse

__all__ = []  # private module


def check_generator(rng, name: str = "rng") -> np.random.Generator:
    """Return ``rng`` if it is a ``numpy.random.Generator``, else raise ``TypeError``."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"{name} must be a numpy.random.Generator (e.g. numpy.random.default_rng(0)), "
            f"got {type(rng).__name__}"
        )
    return rng


def check_int(value, name: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` as ``int``; refuse bools, floats and values outside ``[minimum, maximum]``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return value


def check_real(
    value,
    name: str,
    *,
    positive: bool = False,
    nonnegative: bool = False,
    minimum: float | None = None,
    maximum: float | None = None,
) -> float:
    """Return ``value`` as a finite ``float`` within the stated bounds."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r} ({type(value).__name__})")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if positive and value <= 0:
        raise ValueError(f"{name} must be > 0, got {value}")
    if nonnegative and value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return value


#: Largest (and, inverted, smallest) scale of a noise level accepted by the laws: their
#: formulas use ``sigma^2`` and ``sigma^4``, which stay inside floating point within it.
MAX_SCALE = 1e100


def _check_within(value, name: str, bound: float, why: str) -> float:
    """Return ``value`` as a positive float in ``[1/bound, bound]``, or refuse it saying ``why``."""
    value = check_real(value, name, positive=True)
    if not 1 / bound <= value <= bound:
        raise ValueError(f"{name} = {value:g} is outside [{1 / bound:g}, {bound:g}]: {why}")
    return value


def check_scale(value, name: str) -> float:
    """Return ``value`` as a float in ``[1/MAX_SCALE, MAX_SCALE]``: a scale whose powers stay finite."""
    return _check_within(
        value, name, MAX_SCALE,
        f"at that scale its square leaves the floating-point range; express the data in units in which "
        f"{name} is of order 1",
    )


#: Largest (and, inverted, smallest) aspect ratio accepted by the rectangular law: its support
#: has a relative width ``~ 4 / sqrt(gamma)``, and at ``gamma = 1e8`` its cdf is still right to
#: about ``1e-8``.
MAX_ASPECT = 1e8


def check_aspect_ratio(value, name: str) -> float:
    """Return ``value`` as a float in ``[1/MAX_ASPECT, MAX_ASPECT]``."""
    return _check_within(
        value, name, MAX_ASPECT,
        "the law's support is then narrower than floating point resolves relative to its location",
    )


#: Largest ratio of a singular value of the signal to the noise level accepted by the rectangular
#: law: the component of the law around an isolated squared singular value ``t`` has a relative
#: width ``~ sigma / sqrt(t)``, which floating point no longer resolves far beyond it.
MAX_SIGNAL_TO_NOISE = 1e10


def check_signal_to_noise(values: np.ndarray, name: str, sigma: float) -> np.ndarray:
    """Refuse nonnegative singular values ``values`` above ``MAX_SIGNAL_TO_NOISE`` times ``sigma``."""
    top = float(np.max(values, initial=0.0))
    if top > MAX_SIGNAL_TO_NOISE * sigma:
        raise ValueError(
            f"{name} must be at most {MAX_SIGNAL_TO_NOISE:g} times sigma = {sigma:g} (got max {top:g}): "
            f"the noise is then below what floating point resolves next to the signal"
        )
    return values


def as_real_array(value, name: str) -> np.ndarray:
    """Return ``value`` as a float array; refuse complex numbers (never drop an imaginary part).

    No pass over the values: callers that skip validation for speed still get this.
    """
    if scipy.sparse.issparse(value):
        raise TypeError(
            f"{name} must be a dense array: scipy sparse matrices are not supported "
            f"(pass {name}.toarray(), or use scipy.sparse.linalg.eigsh directly)"
        )
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of numbers: {exc}") from None
    if arr.dtype.kind == "c" or (arr.dtype.kind == "O" and any(isinstance(v, complex) for v in arr.flat)):
        raise TypeError(
            f"{name} must be real, got complex values (dtype {arr.dtype}); rmtlib works with real "
            f"symmetric matrices and real spectra: pass the real part explicitly if that is what you mean"
        )
    try:
        return arr.astype(float, copy=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of numbers: {exc}") from None


def check_array(value, name: str, *, ndim: int | None = None, min_size: int = 0) -> np.ndarray:
    """Return ``value`` as a finite real float array with the given number of dimensions."""
    arr = as_real_array(value, name)
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {arr.shape}")
    if arr.size < min_size:
        raise ValueError(f"{name} must have at least {min_size} entries, got {arr.size}")
    # min and max carry any NaN or inf along: two passes, no N x N boolean array
    if arr.size and not (np.isfinite(arr.min()) and np.isfinite(arr.max())):
        raise ValueError(f"{name} must contain only finite values (found NaN or inf)")
    return arr


def check_complex_array(value, name: str) -> np.ndarray:
    """Return ``value`` as a finite complex array (points of the complex plane)."""
    try:
        arr = np.asarray(value, dtype=complex)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of numbers: {exc}") from None
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite values (found NaN or inf)")
    return arr


def check_symmetric(matrix, name: str, *, rtol: float = 1e-10) -> np.ndarray:
    """Return ``matrix`` as a finite square symmetric float array; refuse anything else."""
    arr = check_array(matrix, name, ndim=2)
    if arr.shape[0] != arr.shape[1]:
        raise ValueError(f"{name} must be square, got shape {arr.shape}")
    scale = max(-float(arr.min()), float(arr.max()), 1.0) if arr.size else 1.0
    asymmetry = _max_asymmetry(arr)
    if asymmetry > rtol * scale:
        raise ValueError(f"{name} must be symmetric (max |A - A^T| = {asymmetry:.3g})")
    return arr


def _max_asymmetry(arr: np.ndarray, tile: int = 128) -> float:
    """``max |A - A^T|`` tile by tile over the upper triangle: each pair of tiles
    stays in cache (10x faster than ``A - A.T`` at N = 4000, and no N x N temporary)."""
    n, worst = arr.shape[0], 0.0
    for i in range(0, n, tile):
        for j in range(i, n, tile):
            worst = max(
                worst,
                float(np.abs(arr[i : i + tile, j : j + tile] - arr[j : j + tile, i : i + tile].T).max()),
            )
    return worst


def check_weights(weights, name: str, size: int, *, atol: float = 1e-9) -> np.ndarray:
    """Return probability ``weights`` of length ``size``: nonnegative, summing to 1."""
    w = check_array(weights, name, ndim=1)
    if w.size != size:
        raise ValueError(f"{name} must have {size} entries (one per atom), got {w.size}")
    if np.any(w < 0):
        raise ValueError(f"{name} must be nonnegative (found {w.min():.3g})")
    total = float(w.sum())
    if abs(total - 1.0) > atol:
        raise ValueError(f"{name} must sum to 1, got {total:.12g}")
    return w


def check_choice(value, name: str, choices) -> str:
    """Return ``value`` if it is one of ``choices``; else name the accepted values."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {sorted(choices)!r}, got {value!r}")
    return value
