"""The seed's acceptance problems (A1, A2, S1-S13 of ../shared/SPEC.md) through
the functional `extopt.minimize` with JAX: no variables, the answer in the
structure of the start point."""

from __future__ import annotations

import numpy as np
import pytest

import extopt
from seed_cases import ROSENBROCK_CASES, close

jax = pytest.importorskip("jax")
jnp = jax.numpy


def test_a1_unpacking_is_per_leaf():
    m = np.arange(9.0)
    rng = np.random.default_rng(0)
    x0 = {
        "scalar": jnp.asarray(rng.normal()),
        "vector": jnp.asarray(rng.normal(size=2)),
        "matrix": jnp.asarray(rng.normal(size=(2, 3))),
    }

    def loss(p):
        return (
            0.5 * jnp.sum((p["vector"] - m[0:2]) ** 2)
            + 0.5 * (p["scalar"] - m[2]) ** 2
            + 0.5 * jnp.sum((p["matrix"] - m[3:9].reshape(2, 3)) ** 2)
        )

    res = extopt.minimize(loss, x0)
    close(res.x["vector"], [0, 1])
    close(res.x["scalar"], 2)
    close(res.x["matrix"], [[3, 4, 5], [6, 7, 8]])


def test_a2_s13_callbacks():
    m = np.array([0.0, 1.0])
    losses, steps = [], []
    res = extopt.minimize(
        lambda v: 0.5 * jnp.sum((v - m) ** 2),
        jnp.array([7.0, -2.0]),
        method="SLSQP",
        loss_callback=lambda e: losses.append(e.fun),
        callback=lambda xk: steps.append(np.asarray(xk)),
    )
    assert losses[0] == 29.0 and res.fun in losses
    close(steps[-1], [0.0, 1.0])


@pytest.mark.parametrize(
    "method,options,tol,dim", ROSENBROCK_CASES, ids=[c[0] for c in ROSENBROCK_CASES]
)
def test_s1_s8_rosenbrock(method, options, tol, dim):
    def rosen(x):
        return jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)

    res = extopt.minimize(rosen, jnp.zeros(dim), method=method, options=options)
    close(res.x, np.ones(dim), tol)


def test_s9_s10_s11_s12():
    def loss(v):
        return jnp.sum(v**2)

    start = jnp.array([7.0, 7.0])
    res = extopt.minimize(
        loss,
        start,
        method="SLSQP",
        equalities=[lambda v: v[1] - 1.0],
        inequalities=[lambda v: v[0] - 1.0],
    )
    close(res.x, [1.0, 1.0])
    close(extopt.minimize(loss, start, bounds=(1.0, np.inf)).x, [1.0, 1.0])
    close(extopt.minimize(loss, start, bounds=([None, 2.0], None)).x, [0.0, 2.0])
    options = {"maxiter": 50}
    extopt.minimize(loss, start, method="SLSQP", options=options)
    assert options == {"maxiter": 50}
