"""Experiments of chapters T1-T3: the semicircle bulk and edge, the deformed Wigner law, spikes.

Each function is one simulation that a chapter plots or checks, written so that a sweep
can call it too: keyword-only parameters, the randomness from the required keyword
``rng``, and a ``dict`` of floats (or a small frozen result) out.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg as sla

from .. import free_convolution, samplers, spectra, tridiagonal
from .._validation import check_choice, check_generator, check_int, check_real
from .tolerances import ks_tolerance

__all__ = ["critical_window", "deformed_ks", "spike", "top_eigenvalue_tridiagonal"]


def deformed_ks(*, N: int, nu, sigma: float = 1.0, rng) -> dict[str, float]:
    """Kolmogorov distance between the spectrum of ``H = W + diag(s)`` and ``mu_sc(sigma) ⊞ nu``.

    ``s`` holds the ``N`` classical locations (quantiles) of ``nu``.

    Returns
    -------
    dict
        ``ks`` (the distance) and ``tolerance`` (:func:`ks_tolerance` at ``N``).

    Examples
    --------
    >>> import numpy as np
    >>> from rmtlib.laws import Uniform
    >>> out = deformed_ks(N=400, nu=Uniform(low=-1.0, high=1.0), rng=np.random.default_rng(0))
    >>> bool(out["ks"] < out["tolerance"])
    True
    """
    N = check_int(N, "N", minimum=2)
    sigma = check_real(sigma, "sigma", positive=True)
    check_generator(rng)
    law = free_convolution.FreeConvolutionSemicircle(nu, sigma)
    H = samplers.deformed_wigner(nu.quantiles(N), sigma=sigma, rng=rng)
    return {
        "ks": float(spectra.kolmogorov_distance(np.linalg.eigvalsh(H), law)),
        "tolerance": ks_tolerance(N),
    }


def top_eigenvalue_tridiagonal(*, N: int, sigma: float = 1.0, spike: float = 0.0, rng) -> dict[str, float]:
    """Largest eigenvalue of the ``beta = 1`` tridiagonal model, optionally with a spike.

    The Dumitriu-Edelman tridiagonal matrix has the law of the GOE's spectrum
    (diagonal variance ``2 sigma^2/N``), and its Householder reduction fixes the
    first basis vector, so adding ``spike`` to its ``(0, 0)`` entry gives the
    spectrum of ``GOE + spike e_1 e_1^T``. Only the top eigenvalue is computed
    (bisection, ``O(N)``), so ``N = 10^5`` costs milliseconds.

    Returns
    -------
    dict
        ``top`` (the eigenvalue) and ``edge_scaled`` =
        ``N^(2/3) (top - 2 sigma)/sigma`` (the Tracy-Widom scale).

    Examples
    --------
    >>> import numpy as np
    >>> out = top_eigenvalue_tridiagonal(N=20000, spike=2.0, rng=np.random.default_rng(0))
    >>> round(out["top"], 1)  # 2 + 1/2
    2.5
    """
    N = check_int(N, "N", minimum=2)
    sigma = check_real(sigma, "sigma", positive=True)
    spike = check_real(spike, "spike")
    diagonal, off_diagonal = tridiagonal.tridiagonal_model(N, beta=1, sigma=sigma, rng=rng)
    diagonal = np.array(diagonal, dtype=float)
    diagonal[0] += spike
    top = float(sla.eigvalsh_tridiagonal(diagonal, off_diagonal, select="i", select_range=(N - 1, N - 1))[0])
    return {"top": top, "edge_scaled": float(N ** (2 / 3) * (top - 2 * sigma) / sigma)}


def critical_window(*, N: int, w: float, sigma: float = 1.0, rng) -> dict[str, float]:
    """Top eigenvalue of ``GOE + theta e_1 e_1^T`` with ``theta = sigma (1 + w N^(-1/3))``.

    ``w`` is the position inside the BBP critical window. The result is on the
    Tracy-Widom scale: ``edge_scaled = N^(2/3)(lambda_1 - 2 sigma)/sigma`` tends to
    a law that depends on ``w`` only (Tracy-Widom for ``w -> -inf``, the outlier
    ``w^2`` for ``w -> +inf``), whatever ``N``.

    Examples
    --------
    >>> import numpy as np
    >>> out = critical_window(N=10**4, w=6.0, rng=np.random.default_rng(1))
    >>> 0.5 < out["edge_scaled"] / 6.0**2 < 1.5
    True
    """
    N = check_int(N, "N", minimum=2)
    w = check_real(w, "w")
    sigma = check_real(sigma, "sigma", positive=True)
    theta = sigma * (1.0 + w * N ** (-1 / 3))
    out = top_eigenvalue_tridiagonal(N=N, sigma=sigma, spike=theta, rng=rng)
    return {"theta": theta, "top": out["top"], "edge_scaled": out["edge_scaled"]}


def spike(
    *,
    N: int,
    theta: float,
    sigma: float = 1.0,
    basis: str = "diagonal",
    entries: str = "gaussian",
    noise_variance_factor: float = 1.0,
    rng,
) -> dict[str, float]:
    """One rank-one deformation ``H = W + theta v v^T``: its top eigenvalue and overlap.

    ``v`` is the last basis vector (``basis="diagonal"``) or a Haar-random unit
    vector (``basis="haar"``); ``W`` is :func:`rmtlib.samplers.wigner`, its entries'
    variance multiplied by ``noise_variance_factor`` (the prediction ``rho`` keeps
    ``sigma``: a wrong model for the verdicts to reject).

    Returns
    -------
    dict
        ``top`` (the largest eigenvalue of ``H``), ``overlap`` (``<u, v>^2`` for its
        unit eigenvector ``u``), and ``scaled`` = ``sqrt(N) (top - rho)`` with
        ``rho = theta + sigma^2/theta`` (``nan`` below the threshold ``theta <= sigma``).

    Examples
    --------
    >>> import numpy as np
    >>> out = spike(N=400, theta=3.0, rng=np.random.default_rng(1))
    >>> abs(out["top"] - 10 / 3) < 0.2, abs(out["overlap"] - 8 / 9) < 0.1  # theta + 1/theta, 1 - 1/theta^2
    (True, True)
    """
    N = check_int(N, "N", minimum=2)
    theta = check_real(theta, "theta")
    sigma = check_real(sigma, "sigma", positive=True)
    check_choice(basis, "basis", ("diagonal", "haar"))
    noise_variance_factor = check_real(noise_variance_factor, "noise_variance_factor", positive=True)
    H = samplers.wigner(N, sigma=sigma * np.sqrt(noise_variance_factor), entries=entries, rng=rng)
    if basis == "diagonal":
        v = np.zeros(N)
        v[-1] = 1.0
    else:  # a uniform unit vector: the last column of a Haar matrix, without its O(N^3) QR
        v = rng.standard_normal(N)
        v /= np.linalg.norm(v)
    H += theta * np.outer(v, v)  # exactly symmetric: v_i v_j = v_j v_i in floating point
    values, vectors = spectra.top_eigvalsh(H, 1, return_vectors=True)
    top = float(np.max(values))
    u = vectors[:, int(np.argmax(values))]
    rho = theta + sigma**2 / theta if abs(theta) > sigma else np.nan
    return {
        "top": top,
        "overlap": float((u @ v) ** 2),
        "scaled": float(np.sqrt(N) * (top - rho)),
    }
