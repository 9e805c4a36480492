"""Backends: one per framework, behind the interface of `Backend`.

`get_backend("jax")` returns a backend by name (importing its framework only
then); `infer_backend(x0)` picks one from the leaves of the parameters without
importing any framework the user has not imported already.
"""

from __future__ import annotations

import importlib
from typing import Any

from .._errors import BackendError, InputError, describe
from ._base import Backend, FlatFunctions, Model, VariableModel

__all__ = [
    "Backend",
    "FlatFunctions",
    "Model",
    "VariableModel",
    "available_backends",
    "get_backend",
    "infer_backend",
]

#: name -> (module, class name, pip extra). Order matters for inference.
_REGISTRY: dict[str, tuple[str, str, str | None]] = {
    "numpy": ("extopt.backends.numpy", "NumpyBackend", None),
    "jax": ("extopt.backends.jax", "JaxBackend", "jax"),
    "torch": ("extopt.backends.torch", "TorchBackend", "torch"),
    "tensorflow": ("extopt.backends.tensorflow", "TensorflowBackend", "tensorflow"),
}


def available_backends() -> tuple[str, ...]:
    """The names `backend=` accepts."""
    return tuple(_REGISTRY)


def _backend_class(name: str) -> type[Backend]:
    module_name, class_name, extra = _REGISTRY[name]
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        if isinstance(exc, BackendError):
            raise
        hint = f" Install it with `pip install extopt[{extra}]`." if extra else ""
        raise BackendError(f"the {name!r} backend cannot be imported: {exc}.{hint}") from exc
    return getattr(module, class_name)


def get_backend(backend: str | Backend) -> Backend:
    """A backend instance from a name or an instance (returned as is)."""
    if isinstance(backend, Backend):
        return backend
    if not isinstance(backend, str):
        raise InputError(
            f"backend must be None, one of {list(_REGISTRY)} or an extopt Backend instance; "
            f"got {describe(backend)}."
        )
    name = backend.lower()
    if name not in _REGISTRY:
        from .._errors import did_you_mean

        raise BackendError(
            f"backend {backend!r} is not known; extopt has {list(_REGISTRY)}."
            + did_you_mean(name, _REGISTRY)
        )
    return _backend_class(name)()


#: Top-level module of an array type -> the backend for it.
_FRAMEWORK_MODULES = {
    "jax": "jax",
    "jaxlib": "jax",
    "torch": "torch",
    "tensorflow": "tensorflow",
    "keras": "tensorflow",
}


def _framework_of(leaf: Any) -> str | None:
    """The framework that owns `leaf`, judged from its type's module (no import)."""
    return _FRAMEWORK_MODULES.get(type(leaf).__module__.split(".")[0])


def infer_backend(x0: Any) -> Backend:
    """The backend for parameters `x0`: the framework of its array leaves, or
    "numpy" when every leaf is a NumPy array or a Python number."""
    import sys

    if "jax" in sys.modules:
        # JAX first: its registry knows user-registered nodes that optree does not.
        import jax

        leaves = jax.tree_util.tree_leaves(x0)
    else:
        import optree

        leaves = optree.tree_leaves(x0)
    found: dict[str, Any] = {}
    for leaf in leaves:
        name = _framework_of(leaf)
        if name is not None:
            found.setdefault(name, leaf)
    if len(found) > 1:
        kinds = ", ".join(f"{k} ({type(v).__name__})" for k, v in found.items())
        raise InputError(
            f"x0 mixes leaves of several frameworks: {kinds}. Use one framework's arrays "
            "(NumPy arrays and Python numbers mix with any), or pass backend= explicitly."
        )
    if found:
        return get_backend(next(iter(found)))
    return get_backend("numpy")
