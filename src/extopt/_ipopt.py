"""Ipopt (`ipyopt`) as an extopt minimizer, through the public extension point.

`Ipopt` runs Ipopt's interior-point method on the flat problem: the bounds as
Ipopt's ``x_L <= x <= x_U``, the constraint rows as ``g_L <= g(x) <= g_U``
(open sides as Ipopt's +/-1e19), the backend's exact gradient and dense
constraint Jacobian, and the exact Hessian of the Lagrangian (dense lower
triangle) where the backend has second derivatives; Ipopt's limited-memory
quasi-Newton approximation otherwise (NumPy) or when asked.

Stopping: convergence is extopt's rule for every minimizer (the EDM below
``tol * errordef``). Ipopt's own `tol` (its scaled KKT error) is set to
``min(1e-8, 0.1 * tol * errordef)``, Ipopt's default unless extopt's target is
tighter, and so is `bound_relax_factor` (Ipopt relaxes the sides of inequality
rows by it, and the EDM counts the slack left); a restart k divides them and
`acceptable_tol` by ``10**k`` and starts warm from the previous run's
multipliers. Ipopt's `max_iter` is the evaluation budget left (an iteration
costs at least one loss evaluation, so the budget, not `max_iter`, ends a long
run).

Multipliers: Ipopt's Lagrangian is ``f + lambda^T g``, so extopt's row
multipliers are ``-lambda`` and the bound multipliers ``z_L - z_U``. Ipopt's
own (``mult_g``, ``mult_x_L``, ``mult_x_U``) are kept in the result under
``ipopt_multipliers``; a fit with such a result as `init` starts warm.

What ipyopt does not give and how it is handled:

- an exception in ``eval_f`` or ``eval_g`` counts for Ipopt as an evaluation
  error, it goes on, and ipyopt leaves the Python error set (later calls fail
  with SystemError): so no exception ever reaches ipyopt; the first one is
  kept, every function returns NaN from then on, the intermediate callback
  says stop, and the exception is raised again when `solve` returns;
- its intermediate callback gets no iterate: the current one is the last
  point at which Ipopt asked for a derivative (Ipopt evaluates the gradient
  and the Jacobian at every accepted iterate before the callback);
- `get_ipopt_options()` gives no option types in this build: option values are
  checked by Ipopt itself (`Problem.set` on a throwaway problem) when the
  minimizer is made, and Ipopt's explanation of a refused value, which it
  prints to the C-level stdout, is captured for the error message.
"""

from __future__ import annotations

import contextlib
import math
import numbers
import os
import re
import sys
import tempfile
from typing import Any

import numpy as np

from ._errors import InputError, MethodError, describe, did_you_mean
from ._external import Capabilities, Outcome, Task
from ._minimizers import BaseMinimizer

#: Ipopt's infinity: a bound at or beyond +/-IPOPT_INF is no bound (its default
#: `nlp_upper_bound_inf` / `nlp_lower_bound_inf`).
IPOPT_INF = 1e19

#: Ipopt's return codes (IpReturnCodes_inc.h): the status name and words.
STATUS: dict[int, tuple[str, str]] = {
    0: ("Solve_Succeeded", "Ipopt converged to its tolerance"),
    1: (
        "Solved_To_Acceptable_Level",
        "Ipopt stopped at an acceptable point: its tolerance was not reached, but "
        "acceptable_tol was met in acceptable_iter iterations in a row",
    ),
    2: ("Infeasible_Problem_Detected", "Ipopt found the constraints locally infeasible"),
    3: (
        "Search_Direction_Becomes_Too_Small",
        "Ipopt's search direction became too small (the problem may be badly scaled)",
    ),
    4: ("Diverging_Iterates", "the iterates diverged (the loss may be unbounded below)"),
    5: ("User_Requested_Stop", "stopped by the callback"),
    6: (
        "Feasible_Point_Found",
        "Ipopt found a feasible point of a square problem (as many equalities as parameters)",
    ),
    -1: ("Maximum_Iterations_Exceeded", "Ipopt reached its iteration limit (max_iter)"),
    -2: (
        "Restoration_Failed",
        "Ipopt's feasibility restoration failed to find a better point",
    ),
    -3: ("Error_In_Step_Computation", "Ipopt could not compute a step"),
    -4: ("Maximum_CpuTime_Exceeded", "Ipopt reached its CPU-time limit (max_cpu_time)"),
    -5: ("Maximum_WallTime_Exceeded", "Ipopt reached its wall-time limit (max_wall_time)"),
    -10: (
        "Not_Enough_Degrees_Of_Freedom",
        "there are more equality constraints than free parameters",
    ),
    -11: ("Invalid_Problem_Definition", "Ipopt found the problem definition invalid"),
    -12: ("Invalid_Option", "Ipopt refused an option"),
    -13: (
        "Invalid_Number_Detected",
        "Ipopt met a NaN or an infinity in the loss, the constraints or their derivatives",
    ),
    -100: ("Unrecoverable_Exception", "Ipopt failed with an unrecoverable exception"),
    -101: ("NonIpopt_Exception_Thrown", "an exception was thrown inside Ipopt"),
    -102: ("Insufficient_Memory", "Ipopt ran out of memory"),
    -199: ("Internal_Error", "Ipopt failed with an internal error"),
}

#: The statuses counted as success (extopt's criterion decides convergence).
SUCCESS = (0, 1)

#: The `hessian=` settings and the limited-memory update each one means.
_QUASI_NEWTON = {"limited-memory": "bfgs", "bfgs": "bfgs", "sr1": "sr1"}

#: Options set for a warm start (the user's own win): keep the given point and
#: multipliers where they are, and start the barrier near its end.
WARM_START = {
    "warm_start_init_point": "yes",
    "warm_start_bound_push": 1e-9,
    "warm_start_bound_frac": 1e-9,
    "warm_start_slack_bound_push": 1e-9,
    "warm_start_slack_bound_frac": 1e-9,
    "warm_start_mult_bound_push": 1e-9,
    "mu_init": 1e-6,
}

_INT32_MAX = 2**31 - 1


class Ipopt(BaseMinimizer):
    """Ipopt's interior-point method (via ipyopt), with exact derivatives from
    the backend; bounds, equality and inequality constraints.

    Parameters
    ----------
    tol : converged when the EDM is below ``tol * errordef`` (default 1e-3).
        Ipopt's own `tol` is ``min(1e-8, 0.1 * tol * errordef)``; the option
        `ipopt_tol` sets it instead (`tol` is extopt's).
    gradient : None (exact, the default), True, "2-point" or "3-point"
        (extopt's finite differences).
    hessian : None: the exact Hessian of the Lagrangian where the backend has
        second derivatives, else Ipopt's limited-memory approximation;
        "limited-memory" or "bfgs" (L-BFGS), "sr1" (L-SR1): always Ipopt's
        approximation.
    verbosity : from 7 on Ipopt prints its iteration table (print_level 5,
        to the C-level stdout); silent below.
    maxiter : the budget of loss evaluations; also Ipopt's `max_iter` unless
        given as an option.
    criterion, strategy, name : as for every extopt minimizer.
    **options : Ipopt's options by Ipopt's names
        (https://coin-or.github.io/Ipopt/OPTIONS.html), checked by Ipopt when
        the minimizer is made; an integer is taken for a real option.
    """

    capabilities = Capabilities(
        bounds=True, equalities=True, inequalities=True, gradient=True, hessian=True
    )
    hessian_choices = tuple(_QUASI_NEWTON)
    requires = ("ipyopt", "ipopt")

    def feasibility_tol(self) -> float:
        """extopt's, or Ipopt's `constr_viol_tol` given if it is looser."""
        given = self.options.get("constr_viol_tol")
        return max(super().feasibility_tol(), float(given) if given is not None else 0.0)

    def check_options(self, options: dict[str, Any]) -> None:
        """Refuse unknown Ipopt options and values Ipopt refuses (named, with
        what Ipopt accepts); normalize the accepted values in place."""
        import ipyopt

        known = {entry["name"]: entry for entry in ipyopt.get_ipopt_options()}
        for key in list(options):
            name = "tol" if key == "ipopt_tol" else key
            if not isinstance(key, str) or name not in known:
                raise InputError(
                    f"{key!r} is not an Ipopt option; Ipopt's options are listed at "
                    "https://coin-or.github.io/Ipopt/OPTIONS.html (and by "
                    "ipyopt.get_ipopt_options())." + did_you_mean(str(key), [*known, "ipopt_tol"])
                )
            options[key] = _checked_value(key, name, options[key], known[name].get("type"))
        if "linear_solver" in options:
            _check_linear_solver(options["linear_solver"])
        hess = getattr(self, "hess", None)
        approximation = options.get("hessian_approximation")
        if hess is not None and approximation == "exact":
            raise InputError(
                f"hessian={hess!r} asks for Ipopt's limited-memory approximation, but the "
                "option hessian_approximation='exact' asks for the exact Hessian; give one."
            )
        update = options.get("limited_memory_update_type")
        if hess is not None and update is not None and update != _QUASI_NEWTON[hess]:
            raise InputError(
                f"hessian={hess!r} means limited_memory_update_type={_QUASI_NEWTON[hess]!r}, "
                f"but the option says {update!r}; give one."
            )

    def run(self, task: Task) -> Outcome:
        import ipyopt

        n, m = task.n, task.m
        options = self._ipopt_options(task)
        exact = options["hessian_approximation"] == "exact"
        warm = _warm_start(task)
        if warm is not None:
            for key, value in WARM_START.items():
                options.setdefault(key, value)
        calls = _Callbacks(task)
        big_up = float(options.get("nlp_upper_bound_inf", IPOPT_INF))
        big_low = float(options.get("nlp_lower_bound_inf", -IPOPT_INF))
        problem = ipyopt.Problem(
            n,
            _finite(task.lower, big_low, big_up),
            _finite(task.upper, big_low, big_up),
            m,
            _finite(task.constraint_lower, big_low, big_up),
            _finite(task.constraint_upper, big_low, big_up),
            (np.repeat(np.arange(m), n), np.tile(np.arange(n), m)),
            np.tril_indices(n) if exact else (np.zeros(0, int), np.zeros(0, int)),
            calls.eval_f,
            calls.eval_grad_f,
            calls.eval_g,
            calls.eval_jac_g,
            eval_h=calls.eval_h if exact else None,
            intermediate_callback=calls.intermediate,
            ipopt_options=options,
        )
        mult_g, mult_x_L, mult_x_U = (
            warm if warm is not None else (np.zeros(m), np.zeros(n), np.zeros(n))
        )
        try:
            # a start outside the bounds as given: Ipopt pushes it inside itself
            start = task.x0_given if task.x0_given is not None else task.x0
            x, _, status = problem.solve(
                start.copy(), mult_g=mult_g, mult_x_L=mult_x_L, mult_x_U=mult_x_U
            )
        except Exception:
            if calls.error is None:
                raise
        if calls.error is not None:
            raise calls.error  # extopt answers (budget spent, NaN strategy, the user's error)
        status = int(status)
        if status in (-11, -12):  # no answer at all: restarting would only repeat it
            name, words = STATUS[status]
            raise MethodError(
                f"{words} ({name}) when it started to solve, with the options "
                f"{dict(self.options)}; Ipopt printed why to the "
                "standard output (run with verbosity=7 to see it with the iterations)."
            )
        name, words = STATUS.get(status, (f"status {status}", "Ipopt ended with this status"))
        if status == 0:
            words = f"{words} (tol={options['tol']:.3g})"
        elif status == -1:
            words = f"{words}: {options['max_iter']} iterations"
        duals = (mult_g, mult_x_L, mult_x_U)
        finite = all(np.all(np.isfinite(d)) for d in duals)
        fields: dict[str, Any] = {"ipopt_status": status, "ipopt_stats": dict(problem.stats)}
        if finite:
            fields["ipopt_multipliers"] = {
                "mult_g": mult_g.copy(),
                "mult_x_L": mult_x_L.copy(),
                "mult_x_U": mult_x_U.copy(),
                "g_L": task.constraint_lower.copy(),
                "g_U": task.constraint_upper.copy(),
            }
        return Outcome(
            np.array(x, dtype=np.float64),
            success=status in SUCCESS,
            status=name,
            message=f"{words} ({name})",
            nit=calls.nit,
            multipliers=-mult_g if finite and m else None,
            bound_multipliers=mult_x_L - mult_x_U if finite and task.bounded else None,
            fields=fields,
        )

    def _ipopt_options(self, task: Task) -> dict[str, Any]:
        """The options Ipopt gets in this run: the user's, then extopt's defaults."""
        options = dict(self.options)
        user_tol = options.pop("ipopt_tol", options.pop("tol", None))
        tighter = 10.0 ** (-task.restart)
        if user_tol is None:
            user_tol = min(1e-8, 0.1 * task.tol * task.errordef)
        options["tol"] = float(user_tol) * tighter
        # Ipopt relaxes every bound by this factor, also the sides of inequality
        # rows, and puts only the parameters back inside theirs at the end.
        options.setdefault("bound_relax_factor", min(1e-8, options["tol"]))
        if task.restart:
            options["acceptable_tol"] = float(options.get("acceptable_tol", 1e-6)) * tighter
        if task.max_evals is not None:
            options.setdefault("max_iter", min(int(task.max_evals), _INT32_MAX))
        options.setdefault("max_iter", 3000)  # Ipopt's default, named for the message
        options.setdefault("print_level", 0 if self.verbosity < 7 else 5)
        options.setdefault("sb", "yes")
        if self.hess is not None:
            options["hessian_approximation"] = "limited-memory"
            options["limited_memory_update_type"] = _QUASI_NEWTON[self.hess]
        elif not task.has_hessian:
            if options.get("hessian_approximation") == "exact":
                raise MethodError(
                    "hessian_approximation='exact' needs second derivatives, which this "
                    "backend does not have; use an autodiff backend such as 'jax', or drop "
                    "the option (Ipopt then uses its limited-memory approximation)."
                )
            options["hessian_approximation"] = "limited-memory"
        options.setdefault("hessian_approximation", "exact")
        return options


class _Callbacks:
    """Ipopt's callbacks over a `Task`: no exception reaches ipyopt (see the
    module docstring), and the iterate is tracked for the intermediate callback."""

    def __init__(self, task: Task):
        self.task = task
        self.error: BaseException | None = None
        self.last_x: np.ndarray | None = None
        self.nit = 0
        self.lower_triangle = np.tril_indices(task.n)

    def _fill(self, out: np.ndarray, compute) -> None:
        if self.error is None:
            try:
                out[:] = compute()
                return
            except BaseException as exc:  # kept and raised again after solve()
                self.error = exc
        out[:] = np.nan

    def eval_f(self, x: np.ndarray) -> float:
        if self.error is None:
            try:
                return float(self.task.fun(x))
            except BaseException as exc:
                self.error = exc
        return math.nan

    def eval_grad_f(self, x: np.ndarray, out: np.ndarray) -> None:
        self.last_x = np.array(x)  # x is Ipopt's memory: copy
        self._fill(out, lambda: self.task.grad(x))

    def eval_g(self, x: np.ndarray, out: np.ndarray) -> None:
        self._fill(out, lambda: self.task.constraints(x))

    def eval_jac_g(self, x: np.ndarray, out: np.ndarray) -> None:
        self.last_x = np.array(x)
        self._fill(out, lambda: self.task.constraints_jac(x).ravel())

    def eval_h(self, x: np.ndarray, lagrange: np.ndarray, obj_factor: float, out: np.ndarray):
        self.last_x = np.array(x)
        hess = self.task.lagrangian_hess
        self._fill(out, lambda: hess(x, lagrange, obj_factor)[self.lower_triangle])

    def intermediate(self, mode: int, iteration: int, *_: Any) -> bool:
        """Once per Ipopt iteration (iteration 0 is the start): False stops Ipopt."""
        self.nit = int(iteration)
        if self.error is not None:
            return False
        if iteration == 0 or self.last_x is None:
            return True
        try:
            return not self.task.callback(self.last_x, nit=self.nit)
        except BaseException as exc:
            self.error = exc
            return False


def _finite(bound: np.ndarray, low: float, up: float) -> np.ndarray:
    """Open sides as Ipopt's infinities."""
    bound = np.asarray(bound, dtype=np.float64)
    return np.where(np.isfinite(bound), bound, np.where(bound > 0, up, low))


def _warm_start(task: Task) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Ipopt's multipliers from `task.init` when it is an Ipopt result of the
    same problem shape (copies: `solve` overwrites them)."""
    init = task.init
    saved = init.get("ipopt_multipliers") if init is not None else None
    if not isinstance(saved, dict):
        return None
    try:
        duals = tuple(
            np.array(saved[key], dtype=np.float64) for key in ("mult_g", "mult_x_L", "mult_x_U")
        )
        same_rows = np.array_equal(saved["g_L"], task.constraint_lower) and np.array_equal(
            saved["g_U"], task.constraint_upper
        )
    except (KeyError, TypeError, ValueError):
        return None
    shapes = (task.m,), (task.n,), (task.n,)
    if not same_rows or tuple(d.shape for d in duals) != shapes:
        return None
    if not all(np.all(np.isfinite(d)) for d in duals):
        return None
    return duals  # type: ignore[return-value]


# -- checking options with Ipopt itself ---------------------------------------------------

_KINDS = {"Real Number": "a real number", "Integer": "an integer", "String": "one of its settings"}
_probe_problem: Any = None


def _checked_value(key: str, name: str, value: Any, declared: Any) -> Any:
    """`value` as Ipopt takes it for its option `name` (given as `key`), or an
    InputError naming the option, the value and what Ipopt accepts."""
    if isinstance(value, bool) or not isinstance(value, str | numbers.Real):
        raise InputError(
            f"the Ipopt option {key!r} takes a number or a string; got {describe(value)}."
        )
    if isinstance(value, numbers.Integral):
        value = int(value)
    elif isinstance(value, numbers.Real):
        value = float(value)
    declared = declared.lower() if isinstance(declared, str) else ""
    if isinstance(value, int) and ("num" in declared or "real" in declared):
        value = float(value)
    ok, text = _ipopt_says(name, value)
    if ok:
        return value
    found = re.search(r"### \S+ \((.+?)\) ###\n(.*)", text, re.S)
    kind = found.group(1).strip() if found else None
    if kind == "Real Number" and isinstance(value, int):
        ok, _ = _ipopt_says(name, float(value))
        if ok:
            return float(value)
    if found is None:
        raise InputError(
            f"Ipopt refused its option {key!r} = {describe(value)}: a wrong type or a value "
            "out of range; see https://coin-or.github.io/Ipopt/OPTIONS.html."
        )
    doc = " ".join(
        line.strip().removeprefix("Description: ")
        for line in found.group(2).splitlines()
        if line.strip() and not line.startswith("Category:")
    )
    right_type = {"Integer": int, "Real Number": float, "String": str}.get(kind)
    if right_type is not None and isinstance(value, right_type):
        what = f"Ipopt refuses {describe(value)} for its option {key!r}"
    else:
        what = f"the Ipopt option {key!r} takes {_KINDS.get(kind, kind)}; got {describe(value)}"
    note = "" if kind == "String" else " (the default in parentheses)"
    raise InputError(f"{what}. Ipopt's documentation of it: {doc}{note}.")


def _check_linear_solver(value: Any) -> None:
    """An InputError when this Ipopt build has no `value` linear solver: Ipopt
    takes any known name when the option is set and refuses it only when it
    solves, so a tiny problem is solved with it."""
    import ipyopt

    if not isinstance(value, str):
        return  # the type is checked with the other options
    one, empty = np.ones(1), np.zeros(0)

    def nothing_g(x, out):
        return out

    problem = ipyopt.Problem(
        1, -one, one, 0, empty, empty, ((), ()), ((), ()),
        lambda x: float(x[0] ** 2), lambda x, out: out.__setitem__(0, 2 * x[0]),
        nothing_g, nothing_g,
        ipopt_options={"linear_solver": value, "print_level": 0, "sb": "yes",
                       "hessian_approximation": "limited-memory"},
    )  # fmt: skip
    with _CStdout() as printed:
        try:
            _, _, status = problem.solve(np.array([0.5]))
        except (ValueError, TypeError):  # an unknown name: the general check says so
            return
    if int(status) == -12:
        said = " ".join(line.strip() for line in printed.text.splitlines() if line.strip())
        raise InputError(
            f"the Ipopt option 'linear_solver' = {value!r} names a solver this Ipopt build "
            f"does not have{f' (Ipopt: {said})' if said else ''}; 'mumps' is the one the "
            "ipyopt wheels bring."
        )


def _ipopt_says(name: str, value: Any) -> tuple[bool, str]:
    """Whether Ipopt takes `name` = `value`, and what it printed about it."""
    global _probe_problem
    import ipyopt

    if _probe_problem is None:
        empty = np.zeros(0)

        def nothing(*_):
            return 0.0

        _probe_problem = ipyopt.Problem(
            1, np.zeros(1), np.ones(1), 0, empty, empty, ((), ()), ((), ()), nothing,
            nothing, nothing, nothing,
        )  # fmt: skip
    with _CStdout() as printed:
        try:
            _probe_problem.set(**{name: value})
            ok = True
        except (ValueError, TypeError):
            ok = False
    return ok, printed.text


class _CStdout:
    """Captures what C code prints to file descriptor 1 (Ipopt explains a refused
    option there). Not thread-safe: other output in the meantime is captured
    too. Where the descriptor cannot be redirected, nothing is captured."""

    def __init__(self):
        self.text = ""
        self._saved: int | None = None
        self._file: Any = None

    def __enter__(self) -> _CStdout:
        try:
            _flush()
            self._file = tempfile.TemporaryFile()
            self._saved = os.dup(1)
            os.dup2(self._file.fileno(), 1)
        except (OSError, AttributeError, ValueError):
            self._restore()
            if self._file is not None:
                self._file.close()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._saved is None:
            return
        _flush()
        self._restore()
        self._file.seek(0)
        self.text = self._file.read().decode(errors="replace")
        self._file.close()

    def _restore(self) -> None:
        if self._saved is not None:
            os.dup2(self._saved, 1)
            os.close(self._saved)
            self._saved = None


def _flush() -> None:
    """Flush Python's and C's stdout buffers."""
    with contextlib.suppress(AttributeError, ValueError, OSError):
        sys.stdout.flush()
    try:
        import ctypes

        ctypes.CDLL(None).fflush(None)
    except (OSError, AttributeError, TypeError):
        pass


__all__ = ["Ipopt"]
