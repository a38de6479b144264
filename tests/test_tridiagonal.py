"""Tests for rmtlib.tridiagonal: exact Sturm counts, the model's moments, the semicircle."""

import numpy as np
import pytest
from scipy.linalg import eigvalsh_tridiagonal

from rmtlib.laws import Semicircle
from rmtlib.tridiagonal import count_below, sturm_histogram, tridiagonal_histogram, tridiagonal_model


def rng(seed=0):
    return np.random.default_rng(seed)


@pytest.mark.parametrize("beta", [1.0, 2.0, 4.0, 0.5])
def test_sturm_counts_equal_a_full_eigensolve(beta):
    d, e = tridiagonal_model(600, beta=beta, sigma=1.3, rng=rng(1))
    lam = eigvalsh_tridiagonal(d, e)
    edges = np.sort(np.r_[rng(2).uniform(-3.0, 3.0, size=40), -2.7, 2.7])
    # np.histogram counts [a, b); with continuous eigenvalues no eigenvalue sits on an edge
    assert np.array_equal(sturm_histogram(d, e, edges), np.histogram(lam, edges)[0])


@pytest.mark.parametrize("N", [2, 7, 100, 2000, 5003])
@pytest.mark.parametrize("scale", [1.0, 1e-150, 1e150])
def test_count_below_is_exact(N, scale):
    # N = 5003 is not a multiple of the block length (padding); points 1e-9 above
    # eigenvalues test the counts where they change; extreme scales test the rescaling.
    d, e = tridiagonal_model(N, beta=0.7, rng=rng(N))
    d, e = d * scale, e * scale
    lam = eigvalsh_tridiagonal(d, e)
    x = np.r_[rng(1).uniform(-3.0, 3.0, size=200) * scale, lam[:: max(1, N // 50)] + 1e-9 * scale]
    assert np.array_equal(count_below(d, e, x), np.searchsorted(lam, x))


def test_count_below_on_exact_eigenvalues_and_zero_pivots():
    # a diagonal matrix with integer points: zero pivots; eigenvalues at x are not below x
    x = np.arange(-1.0, 11.0)
    assert np.array_equal(count_below(np.arange(10.0), np.zeros(9), x), np.searchsorted(np.arange(10.0), x))
    # the path graph: eigenvalues 2 cos(k pi / 102), k = 51 gives 0 up to rounding: either count
    d, e = np.zeros(101), np.ones(100)
    lam = eigvalsh_tridiagonal(d, e)
    assert count_below(d, e, [0.0])[0] in (50, 51) and abs(lam[50]) < 1e-14
    assert np.array_equal(count_below(d, e, [-2.5, 2.5]), [0, 101])


def test_histogram_counts_every_eigenvalue_once():
    counts, edges = tridiagonal_histogram(5000, 37, sigma=0.5, rng=rng(3))
    assert counts.sum() == 5000 and counts.size == 37 and edges.size == 38
    assert edges[0] < -1.0 and edges[-1] > 1.0  # the Gershgorin interval contains [-2 sigma, 2 sigma]
    d, e = tridiagonal_model(5000, sigma=0.5, rng=rng(3))  # same draw
    assert np.array_equal(counts, np.histogram(eigvalsh_tridiagonal(d, e), edges)[0])


def test_sampling_scales_and_second_moment():
    d1, e1 = tridiagonal_model(300, rng=rng(4))
    d2, e2 = tridiagonal_model(300, sigma=2.0, rng=rng(4))
    assert np.allclose(d2, 2 * d1, rtol=1e-15) and np.allclose(e2, 2 * e1, rtol=1e-15)
    # E tr(T^2)/N = sigma^2 (N - 1)/N + 2 sigma^2/(beta N): E d_i^2 = 2 sigma^2/(beta N),
    # E e_i^2 = sigma^2 (N - i)/N. Fluctuation: sd of tr(T^2)/N is about 2 sigma^2/N.
    N, beta, sigma = 20000, 2.0, 1.5
    d, e = tridiagonal_model(N, beta=beta, sigma=sigma, rng=rng(5))
    second = (d @ d + 2 * e @ e) / N
    expected = sigma**2 * (N - 1) / N + 2 * sigma**2 / (beta * N)
    assert abs(second - expected) < 10 * sigma**2 / N


def test_histogram_follows_the_semicircle():
    # Rigidity: the number of eigenvalues in an interval deviates from N times the
    # semicircle mass by O(log N) (variance (1/(pi^2 beta)) log N per edge for the
    # bulk). Bound: 5 (2 log N / pi^2)^(1/2) ~ 7.7 at N = 10^5, vs bins of ~5000.
    N = 100_000
    edges = np.linspace(-2.0, 2.0, 21)
    counts, _ = tridiagonal_histogram(N, edges, rng=rng(6))
    expected = N * np.diff(Semicircle(sigma=1.0).cdf(edges))
    assert np.abs(counts - expected).max() < 5 * np.sqrt(2 * np.log(N) / np.pi**2)
    top = N - counts.sum()
    assert top < 5  # only edge fluctuations, O(1) eigenvalues, leave [-2, 2]


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: tridiagonal_model(1, rng=rng()), ValueError, "N must be >= 2"),
        (lambda: tridiagonal_model(10, beta=0.0, rng=rng()), ValueError, "beta must be > 0"),
        (lambda: tridiagonal_model(10, sigma=-1.0, rng=rng()), ValueError, "sigma must be > 0"),
        (lambda: tridiagonal_model(10, rng=1), TypeError, "numpy.random.Generator"),
        (lambda: tridiagonal_histogram(10, 0, rng=rng()), ValueError, "bins must be >= 1"),
        (lambda: tridiagonal_histogram(10, True, rng=rng()), TypeError, "bins"),
        (lambda: tridiagonal_histogram(10, [0.0, 1.0, 1.0], rng=rng()), ValueError, "strictly increasing"),
        (lambda: tridiagonal_histogram(10, [0.0], rng=rng()), ValueError, "at least 2"),
        (lambda: sturm_histogram([0.0, 1.0], [1.0, 2.0], [0.0, 1.0]), ValueError, "off_diagonal"),
    ],
)
def test_bad_input_is_refused_clearly(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_lapack_fallback_counts_agree():
    # the fallback for degenerate composed pivots (LAPACK dstebz) counts the same
    from rmtlib.tridiagonal import _count_below_lapack

    d, e = tridiagonal_model(300, rng=rng(7))
    x = rng(8).uniform(-2.5, 2.5, size=20)
    assert [_count_below_lapack(d, e, xi) for xi in x] == list(count_below(d, e, x))
    assert _count_below_lapack(d, e, -10.0) == 0
