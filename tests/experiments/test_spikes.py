"""Tests of rmtlib.experiments.spikes (T3): closed forms, independent implementations, Monte Carlo with
fixed seeds."""

import numpy as np
import pandas as pd
import pytest

from rmtlib import samplers
from rmtlib.experiments import spikes
from rmtlib.tracy_widom import TW1_MEAN, TW1_SD


def rng(seed=0):
    return np.random.default_rng(seed)


# ----------------------------------------------------------------------------- tridiagonal model


def test_critical_window_limits():
    N, n = 10_000, 20
    g = rng(5)
    far = np.array([spikes.critical_window(N=N, w=6.0, rng=g)["edge_scaled"] for _ in range(n)])
    theta = 1.0 + 6.0 * N ** (-1 / 3)
    outlier = N ** (2 / 3) * (theta + 1 / theta - 2.0)
    sd = N ** (2 / 3) * np.sqrt(2 * (1 - theta**-2) / N)  # GOE spike fluctuation, on this scale
    assert abs(far.mean() - outlier) < 4 * sd / np.sqrt(n) + 0.5
    below = np.array([spikes.critical_window(N=N, w=-6.0, rng=g)["edge_scaled"] for _ in range(n)])
    assert abs(below.mean() - TW1_MEAN) < 4 * TW1_SD / np.sqrt(n) + 0.3


# ----------------------------------------------------------------------------- spikes


def test_spike_bbp_location_and_overlap():
    N, theta, n = 300, 3.0, 6
    g = rng(6)
    runs = [spikes.spike(N=N, theta=theta, rng=g) for _ in range(n)]
    tops = np.array([r["top"] for r in runs])
    overlaps = np.array([r["overlap"] for r in runs])
    sd = np.sqrt(1 - theta**-4) / np.sqrt(N)
    assert abs(tops.mean() - (theta + 1 / theta)) < 4 * sd / np.sqrt(n) + 2 / N
    assert abs(overlaps.mean() - (1 - theta**-2)) < 0.04
    np.testing.assert_allclose([r["scaled"] for r in runs], np.sqrt(N) * (tops - theta - 1 / theta))


def test_spike_haar_basis_and_subcritical():
    out = spikes.spike(N=400, theta=4.0, basis="haar", rng=rng(7))
    assert out["overlap"] == pytest.approx(1 - 1 / 16, abs=0.05)
    below = spikes.spike(N=400, theta=0.5, rng=rng(7))
    assert np.isnan(below["scaled"]) and below["overlap"] < 0.1
    assert below["top"] == pytest.approx(2.0, abs=0.1)


def test_spike_diagonal_is_the_deformed_wigner_matrix():
    """spike builds W + theta e_N e_N^T itself: same draws, same matrix as samplers.deformed_wigner."""
    spectrum = np.r_[np.zeros(199), 2.5]
    H = samplers.deformed_wigner(spectrum, rng=rng(9))
    out = spikes.spike(N=200, theta=2.5, rng=rng(9))
    values, vectors = np.linalg.eigh(H)
    assert out["top"] == pytest.approx(values[-1], abs=1e-10)
    assert out["overlap"] == pytest.approx(vectors[-1, -1] ** 2, abs=1e-8)


def test_the_chapter_studies_are_the_draws_in_the_order_of_their_loops():
    runs = spikes.spike_study(N=60, thetas=[0.5, 2.0], seeds=2, sigma=1.0, rng=rng(7))
    g = rng(7)
    direct = [
        {"theta": t, **spikes.spike(N=60, theta=t, sigma=1.0, rng=g)} for t in (0.5, 2.0) for _ in range(2)
    ]
    pd.testing.assert_frame_equal(runs, pd.DataFrame(direct), check_exact=True)  # NaN where no outlier
    draws = spikes.fluctuation_draws(
        N=40, theta=2.0, sigma=1.0, samples=3, noise_variance_factor=1.1, rng=rng(8)
    )
    g = rng(8)
    for basis in ("diagonal", "haar"):
        direct = [
            spikes.spike(N=40, theta=2.0, sigma=1.0, basis=basis, noise_variance_factor=1.1, rng=g)
            for _ in range(3)
        ]
        pd.testing.assert_frame_equal(draws[basis], pd.DataFrame(direct), check_exact=True)
    window = spikes.critical_window_study(sizes=[100, 1000], ws=[-1.0, 2.0], samples=3, sigma=1.0, rng=rng(9))
    g = rng(9)
    direct = [
        {"N": n, "w": w, **spikes.critical_window(N=n, w=w, sigma=1.0, rng=g)}
        for n in (100, 1000)
        for w in (-1.0, 2.0)
        for _ in range(3)
    ]
    pd.testing.assert_frame_equal(window, pd.DataFrame(direct), check_exact=True)
    means = spikes.window_means(window)
    part = window[(window["N"] == 1000) & (window["w"] == 2.0)]["edge_scaled"].to_numpy()
    assert means.loc[(1000, 2.0), "mean"] == pytest.approx(part.mean(), rel=1e-14)
    assert means.loc[(1000, 2.0), "std"] == pytest.approx(
        np.sqrt(np.sum((part - part.mean()) ** 2) / 2), rel=1e-12
    )
