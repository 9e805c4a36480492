"""The seed's stateful-variable API for PyTorch tensors.

    from extopt.torch import ScipyOptimizerInterface

    w = torch.zeros(3, requires_grad=True)
    opt = ScipyOptimizerInterface(lambda: ((X @ w - y) ** 2).sum(), [w], method="L-BFGS-B")
    result = opt.minimize()      # w now holds the answer; result is a FitResult

`var_list` is a list of tensors that require grad (leaf tensors), an
`nn.Module` (its parameters, named) or a dict of named tensors; the loss and
each constraint are zero-argument callables returning tensors. `var_to_bounds`
takes the tensors themselves as keys (PyTorch tensors hash by identity), their
names (with an `nn.Module` or a dict) or their positions in `var_list`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from . import _interface
from ._errors import InputError, describe
from ._result import FitResult
from .backends._base import LeafInfo
from .backends.torch import _NUMPY_OF, TorchBackend

__all__ = ["ExternalOptimizerInterface", "ScipyOptimizerInterface"]


class _TorchVariables(_interface.VariableAdapter):
    def __init__(self, loss, var_list, equalities, inequalities):
        self.take_callables(loss, equalities, inequalities, "With PyTorch")
        self.backend = TorchBackend()
        self.variables, self.names = _resolve(var_list)

    def read(self) -> list[np.ndarray]:
        return self.backend.read_variables(self.variables)

    def write(self, arrays) -> None:
        self.backend.write_variables(self.variables, arrays)

    def leaf(self, index: int, var: Any, what: str) -> LeafInfo:
        dtype = _NUMPY_OF[var.dtype]
        return LeafInfo("torch", tuple(var.shape), dtype, dtype, (var.device, var.dtype))

    def fetch_value(self, fetch: Any) -> Any:
        with torch.no_grad():
            value = fetch() if callable(fetch) else fetch
        return value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else value


def _resolve(var_list: Any) -> tuple[list, list[str]]:
    if var_list is None:
        raise InputError(
            "var_list is required with PyTorch (it has no collection of trainable variables): "
            "pass a list of tensors with requires_grad=True, an nn.Module or a dict of them."
        )
    if isinstance(var_list, torch.nn.Module):
        named = list(var_list.named_parameters())
        variables, names = [p for _, p in named], [n for n, _ in named]
    elif isinstance(var_list, dict):
        variables, names = list(var_list.values()), [str(k) for k in var_list]
    elif isinstance(var_list, torch.Tensor):
        variables, names = [var_list], [""]
    else:
        try:
            variables = list(var_list)
        except TypeError:
            raise InputError(
                "var_list must be a list of tensors, an nn.Module or a dict of named tensors; "
                f"got {describe(var_list)}."
            ) from None
        names = [""] * len(variables)
    if not variables:
        raise InputError("var_list is empty: there is nothing to optimize.")
    seen: set[int] = set()
    for i, var in enumerate(variables):
        label = f"var_list[{i}]" + (f" ({names[i]})" if names[i] else "")
        if not isinstance(var, torch.Tensor):
            raise InputError(f"{label} must be a torch tensor; got {describe(var)}.")
        if not var.is_floating_point():
            raise InputError(
                f"{label} has dtype {var.dtype}: only floating-point tensors can be optimized "
                "(keep integer tensors out of var_list)."
            )
        if not var.requires_grad or not var.is_leaf:
            raise InputError(
                f"{label} must be a leaf tensor with requires_grad=True (a parameter); got "
                f"{describe(var)} with requires_grad={var.requires_grad}, is_leaf={var.is_leaf}."
            )
        if id(var) in seen:
            raise InputError(f"{label} appears twice in var_list.")
        seen.add(id(var))
    return variables, names


class ExternalOptimizerInterface(_interface.ExternalOptimizerInterface):
    __doc__ = _interface.ExternalOptimizerInterface.__doc__

    def _make_adapter(self, loss, var_list, equalities, inequalities):
        return _TorchVariables(loss, var_list, equalities, inequalities)

    def minimize(
        self,
        fetches: Sequence[Any] | None = None,
        step_callback: Callable[[np.ndarray], Any] | None = None,
        loss_callback: Callable[..., Any] | None = None,
    ) -> FitResult:
        """Minimize the loss over the variables and assign the answer to them.

        `fetches`: tensors or zero-argument callables whose values `loss_callback`
        receives, as positional arguments, after every loss evaluation;
        `step_callback(xk)` is called once per iteration with the flat vector.
        Returns the `FitResult`.
        """
        return self._minimize_variables(step_callback, loss_callback, list(fetches or []))


class ScipyOptimizerInterface(ExternalOptimizerInterface, _interface.ScipyOptimizerInterface):
    __doc__ = _interface.ScipyOptimizerInterface.__doc__
