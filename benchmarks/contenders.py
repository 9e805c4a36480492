"""Every way a user could minimize a loss with L-BFGS-B (and friends), set up
the same way: `make(name, ...)` returns a function that runs one whole solve
from the start point and returns the answer and its counts.

Contenders: the hand-written NumPy value and gradient (the floor); SciPy with
finite differences; a minimal hand-written bridge per framework (one compiled
value-and-gradient call on the flat vector, the framework floor); extopt with
each backend; jaxopt's ScipyMinimize; pytorch-minimize's ScipyMinimizer;
autograd-minimize (torch and tf backends); iminuit's minimize with a JAX
gradient."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.optimize as so

Solve = Callable[[], dict[str, Any]]


def _result(x, fun, nfev, njev=None, **extra) -> dict[str, Any]:
    return {
        "x": np.asarray(x, dtype=np.float64).ravel(),
        "fun": float(fun),
        "nfev": int(nfev),
        "njev": None if njev is None else int(njev),
        **extra,
    }


def _scipy(res) -> dict[str, Any]:
    return _result(res.x, res.fun, res.nfev, res.get("njev"))


# -- floors ------------------------------------------------------------------------------


def numpy_floor(value_grad: Callable, x0: np.ndarray, method: str = "L-BFGS-B", **kw) -> Solve:
    return lambda: _scipy(so.minimize(value_grad, x0, jac=True, method=method, **kw))


def scipy_fd(value: Callable, x0: np.ndarray, method: str = "L-BFGS-B", **kw) -> Solve:
    return lambda: _scipy(so.minimize(value, x0, method=method, **kw))


def jax_floor(loss: Callable, x0: np.ndarray, method: str = "L-BFGS-B", **kw) -> Solve:
    import jax
    import jax.numpy as jnp

    vg = jax.jit(
        lambda x: jnp.concatenate(
            [jax.value_and_grad(loss)(x)[0][None], jax.value_and_grad(loss)(x)[1]]
        )
    )

    def fun(x):
        out = np.asarray(vg(x))
        return float(out[0]), out[1:]

    return lambda: _scipy(so.minimize(fun, x0, jac=True, method=method, **kw))


def torch_floor(loss: Callable, x0: np.ndarray, method: str = "L-BFGS-B", **kw) -> Solve:
    import torch

    def fun(x):
        xt = torch.from_numpy(x).requires_grad_(True)
        f = loss(xt)
        (g,) = torch.autograd.grad(f, xt)
        return float(f.detach()), g.numpy()

    return lambda: _scipy(so.minimize(fun, x0, jac=True, method=method, **kw))


def tf_floor(loss: Callable, x0: np.ndarray, method: str = "L-BFGS-B", **kw) -> Solve:
    import tensorflow as tf

    @tf.function(
        input_signature=[tf.TensorSpec([x0.size], tf.float64)],
        autograph=False,
        jit_compile=x0.size >= 10_000,
    )
    def vg(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            f = loss(x)
        return tf.concat([tf.reshape(f, [1]), tape.gradient(f, x)], 0)

    def fun(x):
        out = vg(x).numpy()
        return float(out[0]), out[1:]

    return lambda: _scipy(so.minimize(fun, x0, jac=True, method=method, **kw))


# -- extopt ------------------------------------------------------------------------------


def extopt_solve(loss: Callable, x0: Any, method: str = "L-BFGS-B", **kw) -> Solve:
    import extopt

    def solve():
        res = extopt.minimize(loss, x0, method=method, **kw)
        counts = res.counts
        return _result(
            res.x_flat,
            res.fun,
            res.nfev,
            res.counts["njev"],
            nhev=res.counts["nhev"],
            calls_per_point=counts["ncalls"] / max(counts["points"], 1),
        )

    return solve


def leaf(framework: str, x0: np.ndarray) -> Any:
    if framework == "jax":
        import jax.numpy as jnp

        return jnp.asarray(x0)
    if framework == "torch":
        import torch

        return torch.from_numpy(x0.copy())
    if framework == "tensorflow":
        import tensorflow as tf

        return tf.constant(x0)
    return x0


# -- peers -------------------------------------------------------------------------------


def jaxopt_solve(loss: Callable, x0: Any, method: str = "L-BFGS-B", **kw) -> Solve:
    import jaxopt

    solver = jaxopt.ScipyMinimize(fun=loss, method=method, **kw)

    def solve():
        params, state = solver.run(x0)
        flat = np.concatenate([np.ravel(p) for p in _leaves(params)])
        return _result(flat, state.fun_val, state.num_fun_eval, state.num_jac_eval)

    return solve


def _leaves(tree):
    import jax

    return jax.tree_util.tree_leaves(tree)


def torchmin_solve(loss: Callable, x0: np.ndarray, method: str = "L-BFGS-B", **kw) -> Solve:
    import torch
    from torchmin import ScipyMinimizer

    def solve():
        x = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
        optimizer = ScipyMinimizer([x], method=method.lower(), **kw)
        count = {"n": 0}

        def closure():
            optimizer.zero_grad()
            f = loss(x)
            f.backward()
            count["n"] += 1
            return f

        optimizer.step(closure)
        res = optimizer._result
        return _result(x.detach().numpy(), res.fun, res.nfev, res.get("njev"))

    return solve


def autograd_minimize_solve(
    loss: Callable, x0: np.ndarray, backend: str, method: str = "L-BFGS-B", **kw
) -> Solve:
    from autograd_minimize import minimize

    return lambda: _scipy(
        minimize(loss, x0, backend=backend, precision="float64", method=method, **kw)
    )


def iminuit_solve(loss: Callable, x0: np.ndarray, **kw) -> Solve:
    import iminuit
    import jax

    f = jax.jit(loss)
    g = jax.jit(jax.grad(loss))

    def solve():
        res = iminuit.minimize(lambda x: float(f(x)), x0, jac=lambda x: np.asarray(g(x)), **kw)
        return _result(res.x, res.fun, res.nfev, res.get("njev"))

    return solve
