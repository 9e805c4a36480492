"""`valid` means a verified local minimum: the examples of issue 10, each
checked against an independent float64 truth (a closed form, a published
optimum, plain iminuit, SciPy on a hand-written NumPy gradient)."""

from __future__ import annotations

import contextlib
import warnings

import numpy as np
import pytest

import extopt
from extopt import ExtoptWarning

jax = pytest.importorskip("jax")
jnp = jax.numpy


@contextlib.contextmanager
def _quiet():
    """No warning about finite differences (the NumPy backend says so)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExtoptWarning)
        yield


# -- an independent check of a verdict, in float64 -------------------------------------------


def independent_check(x, *, grad, hess):
    """The EDM (1/2 g^T H^-1 g) and the smallest Hessian eigenvalue at `x`, from
    hand-written float64 derivatives (no extopt code)."""
    x = np.asarray(x, dtype=np.float64)
    g = np.asarray(grad(x), dtype=np.float64)
    h = np.asarray(hess(x), dtype=np.float64)
    return float(0.5 * g @ np.linalg.solve(h, g)), float(np.linalg.eigvalsh(h)[0])


# -- the zfit issue 664 toy: L-BFGS-B's own EDM is no evidence -------------------------------


def _toy(seed, lo=0.0, hi=5.0):
    rng = np.random.default_rng(seed)
    s = rng.normal(2.5, 0.3, rng.poisson(300))
    s = s[(s > lo) & (s < hi)]
    lam = 0.7
    u = rng.uniform(size=rng.poisson(1700))
    b = -np.log(1 - u * (1 - np.exp(-lam * (hi - lo)))) / lam + lo
    data = jnp.asarray(np.concatenate([s, b]))
    erf = jax.scipy.special.erf

    def nll(p):
        mu, sigma, lam, ns, nb = p[0], p[1], p[2], p[3], p[4]
        z = lambda v: (v - mu) / (sigma * jnp.sqrt(2.0))  # noqa: E731
        fs = jnp.exp(-0.5 * ((data - mu) / sigma) ** 2) / (sigma * jnp.sqrt(2 * jnp.pi))
        fs = fs / (0.5 * (erf(z(hi)) - erf(z(lo))))
        fb = jnp.exp(-lam * data) * lam / (jnp.exp(-lam * lo) - jnp.exp(-lam * hi))
        return ns + nb - jnp.sum(jnp.log(ns * fs + nb * fb))

    nll.errordef = 0.5
    return nll


@pytest.mark.parametrize("seed", [0, 5])
def test_zfit_664_toy_lbfgsb_valid_only_at_the_true_minimum(seed):
    """Gaussian peak on an exponential background, 2,000 events, five
    parameters, errordef 0.5: plain iminuit with the exact gradient is the
    truth; a valid L-BFGS-B answer is within the EDM target of it."""
    iminuit = pytest.importorskip("iminuit")
    nll = _toy(seed)
    x0 = jnp.array([2.4, 0.35, 0.6, 250.0, 1800.0])
    value, grad = jax.jit(nll), jax.jit(jax.grad(nll))
    with jax.enable_x64(True):
        m = iminuit.Minuit(
            lambda p: float(value(jnp.asarray(p))),
            np.asarray(x0),
            grad=lambda p: np.asarray(grad(jnp.asarray(p))),
        )
        m.errordef, m.strategy, m.tol = 0.5, 2, 1e-6
        m.migrad()
        m.hesse()
    assert m.valid
    truth, errors = np.array(m.values), np.array(m.errors)
    for minimizer in (extopt.ScipyLBFGSB(), extopt.ScipyBFGS(), extopt.Minuit()):
        res = minimizer.minimize(nll, x0)
        assert res.valid, (type(minimizer).__name__, res.message)
        target = minimizer.tol * 0.5
        assert res.fun - m.fval < 2 * target, type(minimizer).__name__
        assert np.max(np.abs(res.x_flat - truth) / errors) < 0.05, type(minimizer).__name__
        # its EDM is the exact one: the Newton decrement at its answer
        with jax.enable_x64(True):
            h = np.asarray(jax.hessian(nll)(jnp.asarray(res.x_flat)))
            g = np.asarray(grad(jnp.asarray(res.x_flat)))
        assert res.edm == pytest.approx(0.5 * g @ np.linalg.solve(h, g), rel=1e-3, abs=1e-9)


# -- precision: float32, float16 and mixed starts --------------------------------------------


def _shifted(x):
    return np.sum((x - np.array([3.0, -1.0])) ** 2)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_low_precision_numpy_starts_reach_the_float64_answer(dtype):
    start = np.array([1.0, 2.0], dtype=dtype)
    with _quiet():
        res = extopt.minimize(_shifted, start)
        fit = extopt.ScipyLBFGSB().minimize(_shifted, start)
    for r in (res, fit):
        assert r.x.dtype == dtype  # the answer in the user's dtype
        np.testing.assert_allclose(r.x_flat, [3.0, -1.0], atol=1e-5)
    assert res.success and fit.valid


def test_mixed_precision_tree_start():
    start = {"a": np.float32(1.0), "b": np.array([2.0], dtype=np.float64)}

    def loss(p):
        return (p["a"] - 3.0) ** 2 + np.sum((p["b"] + 1.0) ** 2)

    with _quiet():
        fit = extopt.ScipyLBFGSB().minimize(loss, start)
    assert fit.valid and isinstance(fit.x["a"], np.float32)
    assert fit.x["a"] == pytest.approx(3.0, abs=1e-5)
    assert fit.x["b"][0] == pytest.approx(-1.0, abs=1e-5)


def test_numpy_user_function_sees_float64():
    seen = []

    def loss(x):
        seen.append(x.dtype)
        return np.sum(x**2)

    with _quiet():
        extopt.minimize(loss, np.ones(2, dtype=np.float32))
    assert set(seen) == {np.dtype(np.float64)}


def test_float32_torch_start_reaches_the_answer_to_float32_precision():
    torch = pytest.importorskip("torch")
    target = torch.tensor([3.0, -1.0], dtype=torch.float32)
    for method in ("L-BFGS-B", "BFGS", "trust-constr"):
        with _quiet():
            fit = extopt.Scipy(method).minimize(
                lambda x: torch.sum((x - target) ** 2), torch.tensor([1.0, 2.0])
            )
        assert fit.valid, (method, fit.message)
        np.testing.assert_allclose(fit.x_flat, [3.0, -1.0], atol=1e-3)


@pytest.mark.parametrize(
    "backend, make",
    [
        ("jax", lambda: (lambda x: jnp.sum(x**2).astype(jnp.int32), jnp.array([3.0, 2.0]))),
        (
            "torch",
            lambda: (
                lambda x: (x**2).sum().to(__import__("torch").int64),
                __import__("torch").tensor([3.0, 2.0], dtype=__import__("torch").float64),
            ),
        ),
        (
            "tensorflow",
            lambda: (
                lambda x: __import__("tensorflow").cast(
                    __import__("tensorflow").reduce_sum(x**2), "int32"
                ),
                __import__("tensorflow").constant([3.0, 2.0], dtype="float64"),
            ),
        ),
    ],
)
def test_an_integer_loss_is_an_error_that_names_its_dtype(backend, make):
    pytest.importorskip(backend)
    loss, x0 = make()
    with pytest.raises(extopt.InputError, match=r"integer value \(dtype int"):
        extopt.ScipyLBFGSB().minimize(loss, x0)


# -- saddle points: Wood, and a saddle at the start -------------------------------------------


def wood(x):
    return (
        100 * (x[1] - x[0] ** 2) ** 2
        + (1 - x[0]) ** 2
        + 90 * (x[3] - x[2] ** 2) ** 2
        + (1 - x[2]) ** 2
        + 10 * (x[1] + x[3] - 2) ** 2
        + 0.1 * (x[1] - x[3]) ** 2
    )


def wood_grad(x):
    return np.array(
        [
            -400 * x[0] * (x[1] - x[0] ** 2) - 2 * (1 - x[0]),
            200 * (x[1] - x[0] ** 2) + 20 * (x[1] + x[3] - 2) + 0.2 * (x[1] - x[3]),
            -360 * x[2] * (x[3] - x[2] ** 2) - 2 * (1 - x[2]),
            180 * (x[3] - x[2] ** 2) + 20 * (x[1] + x[3] - 2) - 0.2 * (x[1] - x[3]),
        ]
    )


def wood_hess(x):
    return np.array(
        [
            [1200 * x[0] ** 2 - 400 * x[1] + 2, -400 * x[0], 0, 0],
            [-400 * x[0], 220.2, 0, 19.8],
            [0, 0, 1080 * x[2] ** 2 - 360 * x[3] + 2, -360 * x[2]],
            [0, 19.8, -360 * x[2], 200.2],
        ]
    )


WOOD_X0 = [-3.0, -1.0, -3.0, -1.0]


def test_wood_from_its_published_start_leaves_the_saddle():
    """L-BFGS-B alone stops at f = 7.877, a saddle (smallest eigenvalue -0.12):
    SciPy on the hand-written gradient is the truth of that."""
    from scipy.optimize import minimize

    alone = minimize(wood, WOOD_X0, jac=wood_grad, method="L-BFGS-B")
    _, smallest = independent_check(alone.x, grad=wood_grad, hess=wood_hess)
    assert alone.fun > 7 and smallest < -0.1  # the trap is real
    for minimizer in (extopt.ScipyLBFGSB(), extopt.Minuit()):
        fit = minimizer.minimize(wood, jnp.array(WOOD_X0))
        assert fit.valid, (type(minimizer).__name__, fit.message)
        assert fit.fun < 1e-3  # the published minimum, 0 at (1, 1, 1, 1)
        edm, smallest = independent_check(fit.x_flat, grad=wood_grad, hess=wood_hess)
        assert edm < minimizer.tol and smallest > 0 and fit.min_curvature > 0
        assert fit.edm == pytest.approx(edm, rel=1e-6, abs=1e-12)
    # extopt.minimize is SciPy's answer, judged: not valid at the saddle
    res = extopt.minimize(wood, jnp.array(WOOD_X0), method="L-BFGS-B")
    assert res.fun == pytest.approx(alone.fun, rel=1e-6)
    assert not res.valid and "curvature" in res.reasons and res.min_curvature < -0.1


def test_an_exact_saddle_at_the_start_is_never_valid():
    def saddle(x):
        return x[0] ** 2 - x[1] ** 2 + 0.25 * x[1] ** 4

    res = extopt.minimize(saddle, jnp.zeros(2))  # gradient 0: SciPy stops at once
    assert res.success and not res.valid and res.reasons == ["curvature"]
    assert res.verdict["curvature"].passed is False
    fit = extopt.ScipyLBFGSB().minimize(saddle, jnp.zeros(2))
    # stepped out along the negative curvature, to a minimum at x1 = +-sqrt(2)
    assert fit.valid and fit.info["escapes"] >= 1
    np.testing.assert_allclose(np.abs(fit.x_flat), [0.0, np.sqrt(2.0)], atol=1e-4)
    assert fit.fun == pytest.approx(-1.0, abs=1e-8)


def test_a_plateau_is_never_valid():
    """Far from its well the loss is constant to the last bit (the exponential
    underflows): gradient and Hessian exactly zero, no evidence of a minimum."""

    def well(x):
        return -jnp.exp(-jnp.sum(x**2))

    start = jnp.array([40.0, 30.0])
    res = extopt.minimize(well, start)
    assert res.success and not res.valid and res.reasons == ["curvature"]
    assert "plateau" in res.verdict["curvature"].text
    assert not extopt.ScipyLBFGSB().minimize(well, start).valid


def test_unbounded_below_is_not_valid():
    fit = extopt.ScipyLBFGSB().minimize(lambda x: x[0] ** 2 - x[1] ** 2, jnp.zeros(2))
    assert not fit.valid and fit.fun < -1e6


def test_a_maximum_with_bounds_is_left_within_the_bounds():
    fit = extopt.ScipyLBFGSB().minimize(lambda x: -jnp.sum(x**2), jnp.zeros(2), bounds=(-1.0, 2.0))
    # the minimum of -|x|^2 on the box is at the corner (2, 2): parameters at limits
    np.testing.assert_allclose(fit.x_flat, [2.0, 2.0])
    assert fit.converged and fit.reasons == ["limits"]


# -- infeasible constraints ------------------------------------------------------------------


def _contradiction():
    return dict(equalities=[lambda x: x[0] - 1.0, lambda x: x[0] - 2.0])


@pytest.mark.parametrize(
    "make", [extopt.ScipySLSQP, extopt.ScipyTrustConstr, extopt.Ipopt, extopt.NLoptSLSQP]
)
def test_contradictory_equalities_are_never_valid(make):
    fit = make().minimize(lambda x: jnp.sum(x**2), jnp.zeros(2), **_contradiction())
    assert not fit.valid and "feasible" in fit.reasons
    assert fit.constr_violation >= 0.49  # at best halfway between 1 and 2
    # the same through extopt.minimize
    method = {"ScipySLSQP": "SLSQP", "ScipyTrustConstr": "trust-constr"}.get(
        make.__name__, {"Ipopt": "ipopt", "NLoptSLSQP": "nlopt:LD_SLSQP"}.get(make.__name__)
    )
    res = extopt.minimize(lambda x: jnp.sum(x**2), jnp.zeros(2), method=method, **_contradiction())
    assert not res.valid and "feasible" in res.reasons


def test_a_nan_constraint_at_the_answer_is_a_violation():
    """The constraint is NaN beyond x0 = 1, and SLSQP starts (and stays) there:
    its constraint violation was 0 (NaN compared as no violation)."""

    def con(x):
        return jnp.where(x[0] <= 1.0, 1.0 - x[0], jnp.nan)

    seen_nan = False
    for start in ([2.0, 0.0], [0.5, 0.0]):
        res = extopt.minimize(
            lambda x: jnp.sum((x - 3.0) ** 2), jnp.array(start), inequalities=[con], method="SLSQP"
        )
        value = float(np.asarray(res.constr["ineq"][0]))
        if not np.isfinite(value):
            seen_nan = True
            assert res.constr_violation == np.inf
            assert not res.valid and {"feasible", "finite"} <= set(res.reasons)
        else:
            assert res.constr_violation <= 1e-6
    assert seen_nan  # from x0 = 2, where it is NaN, SLSQP does not move
    fit = extopt.Ipopt().minimize(
        lambda x: jnp.sum((x - 3.0) ** 2), jnp.array([0.5, 0.0]), inequalities=[con]
    )
    np.testing.assert_allclose(fit.x_flat, [1.0, 3.0], atol=1e-6)
    assert fit.reasons == [] or fit.reasons == ["limits"]


def test_a_spent_budget_on_a_constrained_fit_answers_a_feasible_point():
    """The start is feasible (on the sphere): whatever the budget, the answer is
    the best feasible point seen, not a lower loss bought by violating it."""
    target = jnp.array([10.0, -3.0, 5.0])
    loss = extopt.Loss(lambda x: jnp.sum((x - target) ** 4 + jnp.exp(x)), backend="jax")
    start = np.array([0.6, 0.8, 0.0])  # float64: on the sphere to the last digit
    f0 = float(np.sum((np.array([0.6, 0.8, 0.0]) - np.array(target)) ** 4 + np.exp([0.6, 0.8, 0])))
    for budget in (2, 4, 6):
        fit = extopt.ScipySLSQP(maxiter=budget).minimize(
            loss, start, equalities=lambda x: jnp.sum(x**2) - 1.0
        )
        assert not fit.valid and "budget" in fit.reasons, budget
        assert fit.constr_violation <= 1e-8 and fit.fun <= f0 * (1 + 1e-12), budget


# -- NaN regions ------------------------------------------------------------------------------


def _nan_beyond_two(x):
    """Decreasing towards x[0] = 2, NaN beyond: no minimum inside the domain."""
    return jnp.where(x[0] < 2, -x[0] + (x[1] - 1) ** 2, jnp.nan)


@pytest.mark.parametrize("strategy", [extopt.PushbackStrategy, extopt.ToyStrategy])
@pytest.mark.parametrize("make", ["ScipyLBFGSB", "ScipyBFGS", "ScipySLSQP", "Minuit"])
def test_a_fit_that_runs_into_a_nan_region_is_not_valid(strategy, make):
    cls = getattr(extopt, make)
    minimizer = cls(nan_strategy=strategy) if make == "Minuit" else cls(strategy=strategy)
    fit = minimizer.minimize(_nan_beyond_two, jnp.zeros(2))
    assert np.isfinite(fit.fun) and fit.x_flat[0] < 2  # the answer is a real point
    assert not fit.valid and fit.edm > 1.0  # the slope is 1 there: far from a minimum


def test_a_fit_that_met_nan_early_and_converged_is_valid():
    def loss(p):
        return jnp.where(p[0] > 0, 100 * (p[0] - 0.1) ** 2 + (p[1] - 1) ** 2, jnp.nan)

    fit = extopt.ScipyLBFGSB().minimize(loss, jnp.array([0.3, 1.0]))  # first step: to -0.7
    assert fit.info["nan_events"] > 0 and fit.valid
    np.testing.assert_allclose(fit.x_flat, [0.1, 1.0], atol=1e-4)


# -- uncertainties that say when they do not exist -------------------------------------------


def test_hesse_of_a_parameter_the_loss_ignores_is_infinite():
    fit = extopt.ScipyLBFGSB().minimize(lambda p: (p[0] - 1) ** 2 + 0 * p[1], jnp.zeros(2))
    with pytest.warns(ExtoptWarning, match="does not constrain x\\[1\\]"):
        errors = fit.hesse()
    assert errors["x[0]"]["error"] == pytest.approx(1.0)
    assert errors["x[1]"]["error"] == np.inf
    assert fit.covariance_status == "singular"
    assert fit.params["x[1]"]["hesse"]["status"] == "singular"


def test_hesse_at_a_saddle_is_nan_and_warns():
    res = extopt.minimize(lambda x: x[0] ** 2 - x[1] ** 2, jnp.zeros(2))
    with pytest.warns(ExtoptWarning) as record:
        errors = res.hesse()
    text = " ".join(str(w.message) for w in record)
    assert "not valid" in text and "not positive definite" in text
    assert errors["x[0]"]["error"] == pytest.approx(1.0) and np.isnan(errors["x[1]"]["error"])
    assert res.covariance_status == "not positive definite"


def test_hesse_and_errors_on_a_spent_budget_warn():
    fit = extopt.ScipyLBFGSB(maxiter=3).minimize(
        lambda x: jnp.sum((x - 1.0) ** 2 * (1 + x**2)), jnp.full(2, 5.0)
    )
    assert "budget" in fit.reasons
    with pytest.warns(ExtoptWarning, match="not valid"):
        fit.hesse()
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        errors, lower = fit.errors()
    said = [str(w.message) for w in seen]
    assert any("not valid" in text for text in said)
    assert all(not e["is_valid"] and not e["lower_valid"] for e in errors.values())
    # three iterations from the start: profiling finds the lower minimum, and says so
    assert lower is not None and lower.fun < fit.fun
    assert any("lower minimum" in text for text in said)


def test_profile_errors_of_an_unconstrained_parameter_are_infinite():
    fit = extopt.ScipyLBFGSB().minimize(lambda p: (p[0] - 1) ** 2 + 0 * p[1], jnp.zeros(2))
    errors, _ = fit.errors("x[1]")
    entry = errors["x[1]"]
    assert entry["lower"] == -np.inf and entry["upper"] == np.inf and not entry["is_valid"]


# -- the verdict as data and in the views -----------------------------------------------------


def test_the_verdict_names_each_condition():
    fit = extopt.ScipyLBFGSB().minimize(lambda x: jnp.sum((x - 1.0) ** 2), jnp.zeros(3))
    assert fit.valid and fit.converged and fit.reasons == []
    names = [check.name for check in fit.verdict.checks]
    assert names == list(extopt.VERDICT_CONDITIONS)
    assert all(check.passed for check in fit.verdict.checks)
    text = str(fit)
    for name in names:
        assert f"[x] {name}:" in text
    html = fit._repr_html_()
    assert "#92CCA6" in html and "#FF7878" not in html


def test_a_failed_condition_is_red_in_html_and_in_the_message():
    fit = extopt.ScipyLBFGSB(maxiter=3).minimize(lambda x: jnp.sum(x**4 + x**2), jnp.ones(2))
    assert not fit.valid and "budget" in fit.reasons
    assert "[ ] budget:" in str(fit) and "#FF7878" in fit._repr_html_()
    assert "not valid" in fit.message and "budget" in fit.message


def test_the_algorithms_own_word_stays_in_success():
    res = extopt.minimize(lambda x: x[0] ** 2 - x[1] ** 2, jnp.zeros(2))
    assert res.success is True and res.valid is False


def test_verdict_fields_survive_pickling():
    import pickle

    fit = extopt.ScipyLBFGSB().minimize(lambda x: jnp.sum((x - 1.0) ** 2), jnp.zeros(2))
    back = pickle.loads(pickle.dumps(fit))
    assert back.valid and back.reasons == [] and back.verdict.valid
