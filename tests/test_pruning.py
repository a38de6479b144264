"""Tests of rmtlib.pruning: noise level, Tracy–Widom edge, pruning rules, baselines."""

import numpy as np
import pytest
import scipy.linalg

from rmtlib import pruning
from rmtlib.pruning import (
    bulk_edge,
    free_edge,
    magnitude_prune,
    noise_level,
    prune,
    shrink_singular_values,
    truncated_svd,
)


def _noise(N, M, sigma, rng):
    return sigma * rng.standard_normal((N, M)) / np.sqrt(N)


def _orthonormal(n, k, rng):
    q, _ = np.linalg.qr(rng.standard_normal((n, k)))
    return q


def _finite_rank(N, M, singular_values, rng):
    s = np.asarray(singular_values, dtype=float)
    return (_orthonormal(N, s.size, rng) * s) @ _orthonormal(M, s.size, rng).T


# ------------------------------------------------------- Marchenko–Pastur fit
@pytest.mark.parametrize(("N", "M", "seed"), [(1000, 500, 1), (1000, 1000, 2), (1000, 2000, 3)])
def test_pure_noise_sigma_within_one_percent_and_nothing_kept(N, M, seed):
    """Pure noise: sigma within 1% and no singular value above the 95% Tracy–Widom threshold.

    For one matrix the chance that something is kept is about 5%; for these three
    fixed seeds nothing is (the level itself is checked by
    ``test_bulk_edge_has_the_tracy_widom_level``).
    """
    rng = np.random.default_rng(seed)
    sigma = 0.7
    W = _noise(N, M, sigma, rng)
    fit = noise_level(W)
    assert fit.sigma == pytest.approx(sigma, rel=0.01)
    assert fit.gamma == M / N
    assert fit.distance < 0.02  # rigidity: order 1/min(N, M)
    res = prune(W, "mp_edge")
    assert res.kept == 0
    assert np.all(res.matrix == 0)
    assert res.n_parameters == 0


@pytest.mark.parametrize(("N", "M", "confidence"), [(1000, 500, 0.90), (500, 1000, 0.95)])
def test_bulk_edge_has_the_tracy_widom_level(N, M, confidence):
    """Exceedance frequency of the largest singular value over 2000 draws.

    The draws use the Dumitriu–Edelman bidiagonal model of a real white Wishart
    matrix (independent of the dense samplers). The standard error of the
    frequency is sqrt(p(1-p)/2000) <= 0.0067; the tolerance 0.02 also covers the
    O(N^-2/3) bias of the Tracy–Widom approximation (measured at these sizes:
    0.096 at the 90% level, 0.044 at the 95% level).
    """
    rng = np.random.default_rng(7)
    n, m = min(N, M), max(N, M)
    k = np.arange(n)
    threshold = bulk_edge(N, M, 1.0, confidence=confidence)
    exceed = 0
    draws = 2000
    for _ in range(draws):
        a = np.sqrt(rng.chisquare(m - k))
        b = np.sqrt(rng.chisquare(n - 1 - k[:-1]))
        d = a**2
        d[1:] += b**2
        top = scipy.linalg.eigvalsh_tridiagonal(d, a[:-1] * b, select="i", select_range=(n - 1, n - 1))[0]
        exceed += np.sqrt(top / N) > threshold
    assert exceed / draws == pytest.approx(1 - confidence, abs=0.02)


def test_bulk_edge_tends_to_the_mp_edge():
    gamma = 2.0
    edges = [bulk_edge(N, int(gamma * N), 1.5) for N in (100, 1000, 10000)]
    limit = 1.5 * (1 + np.sqrt(gamma))
    gaps = np.array(edges) - limit
    assert np.all(gaps > 0)
    # the margin shrinks like N^(-2/3): a factor 10 in N is a factor ~ 4.6
    assert gaps[0] / gaps[1] == pytest.approx(10 ** (2 / 3), rel=0.15)
    assert gaps[1] / gaps[2] == pytest.approx(10 ** (2 / 3), rel=0.15)


def test_noise_level_refuses_a_spectrum_that_is_not_mp():
    rng = np.random.default_rng(4)
    N = 400
    # a full-rank signal whose singular values are half 0, half 3: a two-humped spectrum
    # (distance 0.18). A bulk spread evenly over [0, 3] is NOT refused (distance 0.013, with a
    # sigma twice too large): refusal catches misshapen spectra, not every miscalibration.
    S = np.diag(np.repeat([0.0, 3.0], N // 2))
    with pytest.raises(ValueError, match="fit is poor"):
        noise_level(S + _noise(N, N, 1.0, rng))


# ------------------------------------------------------------------ shrinkage
@pytest.mark.parametrize("gamma", [0.5, 1.0, 2.0])
def test_shrinkage_inverts_the_bgn_map(gamma):
    sigma = 0.8
    a, b = sigma**2, sigma**2 * gamma
    s = np.array([0.9, 1.5, 3.0, 10.0]) * sigma * gamma**0.25 * 1.2  # all above sigma gamma^(1/4)
    rho = np.sqrt((s**2 + a) * (s**2 + b)) / s
    overlap_n = 1 - a * (b + s**2) / (s**2 * (s**2 + a))
    overlap_m = 1 - b * (a + s**2) / (s**2 * (s**2 + b))
    shrunk = shrink_singular_values(rho, gamma=gamma, sigma=sigma)
    assert shrunk == pytest.approx(s * np.sqrt(overlap_n * overlap_m), rel=1e-10)
    # at and below the edge: nothing left
    edge = sigma * (1 + np.sqrt(gamma))
    assert shrink_singular_values([0.5 * edge, edge], gamma=gamma, sigma=sigma) == pytest.approx(
        [0, 0], abs=1e-6
    )


def test_finite_rank_signal_pruned_matrix_is_closer_and_shrinkage_wins():
    rng = np.random.default_rng(5)
    N, M, sigma = 800, 400, 1.0
    s_true = np.array([4.0, 2.5, 1.6])  # BGN threshold sigma gamma^(1/4) = 0.84
    S = _finite_rank(N, M, s_true, rng)
    W = S + _noise(N, M, sigma, rng)
    raw = np.linalg.norm(W - S)
    hard = prune(W, "mp_edge")
    shrunk = prune(W, "shrinkage")
    assert hard.kept == shrunk.kept == 3
    assert hard.sigma == pytest.approx(sigma, rel=0.01)
    err_hard = np.linalg.norm(hard.matrix - S)
    err_shrunk = np.linalg.norm(shrunk.matrix - S)
    assert err_hard < 0.2 * raw
    assert err_shrunk < err_hard
    # asymptotic errors from the BGN location rho and overlaps c_N, c_M:
    # hard: sum s^2 + rho^2 - 2 s rho sqrt(c_N c_M); shrinkage: sum s^2 (1 - c_N c_M)
    a, b = sigma**2, sigma**2 * M / N
    rho = np.sqrt((s_true**2 + a) * (s_true**2 + b)) / s_true
    overlap_n = 1 - a * (b + s_true**2) / (s_true**2 * (s_true**2 + a))
    overlap_m = 1 - b * (a + s_true**2) / (s_true**2 * (s_true**2 + b))
    c = overlap_n * overlap_m
    assert err_hard == pytest.approx(
        np.sqrt(np.sum(s_true**2 + rho**2 - 2 * s_true * rho * np.sqrt(c))), rel=0.05
    )
    assert err_shrunk == pytest.approx(np.sqrt(np.sum(s_true**2 * (1 - c))), rel=0.05)
    # the low-rank factors reproduce the matrix and save parameters
    assert shrunk.n_parameters == 3 * (N + M)
    np.testing.assert_allclose(shrunk.left @ shrunk.right, shrunk.matrix, atol=1e-12)
    # shrunk values estimate s * sqrt(c_N c_M) to O(N^-1/2) (~0.035 here)
    assert shrunk.singular_values == pytest.approx(s_true * np.sqrt(c), abs=0.1)


def test_full_rank_signal_mp_edge_is_miscalibrated_free_edge_is_not():
    rng = np.random.default_rng(6)
    N = M = 400
    sigma = 1.0
    bulk = np.linspace(0.0, 1.0, N - 2)
    outliers = np.array([4.0, 3.0])
    S = np.zeros((N, M))
    S[np.arange(N), np.arange(N)] = np.concatenate([outliers, bulk])
    W = S + _noise(N, M, sigma, rng)
    mp = prune(W, "mp_edge", sigma=sigma)
    free = prune(W, "free_edge", sigma=sigma, signal_bulk=bulk, rng=rng)
    assert free.threshold > mp.threshold
    assert free.kept == 2
    assert mp.kept > 2  # bulk singular values beyond the MP edge are kept as "signal"
    # the sigma fitted to the middle of the spectrum is biased upwards by S's bulk
    assert noise_level(W, max_distance=1.0).sigma > 1.05 * sigma


def test_free_edge_without_a_signal_bulk_is_the_noise_edge():
    rng = np.random.default_rng(8)
    edge = free_edge(np.zeros(0), 300, 600, 1.0, confidence=0.5, n_draws=10, rng=rng)
    # median of the largest singular value vs the TW median, to a few TW widths/N^(2/3)
    assert edge == pytest.approx(bulk_edge(300, 600, 1.0, confidence=0.5), abs=0.02)


# ------------------------------------------------------------------ baselines
def test_truncated_svd_error_is_the_discarded_singular_values():
    rng = np.random.default_rng(9)
    W = rng.standard_normal((30, 20))
    s = np.linalg.svd(W, compute_uv=False)
    for k in (0, 5, 20):
        err = np.linalg.norm(W - truncated_svd(W, k))
        assert err == pytest.approx(np.sqrt(np.sum(s[k:] ** 2)), rel=1e-10, abs=1e-10)


def test_magnitude_prune_keeps_the_largest_entries():
    rng = np.random.default_rng(10)
    W = rng.standard_normal((20, 30))
    out = magnitude_prune(W, 100)
    assert np.count_nonzero(out) == 100
    assert np.abs(out[out != 0]).min() >= np.abs(W[out == 0]).max()
    np.testing.assert_array_equal(out[out != 0], W[out != 0])


# ---------------------------------------------------------------- bad inputs
@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: noise_level(np.ones(10)), ValueError, "2-dimensional"),
        (lambda: noise_level(np.full((30, 30), np.nan)), ValueError, "finite"),
        (lambda: noise_level(np.ones((10, 40))), ValueError, "at least 20 singular values"),
        (lambda: noise_level(np.eye(30), quantile_range=(0.8, 0.2)), ValueError, "lo < hi"),
        (lambda: noise_level(np.eye(30), quantile_range=0.5), TypeError, "pair"),
        (lambda: noise_level(np.eye(30), quantile_range=(0.2, 1.5)), ValueError, "quantile_range"),
        (lambda: bulk_edge(100, 50, -1.0), ValueError, "sigma"),
        (lambda: bulk_edge(100, 50, 1.0, confidence=1.0), ValueError, "confidence"),
        (lambda: bulk_edge(100.0, 50, 1.0), TypeError, "N"),
        (lambda: prune(np.eye(30), "median"), ValueError, "rule"),
        (lambda: prune(np.eye(30), "free_edge", sigma=1.0), ValueError, "signal_bulk"),
        (lambda: prune(np.eye(30), "mp_edge", signal_bulk=[1.0]), ValueError, "only by rule='free_edge'"),
        (
            lambda: free_edge([-1.0], 30, 30, 1.0, rng=np.random.default_rng(0)),
            ValueError,
            "signal_bulk",
        ),
        (lambda: free_edge(np.ones(40), 30, 30, 1.0, rng=np.random.default_rng(0)), ValueError, "at most"),
        (lambda: free_edge([1.0], 30, 30, 1.0, rng=0), TypeError, "rng"),
        (lambda: shrink_singular_values([1.0], gamma=0.0, sigma=1.0), ValueError, "gamma"),
        (lambda: truncated_svd(np.eye(3), 4), ValueError, "rank"),
        (lambda: magnitude_prune(np.eye(3), -1), ValueError, "n_keep"),
    ],
)
def test_bad_inputs_raise_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_free_edge_matches_the_free_convolution_edge_for_square_matrices():
    """N = M: singular values of S + noise = the symmetrized law mu_sc(sigma) ⊞ sym(nu).

    S's singular values fill [0, 1] evenly, so sym(nu) = Uniform[-1, 1] and the limit edge is
    2.2960, the value of H_sigma at its critical point (book/conventions.md). The median of
    the largest singular value lies below the limit by Tracy–Widom fluctuations of order
    (2N)^(-2/3) = 0.0116.
    """
    from rmtlib import DiscreteLaw, FreeConvolutionSemicircle

    N = 400
    s = np.linspace(0.0, 1.0, N)
    limit = FreeConvolutionSemicircle(DiscreteLaw(np.concatenate([s, -s])), sigma=1.0).support()[-1][1]
    assert limit == pytest.approx(2.2960, abs=1e-3)
    edge = free_edge(s, N, N, 1.0, confidence=0.5, n_draws=10, rng=np.random.default_rng(13))
    assert 0 < limit - edge < 3 * (2 * N) ** (-2 / 3)


@pytest.mark.parametrize("shape", [(120, 40), (40, 120), (60, 60)])
def test_free_edge_draws_use_the_exact_largest_singular_value(shape):
    """The Gram-matrix shortcut of each Monte Carlo draw agrees with a full SVD to rounding."""
    X = np.random.default_rng(3).standard_normal(shape) + 2.0 * np.eye(*shape)
    expected = np.linalg.svd(X, compute_uv=False)[0]
    assert pruning._largest_singular_value(X) == pytest.approx(expected, rel=1e-12)
    # the same noise draws give the same threshold as the SVD of each draw
    N, M = shape
    edge = free_edge(np.linspace(0, 1, min(shape)), N, M, 1.0, n_draws=5, rng=np.random.default_rng(4))
    rng = np.random.default_rng(4)
    tops = []
    for _ in range(5):
        D = rng.standard_normal((N, M)) / np.sqrt(N)
        D[np.arange(min(shape)), np.arange(min(shape))] += np.linspace(0, 1, min(shape))
        tops.append(np.linalg.svd(D, compute_uv=False)[0])
    assert edge == pytest.approx(np.quantile(tops, 0.95), rel=1e-12)


# --------------------------------------------------------------- extreme magnitudes
def test_shrinkage_of_a_huge_singular_value_is_the_value_itself():
    out = shrink_singular_values([1e200, 1e150, 0.5], gamma=1.0, sigma=1.0)
    np.testing.assert_allclose(out, [1e200, 1e150, 0.0], rtol=1e-12)


@pytest.mark.parametrize("scale", [1e150, 1e-150, 1e250])
def test_shrinkage_scales_with_the_units(scale):
    y = np.array([0.5, 1.9, 2.5, 3.0, 10.0])
    expected = shrink_singular_values(y, gamma=0.5, sigma=1.0)
    scaled = shrink_singular_values(y * scale, gamma=0.5, sigma=scale)
    np.testing.assert_allclose(scaled / scale, expected, rtol=1e-13)


@pytest.mark.parametrize("scale", [1e200, 1e-200, 2.0**600])
def test_noise_level_of_a_matrix_in_extreme_units(scale):
    """sigma scales with the units of W; the fit's distance does not (to rounding)."""
    W = _noise(200, 100, 0.7, np.random.default_rng(21))
    fit, scaled = noise_level(W), noise_level(W * scale)
    assert scaled.sigma / scale == pytest.approx(fit.sigma, rel=1e-13)
    assert scaled.distance == pytest.approx(fit.distance, abs=1e-12)
    assert prune(W * scale, "shrinkage").kept == prune(W, "shrinkage").kept == 0


# ---------------------------------------------------------------- Gavish-Donoho
def test_gavish_donoho_constants_match_their_paper():
    from rmtlib.pruning import gavish_donoho_lambda, gavish_donoho_omega

    assert gavish_donoho_lambda(1.0) == pytest.approx(4 / np.sqrt(3), rel=1e-14)
    # lambda*(beta) lies above the Marchenko-Pastur edge 1 + sqrt(beta) (Gavish and Donoho 2014)
    for beta in np.linspace(0.05, 1.0, 20):
        assert gavish_donoho_lambda(beta) > 1 + np.sqrt(beta)
        # their cubic approximation of omega(beta), quoted to about 0.02
        approx = 0.56 * beta**3 - 0.95 * beta**2 + 1.82 * beta + 1.43
        assert gavish_donoho_omega(beta) == pytest.approx(approx, abs=0.02)
    assert gavish_donoho_omega(1.0) == pytest.approx(2.858, abs=1e-3)  # omega(1) of their paper


def test_gavish_donoho_threshold_in_our_normalization():
    from rmtlib.pruning import gavish_donoho_lambda, gavish_donoho_threshold

    rng = np.random.default_rng(3)
    N, M, sigma = 300, 600, 1.3
    sv = np.linalg.svd(sigma * rng.standard_normal((N, M)) / np.sqrt(N), compute_uv=False)
    known = gavish_donoho_threshold(sv, (N, M), sigma=sigma)
    # entries of W - S have standard deviation sigma / sqrt(N); threshold lambda* sqrt(n) that
    assert known == pytest.approx(gavish_donoho_lambda(0.5) * np.sqrt(M) * sigma / np.sqrt(N), rel=1e-14)
    assert known > sigma * (1 + np.sqrt(M / N))  # above the bulk edge
    assert gavish_donoho_threshold(sv, (N, M)) == pytest.approx(known, rel=0.02)  # unknown noise: the median
    transposed = gavish_donoho_threshold(sv, (M, N), sigma=sigma * np.sqrt(M / N))
    assert transposed == pytest.approx(known, rel=1e-14)
    with pytest.raises(ValueError, match="min\\(N, M\\) = 300 entries"):
        gavish_donoho_threshold(sv[:10], (N, M))
    with pytest.raises(ValueError, match="sigma must be > 0"):
        gavish_donoho_threshold(sv, (N, M), sigma=0.0)
    with pytest.raises(TypeError, match="shape must be a pair"):
        gavish_donoho_threshold(sv, 300)
