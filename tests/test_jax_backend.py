"""The JAX backend: float64 without touching the user's configuration, leaf
types and dtypes, compiled functions reused, arguments traced."""

from __future__ import annotations

import numpy as np
import pytest

import extopt
from extopt.backends.jax import JaxBackend

jax = pytest.importorskip("jax")
jnp = jax.numpy


def test_global_x64_setting_is_never_changed():
    before = jax.config.jax_enable_x64
    res = extopt.minimize(lambda x: jnp.sum((x - 1.0) ** 2), jnp.zeros(3))
    assert jax.config.jax_enable_x64 == before
    assert jnp.zeros(1).dtype == (jnp.float64 if before else jnp.float32)
    assert res.success


def test_float32_leaves_are_evaluated_in_float64_by_default_and_come_back_float32():
    seen = []

    def loss(x):
        seen.append(x.dtype)
        # 1 + 1e-9 is 1 in float32: only a float64 evaluation sees this minimum.
        return jnp.sum((x - (1.0 + 1e-9)) ** 2) * 1e18

    res = extopt.minimize(
        loss, jnp.zeros(2, dtype=jnp.float32), options={"ftol": 1e-30, "gtol": 1e-30}
    )
    assert set(seen) == {jnp.dtype("float64")}
    assert res.x.dtype == jnp.float32
    np.testing.assert_allclose(res.x_flat, 1.0 + 1e-9, rtol=0, atol=1e-13)


@pytest.mark.parametrize("dtype", [None, "float32"])
def test_evaluation_dtype_can_follow_the_leaves(dtype):
    seen = []

    def loss(p):
        seen.extend(leaf.dtype for leaf in jax.tree_util.tree_leaves(p))
        return jnp.sum(p["a"] ** 2) + p["b"] ** 2

    x0 = {"a": jnp.ones(2, dtype=jnp.float32), "b": 1.0}
    extopt.minimize(loss, x0, backend=JaxBackend(dtype=dtype))
    want = (
        {jnp.dtype("float32")}
        if dtype == "float32"
        else {jnp.dtype("float32"), jnp.dtype("float64")}
    )
    assert set(seen) == want


def test_bad_dtype_is_refused():
    with pytest.raises(extopt.InputError, match="dtype must be None, 'float32' or 'float64'"):
        JaxBackend(dtype="int32")


def test_leaf_types_come_back_as_given():
    x0 = {"j": jnp.ones(2), "n": np.ones(2), "f": 1.0}

    def loss(p):
        return jnp.sum((p["j"] - 2) ** 2) + jnp.sum((p["n"] - 3) ** 2) + (p["f"] - 4) ** 2

    res = extopt.minimize(loss, x0)
    assert res.backend == "jax"
    assert isinstance(res.x["j"], jax.Array) and isinstance(res.jac["j"], jax.Array)
    assert isinstance(res.x["n"], np.ndarray) and res.x["n"].dtype == np.float64
    assert isinstance(res.x["f"], float)
    np.testing.assert_allclose(res.x["n"], 3.0, atol=1e-6)


def test_compiled_functions_are_reused_across_calls():
    traces = []

    def loss(x, data):
        traces.append(1)  # runs only while JAX traces
        return jnp.sum((x - data) ** 2)

    data = np.arange(4.0)
    extopt.minimize(loss, jnp.zeros(4), args=(data,))
    first = len(traces)
    assert first > 0
    res = extopt.minimize(loss, jnp.ones(4), args=(data + 1.0,))  # new data, same shapes
    assert len(traces) == first
    np.testing.assert_allclose(np.asarray(res.x), data + 1.0, atol=1e-5)
    extopt.minimize(loss, jnp.ones(5), args=(np.arange(5.0),))  # new shapes: traced anew
    assert len(traces) > first


def test_static_python_arguments_are_part_of_the_compiled_function():
    def loss(x, power, center):
        return jnp.sum(jnp.abs(x - center) ** power)

    res = extopt.minimize(loss, jnp.zeros(3), args=(4, 2.0), method="BFGS")
    np.testing.assert_allclose(np.asarray(res.x), 2.0, atol=2e-2)


def test_works_when_the_user_has_x64_enabled():
    with jax.enable_x64(True):
        x0 = jnp.zeros(3)
        assert x0.dtype == jnp.float64
        res = extopt.minimize(lambda x: jnp.sum((x - 0.5) ** 2), x0)
        assert res.x.dtype == jnp.float64
    np.testing.assert_allclose(np.asarray(res.x), 0.5, atol=1e-8)


def test_multipliers_come_back_as_jax_arrays_in_the_users_dtype():
    res = extopt.minimize(
        lambda x: jnp.sum(x**2), jnp.array([3.0, 3.0]), inequalities=lambda x: {"lo": x - 1.0}
    )
    lam = res.multipliers["ineq"][0]["lo"]
    assert isinstance(lam, jax.Array) and lam.dtype == jnp.zeros(1).dtype
    np.testing.assert_allclose(np.asarray(lam), [2.0, 2.0], atol=1e-5)


def test_complex_step_gradient():
    res = extopt.minimize(lambda x: jnp.sum((x - 1.5) ** 4), jnp.zeros(2), jac="cs", method="BFGS")
    np.testing.assert_allclose(np.asarray(res.x), 1.5, atol=2e-2)
    assert res.njev == 0


def test_numpy_backend_complex_step_gradient():
    res = extopt.minimize(lambda x: np.sum((x - 1.5) ** 2), np.zeros(2), jac="cs")
    np.testing.assert_allclose(res.x, 1.5, atol=1e-7)
