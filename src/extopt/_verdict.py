"""The verdict on a fit: whether its answer is a verified local minimum.

Every fit ends here, whatever algorithm ran. The evidence is taken at the
answer from the problem's own functions and derivatives, never from the
algorithm's approximations or its word:

- feasible: no bound or constraint is violated by more than `FEASIBILITY_TOL`
  (times 1 + the size of the bound); a constraint that is not a number is
  violated;
- finite: the loss, its gradient and the constraints are numbers there;
- edm: the estimated distance to the minimum (or the minimizer's own
  convergence criterion), 1/2 g^T H^-1 g with the exact Hessian of the
  Lagrangian in the free directions, is below ``tol * errordef``;
- curvature: no direction in which the parameters are free curves down (the
  smallest eigenvalue of the reduced Hessian is not negative beyond the
  precision of the Hessian): not a saddle point or a maximum;
- limits: no parameter is at one of its limits (a fit at a limit may be a
  minimum of the problem, but not one with Hessian-based uncertainties);
- budget: the evaluation budget was not spent;
- nan: the NaN strategy made up no value after the answer was first
  evaluated (the algorithm's last steps, and its decision to stop, were not
  steered by made-up values), and did not give up;
- stopped: the user's callback did not stop the run.

`valid` holds when every condition holds; `converged` when all but the limits
do. `reasons` names the failing ones, for a campaign to count.

On negative curvature a minimizer object steps out along the direction of
smallest curvature (`escape`) and runs again.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._curvature import Curvature, FreeSpace, examine

#: How much a bound or a constraint may be violated at a valid answer, relative
#: to 1 + |the bound| (absolute near zero).
FEASIBILITY_TOL = 1e-6

#: The conditions, in the order the views show them.
CONDITIONS = ("edm", "curvature", "feasible", "finite", "limits", "budget", "nan", "stopped")


@dataclass(frozen=True)
class Check:
    """One condition of the verdict: its name, whether it holds, and in words
    what was measured (`value`, against `target` where there is one)."""

    name: str
    passed: bool
    text: str
    value: float | None = None
    target: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "passed": self.passed,
            "text": self.text,
            "value": self.value,
            "target": self.target,
        }


@dataclass(frozen=True)
class Verdict:
    """The conditions behind `valid`, each with its evidence."""

    checks: tuple[Check, ...]

    @property
    def valid(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def converged(self) -> bool:
        return all(c.passed for c in self.checks if c.name != "limits")

    @property
    def reasons(self) -> list[str]:
        """The names of the failing conditions."""
        return [c.name for c in self.checks if not c.passed]

    def __getitem__(self, name: str) -> Check:
        for check in self.checks:
            if check.name == name:
                return check
        raise KeyError(name)

    def __contains__(self, name: object) -> bool:
        return any(c.name == name for c in self.checks)

    def failed_text(self) -> str:
        return "; ".join(c.text for c in self.checks if not c.passed)

    def __str__(self) -> str:
        lines = [f"{'valid' if self.valid else 'invalid'}:"]
        lines += [f"  [{'x' if c.passed else ' '}] {c.name}: {c.text}" for c in self.checks]
        return "\n".join(lines)

    __repr__ = __str__


# -- the evidence --------------------------------------------------------------------------


@dataclass
class Evidence:
    """What was measured at an answer (kept on the result as `_evidence`)."""

    space: FreeSpace
    curvature: Curvature | None
    violation: float  # the largest scaled violation
    finite: bool
    not_finite: str  # what is not finite, in words


def scaled_violation(problem: Any, x: np.ndarray, c: np.ndarray | None) -> float:
    """The largest violation of a bound or a constraint row, each relative to
    1 + |its bound|; infinite where a constraint is not a number."""
    worst = 0.0
    if problem.bounds is not None:
        lower, upper = problem.bounds
        with np.errstate(invalid="ignore"):
            below = np.where(np.isfinite(lower), (lower - x) / (1.0 + np.abs(lower)), 0.0)
            above = np.where(np.isfinite(upper), (x - upper) / (1.0 + np.abs(upper)), 0.0)
        worst = max(worst, float(np.max(below, initial=0.0)), float(np.max(above, initial=0.0)))
    cset = problem.constraints
    if cset is not None and c is not None:
        c = np.asarray(c, dtype=np.float64)
        if not np.all(np.isfinite(c)):
            return math.inf
        with np.errstate(invalid="ignore"):
            low = np.where(np.isfinite(cset.lb), (cset.lb - c) / (1.0 + np.abs(cset.lb)), 0.0)
            high = np.where(np.isfinite(cset.ub), (c - cset.ub) / (1.0 + np.abs(cset.ub)), 0.0)
        worst = max(worst, float(np.max(low, initial=0.0)), float(np.max(high, initial=0.0)))
    return worst


def unfinished(result: Any) -> bool:
    """A run the user ended (its callback stopped it) or whose evaluation budget
    is spent: invalid whatever the evidence, so no evaluation is spent on the
    curvature there (`nfev` stays what the run used)."""
    return bool(getattr(result, "_stopped", False)) or result.get("status") == "maxiter"


def gather(result: Any) -> Evidence:
    """The evidence at a `FitResult`'s answer (computed once, then kept)."""
    known = result.__dict__.get("_evidence")
    if known is not None:
        return known
    x = result.x_flat
    c, J, lam = result._c, result._J, result._lam
    g = result.get("jac_flat")
    counted = Counted(result._problem.functions, x, result.fun, g, c)
    problem = dataclasses.replace(result._problem, functions=counted.functions)
    problem.__dict__["eps"] = result._problem.eps  # known: no second look at the leaves
    parts = []
    if not math.isfinite(result.fun):
        parts.append(f"the loss is {result.fun}")
    if g is not None and not np.isfinite(g).all():
        parts.append("the gradient is not finite")
    if c is not None and not np.isfinite(c).all():
        parts.append("a constraint is not finite")
    if J is not None and not np.isfinite(J).all():
        parts.append("a constraint Jacobian is not finite")
    finite = not parts
    space = FreeSpace.at(problem, x, c, J, lam, result.__dict__.get("_bound_mult"))
    curvature = None
    if finite and not unfinished(result):
        lam_finite = lam if lam is None or np.all(np.isfinite(lam)) else None
        try:
            residual = _lagrangian_gradient(result, problem, lam_finite)
            curvature = examine(problem, x, residual, space, lam_finite)
        except np.linalg.LinAlgError:  # the user's own errors go through
            curvature = None
    evidence = Evidence(space, curvature, scaled_violation(problem, x, c), finite, ", ".join(parts))
    result._evidence = evidence
    counts = result.get("counts")
    if isinstance(counts, dict):
        for key, value in counted.counts.items():
            counts[f"verify_{key}"] = counts.get(f"verify_{key}", 0) + value
    return evidence


#: The count each piece of the flat functions is charged to.
_KIND = {
    "value": ("nfev",),
    "value_and_grad": ("nfev", "njev"),
    "grad": ("njev",),
    "hessp": ("nhev",),
    "hess": ("nhev",),
    "constraints": ("ncev",),
    "constraints_jac": ("ncjev",),
    "constraints_hessp": ("nchev",),
    "constraints_hess": ("nchev",),
    "lagrangian_hess": ("nhev", "nchev"),
    "value_constraints": ("nfev", "ncev"),
    "everything": ("nfev", "njev", "ncev", "ncjev"),
}


class Counted:
    """A problem's flat functions for the verification: every call counted
    apart from the algorithm's (``counts["verify_nfev"]`` etc., so that
    `nfev` stays what the algorithm asked for), the answer's own loss value
    and gradient served without a call."""

    def __init__(self, functions: Any, x: np.ndarray, f: float, g: Any, c: Any = None):
        self.counts = {"nfev": 0, "njev": 0, "nhev": 0, "ncev": 0, "ncjev": 0, "nchev": 0}
        known: dict[str, Any] = {"value": f}
        if g is not None:
            known["value_and_grad"] = (f, g)
            known["grad"] = g
        if c is not None:
            known["constraints"] = c
        key = x.tobytes()
        pieces = {}
        for name, kind in _KIND.items():
            function = getattr(functions, name)
            if function is not None:
                pieces[name] = self._wrap(function, kind, key, known.get(name))
        self.functions = dataclasses.replace(functions, **pieces)

    def _wrap(self, function, kinds: tuple[str, ...], key: bytes, known: Any):
        counts = self.counts

        def call(y, *rest):
            if known is not None and not rest and y.dtype.kind == "f" and y.tobytes() == key:
                return known
            for kind in kinds:
                counts[kind] += 1
            return function(y, *rest)

        return call


def _lagrangian_gradient(result: Any, problem: Any, lam: Any) -> np.ndarray:
    """The gradient of the Lagrangian at the answer, the pushing components of
    active bounds taken out: from the exact gradient where there is one; else
    from central differences (the algorithm's forward differences, with
    SciPy's absolute steps, can be far too coarse to judge a badly scaled
    minimum by)."""
    residual = result._residual
    if problem.has_gradient and residual is not None:
        return np.asarray(residual, dtype=np.float64)
    from ._constraints import kkt
    from ._hessians import fd_jacobian, gradient_at

    x = result.x_flat
    g = gradient_at(problem, x)
    J = result._J
    cset = problem.constraints
    if cset is not None and J is not None and not problem.functions.exact:
        J = fd_jacobian(problem.functions.constraints, x, problem.eps, problem.bounds)
    measures = kkt(g, J, lam if cset is not None else None, result._c, cset, x, problem.bounds)
    return np.asarray(measures["residual"], dtype=np.float64)


def slack_gain(result: Any) -> float:
    """With inequality constraints: the loss still to gain by closing the slack
    of the pushing ones (sum |lambda_i * slack_i|: an interior-point method
    stops inside)."""
    lam, c = result._lam, result._c
    cset = result._problem.constraints
    if lam is None or c is None or cset is None:
        return 0.0
    ineq = cset.lb != cset.ub
    slack = np.where(lam >= 0, c - cset.lb, cset.ub - c)
    with np.errstate(invalid="ignore"):
        gain = np.where(ineq & np.isfinite(slack), np.abs(lam * slack), 0.0)
    value = float(np.sum(gain))
    return value if math.isfinite(value) else math.inf


def edm(result: Any) -> float:
    """The EDM at a result's answer: 1/2 g^T H^-1 g in the free directions with
    the exact (or finite-difference) Hessian of the Lagrangian, plus the slack
    an interior point leaves; infinite where it cannot be computed."""
    evidence = gather(result)
    if evidence.curvature is None:
        return math.inf
    return evidence.curvature.edm + slack_gain(result)


# -- the judgement -------------------------------------------------------------------------


def judge(
    result: Any,
    *,
    target: float,
    criterion_value: float | None,
    criterion_name: str = "edm",
    at_limit: list[str],
    nan_in_run: bool,
    feasibility_tol: float = FEASIBILITY_TOL,
) -> Verdict:
    """The verdict on `result` (a `FitResult` from `report`), the EDM (or the
    criterion's value) against `target` = tol * errordef."""
    evidence = gather(result)
    curvature = evidence.curvature
    checks = []

    value = criterion_value
    if value is None:
        value = edm(result)
    if criterion_name == "edm":
        how = "" if curvature is None else f" ({curvature.method} Hessian)"
        label = f"edm {value:.3g}{how}"
    else:
        label = f"{criterion_name} {value:.3g}"
    ok = math.isfinite(value) and value < target
    checks.append(
        Check(
            "edm",
            bool(ok),
            f"{label} {'<' if ok else '>='} tol * errordef = {target:.3g}",
            float(value),
            float(target),
        )
    )

    if curvature is None:
        text = (
            "not examined: the run did not finish (stopped, or its budget spent)"
            if unfinished(result)
            else "the curvature at the answer could not be computed"
        )
        checks.append(Check("curvature", False, text))
    elif curvature.free == 0:
        checks.append(Check("curvature", True, "no free direction (every parameter is held)"))
    else:
        low = curvature.min_curvature
        ok = not (curvature.negative or curvature.flat)
        if curvature.flat:
            text = (
                f"the loss does not curve in any of the {curvature.free} free direction(s) "
                "(a zero Hessian): a plateau, no evidence of a minimum"
            )
        else:
            text = (
                f"smallest curvature {low:.3g} in the {curvature.free} free direction(s) "
                f"({curvature.relative:.3g} relative to the diagonal)"
                + ("" if ok else ": a saddle point or a maximum")
            )
        checks.append(Check("curvature", ok, text, float(curvature.relative), -curvature.rtol))

    v = evidence.violation
    ok = v <= feasibility_tol
    checks.append(
        Check(
            "feasible",
            bool(ok),
            f"largest violation {v:.3g} {'<=' if ok else '>'} {feasibility_tol:g} "
            "(relative to 1 + |bound|)",
            float(v),
            feasibility_tol,
        )
    )
    checks.append(
        Check(
            "finite",
            evidence.finite,
            "loss, gradient and constraints are finite"
            if evidence.finite
            else f"not finite at the answer: {evidence.not_finite}",
        )
    )
    checks.append(
        Check(
            "limits",
            not at_limit,
            "no parameter at a limit"
            if not at_limit
            else f"parameter(s) at a limit: {', '.join(at_limit[:10])}"
            + (f" and {len(at_limit) - 10} more" if len(at_limit) > 10 else ""),
        )
    )
    spent = result.get("status") == "maxiter"
    checks.append(
        Check(
            "budget",
            not spent,
            "the evaluation budget was spent" if spent else "below the evaluation budget",
        )
    )
    gave_up = result.get("status") == "nan"
    nan_ok = not (nan_in_run or gave_up)
    checks.append(
        Check(
            "nan",
            nan_ok,
            "no made-up values after the answer was found"
            if nan_ok
            else (
                "the NaN strategy gave up"
                if gave_up
                else "the NaN strategy made up values after the answer was found"
            ),
        )
    )
    stopped = bool(getattr(result, "_stopped", False))
    checks.append(
        Check(
            "stopped",
            not stopped,
            "stopped by the callback" if stopped else "not stopped by a callback",
        )
    )
    return Verdict(tuple(checks))


# -- leaving a saddle ----------------------------------------------------------------------


def escape(result: Any, ev: Any, errordef: float) -> np.ndarray | None:
    """A point lower than the answer along its direction of negative
    curvature (within the bounds), or None when none is found.

    The step starts where the quadratic model along the direction gains one
    errordef, and is halved until the loss (the Lagrangian, with active
    constraints) decreases by at least a quarter of what the model predicts;
    both senses are tried, the one the gradient favours first."""
    evidence = gather(result)
    curvature = evidence.curvature
    if curvature is None or curvature.direction is None:
        return None
    problem = result._problem
    x = result.x_flat
    d = curvature.direction
    lam = result._lam
    g = result.get("jac_flat")
    low = abs(curvature.min_curvature)
    cset = problem.constraints

    def merit(y: np.ndarray) -> float:
        f = ev.fun(y)
        if cset is not None and lam is not None and np.any(lam):
            f = f - float(lam @ ev.constraints(y))
        return f

    base = merit(x)
    if not math.isfinite(base):
        return None
    first = 1.0 if g is None or float(np.dot(g, d)) <= 0 else -1.0
    alpha0 = math.sqrt(2.0 * max(errordef, 1e-300) / low)
    for sense in (first, -first):
        step = sense * d
        alpha = min(alpha0, _room(x, step, problem.bounds))
        for _ in range(40):
            if alpha <= 1e-12 * (1.0 + float(np.max(np.abs(x)))):
                break
            trial = x + alpha * step
            if problem.bounds is not None:
                trial = np.clip(trial, *problem.bounds)
            value = merit(trial)
            if math.isfinite(value) and value < base - 0.25 * low * alpha**2:
                return trial
            alpha *= 0.5
    return None


def _room(x: np.ndarray, step: np.ndarray, bounds: Any) -> float:
    """How far x may go along `step` before a bound."""
    if bounds is None:
        return math.inf
    lower, upper = bounds
    with np.errstate(divide="ignore", invalid="ignore"):
        up = np.where(step > 0, (upper - x) / step, np.inf)
        down = np.where(step < 0, (lower - x) / step, np.inf)
    room = float(np.min(np.minimum(up, down), initial=math.inf))
    return max(room, 0.0)


__all__ = ["CONDITIONS", "FEASIBILITY_TOL", "Check", "Verdict", "edm", "escape", "judge"]
