"""The seed's stateful-variable API for TensorFlow: `tf.contrib.opt`'s
`ScipyOptimizerInterface` and `ExternalOptimizerInterface`, for TensorFlow 2
and for TensorFlow 1 graph code.

TensorFlow 2 (eager): the loss, each equality and each inequality are
zero-argument callables returning tensors (the loss a scalar, constraints any
shape); `var_list=None` means every trainable variable the loss reads, and a
`tf.Module` or Keras model stands for its trainable variables (Keras variables
are named by their paths, e.g. "sequential/dense/kernel"):

    from extopt.tensorflow import ScipyOptimizerInterface

    vector = tf.Variable([7.0, 7.0])
    opt = ScipyOptimizerInterface(lambda: tf.reduce_sum(vector ** 2), method="SLSQP",
                                  equalities=[lambda: vector[1] - 1.0])
    result = opt.minimize()        # vector holds the answer; result is a FitResult

TensorFlow 1 graph mode (`tf.compat.v1` with `disable_v2_behavior()` or
`disable_eager_execution()`): exactly the seed, `loss` and constraints are
tensors and `minimize(session, feed_dict, fetches, step_callback,
loss_callback, **run_kwargs)` runs in your session. Code written for
`tf.contrib.opt.ScipyOptimizerInterface` runs after changing its import to
`from extopt.tensorflow import ScipyOptimizerInterface`.

`var_to_bounds`: TensorFlow 2 variables cannot be dictionary keys; write
`{v.ref(): (low, high)}`, `{"name": (low, high)}` (the variable's name, with or
without ":0"), `{0: (low, high)}` (the position in `var_list`) or a list of
`(v, (low, high))` pairs. In graph mode the variables themselves are keys, as
in the seed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import tensorflow as tf

from . import _interface
from ._errors import InputError, describe
from ._evaluator import Evaluation
from ._result import FitResult
from ._tree import Packer
from .backends import FlatFunctions
from .backends._base import LeafInfo
from .backends.tensorflow import GraphEngine, TensorflowBackend

__all__ = ["ExternalOptimizerInterface", "ScipyOptimizerInterface"]


def _float_leaf(var: Any, what: str, kind: str) -> LeafInfo:
    dtype = tf.as_dtype(var.dtype).base_dtype
    if not dtype.is_floating:
        raise InputError(
            f"{what} has dtype {dtype.name}: only floating-point variables can be optimized "
            "(keep integer variables out of var_list)."
        )
    np_dtype = np.dtype(dtype.as_numpy_dtype) if dtype != tf.bfloat16 else np.dtype(np.float32)
    if np_dtype.itemsize < 4:
        np_dtype = np.dtype(np.float32)
    shape = var.shape
    if not shape.is_fully_defined():
        raise InputError(f"{what} has the shape {shape}, not fully defined.")
    return LeafInfo(kind, tuple(shape.as_list()), np_dtype, np_dtype, dtype)


def _check_variables(variables: list, what: str = "var_list") -> list[str]:
    if not variables:
        raise InputError(f"{what} is empty: there is nothing to optimize.")
    names, seen = [], set()
    for i, var in enumerate(variables):
        if not isinstance(var, tf.Variable):
            raise InputError(f"{what}[{i}] must be a tf.Variable; got {describe(var)}.")
        if id(var) in seen:
            raise InputError(f"{what}[{i}] ({var.name}) appears twice in var_list.")
        seen.add(id(var))
        names.append(var.name)
    return names


def _keras(var: Any) -> bool:
    """A Keras 3 variable: not a tf.Variable, but holding one as `.value`."""
    return not isinstance(var, tf.Variable) and isinstance(getattr(var, "value", None), tf.Variable)


class _EagerVariables(_interface.VariableAdapter):
    """TensorFlow 2: zero-argument callables reading tf.Variables."""

    def __init__(self, loss, var_list, equalities, inequalities):
        self.take_callables(loss, equalities, inequalities, "In TensorFlow 2 (eager)")
        self.backend = TensorflowBackend()
        if var_list is None:
            with tf.GradientTape() as tape:  # the trainable variables the loss reads
                loss()
            variables = [v for v in tape.watched_variables() if v.trainable]
            if not variables:
                raise InputError("the loss reads no trainable variable; pass var_list.")
        elif isinstance(var_list, tf.Variable):
            variables = [var_list]
        elif hasattr(var_list, "trainable_variables") and not isinstance(var_list, list | tuple):
            variables = list(var_list.trainable_variables)  # a tf.Module or a Keras model
        else:
            variables = list(var_list)
        # Keras 3 variables wrap a tf.Variable (the one tapes watch); keep their paths
        paths = [getattr(v, "path", None) if _keras(v) else None for v in variables]
        variables = [v.value if _keras(v) else v for v in variables]
        names = _check_variables(variables)
        self.names = [path or name for path, name in zip(paths, names, strict=True)]
        self.variables = variables

    def read(self) -> list[np.ndarray]:
        return self.backend.read_variables(self.variables)

    def write(self, arrays) -> None:
        self.backend.write_variables(self.variables, arrays)

    def leaf(self, index: int, var: Any, what: str) -> LeafInfo:
        return _float_leaf(var, what, "tensorflow")

    def fetch_value(self, fetch: Any) -> Any:
        value = fetch() if callable(fetch) else fetch
        return value.numpy() if hasattr(value, "numpy") else value


class _GraphVariables(_interface.VariableAdapter):
    """TensorFlow 1 graph mode: tensors over graph variables, run in a session."""

    def __init__(self, loss, var_list, equalities, inequalities):
        for what, tensors in (("equalities", equalities), ("inequalities", inequalities)):
            for i, t in enumerate(tensors):
                if not isinstance(t, tf.Tensor | tf.Variable):
                    raise InputError(
                        f"{what}[{i}] must be a tensor in graph mode; got {describe(t)}."
                    )
        self.loss = loss
        self.equalities = list(equalities)
        self.inequalities = list(inequalities)
        self.backend = TensorflowBackend()
        shape = loss.shape
        if shape.rank is None or shape.num_elements() != 1:
            raise InputError(
                "loss must be a scalar tensor (or a tensor of one element, such as shape (1,)); "
                f"got a tensor of shape {loss.shape}."
            )
        if shape.rank:  # one element, as tf.contrib's interface took it
            with loss.graph.as_default():
                loss = tf.reshape(loss, [])
        if var_list is None:
            with loss.graph.as_default():
                var_list = tf.compat.v1.trainable_variables()
        variables = [var_list] if isinstance(var_list, tf.Variable) else list(var_list)
        self.names = _check_variables(variables)
        self.variables = variables
        self.engine = GraphEngine(loss, variables, self.equalities, self.inequalities)
        self.session = None
        self._fetched: dict = {}

    def bind(self, session) -> None:
        self.session = session

    def read(self) -> list[np.ndarray]:
        return self.engine.read(self.session)

    def write(self, arrays) -> None:
        self.engine.write(self.session, arrays)

    def leaf(self, index: int, var: Any, what: str) -> LeafInfo:
        info = _float_leaf(var, what, "numpy")  # answers come back as NumPy arrays
        return info._replace(meta=None)

    def compile(
        self, packer: Packer, x0: np.ndarray, feed_dict=None, fetches=(), run_kwargs=None
    ) -> FlatFunctions:
        session = self.session
        constraint_packers = []
        if self.engine.m:
            shapes = self.engine.constraint_shapes()
            kinds = ["equalities"] * len(self.equalities) + ["inequalities"] * len(
                self.inequalities
            )
            counts = {"equalities": 0, "inequalities": 0}
            for shape, kind in zip(shapes, kinds, strict=True):
                what = f"the output of {kind}[{counts[kind]}]"
                counts[kind] += 1
                leaf = self.backend.flatten(0)[1]  # one array, the tensor's shape
                constraint_packers.append(
                    Packer.from_specs(
                        self.backend, leaf, [("", shape, np.float64, np.float64)], what, "numpy"
                    )
                )
        functions, self._fetched = self.engine.functions(
            packer, session, feed_dict, fetches, dict(run_kwargs or {}), constraint_packers
        )
        return functions

    def fetched(self, fetches: Sequence[Any], ev: Evaluation) -> list:
        stash = self._fetched
        if stash.get("x") is not None and np.array_equal(stash["x"], ev.x):
            return list(stash["values"])
        return list(self.session.run(list(fetches)))


class ExternalOptimizerInterface(_interface.ExternalOptimizerInterface):
    __doc__ = _interface.ExternalOptimizerInterface.__doc__

    def _make_adapter(self, loss, var_list, equalities, inequalities):
        if isinstance(loss, tf.Tensor | tf.Variable) and not tf.executing_eagerly():
            return _GraphVariables(loss, var_list, equalities, inequalities)
        if isinstance(loss, tf.Tensor | tf.Variable):
            raise InputError(
                "in eager mode the loss must be a zero-argument callable (an eager tensor is "
                "already a number): write loss=lambda: ... instead of the tensor."
            )
        return _EagerVariables(loss, var_list, equalities, inequalities)

    def minimize(
        self,
        session: Any = None,
        feed_dict: dict | None = None,
        fetches: Sequence[Any] | None = None,
        step_callback: Callable[[np.ndarray], Any] | None = None,
        loss_callback: Callable[..., Any] | None = None,
        **run_kwargs: Any,
    ) -> FitResult:
        """Minimize the loss and assign the answer to the variables.

        Graph mode (the seed): `session` (default: the default session),
        `feed_dict` and `run_kwargs` go to every `session.run`; `fetches` are
        tensors evaluated with the loss and passed to `loss_callback`. Eager
        mode: `fetches` are variables, tensors or zero-argument callables;
        `session`, `feed_dict` and `run_kwargs` do not apply.
        `step_callback(xk)` is called once per iteration with the flat vector.
        Returns the `FitResult`.
        """
        adapter = self._adapter
        fetches = list(fetches or [])
        if isinstance(adapter, _GraphVariables):
            session = session or tf.compat.v1.get_default_session()
            if session is None:
                raise InputError(
                    "graph mode needs a session: pass session= or call minimize "
                    "inside `with tf.compat.v1.Session() as session:`."
                )
            adapter.bind(session)
            return self._minimize_variables(
                step_callback,
                loss_callback,
                fetches,
                {"feed_dict": feed_dict, "fetches": fetches, "run_kwargs": run_kwargs},
            )
        given = {k: v for k, v in (("session", session), ("feed_dict", feed_dict)) if v}
        given.update(run_kwargs)
        if given:
            raise InputError(
                f"{sorted(given)} apply to TensorFlow 1 graph mode only; in eager mode call "
                "minimize(fetches=..., step_callback=..., loss_callback=...)."
            )
        return self._minimize_variables(step_callback, loss_callback, fetches)


class ScipyOptimizerInterface(ExternalOptimizerInterface, _interface.ScipyOptimizerInterface):
    __doc__ = _interface.ScipyOptimizerInterface.__doc__
