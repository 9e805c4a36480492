"""Second derivatives at a point of a problem: the Hessian of the loss and of
the Lagrangian, exact from the backend ("autodiff") or by differences
("finite_difference": central differences of the gradient, second
differences of the value where there is no gradient), dense or as products.
Finite-difference steps follow the precision the loss is evaluated in
(`Problem.eps`), not float64's. What the verdict (`extopt._curvature`) and the
uncertainties (`extopt._uncertainties`) both stand on.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._errors import InputError, MethodError, describe


def default_method(problem: Any) -> str:
    """ "autodiff" where the backend has exact Hessians, else "finite_difference"."""
    functions = problem.functions
    return "autodiff" if functions.exact and functions.hess else "finite_difference"


def _eps(problem: Any) -> float:
    return float(getattr(problem, "eps", np.finfo(np.float64).eps))


def symmetric(h: Any) -> np.ndarray:
    h = np.asarray(h, dtype=np.float64)
    return 0.5 * (h + h.T)


def hessian(problem: Any, x: np.ndarray, method: str = "autodiff") -> np.ndarray:
    """The Hessian of the loss at `x` (flat, n x n)."""
    functions = problem.functions
    if method == "autodiff":
        if functions.hess is None or not functions.exact:
            raise MethodError(
                f"the {problem.backend.name} backend has no automatic Hessian: use "
                "method='finite_difference' (or a backend with automatic derivatives)."
            )
        with problem.backend.session():
            return symmetric(functions.hess(x))
    if method == "finite_difference":
        with problem.backend.session():
            return symmetric(fd_hessian(problem, x))
    raise InputError(
        "method must be 'autodiff', 'finite_difference', 'approx' or 'minuit'; got "
        f"{describe(method)}."
    )


def gradient_at(problem: Any, x: np.ndarray) -> np.ndarray:
    """The gradient at x: exact from the backend, else central differences."""
    functions = problem.functions
    with problem.backend.session():
        if functions.value_and_grad is not None:
            return np.asarray(functions.value_and_grad(x)[1], dtype=np.float64)
        steps = np.cbrt(_eps(problem)) * np.maximum(1.0, np.abs(x))
        out = np.zeros(x.size)
        for i, h in enumerate(steps):
            up, down = _pair(x, i, h, problem.bounds)
            if up is not None:
                out[i] = (functions.value(up) - functions.value(down)) / (up[i] - down[i])
        return out


def _pair(x: np.ndarray, i: int, step: float, bounds: Any) -> tuple[Any, Any]:
    """The points x + step e_i and x - step e_i, each kept inside the bounds
    (a one-sided difference at a bound; (None, None) for a fixed parameter):
    extopt's differences never evaluate the loss outside the bounds."""
    up, down = x.copy(), x.copy()
    up[i] += step
    down[i] -= step
    if bounds is not None:
        lower, upper = bounds
        up[i] = min(up[i], upper[i])
        down[i] = max(down[i], lower[i])
        if not up[i] > down[i]:
            return None, None
    return up, down


def fd_hessian(problem: Any, x: np.ndarray) -> np.ndarray:
    """Central differences of the gradient (second differences of the value
    without one)."""
    functions = problem.functions
    bounds = problem.bounds
    if functions.grad is not None:
        return fd_jacobian(functions.grad, x, _eps(problem), bounds)
    if functions.value_and_grad is not None:
        return fd_jacobian(lambda y: functions.value_and_grad(y)[1], x, _eps(problem), bounds)
    return second_differences(functions.value, x, _eps(problem), bounds)


def fd_jacobian(
    grad: Any, x: np.ndarray, eps: float = np.finfo(np.float64).eps, bounds: Any = None
) -> np.ndarray:
    """Central differences of a vector function `grad` (rows: its outputs,
    columns: the derivative along each x_i), inside `bounds` (a fixed
    parameter's column is zero)."""
    steps = np.cbrt(eps) * np.maximum(1.0, np.abs(x))
    columns: list[Any] = []
    for i, step in enumerate(steps):
        up, down = _pair(x, i, step, bounds)
        if up is None:
            columns.append(None)
            continue
        diff = np.atleast_1d(np.asarray(grad(up))) - np.atleast_1d(np.asarray(grad(down)))
        columns.append(diff / (up[i] - down[i]))
    known = [c for c in columns if c is not None]
    if not known:
        m = np.atleast_1d(np.asarray(grad(x))).size if columns else 0
        return np.zeros((m, len(columns)))
    m = known[0].size
    return np.stack([np.zeros(m) if c is None else c for c in columns], axis=1)


def second_differences(
    value: Any, x: np.ndarray, eps: float = np.finfo(np.float64).eps, bounds: Any = None
):
    """The Hessian of a scalar function from its values alone (central steps
    shortened to stay inside `bounds`; zero rows where a parameter cannot move)."""
    n = x.size
    h = np.zeros((n, n))
    steps = eps**0.25 * np.maximum(1.0, np.abs(x))
    if bounds is not None:
        room = np.minimum(x - bounds[0], bounds[1] - x)
        steps = np.where(room < steps, np.maximum(room, 0.0), steps)
    f0 = value(x)
    for i in range(n):
        if steps[i] <= 0:
            continue
        for j in range(i, n):
            if steps[j] <= 0:
                continue
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


def lagrangian_hessian(
    problem: Any, x: np.ndarray, lam: np.ndarray | None, method: str
) -> np.ndarray:
    """The Hessian of the Lagrangian ``f - lam^T c`` at `x`: the loss Hessian
    plus the curvature of the constraints that push (a parameter on a circle
    is held by the circle's curvature too); the loss Hessian alone without
    multipliers."""
    functions = problem.functions
    pushing = lam is not None and problem.constraints is not None and bool(np.any(lam))
    if pushing and method == "autodiff" and functions.lagrangian_hess is not None:
        with problem.backend.session():  # one fused call
            return symmetric(functions.lagrangian_hess(x, np.asarray(lam, dtype=np.float64)))
    h = hessian(problem, x, method)
    if not pushing:
        return h
    lam = np.asarray(lam, dtype=np.float64)
    with problem.backend.session():
        if method == "autodiff" and functions.constraints_hess is not None:
            curvature = functions.constraints_hess(x, lam)
        elif functions.constraints_jac is not None:
            curvature = fd_jacobian(
                lambda y: np.asarray(functions.constraints_jac(y)).T @ lam,
                x,
                _eps(problem),
                problem.bounds,
            )
        else:
            curvature = second_differences(
                lambda y: float(lam @ functions.constraints(y)), x, _eps(problem), problem.bounds
            )
    return h - symmetric(curvature)


def lagrangian_hvp(problem: Any, x: np.ndarray, lam: np.ndarray | None, method: str):
    """p -> (Hessian of the Lagrangian at x) p: exact products where the
    backend has them, else central differences of the gradient along p."""
    functions = problem.functions
    with_c = lam is not None and problem.constraints is not None and bool(np.any(lam))
    if method == "autodiff" and functions.hessp is not None and functions.exact:
        if with_c and functions.constraints_hessp is None:
            method = "finite_difference"
        else:

            def exact(p):
                out = np.asarray(functions.hessp(x, p), dtype=np.float64)
                if with_c:
                    out = out - np.asarray(functions.constraints_hessp(x, lam, p))
                return out

            return exact
    grad = functions.value_and_grad
    scale = np.cbrt(_eps(problem)) * max(1.0, float(np.max(np.abs(x))) if x.size else 1.0)

    def lagrangian_grad(y):
        if functions.grad is not None:
            g = np.asarray(functions.grad(y), dtype=np.float64)
        elif grad is not None:
            g = np.asarray(grad(y)[1], dtype=np.float64)
        else:
            g = gradient_at(problem, y)
        if with_c:
            J = functions.constraints_jac(y) if functions.constraints_jac is not None else None
            if J is None:
                raise MethodError("a constraint Jacobian is needed for the Lagrangian's curvature.")
            g = g - np.asarray(J).T @ lam
        return g

    def differenced(p):
        norm = float(np.linalg.norm(p))
        if norm == 0.0:
            return np.zeros_like(p)
        h = scale / norm
        return (lagrangian_grad(x + h * p) - lagrangian_grad(x - h * p)) / (2 * h)

    return differenced
