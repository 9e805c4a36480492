"""Structured parameters with vector-valued constraints, solved by SLSQP and
trust-constr with exact derivatives from JAX.

Design a 3x4 non-negative weight matrix `w` and an offset `b` that are as close
as possible to a target, with every column of `w` summing to one (4 equality
rows) and `b` at least the row means of `w` (3 inequality rows). The
multipliers come back in the constraints' own shapes, and the KKT measures say
how well the answer satisfies the optimality conditions.
"""

import jax.numpy as jnp
import numpy as np

import extopt

target_w = jnp.arange(12.0).reshape(3, 4) / 10.0
target_b = jnp.array([-1.0, 0.0, 1.0])


def loss(p):
    return jnp.sum((p["w"] - target_w) ** 2) + jnp.sum((p["b"] - target_b) ** 2)


def columns_sum_to_one(p):
    return jnp.sum(p["w"], axis=0) - 1.0  # shape (4,)


def offset_above_row_means(p):
    return {"gap": p["b"] - jnp.mean(p["w"], axis=1)}  # a tree with a (3,) leaf


params0 = {"w": jnp.full((3, 4), 0.25), "b": jnp.zeros(3)}
for method in ("SLSQP", "trust-constr"):
    res = extopt.minimize(
        loss,
        params0,
        method=method,
        bounds=({"w": 0.0, "b": None}, None),
        equalities=[columns_sum_to_one],
        inequalities=[offset_above_row_means],
    )
    print(
        f"{method}: loss {res.fun:.8f}, KKT residual {res.optimality:.2e}, "
        f"violation {res.constr_violation:.1e}"
    )
    print("  column multipliers:", np.round(res.multipliers["eq"][0], 6))
    print("  row-gap multipliers:", np.round(res.multipliers["ineq"][0]["gap"], 6))
    assert res.success and res.optimality < 1e-5 and res.constr_violation < 1e-8
    np.testing.assert_allclose(np.sum(res.x["w"], axis=0), 1.0, atol=1e-8)
