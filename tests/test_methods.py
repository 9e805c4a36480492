"""Every scipy.optimize.minimize method through extopt.minimize, with both
backends, against SciPy run directly with hand-written exact derivatives and
against the known minimum of Rosenbrock's function (all ones)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.optimize as so

import extopt
from extopt._methods import METHODS

from conftest import rosen, rosen_grad, rosen_hess, rosen_jax

# Options that let SciPy itself reach the minimum tightly from X0.
OPTIONS = {
    "Nelder-Mead": {"xatol": 1e-10, "fatol": 1e-14, "maxiter": 10000, "maxfev": 10000},
    "Powell": {"xtol": 1e-10, "ftol": 1e-14},
    "CG": {"gtol": 1e-9},
    "BFGS": {"gtol": 1e-9},
    "Newton-CG": {"xtol": 1e-12},
    "L-BFGS-B": {"ftol": 1e-15, "gtol": 1e-10},
    "TNC": {"maxfun": 5000, "ftol": 1e-15, "gtol": 1e-10, "xtol": 1e-12},
    "COBYLA": {"maxiter": 20000, "tol": 1e-8},
    "COBYQA": {"final_tr_radius": 1e-10},
    "SLSQP": {"ftol": 1e-15, "maxiter": 1000},
    "trust-constr": {"gtol": 1e-10, "xtol": 1e-14},
    "dogleg": {"gtol": 1e-9},
    "trust-ncg": {"gtol": 1e-9},
    "trust-exact": {"gtol": 1e-9},
    "trust-krylov": {"gtol": 1e-9},
}
X0 = np.array([-1.2, 1.0, 0.5])
X0_2D = np.array([-1.2, 1.0])  # COBYLA is slow in 3-D


def _start(method):
    return X0_2D if method == "COBYLA" else X0


def _scipy_reference(method):
    spec = METHODS[method.lower()]
    kwargs = {}
    if spec.grad != "none":
        kwargs["jac"] = rosen_grad
    if spec.hess != "none":
        kwargs["hess"] = rosen_hess
    return so.minimize(rosen, _start(method), method=method, options=OPTIONS[method], **kwargs)


def test_options_table_covers_every_method():
    assert set(OPTIONS) == set(extopt.method_names())


@pytest.mark.parametrize("method", list(OPTIONS))
def test_numpy_backend_with_user_derivatives_matches_scipy(method):
    spec = METHODS[method.lower()]
    ref = _scipy_reference(method)
    kwargs = {}
    if spec.grad != "none":
        kwargs["jac"] = rosen_grad
    if spec.hess != "none":
        kwargs["hess"] = rosen_hess
    res = extopt.minimize(rosen, _start(method), method=method, options=OPTIONS[method], **kwargs)
    assert res.success, res.message
    # Same algorithm, same derivatives: the same answer as SciPy, at the minimum.
    np.testing.assert_allclose(res.x, ref.x, rtol=0, atol=1e-7)
    atol = 1e-3 if method == "COBYLA" else 1e-5
    np.testing.assert_allclose(res.x, np.ones_like(res.x), atol=atol)
    assert isinstance(res.x, np.ndarray) and res.x.dtype == np.float64


@pytest.mark.parametrize("method", list(OPTIONS))
def test_jax_backend_with_exact_derivatives_reaches_the_minimum(method, jnp):
    spec = METHODS[method.lower()]
    ref = _scipy_reference(method)
    res = extopt.minimize(
        rosen_jax, jnp.asarray(_start(method)), method=method, options=OPTIONS[method]
    )
    assert res.success, res.message
    atol = 1e-3 if method == "COBYLA" else 1e-5
    np.testing.assert_allclose(np.asarray(res.x), np.ones(res.x.shape), atol=atol)
    np.testing.assert_allclose(np.asarray(res.x), ref.x, atol=max(atol, 1e-6))
    # x comes back in the leaf's dtype (float32: JAX's default); x_flat is what SciPy saw.
    assert res.x.dtype == jnp.asarray(X0).dtype
    np.testing.assert_allclose(res.fun, rosen(res.x_flat), rtol=1e-9, atol=1e-14)
    # What extopt supplied: no gradient at all for derivative-free methods, exact
    # second derivatives for the Hessian methods.
    if spec.derivative_free:
        assert res.njev == 0 and res.nhev == 0
        assert res.jac is None
    else:
        assert res.njev > 0
        np.testing.assert_allclose(res.jac_flat, rosen_grad(res.x_flat), rtol=1e-9, atol=1e-9)
    assert (res.nhev > 0) == (spec.hess != "none")


@pytest.mark.parametrize("method", ["Newton-CG", "trust-ncg", "trust-krylov", "trust-constr"])
def test_hessian_vector_product_methods_match_scipy_with_exact_hessp(method, jnp):
    def hessp(x, p):
        return rosen_hess(x) @ p

    ref = so.minimize(
        rosen, X0, jac=rosen_grad, hessp=hessp, method=method, options=OPTIONS[method]
    )
    res = extopt.minimize(rosen_jax, jnp.asarray(X0), method=method, options=OPTIONS[method])
    np.testing.assert_allclose(np.asarray(res.x), ref.x, atol=1e-6)
    if method != "trust-constr":  # trust-constr gets the dense Hessian at this size
        assert abs(res.nit - ref.nit) <= 2


def test_default_method_is_lbfgsb_and_slsqp_with_constraints(jnp):
    res = extopt.minimize(rosen_jax, jnp.asarray(X0))
    assert res.method == "L-BFGS-B"
    res = extopt.minimize(rosen_jax, jnp.asarray(X0), inequalities=lambda x: 2.0 - x[0])
    assert res.method == "SLSQP"


def test_method_names_are_case_insensitive(jnp):
    res = extopt.minimize(rosen_jax, jnp.asarray(X0), method="l-bfgs-b")
    assert res.method == "L-BFGS-B" and res.success


@pytest.mark.parametrize("method", ["L-BFGS-B", "BFGS", "CG", "SLSQP", "TNC"])
def test_numpy_backend_without_gradient_uses_finite_differences_and_says_so(method):
    with pytest.warns(extopt.ExtoptWarning, match=r"4 loss evaluations per gradient"):
        res = extopt.minimize(rosen, X0, method=method, options=OPTIONS[method])
    np.testing.assert_allclose(res.x, np.ones(3), atol=2e-3)
    assert res.counts["njev"] == 0  # SciPy's finite differences call the loss only
    # ... and a flat NumPy call counts as SciPy does: its gradient estimates
    ref = so.minimize(rosen, X0, method=method, options=OPTIONS[method])
    assert ("njev" in res) == ("njev" in ref)
    if "njev" in ref:
        assert res.njev == res.scipy_result.njev > 0


@pytest.mark.parametrize("scheme", ["2-point", "3-point", "cs"])
def test_explicit_finite_difference_gradient_is_silent(scheme, jnp, recwarn):
    def loss(x):
        return jnp.sum((x - jnp.arange(3.0)) ** 2)

    res = extopt.minimize(loss, jnp.zeros(3), jac=scheme)
    np.testing.assert_allclose(np.asarray(res.x), np.arange(3.0), atol=1e-5)
    assert res.njev == 0 or scheme == "cs"
    assert not [w for w in recwarn if issubclass(w.category, extopt.ExtoptWarning)]


def test_workers_option_is_passed_to_scipy_finite_differences():
    calls = []

    def workers(fun, iterable):
        calls.append(1)
        return list(map(fun, iterable))

    res = extopt.minimize(rosen, X0, jac="2-point", options={"workers": workers, "gtol": 1e-8})
    assert calls, "SciPy did not use the workers map"
    np.testing.assert_allclose(res.x, np.ones(3), atol=1e-3)


def test_numpy_hessian_methods_need_derivatives():
    with pytest.raises(extopt.MethodError, match="needs the gradient as a function"):
        extopt.minimize(rosen, X0, method="trust-ncg")
    with pytest.raises(extopt.MethodError, match="needs the Hessian matrix"):
        extopt.minimize(rosen, X0, method="dogleg", jac=rosen_grad)


def test_numpy_trust_ncg_falls_back_to_finite_difference_hessian():
    res = extopt.minimize(rosen, X0, method="trust-ncg", jac=rosen_grad)
    np.testing.assert_allclose(res.x, np.ones(3), atol=1e-5)


@pytest.mark.parametrize("hess", [so.BFGS(), so.SR1, "2-point", "3-point"])
@pytest.mark.parametrize("method", ["Newton-CG", "trust-ncg", "trust-constr"])
def test_hessian_alternatives_pass_through(method, hess, jnp):
    res = extopt.minimize(
        rosen_jax, jnp.asarray(X0), method=method, hess=hess, options={"maxiter": 5000}
    )
    np.testing.assert_allclose(np.asarray(res.x), np.ones(3), atol=1e-3)
    assert res.nhev == 0  # nothing exact was computed


def test_user_hessian_update_strategy_is_not_mutated(jnp):
    strategy = so.BFGS()
    before = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in vars(strategy).items()}
    extopt.minimize(rosen_jax, jnp.asarray(X0), method="trust-constr", hess=strategy)
    assert set(vars(strategy)) == set(before)  # never initialized: extopt used a copy
    for key, value in before.items():
        assert vars(strategy)[key] is value or np.array_equal(vars(strategy)[key], value)


def test_jac_true_means_fun_returns_value_and_gradient():
    res = extopt.minimize(
        lambda x: (rosen(x), rosen_grad(x)), X0, jac=True, method="BFGS", options={"gtol": 1e-9}
    )
    np.testing.assert_allclose(res.x, np.ones(3), atol=1e-6)
    assert res.nfev == res.njev


def test_trust_constr_uses_hessian_vector_products_for_large_problems(jnp):
    n = 150
    res = extopt.minimize(
        rosen_jax, jnp.zeros(n), method="trust-constr", options={"gtol": 1e-8, "maxiter": 3000}
    )
    np.testing.assert_allclose(np.asarray(res.x), np.ones(n), atol=1e-5)
    assert res.nhev > res.nit  # one product per CG step, not one matrix per iteration


def test_option_names_match_the_installed_scipy():
    """The table's option names are the keywords SciPy's implementations take."""
    import inspect

    import scipy.optimize._minimize as impl
    import scipy.optimize._trustregion as trust

    functions = {
        "Nelder-Mead": impl._minimize_neldermead,
        "Powell": impl._minimize_powell,
        "CG": impl._minimize_cg,
        "BFGS": impl._minimize_bfgs,
        "Newton-CG": impl._minimize_newtoncg,
        "L-BFGS-B": impl._minimize_lbfgsb,
        "TNC": impl._minimize_tnc,
        "COBYLA": impl._minimize_cobyla,
        "COBYQA": impl._minimize_cobyqa,
        "SLSQP": impl._minimize_slsqp,
        "trust-constr": impl._minimize_trustregion_constr,
    }
    not_options = {
        "fun",
        "func",
        "x0",
        "args",
        "jac",
        "grad",
        "hess",
        "hessp",
        "bounds",
        "constraints",
        "callback",
        "unknown_options",
        "trust_region_options",
    }
    trust_keywords = set(inspect.signature(trust._minimize_trust_region).parameters)
    for name in extopt.method_names():
        spec = METHODS[name.lower()]
        if name in functions:
            keywords = set(inspect.signature(functions[name]).parameters) - not_options
            assert spec.options == keywords, name
        else:
            assert spec.options <= trust_keywords, name
