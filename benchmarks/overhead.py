"""Per-evaluation bridge overhead: the function SciPy calls for value and
gradient, extopt's against the framework floor (one compiled value-and-gradient
call on the flat vector, written by hand), at new points each call.

    python benchmarks/overhead.py            # n = 2, 100, 10_000
"""

from __future__ import annotations

import _common
import numpy as np
import problems

from extopt._problem import Problem
from extopt._scipy import ScipyMinimizer


def floors(framework: str, n: int):
    """The hand-written bridge: x (NumPy float64) -> (float, NumPy gradient)."""
    if framework == "jax":
        import jax
        import jax.numpy as jnp

        with jax.enable_x64(True):
            vg = jax.jit(
                lambda x: jnp.concatenate(
                    [
                        jax.value_and_grad(problems.rosen_jax)(x)[0][None],
                        jax.value_and_grad(problems.rosen_jax)(x)[1],
                    ]
                )
            )

        def floor(x):
            out = np.asarray(vg(x))
            return float(out[0]), out[1:]

        return floor, jax.enable_x64
    if framework == "torch":
        import torch

        def floor(x):
            xt = torch.from_numpy(x).requires_grad_(True)
            f = problems.rosen_torch(xt)
            (g,) = torch.autograd.grad(f, xt)
            return float(f), g.numpy()

        return floor, None
    import tensorflow as tf

    @tf.function(
        input_signature=[tf.TensorSpec([n], tf.float64)], autograph=False, jit_compile=n >= 10_000
    )
    def vg(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            f = problems.rosen_tf(x)
        return tf.concat([tf.reshape(f, [1]), tape.gradient(f, x)], 0)

    def floor(x):
        out = vg(x).numpy()
        return float(out[0]), out[1:]

    return floor, None


def leaf(framework: str, n: int):
    x0 = problems.rosen_x0(n)
    if framework == "jax":
        import jax.numpy as jnp

        return jnp.asarray(x0)
    if framework == "torch":
        import torch

        return torch.from_numpy(x0)
    import tensorflow as tf

    return tf.constant(x0)


def measure(framework: str, n: int, points: int = 400, repeats: int = 41) -> dict:
    import contextlib

    floor, scope = floors(framework, n)
    problem = Problem.build(problems.ROSEN[framework], leaf(framework, n), backend=framework)
    run = ScipyMinimizer("L-BFGS-B").start(problem)
    ev = run.ev
    rng = np.random.default_rng(0)
    count = max(20, points // max(1, n // 1000))
    xs = [rng.normal(size=n) for _ in range(count)]
    # every call is at a new point, as in a minimization
    index = {"floor": 0, "extopt": 0}

    def by_floor():
        for x in xs:
            floor(x)

    def by_extopt():
        for x in xs:
            ev.fun_and_grad(x)

    with scope(True) if scope is not None else contextlib.nullcontext(), problem.backend.session():
        f_a, g_a = floor(xs[0])
        f_b, g_b = ev.fun_and_grad(xs[0].copy())
        assert abs(f_a - f_b) <= 1e-12 * abs(f_a) and np.allclose(g_a, g_b)
        times, samples = _common.interleaved(
            {"floor": by_floor, "extopt": by_extopt}, repeats=repeats, samples=True
        )
    del index
    return {
        "framework": framework,
        "n": n,
        "floor_us": times["floor"] / count * 1e6,
        "extopt_us": times["extopt"] / count * 1e6,
        "ratio": _common.paired_ratio(samples, "extopt", "floor"),
        "target": 1.15,
    }


def main(sizes=(2, 100, 10_000), frameworks=("jax", "torch", "tensorflow")) -> list[dict]:
    _common.pin_frameworks()
    rows = [measure(fw, n) for fw in frameworks for n in sizes]
    print(
        _common.table(
            rows,
            ["framework", "n", "floor_us", "extopt_us", "ratio", "target"],
            "per-evaluation overhead (value and gradient at a new point)",
        )
    )
    return rows


if __name__ == "__main__":
    main()
