"""The minimizer objects (zfit's API): construction checks, the zfit-style
acceptance case for every minimizer and every valid gradient/hessian
combination, convergence, restarts, budgets, NaN strategies, chaining and
verbosity."""

from __future__ import annotations

import itertools
import logging

import numpy as np
import pytest
import scipy.optimize as so

import extopt
from extopt._methods import METHODS
from extopt._scipy import check_derivatives

jax = pytest.importorskip("jax")
jnp = jax.numpy

GRADIENTS = [None, True, "2-point", "3-point", "cs"]
HESSIANS = [None, "bfgs", "sr1", so.BFGS, "2-point", "3-point"]


def combinations():
    """Every (minimizer, gradient, hessian) SciPy accepts."""
    out = []
    for name, cls in extopt.MINIMIZERS.items():
        spec = METHODS[cls._method.lower()]
        hessians = HESSIANS if spec.hess != "none" else [None]
        for gradient, hessian in itertools.product(GRADIENTS, hessians):
            jac = extopt._minimizers._gradient_mode(gradient)
            hess = extopt._minimizers._hessian_choice(hessian)
            try:
                check_derivatives(spec, jac, hess)
            except extopt.MethodError:
                continue
            out.append((name, gradient, hessian))
    return out


COMBINATIONS = combinations()


def test_every_minimizer_has_combinations_and_zfit_rejected_ones_are_here():
    assert {c[0] for c in COMBINATIONS} == set(extopt.MINIMIZERS)
    # a finite-difference gradient with a quasi-Newton Hessian (zfit rejects it)
    assert ("ScipyTrustConstr", "2-point", "bfgs") in COMBINATIONS
    assert ("ScipyNewtonCG", None, "sr1") in COMBINATIONS


def _sphere(p):
    return p["a"] ** 2 + p["b"] ** 2


@pytest.mark.parametrize(
    ("name", "gradient", "hessian"),
    COMBINATIONS,
    ids=[f"{n}-{g}-{getattr(h, '__name__', h)}" for n, g, h in COMBINATIONS],
)
def test_zfit_acceptance_quadratic(name, gradient, hessian):
    """Loss a^2 + b^2 (errordef 0.5) from {a: 0.5, b: 0.2}: valid, converged,
    at the minimum."""
    minimizer = extopt.MINIMIZERS[name](gradient=gradient, hessian=hessian)
    loss = extopt.Loss(_sphere, errordef=0.5, backend="jax")
    result = minimizer.minimize(loss, {"a": 0.5, "b": 0.2})
    assert result.valid and result.converged, result.message
    assert result.fmin <= 0.5
    np.testing.assert_allclose([result.values["a"], result.values["b"]], [0, 0], atol=0.02)
    assert result.edm < minimizer.tol * 0.5


ROSENBROCK = [n for n in extopt.MINIMIZERS if n not in ("ScipyDogleg", "ScipyCOBYLA")]


def _rosen(p):
    x = jnp.stack([p["x0"], p["x1"], p["x2"]])
    return jnp.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


@pytest.mark.parametrize("name", ROSENBROCK)
@pytest.mark.parametrize("limits", [False, True])
def test_zfit_acceptance_rosenbrock_with_hesse_errors(name, limits):
    """3-D Rosenbrock from [1.4, 0.6, 1.5], errordef 0.5 (limits -5..9):
    valid, fmin near 0, Hessian errors near [0.32, 0.64, 1.3]. (dogleg needs a
    positive definite Hessian, which the start does not have; COBYLA's linear
    models need tens of thousands of evaluations here.)"""
    minimizer = extopt.MINIMIZERS[name]()
    if limits:
        if not METHODS[minimizer.spec.key].bounds:
            pytest.skip(f"{name} takes no bounds")
        # zfit's form: a loss of a vector, params with value, name, lower, upper
        loss = extopt.Loss(
            lambda x: _rosen(dict(zip(("x0", "x1", "x2"), x, strict=True))),
            errordef=0.5,
            backend="jax",
        )
        params = {
            "value": [1.4, 0.6, 1.5],
            "name": ["x0", "x1", "x2"],
            "lower": [-5] * 3,
            "upper": [9] * 3,
        }
    else:  # a dict of start values names the parameters after its keys
        loss = extopt.Loss(_rosen, errordef=0.5, backend="jax")
        params = {"x0": 1.4, "x1": 0.6, "x2": 1.5}
    result = minimizer.minimize(loss, params)
    if limits and name == "ScipyPowell":
        # SciPy's Powell with bounds stops at f = 2.7, far from the minimum, and
        # says it succeeded; extopt's criterion says the result is invalid.
        assert result.success and not result.valid
        return
    assert result.valid, result.message
    assert abs(result.fmin) < 0.01
    errors = result.hesse()
    np.testing.assert_allclose(
        [errors[n]["error"] for n in ("x0", "x1", "x2")], [0.32, 0.64, 1.3], rtol=0.15
    )


def test_edm_is_the_same_rule_for_every_minimizer():
    """The criterion: EDM below tol * errordef (zfit used tol alone for Minuit)."""
    loss = extopt.Loss(lambda p: 0.5 * jnp.sum((p - 1.0) ** 2), errordef=1.0, backend="jax")
    for cls in (extopt.ScipyLBFGSB, extopt.ScipyNelderMead, extopt.ScipyTrustNCG):
        result = cls(tol=1e-6).minimize(loss, np.zeros(3))
        assert result.converged and result.edm < 1e-6
        # for 0.5 * |x - 1|^2 the EDM is exactly 1/2 |g|^2 = 1/2 |x - 1|^2
        np.testing.assert_allclose(
            result.edm, 0.5 * np.sum((result.x_flat - 1) ** 2), rtol=1e-6, atol=1e-300
        )


@pytest.mark.parametrize("name", list(extopt.MINIMIZERS))
def test_restarts_tighten_until_the_criterion_is_met(name):
    """With a loose first run (its stopping tolerances 1e3 times SciPy's), a
    tight tol needs restarts; every method restarts cleanly, Nelder-Mead too."""
    cls = extopt.MINIMIZERS[name]
    spec = METHODS[cls._method.lower()]
    aliases = {scipy: ours for ours, scipy in spec.aliases}
    loose = {aliases.get(k, k): v * 1e3 for k, v in spec.tolerances}
    if name in ("ScipyDogleg", "ScipyCOBYLA"):  # a convex bowl: dogleg needs a positive
        # definite Hessian everywhere; COBYLA's linear models crawl along Rosenbrock's valley
        loss = extopt.Loss(
            lambda x: jnp.sum((x - 1.0) ** 4 + (x - 1.0) ** 2), errordef=0.5, backend="jax"
        )
    else:
        loss = extopt.Loss(
            lambda x: jnp.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2),
            errordef=0.5,
            backend="jax",
        )
    minimizer = cls(tol=1e-6, **loose)
    result = minimizer.minimize(loss, np.array([-1.2, 1.0]))
    assert result.info["restarts"] >= 1 or result.converged
    assert result.converged, (result.message, result.info)
    assert len(result.info["edm_history"]) == result.info["restarts"] + 1


def test_a_nan_criterion_never_loops():
    class NanCriterion(extopt.ConvergenceCriterion):
        def calculate(self, result):
            return float("nan")

    minimizer = extopt.ScipyLBFGSB(criterion=NanCriterion)
    loss = extopt.Loss(lambda x: jnp.sum(x**2), backend="jax")
    result = minimizer.minimize(loss, np.ones(2))
    assert result.info["restarts"] == 0 and not result.converged and not result.valid


def test_stuck_runs_end_the_fit():
    """An unreachable tol: restarts stop when a run makes no progress."""
    minimizer = extopt.ScipyNelderMead(tol=1e-300)
    loss = extopt.Loss(lambda x: jnp.sum(jnp.abs(x - 0.3)) + 1.0, backend="jax")
    result = minimizer.minimize(loss, np.zeros(2))
    assert result.info["restarts"] < extopt._minimizers.MAX_RESTARTS
    np.testing.assert_allclose(result.x_flat, 0.3, atol=1e-6)


def test_maxiter_gives_an_invalid_result_with_the_best_point():
    loss = extopt.Loss(
        lambda x: jnp.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2), backend="jax"
    )
    seen = []
    result = extopt.ScipyNelderMead(maxiter=50).minimize(loss, np.zeros(4))
    assert result is not None and not result.valid and result.status == "maxiter"
    assert "evaluation budget" in result.message
    assert result.nfev == 50
    best = result.fmin
    with pytest.raises(extopt.EvaluationLimit):
        ev = extopt.ScipyLBFGSB(maxiter=3).create_evaluator(loss, np.zeros(4))
        for i in range(5):
            seen.append(ev.value(np.full(4, 0.1 * i)))
    assert len(seen) == 3 and best <= 3.0  # the best of the 50, not the start (3.0)


# -- NaN strategies ------------------------------------------------------------------------


def _nan_beyond(x):
    """Minimum at 1, the loss NaN beyond 1.2 (close to the minimum)."""
    return jnp.where(x[0] > 1.2, jnp.nan, (x[0] - 1.0) ** 2 * 10 + x[1] ** 2)


def _nan_before(x):
    """Minimum at 1, the loss NaN beyond 0.5: the first step lands there."""
    return jnp.where(x[0] > 0.5, jnp.nan, (x[0] - 1.0) ** 2 + x[1] ** 2)


def test_pushback_strategy_steers_away_from_nan():
    loss = extopt.Loss(_nan_beyond, errordef=0.5, backend="jax")
    result = extopt.ScipyLBFGSB().minimize(loss, np.array([-3.0, 1.0]))
    assert result.valid, result.message
    np.testing.assert_allclose(result.x_flat, [1.0, 0.0], atol=1e-4)


def test_fail_fast_strategy_raises_with_the_point():
    loss = extopt.Loss(_nan_before, errordef=0.5, backend="jax")
    with pytest.raises(extopt.NaNError) as info:
        extopt.ScipyBFGS(strategy=extopt.FailFastStrategy).minimize(loss, np.array([0.0, 1.0]))
    assert info.value.x[0] > 0.5 and info.value.params[0] > 0.5


def _always_nan_after_start(x):
    return jnp.where(jnp.sum(jnp.abs(x)) > 0, jnp.nan, 1.0)


def test_pushback_gives_up_after_max_nan_and_toy_returns_an_invalid_result():
    # finite at the start only: every step away is NaN
    loss = extopt.Loss(
        lambda x: jnp.where(jnp.sum(jnp.abs(x)) > 1e-12, jnp.nan, jnp.sum((x - 1.0) ** 2)),
        backend="jax",
    )
    with pytest.raises(extopt.NaNError, match="consecutive evaluations"):
        extopt.ScipyLBFGSB(strategy=extopt.PushbackStrategy(max_nan=5)).minimize(loss, np.zeros(2))
    result = extopt.ScipyLBFGSB(strategy=extopt.ToyStrategy(max_nan=5)).minimize(loss, np.zeros(2))
    assert not result.valid and result.status == "nan" and "consecutive" in result.message
    np.testing.assert_array_equal(result.x_flat, [0.0, 0.0])  # the best point seen
    assert result.fmin == 2.0


def test_strategy_callback_hook_sees_every_evaluation():
    seen = []

    class Watch(extopt.PushbackStrategy):
        def callback(self, value, gradient, hessian, params):
            seen.append((value, params["a"]))

    loss = extopt.Loss(_sphere, errordef=0.5, backend="jax")
    result = extopt.ScipyLBFGSB(strategy=Watch).minimize(loss, {"a": 0.5, "b": 0.2})
    assert len(seen) == result.nfev and seen[0] == (pytest.approx(0.29), 0.5)


# -- chaining ------------------------------------------------------------------------------


def test_chained_fit_needs_fewer_evaluations_than_a_fresh_tight_fit():
    loss = extopt.Loss(_rosen, errordef=0.5, backend="jax")
    start = {"x0": -1.2, "x1": 1.0, "x2": 0.5}
    loose = extopt.ScipyLBFGSB(tol=1e2).minimize(loss, start)
    chained = extopt.ScipyLBFGSB(tol=1e-10).minimize(loose)  # the result alone chains
    fresh = extopt.ScipyLBFGSB(tol=1e-10).minimize(loss, start)
    assert chained.valid and fresh.valid
    assert chained.nfev < fresh.nfev
    np.testing.assert_allclose(chained.x_flat, fresh.x_flat, atol=1e-5)


def test_chaining_between_methods_and_partial_init():
    loss = extopt.Loss(_rosen, errordef=0.5, backend="jax")
    first = extopt.ScipyNelderMead(tol=1e-1).minimize(loss, {"x0": -1.2, "x1": 1.0, "x2": 0.5})
    first.hesse()
    second = extopt.ScipyBFGS().minimize(first)  # hess errors become step sizes
    assert second.valid
    third = extopt.ScipyBFGS().minimize(second)  # BFGS into BFGS: its inverse Hessian starts it
    assert third.valid and third.nfev <= second.nfev
    # init covering only some parameters: x0 from init, x1 and x2 as given
    partial = extopt.ScipyLBFGSB().minimize(
        loss,
        {"x0": 0.0, "x1": 0.0, "x2": 0.0, "extra": 0.0},
        init=extopt.ScipyLBFGSB().minimize(
            extopt.Loss(lambda p: (p["x0"] - 1) ** 2, backend="jax"), {"x0": 5.0}
        ),
    )
    assert partial.x_flat.size == 4


def test_init_start_values_are_used():
    calls = []

    def loss(p):
        calls.append(p)
        return (p["a"] - 3.0) ** 2 + (p["b"] + 1.0) ** 2

    loss = extopt.Loss(loss, backend="jax")
    prior = extopt.ScipyLBFGSB().minimize(loss, {"a": 0.0, "b": 0.0})
    calls.clear()
    again = extopt.ScipyLBFGSB().minimize(loss, {"a": 10.0, "b": 10.0}, init=prior)
    assert again.nfev <= 2  # started at the answer


# -- construction --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tol": -1}, "tol must be a positive number"),
        ({"verbosity": 11}, "verbosity must be an integer from 0 to 10"),
        ({"maxiter": 0}, "maxiter must be 'auto'"),
        ({"gradient": "central"}, "gradient must be None"),
        ({"hessian": "newton"}, "hessian must be None or 'auto'"),
        ({"hessian": "bfgs"}, "L-BFGS-B uses no Hessian"),
        ({"strategy": "pushback"}, "strategy must be None"),
        ({"criterion": "edm"}, "criterion must be None"),
        ({"maxcorr": 5}, "Did you mean 'maxcor'"),
        ({"ftol": -1.0}, "non-negative number"),
        ({"maxiter_": 10}, "Did you mean 'maxiter'"),
        ({"name": 3}, "name must be a string"),
    ],
)
def test_everything_is_checked_at_construction(kwargs, message):
    with pytest.raises(extopt.InputError, match=message):
        extopt.ScipyLBFGSB(**kwargs)


def test_budget_options_belong_to_maxiter():
    with pytest.raises(extopt.InputError, match="the option 'maxfun' is set by the minimizer"):
        extopt.ScipyTruncNC(maxfun=10)
    # COBYLA's own 'tol' (its final trust radius) is 'rhoend': tol is the criterion's
    assert extopt.ScipyCOBYLA(rhoend=1e-7, tol=1e-2).options == {"tol": 1e-7}


def test_derivative_choices_are_checked_at_construction():
    with pytest.raises(extopt.MethodError, match="Nelder-Mead uses no gradient"):
        extopt.ScipyNelderMead(gradient="2-point")
    with pytest.raises(extopt.MethodError, match="cannot also be finite differences"):
        extopt.ScipyTrustConstr(gradient="2-point", hessian="2-point")
    with pytest.raises(extopt.MethodError, match="trust-exact cannot use a quasi-Newton"):
        extopt.ScipyTrustExact(hessian="bfgs")


def test_zfit_names_are_aliases():
    assert extopt.ScipySLSQPV1 is extopt.ScipySLSQP
    assert extopt.ScipyTrustConstrV1 is extopt.ScipyTrustConstr
    assert extopt.ScipySLSQP().name == "ScipySLSQP"
    assert extopt.ScipySLSQP(name="mine").name == "mine"


def test_trust_constr_and_slsqp_options_by_their_scipy_names():
    options = dict(
        gtol=1e-9,
        xtol=1e-9,
        barrier_tol=1e-9,
        sparse_jacobian=False,
        initial_tr_radius=0.5,
        initial_constr_penalty=2.0,
        initial_barrier_parameter=0.05,
        initial_barrier_tolerance=0.05,
        factorization_method="SVDFactorization",
        finite_diff_rel_step=None,
        workers=None,
    )
    minimizer = extopt.ScipyTrustConstr(**options)
    loss = extopt.Loss(_sphere, errordef=0.5, backend="jax")
    result = minimizer.minimize(loss, {"a": 0.5, "b": 0.2}, inequalities=lambda p: p["a"] - 0.1)
    assert result.valid
    # an interior point stays inside: by about edm / multiplier
    np.testing.assert_allclose(result.values["a"], 0.1, atol=1e-3)
    assert result.edm < 1e-3 * 0.5
    slsqp = extopt.ScipySLSQP(ftol=1e-10, eps=1e-7, finite_diff_rel_step=None, workers=None)
    assert slsqp.minimize(loss, {"a": 0.5, "b": 0.2}).valid


def test_create_criterion_and_evaluator():
    minimizer = extopt.ScipyLBFGSB(tol=1e-4)
    loss = extopt.Loss(_sphere, errordef=0.5, backend="jax")
    criterion = minimizer.create_criterion(loss, {"a": 0.5, "b": 0.2})
    assert isinstance(criterion, extopt.EDM) and criterion.tol == 1e-4
    result = minimizer.minimize(loss, {"a": 0.5, "b": 0.2})
    assert criterion.converged(result) and criterion.last_value == pytest.approx(result.edm)
    ev = minimizer.create_evaluator(loss, {"a": 0.5, "b": 0.2})
    value, grad = ev.value_gradient(np.array([0.5, 0.2]))
    np.testing.assert_allclose([value, *grad], [0.29, 1.0, 0.4])
    np.testing.assert_allclose(ev.hessian(np.array([0.5, 0.2])), 2 * np.eye(2))
    assert (ev.nfunc_eval, ev.ngrad_eval, ev.nhess_eval) == (1, 1, 1)


# -- verbosity -----------------------------------------------------------------------------


@pytest.mark.parametrize("verbosity", [0, 3, 7, 10])
def test_verbosity_levels_log_what_they_promise(verbosity, caplog):
    loss = extopt.Loss(_sphere, errordef=0.5, backend="jax")
    with caplog.at_level(logging.INFO, logger="extopt"):
        result = extopt.ScipyLBFGSB(verbosity=verbosity).minimize(loss, {"a": 0.5, "b": 0.2})
    lines = [r.getMessage() for r in caplog.records if r.name == "extopt"]
    if verbosity == 0:
        assert lines == []
        return
    assert "minimizing" in lines[0] and "valid True" in lines[-1]
    iterations = [line for line in lines if line.startswith("iteration")]
    evaluations = [line for line in lines if line.startswith("evaluation")]
    assert bool(iterations) == (verbosity >= 6)
    assert (len(evaluations) == result.nfev) == (verbosity == 10)


def test_verbosity_prints_when_logging_is_not_set_up():
    import subprocess
    import sys

    code = (
        "import extopt, jax.numpy as jnp\n"
        "loss = extopt.Loss(lambda p: p['a'] ** 2 + p['b'] ** 2, errordef=0.5, backend='jax')\n"
        "extopt.ScipyLBFGSB(verbosity=1).minimize(loss, {'a': 0.5, 'b': 0.2})\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    lines = [line for line in proc.stderr.splitlines() if line.startswith("extopt:")]
    assert len(lines) == 2 and "minimizing" in lines[0] and "valid True" in lines[1]


def test_params_forms_and_step_sizes():
    loss = extopt.Loss(lambda x: jnp.sum((x - jnp.array([1.0, -2.0])) ** 2), backend="jax")
    # zfit's dict of arrays: names flow to the result, step sizes start Nelder-Mead
    result = extopt.ScipyNelderMead().minimize(
        loss, {"value": [0.0, 0.0], "name": ["mu", "nu"], "step_size": [0.5, 0.5]}
    )
    assert result.names == ["mu", "nu"] and result.valid
    np.testing.assert_allclose(result.options["initial_simplex"], [[0, 0], [0.5, 0], [0, 0.5]])
    # a list of dicts, zfit's 'stepsize' spelling, limits per parameter
    result = extopt.ScipyLBFGSB().minimize(
        loss,
        [
            {"value": 0.0, "name": "mu", "lower": -5, "upper": 0.5, "stepsize": 0.1},
            {"value": 0.0, "name": "nu"},
        ],
    )
    assert result.params_at_limit and not result.valid and "mu" in result.message
    np.testing.assert_allclose(result.x_flat, [0.5, -2.0], atol=1e-6)
    with pytest.raises(extopt.InputError, match="unknown keys \\['lowr'\\]"):
        extopt.ScipyLBFGSB().minimize(loss, {"value": [0.0, 0.0], "lowr": [0, 0]})
    with pytest.raises(extopt.InputError, match="has 1 names for 2 values"):
        extopt.ScipyLBFGSB().minimize(loss, {"value": [0.0, 0.0], "name": ["mu"]})
    with pytest.raises(extopt.InputError, match="either in params"):
        extopt.ScipyLBFGSB().minimize(loss, {"value": [0.0, 0.0], "lower": [0, 0]}, bounds=(0, 1))


def test_a_plain_callable_with_errordef():
    def nll(x):
        return 0.5 * jnp.sum((x - 3.0) ** 2)

    nll.errordef = 0.5
    result = extopt.ScipyLBFGSB().minimize(extopt.Loss(nll, backend="jax"), np.zeros(2))
    assert result.errordef == 0.5
    # covariance = 2 * errordef * H^-1 = identity here
    np.testing.assert_allclose(result.covariance(), np.eye(2), atol=1e-8)
    with pytest.raises(extopt.InputError, match="errordef must be a positive number"):
        extopt.Loss(nll, errordef=0)


@pytest.mark.parametrize("minimizer", ["ScipySLSQP", "ScipyTrustConstr", "Ipopt"])
def test_a_spent_budget_on_a_constrained_fit_answers_with_the_least_infeasible_point(minimizer):
    """min x + y on the circle x^2 + y^2 = 2 from (1, 0.5): on the way to
    (-1, -1) the methods step outside, where the loss is lowest. The answer of a
    spent budget is the feasible point with the lowest loss or, before any, the
    least infeasible one: checked against every point the run evaluated."""
    jnp = pytest.importorskip("jax.numpy")
    if minimizer == "Ipopt":
        pytest.importorskip("ipyopt")
    seen = []

    class Watch(extopt.PushbackStrategy):
        def callback(self, value, gradient, hessian, params):
            seen.append((value, np.array(params)))

    result = getattr(extopt, minimizer)(maxiter=6, strategy=Watch).minimize(
        extopt.Loss(lambda p: p[0] + p[1], backend="jax"),
        np.array([1.0, 0.5]),
        equalities=lambda p: jnp.sum(p**2) - 2.0,
    )
    assert result.status == "maxiter" and not result.valid and len(seen) == 6
    violations = [abs(float(x @ x) - 2.0) for _, x in seen]
    assert min(violations) > 1e-8  # none feasible: the least infeasible answers
    assert result.constr_violation == pytest.approx(min(violations), abs=1e-12)
    lowest_loss = min(range(6), key=lambda i: seen[i][0])
    assert violations[lowest_loss] > result.constr_violation  # not the lowest loss
