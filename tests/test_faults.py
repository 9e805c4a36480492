"""Faults stay the user's: their exceptions come back unchanged from every
backend and every family, interrupts are never swallowed, variables keep
their values; chaining keeps what the earlier fit had; bad `init`s and
parameter names are errors."""

from __future__ import annotations

import numpy as np
import pytest

import extopt


class Mine(Exception):
    """The user's own exception."""


def _raising(exc: type[BaseException], after: int, make_sum):
    calls = {"n": 0}

    def loss(x):
        calls["n"] += 1
        if calls["n"] > after:
            raise exc("raised by the user's loss")
        return make_sum(x)

    return loss


def _rosen(x):
    return 100 * (x[1] - x[0] ** 2) ** 2 + (1 - x[0]) ** 2


METHODS = [
    "L-BFGS-B",
    "BFGS",
    "TNC",
    "SLSQP",
    "trust-constr",
    "Nelder-Mead",
    "COBYLA",
    "minuit",
    "ipopt",
    "nlopt:LD_SLSQP",
    "nlopt:LN_COBYLA",
]


def _objects():
    return {
        "L-BFGS-B": extopt.ScipyLBFGSB,
        "SLSQP": extopt.ScipySLSQP,
        "trust-constr": extopt.ScipyTrustConstr,
        "minuit": extopt.Minuit,
        "ipopt": extopt.Ipopt,
        "nlopt:LD_SLSQP": extopt.NLoptSLSQP,
    }


@pytest.mark.parametrize("exc", [KeyboardInterrupt, SystemExit, Mine])
@pytest.mark.parametrize("method", METHODS)
def test_the_users_exception_from_a_torch_loss_comes_back(exc, method):
    torch = pytest.importorskip("torch")
    loss = _raising(exc, 5, _rosen)  # mid-run: after five evaluations
    with pytest.raises(exc, match="raised by the user's loss"):
        extopt.minimize(loss, torch.tensor([-1.2, 1.0], dtype=torch.float64), method=method)
    make = _objects().get(method)
    if make is not None:  # the minimizer objects, with their NaN strategy in between
        loss = _raising(exc, 5, _rosen)
        with pytest.raises(exc, match="raised by the user's loss"):
            make().minimize(loss, torch.tensor([-1.2, 1.0], dtype=torch.float64))


@pytest.mark.parametrize("exc", [KeyboardInterrupt, Mine])
@pytest.mark.parametrize("method", ["L-BFGS-B", "Nelder-Mead", "SLSQP", "minuit", "ipopt"])
def test_the_users_exception_from_a_numpy_loss_comes_back(exc, method):
    loss = _raising(exc, 7, _rosen)
    jac = None if method == "Nelder-Mead" else "2-point"
    with pytest.raises(exc, match="raised by the user's loss"):
        extopt.minimize(loss, np.array([-1.2, 1.0]), method=method, jac=jac)


def test_an_interrupt_in_the_verification_comes_back():
    """The verdict calls the user's functions too (for the Hessian)."""
    torch = pytest.importorskip("torch")
    calls = {"hessian": False}

    def loss(x):
        if calls["hessian"]:
            raise KeyboardInterrupt("raised by the user's loss")
        return torch.sum((x - 1.0) ** 2)

    fit = extopt.ScipyBFGS()
    res = fit.minimize(loss, torch.zeros(2, dtype=torch.float64))
    assert res.valid
    calls["hessian"] = True
    with pytest.raises(KeyboardInterrupt):
        fit.minimize(loss, torch.zeros(2, dtype=torch.float64))


@pytest.mark.parametrize("exc", [KeyboardInterrupt, Mine])
def test_torch_variables_keep_their_values_after_an_exception(exc):
    torch = pytest.importorskip("torch")
    from extopt.torch import ScipyOptimizerInterface

    w = torch.tensor([3.0, 2.0], dtype=torch.float64, requires_grad=True)
    calls = {"n": 0}

    def loss():
        calls["n"] += 1
        if calls["n"] > 4:
            raise exc("raised by the user's loss")
        return _rosen(w)

    for method in ("L-BFGS-B", "SLSQP", "trust-constr"):
        calls["n"] = 0
        with pytest.raises(exc):
            ScipyOptimizerInterface(loss, [w], method=method).minimize()
        assert w.detach().tolist() == [3.0, 2.0], method


def test_tensorflow_py_function_errors_are_the_users():
    tf = pytest.importorskip("tensorflow")

    def boom(v):
        raise Mine("raised inside tf.py_function")

    def loss(x):
        return tf.reduce_sum(x**2) + tf.py_function(boom, [x], tf.float64)

    with pytest.raises(Mine, match=r"inside tf\.py_function"):
        extopt.minimize(loss, tf.constant([1.0, 2.0], dtype=tf.float64))

    def plain(x):
        raise Mine("raised directly")

    with pytest.raises(Mine, match="raised directly"):
        extopt.minimize(plain, tf.constant([1.0, 2.0], dtype=tf.float64))


def test_tensorflow_py_function_keyboard_interrupt_is_not_wrapped():
    tf = pytest.importorskip("tensorflow")
    calls = {"n": 0}

    def maybe(v):
        calls["n"] += 1
        if calls["n"] > 3:
            raise KeyboardInterrupt
        return tf.reduce_sum(v) * 0.0

    def loss(x):
        return tf.reduce_sum((x - 1.0) ** 2) + tf.py_function(maybe, [x], tf.float64)

    with pytest.raises(KeyboardInterrupt):
        extopt.minimize(loss, tf.constant([5.0, 2.0], dtype=tf.float64), method="L-BFGS-B")


# -- chaining -----------------------------------------------------------------------------


def test_chaining_keeps_the_constraints_and_the_bounds(jnp):
    loss = extopt.Loss(lambda x: jnp.sum((x - 3.0) ** 2), backend="jax")
    first = extopt.ScipySLSQP().minimize(
        loss,
        np.array([0.0, 0.0, 0.0]),
        bounds=(None, [2.5, None, None]),
        equalities=lambda x: x[1] - 1.0,
        inequalities=lambda x: 2.0 - x[2],
    )
    np.testing.assert_allclose(first.x, [2.5, 1.0, 2.0], atol=1e-6)
    for again in (
        extopt.ScipySLSQP().minimize(first),
        extopt.ScipyTrustConstr().minimize(loss, init=first),
        extopt.ScipySLSQP().minimize(loss, np.zeros(3), init=first),
    ):
        # trust-constr's interior point ends a little inside: within its EDM target
        np.testing.assert_allclose(again.x, [2.5, 1.0, 2.0], atol=2e-4)
        assert again.valid is False and again.reasons == ["limits"]  # x[0] at its bound
        assert again.constr_violation < 1e-6 and again.multipliers is not None
    # new constraints replace the earlier ones
    other = extopt.ScipySLSQP().minimize(first, equalities=lambda x: x[0] - 0.5)
    assert other.valid
    np.testing.assert_allclose(other.x, [0.5, 3.0, 3.0], atol=1e-3)  # within its EDM target


def test_an_init_that_matches_no_parameter_is_an_error(jnp):
    def jax_loss(f):
        return extopt.Loss(f, backend="jax")

    first = extopt.ScipyLBFGSB().minimize(
        jax_loss(lambda p: (p["a"] - 1.0) ** 2 + (p["b"] - 2.0) ** 2), {"a": 0.0, "b": 0.0}
    )
    with pytest.raises(extopt.InputError, match="init shares no parameter name"):
        extopt.ScipyLBFGSB().minimize(
            jax_loss(lambda p: (p["c"] - 1.0) ** 2), {"c": 0.0}, init=first
        )
    # sharing some names is fine: those start where init ended
    partial = extopt.ScipyLBFGSB().minimize(
        jax_loss(lambda p: (p["a"] - 1.0) ** 2 + p["c"] ** 2), {"a": 0.0, "c": 1.0}, init=first
    )
    assert partial.valid


@pytest.mark.parametrize(
    "params",
    [
        [{"value": 1.0, "name": "mu"}, {"value": 2.0, "name": "mu"}],
        {"value": [1.0, 2.0], "name": ["mu", "mu"]},
    ],
)
def test_duplicate_parameter_names_are_an_error(params):
    with pytest.raises(extopt.InputError, match="names 'mu' twice"):
        extopt.ScipyLBFGSB(gradient="2-point").minimize(lambda x: np.sum(x**2), params)


# -- Minuit with a start Hessian that is not positive definite --------------------------------


@pytest.mark.parametrize(
    "loss, x0",
    [
        (lambda x: x[0] ** 2 - x[1] ** 2 + 0.01 * x[1] ** 4, [0.1, 0.1]),
        (lambda x: (x[0] ** 4 + x[0]) + (x[1] ** 4 + x[1]), [0.0, 0.0]),
    ],
)
def test_minuit_runs_from_a_start_where_the_hessian_is_not_positive_definite(jnp, loss, x0):
    """iminuit 2.33 failed with "'NoneType' object is not callable" there."""
    for fit in (
        extopt.Minuit().minimize(loss, jnp.array(x0)),
        extopt.minimize(loss, jnp.array(x0), method="minuit"),
    ):
        assert np.all(np.isfinite(fit.x_flat))
    result = extopt.Minuit().minimize(loss, jnp.array(x0))
    assert result.valid, result.message


def test_the_users_callback_exceptions_come_back(jnp):
    def callback(intermediate_result):
        if intermediate_result.nit >= 2:
            raise Mine("raised by the user's callback")

    def loss_callback(info):
        if info.nfev >= 4:
            raise Mine("raised by the user's loss_callback")

    for method in ("L-BFGS-B", "trust-constr", "Nelder-Mead", "minuit", "ipopt"):
        with pytest.raises(Mine, match="user's callback"):
            extopt.minimize(_rosen, jnp.array([-1.2, 1.0]), method=method, callback=callback)
        with pytest.raises(Mine, match="user's loss_callback"):
            extopt.minimize(
                _rosen, jnp.array([-1.2, 1.0]), method=method, loss_callback=loss_callback
            )


def test_a_user_hessian_that_raises_comes_back():
    def hess(x):
        raise Mine("raised by the user's hess")

    with pytest.raises(Mine, match="user's hess"):
        extopt.minimize(
            _rosen,
            np.array([-1.2, 1.0]),
            jac=lambda x: np.array(
                [-400 * x[0] * (x[1] - x[0] ** 2) - 2 * (1 - x[0]), 200 * (x[1] - x[0] ** 2)]
            ),
            hess=hess,
            method="trust-exact",
        )


def test_scipys_own_failure_is_an_unsuccessful_result_not_a_traceback():
    """trust-constr raises ValueError("Negative curvature not allowed ...") on an
    unbounded quadratic: extopt answers with the best point seen, not valid."""
    q = np.array([[3.56, 2.01], [2.01, -1.25]])

    def loss(x):
        return 0.5 * x @ q @ x

    res = extopt.minimize(
        extopt.Loss(loss, jac=lambda x: q @ x), np.array([0.3, 0.2]), method="trust-constr"
    )
    if res.status == "failed":  # SciPy gave up with an error
        assert not res.success and "SciPy's trust-constr failed" in res.message
    assert not res.valid
