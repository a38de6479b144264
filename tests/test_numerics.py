"""Tests of the shared numerical helpers (rmtlib._numerics)."""

import numpy as np

from rmtlib._numerics import edge_coordinate, newton_upper_half_plane, solve_increasing


def test_the_bracketed_newton_stops_at_convergence_instead_of_bisecting_from_the_far_end():
    """A converged Newton step that rounds onto the end of the bracket just set to x once sent
    the solver to the midpoint and bisection from there (up to 37 evaluations here)."""
    c = np.random.default_rng(0).uniform(1.0, 7.0, 2000)
    counts = np.zeros(c.size, dtype=int)

    def fun(x, idx):
        counts[idx] += 1
        return np.log(x) - np.log(c[idx]) + 0.1 * (x - c[idx]), 1 / x + 0.1

    root = solve_increasing(fun, np.full(c.size, 0.5), np.full(c.size, 8.0), 1.3 * c)
    np.testing.assert_allclose(root, c, rtol=4e-16)
    assert counts.max() <= 7 and counts.mean() < 6


def test_the_bracketed_solver_bisects_without_a_derivative_and_honours_xtol():
    root = solve_increasing(lambda x, idx: (x**3 - 2.0, None), [0.0], [2.0])
    assert abs(root[0] - 2 ** (1 / 3)) < 1e-15
    rough = solve_increasing(lambda x, idx: (x**3 - 2.0, None), [0.0], [2.0], xtol=1e-6)
    assert 1e-15 < abs(rough[0] - 2 ** (1 / 3)) < 1e-6


def test_edge_coordinate_is_linear_in_the_cube_root_of_the_level_near_both_edges():
    m = np.array([0.0, 1e-9, 0.5, 1 - 1e-9, 1.0])
    t = edge_coordinate(m, 0.0, 1.0)
    np.testing.assert_allclose(t, [0.0, 1e-3 / (1e-3 + 1), 0.5, 1 / (1 + 1e-3), 1.0], rtol=1e-6)
    hard = edge_coordinate(m, 0.0, 1.0, hard_left=True)
    np.testing.assert_allclose(hard[:2], [0.0, 1e-9], rtol=1e-6)


def test_newton_in_the_upper_half_plane_finds_the_semicircle_subordination():
    """``omega + 1 / omega = z`` (delta_0 free-convolved with the unit semicircle): the root with
    ``Im omega > 0`` is ``(z + i sqrt(4 - z^2)) / 2`` on (-2, 2)."""
    x = np.linspace(-1.9, 1.9, 39)
    w, active = newton_upper_half_plane(
        lambda w: (w + 1 / w, 1 - 1 / w**2), x + 0j, x + 1j, rtol=1e-7, scale=1.0
    )
    assert not active.any()
    np.testing.assert_allclose(w, (x + 1j * np.sqrt(4 - x * x)) / 2, rtol=1e-12)
