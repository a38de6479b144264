"""Tests of rmtlib.tracy_widom: tabulated values of TW1 and the edge length scale."""

import numpy as np
import pytest

from rmtlib.free_convolution import FreeConvolutionSemicircle
from rmtlib.laws import DiscreteLaw, Semicircle
from rmtlib.tracy_widom import TW1_MEAN, TW1_SD, tracy_widom1_cdf, tracy_widom1_quantile, tracy_widom_unit


@pytest.mark.parametrize(
    ("p", "tabulated"),
    # TW1 quantiles (Tracy & Widom 1996; the tables in Johnstone 2001 and Bornemann 2010).
    [(0.5, -1.2686), (0.90, 0.4501), (0.95, 0.9793), (0.99, 2.0234)],
)
def test_tw1_quantiles_match_tables(p, tabulated):
    assert tracy_widom1_quantile(p) == pytest.approx(tabulated, abs=2e-3)
    assert tracy_widom1_cdf(tracy_widom1_quantile(p)) == pytest.approx(p, abs=1e-6)


def test_tw1_moments_of_the_package_match_the_tabulated_constants():
    """Mean and standard deviation of the package's cdf (quadrature) against Bornemann's (2010) values.

    mean = int_0^inf (1 - F) - int_-inf^0 F and E[X^2] = 2 int_0^inf x (1 - F) + 2 int_-inf^0 |x| F.
    A constant off in its third digit (1.2681 for the standard deviation, 1.2065 for -mean)
    is within the tolerance; one off by 1% is not.
    """
    x = np.linspace(-10.0, 8.0, 36001)
    F = tracy_widom1_cdf(x)
    upper, lower = np.where(x > 0, 1 - F, 0.0), np.where(x < 0, F, 0.0)
    mean = np.trapezoid(upper, x) - np.trapezoid(lower, x)
    second = 2 * np.trapezoid(x * upper, x) - 2 * np.trapezoid(x * lower, x)
    assert mean == pytest.approx(TW1_MEAN, abs=2e-3)
    assert np.sqrt(second - mean**2) == pytest.approx(TW1_SD, abs=2e-3)
    assert TW1_SD**2 == pytest.approx(1.6077810345810, rel=1e-14)


@pytest.mark.parametrize("sigma", [0.5, 2.0])
def test_tracy_widom_unit_of_a_semicircle(sigma):
    N = 1000
    assert tracy_widom_unit(Semicircle(sigma=sigma), N) == pytest.approx(sigma * N ** (-2 / 3), rel=1e-3)
    # the same law through the free-convolution solver (nu = delta_0)
    mu = FreeConvolutionSemicircle(DiscreteLaw([0.0]), sigma)
    assert tracy_widom_unit(mu, N) == pytest.approx(sigma * N ** (-2 / 3), rel=1e-3)


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="p must be"):
        tracy_widom1_quantile(1.0)
    with pytest.raises(TypeError, match="x must be real"):
        tracy_widom1_cdf([1j])
