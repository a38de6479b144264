"""Tests for rmtlib.spectra: top-k eigenvalues against numpy, outliers, Kolmogorov distance."""

import numpy as np
import pytest
import scipy.linalg
from hypothesis import given, settings
from hypothesis import strategies as st

from rmtlib.samplers import deformed_wigner
from rmtlib.spectra import eigvalsh_outside, empirical_cdf, kolmogorov_distance, top_eigvalsh

METHODS = ("auto", "lanczos", "shift_invert", "lapack", "full")


def deformed(N, seed, outliers=(3.0, 4.0, -3.5)):
    s = np.r_[np.linspace(-1, 1, N - len(outliers)), outliers]
    return deformed_wigner(s, rng=np.random.default_rng(seed))


@pytest.fixture(scope="module")
def case():
    H = deformed(240, 0)
    return H, np.linalg.eigvalsh(H)


def assert_close(values, reference):
    scale = np.abs(reference).max()
    assert values.shape == reference.shape
    assert np.abs(values - reference).max() <= 1e-10 * scale


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("which", ["largest", "smallest", "both"])
@pytest.mark.parametrize("k", [1, 17])
def test_top_eigvalsh_agrees_with_numpy(case, method, which, k):
    H, ref = case
    want = {"largest": ref[-k:], "smallest": ref[:k], "both": np.r_[ref[:k], ref[-k:]]}[which]
    values, vectors = top_eigvalsh(H, k, which=which, method=method, return_vectors=True)
    assert_close(values, want)
    assert_close(top_eigvalsh(H, k, which=which, method=method), want)
    scale = np.abs(ref).max()
    assert np.abs(H @ vectors - vectors * values).max() <= 1e-7 * scale  # residuals
    assert np.allclose(vectors.T @ vectors, np.eye(values.size), atol=1e-8)


def test_auto_takes_lanczos_for_the_top_eigenvalue_and_stays_exact():
    H = deformed(600, 1)  # N >= 500 and k = 1: Lanczos
    ref = np.linalg.eigvalsh(H)
    assert_close(top_eigvalsh(H, 1), ref[-1:])
    assert_close(top_eigvalsh(H, 1, which="both"), ref[[0, -1]])


def test_auto_follows_the_measured_crossover():
    from rmtlib.spectra import _auto_method

    assert [_auto_method(400, 1), _auto_method(600, 1), _auto_method(4000, 1)] == [
        "lapack",
        "lanczos",
        "lanczos",
    ]
    assert [_auto_method(900, 8), _auto_method(1000, 8), _auto_method(1000, 9), _auto_method(2000, 32)] == [
        "lapack",
        "shift_invert",
        "lapack",
        "shift_invert",
    ]
    assert [_auto_method(1999, 32), _auto_method(4000, 32), _auto_method(4000, 33)] == [
        "lapack",
        "shift_invert",
        "lapack",
    ]


def test_lanczos_does_not_miss_a_repeated_eigenvalue():
    # One Krylov sequence sees one vector of each eigenspace; the deflation check
    # must notice the two hidden copies of 5 and fall back to LAPACK.
    H = np.diag(np.r_[np.linspace(0.0, 1.0, 400), 5.0, 5.0, 5.0, 4.0])
    assert np.array_equal(top_eigvalsh(H, 4, method="lanczos"), [4.0, 5.0, 5.0, 5.0])
    assert np.array_equal(top_eigvalsh(-H, 3, which="smallest", method="lanczos"), [-5.0, -5.0, -5.0])


def test_both_with_2k_at_least_N_returns_every_eigenvalue_once(case):
    H, ref = case
    assert_close(top_eigvalsh(H, 120, which="both"), ref)
    assert_close(top_eigvalsh(H, 240), ref)


def test_eigvalsh_outside_finds_all_outliers():
    N = 300
    outliers = np.r_[np.linspace(3.0, 6.0, 20), -4.0, -5.0]  # 20 > 8: the search must double
    H = deformed(N, 2, outliers=outliers)
    ref = np.linalg.eigvalsh(H)
    a, b = -2.2, 2.2  # the bulk of mu_sc(1) + Uniform[-1, 1] ends at 2.2956; outliers are far
    want = ref[(ref < -2.6) | (ref > 2.6)]
    assert want.size == 22
    values, vectors = eigvalsh_outside(H, (-2.6, 2.6), return_vectors=True)
    assert_close(values, want)
    assert np.abs(H @ vectors - vectors * values).max() < 1e-7 * np.abs(ref).max()
    assert_close(eigvalsh_outside(H, (a, b)), ref[(ref < a) | (ref > b)])
    assert_close(eigvalsh_outside(H, (-np.inf, 2.6)), ref[ref > 2.6])
    assert_close(eigvalsh_outside(H, (0.0, 0.0)), ref[ref != 0.0])
    assert eigvalsh_outside(H, (-10.0, 10.0)).size == 0


def test_empirical_cdf_counts():
    F = empirical_cdf([3.0, 1.0, 2.0, 2.0], [0.0, 1.0, 1.5, 2.0, 3.0, 9.0])
    assert np.array_equal(F, [0.0, 0.25, 0.25, 0.75, 1.0, 1.0])


class _Uniform01:
    def cdf(self, x):
        return np.clip(np.asarray(x, dtype=float), 0.0, 1.0)


def test_kolmogorov_distance_closed_forms():
    U = _Uniform01()
    assert kolmogorov_distance([0.5], U) == 0.5
    assert kolmogorov_distance([0.1, 0.2], U) == pytest.approx(0.8)  # at x = 0.2: F_N = 1, F = 0.2
    # a tie: F_N jumps from 0 to 3/4 at 0.5 where F = 1/2; the sup is the left limit, 1/2
    assert kolmogorov_distance([0.5, 0.5, 0.5, 0.9], U) == pytest.approx(0.5)
    n = 10
    assert kolmogorov_distance((np.arange(n) + 0.5) / n, U) == pytest.approx(0.5 / n)


def test_kolmogorov_distance_matches_a_brute_force_sup():
    rng = np.random.default_rng(3)
    sample = rng.beta(2.0, 3.0, size=200)
    grid = np.sort(np.r_[np.linspace(-0.1, 1.1, 20001), sample, np.nextafter(sample, -np.inf)])
    brute = np.max(np.abs(empirical_cdf(sample, grid) - _Uniform01().cdf(grid)))
    assert kolmogorov_distance(sample, _Uniform01()) == pytest.approx(brute, abs=1e-12)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: top_eigvalsh(np.eye(3), 0), ValueError, "k must be >= 1"),
        (lambda: top_eigvalsh(np.eye(3), 4), ValueError, "k must be <= 3"),
        (lambda: top_eigvalsh(np.eye(3), 1.0), TypeError, "k must be an integer"),
        (lambda: top_eigvalsh([[0.0, 1.0], [0.0, 0.0]], 1), ValueError, "H must be symmetric"),
        (lambda: top_eigvalsh(np.ones((2, 3)), 1), ValueError, "square"),
        (lambda: top_eigvalsh([[np.nan, 0.0], [0.0, 1.0]], 1), ValueError, "finite"),
        (lambda: top_eigvalsh(np.eye(3), 1, which="middle"), ValueError, "which must be one of"),
        (lambda: top_eigvalsh(np.eye(3), 1, method="magic"), ValueError, "method must be one of"),
        (lambda: eigvalsh_outside(np.eye(3), (1.0, -1.0)), ValueError, "a <= b"),
        (lambda: eigvalsh_outside(np.eye(3), 1.0), ValueError, "interval"),
        (lambda: eigvalsh_outside(np.eye(3), (np.nan, 1.0)), ValueError, "interval"),
        (lambda: kolmogorov_distance([], _Uniform01()), ValueError, "at least 1"),
        (lambda: kolmogorov_distance([0.1], object()), TypeError, "cdf"),
        (lambda: kolmogorov_distance([0.1, np.nan], _Uniform01()), ValueError, "finite"),
    ],
)
def test_bad_input_is_refused_clearly(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_lanczos_certificate_accepts_a_negative_definite_matrix():
    # the deflated Ritz directions are parked below the k-th Ritz value, so a matrix
    # whose eigenvalues are all negative is certified (no needless LAPACK fallback)
    from rmtlib.spectra import _lanczos

    H = -np.diag(np.arange(1.0, 401.0))
    H[0, 1] = H[1, 0] = 0.1
    values, _ = _lanczos(H, 3, True)
    assert values is not None
    assert_close(values, np.linalg.eigvalsh(H)[-3:])
    assert _lanczos(np.diag(np.r_[np.linspace(0.0, 1.0, 400), 5.0, 5.0, 4.0]), 3, True)[0] is None


@pytest.mark.parametrize("largest", [True, False])
def test_shift_invert_itself_agrees_with_numpy_on_both_ends(largest):
    # called directly, so a silent fallback to Lanczos cannot hide a failure
    from rmtlib.spectra import _shift_invert

    H = deformed(600, 4)
    ref = np.linalg.eigvalsh(H)
    for k in (2, 8, 24):
        values, vectors = _shift_invert(H, k, largest)
        assert values is not None
        assert_close(values, ref[-k:] if largest else ref[:k])
        assert np.abs(H @ vectors - vectors * values).max() <= 1e-8 * np.abs(ref).max()
        assert np.allclose(vectors.T @ vectors, np.eye(k), atol=1e-10)


@pytest.mark.parametrize("largest", [True, False])
def test_shift_invert_deflates_the_outliers_and_factors_once(monkeypatch, largest):
    # outliers 3.5, 4 (top) and -3.5 (bottom): the short Lanczos run converges them,
    # they are deflated and the shift sits at the bulk edge: one Cholesky, no fallback
    import scipy.linalg
    import scipy.sparse.linalg

    from rmtlib import spectra

    H = deformed(1200, 3, outliers=(3.5, 4.0, -3.5))
    ref = np.linalg.eigvalsh(H)
    shifts, factorizations = [], []
    block, factor = spectra._block_shift_invert, scipy.linalg.cho_factor

    def spy_block(H, sign, k, sigma, *args):
        shifts.append(sigma)
        return block(H, sign, k, sigma, *args)

    def spy_factor(B, **kwargs):
        factorizations.append(B.shape)
        return factor(B, **kwargs)

    monkeypatch.setattr(spectra, "_block_shift_invert", spy_block)
    monkeypatch.setattr(scipy.linalg, "cho_factor", spy_factor)
    monkeypatch.setattr(scipy.sparse.linalg, "eigsh", None)  # the fallback would need it
    values, vectors = spectra._shift_invert(H, 12, largest)
    assert_close(values, ref[-12:] if largest else ref[:12])
    assert np.abs(H @ vectors - vectors * values).max() <= 1e-8 * np.abs(ref).max()
    edge = ref[-3] if largest else -ref[1]  # the top of the bulk of s H (2 outliers above, 1 below)
    assert len(factorizations) == 1 and len(shifts) == 1
    assert edge < shifts[0] < edge + 0.1


@settings(max_examples=40)
@given(
    N=st.integers(40, 160),
    k=st.integers(1, 32),
    outliers=st.lists(st.sampled_from([-6.0, -3.0, 2.5, 3.0, 3.0, 4.0, 8.0]), max_size=6),
    repeats=st.integers(1, 4),
    exponent=st.integers(-8, 8),
    largest=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_shift_invert_agrees_with_numpy_on_random_spectra(N, k, outliers, repeats, exponent, largest, seed):
    # outliers (some repeated), a bulk whose values repeat `repeats` times, any scale,
    # a random basis: whatever path shift-invert takes (deflated, fallback, or declined
    # for Lanczos/LAPACK), the answer is numpy's
    from rmtlib.spectra import _shift_invert

    rng = np.random.default_rng(seed)
    k = min(k, N)
    bulk = np.repeat(rng.uniform(-1.0, 1.0, -(-(N - len(outliers)) // repeats)), repeats)
    d = np.r_[outliers, bulk][:N] * 10.0**exponent
    Q = np.linalg.qr(rng.standard_normal((N, N)))[0]
    H = (Q * d) @ Q.T
    H = (H + H.T) / 2
    ref = np.linalg.eigvalsh(H)
    want = ref[-k:] if largest else ref[:k]
    values, vectors = _shift_invert(H, k, largest)
    if values is None:  # declined: the public function falls back to Lanczos or LAPACK
        values = top_eigvalsh(H, k, which="largest" if largest else "smallest", method="shift_invert")
    else:  # an answer it gives is certified: orthonormal vectors
        assert np.abs(vectors.T @ vectors - np.eye(k)).max() <= 1e-10
    assert_close(values, want)


def test_shift_invert_is_not_fooled_by_an_eigenvector_hidden_from_its_start_vector():
    # the top eigenvector (eigenvalue 5) is orthogonal to the Lanczos start vector, so
    # the short Lanczos run sees 4 as the top outlier; 5 stays in the deflated matrix,
    # above the shift: the factorization fails and the answer still comes out right
    N = 300
    v0 = np.random.default_rng(0).standard_normal((N, 16))[:, 0]  # the start vector it uses
    rng = np.random.default_rng(7)
    X = rng.standard_normal((N, N))
    X[:, 0] -= v0 * (v0 @ X[:, 0]) / (v0 @ v0)
    Q = np.linalg.qr(X)[0]
    d = np.r_[5.0, 4.0, np.linspace(-1.0, 1.0, N - 2)]
    H = (Q * d) @ Q.T
    H = (H + H.T) / 2
    assert abs(Q[:, 0] @ v0) <= 1e-12 * np.linalg.norm(v0)
    for k in (2, 3, 10):
        assert_close(top_eigvalsh(H, k, method="shift_invert"), np.sort(d)[-k:])


def test_lanczos_ritz_converges_isolated_outliers_and_stops_on_the_bulk():
    from rmtlib.spectra import _BULK_TOL, _DEFLATE_TOL, _lanczos_ritz

    d = np.r_[np.linspace(-2.0, 2.0, 1000), [3.0, 4.0]]
    start = np.random.default_rng(0).standard_normal(d.size)
    theta, U, residual, scale = _lanczos_ritz(np.diag(d), 1.0, 8, start, 1.0)
    assert scale == pytest.approx(4.0, abs=1e-12)
    assert np.abs(theta[:2] - [4.0, 3.0]).max() <= 1e-12
    assert residual[:2].max() <= _DEFLATE_TOL * scale and residual[2:8].min() > _BULK_TOL * scale
    assert np.allclose(U.T @ U, np.eye(theta.size), atol=1e-10)
    assert np.abs(np.diag(d) @ U[:, :2] - U[:, :2] * theta[:2]).max() <= 1e-9
    # the smallest end (sign -1), and a Krylov space that becomes invariant: three distinct values
    theta, U, residual, _ = _lanczos_ritz(np.diag(np.repeat([1.0, 2.0, 5.0], 50)), -1.0, 2, start[:150], 1.0)
    assert theta.size == 3 and np.allclose(theta, [-1.0, -2.0, -5.0]) and residual.max() == 0.0


def test_shift_invert_sees_every_copy_of_a_repeated_eigenvalue():
    # a block of b >= k start vectors sees up to b copies: no fallback needed
    from rmtlib.spectra import _shift_invert

    H = np.diag(np.r_[np.linspace(0.0, 1.0, 400), [5.0] * 6, 4.0])
    values, vectors = _shift_invert(H, 7, True)
    assert np.abs(values - [4.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0]).max() <= 1e-12
    assert np.allclose(vectors.T @ vectors, np.eye(7), atol=1e-10)
    assert np.allclose(np.linalg.norm(vectors[400:406, 1:], axis=0), 1.0)  # the eigenspace of 5
    values = _shift_invert(-H, 3, False)[0]
    assert np.abs(values + 5.0).max() <= 1e-12


def test_shift_invert_declines_small_or_zero_matrices_and_the_fallback_answers():
    from rmtlib.spectra import _shift_invert

    assert _shift_invert(np.diag(np.arange(20.0)), 2, True) == (None, None)  # N < 2 blocks
    assert _shift_invert(np.zeros((100, 100)), 2, True) == (None, None)  # no scale to shift by
    assert_close(top_eigvalsh(np.diag(np.arange(20.0)), 2, method="shift_invert"), np.array([18.0, 19.0]))
    assert np.array_equal(top_eigvalsh(np.zeros((100, 100)), 2, method="shift_invert"), [0.0, 0.0])
    assert np.array_equal(top_eigvalsh(np.zeros((100, 100)), 2, method="lanczos"), [0.0, 0.0])


def test_shift_invert_on_a_graph_laplacian_with_a_triple_zero_eigenvalue():
    # three connected components: 0 three times, eigenvectors constant on a component;
    # constant row sums also make the all-ones vector an eigenvector (a bad start vector)
    from rmtlib.spectra import _shift_invert

    rng = np.random.default_rng(5)
    blocks = []
    for n in (150, 200, 250):
        A = np.triu((rng.random((n, n)) < 0.1).astype(float), 1)
        blocks.append(np.diag((A + A.T).sum(axis=1)) - (A + A.T))
    L = scipy.linalg.block_diag(*blocks)
    ref = np.linalg.eigvalsh(L)
    assert np.abs(ref[:3]).max() < 1e-10 and ref[3] > 1.0
    values, vectors = _shift_invert(L, 5, False)
    assert_close(values, ref[:5])
    assert_close(_shift_invert(L, 6, True)[0], ref[-6:])
    assert np.abs(L @ vectors[:, :3]).max() <= 1e-8 * ref[-1]


def test_a_sparse_matrix_is_refused_in_one_line():
    import scipy.sparse

    for call in (
        lambda: top_eigvalsh(scipy.sparse.csr_matrix(np.eye(4)), 1),
        lambda: eigvalsh_outside(scipy.sparse.eye(4, format="csr"), (-1.0, 0.5)),
    ):
        with pytest.raises(
            TypeError, match="H must be a dense array: scipy sparse matrices are not supported"
        ):
            call()


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("scale", [1e300, 1e-300])
@pytest.mark.parametrize("method", ["lanczos", "shift_invert", "lapack"])
def test_iterative_methods_work_at_extreme_scales_without_warnings(scale, method):
    H = deformed_wigner(np.r_[np.linspace(-1.0, 1.0, 1197), 3.0, 4.0, 5.0], rng=np.random.default_rng(1))
    ref = np.linalg.eigvalsh(H)
    values, vectors = top_eigvalsh(H * scale, 4, which="both", method=method, return_vectors=True)
    np.testing.assert_allclose(values / scale, np.r_[ref[:4], ref[-4:]], rtol=0, atol=1e-12)
    assert np.abs(H @ vectors - vectors * (values / scale)).max() < 1e-8
