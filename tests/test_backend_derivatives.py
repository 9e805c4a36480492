"""Every derivative each autodiff backend supplies, functional and stateful,
against hand-written NumPy derivatives and finite differences: gradient,
Hessian-vector product, Hessian, vector constraint Jacobians and the
Lagrangian Hessian; plus the PyTorch specifics (dtype and device round trip,
no autograd state left behind, variables restored after an error)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.optimize as so

import extopt
from extopt._problem import Problem
from test_constraints import (
    budget_jac_np,
    budget_np,
    eq_jac_np,
    eq_np,
    f_np,
    g_np,
    gap_jac_np,
    gap_np,
)

EPS = 1e-6


class Ops:
    """The few array operations the test problem needs, per framework."""

    def __init__(self, name):
        self.name = name
        if name == "jax":
            jnp = pytest.importorskip("jax.numpy")
            # NumPy constants stay float64 inside extopt's float64 scope
            self.sum, self.exp, self.array = jnp.sum, jnp.exp, np.asarray
            self.leaf = jnp.asarray
        elif name == "torch":
            torch = pytest.importorskip("torch")
            self.sum, self.exp = torch.sum, torch.exp
            self.array = lambda a: torch.tensor(np.asarray(a), dtype=torch.float64)
            self.torch = torch
        else:
            tf = pytest.importorskip("tensorflow")
            self.sum = tf.reduce_sum
            self.exp = tf.exp
            self.array = lambda a: tf.constant(np.asarray(a), dtype=tf.float64)
            self.tf = tf

    def sum_rows(self, u):
        if self.name == "tensorflow":
            return self.tf.reduce_sum(u, axis=1)
        return self.sum(u, 1) if self.name == "torch" else self.sum(u, axis=1)


def problem_over(ops):
    T = ops.array([[0.9, -0.4, 0.3], [0.2, 0.8, -0.5]])
    S = ops.array([0.5, -0.3, 0.2])

    def loss(p):
        return (
            ops.sum((p["u"] - T) ** 2)
            + ops.sum(ops.exp(0.3 * p["v"]) - p["v"])
            + ops.sum((p["v"] - S) ** 2)
        )

    def unit_rows(p):
        return ops.sum_rows(p["u"] ** 2) - 1.0

    def gap(p):
        return {"gap": p["v"] - p["u"][0]}

    def budget(p):
        return 0.4 - ops.sum(p["v"])

    leaf = getattr(ops, "leaf", ops.array)
    x0 = {"u": leaf(np.full((2, 3), 0.5)), "v": leaf(np.zeros(3))}
    return loss, x0, [unit_rows], [gap, budget]


def truth(x, v, p):
    J = np.vstack([eq_jac_np(x), gap_jac_np(x), budget_jac_np(x)])

    def jtv(y):
        return np.vstack([eq_jac_np(y), gap_jac_np(y), budget_jac_np(y)]).T @ v

    hess = np.column_stack([(g_np(x + EPS * e) - g_np(x - EPS * e)) / (2 * EPS) for e in np.eye(9)])
    lagr = np.column_stack([(jtv(x + EPS * e) - jtv(x - EPS * e)) / (2 * EPS) for e in np.eye(9)])
    c = np.concatenate([eq_np(x), gap_np(x), budget_np(x)])
    return c, J, hess, lagr


def check(functions, backend):
    rng = np.random.default_rng(7)
    for _ in range(2):
        x, p, v = rng.normal(size=9), rng.normal(size=9), rng.normal(size=6)
        c, J, hess, lagr = truth(x, v, p)
        with backend.session():
            f, g = functions.value_and_grad(x)
            np.testing.assert_allclose(f, f_np(x), rtol=1e-12)
            np.testing.assert_allclose(g, g_np(x), rtol=1e-11, atol=1e-12)
            np.testing.assert_allclose(functions.value(x), f_np(x), rtol=1e-12)
            np.testing.assert_allclose(functions.grad(x), g_np(x), rtol=1e-11, atol=1e-12)
            np.testing.assert_allclose(functions.hessp(x, p), hess @ p, atol=1e-6)
            np.testing.assert_allclose(functions.hess(x), hess, atol=1e-6)
            np.testing.assert_allclose(functions.constraints(x), c, atol=1e-12)
            np.testing.assert_allclose(functions.constraints_jac(x), J, atol=1e-12)
            fd = so.approx_fprime(
                x, lambda y: np.concatenate([eq_np(y), gap_np(y), budget_np(y)]), 1e-7
            )
            np.testing.assert_allclose(functions.constraints_jac(x), fd, atol=1e-5)
            f2, g2, c2, J2 = functions.everything(x)
            np.testing.assert_allclose([f2], [f_np(x)], rtol=1e-12)
            np.testing.assert_allclose(g2, g_np(x), rtol=1e-11, atol=1e-12)
            np.testing.assert_allclose(c2, c, atol=1e-12)
            np.testing.assert_allclose(J2, J, atol=1e-12)
            f3, c3 = functions.value_constraints(x)
            np.testing.assert_allclose([f3, *c3], [f_np(x), *c], rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(functions.constraints_hessp(x, v, p), lagr @ p, atol=1e-6)
            np.testing.assert_allclose(functions.constraints_hess(x, v), lagr, atol=1e-6)


@pytest.mark.parametrize("name", ["jax", "torch", "tensorflow"])
def test_functional_derivatives(name):
    ops = Ops(name)
    loss, x0, eqs, ineqs = problem_over(ops)
    problem = Problem.build(loss, x0, equalities=eqs, inequalities=ineqs)
    assert problem.backend.name == name  # inferred from the leaves
    check(problem.functions, problem.backend)


def _stateful(name):
    """The same problem over stateful variables: u (2x3) and v (3,)."""
    ops = Ops(name)
    if name == "torch":
        torch = ops.torch
        u = torch.full((2, 3), 0.5, dtype=torch.float64, requires_grad=True)
        v = torch.zeros(3, dtype=torch.float64, requires_grad=True)
        from extopt.torch import ScipyOptimizerInterface
    else:
        tf = ops.tf
        u = tf.Variable(np.full((2, 3), 0.5), name="u")
        v = tf.Variable(np.zeros(3), name="v")
        from extopt.tensorflow import ScipyOptimizerInterface
    loss, _, eqs, ineqs = problem_over(ops)
    p = {"u": u, "v": v}
    opt = ScipyOptimizerInterface(
        lambda: loss(p),
        [u, v],
        equalities=[lambda: eqs[0](p)],
        inequalities=[lambda: ineqs[0](p), lambda: ineqs[1](p)],
    )
    return opt, (u, v)


@pytest.mark.parametrize("name", ["torch", "tensorflow"])
def test_stateful_derivatives(name):
    opt, _ = _stateful(name)
    adapter = opt._adapter
    x0 = opt._packer._concat(adapter.read())
    functions = adapter.compile(opt._packer, x0)
    check(functions, adapter.backend)


@pytest.mark.parametrize("name", ["torch", "tensorflow"])
def test_stateful_problem_matches_scipy_on_numpy(name):
    from test_constraints import X0_FLAT

    ref = so.minimize(
        f_np,
        X0_FLAT,
        jac=g_np,
        method="SLSQP",
        constraints=[
            {"type": "eq", "fun": eq_np, "jac": eq_jac_np},
            {"type": "ineq", "fun": gap_np, "jac": gap_jac_np},
            {"type": "ineq", "fun": budget_np, "jac": budget_jac_np},
        ],
        options={"ftol": 1e-14, "maxiter": 500},
    )
    opt, _ = _stateful(name)
    opt._scipy = extopt.Scipy.like_scipy(
        "trust-constr",
        options={"gtol": 1e-12, "xtol": 1e-14, "barrier_tol": 1e-12, "maxiter": 5000},
    )
    result = opt.minimize()
    read = opt._adapter.read()
    np.testing.assert_allclose(np.concatenate([read[0].ravel(), read[1]]), ref.x, atol=1e-6)
    assert result.optimality < 1e-6 and result.multipliers["ineq"][0]["gap"].shape == (3,)


# -- PyTorch specifics ------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_torch_dtype_and_device_round_trip(dtype):
    torch = pytest.importorskip("torch")
    dt = getattr(torch, dtype)
    x0 = {"a": torch.zeros(3, dtype=dt, device="cpu"), "b": torch.ones((), dtype=dt)}
    seen = []

    def loss(p):
        seen.append((p["a"].dtype, p["a"].device))
        return torch.sum((p["a"] - 2.0) ** 2) + (p["b"] + 1.0) ** 2

    res = extopt.minimize(loss, x0)
    assert res.backend == "torch"
    assert set(seen) == {(dt, torch.device("cpu"))}
    for tree in (res.x, res.jac):
        assert tree["a"].dtype == dt and tree["a"].device == torch.device("cpu")
        assert tree["b"].shape == ()
    np.testing.assert_allclose(res.x["a"].numpy(), 2.0, atol=1e-4)


def test_torch_leaves_no_autograd_state_behind():
    torch = pytest.importorskip("torch")
    from extopt.torch import ScipyOptimizerInterface

    w = torch.zeros(4, dtype=torch.float64, requires_grad=True)
    target = torch.arange(4.0, dtype=torch.float64)
    opt = ScipyOptimizerInterface(
        lambda: torch.sum((w - target) ** 2 + (w - target) ** 4), [w], method="trust-ncg"
    )
    result = opt.minimize()
    assert result.nhev > 0
    assert w.grad is None and w.grad_fn is None and w.requires_grad
    np.testing.assert_allclose(w.detach().numpy(), target.numpy(), atol=1e-6)


@pytest.mark.parametrize("name", ["torch", "tensorflow"])
def test_variables_are_restored_after_an_error_on_the_kth_evaluation(name):
    calls = {"n": 0}

    class Boom(Exception):
        pass

    if name == "torch":
        torch = pytest.importorskip("torch")
        x = torch.tensor([3.0, -2.0], requires_grad=True)
        from extopt.torch import ScipyOptimizerInterface

        def loss():
            calls["n"] += 1
            if calls["n"] == 6:
                raise Boom("on the 6th evaluation")
            return 100 * (x[1] - x[0] ** 2) ** 2 + (1 - x[0]) ** 2

        def read():
            return x.detach().numpy().copy()
    else:
        tf = pytest.importorskip("tensorflow")
        x = tf.Variable([3.0, -2.0])
        from extopt.tensorflow import ScipyOptimizerInterface

        def loss():
            calls["n"] += 1  # counts traces; the error is raised eagerly below
            return tf.reduce_sum((x - 1.0) ** 2)

        def read():
            return x.numpy().copy()

    before = read()
    if name == "torch":
        opt = ScipyOptimizerInterface(loss, [x])
    else:
        steps = {"n": 0}

        def step(_):
            steps["n"] += 1
            if steps["n"] == 2:
                raise Boom("in the 2nd step callback, after the variables moved")

        opt = ScipyOptimizerInterface(loss, [x])
    with pytest.raises(Boom):
        opt.minimize() if name == "torch" else opt.minimize(step_callback=step)
    np.testing.assert_array_equal(read(), before)


def test_tensorflow_xla_functions_give_the_same_derivatives():
    pytest.importorskip("tensorflow")
    from extopt.backends.tensorflow import TensorflowBackend

    loss, x0, eqs, ineqs = problem_over(Ops("tensorflow"))
    problem = Problem.build(
        loss, x0, equalities=eqs, inequalities=ineqs, backend=TensorflowBackend(jit_compile=True)
    )
    check(problem.functions, problem.backend)


def test_torch_compile_keeps_exact_second_derivatives():
    """Compiled graphs take no double backward: the Hessian-vector products
    come from the plain loss, never from a silent zero."""
    torch = pytest.importorskip("torch")
    from extopt.backends.torch import TorchBackend

    def rosen(x):
        return torch.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)

    res = extopt.minimize(
        rosen,
        torch.zeros(4, dtype=torch.float64),
        backend=TorchBackend(compile=True),
        method="Newton-CG",
        options={"xtol": 1e-10},
    )
    np.testing.assert_allclose(res.x.numpy(), np.ones(4), atol=1e-6)
    assert res.nhev > res.nit


def test_tensorflow_falls_back_from_xla_with_a_warning(monkeypatch):
    tf = pytest.importorskip("tensorflow")
    import extopt.backends.tensorflow as tfb

    monkeypatch.setattr(tfb, "XLA_FROM", 1)  # XLA for every size

    def loss(x):  # a NumPy call inside: XLA cannot compile it
        offset = tf.reshape(tf.numpy_function(lambda: np.float64(0.5), [], tf.float64), [])
        return tf.reduce_sum((x - 2.0) ** 2) + offset

    with pytest.warns(extopt.ExtoptWarning, match="XLA could not compile the loss"):
        res = extopt.minimize(loss, tf.zeros(3, dtype=tf.float64))
    np.testing.assert_allclose(res.x.numpy(), 2.0, atol=1e-6)
    with pytest.raises(tf.errors.InvalidArgumentError):
        extopt.minimize(
            loss, tf.zeros(3, dtype=tf.float64), backend=tfb.TensorflowBackend(jit_compile=True)
        )


def test_tensorflow_reuses_its_traces_and_sees_changed_arguments():
    """A second solve of the same loss runs no Python (the traces are kept),
    while an argument array changed in place is traced again, never stale."""
    tf = pytest.importorskip("tensorflow")
    traced = []

    def loss(x, data):
        traced.append(1)
        return tf.reduce_sum((x - data) ** 2)

    data = np.arange(3.0)
    for expected in (data, data):
        res = extopt.minimize(loss, tf.zeros(3, tf.float64), args=(data,), method="BFGS")
        np.testing.assert_allclose(res.x.numpy(), expected, atol=1e-8)
    first = len(traced)
    assert first > 0
    res = extopt.minimize(loss, tf.zeros(3, tf.float64), args=(data,), method="BFGS")
    assert len(traced) == first
    data[:] = 5.0
    res = extopt.minimize(loss, tf.zeros(3, tf.float64), args=(data,), method="BFGS")
    np.testing.assert_allclose(res.x.numpy(), 5.0, atol=1e-8)
    assert len(traced) > first
