"""From a finished run to a `FitResult`, the same way for every algorithm.

Whatever ran (a SciPy method, a user's `ExternalOptimizerInterface` subclass,
later Minuit, NLopt or Ipopt), the answer is a flat point; `report` evaluates
what is not known yet at that point (from the evaluator's cache when it can),
computes the KKT measures and the multipliers in extopt's convention
(estimating them when the algorithm reports none), and unpacks everything into
the user's structures.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._constraints import kkt
from ._evaluator import Evaluator
from ._problem import Problem
from ._result import FitResult


def report(
    problem: Problem,
    ev: Evaluator,
    x: np.ndarray,
    *,
    method: str,
    success: bool | None,
    status: Any,
    message: str,
    nit: int | None,
    elapsed: float,
    gradient: bool = True,
    g: np.ndarray | None = None,
    lam: np.ndarray | None = None,
    bound_mult: np.ndarray | None = None,
) -> FitResult:
    """The `FitResult` at the flat answer `x`.

    `gradient`: whether the gradient may be computed at `x` when it is not
    known (False after a derivative-free run without constraints). `g`: the
    gradient if the algorithm reported one. `lam`: per-row constraint
    multipliers in extopt's convention, if the algorithm reported them;
    `bound_mult`: its bound multipliers (positive where a lower bound pushes).
    """
    packer = problem.packer
    x = np.array(x, dtype=np.float64).ravel()
    f = _value(ev, x)
    if ev.replaced(x):
        # The algorithm ended where the NaN strategy made up the loss: that is
        # no answer. The best point seen is (with constraints: the best
        # feasible one), or, if there is none, the point with its true values.
        fallback = ev.answer_x
        if fallback is not None and not np.array_equal(fallback, x):
            x = np.array(fallback, dtype=np.float64)
            f = _value(ev, x)
            g = lam = bound_mult = None  # the algorithm's were for its own point
            message = (
                f"{message}; it ended where the loss is not finite, so the answer is the best "
                "point seen"
            )
        else:
            with problem.backend.session():
                f, g = _true_values(problem, x, gradient)
    cached_g = ev.cached("g", x) if not ev.replaced(x) else None
    if cached_g is not None:
        g = cached_g
    elif g is None and gradient:
        g = ev.grad(x) if problem.has_gradient else ev.fd_grad(x)

    cset = problem.constraints
    c = J = None
    if cset is not None:
        c = ev.constraints(x)
        if g is not None:
            J = ev.constraints_jac(x)
            if lam is None:
                lam = cset.estimate_multipliers(g, c, J, x, problem.bounds)
    violation = 0.0
    if problem.bounds is not None:
        lower, upper = problem.bounds
        violation = float(np.max(np.maximum(np.maximum(lower - x, x - upper), 0.0)))
    if cset is not None:
        violation = max(violation, cset.violation(c))

    res = FitResult()
    res["x"] = packer.unpack(x)
    res["fun"] = float(f)
    res["jac"] = packer.unpack(g) if g is not None else None
    res["success"] = success
    res["status"] = status
    res["message"] = message
    counts = ev.counts
    res["nit"] = nit
    res["nfev"] = counts.nfev
    res["njev"] = counts.njev
    res["nhev"] = counts.nhev
    res["optimality"] = res["kkt"] = res["bound_multipliers"] = None
    if g is not None:
        measures = kkt(
            g, J, lam if cset is not None else None, c, cset, x, problem.bounds, bound_mult
        )
        res["optimality"] = measures["stationarity"]
        res["kkt"] = {k: measures[k] for k in ("stationarity", "dual", "complementarity")}
        if problem.bounds is not None:
            z_lower, z_upper = measures["bound_multipliers"]
            res["bound_multipliers"] = (packer.unpack(z_lower), packer.unpack(z_upper))
    res["multipliers"] = cset.split(lam) if cset is not None and lam is not None else None
    res["constr"] = cset.split(c) if c is not None else None
    res["constr_violation"] = violation
    res["method"] = method
    res["backend"] = problem.backend.name
    res["execution_time"] = elapsed
    res["counts"] = counts.as_dict()
    res["x_flat"] = x
    res["jac_flat"] = g
    # What the uncertainties and the convergence criterion need, kept off the data.
    res._problem = problem
    res._c, res._J, res._lam = c, J, lam
    res._residual = measures["residual"] if g is not None else None
    res._bound_mult = (
        _pushing(measures, x, problem.bounds)
        if g is not None and problem.bounds is not None
        else None
    )
    res._stopped = False  # True when the user's callback ended the run
    return res


def _pushing(measures: dict, x: np.ndarray, bounds: Any) -> tuple[np.ndarray, np.ndarray]:
    """How hard each bound pushes: the bound multipliers, and near a bound
    (within 1e-3, relative) the gradient's push into it, as an algorithm that
    keeps inside its limits (Minuit's transform, an interior point) leaves a
    parameter a little short of its bound."""
    z_lower, z_upper = (np.array(z, dtype=np.float64) for z in measures["bound_multipliers"])
    r = measures["residual"]
    lower, upper = bounds
    with np.errstate(invalid="ignore"):
        near_lo = np.isfinite(lower) & (x - lower <= 1e-3 * (1.0 + np.abs(lower)))
        near_up = np.isfinite(upper) & (upper - x <= 1e-3 * (1.0 + np.abs(upper)))
    z_lower = np.where(near_lo & (z_lower == 0), np.maximum(r, 0.0), z_lower)
    z_upper = np.where(near_up & (z_upper == 0), np.maximum(-r, 0.0), z_upper)
    return z_lower, z_upper


def _value(ev: Evaluator, x: np.ndarray) -> float:
    f = ev.cached("f", x)
    return ev.fun(x) if f is None else f


def _true_values(problem: Problem, x: np.ndarray, gradient: bool) -> tuple[float, Any]:
    """The loss (and gradient) at `x` as the functions give them, past the NaN strategy."""
    functions = problem.functions
    if gradient and functions.value_and_grad is not None:
        f, g = functions.value_and_grad(x)
        return float(f), np.asarray(g, dtype=np.float64)
    return float(functions.value(x)), None
