"""Uncertainties against closed forms: Gaussian maximum likelihood, a
chi-square straight line, profile errors (symmetric on a quadratic,
asymmetric for a Poisson mean), and the FitResult around them."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from scipy.optimize import brentq
from scipy.stats import chi2

import extopt

jax = pytest.importorskip("jax")
jnp = jax.numpy

RNG = np.random.default_rng(42)
SAMPLE = RNG.normal(1.5, 0.7, size=1000)


def gaussian_nll(p):
    mu, sigma = p["mu"], p["sigma"]
    return jnp.sum(jnp.log(sigma) + 0.5 * ((SAMPLE - mu) / sigma) ** 2)


@pytest.mark.parametrize(
    "minimizer", [extopt.ScipyLBFGSB, extopt.ScipyTrustExact, extopt.ScipyNelderMead]
)
def test_gaussian_likelihood_errors_are_sigma_over_sqrt_n(minimizer):
    loss = extopt.Loss(gaussian_nll, errordef=0.5, backend="jax")
    result = minimizer().minimize(loss, {"mu": 1.0, "sigma": 1.0})
    assert result.valid
    n = SAMPLE.size
    mu_hat, sigma_hat = SAMPLE.mean(), SAMPLE.std()
    # at the MLE to a small fraction of the statistical error (EDM below 5e-4)
    np.testing.assert_allclose(
        [result.values["mu"], result.values["sigma"]],
        [mu_hat, sigma_hat],
        atol=0.01 * sigma_hat / np.sqrt(n),
    )
    errors = result.hesse()
    rtol = 1e-4 if minimizer is not extopt.ScipyNelderMead else 1e-3
    np.testing.assert_allclose(errors["mu"]["error"], sigma_hat / np.sqrt(n), rtol=rtol)
    np.testing.assert_allclose(errors["sigma"]["error"], sigma_hat / np.sqrt(2 * n), rtol=rtol)
    assert result.params["mu"]["hesse"]["error"] == errors["mu"]["error"]
    np.testing.assert_allclose(result.correlation()[0, 1], 0.0, atol=1e-3)


X = np.linspace(0.0, 4.0, 12)
SIGMA = 0.1 + 0.05 * X
Y = 0.3 + 1.7 * X + RNG.normal(0.0, SIGMA)
A = np.column_stack([np.ones_like(X), X])
W = np.diag(1 / SIGMA**2)
COV = np.linalg.inv(A.T @ W @ A)


def chi_square(p):
    return jnp.sum(((Y - p[0] - p[1] * X) / SIGMA) ** 2)


@pytest.mark.parametrize("method", ["autodiff", "finite_difference"])
def test_chi_square_line_covariance_is_the_least_squares_formula(method):
    loss = extopt.Loss(chi_square, errordef=1.0, backend="jax")
    result = extopt.ScipyBFGS().minimize(loss, jnp.zeros(2))
    np.testing.assert_allclose(result.x_flat, COV @ A.T @ W @ Y, rtol=1e-6)
    result.hesse(method=method)
    np.testing.assert_allclose(result.covariance(method=method), COV, rtol=1e-5)
    as_dict = result.covariance(as_dict=True)
    assert as_dict[("x[0]", "x[1]")] == pytest.approx(COV[0, 1], rel=1e-5)


def test_approximate_hesse_from_bfgs_is_close():
    loss = extopt.Loss(chi_square, errordef=1.0, backend="jax")
    result = extopt.ScipyBFGS(gtol=1e-10).minimize(loss, jnp.zeros(2))
    result.hesse(method="approx")
    np.testing.assert_allclose(result.covariance(method="approx"), COV, rtol=0.05)
    with pytest.raises(extopt.MethodError, match="keeps no approximation"):
        extopt.ScipySLSQP().minimize(loss, jnp.zeros(2)).hesse(method="approx")


def test_numpy_backend_hesse_by_finite_differences():
    def loss(p):
        return np.sum(((Y - p[0] - p[1] * X) / SIGMA) ** 2)

    def grad(p):
        r = (Y - p[0] - p[1] * X) / SIGMA**2
        return -2 * np.array([r.sum(), (r * X).sum()])

    result = extopt.ScipyBFGS().minimize(extopt.Loss(loss, jac=grad), np.zeros(2))
    result.hesse()  # finite differences of the user's gradient
    np.testing.assert_allclose(result.covariance(), COV, rtol=1e-5)


def test_profile_errors_equal_hesse_errors_on_a_quadratic():
    loss = extopt.Loss(chi_square, errordef=1.0, backend="jax")
    result = extopt.ScipyLBFGSB().minimize(loss, jnp.zeros(2))
    hesse = result.hesse()
    errors, new = result.errors()
    assert new is None
    for name in result.names:
        np.testing.assert_allclose(-errors[name]["lower"], hesse[name]["error"], rtol=1e-4)
        np.testing.assert_allclose(errors[name]["upper"], hesse[name]["error"], rtol=1e-4)
    # two standard deviations: twice the interval on a quadratic
    errors2, _ = result.errors(sigma=2)
    np.testing.assert_allclose(errors2["x[0]"]["upper"], 2 * hesse["x[0]"]["error"], rtol=1e-4)


N_EVENTS = 5


def poisson_nll(p):
    return p["mu"] - N_EVENTS * jnp.log(p["mu"])


def _poisson_interval(delta):
    """Where mu - n log mu rises by delta from its minimum at mu = n."""
    f_min = N_EVENTS - N_EVENTS * np.log(N_EVENTS)

    def g(mu):
        return mu - N_EVENTS * np.log(mu) - f_min - delta

    return brentq(g, 1e-9, N_EVENTS), brentq(g, N_EVENTS, 100.0)


@pytest.mark.parametrize("cl", [None, 0.9])
def test_profile_errors_are_asymmetric_for_a_poisson_mean(cl):
    loss = extopt.Loss(poisson_nll, errordef=0.5, backend="jax")
    result = extopt.ScipyLBFGSB().minimize(loss, {"mu": 2.0}, bounds=({"mu": 1e-6}, None))
    errors, _ = result.errors(cl=cl)
    q = 1.0 if cl is None else chi2.ppf(cl, 1)  # the correct chi-square quantile
    low, high = _poisson_interval(0.5 * q)
    np.testing.assert_allclose(errors["mu"]["lower"], low - N_EVENTS, rtol=1e-5)
    np.testing.assert_allclose(errors["mu"]["upper"], high - N_EVENTS, rtol=1e-5)
    assert -errors["mu"]["lower"] < errors["mu"]["upper"]
    assert result.params["mu"]["errors"]["upper"] == errors["mu"]["upper"]


def test_profiling_that_finds_a_lower_minimum_says_so_and_refits():
    def loss(p):
        return (p["a"] ** 2 - 1) ** 2 + 0.3 * p["a"] + p["b"] ** 2

    fit = extopt.ScipyLBFGSB().minimize(
        extopt.Loss(loss, errordef=1.0, backend="jax"), {"a": 1.2, "b": 0.5}
    )
    assert fit.values["a"] > 0  # the local minimum
    with pytest.warns(extopt.ExtoptWarning, match="lower minimum was found"):
        _, better = fit.errors(params="a")
    assert better is not None and better.valid
    assert better.values["a"] < 0 and better.fmin < fit.fmin


def test_hesse_with_an_active_bound_and_equality_constraint():
    """Errors live where the parameters are free: a parameter at its limit, or
    bound by an equality, has no room along that direction."""
    loss = extopt.Loss(
        lambda p: p[0] ** 2 + 2 * p[1] ** 2 + 3 * p[2] ** 2, errordef=0.5, backend="jax"
    )
    result = extopt.ScipySLSQP().minimize(
        loss,
        np.array([1.0, 1.0, 1.0]),
        bounds=([0.5, None, None], None),
        equalities=lambda p: p[1] - p[2],
    )
    assert result.params_at_limit and not result.valid
    cov = result.covariance()
    assert cov[0, 0] == pytest.approx(0.0, abs=1e-12)
    # along p1 = p2 the curvature is 2 * (2 + 3): cov = 1/10 in each, fully correlated
    np.testing.assert_allclose(cov[1:, 1:], np.full((2, 2), 0.1), rtol=1e-6)


# -- the result around them -------------------------------------------------------------


def test_params_by_name_in_zfit_layout_and_the_table():
    loss = extopt.Loss(gaussian_nll, errordef=0.5, backend="jax")
    result = extopt.ScipyLBFGSB().minimize(loss, {"mu": 1.0, "sigma": 1.0})
    result.hesse()
    result.errors()
    entry = result.params["mu"]
    assert set(entry) >= {"value", "hesse", "errors"}
    assert entry["errors"]["lower"] < 0 < entry["errors"]["upper"]
    text = str(result)
    for part in ("valid", "fmin / edm", "mu", "sigma", "+/-"):
        assert part in text
    html = result._repr_html_()
    assert html.startswith("<div>") and "<table>" in html and "sigma" in html
    assert result.niter == result.nit and result.info["n_eval"] == result.nfev


def test_update_params_and_the_context_manager_restore_values():
    x0 = {"a": np.array([0.0, 0.0]), "b": np.array(5.0)}
    loss = extopt.Loss(lambda p: jnp.sum((p["a"] - 1.0) ** 2) + (p["b"] - 2.0) ** 2, backend="jax")
    result = extopt.ScipyLBFGSB().minimize(loss, x0)
    np.testing.assert_array_equal(x0["a"], [0.0, 0.0])  # untouched by the fit
    with result:
        np.testing.assert_allclose(x0["a"], [1.0, 1.0], atol=1e-6)
        np.testing.assert_allclose(x0["b"], 2.0, atol=1e-6)
    np.testing.assert_array_equal(x0["a"], [0.0, 0.0])
    assert float(x0["b"]) == 5.0
    result.update_params()
    np.testing.assert_allclose(x0["b"], 2.0, atol=1e-6)
    immutable = extopt.ScipyLBFGSB().minimize(loss, {"a": jnp.zeros(2), "b": 5.0})
    with pytest.raises(extopt.InputError, match="immutable values"):
        immutable.update_params()


def test_update_params_writes_torch_tensors():
    torch = pytest.importorskip("torch")
    w = torch.zeros(3, dtype=torch.float64)
    result = extopt.ScipyLBFGSB().minimize(extopt.Loss(lambda p: torch.sum((p - 2.0) ** 2)), w)
    assert float(w.sum()) == 0.0
    result.update_params()
    np.testing.assert_allclose(w.numpy(), 2.0, atol=1e-6)


def test_freeze_pickles_and_stops_computing():
    loss = extopt.Loss(gaussian_nll, errordef=0.5, backend="jax")
    result = extopt.ScipyLBFGSB().minimize(loss, {"mu": jnp.asarray(1.0), "sigma": 1.0})
    result.hesse()
    frozen = pickle.loads(pickle.dumps(result.freeze()))
    assert frozen.params["mu"]["hesse"]["error"] == result.params["mu"]["hesse"]["error"]
    assert isinstance(frozen.x["mu"], np.ndarray)
    with pytest.raises(extopt.InputError, match="frozen or unpickled"):
        frozen.hesse()
    with pytest.raises(extopt.InputError, match="no live loss"):
        extopt.ScipyLBFGSB().minimize(frozen)


def _on_circle(p):
    return (p[0] - 2.0) ** 2 + p[1] ** 2


@pytest.mark.parametrize("backend", ["jax", "numpy"])
def test_a_curved_constraint_holds_the_parameters_with_its_curvature_too(backend):
    """min (x-2)^2 + y^2 on the unit circle: at (1, 0), with x = cos t, y = sin t
    the loss is 5 - 4 cos t, curvature 4 along the circle; the loss Hessian
    alone (2) would double the variance. With errordef 1: var(y) = 2/4, and the
    EDM at the answer is finite and small (it needs the same curvature)."""
    circle = (lambda p: jnp.sum(p**2) - 1.0) if backend == "jax" else (lambda p: p @ p - 1.0)
    loss = extopt.Loss(_on_circle, errordef=1.0, backend=backend)
    gradient = None if backend == "jax" else "2-point"
    result = extopt.ScipySLSQP(gradient=gradient).minimize(
        loss, np.array([0.6, 0.5]), equalities=circle
    )
    assert result.valid and result.edm < 1e-6
    np.testing.assert_allclose(result.x, [1.0, 0.0], atol=1e-5)
    np.testing.assert_allclose(result.covariance(), [[0.0, 0.0], [0.0, 0.5]], atol=1e-4)


def test_profile_errors_of_a_peak_on_a_background_match_an_independent_profile():
    """A badly scaled likelihood (L-BFGS-B alone stops short at some profile
    points): the profile roots against SciPy's Nelder-Mead on a NumPy NLL,
    profiled by hand, with brentq."""
    from scipy.optimize import minimize as scipy_minimize
    from scipy.stats import norm

    rng = np.random.default_rng(3)
    data = np.concatenate([rng.normal(4.0, 0.8, 400), rng.uniform(0.0, 10.0, 600)])

    def nll(p):
        mu, sigma, frac = p["mu"], p["sigma"], p["frac"]
        peak = jnp.exp(-0.5 * ((data - mu) / sigma) ** 2) / (sigma * jnp.sqrt(2 * jnp.pi))
        return -jnp.sum(jnp.log(frac * peak + (1 - frac) / 10.0))

    def nll_np(frac, mu, sigma):
        return -np.sum(np.log(frac * norm.pdf(data, mu, sigma) + (1 - frac) / 10.0))

    loss = extopt.Loss(nll, errordef=0.5, backend="jax")
    limits = ({"mu": 0.0, "sigma": 0.05, "frac": 0.0}, {"mu": 10.0, "sigma": 5.0, "frac": 1.0})
    fit = extopt.ScipyLBFGSB(tol=1e-4).minimize(
        loss, {"mu": 5.0, "sigma": 1.0, "frac": 0.5}, bounds=limits
    )
    errors, new_minimum = fit.errors()
    assert new_minimum is None

    tight = {"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20_000}
    best = scipy_minimize(lambda q: nll_np(*q), fit.x_flat, method="Nelder-Mead", options=tight)

    def profile(mu):
        others = scipy_minimize(
            lambda q: nll_np(q[0], mu, q[1]), best.x[[0, 2]], method="Nelder-Mead", options=tight
        )
        return others.fun - best.fun - 0.5

    mu_hat = fit.values["mu"]
    for side, key in ((-1, "lower"), (1, "upper")):
        root = brentq(profile, best.x[1], best.x[1] + side * 0.2, xtol=1e-9)
        # the same point where the profile crosses, whatever each minimum's last digits
        assert mu_hat + errors["mu"][key] == pytest.approx(root, abs=2e-5)
