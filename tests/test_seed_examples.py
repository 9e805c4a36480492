"""The three examples of seed 000 (TensorFlow 1's ScipyOptimizerInterface
docstring) through extopt.minimize, with both backends."""

from __future__ import annotations

import numpy as np
import pytest

import extopt


def _cases(xp):
    def loss(v):
        return xp.sum(xp.square(v))

    return loss


@pytest.fixture(params=["numpy", "numpy-fd", "jax"])
def setup(request):
    if request.param == "jax":
        jnp = pytest.importorskip("jax.numpy")
        return _cases(jnp), jnp.array([7.0, 7.0]), {}
    kwargs = {} if request.param == "numpy-fd" else {"jac": lambda v: 2 * v}
    return _cases(np), np.array([7.0, 7.0]), kwargs


class _NoWarn:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _quiet(x0, kwargs):
    """The NumPy backend without jac warns once about finite differences."""
    if isinstance(x0, np.ndarray) and "jac" not in kwargs:
        return pytest.warns(extopt.ExtoptWarning, match="finite differences")
    return _NoWarn()


def test_norm_goes_to_zero(setup):
    loss, x0, kwargs = setup
    with _quiet(x0, kwargs):
        res = extopt.minimize(loss, x0, options={"maxiter": 100}, **kwargs)
    # SciPy's default for a flat NumPy start (BFGS), L-BFGS-B for every other
    assert res.method == ("BFGS" if isinstance(x0, np.ndarray) else "L-BFGS-B") and res.success
    np.testing.assert_allclose(np.asarray(res.x), [0.0, 0.0], atol=1e-5)
    assert type(res.x) is type(x0)


def test_bounds_give_one_two(setup):
    loss, x0, kwargs = setup
    with _quiet(x0, kwargs):
        res = extopt.minimize(loss, x0, bounds=([1, 2], np.inf), **kwargs)
    np.testing.assert_allclose(np.asarray(res.x), [1.0, 2.0], atol=1e-5)


def test_equality_and_inequality_give_one_one(setup):
    loss, x0, kwargs = setup
    with _quiet(x0, kwargs):
        res = extopt.minimize(
            loss,
            x0,
            equalities=[lambda v: v[1] - 1.0],
            inequalities=[lambda v: v[0] - 1.0],
            method="SLSQP",
            **kwargs,
        )
    np.testing.assert_allclose(np.asarray(res.x), [1.0, 1.0], atol=1e-5)
    # grad f = [2, 2] = 2 * grad(v1 - 1) + 2 * grad(v0 - 1)
    np.testing.assert_allclose(float(res.multipliers["eq"][0]), 2.0, atol=1e-4)
    np.testing.assert_allclose(float(res.multipliers["ineq"][0]), 2.0, atol=1e-4)
