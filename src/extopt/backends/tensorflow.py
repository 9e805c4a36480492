"""The TensorFlow backend: exact derivatives with `tf.GradientTape`, compiled
with `tf.function`.

Three ways in:

- functional (`extopt.minimize` with TF tensors or variables in `x0`, eager
  mode): the flat float64 vector is one watched tensor cut into the leaves'
  shapes and dtypes inside a `tf.function`;
- stateful, TensorFlow 2 (`extopt.tensorflow.ScipyOptimizerInterface` with a
  zero-argument loss): the flat vector is assigned to the variables inside the
  `tf.function`, and the tape watches the variables;
- stateful, TensorFlow 1 graph mode (`tf.compat.v1`, the loss a tensor):
  `GraphEngine` builds the gradient ops once and runs them in the user's
  session, feeding the variables' values (no assignment until the end).

Value and gradient come from one call; Hessian-vector products are forward
over reverse (`tf.autodiff.ForwardAccumulator` over a tape) in TF 2 and
reverse over reverse in graph mode; Jacobians and Hessians use
`tape.jacobian`. Each leaf is evaluated in its own dtype.
`TensorflowBackend(jit_compile=None)` (the default) compiles with XLA from
`XLA_FROM` parameters on, where it measured faster, and falls back to plain
`tf.function`s if XLA cannot compile the loss; `True` demands XLA, `False`
never uses it.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._errors import BackendError, InputError, describe, warn
from .._tree import LeafSpec, Packer
from ._base import (
    Backend,
    FlatFunctions,
    LeafInfo,
    Model,
    VariableModel,
    check_scalar_output,
)

try:
    import tensorflow as tf
except ImportError as exc:  # pragma: no cover - exercised without TensorFlow installed
    raise BackendError(
        "the 'tensorflow' backend needs TensorFlow: install it with `pip install "
        "extopt[tensorflow]`."
    ) from exc

ZERO = tf.UnconnectedGradients.ZERO

# -- the user's own exceptions from inside a tf.py_function -------------------------
#
# TensorFlow turns an exception raised by a `tf.py_function` (or `tf.numpy_function`)
# into an `UnknownError` of its own; the user must get their exception back,
# unchanged. The registry that runs those functions is made to remember what
# they raised while extopt evaluates (and only then), so that `user_errors`
# can raise it in place of TensorFlow's wrapper.
_RAISED: list[BaseException] = []
_RECORDING = [0]
_LOCK = threading.Lock()


def _record_py_function_errors() -> None:
    try:
        from tensorflow.python.ops import script_ops
    except ImportError:  # pragma: no cover - a TensorFlow without it
        return
    registry = getattr(script_ops, "_py_funcs", None)
    base = type(registry)
    if registry is None or getattr(base, "_extopt_records", False):
        return

    class Recording(base):
        _extopt_records = True

        def __call__(self, *args, **kwargs):
            try:
                return base.__call__(self, *args, **kwargs)
            except BaseException as exc:
                if _RECORDING[0]:
                    with _LOCK:
                        _RAISED.append(exc)
                raise

    registry.__class__ = Recording


_record_py_function_errors()


@contextlib.contextmanager
def user_errors():
    """Raise what the user's Python code raised inside TensorFlow, not
    TensorFlow's error about it."""
    with _LOCK:
        _RECORDING[0] += 1
        mark = len(_RAISED)
    try:
        yield
    except tf.errors.OpError:
        with _LOCK:
            own = _RAISED[mark:]
        if own:
            raise own[0] from None
        raise
    finally:
        with _LOCK:
            _RECORDING[0] -= 1
            if not _RECORDING[0]:
                _RAISED.clear()


_CACHE: OrderedDict[Any, dict] = OrderedDict()
_CACHE_SIZE = 32


class TensorflowBackend(Backend):
    """TensorFlow tensors and variables (and NumPy arrays and Python numbers)
    as parameter leaves."""

    name = "tensorflow"
    autodiff = True

    def __init__(self, jit_compile: bool | None = None):
        if jit_compile is not None and not isinstance(jit_compile, bool):
            raise InputError(f"jit_compile must be None, True or False; got {jit_compile!r}.")
        self.jit_compile = jit_compile

    @classmethod
    def owns(cls, leaf: Any) -> bool:
        tf_mod = sys.modules.get("tensorflow")
        return tf_mod is not None and isinstance(leaf, tf_mod.Tensor | tf_mod.Variable)

    # -- leaves ---------------------------------------------------------------------
    def leaf_spec(self, leaf, what):
        if isinstance(leaf, tf.Tensor | tf.Variable):
            dtype = tf.as_dtype(leaf.dtype)
            if dtype.is_complex:
                raise InputError(
                    f"{what} has complex dtype {dtype.name}; extopt optimizes real parameters: "
                    "pass the real and imaginary parts as separate real leaves."
                )
            if dtype == tf.bool or not (dtype.is_floating or dtype.is_integer):
                raise InputError(f"{what} has dtype {dtype.name}; parameters must be real numbers.")
            if dtype.is_floating:
                np_dtype = np.dtype(dtype.as_numpy_dtype) if dtype != tf.bfloat16 else None
                if np_dtype is None or np_dtype.itemsize < 4:
                    np_dtype = np.dtype(np.float32)
                return LeafInfo("tensorflow", tuple(leaf.shape), np_dtype, np_dtype, dtype)
            return LeafInfo(
                "tensorflow",
                tuple(leaf.shape),
                np.dtype(np.float64),
                np.dtype(np.float64),
                tf.float64,
            )
        return super().leaf_spec(leaf, what)

    def accepted_leaves(self) -> str:
        return "TensorFlow tensors and variables, NumPy arrays and Python numbers"

    def to_numpy(self, leaf):
        if isinstance(leaf, tf.Tensor | tf.Variable):
            if not tf.executing_eagerly():
                raise InputError(
                    f"got the graph tensor {describe(leaf)} outside eager execution; in "
                    "TensorFlow 1 graph mode use extopt.tensorflow.ScipyOptimizerInterface."
                )
            return np.asarray(leaf.numpy())
        return np.asarray(leaf)

    def from_numpy(self, array: np.ndarray, spec: LeafSpec):
        if spec.kind == "tensorflow":
            return tf.constant(np.asarray(array), dtype=spec.meta)
        return super().from_numpy(array, spec)

    def mutable(self, leaf: Any) -> bool:
        return isinstance(leaf, tf.Variable) or super().mutable(leaf)

    def assign(self, leaf: Any, array: np.ndarray) -> None:
        if isinstance(leaf, tf.Variable):
            self.write_variables([leaf], [array])
        else:
            super().assign(leaf, array)

    # -- stateful variables ---------------------------------------------------------
    def read_variables(self, variables: Sequence[Any]) -> list[np.ndarray]:
        return [np.array(v.numpy()) for v in variables]

    def write_variables(self, variables: Sequence[Any], arrays: Sequence[np.ndarray]) -> None:
        for var, array in zip(variables, arrays, strict=True):
            var.assign(np.asarray(array, dtype=var.dtype.as_numpy_dtype).reshape(var.shape))

    # -- compiling ------------------------------------------------------------------
    def compile(self, model: Model) -> FlatFunctions:
        if not tf.executing_eagerly():
            raise BackendError(
                "extopt.minimize with TensorFlow needs eager execution; in TensorFlow 1 graph "
                "mode use extopt.tensorflow.ScipyOptimizerInterface."
            )
        packer = model.packer
        specs = packer.leaves
        args = model.args

        def sources(x):
            return [x]

        def params_of(srcs):
            x = srcs[0]
            leaves = [
                tf.reshape(tf.cast(x[s.offset : s.stop], _tf_dtype(s.dtype)), s.shape)
                for s in specs
            ]
            return self.unflatten(packer.treedef, leaves)

        def loss(srcs):
            out = model.fun(params_of(srcs), *args)
            check_scalar_output(_probe(out), "fun", autodiff=True)
            if not isinstance(out, tf.Tensor | tf.Variable):
                raise InputError(
                    f"fun returned {describe(out)}, not a TensorFlow tensor: a value not "
                    "computed from the parameters with TensorFlow operations has no gradient. "
                    "Return the tensor (not .numpy() or a Python number)."
                )
            return tf.reshape(out, []) if len(_probe(out).shape) else out  # (1,) too

        constraint_fns = [
            (lambda srcs, c=c: c(params_of(srcs), *args)) for _, _, c in model.constraint_funs
        ]
        # The traced functions are kept for later calls with the same loss,
        # constraints, structure, shapes, dtypes and arguments.
        args_key = _args_key(args)
        key = None
        if args_key is not None:
            key = (
                model.fun,
                model.equalities,
                model.inequalities,
                packer.treedef,
                tuple((s.shape, str(s.dtype), s.offset) for s in specs),
                args_key,
                self.jit_compile,
            )
        engine = _Engine(self, packer.size, sources, loss, constraint_fns, watch=True)
        return engine.functions(model, key)

    def compile_variables(self, model: VariableModel) -> FlatFunctions:
        if not tf.executing_eagerly():
            raise BackendError("graph-mode variables are compiled by GraphEngine.")
        variables = list(model.variables)
        specs = model.packer.leaves

        def sources(x):
            for var, s in zip(variables, specs, strict=True):
                var.assign(tf.reshape(tf.cast(x[s.offset : s.stop], var.dtype), var.shape))
            return variables

        def loss(srcs):
            out = model.loss()
            check_scalar_output(_probe(out), "the loss", autodiff=True)
            return tf.reshape(out, []) if len(_probe(out).shape) else out  # (1,) too

        constraint_fns = [(lambda srcs, c=c: c()) for _, _, c in model.constraint_funs]
        return _Engine(
            self, model.packer.size, sources, loss, constraint_fns, watch=True
        ).functions(model)


_ARGS_KEY_BYTES = 1 << 20


def _args_key(args: tuple) -> tuple | None:
    """A key for the traced functions' arguments, or None when they cannot be cached.

    A trace captures NumPy arrays as constants, so an array enters the key by its
    contents (a large one disables the cache, so a later in-place change is seen);
    tensors are immutable and variables are read at each call, so they enter by
    identity (the cache entry holds them, so identities are not reused).
    """
    key = []
    for leaf in tf.nest.flatten(args):
        if isinstance(leaf, np.ndarray | np.generic):
            if leaf.nbytes > _ARGS_KEY_BYTES:
                return None
            key.append((leaf.shape, str(leaf.dtype), leaf.tobytes()))
        elif leaf is None or isinstance(leaf, bool | int | float | complex | str | bytes):
            key.append((type(leaf), leaf))
        else:
            key.append(("id", id(leaf)))
    return repr(tf.nest.map_structure(lambda _: 0, args)), tuple(key)


def _tf_dtype(dtype: np.dtype):
    return tf.as_dtype(np.dtype(dtype))


def _probe(out: Any) -> Any:
    """A NumPy stand-in with the shape and kind of dtype of `out`, for the scalar check."""
    if isinstance(out, tf.Tensor | tf.Variable):
        dtype = tf.as_dtype(out.dtype)
        if dtype.is_complex:
            kind = complex
        elif dtype.is_floating:
            kind = float
        else:  # its own integer (or boolean) dtype, for the message
            kind = np.dtype(dtype.as_numpy_dtype)
        if out.shape.rank is None:  # unknown until run: cannot be checked while tracing
            return np.empty((), dtype=kind)
        return np.empty(tuple(out.shape), dtype=kind)
    return out


def _flat(tensors: Sequence) -> Any:
    return tf.concat([tf.reshape(tf.cast(t, tf.float64), [-1]) for t in tensors], 0)


def _split(flat, srcs: Sequence) -> list:
    """A flat float64 tensor as tensors shaped and typed like the sources."""
    out, start = [], 0
    for src in srcs:
        size = int(np.prod(src.shape, dtype=np.int64))
        dtype = tf.as_dtype(src.dtype).base_dtype  # graph-mode reference variables: float32_ref
        out.append(tf.reshape(tf.cast(flat[start : start + size], dtype), src.shape))
        start += size
    return out


#: With jit_compile=None, XLA is used from this many parameters on: measured
#: here (benchmarks/xla_tensorflow.py), an XLA call is 0.9x the plain one at
#: n = 2 and 100 but 0.4x at 10_000 and 0.13x at 10^6, while compiling costs
#: 0.2-0.5 s more once; below this size that is rarely paid back.
XLA_FROM = 10_000


class _Piece:
    """One compiled piece: XLA when asked for, falling back to a plain
    `tf.function` (with a warning) when XLA cannot compile the user's code,
    unless XLA was demanded (`jit_compile=True`)."""

    def __init__(self, fn: Callable, signature: list, xla: bool, strict: bool):
        self.plain = tf.function(fn, input_signature=signature, autograph=False)
        self.call = (
            tf.function(fn, input_signature=signature, jit_compile=True, autograph=False)
            if xla
            else self.plain
        )
        self.strict = strict

    def __call__(self, *args):
        with user_errors():
            return self._call(*args)

    def _call(self, *args):
        try:
            return self.call(*args)
        except (
            tf.errors.InvalidArgumentError,
            tf.errors.UnimplementedError,
            tf.errors.NotFoundError,
        ) as exc:
            if self.call is self.plain or self.strict:
                raise
            warn(
                f"XLA could not compile the loss ({type(exc).__name__}); extopt runs "
                "it without XLA. Pass TensorflowBackend(jit_compile=False) to skip "
                "the attempt."
            )
            self.call = self.plain
            return self.call(*args)


class _Engine:
    """Every flat piece, as `tf.function`s, from `sources(x)` (what the tape
    watches, holding x), `loss(sources)` and `constraint_fns[i](sources)`."""

    def __init__(
        self,
        backend: TensorflowBackend,
        n: int,
        sources: Callable,
        loss: Callable,
        constraint_fns: list[Callable],
        watch: bool,
    ):
        self.backend = backend
        self.n = n
        self.sources = sources
        self.loss = loss
        self.constraint_fns = constraint_fns

    def _constraint_vector(self, srcs):
        parts = []
        for fn in self.constraint_fns:
            for leaf in self.backend.flatten(fn(srcs))[0]:
                parts.append(tf.reshape(tf.cast(leaf, tf.float64), [-1]))
        return tf.concat(parts, 0)

    @staticmethod
    def _jacobian(tape, vector, srcs):
        rows = tape.jacobian(vector, srcs, unconnected_gradients=ZERO)
        m = tf.shape(vector)[0]
        return tf.concat([tf.reshape(tf.cast(r, tf.float64), [m, -1]) for r in rows], 1)

    def _tape(self):
        return tf.GradientTape(watch_accessed_variables=False, persistent=True)

    def _build(self):
        sources, loss_of, cvec = self.sources, self.loss, self._constraint_vector
        jacobian = self._jacobian

        def value(x):
            return tf.cast(loss_of(sources(x)), tf.float64)

        def value_and_grad(x):
            srcs = sources(x)
            with tf.GradientTape(watch_accessed_variables=False) as tape:
                tape.watch(srcs)
                loss = tf.cast(loss_of(srcs), tf.float64)
            grads = tape.gradient(loss, srcs, unconnected_gradients=ZERO)
            return tf.concat([tf.reshape(loss, [1]), _flat(grads)], 0)

        def hessp(x, p):
            srcs = sources(x)
            with tf.autodiff.ForwardAccumulator(srcs, _split(p, srcs)) as acc:
                with tf.GradientTape(watch_accessed_variables=False) as tape:
                    tape.watch(srcs)
                    loss = loss_of(srcs)
                grads = tape.gradient(loss, srcs, unconnected_gradients=ZERO)
            return _flat(acc.jvp(grads, unconnected_gradients=ZERO))

        def hess(x):
            srcs = sources(x)
            with self._tape() as outer:
                outer.watch(srcs)
                with tf.GradientTape(watch_accessed_variables=False) as inner:
                    inner.watch(srcs)
                    loss = loss_of(srcs)
                g = _flat(inner.gradient(loss, srcs, unconnected_gradients=ZERO))
            return jacobian(outer, g, srcs)

        def constraints(x):
            return cvec(sources(x))

        def constraints_jac(x):
            srcs = sources(x)
            with self._tape() as tape:
                tape.watch(srcs)
                c = cvec(srcs)
            return jacobian(tape, c, srcs)

        def value_constraints(x):
            srcs = sources(x)
            return tf.concat([tf.reshape(tf.cast(loss_of(srcs), tf.float64), [1]), cvec(srcs)], 0)

        def everything(x):
            srcs = sources(x)
            with self._tape() as tape:
                tape.watch(srcs)
                loss = tf.cast(loss_of(srcs), tf.float64)
                c = cvec(srcs)
            g = _flat(tape.gradient(loss, srcs, unconnected_gradients=ZERO))
            jac = tf.reshape(jacobian(tape, c, srcs), [-1])
            return tf.concat([tf.reshape(loss, [1]), g, c, jac], 0)

        def constraints_hessp(x, v, p):
            srcs = sources(x)
            with tf.autodiff.ForwardAccumulator(srcs, _split(p, srcs)) as acc:
                with tf.GradientTape(watch_accessed_variables=False) as tape:
                    tape.watch(srcs)
                    lagr = tf.tensordot(v, cvec(srcs), 1)
                grads = tape.gradient(lagr, srcs, unconnected_gradients=ZERO)
            return _flat(acc.jvp(grads, unconnected_gradients=ZERO))

        def constraints_hess(x, v):
            srcs = sources(x)
            with self._tape() as outer:
                outer.watch(srcs)
                with tf.GradientTape(watch_accessed_variables=False) as inner:
                    inner.watch(srcs)
                    lagr = tf.tensordot(v, cvec(srcs), 1)
                g = _flat(inner.gradient(lagr, srcs, unconnected_gradients=ZERO))
            return jacobian(outer, g, srcs)

        jit = self.backend.jit_compile
        n = self.n
        if jit is None:
            jit = n >= XLA_FROM
        vec = tf.TensorSpec([n], tf.float64)
        fns = {
            "value": (value, [vec]),
            "value_and_grad": (value_and_grad, [vec]),
            "hessp": (hessp, [vec, vec]),
            "hess": (hess, [vec]),
            "constraints": (constraints, [vec]),
            "constraints_jac": (constraints_jac, [vec]),
            "value_constraints": (value_constraints, [vec]),
            "everything": (everything, [vec]),
            "constraints_hessp": (constraints_hessp, [vec, tf.TensorSpec([None], tf.float64), vec]),
            "constraints_hess": (constraints_hess, [vec, tf.TensorSpec([None], tf.float64)]),
        }
        return {
            name: _Piece(fn, sig, jit, strict=self.backend.jit_compile is True)
            for name, (fn, sig) in fns.items()
        }

    def functions(self, model: Model | VariableModel, key: Any = None) -> FlatFunctions:
        x0 = model.x0_flat
        packers = []
        c0 = []
        for (kind, index, _), fn in zip(model.constraint_funs, self.constraint_fns, strict=True):
            what = f"the output of {'equalities' if kind == 'eq' else 'inequalities'}[{index}]"
            with user_errors():
                value = fn(self.sources(tf.constant(x0)))
            out_packer, flat = Packer.from_tree(self.backend, value, what)
            if out_packer.size == 0:
                raise InputError(f"{what} has no elements; a constraint must return at least one.")
            packers.append(out_packer)
            c0.append(flat)
        compiled = _CACHE.get(key) if key is not None else None
        if compiled is None:
            compiled = self._build()
            if key is not None:
                _CACHE[key] = compiled
                if len(_CACHE) > _CACHE_SIZE:
                    _CACHE.popitem(last=False)
        else:
            _CACHE.move_to_end(key)
        n = self.n
        m = sum(p.size for p in packers)

        def value(x):
            return float(compiled["value"](x))

        def value_and_grad(x):
            out = compiled["value_and_grad"](x).numpy()
            return float(out[0]), out[1:]

        functions = FlatFunctions(
            value=value,
            value_and_grad=value_and_grad,
            grad=lambda x: value_and_grad(x)[1],
            hessp=lambda x, p: compiled["hessp"](x, p).numpy(),
            hess=lambda x: compiled["hess"](x).numpy(),
            constraint_packers=tuple(packers),
            initial={"constraints": np.concatenate(c0)} if c0 else {},
        )
        if packers:
            g_end, c_end = 1 + n, 1 + n + m

            def value_constraints(x):
                out = compiled["value_constraints"](x).numpy()
                return float(out[0]), out[1:]

            def everything(x):
                out = compiled["everything"](x).numpy()
                return float(out[0]), out[1:g_end], out[g_end:c_end], out[c_end:].reshape(m, n)

            functions.constraints = lambda x: compiled["constraints"](x).numpy()
            functions.constraints_jac = lambda x: compiled["constraints_jac"](x).numpy()
            functions.value_constraints = value_constraints
            functions.everything = everything
            functions.constraints_hessp = lambda x, v, p: compiled["constraints_hessp"](
                x, v, p
            ).numpy()
            functions.constraints_hess = lambda x, v: compiled["constraints_hess"](x, v).numpy()
        return functions


class GraphEngine:
    """TensorFlow 1 graph mode: the seed's loss tensor over graph variables.

    The gradient, constraint, Jacobian and Hessian-vector-product ops are built
    once, when the interface is made (as the seed did: a finalized graph takes
    no new ops later). Evaluations run in the user's session: reference
    variables are fed their values directly, as the seed did; for resource
    variables the tensors that read them are fed (their reads are where the
    values enter the graph), so the variables are not touched until the end.
    When a resource variable is used by something else than plain reads, its
    value is assigned before each run instead.
    """

    def __init__(
        self, loss, variables: Sequence[Any], equalities: Sequence[Any], inequalities: Sequence[Any]
    ):
        v1 = tf.compat.v1
        self.graph = loss.graph
        self.variables = list(variables)
        self.loss = loss
        self.n = sum(_static_size(v) for v in self.variables)
        n = self.n
        with self.graph.as_default():
            self.loss64 = tf.cast(loss, tf.float64)
            grads = [
                g if g is not None else tf.zeros_like(v)
                for g, v in zip(tf.gradients(loss, self.variables), self.variables, strict=True)
            ]
            self.grad = _flat(grads)
            self.p = v1.placeholder(tf.float64, [n], name="extopt_direction")
            p_parts = _split(self.p, self.variables)
            self.hvp = _flat(self._gradients(grads, p_parts))
            self.constraint_tensors = list(equalities) + list(inequalities)
            self.m = 0
            if self.constraint_tensors:
                self.c = tf.concat(
                    [tf.reshape(tf.cast(t, tf.float64), [-1]) for t in self.constraint_tensors], 0
                )
                self.m = int(self.c.shape[0])
                rows = tf.unstack(self.c, num=self.m)
                self.jac = tf.stack([_flat(self._gradients(row, None)) for row in rows], 0)
                self.v = v1.placeholder(tf.float64, [self.m], name="extopt_multipliers")
                lagr_grads = self._gradients(tf.tensordot(self.v, self.c, 1), None)
                self.lagr_hvp = _flat(self._gradients(lagr_grads, p_parts))
            self.placeholders = [
                v1.placeholder(v.dtype.base_dtype, v.shape) for v in self.variables
            ]
            self.assign_ops = [
                v.assign(ph) for v, ph in zip(self.variables, self.placeholders, strict=True)
            ]
        self._feeds = [self._feed_targets(v) for v in self.variables]

    def _gradients(self, ys, grad_ys):
        out = tf.gradients(ys, self.variables, grad_ys=grad_ys)
        return [
            g if g is not None else tf.zeros_like(v)
            for g, v in zip(out, self.variables, strict=True)
        ]

    def _feed_targets(self, var) -> list | None:
        """What to feed for `var`: itself (a reference variable), the tensors that
        read it (a resource variable), or None: assign before each run."""
        if not hasattr(var, "handle"):
            return [var]
        reads, other = [], False
        for op in self.graph.get_operations():
            if any(t is var.handle for t in op.inputs):
                if op.type == "ReadVariableOp":
                    reads.append(op.outputs[0])
                elif op.type not in ("AssignVariableOp", "VarIsInitializedOp", "DestroyResourceOp"):
                    other = True
        return None if other else reads

    # -- values of the variables -----------------------------------------------------
    def read(self, session) -> list[np.ndarray]:
        return [np.array(a) for a in session.run(self.variables)]

    def write(self, session, arrays: Sequence[np.ndarray]) -> None:
        feed = {
            ph: np.asarray(a).reshape(ph.shape)
            for ph, a in zip(self.placeholders, arrays, strict=True)
        }
        session.run(self.assign_ops, feed_dict=feed)

    # -- flat functions ----------------------------------------------------------------
    def functions(
        self,
        packer: Packer,
        session,
        feed_dict: dict | None,
        fetches: Sequence[Any],
        run_kwargs: dict,
        constraint_packers: Sequence[Packer],
    ) -> tuple[FlatFunctions, dict]:
        """The flat functions, running in `session`; also the dict in which the
        values of `fetches` at the last run are kept for `loss_callback`."""
        specs = packer.leaves
        user_feed = dict(feed_dict or {})
        assign_vars = [i for i, t in enumerate(self._feeds) if t is None]
        fetched: dict = {"x": None, "values": []}
        fetches = list(fetches)
        n, m = self.n, self.m

        def feed_for(x: np.ndarray, extra: dict | None = None) -> dict:
            feed = dict(user_feed)
            pieces = [x[s.offset : s.stop].reshape(s.shape).astype(s.dtype) for s in specs]
            for targets, piece in zip(self._feeds, pieces, strict=True):
                for t in targets or ():
                    feed[t] = piece
            if assign_vars:
                session.run(
                    [self.assign_ops[i] for i in assign_vars],
                    feed_dict={self.placeholders[i]: pieces[i] for i in assign_vars},
                )
            if extra:
                feed.update(extra)
            return feed

        def run(tensors: list, x: np.ndarray, extra: dict | None = None, with_fetches=False):
            with user_errors():
                return run_session(tensors, x, extra, with_fetches)

        def run_session(tensors, x, extra, with_fetches):
            if with_fetches and fetches:
                out = session.run(tensors + fetches, feed_dict=feed_for(x, extra), **run_kwargs)
                fetched["x"], fetched["values"] = x, out[len(tensors) :]
                return out[: len(tensors)]
            return session.run(tensors, feed_dict=feed_for(x, extra), **run_kwargs)

        def value(x):
            return float(run([self.loss64], x, with_fetches=True)[0])

        def value_and_grad(x):
            f, g = run([self.loss64, self.grad], x, with_fetches=True)
            return float(f), g

        def hessp(x, p):
            return run([self.hvp], x, {self.p: p})[0]

        def hess(x):
            eye = np.eye(n)
            return np.stack([hessp(x, e) for e in eye], 1)

        functions = FlatFunctions(
            value=value,
            value_and_grad=value_and_grad,
            grad=lambda x: value_and_grad(x)[1],
            hessp=hessp,
            hess=hess,
            constraint_packers=tuple(constraint_packers),
        )
        if m:

            def value_constraints(x):
                f, c = run([self.loss64, self.c], x, with_fetches=True)
                return float(f), c

            def everything(x):
                f, g, c, jac = run([self.loss64, self.grad, self.c, self.jac], x, with_fetches=True)
                return float(f), g, c, jac

            def constraints_hessp(x, v, p):
                return run([self.lagr_hvp], x, {self.v: v, self.p: p})[0]

            def constraints_hess(x, v):
                return np.stack([constraints_hessp(x, v, e) for e in np.eye(n)], 1)

            functions.constraints = lambda x: run([self.c], x)[0]
            functions.constraints_jac = lambda x: run([self.jac], x)[0]
            functions.value_constraints = value_constraints
            functions.everything = everything
            functions.constraints_hessp = constraints_hessp
            functions.constraints_hess = constraints_hess
        return functions, fetched

    def constraint_shapes(self) -> list[tuple[int, ...]]:
        return [tuple(int(d) for d in t.shape) for t in self.constraint_tensors]


def _static_size(var) -> int:
    shape = var.shape
    if not shape.is_fully_defined():
        raise InputError(
            f"the variable {var.name} has the shape {shape}, not fully defined; "
            "extopt needs the shape of every variable."
        )
    return int(np.prod(shape.as_list(), dtype=np.int64))
