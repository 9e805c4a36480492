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
from typing import Any

import numpy as np

from ._constraints import active_set
from ._errors import InputError, MethodError, describe

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


def default_method(problem: Any) -> str:
    """ "autodiff" where the backend has exact Hessians, else "finite_difference"."""
    functions = problem.functions
    return "autodiff" if functions.exact and functions.hess else "finite_difference"


def hessian(result: Any, method: str = "autodiff") -> np.ndarray:
    """The Hessian of the loss at the result's minimum (flat, n x n)."""
    problem = result._problem
    x = result.x_flat
    functions = problem.functions
    if method == "autodiff":
        if functions.hess is None or not functions.exact:
            raise MethodError(
                f"the {problem.backend.name} backend has no automatic Hessian: use "
                "method='finite_difference' (or a backend with automatic derivatives)."
            )
        with problem.backend.session():
            return _symmetric(functions.hess(x))
    if method == "finite_difference":
        with problem.backend.session():
            return _symmetric(_fd_hessian(problem, x))
    raise InputError(
        "method must be 'autodiff', 'finite_difference', 'approx' or 'minuit'; got "
        f"{describe(method)}."
    )


def _gradient_at(problem: Any, x: np.ndarray) -> np.ndarray:
    """The gradient at x: exact from the backend, else central differences."""
    functions = problem.functions
    with problem.backend.session():
        if functions.value_and_grad is not None:
            return functions.value_and_grad(x)[1]
        steps = np.cbrt(np.finfo(np.float64).eps) * np.maximum(1.0, np.abs(x))
        return np.array(
            [
                (functions.value(x + e) - functions.value(x - e)) / (2 * h)
                for e, h in zip(np.diag(steps), steps, strict=True)
            ]
        )


def _symmetric(h: np.ndarray) -> np.ndarray:
    h = np.asarray(h, dtype=np.float64)
    return 0.5 * (h + h.T)


def _fd_hessian(problem: Any, x: np.ndarray) -> np.ndarray:
    """Central differences of the gradient (second differences of the value
    without one)."""
    functions = problem.functions
    if functions.value_and_grad is not None:
        return _fd_jacobian(lambda y: functions.value_and_grad(y)[1], x)
    return _second_differences(functions.value, x)


def _fd_jacobian(grad: Any, x: np.ndarray) -> np.ndarray:
    """Central differences of `grad` (columns: the derivative along each x_i)."""
    steps = np.cbrt(np.finfo(np.float64).eps) * np.maximum(1.0, np.abs(x))
    h = np.empty((x.size, x.size))
    for i, step in enumerate(steps):
        e = np.zeros(x.size)
        e[i] = step
        h[:, i] = (np.asarray(grad(x + e)) - np.asarray(grad(x - e))) / (2 * step)
    return h


def _second_differences(value: Any, x: np.ndarray) -> np.ndarray:
    """The Hessian of a scalar function from its values alone."""
    n = x.size
    h = np.empty((n, n))
    steps = np.finfo(np.float64).eps ** 0.25 * np.maximum(1.0, np.abs(x))
    f0 = value(x)
    for i in range(n):
        for j in range(i, n):
            ei = np.zeros(n)
            ej = np.zeros(n)
            ei[i] = steps[i]
            ej[j] = steps[j]
            if i == j:
                h[i, i] = (value(x + ei) - 2 * f0 + value(x - ei)) / steps[i] ** 2
            else:
                h[i, j] = h[j, i] = (
                    value(x + ei + ej)
                    - value(x + ei - ej)
                    - value(x - ei + ej)
                    + value(x - ei - ej)
                ) / (4 * steps[i] * steps[j])
    return h


def lagrangian_hessian(result: Any, method: str) -> np.ndarray:
    """The Hessian of the Lagrangian ``f - lam^T c`` at the result's minimum:
    the loss Hessian plus the curvature of the constraints that push (a
    parameter on a circle is held by the circle's curvature too). The loss
    Hessian alone without constraint multipliers."""
    h = hessian(result, method)
    lam = getattr(result, "_lam", None)
    problem = result._problem
    functions = problem.functions
    if lam is None or problem.constraints is None or not np.any(lam):
        return h
    lam = np.asarray(lam, dtype=np.float64)
    x = result.x_flat
    with problem.backend.session():
        if method == "autodiff" and functions.constraints_hess is not None:
            curvature = functions.constraints_hess(x, lam)
        elif functions.constraints_jac is not None:
            curvature = _fd_jacobian(lambda y: np.asarray(functions.constraints_jac(y)).T @ lam, x)
        else:
            curvature = _second_differences(lambda y: float(lam @ functions.constraints(y)), x)
    return h - _symmetric(curvature)


def free_basis(result: Any) -> np.ndarray | None:
    """An orthonormal basis of the directions in which the parameters are free
    at the minimum (None: all of them)."""
    problem = result._problem
    lam = getattr(result, "_lam", None)
    active = active_set(
        result.x_flat, problem.bounds, result._c, result._J, problem.constraints, lam
    )
    if active is None:
        return None
    from scipy.linalg import null_space

    return null_space(active)


def covariance(result: Any, method: str = "autodiff") -> np.ndarray:
    """2 * errordef * (the inverse Hessian in the free directions), flat n x n."""
    errordef = result.get("errordef") or 1.0
    if method == "approx":
        inv = result.get("hess_inv")
        if inv is None:
            raise MethodError(
                f"{result.method} keeps no approximation of the inverse Hessian; use "
                "method='autodiff' or 'finite_difference'."
            )
        inv = inv.todense() if hasattr(inv, "todense") else np.asarray(inv, dtype=np.float64)
        return 2.0 * errordef * _symmetric(np.asarray(inv))
    if method == "minuit":
        from ._minuit import hesse_covariance

        return hesse_covariance(result)
    h = lagrangian_hessian(result, method)
    z = free_basis(result)
    if z is None:
        return 2.0 * errordef * _inverse(h)
    if z.shape[1] == 0:
        return np.zeros_like(h)
    return 2.0 * errordef * (z @ _inverse(z.T @ h @ z) @ z.T)


def _inverse(h: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.inv(h)
    except np.linalg.LinAlgError:
        return np.linalg.pinv(h)


def edm(result: Any) -> float:
    """1/2 g^T H^-1 g in the free directions (g the Lagrangian gradient), from
    the algorithm's inverse-Hessian approximation when it has one and nothing
    is active, else from the exact (or finite-difference) Hessian; plus, with
    inequality constraints, the loss still to gain by closing the slack of the
    pushing ones (sum |lambda_i * slack_i|: an interior-point method stops
    inside). Infinite when the Hessian is not positive definite there: not a
    minimum."""
    return _edm_free(result) + _slack_gain(result)


def _slack_gain(result: Any) -> float:
    lam, c = getattr(result, "_lam", None), result._c
    cset = result._problem.constraints
    if lam is None or c is None or cset is None:
        return 0.0
    ineq = cset.lb != cset.ub
    slack = np.where(lam >= 0, c - cset.lb, cset.ub - c)
    gain = np.where(ineq & np.isfinite(slack), np.abs(lam * slack), 0.0)
    return float(np.sum(gain))


def _edm_free(result: Any) -> float:
    g = result._residual
    if g is None:  # a derivative-free run: the gradient at the answer, for the criterion
        g = _gradient_at(result._problem, result.x_flat)
    z = free_basis(result)
    inv = result.get("hess_inv")
    if z is None and inv is not None:
        step = inv @ g if not hasattr(inv, "matvec") else inv.matvec(g)
        value = 0.5 * float(g @ np.ravel(step))
        return value if value >= 0 else math.inf
    h = lagrangian_hessian(result, default_method(result._problem))
    if z is not None:
        h = z.T @ h @ z
        g = z.T @ g
    if h.size == 0:
        return 0.0
    try:
        chol = np.linalg.cholesky(h)
    except np.linalg.LinAlgError:
        return math.inf
    y = np.linalg.solve(chol, g)
    return 0.5 * float(y @ y)


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
    cov = covariance(result, default_method(problem))
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
        sigma = math.sqrt(max(cov[i, i], 0.0)) * math.sqrt(q) or 1e-3 * max(1.0, abs(x_hat[i]))
        slope = cov[:, i] / cov[i, i] if cov[i, i] > 0 else np.zeros_like(x_hat)
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
                entry["is_valid"] = False
                entry["at_limit"] = entry["at_limit"] or bool(np.isfinite(limit))
                entry[key] = float(inner - x_hat[i])
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
    fixed = dataclasses.replace(problem, x0=start, bounds=(lower, upper))
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
        h = functions.hess(x) if exact else _fd_hessian(problem, x)
        h = _symmetric(h)[np.ix_(inside, inside)]
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
