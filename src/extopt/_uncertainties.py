"""Uncertainties of a fit: the Hessian at the minimum, the covariance, the
estimated distance to the minimum (EDM), and profile-likelihood errors.

All of it works on the flat vector and the problem behind a `FitResult`, so
every backend (and every algorithm) gets the same numbers:

- the Hessian is exact from the backend ("autodiff"), central differences of
  the gradient ("finite_difference"), or the algorithm's own approximation of
  its inverse ("approx", BFGS-family methods);
- where bounds or constraints are active, only the directions in which the
  parameters are free count: the covariance is ``2 * errordef * Z (Z^T H Z)^-1
  Z^T`` with Z a basis of the null space of the active constraints and H the
  Hessian of the Lagrangian (the loss's plus the curvature of the constraints
  that push, weighted by their multipliers);
- profile errors find, for each parameter, where the loss minimized over the
  other parameters rises by ``errordef * chi2.ppf(cl, 1)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._curvature import FreeSpace, Spectrum, curvature_rtol
from ._errors import InputError, MethodError, describe
from ._hessians import default_method, fd_hessian, symmetric
from ._hessians import hessian as _hessian
from ._hessians import lagrangian_hessian as _lagrangian_hessian

#: One standard deviation of a normal distribution, the default confidence level.
ONE_SIGMA = 0.6826894921370859


def confidence_level(cl: float | None, sigma: float | None) -> float:
    """The confidence level from `cl` or `sigma` (in standard deviations)."""
    from scipy.stats import chi2

    if cl is not None and sigma is not None:
        raise InputError("give cl or sigma, not both.")
    if sigma is not None:
        if not (isinstance(sigma, int | float) and sigma > 0):
            raise InputError(f"sigma must be a positive number; got {describe(sigma)}.")
        return float(chi2.cdf(float(sigma) ** 2, 1))
    if cl is None:
        return ONE_SIGMA
    if not (isinstance(cl, int | float) and 0 < cl < 1):
        raise InputError(f"cl must be a number between 0 and 1; got {describe(cl)}.")
    return float(cl)


def hessian(result: Any, method: str = "autodiff") -> np.ndarray:
    """The Hessian of the loss at the result's minimum (flat, n x n)."""
    return _hessian(result._problem, result.x_flat, method)


def lagrangian_hessian(result: Any, method: str) -> np.ndarray:
    """The Hessian of the Lagrangian at the result's minimum (see `extopt._curvature`)."""
    return _lagrangian_hessian(result._problem, result.x_flat, result._lam, method)


def free_space(result: Any) -> FreeSpace:
    """The directions in which the parameters are free at the result's minimum."""
    return FreeSpace.at(
        result._problem,
        result.x_flat,
        result._c,
        result._J,
        result._lam,
        result.__dict__.get("_bound_mult"),
    )


@dataclass
class Covariance:
    """A covariance matrix and what it is worth.

    matrix : 2 * errordef * (the inverse Hessian in the free directions), flat
        n x n; infinite on the diagonal for parameters along a direction the
        loss does not constrain, NaN for parameters along a direction of
        negative curvature (there the Hessian has no inverse that means
        anything), and those rows and columns NaN off the diagonal.
    status : "accurate" (exact Hessian, positive definite), "approximate"
        (finite differences, or the algorithm's own approximation),
        "singular" (some direction is flat), "not positive definite" (some
        direction curves down), or Minuit's words for method="minuit".
    unconstrained, negative : the parameter names along flat directions and
        along directions of negative curvature.
    """

    matrix: np.ndarray
    method: str
    status: str
    unconstrained: list[str]
    negative: list[str]


def covariance(result: Any, method: str = "autodiff") -> Covariance:
    """The covariance at the result's minimum (see `Covariance`)."""
    errordef = result.get("errordef") or 1.0
    names = list(result.get("names") or [f"x[{i}]" for i in range(result.x_flat.size)])
    if method == "approx":
        inv = result.get("hess_inv")
        if inv is None:
            raise MethodError(
                f"{result.method} keeps no approximation of the inverse Hessian; use "
                "method='autodiff' or 'finite_difference'."
            )
        inv = inv.todense() if hasattr(inv, "todense") else np.asarray(inv, dtype=np.float64)
        matrix = 2.0 * errordef * symmetric(np.asarray(inv))
        return Covariance(matrix, method, "approximate (the algorithm's own)", [], [])
    if method == "minuit":
        from ._minuit import hesse_covariance

        matrix, status = hesse_covariance(result)
        return Covariance(matrix, method, status, [], [])
    problem = result._problem
    h = lagrangian_hessian(result, method)
    n = h.shape[0]
    space = free_space(result)
    z = np.eye(n) if space.trivial else space.basis()
    reduced = symmetric(z.T @ h @ z)
    matrix = np.zeros((n, n))
    unconstrained: list[int] = []
    negative: list[int] = []
    if reduced.size:
        spectrum = Spectrum(reduced, curvature_rtol(problem, method))
        matrix = 2.0 * errordef * (z @ spectrum.inverse() @ z.T)
        # A parameter takes part in a bad direction when it moves along it.
        reach = np.abs(z @ spectrum.v)
        unconstrained = np.flatnonzero(np.any(reach[:, spectrum.flat] > 1e-6, axis=1)).tolist()
        negative = np.flatnonzero(np.any(reach[:, spectrum.negative] > 1e-6, axis=1)).tolist()
    bad = sorted(set(unconstrained) | set(negative))
    if bad:
        matrix[bad, :] = np.nan
        matrix[:, bad] = np.nan
        matrix[unconstrained, unconstrained] = np.inf
        matrix[negative, negative] = np.nan
    if negative:
        status = "not positive definite"
    elif unconstrained:
        status = "singular"
    else:
        status = "accurate" if method == "autodiff" else "approximate"
    return Covariance(
        matrix, method, status, [names[i] for i in unconstrained], [names[i] for i in negative]
    )


def profile_errors(result: Any, minimizer: Any, names: list[str], q: float) -> tuple[dict, Any]:
    """Where the profile of each parameter in `names` rises by errordef * q.

    Returns ({name: {"lower": ..., "upper": ..., "is_valid": ..., ...}}, the
    best point found on the way if it is lower than the result's minimum, else
    None)."""
    from scipy.optimize import brentq

    problem = result._problem
    errordef = result.get("errordef") or 1.0
    threshold = result.fun + errordef * q
    x_hat = result.x_flat
    cov = covariance(result, default_method(problem)).matrix
    lower_b, upper_b = (
        problem.bounds
        if problem.bounds is not None
        else (np.full(x_hat.size, -np.inf), np.full(x_hat.size, np.inf))
    )
    all_names = result["names"]
    lowest = {"f": result.fun, "x": None}
    # A lower minimum is one lower than the fit can be off: its EDM (the loss
    # it estimates is still to gain), twice for safety.
    edm_at_fit = result.get("edm")
    margin = 1e-6 * errordef
    if edm_at_fit is not None and math.isfinite(edm_at_fit):
        margin = max(margin, 2.0 * edm_at_fit)
    out = {}
    for name in names:
        i = all_names.index(name)
        var = float(cov[i, i])
        usable = math.isfinite(var) and var > 0 and bool(np.all(np.isfinite(cov[:, i])))
        sigma = math.sqrt(var * q) if usable else 1e-3 * max(1.0, abs(x_hat[i]))
        slope = cov[:, i] / var if usable else np.zeros_like(x_hat)
        warm = {"x": x_hat}

        seen: dict[float, float] = {}  # brentq asks again at the bracket's ends

        def excess(theta, i=i, slope=slope, warm=warm, seen=seen):
            theta = float(theta)
            if theta in seen:
                return seen[theta]
            start = warm["x"] + slope * (theta - warm["x"][i])
            start[i] = theta
            f, x = _profile_point(problem, minimizer, i, theta, start)
            warm["x"] = x
            if f < lowest["f"] - margin:
                lowest.update(f=f, x=x)
            seen[theta] = f - threshold
            return seen[theta]

        entry: dict[str, Any] = {"is_valid": True, "at_limit": False}
        entry.update(lower_valid=True, upper_valid=True)
        for side, key in ((-1.0, "lower"), (1.0, "upper")):
            warm["x"] = x_hat
            inner, outer = x_hat[i], None
            step = sigma
            limit = lower_b[i] if side < 0 else upper_b[i]
            for _ in range(12):
                trial = x_hat[i] + side * step
                if (trial - limit) * side >= 0:  # the limit comes first
                    trial = limit
                if excess(trial) > 0:
                    outer = trial
                    break
                inner = trial
                if trial == limit:
                    break
                step *= 2.0
            if outer is None:
                # The profile never rose far enough: up to the limit, or not at all.
                at_limit = bool(np.isfinite(limit)) and inner == limit
                entry["is_valid"] = entry[f"{key}_valid"] = False
                entry["at_limit"] = entry["at_limit"] or at_limit
                entry[key] = float(inner - x_hat[i]) if at_limit else side * math.inf
                continue
            root = brentq(excess, inner, outer, xtol=1e-6 * sigma, rtol=1e-10)
            entry[key] = float(root - x_hat[i])
        out[name] = entry
    return out, (lowest["x"] if lowest["x"] is not None else None)


def _profile_point(
    problem: Any, minimizer: Any, i: int, theta: float, start: np.ndarray
) -> tuple[float, np.ndarray]:
    """min of the loss over the other parameters with parameter i at theta."""
    import dataclasses

    lower, upper = (
        problem.bounds
        if problem.bounds is not None
        else (np.full(start.size, -np.inf), np.full(start.size, np.inf))
    )
    lower, upper = lower.copy(), upper.copy()
    lower[i] = upper[i] = theta
    start = np.clip(start, lower, upper)
    fixed = dataclasses.replace(problem, x0=start, bounds=(lower, upper), x0_given=None)
    res = minimizer.minimize(fixed)
    f, x = res.fun, res.x_flat
    if problem.constraints is None:
        # L-BFGS-B may stop on its relative-reduction test after a poor first
        # line search on a badly scaled problem, short of the profile's minimum
        # by more than the precision a profile needs: Newton steps finish it.
        f, x = _newton_polish(problem, x, f, lower, upper)
    return f, x


def _newton_polish(
    problem: Any, x: np.ndarray, f: float, lower: np.ndarray, upper: np.ndarray
) -> tuple[float, np.ndarray]:
    """Damped Newton steps in the parameters strictly inside their bounds, with
    the exact Hessian (or central differences of the gradient), until the
    Newton decrement is negligible; the point as given where there is no
    gradient or the Hessian there is not positive definite."""
    functions = problem.functions
    if functions.value_and_grad is None:
        return f, x
    exact = default_method(problem) == "autodiff"
    for _ in range(_NEWTON_STEPS):
        g = np.asarray(functions.value_and_grad(x)[1], dtype=np.float64)
        inside = (x > lower) & (x < upper)
        if not inside.any():
            break
        h = functions.hess(x) if exact else fd_hessian(problem, x)
        h = symmetric(h)[np.ix_(inside, inside)]
        try:
            chol = np.linalg.cholesky(h)
        except np.linalg.LinAlgError:
            break
        y = np.linalg.solve(chol, g[inside])
        decrement = 0.5 * float(y @ y)  # the loss a full Newton step gains
        if decrement < _NEWTON_DECREMENT * max(1.0, abs(f)):
            break
        step = np.zeros_like(x)
        step[inside] = -np.linalg.solve(chol.T, y)
        for _ in range(30):  # backtracking, staying inside the bounds
            trial = np.clip(x + step, lower, upper)
            f_trial = float(functions.value(trial))
            if f_trial < f:
                break
            step *= 0.5
        else:
            break
        x, f = trial, f_trial
    return f, x


#: At most this many Newton steps polish a profile point; they stop when the
#: Newton decrement is below _NEWTON_DECREMENT relative to the loss.
_NEWTON_STEPS = 20
_NEWTON_DECREMENT = 1e-15
