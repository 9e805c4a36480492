"""What a fit does when the loss gives NaN (or an infinity), and a hook after
every evaluation.

- `PushbackStrategy` (the default of the minimizer objects): a NaN value is
  replaced by the last good value plus a penalty that grows with every
  consecutive NaN, and a NaN gradient by the negated last good gradient, which
  pushes the algorithm back where it came from; after `max_nan` NaNs in a row
  the fit fails with a `NaNError`.
- `FailFastStrategy`: a `NaNError` at the first NaN, with the point.
- `ToyStrategy`: like the pushback, but a fit that fails returns an invalid
  `FitResult` (holding the best point seen and the reason) instead of
  raising: for toy studies, where thousands of fits run unattended.

Subclass a strategy and override `callback(value, gradient, hessian, params)`
to watch every evaluation.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._errors import ExtoptError, InputError, describe


class NaNError(ExtoptError, FloatingPointError):
    """The loss or its gradient was NaN where the strategy gives up.

    `x` is the flat point, `params` the point in the user's structure."""

    def __init__(self, message: str, x: np.ndarray | None = None, params: Any = None):
        super().__init__(message)
        self.x = x
        self.params = params


class Strategy:
    """Base class: NaN handling and a per-evaluation hook."""

    #: A failed fit returns an invalid result instead of raising.
    returns_invalid = False

    def start(self) -> None:
        """Called at the start of every fit (strategies are reusable)."""

    def callback(
        self, value: float, gradient: np.ndarray | None, hessian: np.ndarray | None, params: Any
    ) -> None:
        """Called after every new evaluation; override to watch a fit."""

    def on_nan(self, values: dict[str, Any], x: np.ndarray, unpack) -> dict[str, Any]:
        """Replacement values for a point where something is not finite."""
        raise NotImplementedError

    def process(self, values: dict[str, Any], x: np.ndarray, unpack) -> dict[str, Any]:
        """`values` ("f" and/or "g" at x) after the NaN policy and the hook."""
        f = values.get("f")
        g = values.get("g")
        bad = (f is not None and not math.isfinite(f)) or (
            g is not None and not np.all(np.isfinite(g))
        )
        if bad:
            values = self.on_nan(dict(values), x, unpack)
        else:
            self._good(values)
        if type(self).callback is not Strategy.callback and "f" in values:
            self.callback(values["f"], values.get("g"), None, unpack(x))
        return values

    def _good(self, values: dict[str, Any]) -> None:
        pass


class FailFastStrategy(Strategy):
    """Raise a `NaNError` at the first non-finite value or gradient."""

    def on_nan(self, values, x, unpack):
        what = "value" if not math.isfinite(values.get("f", 0.0)) else "gradient"
        raise NaNError(
            f"the loss {what} is not finite at {describe(unpack(x), 200)}.", x, unpack(x)
        )


class PushbackStrategy(Strategy):
    """Push the algorithm back from NaN regions, at most `max_nan` times in a row.

    A NaN value becomes ``last_good + penalty * (1 + |last_good|) * k`` for the
    k-th consecutive NaN, a NaN gradient the negated last good gradient.
    """

    def __init__(self, max_nan: int = 30, penalty: float = 1e-2):
        if isinstance(max_nan, bool) or not isinstance(max_nan, int) or max_nan < 1:
            raise InputError(f"max_nan must be a positive integer; got {describe(max_nan)}.")
        if not (isinstance(penalty, int | float) and penalty > 0):
            raise InputError(f"penalty must be a positive number; got {describe(penalty)}.")
        self.max_nan = max_nan
        self.penalty = penalty
        self.start()

    def start(self) -> None:
        self.last_value: float | None = None
        self.last_gradient: np.ndarray | None = None
        self.consecutive = 0
        self.total = 0

    def _good(self, values):
        if "f" in values:
            self.last_value = values["f"]
        if values.get("g") is not None:
            self.last_gradient = values["g"]
        self.consecutive = 0

    def on_nan(self, values, x, unpack):
        self.consecutive += 1
        self.total += 1
        if self.consecutive > self.max_nan or self.last_value is None:
            why = (
                "at the start point"
                if self.last_value is None
                else f"in {self.consecutive} consecutive evaluations"
            )
            raise NaNError(
                f"the loss is not finite {why}; last point: {describe(unpack(x), 200)}.",
                x,
                unpack(x),
            )
        if "f" in values and not math.isfinite(values["f"]):
            base = self.last_value
            values["f"] = base + self.penalty * (1.0 + abs(base)) * self.consecutive
        if values.get("g") is not None and not np.all(np.isfinite(values["g"])):
            last = self.last_gradient
            values["g"] = -last if last is not None else np.zeros_like(values["g"])
        return values


class ToyStrategy(PushbackStrategy):
    """Pushback, and a fit that fails returns an invalid result instead of raising."""

    returns_invalid = True


def get_strategy(strategy: Any) -> Strategy:
    """A strategy instance from None (the default), a class or an instance."""
    if strategy is None:
        return PushbackStrategy()
    if isinstance(strategy, type) and issubclass(strategy, Strategy):
        return strategy()
    if isinstance(strategy, Strategy):
        return strategy
    raise InputError(
        "strategy must be None, PushbackStrategy, FailFastStrategy, ToyStrategy (class or "
        f"instance) or another extopt Strategy; got {describe(strategy)}."
    )
