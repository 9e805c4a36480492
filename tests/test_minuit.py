"""Minuit through the public extension point: MIGRAD with exact derivatives,
extopt's convergence rule, HESSE and MINOS agreeing with extopt's own
uncertainties and with closed forms."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import extopt

from conftest import rosen, rosen_grad

pytest.importorskip("iminuit")


@pytest.fixture(scope="module")
def data():
    return np.random.RandomState(7).normal(1.5, 2.0, 400)


def gauss_nll(data):
    import jax.numpy as jnp

    def nll(p):
        mu, sigma = (p["mu"], p["sigma"]) if isinstance(p, dict) else (p[0], p[1])
        return jnp.sum(0.5 * ((data - mu) / sigma) ** 2 + jnp.log(sigma))

    return extopt.Loss(nll, errordef=0.5, backend="jax")


def closed_form(data):
    """Maximum-likelihood estimates of a Gaussian and their errors."""
    n = data.size
    sigma = data.std()
    return data.mean(), sigma, sigma / np.sqrt(n), sigma / np.sqrt(2 * n)


def test_migrad_finds_rosenbrock_with_exact_and_own_gradients(jnp):
    from conftest import rosen_jax

    for gradient in (None, True):
        res = extopt.Minuit(tol=1e-8, gradient=gradient).minimize(
            extopt.Loss(rosen_jax, backend="jax"), np.zeros(4)
        )
        assert res.valid, res.message
        assert res.edm < 1e-8 and res.fun < 1e-8
        np.testing.assert_allclose(res.x, np.ones(4), atol=1e-3)
        assert res.method == "Minuit"
    # A hand-written NumPy gradient given as the loss's own jac works the same way.
    res = extopt.Minuit(tol=1e-8).minimize(
        extopt.Loss(rosen, jac=lambda x: rosen_grad(x)), np.array([-1.2, 1.0])
    )
    np.testing.assert_allclose(res.x, [1.0, 1.0], atol=1e-4)


def test_the_fit_meets_extopts_edm_rule_and_restarts_tighter(jnp, data):
    loss = gauss_nll(data)
    for tol in (1e-2, 1e-6):
        res = extopt.Minuit(tol=tol).minimize(loss, {"mu": 0.0, "sigma": 1.0})
        assert res.converged and res.edm < tol * 0.5
        assert res.errordef == 0.5


def test_maximum_likelihood_errors_agree_across_minuit_scipy_and_closed_form(jnp, data):
    mu, sigma, err_mu, err_sigma = closed_form(data)
    loss = gauss_nll(data)
    params = {"mu": 0.0, "sigma": 1.0}
    minuit = extopt.Minuit(tol=1e-7).minimize(
        loss, params, bounds=({"mu": None, "sigma": 0.1}, None)
    )
    scipy = extopt.ScipyLBFGSB(tol=1e-7).minimize(loss, params)
    for res in (minuit, scipy):
        np.testing.assert_allclose([res.x["mu"], res.x["sigma"]], [mu, sigma], rtol=1e-5)
        for method in ("autodiff", "minuit"):
            errors = res.hesse(method=method)
            np.testing.assert_allclose(
                [errors["mu"]["error"], errors["sigma"]["error"]], [err_mu, err_sigma], rtol=1e-3
            )
        # MINOS and extopt's profile errors: the same interval.
        minos, _ = res.errors(method="minos", name="minos")
        profile, _ = res.errors()
        for name in ("mu", "sigma"):
            np.testing.assert_allclose(minos[name]["lower"], profile[name]["lower"], rtol=2e-3)
            np.testing.assert_allclose(minos[name]["upper"], profile[name]["upper"], rtol=2e-3)
            assert minos[name]["is_valid"]
        assert res.params["mu"]["minos"]["method"] == "minos"
    # mu's profile is exactly parabolic: MINOS is symmetric and equals the closed form.
    np.testing.assert_allclose(-minos["mu"]["lower"], err_mu, rtol=1e-3)
    np.testing.assert_allclose(minos["mu"]["upper"], err_mu, rtol=1e-3)


def test_limits_step_sizes_and_chaining(jnp, data):
    loss = gauss_nll(data)
    mu, *_ = closed_form(data)
    # A limit that binds: sigma cannot reach its optimum.
    res = extopt.Minuit().minimize(
        loss, [{"value": 0.0, "name": "mu"}, {"value": 3.0, "name": "sigma", "lower": 2.5}]
    )
    assert res.values["sigma"] == pytest.approx(2.5, abs=1e-6)
    assert res.params_at_limit and not res.valid
    # Step sizes from params reach Minuit; a chained fit starts from the earlier errors.
    first = extopt.ScipyLBFGSB().minimize(
        loss, [{"value": 0.0, "name": "mu", "step_size": 0.05}, {"value": 1.0, "name": "sigma"}]
    )
    first.hesse()
    chained = extopt.Minuit(tol=1e-6).minimize(first)
    assert chained.valid
    assert chained.nfev <= 20  # it starts at the minimum with the right step sizes
    np.testing.assert_allclose(chained.values["mu"], mu, rtol=1e-5)


def test_extopt_minimize_reaches_minuit(jnp):
    from conftest import rosen_jax

    res = extopt.minimize(
        rosen_jax, jnp.array([-1.2, 1.0]), method="minuit", tol=1e-8, options={"strategy": 2}
    )
    assert res.success and res.method == "Minuit"
    np.testing.assert_allclose(np.asarray(res.x), [1.0, 1.0], atol=1e-5)
    with pytest.raises(extopt.InputError, match=r"precisionn.*Did you mean 'precision'"):
        extopt.minimize(
            rosen_jax, jnp.array([-1.2, 1.0]), method="minuit", options={"precisionn": 1e-9}
        )


def test_callback_budget_and_nan(jnp):
    from conftest import rosen_jax

    loss = extopt.Loss(rosen_jax, backend="jax")
    seen = []

    def stop_at_third(info):
        seen.append(info.fun)
        return len(seen) == 3

    res = extopt.minimize(
        rosen_jax, jnp.array([-1.2, 1.0]), method="minuit", callback=stop_at_third
    )
    assert "callback" in res.message and not res.success
    assert res.fun == pytest.approx(seen[-1])
    limited = extopt.Minuit(maxiter=15).minimize(loss, np.array([-1.2, 1.0]))
    assert not limited.valid and limited.nfev <= 15
    assert limited.fun < rosen(np.array([-1.2, 1.0]))  # the best point seen

    def with_nan(x):
        import jax.numpy as jnp

        return jnp.where(x[0] > 2.0, jnp.nan, rosen_jax(x))

    with pytest.raises(extopt.NaNError):
        extopt.Minuit(nan_strategy=extopt.FailFastStrategy).minimize(
            extopt.Loss(with_nan, backend="jax"), np.array([3.0, 1.0])
        )


def test_bad_input_is_refused_with_clear_errors(jnp):
    from conftest import rosen_jax

    loss = extopt.Loss(rosen_jax, backend="jax")
    with pytest.raises(extopt.InputError, match="strategy must be Minuit's 0, 1 or 2"):
        extopt.Minuit(strategy=3)
    with pytest.raises(extopt.InputError, match="hessian for Minuit must be"):
        extopt.Minuit(hessian="bfgs")
    with pytest.raises(extopt.InputError, match="precision must be"):
        extopt.Minuit(precision=2.0)
    with pytest.raises(extopt.MethodError, match="Minuit cannot take equality constraints"):
        extopt.Minuit().minimize(loss, np.zeros(2), equalities=lambda x: x[0] - 1.0)
    with pytest.raises(extopt.MethodError, match="'cs'"):
        extopt.Minuit(gradient="cs")
    # zfit's spelling: a NaN strategy given as strategy=.
    assert isinstance(extopt.Minuit(strategy=extopt.ToyStrategy).strategy, extopt.ToyStrategy)


def test_a_missing_iminuit_names_the_extra(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "iminuit" else real(name, *a)
    )
    with pytest.raises(extopt.BackendError, match=r"extopt\[minuit\]"):
        extopt.Minuit()


def test_minos_answers_a_fixed_parameter_like_the_profile(jnp):
    """A parameter with lower == upper has no room: MINOS (which iminuit cannot
    run over a fixed parameter) says so as extopt's profile does, and the free
    ones get the closed form: curvature 2 * (1 - 0.25 / 1) along each, errordef 1."""
    loss = extopt.Loss(
        lambda p: (p[0] - 1) ** 2 + (p[1] - 2) ** 2 + p[0] * p[1] * p[2], backend="jax"
    )
    fit = extopt.Minuit().minimize(
        loss, jnp.array([0.0, 0.0, 0.5]), bounds=([-10, -10, 0.5], [10, 10, 0.5])
    )
    minos, _ = fit.errors(method="minos", name="minos")
    profile, _ = fit.errors(name="profile")
    for key in ("lower", "upper", "is_valid", "at_limit"):
        assert minos["x[2]"][key] == profile["x[2]"][key]
    # Hessian [[2, 0.5], [0.5, 2]]: along each free parameter, the other one
    # minimized, the loss rises by 1/2 (2 - 0.5^2 / 2) d^2; errordef 1 at d = 1.0328;
    # the half-width does not depend on how precisely the minimum was found
    for name in ("x[0]", "x[1]"):
        half_width = (minos[name]["upper"] - minos[name]["lower"]) / 2
        assert half_width == pytest.approx(1 / np.sqrt(0.9375), rel=1e-4)  # MINOS tolerance
