"""Bounds: NumPy broadcasting per leaf, None/inf for 'unbounded', clear errors."""

from __future__ import annotations

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
import scipy.optimize as so
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds

import extopt
from extopt._bounds import normalize_bounds
from extopt._tree import Packer
from extopt.backends import get_backend


def _packer(tree):
    return Packer.from_tree(get_backend("numpy"), tree, "x0")[0]


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_each_side_broadcasts_exactly_like_numpy(data):
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4))
    bshape = data.draw(
        hnp.broadcastable_shapes(shape, min_dims=0, max_dims=len(shape)).filter(
            lambda b: np.broadcast_shapes(b, shape) == shape
        )
    )
    low = data.draw(hnp.arrays(np.float64, bshape, elements=st.floats(-10, 0)))
    high = data.draw(hnp.arrays(np.float64, bshape, elements=st.floats(0, 10)))
    other = np.zeros(3)
    packer = _packer({"a": np.zeros(shape), "b": other})
    lower, upper = normalize_bounds(({"a": low, "b": None}, {"a": high, "b": 5.0}), packer)
    a = packer.leaves[0]
    np.testing.assert_array_equal(lower[a.offset : a.stop], np.broadcast_to(low, shape).ravel())
    np.testing.assert_array_equal(upper[a.offset : a.stop], np.broadcast_to(high, shape).ravel())
    b = packer.leaves[1]
    assert np.all(np.isneginf(lower[b.offset : b.stop])) and np.all(upper[b.offset : b.stop] == 5)


def test_seed_docstring_forms_for_a_2x3_variable():
    packer = _packer(np.zeros((2, 3)))
    lower, upper = normalize_bounds((0, np.inf), packer)
    assert np.all(lower == 0) and np.all(np.isposinf(upper))
    _, upper = normalize_bounds((-np.inf, [[1], [2]]), packer)
    np.testing.assert_array_equal(upper, [1, 1, 1, 2, 2, 2])
    _, upper = normalize_bounds((-np.inf, [[1, 2, 3], [4, 5, 6]]), packer)
    np.testing.assert_array_equal(upper, [1, 2, 3, 4, 5, 6])
    _, upper = normalize_bounds((None, [1, 2, 3]), packer)  # columns, by broadcasting
    np.testing.assert_array_equal(upper, [1, 2, 3, 1, 2, 3])
    # The seed's docstring claims (-inf, [1, 2]) bounds the columns of a 2x3
    # variable; it does not broadcast, and extopt says so plainly.
    with pytest.raises(extopt.ShapeError, match=r"shape \(2,\).*shape of x0, \(2, 3\)"):
        normalize_bounds((-np.inf, [1, 2]), packer)


def test_none_elements_inside_a_list_mean_unbounded_on_that_element():
    lower, upper = normalize_bounds(([None, 2.0], None), _packer(np.zeros(2)))
    assert np.isneginf(lower[0]) and lower[1] == 2.0 and np.all(np.isposinf(upper))


def test_pytree_bounds_name_the_leaf_that_does_not_broadcast():
    packer = _packer({"w": np.zeros((3, 4)), "b": np.zeros(3)})
    with pytest.raises(extopt.ShapeError, match=r"upper bound of x0\['w'\] has shape \(3,\)"):
        normalize_bounds(({"w": 0.0, "b": 0.0}, {"w": np.ones(3), "b": 1.0}), packer)
    with pytest.raises(extopt.InputError, match="must have the structure of the parameters"):
        normalize_bounds(({"w": 0.0}, None), packer)


def test_scipy_bounds_object_on_the_flat_vector():
    packer = _packer({"a": np.zeros(2), "b": 0.0})
    lower, upper = normalize_bounds(so.Bounds([0, -1, -2], [1, 2, 3]), packer)
    np.testing.assert_array_equal(lower, [0, -1, -2])
    np.testing.assert_array_equal(upper, [1, 2, 3])
    with pytest.raises(extopt.ShapeError, match="does not broadcast to the 3 parameters"):
        normalize_bounds(so.Bounds([0, 1], [1, 2]), packer)


@pytest.mark.parametrize(
    ("bounds", "message"),
    [
        ((2.0, 1.0), r"bounds for x0\[0\] are empty: lower 2.0 > upper 1.0"),
        ((np.inf, None), r"empty"),
        ((None, -np.inf), r"empty"),
        (([0, np.nan], None), r"contains NaN"),
        (([[0, 1], [2]], None), r"rectangular array"),
        ((["a", 0], None), r"must contain numbers or None"),
        ([(0, 1), (0, 1), (0, 1)], r"SciPy's old form: pass scipy.optimize.Bounds"),
        ("0..1", r"bounds must be None, a pair"),
    ],
)
def test_bad_bounds_are_clear_errors(bounds, message):
    with pytest.raises(extopt.InputError, match=message):
        extopt.minimize(lambda x: np.sum(x**2), np.zeros(2), jac=lambda x: 2 * x, bounds=bounds)


def test_start_outside_the_bounds_is_moved_inside_with_a_warning():
    with pytest.warns(extopt.ExtoptWarning, match=r"x0\[1\] = 5.0 is above its upper bound 3.0"):
        res = extopt.minimize(
            lambda x: np.sum((x - 10) ** 2),
            np.array([0.0, 5.0]),
            jac=lambda x: 2 * (x - 10),
            bounds=(None, 3.0),
        )
    np.testing.assert_allclose(res.x, [3.0, 3.0])


def test_methods_that_cannot_take_bounds_say_which_can():
    with pytest.raises(extopt.MethodError, match=r"BFGS cannot take bounds.*'L-BFGS-B'"):
        extopt.minimize(
            lambda x: np.sum(x**2), np.ones(2), jac=lambda x: 2 * x, method="BFGS", bounds=(0, 1)
        )


def test_unbounded_bounds_are_no_bounds():
    res = extopt.minimize(
        lambda x: np.sum(x**2),
        np.ones(3),
        jac=lambda x: 2 * x,
        method="BFGS",
        bounds=(None, [np.inf, None, np.inf]),
    )
    assert res.success and res.bound_multipliers is None


def test_two_entries_for_two_parameters_that_are_no_scipy_pairs_are_refused():
    # As SciPy's pairs, (None, [inf, None]) leaves x[1] no value (SciPy refuses it);
    # as extopt's (lower, upper) it would be unbounded: both readings are spelled out.
    with pytest.raises(extopt.InputError, match=r"bounds\[1\].*upper bound is less.*lower = None"):
        extopt.minimize(lambda x: np.sum(x**2), np.ones(2), bounds=(None, [np.inf, None]))
    # the other reading, asked for as the message says
    res = extopt.minimize(
        lambda x: np.sum(x**2),
        np.ones(2),
        jac=lambda x: 2 * x,
        bounds=so.Bounds(-np.inf, [np.inf, 5]),
    )
    assert res.success


@pytest.mark.parametrize(
    "method",
    ["L-BFGS-B", "TNC", "SLSQP", "trust-constr", "Powell", "Nelder-Mead", "COBYLA", "COBYQA"],
)
def test_every_bounded_method_respects_the_seed_bounds(method):
    """The seed's S10/S11: min |v|^2 from [7, 7] with bounds."""
    free = extopt.METHODS[method.lower()].derivative_free
    kwargs = {} if free else {"jac": lambda v: 2 * v}
    atol = 2e-3 if free or method == "trust-constr" else 1e-6  # interior point: 4e-4 inside
    res = extopt.minimize(
        lambda v: np.sum(v**2), np.array([7.0, 7.0]), method=method, bounds=(1.0, np.inf), **kwargs
    )
    np.testing.assert_allclose(res.x, [1.0, 1.0], atol=atol)
    res = extopt.minimize(
        lambda v: np.sum(v**2),
        np.array([7.0, 7.0]),
        method=method,
        bounds=Bounds([-np.inf, 2.0], np.inf),  # per element, on a flat start
        **kwargs,
    )
    np.testing.assert_allclose(res.x, [0.0, 2.0], atol=atol)
    assert res.constr_violation == 0.0


def test_two_pairs_for_two_parameters_are_scipys_pairs():
    """SciPy's idiom bounds=[(0, 1), (0, 1)] on a flat start of two parameters
    is two (min, max) pairs, never (lower, upper) = ((0, 1), (0, 1)), which
    would pin x to [0, 1]; the truth is the box's corner nearest (3, 3)."""
    for bounds in ([(0, 1), (0, 1)], ((0, 1), (0, 1)), np.array([[0, 1], [0, 1]])):
        res = extopt.minimize(
            lambda x: np.sum((x - 3.0) ** 2),
            np.array([0.5, 0.5]),
            jac=lambda x: 2 * (x - 3.0),
            bounds=bounds,
        )
        np.testing.assert_allclose(res.x, [1.0, 1.0])
    # a pair with None is unbounded on that side, as in SciPy
    res = extopt.minimize(
        lambda x: np.sum((x - 3.0) ** 2),
        [0.5, 0.5],
        jac=lambda x: 2 * (x - 3.0),
        bounds=[(None, 2.0), (0, None)],
    )
    np.testing.assert_allclose(res.x, [2.0, 3.0])
    assert isinstance(res.x, np.ndarray) and res.x.shape == (2,)
