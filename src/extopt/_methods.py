"""What each `scipy.optimize.minimize` method can take, as one table of data.

Every decision about a method (does it take bounds? equality constraints? which
derivatives does it use? which options?) is read from `METHODS`; dispatch and
the error messages that list the methods able to do something are derived
from it, never written as if-chains.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ._errors import MethodError, did_you_mean

Grad = Literal["none", "optional", "required"]
Hess = Literal["none", "hessp", "hess"]
Constraints = Literal["none", "dict", "object"]
Multipliers = Literal["none", "slsqp", "trust-constr"]

_TRUST = frozenset(
    {"initial_trust_radius", "max_trust_radius", "eta", "gtol", "maxiter", "disp", "return_all"}
)


@dataclass(frozen=True)
class MethodSpec:
    """One row of the capability table.

    - `grad`: whether the method uses a gradient ("optional": it falls back to
      finite differences without one; "required": SciPy refuses to run without).
    - `hess`: the second-derivative form extopt supplies: "hessp" (Hessian-vector
      products; a dense `hess` callable is also accepted), "hess" (a dense
      matrix is required) or "none".
    - `hess_update`: accepts a `HessianUpdateStrategy` (BFGS, SR1) as `hess`.
    - `hess_fd`: accepts "2-point"/"3-point"/"cs" as `hess`.
    - `constraints`: "dict" (old-style dicts), "object" (`NonlinearConstraint`)
      or "none"; `equality` / `inequality` say which kinds.
    - `fuse`: what one framework call computes at a new point: "value",
      "value_and_grad", "value_constraints" or "everything" (value, gradient,
      constraint values and Jacobians).
    - `callback`: the callback form SciPy calls ("result": `intermediate_result`,
      "x": `xk` only); `stop`: how a run is ended early ("StopIteration" where
      SciPy handles it, "raise" where extopt has to unwind it itself).
    - `multipliers`: where SciPy reports Lagrange multipliers, if anywhere.
    - `maxiter`: the option name that bounds the work.
    - `options`: every option name SciPy's implementation accepts.
    - `float32`: option defaults for a loss evaluated in float32, where SciPy's
      defaults ask for more than float32 can give (used unless set).
    - `tolerances`: the stopping tolerances (SciPy's defaults) that a fit
      tightens, ten times per restart, when the method stopped short of the
      convergence criterion.
    - `aliases`: option names the minimizer objects take instead of SciPy's,
      where SciPy's clashes with their own arguments (COBYLA's `tol`).
    """

    name: str
    bounds: bool
    equality: bool
    inequality: bool
    grad: Grad
    hess: Hess
    hess_update: bool
    hess_fd: bool
    constraints: Constraints
    fuse: str
    callback: Literal["result", "x"]
    stop: Literal["StopIteration", "raise"]
    multipliers: Multipliers
    maxiter: str
    options: frozenset[str]
    float32: tuple[tuple[str, float], ...] = ()
    tolerances: tuple[tuple[str, float], ...] = ()
    aliases: tuple[tuple[str, str], ...] = ()
    #: a callable method (SciPy's custom minimizer), called as SciPy calls it
    custom: Any = None

    @property
    def key(self) -> str:
        return self.name.lower()

    @property
    def derivative_free(self) -> bool:
        return self.grad == "none"

    @property
    def constrained(self) -> bool:
        return self.equality or self.inequality


def _spec(
    name,
    *,
    bounds=False,
    eq=False,
    ineq=False,
    grad="optional",
    hess="none",
    hess_update=False,
    hess_fd=False,
    constraints="none",
    fuse=None,
    callback="result",
    stop="StopIteration",
    multipliers="none",
    maxiter="maxiter",
    options=(),
    float32=None,
    tolerances=None,
    aliases=None,
):
    float32 = float32 or {}
    if fuse is None:
        if grad == "none":
            fuse = "value_constraints" if (eq or ineq) else "value"
        else:
            fuse = "everything" if (eq or ineq) else "value_and_grad"
    return MethodSpec(
        name,
        bounds,
        eq,
        ineq,
        grad,
        hess,
        hess_update,
        hess_fd,
        constraints,
        fuse,
        callback,
        stop,
        multipliers,
        maxiter,
        frozenset(options),
        tuple(float32.items()),
        tuple((tolerances or {}).items()),
        tuple((aliases or {}).items()),
    )


#: A relative change of the loss that float32 can still resolve (10 eps).
_F32_FTOL = float(10 * np.finfo(np.float32).eps)

# fmt: off
_GRADIENT_FD = ("eps", "finite_diff_rel_step", "workers")  # SciPy's finite-difference options
_TABLE = (
    _spec("Nelder-Mead", bounds=True, grad="none", tolerances={"xatol": 1e-4, "fatol": 1e-4},
          options=(
        "maxiter", "maxfev", "disp", "return_all", "initial_simplex", "xatol", "fatol",
        "adaptive")),
    _spec("Powell", bounds=True, grad="none", tolerances={"xtol": 1e-4, "ftol": 1e-4},
          options=(
        "xtol", "ftol", "maxiter", "maxfev", "disp", "direc", "return_all")),
    _spec("CG", tolerances={"gtol": 1e-5}, options=(
        "gtol", "norm", "maxiter", "disp", "return_all", "c1", "c2", *_GRADIENT_FD)),
    _spec("BFGS", tolerances={"gtol": 1e-5}, options=(
        "gtol", "norm", "maxiter", "disp", "return_all", "xrtol", "c1", "c2", "hess_inv0",
        *_GRADIENT_FD)),
    _spec("Newton-CG", grad="required", hess="hessp", hess_update=True, hess_fd=True,
          tolerances={"xtol": 1e-5}, options=(
        "xtol", "eps", "maxiter", "disp", "return_all", "c1", "c2", "workers")),
    _spec("L-BFGS-B", bounds=True, float32={"ftol": _F32_FTOL},
          tolerances={"ftol": 2.220446049250313e-09, "gtol": 1e-5}, options=(
        "disp", "maxcor", "ftol", "gtol", "maxfun", "maxiter", "iprint", "maxls",
        *_GRADIENT_FD)),
    _spec("TNC", bounds=True, callback="x", stop="raise", maxiter="maxfun",
          float32={"ftol": _F32_FTOL}, tolerances={"gtol": 1.2e-6, "xtol": 1.5e-8}, options=(
        "scale", "offset", "mesg_num", "maxCGit", "eta", "stepmx", "accuracy", "minfev", "ftol",
        "xtol", "gtol", "rescale", "disp", "maxfun", *_GRADIENT_FD)),
    _spec("COBYLA", bounds=True, eq=True, ineq=True, grad="none", constraints="dict",
          tolerances={"tol": 1e-4}, aliases={"rhoend": "tol"}, options=(
        "rhobeg", "tol", "maxiter", "disp", "catol", "f_target")),
    # COBYQA calls its callback after every evaluation, not every iteration, and
    # asks for constraint values at many points without the loss: no fusion.
    _spec("COBYQA", bounds=True, eq=True, ineq=True, grad="none", constraints="object",
          fuse="value", tolerances={"final_tr_radius": 1e-6}, options=(
              "disp", "maxfev", "maxiter", "f_target", "feasibility_tol", "initial_tr_radius",
              "final_tr_radius", "scale")),
    _spec("SLSQP", bounds=True, eq=True, ineq=True, constraints="dict", multipliers="slsqp",
          tolerances={"ftol": 1e-6},
          options=("maxiter", "ftol", "iprint", "disp", *_GRADIENT_FD)),
    _spec("trust-constr", bounds=True, eq=True, ineq=True, hess="hessp", hess_update=True,
          hess_fd=True, constraints="object", multipliers="trust-constr",
          float32={"gtol": 1e-5, "barrier_tol": 1e-6},
          tolerances={"gtol": 1e-8, "xtol": 1e-8, "barrier_tol": 1e-8}, options=(
              "xtol", "gtol", "barrier_tol", "sparse_jacobian", "maxiter", "verbose",
              "finite_diff_rel_step", "initial_constr_penalty", "initial_tr_radius",
              "initial_barrier_parameter", "initial_barrier_tolerance", "factorization_method",
              "disp", "workers")),
    _spec("dogleg", grad="required", hess="hess", tolerances={"gtol": 1e-4}, options=_TRUST),
    _spec("trust-ncg", grad="required", hess="hessp", hess_update=True, hess_fd=True,
          tolerances={"gtol": 1e-4}, options=_TRUST | {"workers"}),
    _spec("trust-exact", grad="required", hess="hess", tolerances={"gtol": 1e-4},
          options=_TRUST | {"subproblem_maxiter"}),
    # trust-krylov takes a HessianUpdateStrategy, as in SciPy, though on Rosenbrock it
    # fails with it ("A bad approximation ..."; SciPy 1.17): the verdict says so.
    _spec("trust-krylov", grad="required", hess="hessp", hess_update=True, hess_fd=True,
          tolerances={"gtol": 1e-4}, options=_TRUST | {"inexact", "workers"}),
)
# fmt: on

METHODS: dict[str, MethodSpec] = {spec.key: spec for spec in _TABLE}

#: trust-constr gets the dense exact Hessian up to this many parameters and
#: Hessian-vector products above (a dense product is cheaper than a framework
#: call per CG step while the matrix is small).
DENSE_HESSIAN_MAX = 100

#: The method used when `method=None`: L-BFGS-B (bounds or none), SLSQP with constraints.
DEFAULT = "L-BFGS-B"
DEFAULT_CONSTRAINED = "SLSQP"


def method_names() -> list[str]:
    return [spec.name for spec in _TABLE]


def custom_method(method: Any) -> MethodSpec:
    """The row of a callable method: SciPy calls it as
    ``method(fun, x0, args, jac, hess, hessp, bounds, constraints, callback, **options)``;
    it takes whatever it takes (its options are its own)."""
    name = getattr(method, "__name__", type(method).__name__)
    spec = _spec(
        name,
        bounds=True,
        eq=True,
        ineq=True,
        hess="hessp",
        hess_update=True,
        hess_fd=True,
        constraints="dict",
        fuse="value",
    )
    return dataclasses.replace(spec, custom=method)


def get_method(method: Any, constrained: bool) -> MethodSpec:
    """The table row for `method` (case-insensitive), or the default."""
    if method is None:
        return METHODS[(DEFAULT_CONSTRAINED if constrained else DEFAULT).lower()]
    if callable(method):
        return custom_method(method)
    if not isinstance(method, str):
        raise MethodError(f"method must be a string, one of {method_names()}; got {method!r}.")
    spec = METHODS.get(method.lower())
    if spec is None:
        raise MethodError(
            f"method {method!r} is not a method extopt knows; choose one of {method_names()}, "
            "or 'minuit', 'ipopt', 'nlopt:<ALGORITHM>' (e.g. 'nlopt:LD_SLSQP')."
            + did_you_mean(method, [*method_names(), "minuit", "ipopt"])
        )
    return spec


#: Methods that hold dense (n, n) matrices, and about how many: their memory
#: grows as n**2 (BFGS's inverse Hessian and its update's temporaries, SLSQP's
#: matrices, the Hessian of dogleg and trust-exact, the simplex and directions,
#: COBYLA's and COBYQA's interpolation sets).
DENSE_MATRICES = {
    "bfgs": 3,
    "slsqp": 2,
    "dogleg": 2,
    "trust-exact": 3,
    "nelder-mead": 1,
    "powell": 1,
    "cobyla": 2,
    "cobyqa": 3,
}
#: Methods whose memory grows as n (offered when a dense one would not fit).
SCALABLE = ("L-BFGS-B", "CG", "TNC", "Newton-CG", "trust-ncg", "trust-krylov")


def physical_memory() -> int | None:
    """This machine's memory in bytes (None where it cannot be read)."""
    import os

    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return None


def dense_bytes(spec: MethodSpec, n: int) -> int:
    """About how much memory the method's dense matrices take for n parameters."""
    return DENSE_MATRICES.get(spec.key, 0) * 8 * n * n


def dense_fits(spec: MethodSpec, n: int) -> bool:
    """Whether the method's dense matrices fit in half of this machine's memory."""
    memory = physical_memory()
    return memory is None or dense_bytes(spec, n) <= memory // 2


def check_memory(spec: MethodSpec, n: int) -> None:
    """A clear error, before anything is allocated, when a method's dense
    matrices cannot fit in this machine's memory."""
    if dense_fits(spec, n):
        return
    need = dense_bytes(spec, n) / 2**30
    memory = (physical_memory() or 0) / 2**30
    raise MethodError(
        f"{spec.name} keeps dense ({n}, {n}) matrices: about {need:.1f} GiB for n = {n} "
        f"parameters, more than half of this machine's {memory:.0f} GiB. Methods whose "
        f"memory grows as n: {list(SCALABLE)}."
    )


def able(what: str) -> list[str]:
    """Names of the methods able to do `what` (an attribute test of MethodSpec)."""
    tests = {
        "bounds": lambda s: s.bounds,
        "equality": lambda s: s.equality,
        "inequality": lambda s: s.inequality,
        "grad": lambda s: s.grad != "none",
        "hess": lambda s: s.hess != "none",
        "hess_update": lambda s: s.hess_update,
        "hess_fd": lambda s: s.hess_fd,
    }
    return [spec.name for spec in _TABLE if tests[what](spec)]


#: What a valid value of each option looks like; options not listed here are
#: passed to SciPy as they are (arrays, callables, maps).
_INT_OPTIONS = frozenset(
    {
        "maxiter",
        "maxfun",
        "maxfev",
        "maxcor",
        "maxls",
        "maxCGit",
        "subproblem_maxiter",
    }
)
_NONNEG_FLOAT_OPTIONS = frozenset(
    {
        "gtol",
        "ftol",
        "xtol",
        "eps",
        "xatol",
        "fatol",
        "tol",
        "catol",
        "barrier_tol",
        "initial_tr_radius",
        "initial_constr_penalty",
        "initial_barrier_parameter",
        "initial_barrier_tolerance",
        "initial_trust_radius",
        "max_trust_radius",
        "rhobeg",
        "accuracy",
        "stepmx",
        "xrtol",
        "feasibility_tol",
        "final_tr_radius",
        "eta",
    }
)
#: Options where a negative number means "SciPy's default" (TNC's convention).
_NEGATIVE_IS_DEFAULT = {"TNC": frozenset({"eta", "stepmx", "accuracy", "ftol", "xtol", "gtol"})}
_BOOL_OPTIONS = frozenset({"disp", "return_all", "adaptive", "inexact"})
_CHOICE_OPTIONS = {
    "verbose": (0, 1, 2, 3),
    "factorization_method": (
        None,
        "NormalEquation",
        "AugmentedSystem",
        "QRFactorization",
        "SVDFactorization",
    ),
    "sparse_jacobian": (None, True, False),
}


def check_options(spec: MethodSpec, options: dict) -> dict:
    """`options` checked against the method's option names and value kinds."""
    if options is None:
        return {}
    if not isinstance(options, dict):
        raise MethodError(f"options must be a dict of {spec.name} options; got {options!r}.")
    if spec.custom is not None:  # a callable method's options are its own
        return dict(options)
    for name, value in options.items():
        if name not in spec.options:
            raise MethodError(
                f"options[{name!r}] is not an option of {spec.name}; it takes "
                f"{sorted(spec.options)}." + did_you_mean(str(name), spec.options)
            )
        _check_option_value(spec, name, value)
    if "c1" in spec.options and ("c1" in options or "c2" in options):
        c1 = options.get("c1", 1e-4)
        c2 = options.get("c2", 0.4 if spec.name == "CG" else 0.9)
        if not 0 < c1 < c2 < 1:
            raise MethodError(
                f"options 'c1' and 'c2' of {spec.name} (the Wolfe line search's) must satisfy "
                f"0 < c1 < c2 < 1; got c1={c1!r}, c2={c2!r}."
            )
    return dict(options)


#: Options that are arrays tied to the number of parameters n: their shape.
_ARRAY_OPTIONS = {
    "initial_simplex": lambda n: [(n + 1, n)],
    "direc": lambda n: [(k, n) for k in range(1, n + 1)],
    "hess_inv0": lambda n: [(n, n)],
    "scale": lambda n: [(n,), ()],
    "offset": lambda n: [(n,), ()],
    "finite_diff_rel_step": lambda n: [(n,), ()],
}


def check_option_arrays(spec: MethodSpec, options: dict, n: int) -> None:
    """The array options (initial simplex, directions, matrices, scales)
    checked against the n parameters of the problem, before SciPy sees them."""
    for name, shapes in _ARRAY_OPTIONS.items():
        value = options.get(name)
        if value is None or spec.custom is not None:
            continue
        accepted = shapes(n)
        try:
            arr = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            arr = None
        words = (
            " or ".join(
                "a number" if s == () else f"an array of shape {s}"
                for s in accepted[:1] + accepted[-1:]
            )
            if name != "direc"
            else f"an array of shape (k, {n}) with 1 <= k <= {n}"
        )
        if arr is None or arr.shape not in accepted or not np.isfinite(arr).all():
            got = f"shape {arr.shape}" if arr is not None else repr(value)[:80]
            if arr is not None and arr.shape in accepted:
                got = "non-finite entries"
            raise MethodError(
                f"options[{name!r}] for {spec.name} must be {words} of finite numbers "
                f"(the problem has n = {n} parameters); got {got}."
            )
        if name == "hess_inv0" and (
            not np.allclose(arr, arr.T) or np.linalg.eigvalsh((arr + arr.T) / 2).min() <= 0
        ):
            raise MethodError(
                f"options['hess_inv0'] for {spec.name} must be a symmetric positive "
                "definite matrix (the start of the inverse-Hessian approximation): 'hess_inv0' "
                "matrix isn't positive definite."
            )
        if name == "finite_diff_rel_step" and (arr <= 0).any():
            raise MethodError(
                f"options['finite_diff_rel_step'] for {spec.name} must be positive; got {value!r}."
            )


def _check_option_value(spec: MethodSpec, name: str, value) -> None:
    import numbers

    def bad(accepted: str):
        raise MethodError(f"options[{name!r}] for {spec.name} must be {accepted}; got {value!r}.")

    if name in _INT_OPTIONS:  # SciPy compares them with counts: any real number
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, numbers.Real) or value != value
        ):
            bad("a number (a count)")
    elif name in _NONNEG_FLOAT_OPTIONS:
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or value != value:
            bad("a number")
        if value < 0 and name not in _NEGATIVE_IS_DEFAULT.get(spec.name, ()):
            bad("a non-negative number")
    elif name in _BOOL_OPTIONS:
        if not isinstance(value, bool | int):
            bad("True or False")
    elif name in _CHOICE_OPTIONS and value not in _CHOICE_OPTIONS[name]:
        bad(f"one of {list(_CHOICE_OPTIONS[name])}")
    elif name in ("c1", "c2"):  # their pair is checked with both known
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or value != value:
            bad("a number")
    elif name == "norm":
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or value != value:
            bad("a number (the order of the gradient norm, e.g. numpy.inf or 2)")
    elif name == "workers":
        if value is None:
            return
        if isinstance(value, bool) or not (isinstance(value, numbers.Integral) or callable(value)):
            bad("an int (-1: every core) or a map-like callable such as multiprocessing.Pool.map")
        if isinstance(value, numbers.Integral) and value == 0:
            bad("a non-zero int (-1: every core) or a map-like callable")
    elif name in _ARRAY_OPTIONS and value is not None:
        try:
            np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            bad("numbers (an array or a number)")


def supplied(spec: MethodSpec) -> str:
    """The derivatives extopt supplies to `spec` with an autodiff backend, in words."""
    parts = []
    if spec.grad != "none":
        parts.append("gradient")
    if spec.hess == "hess":
        parts.append("Hessian")
    elif spec.key == "trust-constr":
        parts.append(f"Hessian (n <= {DENSE_HESSIAN_MAX}) or Hessian-vector products")
    elif spec.hess == "hessp":
        parts.append("Hessian-vector products")
    if spec.constrained and spec.grad != "none":
        parts.append("constraint Jacobians")
    if spec.key == "trust-constr":
        parts.append("Lagrangian Hessian")
    return ", ".join(parts) if parts else "none (values only)"


def mark(flag: bool) -> str:
    """A yes/no cell of the README's tables."""
    return "yes" if flag else "-"


def markdown_table() -> str:
    """The method table of the README, made from `METHODS`."""
    rows = [
        "| method | bounds | equality | inequality | derivatives extopt supplies | "
        "`hess=` BFGS/SR1 | `hess=` finite differences |",
        "|---|---|---|---|---|---|---|",
    ]
    for spec in _TABLE:
        rows.append(
            f"| {spec.name} | {mark(spec.bounds)} | {mark(spec.equality)} | "
            f"{mark(spec.inequality)} | {supplied(spec)} | {mark(spec.hess_update)} | "
            f"{mark(spec.hess_fd)} |"
        )
    return "\n".join(rows)
