"""The next order beyond the leave-one-out shift at the lowest outlier (chapter T5, verdict (viii)).

The closed-form shift delta_j is first order in sigma^2/(N d). The deterministic equivalent
solves the subordination equation with the exact spectrum of S and so contains the next
order. These tests pin, without randomness, the gap between the two that the chapter
reports: nil for wide spacings, +0.73 standard deviations for the crossover study's densest
pooled row at N = 1000, +0.20 on average over the rows verdict (viii) pools, and a
relative size of about 0.14 sigma^2/(N d^2).
"""

from __future__ import annotations

import numpy as np
import pytest

import rmtlib
from rmtlib.experiments import growing

NU = rmtlib.Uniform(low=-1.0, high=1.0)
SIGMA = 1.0


def _lowest(N: int, alpha: float):
    """Lowest outlier of the interval design: ``(delta, gap, sd, spacing)``.

    ``gap`` is the deterministic equivalent minus the first order minus ``delta``.
    """
    thetas = growing.outlier_design("interval", N, alpha=alpha)
    s = rmtlib.samplers.spectrum_with_outliers(N, bulk=NU, outliers=thetas)
    equivalent = rmtlib.deterministic_equivalent(s, SIGMA).largest(thetas.size)[-1]
    prediction = rmtlib.predict_outliers(thetas[:1], NU, SIGMA)
    first, overlap = float(prediction.rho[0]), float(prediction.overlap[0])
    delta = float(growing.leave_one_out_shift(thetas, N, NU, SIGMA)[0])
    G = float(-NU.stieltjes(thetas[:1] + 0j).real[0])
    sd = float(np.sqrt(growing.outlier_variance(overlap, G, N=N, sigma=SIGMA)))
    spacing = float(thetas[1] - thetas[0]) if thetas.size > 1 else np.inf
    return delta, equivalent - first - delta, sd, spacing


@pytest.fixture(scope="module")
def full_rows():
    """The rows of the full profile's crossover study that verdict (viii) pools (N = 1000)."""
    return {alpha: _lowest(1000, alpha) for alpha in (0.2, 0.35, 0.5, 0.6)}


def test_the_rows_are_those_the_verdict_pools(full_rows):
    spacings = [row[3] for row in full_rows.values()]
    assert all(d >= SIGMA / np.sqrt(1000) for d in spacings)
    # the next row of the study (alpha = 0.7, r = 126) is below the fluctuation scale
    assert 2.0 / (round(1000**0.7) - 1) < SIGMA / np.sqrt(1000)


def test_the_next_order_vanishes_for_wide_spacings(full_rows):
    for alpha in (0.2, 0.35):
        delta, gap, sd, _ = full_rows[alpha]
        assert delta < 0 and abs(gap) / sd < 0.01


def test_the_next_order_pulls_the_lowest_outlier_back_up_at_the_densest_pooled_row(full_rows):
    delta, gap, sd, _ = full_rows[0.6]
    assert delta / sd == pytest.approx(-6.06, abs=0.02)
    assert gap / sd == pytest.approx(0.73, abs=0.01)  # the first order falls short of delta
    assert full_rows[0.5][1] / full_rows[0.5][2] == pytest.approx(0.09, abs=0.01)
    mean_gap = np.mean([gap / sd for _, gap, sd, _ in full_rows.values()])
    assert mean_gap == pytest.approx(0.20, abs=0.01)


@pytest.mark.parametrize(
    ("N", "alpha", "ratio"),
    [(400, 0.5, 0.145), (400, 0.6, 0.140), (1000, 0.5, 0.142), (1000, 0.6, 0.125)],
)
def test_the_relative_size_is_about_fluctuation_over_spacing_squared(N, alpha, ratio):
    delta, gap, _, spacing = _lowest(N, alpha)
    relative = gap / abs(delta)
    assert relative / (SIGMA**2 / (N * spacing**2)) == pytest.approx(ratio, abs=0.005)
