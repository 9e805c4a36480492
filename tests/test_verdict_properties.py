"""Property tests of the verdict (hypothesis): `valid` implies, checked
independently in float64, feasibility, a small distance to the minimum and
second-order optimality; a stationary point with a direction of negative
curvature is never valid."""

from __future__ import annotations

import warnings

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize as scipy_minimize

import extopt

DTYPES = (np.float16, np.float32, np.float64)


@st.composite
def convex_problems(draw):
    n = draw(st.integers(1, 5))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    m = rng.standard_normal((n, n))
    q = m @ m.T + draw(st.floats(0.05, 2.0)) * np.eye(n)
    b = rng.standard_normal(n) * 3
    lower = np.where(rng.uniform(size=n) < 0.5, rng.uniform(-2, 0, n), -np.inf)
    upper = np.where(rng.uniform(size=n) < 0.5, rng.uniform(0.5, 3, n), np.inf)
    kind = draw(st.sampled_from(["none", "eq", "ineq"]))
    a = rng.standard_normal(n)
    level = float(rng.uniform(-0.5, 0.5))
    x0 = np.clip(rng.uniform(-1, 1, n), lower, upper)
    dtype = draw(st.sampled_from(DTYPES))
    return q, b, lower, upper, kind, a, level, x0.astype(dtype)


def _independent(q, b, lower, upper, kind, a, level):
    """The float64 truth: SciPy's SLSQP on the hand-written gradient, tight."""
    cons = []
    if kind == "eq":
        cons = [{"type": "eq", "fun": lambda x: a @ x - level, "jac": lambda x: a}]
    elif kind == "ineq":
        cons = [{"type": "ineq", "fun": lambda x: a @ x - level, "jac": lambda x: a}]
    bounds = list(zip(lower, upper, strict=True))
    best = None
    for start in (np.clip(np.zeros(len(b)), lower, upper), np.clip(np.ones(len(b)), lower, upper)):
        res = scipy_minimize(
            lambda x: 0.5 * x @ q @ x + b @ x,
            start,
            jac=lambda x: q @ x + b,
            bounds=bounds,
            constraints=cons,
            method="SLSQP",
            options={"ftol": 1e-14, "maxiter": 1000},
        )
        if best is None or res.fun < best.fun:
            best = res
    return best


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(convex_problems(), st.sampled_from(["SLSQP", "trust-constr", "L-BFGS-B"]))
def test_valid_implies_feasible_near_the_minimum_and_second_order(problem, method):
    q, b, lower, upper, kind, a, level, x0 = problem
    if method == "L-BFGS-B" and kind != "none":
        kind = "none"  # L-BFGS-B takes bounds only

    def loss(x):
        return 0.5 * x @ q @ x + b @ x

    equalities = [lambda x: a @ x - level] if kind == "eq" else []
    inequalities = [lambda x: a @ x - level] if kind == "ineq" else []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = extopt.Scipy(method).minimize(
            extopt.Loss(loss, jac=lambda x: q @ x + b),
            x0,
            bounds=(lower, upper),
            equalities=equalities,
            inequalities=inequalities,
        )
    if not fit.valid:
        return  # the claim is about valid results only
    x = np.asarray(fit.x_flat, dtype=np.float64)
    truth = _independent(q, b, lower, upper, kind, a, level)
    # feasible
    assert np.all(x >= lower - 1e-6 * (1 + np.abs(lower)))
    assert np.all(x <= upper + 1e-6 * (1 + np.abs(upper)))
    if kind == "eq":
        assert abs(a @ x - level) <= 1e-6 * (1 + abs(level))
    if kind == "ineq":
        assert a @ x - level >= -1e-6 * (1 + abs(level))
    # near the minimum: within the EDM target (tol 1e-3, errordef 1), twice for safety
    assert loss(x) - truth.fun <= 2e-3, (loss(x), truth.fun)
    # second order in the free directions (convex: always), and no parameter at a limit
    with np.errstate(invalid="ignore"):
        off_lower = np.isinf(lower) | (x - lower > 1e-6 * (1 + np.abs(lower)))
        off_upper = np.isinf(upper) | (upper - x > 1e-6 * (1 + np.abs(upper)))
    free = off_lower & off_upper
    assert np.all(free)
    assert np.linalg.eigvalsh(q[np.ix_(free, free)])[0] > 0


@st.composite
def indefinite_quadratics(draw):
    n = draw(st.integers(2, 6))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    basis, _ = np.linalg.qr(rng.standard_normal((n, n)))
    eig = rng.uniform(0.1, 5.0, n)
    k = draw(st.integers(1, n - 1))
    eig[:k] *= -1  # k directions of negative curvature
    q = (basis * eig) @ basis.T
    b = rng.standard_normal(n)
    dtype = draw(st.sampled_from(DTYPES))
    return q, b, dtype


@settings(max_examples=40, deadline=None)
@given(
    indefinite_quadratics(),
    st.sampled_from(["L-BFGS-B", "BFGS", "trust-constr", "Newton-CG", "trust-exact"]),
)
def test_a_stationary_point_of_an_indefinite_quadratic_is_never_valid(problem, method):
    q, b, dtype = problem
    stationary = np.linalg.solve(q, -b)
    start = stationary.astype(dtype)

    def loss(x):
        return 0.5 * x @ q @ x + b @ x

    spec = extopt.Loss(loss, jac=lambda x: q @ x + b)
    hess = (lambda x: q) if method in ("Newton-CG", "trust-exact") else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = extopt.minimize(spec, start, method=method, hess=hess, options={"maxiter": 200})
        fit = extopt.Scipy(method, hessian=hess, maxiter=2000).minimize(spec, start)
    assert not res.valid
    assert not fit.valid  # unbounded below: no minimum anywhere
    if np.allclose(res.x_flat, stationary, atol=1e-6):
        assert "curvature" in res.reasons
