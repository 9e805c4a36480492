"""Minuit (`iminuit`) as an extopt minimizer, through the public extension point.

`Minuit` runs MIGRAD with the backend's exact gradient (and, while the problem
is small, its exact Hessian for MIGRAD's seed and HESSE), the bounds as
Minuit's limits and the step sizes from the params or `init`. Convergence is
extopt's rule for every minimizer: the EDM below ``tol * errordef``. Minuit's
own stopping target is ``0.002 * tol * errordef`` (its `tol`), so it is set
to reach extopt's target, and never looser than iminuit's default; a run that
stops short is restarted ten times tighter like any other. With the exact
Hessian, its diagonal is given too (Minuit2 asks for it where the start
curvature is not positive).

`hesse_covariance` and `minos_errors` give HESSE and MINOS at a result's
minimum, for ``FitResult.hesse(method="minuit")`` and
``FitResult.errors(method="minos")``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._errors import InputError, MethodError, describe
from ._external import Capabilities, Outcome, Task, require
from ._methods import DENSE_HESSIAN_MAX
from ._minimizers import BaseMinimizer
from ._strategy import Strategy

#: Minuit stops when its EDM is below MINUIT_EDM_FACTOR * tol * errordef.
MINUIT_EDM_FACTOR = 0.002
#: iminuit's default `tol`.
MINUIT_DEFAULT_TOL = 0.1


class _StopRequested(Exception):
    """Ends MIGRAD from inside the loss when the user's callback says stop."""


class Minuit(BaseMinimizer):
    """MIGRAD of Minuit (iminuit), with exact derivatives from the backend.

    Parameters
    ----------
    tol : converged when the EDM is below ``tol * errordef`` (default 1e-3).
    strategy : Minuit's strategy, 0 (fast), 1 (default) or 2 (careful). An
        extopt NaN strategy (class or instance) is taken as `nan_strategy`,
        for code written for zfit.
    gradient : None (exact, the default), True (Minuit's own numerical
        gradient), "2-point" or "3-point" (extopt's finite differences).
    hessian : None (exact second derivatives for MIGRAD's seed and HESSE while
        n <= 100 and no parameter has limits; Minuit's own otherwise) or
        "minuit" (Minuit's own always).
    verbosity, maxiter, criterion, name : as for every extopt minimizer.
    nan_strategy : what to do on NaN (`PushbackStrategy` by default).
    precision : the loss's relative precision, if Minuit should not assume
        the machine precision.
    """

    capabilities = Capabilities(bounds=True, gradient=True, hessian=True)
    option_names = ("precision",)
    hessian_choices = ("minuit",)
    requires = ("iminuit", "minuit")

    def __init__(
        self,
        tol: float | None = None,
        strategy: Any = 1,
        gradient: Any = None,
        hessian: Any = None,
        verbosity: int | None = None,
        maxiter: int | str = "auto",
        criterion: Any = None,
        nan_strategy: Any = None,
        name: str | None = None,
        **options: Any,
    ):
        if isinstance(strategy, Strategy) or (
            isinstance(strategy, type) and issubclass(strategy, Strategy)
        ):
            if nan_strategy is not None:
                raise InputError("give the NaN strategy once: nan_strategy= (or strategy=).")
            strategy, nan_strategy = 1, strategy
        if isinstance(strategy, bool) or strategy not in (0, 1, 2):
            raise InputError(
                f"strategy must be Minuit's 0, 1 or 2 (or an extopt NaN strategy); got "
                f"{describe(strategy)}."
            )
        self.minuit_strategy = int(strategy)
        super().__init__(
            tol, gradient, hessian, verbosity, maxiter, criterion, nan_strategy, name, **options
        )

    def check_options(self, options: dict[str, Any]) -> None:
        super().check_options(options)
        precision = options.get("precision")
        if precision is not None and (
            isinstance(precision, bool)
            or not isinstance(precision, int | float)
            or not 0 < precision < 1
        ):
            raise InputError(
                f"precision must be None or a number between 0 and 1; got {describe(precision)}."
            )

    def run(self, task: Task) -> Outcome:
        best = {"f": np.inf}

        def fcn(x):
            f = task.fun(x)
            if f < best["f"]:  # a new best point: MIGRAD's iterates are these
                best["f"] = f
                if task.callback(x):
                    raise _StopRequested
            return f

        grad = None if self.gradient is True else task.grad
        use_hessian = (
            self.hess is None
            and grad is not None
            and task.has_hessian
            and task.n <= DENSE_HESSIAN_MAX
            and not task.bounded  # iminuit 2.33 misapplies a user Hessian to limited parameters
            and _positive_definite(task.hess(task.x0))  # else MIGRAD's seed is its own
        )
        m = _new_minuit(
            fcn,
            task.x0,
            grad=grad,
            hessian=task.hess if use_hessian else None,
            errordef=task.errordef,
            lower=task.lower,
            upper=task.upper,
            steps=task.step_sizes,
        )
        m.strategy = self.minuit_strategy
        # Minuit's own target, never looser than iminuit's default (a wrapper
        # must not stop where the library alone would go on).
        m.tol = min(self.tol / MINUIT_EDM_FACTOR, MINUIT_DEFAULT_TOL) * 10.0 ** (-task.restart)
        if self.options.get("precision") is not None:
            m.precision = self.options["precision"]
        m.print_level = 0 if self.verbosity < 7 else (1 if self.verbosity < 10 else 2)
        try:
            # iminuit 2.33 fails in the SIMPLEX fallback of MIGRAD with a user Hessian.
            m.migrad(ncall=task.max_evals, use_simplex=not use_hessian)
        except _StopRequested:
            return Outcome(task.x0, success=False, message="stopped")  # extopt answers
        fmin = m.fmin
        status, message = _describe(fmin)
        inv = np.array(m.covariance, dtype=np.float64) if m.covariance is not None else None
        return Outcome(
            np.array(m.values, dtype=np.float64),
            success=bool(fmin.is_valid),
            status=status,
            message=message,
            nit=int(fmin.nfcn),
            hess_inv=None if inv is None else inv / (2.0 * task.errordef),
            fields={"minuit_edm": float(fmin.edm)},
        )


def _positive_definite(h: np.ndarray) -> bool:
    try:
        np.linalg.cholesky(0.5 * (h + h.T))
    except np.linalg.LinAlgError:
        return False
    return bool(np.all(np.isfinite(h)))


def _new_minuit(fcn, x0, *, grad, hessian, errordef, lower, upper, steps):
    from iminuit import Minuit as _Minuit

    n = len(x0)
    plain = [f"x{i}" for i in range(n)]
    g2 = None
    if hessian is not None:
        # Minuit2 asks for the Hessian's diagonal (G2) when a diagonal entry is
        # not positive; iminuit 2.33 has none to give with only `hessian`.
        def g2(x):
            return np.diag(np.asarray(hessian(x), dtype=np.float64)).copy()

    m = _Minuit(fcn, np.array(x0, dtype=np.float64), grad=grad, g2=g2, hessian=hessian, name=plain)
    m.errordef = errordef
    if np.any(np.isfinite(lower)) or np.any(np.isfinite(upper)):
        m.limits = [
            (lo if np.isfinite(lo) else None, up if np.isfinite(up) else None)
            for lo, up in zip(lower.tolist(), upper.tolist(), strict=True)
        ]
    if steps is not None:
        steps = np.where(np.isfinite(steps) & (steps > 0), steps, np.nan)
        default = np.array(m.errors, dtype=np.float64)
        m.errors = np.where(np.isnan(steps), default, steps)
    return m


def _describe(fmin: Any) -> tuple[str, str]:
    """Minuit's function-minimum flags as a status name and words."""
    if fmin.is_valid:
        return "valid", f"MIGRAD converged (Minuit's edm {fmin.edm:.3g})"
    problems = [
        text
        for flag, text in (
            ("has_reached_call_limit", "the call limit was reached"),
            ("is_above_max_edm", "the EDM is above its maximum"),
            ("hesse_failed", "HESSE failed"),
        )
        if getattr(fmin, flag, False)
    ]
    if not fmin.has_posdef_covar:
        problems.append("the covariance is not positive definite")
    status = (
        "call limit"
        if fmin.has_reached_call_limit
        else ("above max edm" if fmin.is_above_max_edm else "invalid")
    )
    return status, "MIGRAD did not converge: " + ("; ".join(problems) or "invalid minimum")


# -- HESSE and MINOS at a result's minimum -------------------------------------------------


def _minuit_at(result: Any):
    """A Minuit object at `result`'s minimum, on the result's loss."""
    require("iminuit", "minuit", "method='minuit'")
    problem = result._live_problem()
    if problem.constraints is not None:
        raise MethodError(
            "Minuit's HESSE and MINOS know no general constraints; use hesse() (extopt's, in "
            "the free directions) and errors(method='profile') for a constrained fit."
        )
    functions = problem.functions
    grad = None
    if functions.value_and_grad is not None:

        def grad(x):
            return np.asarray(functions.value_and_grad(np.asarray(x, np.float64))[1])

    hess = None
    if (
        functions.hess is not None
        and functions.exact
        and problem.n <= DENSE_HESSIAN_MAX
        and problem.bounds is None  # see Minuit.run
    ):

        def hess(x):
            return np.asarray(functions.hess(np.asarray(x, np.float64)))

    lower, upper = (
        problem.bounds
        if problem.bounds is not None
        else (np.full(problem.n, -np.inf), np.full(problem.n, np.inf))
    )
    m = _new_minuit(
        lambda x: float(functions.value(np.asarray(x, np.float64))),
        result.x_flat,
        grad=grad,
        hessian=hess,
        errordef=result.get("errordef") or 1.0,
        lower=lower,
        upper=upper,
        steps=None,
    )
    m.strategy = 2
    return m, problem


def hesse_covariance(result: Any) -> tuple[np.ndarray, str]:
    """Minuit's HESSE covariance at the result's minimum (flat n x n), and its
    status in Minuit's words."""
    m, problem = _minuit_at(result)
    with problem.backend.session():
        m.hesse()
    if m.covariance is None:
        raise MethodError("Minuit's HESSE gave no covariance at this point.")
    fmin = m.fmin
    if fmin is not None and getattr(fmin, "has_made_posdef_covar", False):
        status = "made positive definite (Minuit)"
    elif fmin is not None and not fmin.has_accurate_covar:
        status = "approximate (Minuit)"
    else:
        status = "accurate (Minuit)"
    return np.array(m.covariance, dtype=np.float64), status


def minos_errors(result: Any, names: list[str], cl: float) -> dict[str, dict[str, Any]]:
    """MINOS errors of `names` at the result's minimum, at confidence level `cl`."""
    m, problem = _minuit_at(result)
    all_names = list(result["names"])
    out = {}
    bounds = problem.bounds
    fixed = set() if bounds is None else set(np.flatnonzero(bounds[0] == bounds[1]).tolist())
    with problem.backend.session():
        m.hesse()
        indices = [all_names.index(name) for name in names]
        free = [i for i in indices if i not in fixed]
        if free:
            m.minos(*free, cl=cl)
        for name, i in zip(names, indices, strict=True):
            if i in fixed:  # lower == upper: no room either way (as extopt's profile says)
                out[name] = {
                    "lower": 0.0,
                    "upper": 0.0,
                    "is_valid": False,
                    "lower_valid": False,
                    "upper_valid": False,
                    "at_limit": True,
                    "method": "minos",
                }
                continue
            me = m.merrors[f"x{i}"]
            out[name] = {
                "lower": float(me.lower),
                "upper": float(me.upper),
                "is_valid": bool(me.is_valid),
                "lower_valid": bool(me.lower_valid),
                "upper_valid": bool(me.upper_valid),
                "at_limit": bool(me.at_lower_limit or me.at_upper_limit),
                "method": "minos",
            }
    return out


__all__ = ["Minuit"]
