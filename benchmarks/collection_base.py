"""What the test problems of `collection.py` are made of: the framework-neutral
operations (`Ops`) and the record of one problem (`TestProblem`). The problems
themselves are in `collection_mgh.py` and `collection_hs.py`; both import this
module, and `collection.py` imports all three."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np


class Ops:
    """The operations the problems use, for one framework."""

    def __init__(self, name: str):
        self.name = name
        if name == "numpy":
            import numpy as xp

            self.stack = xp.stack
        elif name == "jax":
            import jax.numpy as xp

            self.stack = xp.stack
        elif name == "torch":
            import torch as xp

            self.stack = xp.stack
        else:
            import tensorflow as tf

            class TF:
                exp, sin, cos, sqrt, log = tf.exp, tf.sin, tf.cos, tf.sqrt, tf.math.log
                sum = staticmethod(tf.reduce_sum)
                arctan = staticmethod(tf.atan)
                abs = staticmethod(tf.abs)

            xp = TF
            self.stack = tf.stack
        self.exp, self.sin, self.cos, self.sqrt, self.log = (
            xp.exp,
            xp.sin,
            xp.cos,
            xp.sqrt,
            xp.log,
        )
        self.sum = xp.sum
        self.arctan = getattr(xp, "arctan", getattr(xp, "atan", None))
        self.abs = xp.abs
        self.xp = xp

    def negative(self, v):
        """1.0 where v < 0, else 0.0, in v's framework and dtype."""
        if self.name == "tensorflow":
            import tensorflow as tf

            return tf.cast(v < 0, v.dtype)
        if self.name == "torch":
            return (v < 0).to(v.dtype)
        return (v < 0) * 1.0

    def const(self, values, like):
        """A constant array of the framework, in the dtype of `like`."""
        if self.name == "numpy":
            return np.asarray(values, dtype=np.float64)
        if self.name == "jax":
            import jax.numpy as jnp

            return jnp.asarray(values, dtype=like.dtype)
        if self.name == "torch":
            import torch

            return torch.as_tensor(np.asarray(values), dtype=like.dtype)
        import tensorflow as tf

        return tf.constant(np.asarray(values), dtype=like.dtype)


@dataclass
class TestProblem:
    """One published problem. `f`, every `eq` (c(x) == 0) and every `ineq`
    (c(x) >= 0, Hock and Schittkowski's sign) take `(x, ops)`; `bounds` is
    `(lower, upper)` with None for no bound. `fstar` is the published optimal
    value; where the source prints it with fewer digits than a solver reaches,
    `fstar_digits` says how many significant digits it prints (More, Garbow and
    Hillstrom cut them off: 48.9842... stands for 48.98425...). `xstar` is the
    published solution point, where the source gives one."""

    __test__ = False  # not a pytest class

    name: str
    f: Any  # f(x, ops)
    x0: list[float]
    fstar: float
    eq: list = field(default_factory=list)  # c(x, ops) == 0
    ineq: list = field(default_factory=list)  # c(x, ops) >= 0
    bounds: tuple | None = None
    xstar: list[float] | None = None
    fstar_digits: int | None = None
    note: str = ""

    @property
    def n(self) -> int:
        return len(self.x0)

    @property
    def kind(self) -> str:
        """unconstrained, bounds, eq, ineq, or mixed (more than one of these)."""
        parts = [
            name
            for name, present in (
                ("eq", self.eq),
                ("ineq", self.ineq),
                ("bounds", self.bounds is not None),
            )
            if present
        ]
        if not parts:
            return "unconstrained"
        return parts[0] if len(parts) == 1 else "mixed"

    def ftol(self) -> float:
        """How far from `fstar` a loss still counts as the optimum: 1e-6 relative
        to 1 + |f*|, or one unit in the last digit that the source prints."""
        tol = 1e-6 * (1 + abs(self.fstar))
        if self.fstar_digits is not None and self.fstar != 0:
            exponent = math.floor(math.log10(abs(self.fstar)))
            tol = max(tol, 10.0 ** (exponent - self.fstar_digits + 1))
        return tol

    def reached(self, fun: float) -> bool:
        return bool(np.isfinite(fun) and abs(fun - self.fstar) <= self.ftol())


def sum_squares(ops: Ops, values) -> Any:
    """The sum of the squares of a list of scalars of one framework."""
    return ops.sum(ops.stack(values) ** 2)


def product(values) -> Any:
    """The product of a list of scalars (no framework has one that all share)."""
    out = values[0]
    for v in values[1:]:
        out = out * v
    return out
