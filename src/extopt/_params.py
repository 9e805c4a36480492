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
from collections.abc import Callable, Mapping, Sequence
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


def _unique(names: list[str], what: str) -> list[str]:
    """`names`, refusing a name given twice (results are by name: one would be lost)."""
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in seen:
            raise InputError(
                f"{what} names {name!r} twice (positions {seen[name]} and {i}); every "
                "parameter needs a name of its own."
            )
        seen[name] = i
    return names


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
        _unique(names, "params['name']")
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
    _unique(names, "params")
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


def element_names(packer) -> ElementNames:
    """A name for every flat element, from the leaves' places in the tree:
    "a" for a scalar leaf under key "a", "w[1, 2]" for an element of an array
    leaf, "x[0]" for the elements of a single array."""
    return ElementNames(packer)


class ElementNames(Sequence[str]):
    """The element names of a packer, made when asked: a fit with a million
    parameters pays for the names it prints, not for all of them. Where two
    leaves would print alike, every element is named by position, "p0", "p1", ...
    Compares equal to the list of the same names; pickles as that list."""

    def __init__(self, packer):
        self._leaves = [
            (_leaf_name(spec.path) or "x", spec.shape, spec.offset, spec.stop)
            for spec in packer.leaves
        ]
        self._n = int(packer.size)
        self._positional = _names_collide(self._leaves)
        self._index: dict[str, int] | None = None

    def __len__(self) -> int:
        return self._n

    def _name(self, i: int) -> str:
        if self._positional:
            return f"p{i}"
        for base, shape, offset, stop in self._leaves:
            if offset <= i < stop:
                if shape == ():
                    return base
                where = np.unravel_index(i - offset, shape)
                return f"{base}[{', '.join(str(int(k)) for k in where)}]"
        raise IndexError(i)  # pragma: no cover - guarded by __getitem__

    def __getitem__(self, item):
        if isinstance(item, slice):
            return [self._name(i) for i in range(*item.indices(self._n))]
        i = int(item)
        if i < 0:
            i += self._n
        if not 0 <= i < self._n:
            raise IndexError(f"element {item} of {self._n}")
        return self._name(i)

    def __iter__(self):
        if self._positional:
            yield from (f"p{i}" for i in range(self._n))
            return
        for base, shape, _, _ in self._leaves:
            if shape == ():
                yield base
            else:
                for where in np.ndindex(*shape):
                    yield f"{base}[{', '.join(map(str, where))}]"

    def index(self, name, start: int = 0, stop: int | None = None) -> int:
        if self._index is None:
            self._index = {n: i for i, n in enumerate(self)}
        i = self._index.get(name) if isinstance(name, str) else None
        if i is None or i < start or (stop is not None and i >= stop):
            raise ValueError(f"{name!r} is not a parameter name")
        return i

    def __contains__(self, name) -> bool:
        try:
            self.index(name)
        except ValueError:
            return False
        return True

    def __eq__(self, other) -> bool:
        if isinstance(other, ElementNames | list | tuple):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self):
        return list, (list(self),)

    def __repr__(self) -> str:
        if self._n <= 20:
            return repr(list(self))
        return f"[{', '.join(map(repr, self[:3]))}, ..., {self[-1]!r}] ({self._n} names)"


def _names_collide(leaves: list) -> bool:
    """Whether two leaves would give an element the same name."""
    bases = [base for base, *_ in leaves]
    if len(set(bases)) != len(bases):
        return True
    arrays = {base: shape for base, shape, *_ in leaves if shape != ()}
    for base, shape, *_ in leaves:
        if shape != ():
            continue
        m = re.fullmatch(r"(.*)\[(\d+(?:, \d+)*)\]", base)  # a scalar named like "w[1, 2]"
        if m and m.group(1) in arrays:
            where = tuple(int(k) for k in m.group(2).split(", "))
            other = arrays[m.group(1)]
            if len(where) == len(other) and all(k < d for k, d in zip(where, other, strict=True)):
                return True
    return False


class _NamedView(Mapping):
    """A mapping over the parameter names, reading the flat solution `x` when
    asked; prints briefly when large and pickles as a plain dict."""

    def __init__(self, names: Sequence[str], x: np.ndarray):
        self._names = names
        self._x = x

    def _index(self, name: str) -> int:
        try:
            return self._names.index(name)
        except ValueError:
            raise KeyError(name) from None

    def __iter__(self):
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __reduce__(self):
        return dict, (dict(self),)

    def __repr__(self) -> str:
        if len(self) <= 20:
            return repr(dict(self))
        head = ", ".join(f"{n!r}: {self[n]!r}" for n in self._names[:3])
        return f"{{{head}, ...}} ({len(self)} parameters)"


class ValueView(_NamedView):
    """Parameter values by name."""

    def __getitem__(self, name: str) -> float:
        return float(self._x[self._index(name)])


class ParamTable(_NamedView):
    """Per-parameter entries by name, ``{"value": ...}`` plus what `hesse` and
    `errors` add; an entry is made when first asked for and then kept."""

    def __init__(self, names: Sequence[str], x: np.ndarray):
        super().__init__(names, x)
        self._entries: dict[str, dict] = {}

    def __getitem__(self, name: str) -> dict:
        entry = self._entries.get(name)
        if entry is None:
            entry = self._entries[name] = {"value": float(self._x[self._index(name)])}
        return entry


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
