"""Constraints as one flat model: rows `lb <= c(x) <= ub`.

The rows come from two places:

- the user's `equalities` and `inequalities` (functions of the structured
  parameters, compiled by the backend: `c == 0` and `c >= 0`, any output
  shape), evaluated through the `Evaluator` so they share framework calls with
  the loss;
- SciPy's own constraint objects and dicts passed as `constraints=` (functions
  of the flat vector), kept as `ScipyBlock`s.

Every algorithm's format (SLSQP's and COBYLA's dicts, trust-constr's and
COBYQA's `NonlinearConstraint`) is derived from these rows, and Lagrange
multipliers from any algorithm are converted back to one convention per row:

    grad f(x) = J(x)^T lam + (bound multipliers)

with `lam >= 0` where a lower side is active (an inequality `c >= 0`),
`lam <= 0` where an upper side is active, and any sign for an equality.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ._errors import InputError, describe

if TYPE_CHECKING:
    from ._evaluator import Evaluator
    from ._tree import Packer
    from .backends import FlatFunctions


def normalize_functions(value: Any, what: str) -> tuple[Callable[..., Any], ...]:
    """`equalities` / `inequalities` as a tuple of callables."""
    if value is None:
        return ()
    if callable(value):
        return (value,)
    if isinstance(value, Sequence) and not isinstance(value, str):
        for i, item in enumerate(value):
            if not callable(item):
                raise InputError(
                    f"{what}[{i}] must be a function c(params, *args); got {describe(item)}."
                )
        return tuple(value)
    raise InputError(
        f"{what} must be a function c(params, *args) or a sequence of them; got {describe(value)}."
    )


@dataclass
class ScipyBlock:
    """One of the user's SciPy constraints, as rows over the flat vector."""

    index: int
    fun: Callable[[np.ndarray], np.ndarray]
    jac: Callable[[np.ndarray], np.ndarray] | None  # None: forward differences
    hess: Callable[[np.ndarray, np.ndarray], Any] | None  # (x, v) -> sum v_i H_i
    lb: np.ndarray
    ub: np.ndarray

    @property
    def size(self) -> int:
        return self.lb.size


def normalize_scipy_constraints(constraints: Any, x0: np.ndarray) -> list[ScipyBlock]:
    """The `constraints=` argument (SciPy objects or dicts) as `ScipyBlock`s."""
    from scipy.optimize import LinearConstraint, NonlinearConstraint

    if constraints is None:
        return []
    if isinstance(constraints, dict | LinearConstraint | NonlinearConstraint):
        constraints = [constraints]
    if not isinstance(constraints, Sequence) or isinstance(constraints, str):
        raise InputError(
            "constraints must be a SciPy constraint (dict, LinearConstraint, NonlinearConstraint) "
            f"or a sequence of them; got {describe(constraints)}."
        )
    blocks = []
    for i, con in enumerate(constraints):
        what = f"constraints[{i}]"
        if isinstance(con, dict):
            blocks.append(_from_dict(con, i, x0, what))
        elif isinstance(con, LinearConstraint):
            blocks.append(_from_linear(con, i, x0, what))
        elif isinstance(con, NonlinearConstraint):
            blocks.append(_from_nonlinear(con, i, x0, what))
        else:
            raise InputError(
                f"{what} must be a dict, a scipy.optimize.LinearConstraint or a "
                f"NonlinearConstraint; got {describe(con)}. (For constraints written over the "
                "structured parameters use equalities= and inequalities=.)"
            )
    return blocks


def _rows(value: Any, what: str) -> np.ndarray:
    if value is None:  # NumPy would make it a NaN
        raise InputError(f"{what} must return numbers; it returned None.")
    try:
        out = np.atleast_1d(np.asarray(value, dtype=np.float64))
    except (TypeError, ValueError):
        raise InputError(f"{what} must return numbers; it returned {describe(value)}.") from None
    if out.ndim != 1:
        raise InputError(f"{what} must return a scalar or a 1-d array; got shape {out.shape}.")
    return out


def _side(value: Any, m: int, what: str) -> np.ndarray:
    array = np.asarray(value, dtype=np.float64)
    try:
        return np.array(np.broadcast_to(array, (m,)), dtype=np.float64)
    except ValueError:
        raise InputError(
            f"{what} has shape {array.shape}, which does not broadcast to the constraint's "
            f"{m} rows."
        ) from None


def _from_dict(con: dict, index: int, x0: np.ndarray, what: str) -> ScipyBlock:
    allowed = {"type", "fun", "jac", "args"}
    unknown = set(con) - allowed
    if unknown:
        raise InputError(
            f"{what} has unknown keys {sorted(unknown)}; a SciPy constraint dict "
            f"has {sorted(allowed)}."
        )
    kind = con.get("type")
    if kind not in ("eq", "ineq"):
        raise InputError(f"{what}['type'] must be 'eq' or 'ineq'; got {kind!r}.")
    fun = con.get("fun")
    if not callable(fun):
        raise InputError(f"{what}['fun'] must be callable; got {describe(fun)}.")
    args = tuple(con.get("args", ()))
    jac = con.get("jac")
    if jac is not None and not callable(jac):
        raise InputError(f"{what}['jac'] must be callable or absent; got {describe(jac)}.")
    m = _rows(fun(x0, *args), f"{what}['fun']").size

    def flat_fun(x):
        rows = _rows(fun(x, *args), f"{what}['fun']")
        if rows.size != m:
            raise InputError(
                f"{what}['fun'] returned {rows.size} values here and {m} at x0; a constraint "
                "must return the same number of values at every point."
            )
        return rows

    flat_jac = None
    if jac is not None:

        def flat_jac(x):
            out = jac(x, *args)
            try:
                J = np.atleast_2d(np.asarray(out, dtype=np.float64))
            except (TypeError, ValueError):
                raise InputError(
                    f"{what}['jac'] must return an ({m}, {x.size}) array of numbers (one row per "
                    f"constraint value, one column per parameter); got {describe(out)}."
                ) from None
            if J.size != m * x.size:
                raise InputError(
                    f"{what}['jac'] must return an ({m}, {x.size}) array (one row per "
                    f"constraint value, one column per parameter); it returned shape {J.shape}."
                )
            return J.reshape(m, x.size)

    ub = np.zeros(m) if kind == "eq" else np.full(m, np.inf)
    return ScipyBlock(index, flat_fun, flat_jac, None, np.zeros(m), ub)


def _from_linear(con, index: int, x0: np.ndarray, what: str) -> ScipyBlock:
    A = con.A
    if hasattr(A, "toarray"):
        A = A.toarray()
    A = np.atleast_2d(np.asarray(A, dtype=np.float64))
    if A.shape[1] != x0.size:
        raise InputError(
            f"{what}.A has {A.shape[1]} columns; it must have one per parameter element, {x0.size}."
        )
    _no_keep_feasible(con, what)
    m = A.shape[0]
    return ScipyBlock(
        index,
        lambda x: A @ x,
        lambda x: A,
        lambda x, v: np.zeros((x.size, x.size)),
        _side(con.lb, m, f"{what}.lb"),
        _side(con.ub, m, f"{what}.ub"),
    )


def _from_nonlinear(con, index: int, x0: np.ndarray, what: str) -> ScipyBlock:
    _no_keep_feasible(con, what)
    fun = con.fun
    m = _rows(fun(x0), f"{what}.fun").size

    def flat_fun(x):
        return _rows(fun(x), f"{what}.fun")

    flat_jac = None
    if callable(con.jac):

        def flat_jac(x):
            J = con.jac(x)
            if hasattr(J, "toarray"):
                J = J.toarray()
            return np.atleast_2d(np.asarray(J, dtype=np.float64)).reshape(m, x.size)

    hess = con.hess if callable(con.hess) else None
    return ScipyBlock(
        index,
        flat_fun,
        flat_jac,
        hess,
        _side(con.lb, m, f"{what}.lb"),
        _side(con.ub, m, f"{what}.ub"),
    )


def _no_keep_feasible(con, what: str) -> None:
    """keep_feasible of a general constraint changes the path, not the answer:
    ignored with SciPy's warning (SciPy's SLSQP, COBYLA and COBYQA ignore it
    too); `Bounds(keep_feasible=True)` is honoured."""
    if np.any(getattr(con, "keep_feasible", False)):
        from ._errors import ScipyWarning, warn

        warn(
            f"{what}.keep_feasible is set; extopt ignores keep_feasible for general "
            "constraints (Bounds(..., keep_feasible=True) is honoured). SciPy's words: "
            "Constraint option `keep_feasible` is ignored by this method.",
            ScipyWarning,
        )


class ConstraintSet:
    """All constraint rows of a problem: the backend's (equalities, then
    inequalities) first, then the SciPy blocks."""

    def __init__(
        self, packers: Sequence[Packer], kinds: Sequence[str], scipy_blocks: Sequence[ScipyBlock]
    ):
        self.packers = tuple(packers)  # output structure of each backend function
        self.kinds = tuple(kinds)  # "eq" / "ineq" per backend function
        self.scipy_blocks = tuple(scipy_blocks)
        self.m_backend = sum(p.size for p in self.packers)
        lb = [np.zeros(p.size) for p in self.packers]
        ub = [
            np.zeros(p.size) if k == "eq" else np.full(p.size, np.inf)
            for p, k in zip(self.packers, self.kinds, strict=True)
        ]
        lb += [b.lb for b in self.scipy_blocks]
        ub += [b.ub for b in self.scipy_blocks]
        self.lb = np.concatenate(lb) if lb else np.zeros(0)
        self.ub = np.concatenate(ub) if ub else np.zeros(0)
        self.m = self.lb.size
        self.has_equality = bool(np.any(self.lb == self.ub))
        self.has_inequality = bool(np.any(self.lb != self.ub))
        eq = self.lb == self.ub
        self.eq_rows = np.flatnonzero(eq)
        self.lo_rows = np.flatnonzero(~eq & np.isfinite(self.lb))
        self.up_rows = np.flatnonzero(~eq & np.isfinite(self.ub))

    def violation(self, c: np.ndarray) -> float:
        """The largest violation of a row; infinite where a row is not a number
        (a constraint that cannot be evaluated is not met)."""
        if c.size == 0:
            return 0.0
        c = np.asarray(c, dtype=np.float64)
        if not np.all(np.isfinite(c)):
            return math.inf
        return float(np.max(np.maximum(np.maximum(self.lb - c, c - self.ub), 0.0)))

    # -- SLSQP / COBYLA dicts -------------------------------------------------------
    def as_dicts(self, ev: Evaluator, with_jac: bool) -> list[dict]:
        """Old-style dicts: one 'eq' dict (rows with lb == ub) and one 'ineq'
        dict (finite lower sides as c - lb, finite upper sides as ub - c)."""
        eq, lo, up = self.eq_rows, self.lo_rows, self.up_rows
        lb, ub = self.lb, self.ub
        dicts = []
        if eq.size:
            con = {"type": "eq", "fun": lambda x: ev.constraints(x)[eq] - lb[eq]}
            if with_jac:
                con["jac"] = lambda x: ev.constraints_jac(x)[eq]
            dicts.append(con)
        if lo.size or up.size:

            def ineq(x):
                c = ev.constraints(x)
                return np.concatenate([c[lo] - lb[lo], ub[up] - c[up]])

            con = {"type": "ineq", "fun": ineq}
            if with_jac:

                def ineq_jac(x):
                    J = ev.constraints_jac(x)
                    return np.vstack([J[lo], -J[up]])

                con["jac"] = ineq_jac
            dicts.append(con)
        return dicts

    def rows_from_dict_multipliers(self, mult: np.ndarray) -> np.ndarray:
        """SLSQP's multipliers (eq rows, then ineq rows as in `as_dicts`) per row."""
        lam = np.zeros(self.m)
        ne, nl = self.eq_rows.size, self.lo_rows.size
        lam[self.eq_rows] = mult[:ne]
        lam[self.lo_rows] += mult[ne : ne + nl]
        lam[self.up_rows] -= mult[ne + nl :]
        return lam

    # -- splitting per-row results back to the user's constraints -------------------
    def split(self, rows: np.ndarray) -> dict[str, list[Any]]:
        """Per-row values (multipliers, constraint values) as
        {"eq": [...], "ineq": [...], "constraints": [...]}, each entry in its
        constraint's own output structure and leaf type."""
        out: dict[str, list[Any]] = {"eq": [], "ineq": [], "constraints": []}
        start = 0
        for packer, kind in zip(self.packers, self.kinds, strict=True):
            stop = start + packer.size
            out[kind].append(packer.unpack(rows[start:stop]))
            start = stop
        for block in self.scipy_blocks:
            stop = start + block.size
            out["constraints"].append(np.array(rows[start:stop]))
            start = stop
        return out

    def estimate_multipliers(
        self,
        g: np.ndarray,
        c: np.ndarray,
        J: np.ndarray,
        x: np.ndarray,
        bounds: tuple[np.ndarray, np.ndarray] | None,
    ) -> np.ndarray:
        """Least-squares multipliers of the active rows (and active bounds), with the
        sign each active side allows, for methods that report none."""
        from scipy.optimize import lsq_linear

        tol = 1e-6 * (1.0 + np.abs(c))
        eq = self.lb == self.ub
        lo_active = ~eq & (np.abs(c - self.lb) <= tol)
        up_active = ~eq & (np.abs(c - self.ub) <= tol)
        rows = np.flatnonzero(eq | lo_active | up_active)
        cols = [J[rows].T]
        low = [np.where(eq[rows], -np.inf, np.where(lo_active[rows], 0.0, -np.inf))]
        high = [np.where(eq[rows], np.inf, np.where(lo_active[rows], np.inf, 0.0))]
        if bounds is not None:
            blo, bup = _active_bounds(x, bounds)
            eye = np.eye(x.size)
            cols += [eye[:, blo], -eye[:, bup]]
            low += [np.zeros(blo.size), np.zeros(bup.size)]
            high += [np.full(blo.size, np.inf), np.full(bup.size, np.inf)]
        A = np.hstack(cols)
        lam = np.zeros(self.m)
        if A.shape[1] == 0:
            return lam
        sol = lsq_linear(A, g, bounds=(np.concatenate(low), np.concatenate(high)))
        lam[rows] = sol.x[: rows.size]
        return lam


def _active_bounds(x: np.ndarray, bounds: tuple[np.ndarray, np.ndarray], pushing: Any = None):
    """Indices of the parameters at their lower and at their upper bound
    (within 1e-6 relative). With `pushing`, the bound multipliers (z_lower,
    z_upper), a bound whose multiplier pushes is active up to 1e-3 inside:
    an interior-point method ends a little inside an active bound."""
    lower, upper = bounds
    with np.errstate(invalid="ignore"):
        near_lo = x - lower <= 1e-6 * (1.0 + np.abs(lower))
        near_up = upper - x <= 1e-6 * (1.0 + np.abs(upper))
        if pushing is not None:
            z_lower, z_upper = (np.asarray(z, dtype=np.float64) for z in pushing)
            scale = 1e-6 * (1.0 + float(np.max(np.abs(np.concatenate([z_lower, z_upper])))))
            near_lo |= (z_lower > scale) & (x - lower <= 1e-3 * (1.0 + np.abs(lower)))
            near_up |= (z_upper > scale) & (upper - x <= 1e-3 * (1.0 + np.abs(upper)))
        lo = np.flatnonzero(np.isfinite(lower) & near_lo)
        up = np.flatnonzero(np.isfinite(upper) & near_up)
    return lo, up


def kkt(
    g: np.ndarray,
    J: np.ndarray | None,
    lam: np.ndarray | None,
    c: np.ndarray | None,
    cset: ConstraintSet | None,
    x: np.ndarray,
    bounds: tuple[np.ndarray, np.ndarray] | None,
    bound_mult: np.ndarray | None = None,
) -> dict[str, Any]:
    """The KKT measures at `x` for multipliers `lam` (and the method's own bound
    multipliers `bound_mult`, positive where a lower bound pushes, if it has them):

    - stationarity: inf-norm of grad f - J^T lam - bound forces; without the
      method's bound multipliers, a component pushing against an active bound
      counts as that bound's multiplier, not as error;
    - dual: how far a multiplier has the wrong sign for its active side;
    - complementarity: max |lam_i * slack_i| over inequality rows;
    - the bound multipliers found (lower, upper), flat.
    """
    r = np.array(g, dtype=np.float64)
    dual = 0.0
    comp = 0.0
    if lam is not None and J is not None and lam.size:
        r = r - J.T @ lam
        eq = cset.lb == cset.ub
        ineq = ~eq
        slack_lo = c - cset.lb
        slack_up = cset.ub - c
        wrong = np.where(
            ineq & (slack_lo <= slack_up),
            np.maximum(-lam, 0.0),
            np.where(ineq, np.maximum(lam, 0.0), 0.0),
        )
        dual = float(np.max(wrong)) if wrong.size else 0.0
        slack = np.where(lam >= 0, slack_lo, slack_up)
        comp_rows = np.where(ineq & np.isfinite(slack), np.abs(lam * slack), 0.0)
        comp = float(np.max(comp_rows)) if comp_rows.size else 0.0
    z_lower = np.zeros_like(r)
    z_upper = np.zeros_like(r)
    if bounds is not None and bound_mult is not None:
        z_lower = np.maximum(bound_mult, 0.0)
        z_upper = np.maximum(-bound_mult, 0.0)
        r = r - bound_mult
    elif bounds is not None:
        lo, up = _active_bounds(x, bounds)
        z_lower[lo] = np.maximum(r[lo], 0.0)
        z_upper[up] = np.maximum(-r[up], 0.0)
        r = r - z_lower + z_upper
    return {
        "stationarity": float(np.max(np.abs(r))) if r.size else 0.0,
        "dual": dual,
        "complementarity": comp,
        "bound_multipliers": (z_lower, z_upper),
        "residual": r,
    }


def with_scipy_blocks(functions: FlatFunctions, blocks: Sequence[ScipyBlock]) -> FlatFunctions:
    """`functions` with the rows of the user's SciPy constraints after the
    backend's, in every constraint piece (fused ones included), so that the
    evaluator caches and counts them like the rest. A piece some block cannot
    supply (a Jacobian or a Hessian) is left out: the evaluator then uses
    finite differences for the Jacobian, and trust-constr a quasi-Newton
    approximation of the constraint Hessian."""
    if not blocks:
        return functions
    mb = sum(p.size for p in functions.constraint_packers)
    own = mb > 0
    offsets = np.cumsum([mb] + [b.size for b in blocks])
    spans = [slice(o - b.size, o) for b, o in zip(blocks, offsets[1:], strict=True)]

    def block_values(x):
        return [b.fun(x) for b in blocks]

    def block_jacs(x):
        return [b.jac(x) for b in blocks]

    def constraints(x):
        parts = ([functions.constraints(x)] if own else []) + block_values(x)
        return np.concatenate(parts)

    def value_constraints(x):
        if own:
            f, c = functions.value_constraints(x)
            return f, np.concatenate([c, *block_values(x)])
        return functions.value(x), np.concatenate(block_values(x))

    merged = dataclasses.replace(
        functions,
        constraints=constraints,
        value_constraints=value_constraints,
        constraints_jac=None,
        everything=None,
        constraints_hess=None,
        constraints_hessp=None,
        lagrangian_hess=None,
    )
    if all(b.jac is not None for b in blocks) and (not own or functions.constraints_jac):

        def constraints_jac(x):
            return np.vstack(([functions.constraints_jac(x)] if own else []) + block_jacs(x))

        merged.constraints_jac = constraints_jac
        if own and functions.everything is not None:

            def everything(x):
                f, g, c, J = functions.everything(x)
                return (f, g, np.concatenate([c, *block_values(x)]), np.vstack([J, *block_jacs(x)]))

            merged.everything = everything
        elif not own and functions.value_and_grad is not None:

            def everything(x):
                f, g = functions.value_and_grad(x)
                return f, g, np.concatenate(block_values(x)), np.vstack(block_jacs(x))

            merged.everything = everything
    if all(b.hess is not None for b in blocks) and (not own or functions.constraints_hess):

        def constraints_hess(x, v):
            n = x.size
            H = functions.constraints_hess(x, v[:mb]) if own else np.zeros((n, n))
            for b, span in zip(blocks, spans, strict=True):
                M = b.hess(x, v[span])
                H = H + (M.toarray() if hasattr(M, "toarray") else np.asarray(M @ np.eye(n)))
            return H

        def constraints_hessp(x, v, p):
            out = functions.constraints_hessp(x, v[:mb], p) if own else np.zeros(x.size)
            for b, span in zip(blocks, spans, strict=True):
                out = out + np.ravel(b.hess(x, v[span]) @ p)
            return out

        merged.constraints_hess = constraints_hess
        merged.constraints_hessp = constraints_hessp
    return merged
