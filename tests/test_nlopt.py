"""NLopt through the public extension point: each class runs its own algorithm
and reaches independent truths (Rosenbrock's ones, closed forms, the published
Hock-Schittkowski 71 optimum, SciPy's SLSQP multipliers, a global minimum no
local method finds), vector constraints with exact Jacobians, NLopt's result
codes, the budget and the callback, and the checks of names and options."""

from __future__ import annotations

import importlib.util
import time
import types

import numpy as np
import pytest
import scipy.optimize as so

import extopt
from extopt import _nlopt
from extopt._nlopt import (
    ALGORITHMS,
    NLopt,
    NLoptAUGLAG,
    NLoptBOBYQA,
    NLoptCCSAQ,
    NLoptCOBYLA,
    NLoptDIRECT,
    NLoptISRES,
    NLoptLBFGS,
    NLoptMMA,
    NLoptNelderMead,
    NLoptSLSQP,
    NLoptSubplex,
    NLoptTruncNewton,
    NLoptVarMetric,
)

from conftest import rosen, rosen_grad

nlopt = pytest.importorskip("nlopt")
jax = pytest.importorskip("jax")
jnp = jax.numpy

# Hock-Schittkowski 71: min x0 x3 (x0 + x1 + x2) + x2 s.t. prod(x) >= 25,
# sum(x^2) = 40, 1 <= x <= 5, from [1, 5, 5, 1]; the published optimum.
HS71_F = 17.0140173
HS71_X = np.array([1.0, 4.74299963, 3.82114998, 1.37940829])
HS71_X0 = np.array([1.0, 5.0, 5.0, 1.0])
HS71 = {
    "bounds": (1.0, 5.0),
    "equalities": lambda p: jnp.sum(p**2) - 40.0,
    "inequalities": lambda p: jnp.prod(p) - 25.0,
}


def hs71(p):
    return p[0] * p[3] * (p[0] + p[1] + p[2]) + p[2]


def rosen_jax(x):
    return jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


ROSEN = extopt.Loss(rosen_jax, backend="jax")
SPHERE = extopt.Loss(lambda x: jnp.sum(x**2), backend="jax")
X0 = {2: np.array([-1.2, 1.0]), 5: np.zeros(5)}


# -- answers against independent truths ------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "n", "atol"),
    [
        (NLoptLBFGS, 2, 1e-6),
        (NLoptLBFGS, 5, 1e-6),
        (NLoptSLSQP, 2, 1e-6),
        (NLoptSLSQP, 5, 1e-6),
        (NLoptTruncNewton, 2, 1e-6),
        (NLoptTruncNewton, 5, 1e-6),
        (NLoptVarMetric, 5, 1e-6),
        (NLoptMMA, 2, 1e-4),  # conservative steps: thousands of them on Rosenbrock
        (NLoptCCSAQ, 2, 1e-4),
        (NLoptBOBYQA, 2, 1e-4),
        (NLoptBOBYQA, 5, 1e-4),
        (NLoptNelderMead, 2, 1e-4),
        (NLoptNelderMead, 5, 1e-4),
        (NLoptSubplex, 2, 1e-4),
    ],
)
def test_rosenbrock_reaches_ones(cls, n, atol):
    res = cls(tol=1e-10).minimize(ROSEN, X0[n])
    assert res.valid and res.converged, res.message
    np.testing.assert_allclose(res.x, np.ones(n), atol=atol)
    assert res.method == cls.__name__
    assert res.status in ("SUCCESS", "FTOL_REACHED", "XTOL_REACHED")
    assert res.message.startswith(cls._algorithm)
    assert res.nlopt_algorithm == cls._algorithm


def test_each_class_runs_its_own_algorithm():
    """The classes differ: the same fit costs each a different number of evaluations."""
    costs = {
        cls: cls(tol=1e-8).minimize(ROSEN, X0[2]).nfev
        for cls in (NLoptLBFGS, NLoptSLSQP, NLoptTruncNewton, NLoptBOBYQA, NLoptNelderMead)
    }
    assert len(set(costs.values())) == len(costs), costs
    assert NLoptLBFGS().algorithm == "LD_LBFGS"
    assert NLoptTruncNewton().algorithm == "LD_TNEWTON_PRECOND_RESTART"
    assert NLoptDIRECT().algorithm == "GN_DIRECT_L"
    assert NLopt("ld_slsqp").algorithm == "LD_SLSQP"


def test_a_numpy_loss_with_its_own_gradient():
    res = NLoptLBFGS(tol=1e-10).minimize(extopt.Loss(rosen, jac=rosen_grad), X0[2])
    assert res.valid, res.message
    np.testing.assert_allclose(res.x, [1.0, 1.0], atol=1e-6)


@pytest.mark.parametrize(
    "minimizer",
    [
        NLoptSLSQP(tol=1e-8),
        NLoptCOBYLA(tol=1e-8),
        NLoptAUGLAG(tol=1e-8),  # local L-BFGS
        NLoptAUGLAG("LN_BOBYQA", tol=1e-8),
        NLopt("LD_AUGLAG_EQ", tol=1e-8),
    ],
    ids=lambda m: f"{m.name}-{m.local.algorithm if m.local else ''}",
)
def test_seed_constrained_example_and_closed_forms(minimizer):
    """min x0^2 + x1^2 s.t. x0 + x1 = 2: [1, 1] with multiplier 2; with x0 >= 1.5
    as well: [1.5, 0.5], grad f = [3, 1] = lam [1, 1] + mu [1, 0]: lam 1, mu 2."""
    start = np.array([3.0, -1.0])
    eq = minimizer.minimize(SPHERE, start, equalities=lambda x: x[0] + x[1] - 2.0)
    assert eq.valid, eq.message
    np.testing.assert_allclose(eq.x, [1.0, 1.0], atol=1e-4)
    np.testing.assert_allclose(float(eq.multipliers["eq"][0]), 2.0, rtol=1e-4)
    assert eq.constr_violation < 1e-7
    both = minimizer.minimize(
        SPHERE,
        start,
        equalities=lambda x: x[0] + x[1] - 2.0,
        inequalities=lambda x: x[0] - 1.5,
    )
    assert both.valid, both.message
    np.testing.assert_allclose(both.x, [1.5, 0.5], atol=1e-4)
    np.testing.assert_allclose(float(both.multipliers["eq"][0]), 1.0, rtol=1e-3)
    np.testing.assert_allclose(float(both.multipliers["ineq"][0]), 2.0, rtol=1e-3)


def test_isres_finds_the_constrained_minimum_in_a_box_and_its_seed_repeats():
    """ISRES meets an equality only to within a loose constraint_tol."""
    res = NLoptISRES(tol=1e-2, seed=1, constraint_tol=1e-4).minimize(
        SPHERE, np.array([3.0, -1.0]), bounds=(-5.0, 5.0), equalities=_sum_is_2
    )
    assert res.valid and res.status == "FTOL_REACHED", res.message
    np.testing.assert_allclose(res.x, [1.0, 1.0], atol=2e-2)
    assert res.constr_violation < 1e-4
    short = NLoptISRES(seed=5, maxeval=300, criterion=False)
    runs = [short.minimize(SPHERE, np.ones(2), bounds=(-5.0, 5.0)).x for _ in range(2)]
    np.testing.assert_array_equal(runs[0], runs[1])  # the same seed, the same search
    other = NLoptISRES(seed=6, maxeval=300, criterion=False)
    assert not np.array_equal(other.minimize(SPHERE, np.ones(2), bounds=(-5.0, 5.0)).x, runs[0])


def test_hs71_published_optimum_and_scipys_multipliers():
    slsqp = extopt.minimize(hs71, HS71_X0, method="SLSQP", backend="jax", tol=1e-10, **HS71)
    loss = extopt.Loss(hs71, backend="jax")
    for minimizer in (
        NLoptSLSQP(tol=1e-8, criterion=False),
        NLoptAUGLAG(tol=1e-8, criterion=False),
        NLoptAUGLAG(NLoptSLSQP, tol=1e-8, criterion=False),
    ):
        res = minimizer.minimize(loss, HS71_X0, **HS71)
        assert res.success, res.message
        np.testing.assert_allclose(res.fun, HS71_F, rtol=1e-6)
        np.testing.assert_allclose(res.x, HS71_X, atol=1e-5)
        assert res.constr_violation < 1e-8
        # NLopt reports no multipliers: extopt's estimates at NLopt's answer agree
        # with SciPy's SLSQP, an independent algorithm.
        for kind in ("eq", "ineq"):
            np.testing.assert_allclose(
                float(res.multipliers[kind][0]), float(slsqp.multipliers[kind][0]), rtol=1e-4
            )
        np.testing.assert_allclose(res.bound_multipliers[0], slsqp.bound_multipliers[0], atol=1e-4)


def test_a_vector_constraint_is_one_nlopt_constraint_with_its_exact_jacobian(monkeypatch):
    """min |x - [2, 2, 2]|^2 s.t. x <= [1, 1.5, 3] as one function of 3 rows:
    x = [1, 1.5, 2], multipliers 2 (2 - x) = [2, 1, 0]."""
    added = []
    real = _nlopt._Callbacks.inequalities

    def inequalities(self, result, x, grad):
        added.append((result.shape, grad.shape))
        real(self, result, x, grad)

    monkeypatch.setattr(_nlopt._Callbacks, "inequalities", inequalities)
    loss = extopt.Loss(lambda x: jnp.sum((x - 2.0) ** 2), backend="jax")
    res = NLoptSLSQP(tol=1e-10).minimize(
        loss, np.zeros(3), inequalities=lambda x: jnp.array([1.0, 1.5, 3.0]) - x
    )
    assert res.valid, res.message
    np.testing.assert_allclose(res.x, [1.0, 1.5, 2.0], atol=1e-8)
    np.testing.assert_allclose(np.asarray(res.multipliers["ineq"][0]), [2.0, 1.0, 0.0], atol=1e-6)
    # One NLopt constraint of three rows, with its (3, n) Jacobian ...
    assert (((3,), (3, 3)) in added) and {shape for shape, _ in added} == {(3,)}
    # ... evaluated once per point with the loss (extopt's fused call).
    counts = res.counts
    assert counts["ncev"] <= counts["points"] and counts["ncjev"] <= counts["points"]
    assert counts["ncev"] == counts["nfev"]


def test_two_sided_rows_become_one_nlopt_row_per_finite_side():
    """SciPy's NonlinearConstraint with open and two-sided rows: x0 <= 0.8,
    x1 >= 0.5, 0.2 <= x2 <= 0.3, around the target [2, 0, 1]."""
    constraint = so.NonlinearConstraint(
        lambda x: x, [-np.inf, 0.5, 0.2], [0.8, np.inf, 0.3], jac=lambda x: np.eye(3)
    )
    res = extopt.minimize(
        lambda x: jnp.sum((x - jnp.array([2.0, 0.0, 1.0])) ** 2),
        np.zeros(3),
        method=NLoptSLSQP(tol=1e-10, criterion=False),
        constraints=constraint,
        backend="jax",
    )
    assert res.success, res.message
    np.testing.assert_allclose(res.x, [0.8, 0.5, 0.3], atol=1e-8)
    assert res.optimality < 1e-6


def test_direct_finds_the_global_minimum_a_local_method_misses():
    """A shifted Rastrigin function: global minimum 0 at [0.5, -0.3] among a
    grid of local minima."""
    shift = np.array([0.5, -0.3])

    def rastrigin(x):
        y = x - shift
        return 20.0 + jnp.sum(y**2 - 10.0 * jnp.cos(2.0 * jnp.pi * y))

    loss = extopt.Loss(rastrigin, backend="jax")
    box = (-5.0, 5.0)
    local = NLoptLBFGS().minimize(loss, np.array([3.0, 3.0]), bounds=box)
    assert local.fun > 1.0
    res = NLopt("GN_DIRECT", tol=1e-6).minimize(loss, np.array([3.0, 3.0]), bounds=box)
    assert res.valid, res.message
    np.testing.assert_allclose(res.x, shift, atol=1e-4)
    assert res.fun < 1e-6


def test_every_algorithm_of_the_table_runs():
    """Each NLopt algorithm extopt lists exists in NLopt and minimizes a bounded
    quadratic with the minimum inside the box."""
    loss = extopt.Loss(lambda x: jnp.sum((x - jnp.array([0.3, -0.2])) ** 2), backend="jax")
    for algorithm, (flags, _) in ALGORITHMS.items():
        assert hasattr(nlopt, algorithm)
        options = {"seed": 1} if "s" in flags else {}
        res = NLopt(algorithm, tol=1e-4, maxiter=20_000, **options).minimize(
            loss, np.zeros(2), bounds=(-1.0, 1.0) if "b" in flags else None
        )
        atol = 0.1 if "n" in flags else 0.02  # ESCH, MLSL: a fixed number of evaluations
        np.testing.assert_allclose(res.x, [0.3, -0.2], atol=atol, err_msg=algorithm)


# -- result codes, budget, callback and errors -------------------------------------------


def test_maxeval_and_the_budget_end_runs_differently():
    own = NLoptLBFGS(maxeval=5).minimize(ROSEN, X0[2])
    assert own.status == "MAXEVAL_REACHED" and not own.success and not own.valid
    assert "maxeval (5)" in own.message
    # The fit restarts a run that stops short, each with maxeval evaluations.
    assert own.info["restarts"] >= 1
    once = NLoptLBFGS(maxeval=5, criterion=False).minimize(ROSEN, X0[2])
    # L-BFGS checks maxeval between its iterations only: it may take a few more.
    assert once.status == "MAXEVAL_REACHED" and once.nit == once.nfev >= 5
    budget = NLoptLBFGS(maxiter=20).minimize(ROSEN, X0[2])
    assert budget.status == "maxiter" and not budget.success and not budget.valid
    assert budget.nfev == 20
    # A derivative-free run ended by the budget inside NLopt's own count.
    budget = NLoptNelderMead(maxiter=30).minimize(ROSEN, X0[2])
    assert budget.status == "maxiter" and budget.nfev <= 30


def test_stopval_and_maxtime_codes():
    res = NLoptLBFGS(stopval=1.0, criterion=False).minimize(ROSEN, X0[2])
    assert res.status == "STOPVAL_REACHED" and res.success and res.fun <= 1.0
    assert "stopval" in res.message

    def slow(x):
        time.sleep(0.005)
        return rosen(x)

    res = NLoptNelderMead(maxtime=0.05, criterion=False).minimize(slow, X0[2])
    assert res.status == "MAXTIME_REACHED" and not res.success
    assert "maxtime (0.05 s)" in res.message and res.nfev < 20


@pytest.mark.parametrize("quiet", [True, False])
def test_a_callback_returning_true_stops_the_run(monkeypatch, quiet):
    """Also with NLopt's exceptions on (older bindings): its ForcedStop is caught."""
    if not quiet:
        monkeypatch.setattr(_nlopt, "_optimize", _loud(_nlopt._optimize))
    seen = []

    def stop(info):
        seen.append(info.x.copy())
        return len(seen) == 4

    for method in (NLoptLBFGS(criterion=False), NLoptCOBYLA(criterion=False)):
        seen.clear()
        res = extopt.minimize(rosen_jax, X0[2], method=method, callback=stop, backend="jax")
        assert not res.success and res.status == "stopped"
        assert "callback at iteration 4" in res.message
        np.testing.assert_allclose(res.x, seen[-1])
        # a new best point each time
        values = [rosen(x) for x in seen]
        assert values == sorted(values, reverse=True)


def _loud(optimize):
    """`_optimize` as with a binding whose NLopt exceptions cannot be turned off."""

    def loud(opt, x0, calls, quiet, nlopt):
        opt.set_exceptions_enabled(True)
        return optimize(opt, x0, calls, False, nlopt)

    return loud


def test_nlopts_exceptions_are_caught_and_the_best_point_answers(monkeypatch):
    """With NLopt's exceptions on, a code it raises (here FORCED_STOP) still
    gives an answer: the best point seen."""
    opt = nlopt.opt(nlopt.LN_NELDERMEAD, 2)
    opt.set_exceptions_enabled(True)
    opt.set_min_objective(lambda x, grad: opt.force_stop() or 1.0)
    calls = types.SimpleNamespace(best_x=np.array([0.5, 0.25]))
    x, code = _nlopt._optimize(opt, np.zeros(2), calls, False, nlopt)
    assert code == nlopt.FORCED_STOP
    np.testing.assert_array_equal(x, [0.5, 0.25])
    # Through a fit: a code NLopt does not raise, an error of the loss, a success.
    monkeypatch.setattr(_nlopt, "_optimize", _loud(_nlopt._optimize))
    res = NLoptLBFGS(maxeval=7, criterion=False).minimize(ROSEN, X0[2])
    assert res.status == "MAXEVAL_REACHED"

    def failing(x):
        raise ZeroDivisionError("the loss failed")

    with pytest.raises(ZeroDivisionError, match="the loss failed"):
        NLoptLBFGS().minimize(extopt.Loss(failing, jac=rosen_grad), X0[2])
    res = NLoptSLSQP(tol=1e-8).minimize(SPHERE, np.array([3.0, -1.0]), equalities=_sum_is_2)
    np.testing.assert_allclose(res.x, [1.0, 1.0], atol=1e-6)


def _sum_is_2(x):
    return x[0] + x[1] - 2.0


@pytest.mark.parametrize("cls", [NLoptLBFGS, NLoptCOBYLA, NLoptSLSQP])
def test_errors_of_the_loss_and_of_the_strategy_come_through_nlopt(cls):
    """NLopt's binding would turn them into its own runtime_error (L-BFGS) or
    a SystemError: the user sees their own exception."""
    calls = []

    def failing(x):
        calls.append(1)
        if len(calls) == 6:
            raise ZeroDivisionError("the loss failed")
        return rosen(x)

    jac = rosen_grad if cls is not NLoptCOBYLA else None
    with pytest.raises(ZeroDivisionError, match="the loss failed"):
        cls().minimize(extopt.Loss(failing, jac=jac), np.zeros(2))
    assert len(calls) == 6  # and NLopt called nothing more once it failed

    def nan_loss(x):
        return np.nan if x[0] > 0.5 else rosen(x)

    with pytest.raises(extopt.NaNError):
        cls(strategy=extopt.FailFastStrategy).minimize(extopt.Loss(nan_loss, jac=jac), np.zeros(2))


def test_extopt_minimize_routes_nlopt_names():
    res = extopt.minimize(
        lambda x: jnp.sum(x**2),
        np.array([3.0, -1.0]),
        method="nlopt:LD_SLSQP",
        equalities=_sum_is_2,
        options={"ftol_abs": 1e-12},
        backend="jax",
    )
    assert res.success and res.status == "FTOL_REACHED"
    np.testing.assert_allclose(res.x, [1.0, 1.0], atol=1e-8)


def test_bad_input_is_refused_with_clear_errors():
    with pytest.raises(extopt.InputError, match=r"'LD_SLQP' is not an NLopt.*'LD_SLSQP'"):
        NLopt("LD_SLQP")
    with pytest.raises(extopt.InputError, match="must be an NLopt algorithm name"):
        NLopt(3)
    with pytest.raises(extopt.MethodError, match="cannot take equality constraints"):
        NLoptMMA().minimize(SPHERE, np.ones(2), equalities=_sum_is_2)
    with pytest.raises(extopt.MethodError, match="cannot take inequality constraints"):
        NLoptLBFGS().minimize(SPHERE, np.ones(2), inequalities=_sum_is_2)
    with pytest.raises(extopt.MethodError, match="cannot take bounds"):
        NLopt("LN_NEWUOA").minimize(SPHERE, np.ones(2), bounds=(0.0, 2.0))
    with pytest.raises(extopt.MethodError, match="global method"):
        NLoptDIRECT().minimize(SPHERE, np.ones(2))
    with pytest.raises(extopt.MethodError, match="global method"):
        NLoptISRES().minimize(SPHERE, np.ones(2), bounds=(0.0, None))
    with pytest.raises(extopt.InputError, match=r"'ftol' is not an option.*'ftol_rel'"):
        NLoptLBFGS(ftol=1e-3)
    with pytest.raises(extopt.MethodError, match="uses no gradient"):
        NLoptBOBYQA(gradient="2-point")
    with pytest.raises(extopt.MethodError, match="uses no Hessian"):
        NLoptSLSQP(hessian="bfgs")
    # AUGLAG's local optimizer: derivative-free or not, and a local one.
    with pytest.raises(extopt.InputError, match="LD_AUGLAG runs a gradient-based local"):
        NLopt("LD_AUGLAG", local="LN_COBYLA")
    with pytest.raises(extopt.InputError, match="local must be a local algorithm"):
        NLoptAUGLAG(local="GN_ISRES")
    with pytest.raises(extopt.InputError, match="runs no local optimizer"):
        NLoptSLSQP(local="LD_LBFGS")
    assert NLoptAUGLAG("ln_cobyla").algorithm == "LN_AUGLAG"
    assert NLoptAUGLAG(NLoptLBFGS(vector_storage=5)).local.options == {"vector_storage": 5}
    assert not NLoptAUGLAG("LN_COBYLA").capabilities.gradient


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"ftol_rel": -1.0}, r"ftol_rel of NLoptLBFGS must be a finite number >= 0 .*; got -1\.0"),
        ({"ftol_abs": "small"}, "ftol_abs .* got 'small'"),
        ({"maxeval": 0}, "maxeval .* an integer >= 1; got 0"),
        ({"maxeval": 10.5}, "maxeval .* an integer"),
        ({"maxtime": -1}, "maxtime .* a positive number of seconds"),
        ({"initial_step": [1.0, 0.0]}, "initial_step .* > 0 or a 1-d array"),
        ({"xtol_abs": np.nan}, "xtol_abs"),
        ({"stopval": float("nan")}, "stopval"),
        ({"constraint_tol": True}, "constraint_tol"),
        ({"population": 10}, "LD_LBFGS uses no population"),
        ({"seed": 1}, "LD_LBFGS uses no random numbers"),
    ],
)
def test_bad_option_values_name_the_option_and_what_is_accepted(options, match):
    with pytest.raises(extopt.InputError, match=match):
        NLoptLBFGS(**options)


def test_options_reach_nlopt():
    res = NLoptNelderMead(initial_step=[0.5, 0.25], xtol_abs=1e-12, criterion=False).minimize(
        ROSEN, X0[2]
    )
    assert res.success
    with pytest.raises(extopt.InputError, match=r"initial_step must be a number or one per"):
        NLoptNelderMead(initial_step=[0.5, 0.25, 1.0]).minimize(ROSEN, X0[2])
    with pytest.raises(extopt.InputError, match="GN_ISRES uses no vector_storage"):
        NLoptISRES(vector_storage=3)
    res = NLoptISRES(population=40, seed=2, maxeval=400, criterion=False).minimize(
        SPHERE, np.ones(2), bounds=(-1.0, 1.0)
    )
    assert res.nit <= 400


def test_a_missing_nlopt_names_the_extra(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "nlopt" else real(name, *a)
    )
    with pytest.raises(extopt.BackendError, match=r"extopt\[nlopt\]"):
        NLoptSLSQP()
    with pytest.raises(extopt.BackendError, match=r"extopt\[nlopt\]"):
        NLopt("LN_COBYLA")


def test_the_module_imports_no_nlopt_and_lists_its_classes():
    import subprocess
    import sys

    code = "import sys, extopt._nlopt; print('nlopt' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    for name in _nlopt.__all__:
        assert hasattr(_nlopt, name)
    for name in _nlopt.__all__:
        cls = getattr(_nlopt, name)
        if isinstance(cls, type) and cls is not NLopt and issubclass(cls, NLopt):
            assert cls.__doc__ and (cls._algorithm in cls.__doc__ or "AUGLAG" in cls.__doc__)


def test_readme_nlopt_table_is_the_generated_one():
    import pathlib

    from extopt._nlopt import markdown_table

    readme = (pathlib.Path(__file__).parents[1] / "README.md").read_text()
    start = readme.index("<!-- nlopt table")
    block = readme[readme.index("\n", start) + 1 : readme.index("<!-- end of nlopt table")]
    assert block.strip() == markdown_table()


def _nan_left_of_zero(p):
    """The minimum at (0.1, 1); NaN for p[0] <= 0."""
    return jnp.where(p[0] > 0, 100 * (p[0] - 0.1) ** 2 + (p[1] - 1) ** 2, jnp.nan)


@pytest.mark.parametrize("algorithm", ["LN_COBYLA", "LD_MMA", "LN_NEWUOA", "LN_BOBYQA", "LD_LBFGS"])
def test_a_nan_never_reaches_nlopt(algorithm):
    """Without a NaN strategy (extopt.minimize) a NaN made COBYLA and MMA run
    forever inside NLopt and NEWUOA report success at a NaN point: now the run
    ends at the NaN, unsuccessful, at the best finite point seen."""
    res = extopt.minimize(_nan_left_of_zero, jnp.array([5.0, 0.0]), method=f"nlopt:{algorithm}")
    assert not res.success and res.status == "nan" and "the loss is NaN at x" in res.message
    assert np.isfinite(res.fun) and np.all(np.isfinite(res.x))
    assert res.fun <= 2402.0 * (1 + 1e-6)  # the loss at the start
    # the minimizer objects' default strategy steps back from NaNs and gets there
    fit = NLopt(algorithm).minimize(extopt.Loss(_nan_left_of_zero, backend="jax"), [5.0, 0.0])
    assert fit.status != "nan"
    if algorithm != "LN_NEWUOA":  # NEWUOA's model does not survive the penalty; the rest do
        assert fit.valid and fit.fun < 1e-3  # the EDM target (tol 1e-3) met


def test_direct_stops_on_maxeval_and_a_budget_counts_evaluations_not_nlopt_calls():
    """DIRECT stops on nothing but maxeval (its default 1000 per parameter);
    the budget is spent only when extopt's count of new points reaches it, not
    NLopt's count of calls (repeated points come from extopt's cache)."""
    sphere = extopt.Loss(lambda p: jnp.sum((p - 1.0) ** 2), backend="jax")
    once = extopt.minimize(sphere, jnp.zeros(2), method="nlopt:GN_DIRECT_L", bounds=(-1.0, 3.0))
    assert once.success and once.status == "MAXEVAL_REACHED" and once.nit == 2000
    np.testing.assert_allclose(once.x, [1.0, 1.0], atol=1e-6)
    fit = NLoptDIRECT(maxiter=10_000).minimize(sphere, jnp.zeros(2), bounds=(-1.0, 3.0))
    assert fit.valid and fit.status == "MAXEVAL_REACHED" and fit.nfev < 10_000
    spent = NLoptDIRECT(maxiter=500).minimize(sphere, jnp.zeros(2), bounds=(-1.0, 3.0))
    assert spent.status == "maxiter" and spent.nfev == 500 and "(500 loss" in spent.message
