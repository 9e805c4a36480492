"""Losses and parameters as a fit sees them: the loss with its `errordef`, and
the parameters with names, limits and step sizes.

`params` may be given as

- start values: an array, a number or any tree of them; each element becomes
  a parameter named after its place ("a", "w[1, 2]", "x[0]");
- a dict with `value` (required) and optionally `name`, `lower`, `upper`,
  `step_size` (zfit's `stepsize` too), each array-like with one entry per
  parameter;
- a list of such dicts, one per parameter.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._errors import InputError, describe

#: The errordef of a loss that does not say: a chi-square's (use 0.5 for a
#: negative log-likelihood).
DEFAULT_ERRORDEF = 1.0
_SPEC_KEYS = {"value", "name", "lower", "upper", "step_size", "stepsize"}


class Loss:
    """A loss and what a fit needs to know about it.

    Parameters
    ----------
    fun : ``fun(params, *args) -> scalar``.
    errordef : the change of the loss that defines one standard deviation:
        0.5 for a negative log-likelihood, 1 for a chi-square (the default).
    args : extra arguments of `fun` and the constraints.
    backend : as for `extopt.minimize` (None: inferred from the parameters).
    equalities, inequalities : constraints ``c(params, *args)``, held == 0 / >= 0.
    jac : the gradient choice, as for `extopt.minimize` (None: exact).
    """

    def __init__(
        self,
        fun: Callable[..., Any],
        errordef: float | None = None,
        *,
        args: tuple = (),
        backend: Any = None,
        equalities: Any = (),
        inequalities: Any = (),
        jac: Any = None,
    ):
        if not callable(fun):
            raise InputError(f"fun must be callable; got {describe(fun)}.")
        if errordef is None:
            errordef = getattr(fun, "errordef", DEFAULT_ERRORDEF)
        self.errordef = check_errordef(errordef)
        self.fun = fun
        self.args = args if isinstance(args, tuple) else (args,)
        self.backend = backend
        self.equalities = equalities
        self.inequalities = inequalities
        self.jac = jac

    def __call__(self, params: Any, *args: Any) -> Any:
        return self.fun(params, *(args or self.args))

    def __repr__(self) -> str:
        name = getattr(self.fun, "__name__", type(self.fun).__name__)
        return f"<Loss {name} errordef={self.errordef}>"


def check_errordef(errordef: Any) -> float:
    if isinstance(errordef, bool) or not isinstance(errordef, int | float) or not errordef > 0:
        raise InputError(
            f"errordef must be a positive number (0.5 for a negative log-likelihood, 1 for a "
            f"chi-square); got {describe(errordef)}."
        )
    return float(errordef)


def as_loss(loss: Any) -> Loss:
    """A `Loss` from a Loss or a callable (its `errordef` attribute, if any)."""
    if isinstance(loss, Loss):
        return loss
    if not callable(loss):
        raise InputError(
            "loss must be a callable fun(params, *args) (with an errordef attribute, or "
            f"errordef {DEFAULT_ERRORDEF} is assumed), an extopt.Loss or a FitResult to chain "
            f"from; got {describe(loss)}."
        )
    return Loss(loss)


@dataclass
class ParamSpec:
    """The parameters of a fit: start values (a tree), and per flat element
    names, limits and step sizes (None where not given)."""

    values: Any
    names: list[str] | None = None
    lower: Any = None
    upper: Any = None
    step_size: np.ndarray | None = None
    given_as: str = "tree"
    extra: dict = field(default_factory=dict)


def parse_params(params: Any) -> ParamSpec:
    """`params` in any accepted form as a `ParamSpec` (names resolved later)."""
    if isinstance(params, ParamSpec):
        return params
    if params is None:
        raise InputError(
            "params is required: give start values (an array or a tree), or a dict "
            "with 'value' (and 'name', 'lower', 'upper', 'step_size')."
        )
    if isinstance(params, dict) and "value" in params:
        return _from_spec_dict(params)
    if (
        isinstance(params, list | tuple)
        and params
        and all(isinstance(p, dict) and "value" in p for p in params)
    ):
        return _from_spec_list(params)
    return ParamSpec(params)


def _check_keys(spec: dict, what: str) -> None:
    unknown = set(spec) - _SPEC_KEYS
    if unknown:
        raise InputError(
            f"{what} has unknown keys {sorted(unknown)}; it takes "
            f"{sorted(_SPEC_KEYS - {'stepsize'})} ('stepsize' also)."
        )
    if "step_size" in spec and "stepsize" in spec:
        raise InputError(f"{what} has both 'step_size' and 'stepsize'; give one.")


def _from_spec_dict(spec: dict) -> ParamSpec:
    _check_keys(spec, "params")
    values = np.atleast_1d(np.asarray(spec["value"], dtype=np.float64))
    if values.ndim != 1:
        raise InputError(
            f"params['value'] must be a number or a 1-d array; got shape {values.shape}."
        )
    n = values.size
    names = spec.get("name")
    if names is not None:
        names = [names] if isinstance(names, str) else [str(s) for s in names]
        if len(names) != n:
            raise InputError(f"params['name'] has {len(names)} names for {n} values.")
    step = spec.get("step_size", spec.get("stepsize"))
    return ParamSpec(
        values,
        names,
        _side(spec.get("lower"), n, "params['lower']"),
        _side(spec.get("upper"), n, "params['upper']"),
        None if step is None else _steps(step, n, "params['step_size']"),
        given_as="spec",
    )


def _from_spec_list(specs: Sequence[dict]) -> ParamSpec:
    values, names, lower, upper, steps = [], [], [], [], []
    for i, spec in enumerate(specs):
        what = f"params[{i}]"
        _check_keys(spec, what)
        value = np.asarray(spec["value"], dtype=np.float64)
        if value.ndim != 0:
            raise InputError(
                f"{what}['value'] must be a number (one dict per parameter); got "
                f"shape {value.shape}."
            )
        values.append(float(value))
        names.append(str(spec.get("name", f"p{i}")))
        lower.append(spec.get("lower"))
        upper.append(spec.get("upper"))
        steps.append(spec.get("step_size", spec.get("stepsize")))
    n = len(values)
    step = None
    if any(s is not None for s in steps):
        step = np.array([np.nan if s is None else float(s) for s in steps])
        _steps(step[np.isfinite(step)], int(np.isfinite(step).sum()), "params[i]['step_size']")
    return ParamSpec(
        np.array(values),
        names,
        _side(lower, n, "params[i]['lower']"),
        _side(upper, n, "params[i]['upper']"),
        step,
        given_as="list",
    )


def _side(value: Any, n: int, what: str) -> Any:
    if value is None:
        return None
    obj = (
        np.array(value, dtype=object).reshape(-1)
        if np.ndim(value)
        else np.array([value] * n, dtype=object)
    )
    if obj.size != n:
        raise InputError(f"{what} has {obj.size} entries for {n} parameters.")
    return [None if v is None else float(v) for v in obj]


def _steps(value: Any, n: int, what: str) -> np.ndarray:
    steps = np.broadcast_to(np.asarray(value, dtype=np.float64), (n,)).copy() if n else np.zeros(0)
    if not np.all(np.isfinite(steps)) or np.any(steps <= 0):
        raise InputError(f"{what} must be positive numbers; got {describe(value)}.")
    return steps


def element_names(packer) -> list[str]:
    """A name for every flat element, from the leaves' places in the tree:
    "a" for a scalar leaf under key "a", "w[1, 2]" for an element of an array
    leaf, "x[0]" for the elements of a single array."""
    names = []
    for spec in packer.leaves:
        base = _leaf_name(spec.path) or "x"
        if spec.shape == ():
            names.append(base)
            continue
        for index in np.ndindex(*spec.shape):
            names.append(f"{base}[{', '.join(str(i) for i in index)}]")
    if len(set(names)) != len(names):  # two leaves print alike: fall back to positions
        names = [f"p{i}" for i in range(len(names))]
    return names


def _leaf_name(path: str) -> str:
    """ "['a'][0]" -> "a[0]", "['a']['b']" -> "a.b", ".field" -> "field"."""
    parts = re.findall(r"\[('(?:[^']*)'|\"(?:[^\"]*)\"|[^\]]*)\]|\.(\w+)", path)
    out = ""
    for key, attr in parts:
        if attr:
            out += ("." if out else "") + attr
        elif key[:1] in "'\"":
            out += ("." if out else "") + key[1:-1]
        else:
            out += f"[{key}]"
    return out or path.strip()
