"""An audit of every valid result the test suite makes: `valid` must hold up
under an independent float64 check, written here apart from extopt's verdict.

Every `FitResult` that a fit completes with ``valid=True`` (up to `MAX_N`
parameters) is kept, and at the end of the session checked again from the
problem's raw functions, past extopt's evaluator, NaN strategy and verdict:

- feasibility: the bounds and the constraint rows, violated by at most 1e-6
  relative to 1 + |bound| (or the looser constraint tolerance the test gave
  the algorithm; NaN is a violation);
- without general constraints: in the parameters not at a bound, the Hessian
  by central differences of the raw gradient (numpy only, no extopt code),
  the EDM 1/2 g^T H^-1 g below 2 * tol * errordef and no eigenvalue below
  -1e-4 of the largest (finite differences are coarser than the verdict's
  exact Hessians, hence the looser bounds).

A result whose functions raise when called again (the fault tests' losses
count their calls) is skipped. Any failure fails the session, naming the
test that made the result.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

MAX_N = 30
KEPT: list[tuple[str, Any, np.ndarray, float, float]] = []
CURRENT = {"test": "?"}


def record(result: Any) -> None:
    if result.get("valid") is not True:
        return
    problem = result.__dict__.get("_problem")
    if problem is None or problem.n > MAX_N:
        return
    minimizer = result["minimizer"]
    target = minimizer.tol * (result.get("errordef") or 1.0)
    # the user's own looser constraint tolerance (NLopt's constraint_tol) counts
    feasible = minimizer.feasibility_tol()
    KEPT.append((CURRENT["test"], problem, np.array(result.x_flat), target, feasible))


def _violation(problem: Any, x: np.ndarray) -> float:
    worst = 0.0
    if problem.bounds is not None:
        lower, upper = problem.bounds
        with np.errstate(invalid="ignore"):
            worst = max(
                worst,
                float(np.max(np.where(np.isfinite(lower), (lower - x) / (1 + abs(lower)), 0))),
                float(np.max(np.where(np.isfinite(upper), (x - upper) / (1 + abs(upper)), 0))),
            )
    cset = problem.constraints
    if cset is not None:
        c = np.asarray(problem.functions.constraints(x), dtype=np.float64)
        if not np.all(np.isfinite(c)):
            return math.inf
        with np.errstate(invalid="ignore"):
            low = np.where(np.isfinite(cset.lb), (cset.lb - c) / (1 + np.abs(cset.lb)), 0)
            high = np.where(np.isfinite(cset.ub), (c - cset.ub) / (1 + np.abs(cset.ub)), 0)
        worst = max(worst, float(np.max(low, initial=0)), float(np.max(high, initial=0)))
    return worst


def _gradient(problem: Any, x: np.ndarray) -> np.ndarray:
    functions = problem.functions
    if functions.value_and_grad is not None:
        return np.asarray(functions.value_and_grad(x)[1], dtype=np.float64)
    h = 1e-5 * np.maximum(1.0, np.abs(x))
    return np.array(
        [
            (functions.value(x + e) - functions.value(x - e)) / (2 * s)
            for e, s in zip(np.diag(h), h, strict=True)
        ]
    )


def check(problem: Any, x: np.ndarray, target: float, feasible: float = 1e-6) -> str | None:
    """None when the answer holds up, else what does not."""
    with problem.backend.session():
        violation = _violation(problem, x)
        if violation > feasible:
            return f"infeasible by {violation:.3g}"
        if problem.constraints is not None:
            return None
        free = np.ones(x.size, dtype=bool)
        if problem.bounds is not None:
            lower, upper = problem.bounds
            with np.errstate(invalid="ignore"):
                free &= ~(np.isfinite(lower) & (x - lower <= 1e-3 * (1 + np.abs(lower))))
                free &= ~(np.isfinite(upper) & (upper - x <= 1e-3 * (1 + np.abs(upper))))
        if not free.any():
            return None
        g = _gradient(problem, x)
        step = 1e-5 * np.maximum(1.0, np.abs(x))
        columns = []
        for i in np.flatnonzero(free):
            up, down = x.copy(), x.copy()
            up[i] += step[i]
            down[i] -= step[i]
            columns.append((_gradient(problem, up) - _gradient(problem, down)) / (2 * step[i]))
    h = np.array(columns).T[free]
    h = 0.5 * (h + h.T)
    w = np.linalg.eigvalsh(h)
    scale = max(float(np.max(np.abs(w))), 1e-300)
    if w[0] < -1e-4 * scale:
        return f"negative curvature {w[0]:.3g} (largest {scale:.3g})"
    gf = g[free]
    try:
        edm = 0.5 * float(gf @ np.linalg.lstsq(h, gf, rcond=1e-10)[0])
    except np.linalg.LinAlgError:
        return None
    if edm > 2 * target + 1e-12:
        return f"edm {edm:.3g} above twice the target {target:.3g}"
    return None


def audit() -> list[str]:
    failures = []
    for test, problem, x, target, feasible in KEPT:
        try:
            why = check(problem, x, target, feasible)
        except BaseException:  # the fault tests' losses raise when called again
            continue
        if why is not None:
            failures.append(f"{test}: valid, but {why} (x = {np.array2string(x, precision=6)})")
    return failures
