"""Tests of rmtlib.experiments.pruning: the T6 and T7 experiments against direct computations."""

import numpy as np
import pytest

from rmtlib.experiments import compare_rules, pruning_study, rank_error_curve, spiked_singular_triplet
from rmtlib.outliers import predict_singular_outliers
from rmtlib.pruning import noise_level, prune, shrink_singular_values, truncated_svd
from rmtlib.samplers import low_rank_signal, rectangular_noise


def test_rank_error_curve_matches_direct_computation():
    rng = np.random.default_rng(11)
    N, M, sigma = 120, 60, 1.0
    S = low_rank_signal(N, M, [3.0, 2.0], rng=rng)
    W = S + rectangular_noise(N, M, sigma=sigma, rng=rng)
    curve = rank_error_curve(W, S, sigma=sigma, max_rank=6)
    U, s, Vt = np.linalg.svd(W, full_matrices=False)
    shrunk = shrink_singular_values(s, gamma=M / N, sigma=sigma)
    for k in range(7):
        hard = np.linalg.norm(truncated_svd(W, k) - S)
        shrink = np.linalg.norm((U[:, :k] * shrunk[:k]) @ Vt[:k] - S)
        assert curve["hard"][k] == pytest.approx(hard, rel=1e-9)
        assert curve["shrinkage"][k] == pytest.approx(shrink, rel=1e-9)
    # the rule's choice is on the curve
    res = prune(W, "shrinkage", sigma=sigma)
    assert curve["shrinkage"][res.kept] == pytest.approx(np.linalg.norm(res.matrix - S), rel=1e-9)


def test_spiked_singular_triplet_follows_bgn():
    """Mean over 4 draws at N = 600, gamma = 2: location and both overlaps to ~4 standard errors."""
    N, M, s, sigma = 600, 1200, 2.0, 1.0
    rng = np.random.default_rng(12)
    draws = [spiked_singular_triplet(N=N, M=M, s=s, sigma=sigma, rng=rng) for _ in range(4)]
    a, b = sigma**2, sigma**2 * M / N  # the BGN closed forms, written out independently
    rho = np.sqrt((s**2 + a) * (s**2 + b)) / s
    assert np.mean([d["top"] for d in draws]) == pytest.approx(rho, abs=0.05)
    left = 1 - a * (b + s**2) / (s**2 * (s**2 + a))
    right = 1 - b * (a + s**2) / (s**2 * (s**2 + b))
    assert np.mean([d["overlap_left"] for d in draws]) == pytest.approx(left, abs=0.05)
    assert np.mean([d["overlap_right"] for d in draws]) == pytest.approx(right, abs=0.05)
    p = predict_singular_outliers([s], gamma=M / N, sigma=sigma)
    assert (p.rho[0], p.overlap_left[0], p.overlap_right[0]) == pytest.approx((rho, left, right), rel=1e-12)


def test_compare_rules_equals_prune_rule_by_rule():
    """compare_rules shares one SVD among the rules; prune recomputes it for each: same answers."""
    rng = np.random.default_rng(5)
    N, M = 200, 100
    bulk = np.linspace(0.0, 0.5, M)
    S = np.zeros((N, M))
    S[np.arange(M), np.arange(M)] = bulk
    S += low_rank_signal(N, M, [3.0], rng=rng)
    W = S + rectangular_noise(N, M, sigma=1.0, rng=rng)
    out = compare_rules(W, S, sigma=1.0, signal_bulk=bulk, n_draws=6, rng=np.random.default_rng(6))
    fit = noise_level(W)
    assert out["sigma_fit"] == pytest.approx(fit.sigma, rel=1e-12)
    expected = {
        "mp_edge": prune(W, "mp_edge", sigma=fit.sigma),
        "shrinkage": prune(W, "shrinkage", sigma=fit.sigma),
        "mp_edge_true_sigma": prune(W, "mp_edge", sigma=1.0),
        "free_edge": prune(
            W, "free_edge", sigma=1.0, signal_bulk=bulk, n_draws=6, rng=np.random.default_rng(6)
        ),
    }
    for name, res in expected.items():
        assert out[f"kept_{name}"] == res.kept
        assert out[f"threshold_{name}"] == pytest.approx(res.threshold, rel=1e-12)
        assert out[f"error_{name}"] == pytest.approx(np.linalg.norm(res.matrix - S), rel=1e-9)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: rank_error_curve(np.eye(3), np.eye(4), sigma=1.0, max_rank=1), "S must have the shape of W"),
        (lambda: compare_rules(np.eye(3), [[1j]], sigma=1.0, rng=np.random.default_rng(0)), "S must be real"),
    ],
)
def test_bad_inputs_raise_clear_errors(call, match):
    with pytest.raises((TypeError, ValueError), match=match):
        call()


def test_pruning_study_rows():
    rows = pruning_study(hidden=(64,), rank_fractions=(0.25, 1.0), max_iter=20, rng=np.random.default_rng(4))
    methods = [(r["method"], r["at"]) for r in rows]
    assert methods[:5] == [
        ("dense", "dense"),
        ("mp_edge", "rmt"),
        ("shrinkage", "rmt"),
        ("truncated_svd", "rmt"),
        ("magnitude", "rmt"),
    ]
    rmt = {r["method"]: r for r in rows if r["at"] == "rmt"}
    assert rmt["truncated_svd"]["accuracy"] == rmt["mp_edge"]["accuracy"]  # same rank, same matrix
    assert len({r["fraction_removed"] for r in rmt.values()}) == 1
    full_rank = [r for r in rows if r["at"] == "grid" and r["ranks"][0] == 64]
    assert all(
        r["accuracy"] == pytest.approx(rows[0]["accuracy"])
        for r in full_rank
        if r["method"] == "truncated_svd"
    )
