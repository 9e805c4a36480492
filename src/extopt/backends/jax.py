"""The JAX backend: `jit`-compiled values and exact derivatives.

- Trees go through `jax.tree_util`, so every registered node works.
- The flat float64 vector is cut into the leaves *inside* the compiled
  function: one array crosses into JAX per call, and one array comes back (the
  value and the gradient are concatenated).
- Float64: the whole run, tracing included, happens inside
  `jax.enable_x64(True)`, a context that is local to extopt's call; the user's
  global `jax_enable_x64` setting is never changed. By default every leaf is
  evaluated in float64, also float32 leaves (JAX makes float32 arrays by
  default, not by the user's choice, and SciPy's tolerances assume float64);
  the answer comes back in each leaf's own dtype. `JaxBackend(dtype="float32")`
  evaluates in float32, `JaxBackend(dtype=None)` in each leaf's own dtype.
- Compiled functions are kept (a small LRU cache) and reused by later calls
  with the same loss, constraints, structure, shapes and static arguments.
"""

from __future__ import annotations

import contextlib
import functools
import sys
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .._errors import BackendError, InputError, describe
from .._tree import LeafSpec, Packer
from ._base import (
    Backend,
    FlatFunctions,
    LeafInfo,
    Model,
    _float_dtype,
    check_scalar_output,
)

try:
    import jax
    import jax.numpy as jnp
except ImportError as exc:  # pragma: no cover - exercised without jax installed
    raise BackendError(
        "the 'jax' backend needs JAX: install it with `pip install extopt[jax]`."
    ) from exc

_CACHE: OrderedDict[Any, tuple[Any, ...]] = OrderedDict()
_CACHE_SIZE = 32


@functools.lru_cache(maxsize=64)
def _splitter(layout: tuple) -> Callable:
    """A compiled function: the flat vector -> the leaves of `layout`."""

    def split(flat):
        return [flat[start:stop].reshape(shape) for start, stop, shape in layout]

    return jax.jit(split)


def _user_float() -> np.dtype:
    """JAX's default float dtype in the user's own mode (float32 unless x64 is on)."""
    return np.dtype(np.float64) if jax.config.jax_enable_x64 else np.dtype(np.float32)


class JaxBackend(Backend):
    """JAX arrays (and NumPy arrays and Python numbers) as parameter leaves."""

    name = "jax"
    autodiff = True

    def __init__(self, dtype: str | np.dtype | None = "float64"):
        if dtype is not None:
            dtype = np.dtype(dtype)
            if dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
                raise InputError(
                    f"dtype must be None, 'float32' or 'float64' for the jax backend; got {dtype}."
                )
        self.dtype = dtype

    @classmethod
    def owns(cls, leaf: Any) -> bool:
        jax_mod = sys.modules.get("jax")
        return jax_mod is not None and isinstance(leaf, jax_mod.Array)

    # -- trees ----------------------------------------------------------------------
    def flatten_with_path(self, tree):
        flat, treedef = jax.tree_util.tree_flatten_with_path(tree)
        return [(jax.tree_util.keystr(path), leaf) for path, leaf in flat], treedef

    def flatten(self, tree):
        return jax.tree_util.tree_flatten(tree)

    def unflatten(self, treedef, leaves):
        return jax.tree_util.tree_unflatten(treedef, leaves)

    # -- leaves ---------------------------------------------------------------------
    def leaf_spec(self, leaf, what):
        if isinstance(leaf, jax.Array):
            dtype = _float_dtype(np.dtype(leaf.dtype), what)
            out = np.dtype(leaf.dtype) if np.dtype(leaf.dtype).kind == "f" else _user_float()
            return LeafInfo("jax", tuple(leaf.shape), self.dtype or dtype, out)
        info = super().leaf_spec(leaf, what)
        if self.dtype is None and isinstance(leaf, np.ndarray | np.generic):
            return info._replace(dtype=_float_dtype(leaf.dtype, what))  # the leaf's own
        return info._replace(dtype=self.dtype or info.dtype)

    def accepted_leaves(self) -> str:
        return "JAX arrays, NumPy arrays and Python numbers"

    def to_numpy(self, leaf):
        return np.asarray(leaf)

    def from_numpy(self, array: np.ndarray, spec: LeafSpec):
        if spec.kind == "jax":
            with jax.enable_x64(True):
                return jnp.asarray(array, dtype=spec.out_dtype)
        return super().from_numpy(array, spec)

    def leaves_from_flat(self, flat, specs) -> list:
        # Many JAX leaves of one dtype: cast in NumPy (XLA would flush float32
        # subnormals to zero), then one compiled call cuts them all (a transfer
        # per leaf costs more).
        dtypes = {np.dtype(s.out_dtype) for s in specs}
        if len(specs) < 2 or len(dtypes) > 1 or any(s.kind != "jax" for s in specs):
            return super().leaves_from_flat(flat, specs)
        layout = tuple((s.offset, s.stop, s.shape) for s in specs)
        with jax.enable_x64(True):
            return list(_splitter(layout)(np.asarray(flat, dtype=dtypes.pop())))

    @contextlib.contextmanager
    def session(self) -> Iterator[None]:
        with jax.enable_x64(True):
            yield

    # -- compiling ------------------------------------------------------------------
    def compile(self, model: Model) -> FlatFunctions:
        user_float = _user_float()  # read outside the x64 scope
        with jax.enable_x64(True):
            return self._compile(model, user_float)

    def _compile(self, model: Model, user_float: np.dtype) -> FlatFunctions:
        packer = model.packer
        arg_leaves, arg_treedef = jax.tree_util.tree_flatten(model.args)
        dynamic_pos = tuple(
            i
            for i, a in enumerate(arg_leaves)
            if isinstance(a, np.ndarray | np.generic | jax.Array)
        )
        static = tuple((i, a) for i, a in enumerate(arg_leaves) if i not in dynamic_pos)
        dyn = tuple(jnp.asarray(arg_leaves[i]) for i in dynamic_pos)
        dyn_avals = tuple((a.shape, str(a.dtype)) for a in dyn)
        leaves_key = tuple((s.shape, str(s.dtype), s.offset) for s in packer.leaves)
        key = (
            model.fun,
            model.equalities,
            model.inequalities,
            packer.treedef,
            leaves_key,
            arg_treedef,
            dynamic_pos,
            static,
            dyn_avals,
            str(user_float),
        )
        try:
            hash(key)
        except TypeError:
            key = None
        if key is not None and key in _CACHE:
            _CACHE.move_to_end(key)
            compiled = _CACHE[key]
        else:
            compiled = _build(self, model, arg_leaves, arg_treedef, dynamic_pos, dyn, user_float)
            if key is not None:
                _CACHE[key] = compiled
                if len(_CACHE) > _CACHE_SIZE:
                    _CACHE.popitem(last=False)
        return _flat_functions(model, compiled, dyn)


def _build(
    backend: JaxBackend,
    model: Model,
    arg_leaves,
    arg_treedef,
    dynamic_pos,
    dyn,
    user_float: np.dtype,
):
    """Trace-ready jitted functions for one model (not compiled until first call)."""
    packer = model.packer
    treedef = packer.treedef
    specs = packer.leaves
    fun = model.fun
    n_args = len(arg_leaves)

    def params_of(x):
        # A complex x is a complex-step probe (jac="cs"): keep the imaginary part.
        complex_x = jnp.iscomplexobj(x)
        leaves = [
            x[s.offset : s.stop]
            .reshape(s.shape)
            .astype(jnp.result_type(s.dtype, jnp.complex64) if complex_x else s.dtype)
            for s in specs
        ]
        return jax.tree_util.tree_unflatten(treedef, leaves)

    def args_of(d):
        leaves = list(arg_leaves)
        for pos, value in zip(dynamic_pos, d, strict=True):
            leaves[pos] = value
        return jax.tree_util.tree_unflatten(arg_treedef, leaves) if n_args else ()

    def loss(x, d):
        out = jnp.reshape(jnp.asarray(fun(params_of(x), *args_of(d))), ())  # (1,) too
        return out.astype(jnp.complex128 if jnp.iscomplexobj(x) else jnp.float64)

    x_spec = jax.ShapeDtypeStruct((packer.size,), jnp.float64)
    out = jax.eval_shape(lambda x, d: _numeric(fun(params_of(x), *args_of(d)), "fun"), x_spec, dyn)
    check_scalar_output(out, "fun", autodiff=True)

    cfuns = model.constraint_funs
    packers: list[Packer] = []
    for kind, index, cfun in cfuns:
        what = f"the output of {'equalities' if kind == 'eq' else 'inequalities'}[{index}]"
        shape_tree = jax.eval_shape(
            lambda x, d, cfun=cfun, what=what: _numeric(cfun(params_of(x), *args_of(d)), what),
            x_spec,
            dyn,
        )
        flat, out_treedef = jax.tree_util.tree_flatten_with_path(shape_tree)
        for path, leaf in flat:
            if np.dtype(leaf.dtype).kind not in "fiu":
                raise InputError(
                    f"{what}{jax.tree_util.keystr(path)} has dtype {leaf.dtype}; "
                    "constraints must return real numbers."
                )
        # Outputs come back (as multipliers, constraint values) in the float
        # dtype of the user's own JAX mode, not in extopt's float64 scope.
        specs_out = [
            (jax.tree_util.keystr(p), leaf.shape, leaf.dtype, user_float) for p, leaf in flat
        ]
        out_packer = Packer.from_specs(backend, out_treedef, specs_out, what, "jax")
        if out_packer.size == 0:
            raise InputError(f"{what} has no elements; a constraint must return at least one.")
        packers.append(out_packer)

    def constraints(x, d):
        params = params_of(x)
        args = args_of(d)
        parts = []
        for _, _, cfun in cfuns:
            out = cfun(params, *args)
            parts.extend(
                jnp.ravel(leaf).astype(jnp.float64) for leaf in jax.tree_util.tree_leaves(out)
            )
        return jnp.concatenate(parts)

    m = sum(p.size for p in packers)
    n = packer.size
    jac_rule = jax.jacfwd if m >= n else jax.jacrev
    grad = jax.grad(loss)

    def value_and_grad(x, d):
        f, g = jax.value_and_grad(loss)(x, d)
        return jnp.concatenate([f[None], g])

    def hessp(x, p, d):
        return jax.jvp(lambda y: grad(y, d), (x,), (p,))[1]

    def hess(x, d):
        return jax.hessian(loss)(x, d)

    def value_constraints(x, d):
        return jnp.concatenate([loss(x, d)[None], constraints(x, d)])

    def constraints_jac(x, d):
        return jac_rule(constraints)(x, d)

    def everything(x, d):
        f, g = jax.value_and_grad(loss)(x, d)
        c = constraints(x, d)
        jac = jac_rule(constraints)(x, d)
        return jnp.concatenate([f[None], g, c, jac.ravel()])

    def lagrangian_c(x, v, d):
        return jnp.dot(v, constraints(x, d))

    cgrad = jax.grad(lagrangian_c)

    def constraints_hessp(x, v, p, d):
        return jax.jvp(lambda y: cgrad(y, v, d), (x,), (p,))[1]

    def constraints_hess(x, v, d):
        return jax.hessian(lagrangian_c)(x, v, d)

    def lagrangian_hess(x, v, d):
        return jax.hessian(lambda y: loss(y, d) - lagrangian_c(y, v, d))(x)

    jitted = {
        "value": jax.jit(loss),
        "grad": jax.jit(grad),
        "value_and_grad": jax.jit(value_and_grad),
        "hessp": jax.jit(hessp),
        "hess": jax.jit(hess),
    }
    if cfuns:
        jitted.update(
            constraints=jax.jit(constraints),
            constraints_jac=jax.jit(constraints_jac),
            value_constraints=jax.jit(value_constraints),
            everything=jax.jit(everything),
            constraints_hessp=jax.jit(constraints_hessp),
            constraints_hess=jax.jit(constraints_hess),
            lagrangian_hess=jax.jit(lagrangian_hess),
        )
    return jitted, tuple(packers), m


def _flat_functions(model: Model, compiled, dyn) -> FlatFunctions:
    jitted, packers, m = compiled
    n = model.packer.size
    asarray = np.asarray

    value_jit = jitted["value"]
    vg_jit = jitted["value_and_grad"]

    def value(x):
        out = value_jit(x, dyn)
        return complex(out) if x.dtype.kind == "c" else float(out)

    def value_and_grad(x):
        out = asarray(vg_jit(x, dyn))
        return float(out[0]), out[1:]

    grad_jit = jitted["grad"]

    def grad(x):
        return asarray(grad_jit(x, dyn))

    hessp_jit = jitted["hessp"]
    hess_jit = jitted["hess"]

    def hessp(x, p):
        return asarray(hessp_jit(x, p, dyn))

    def hess(x):
        return asarray(hess_jit(x, dyn))

    functions = FlatFunctions(
        value=value,
        value_and_grad=value_and_grad,
        grad=grad,
        hessp=hessp,
        hess=hess,
        constraint_packers=packers,
        exact=True,
    )
    if not packers:
        return functions

    c_jit = jitted["constraints"]
    cj_jit = jitted["constraints_jac"]
    fc_jit = jitted["value_constraints"]
    all_jit = jitted["everything"]
    chp_jit = jitted["constraints_hessp"]
    ch_jit = jitted["constraints_hess"]
    lh_jit = jitted["lagrangian_hess"]
    g_end = 1 + n
    c_end = g_end + m

    def constraints(x):
        return asarray(c_jit(x, dyn))

    def constraints_jac(x):
        return asarray(cj_jit(x, dyn))

    def value_constraints(x):
        out = asarray(fc_jit(x, dyn))
        return float(out[0]), out[1:]

    def everything(x):
        out = asarray(all_jit(x, dyn))
        return float(out[0]), out[1:g_end], out[g_end:c_end], out[c_end:].reshape(m, n)

    def constraints_hessp(x, v, p):
        return asarray(chp_jit(x, v, p, dyn))

    def constraints_hess(x, v):
        return asarray(ch_jit(x, v, dyn))

    functions.constraints = constraints
    functions.constraints_jac = constraints_jac
    functions.value_constraints = value_constraints
    functions.everything = everything
    functions.constraints_hessp = constraints_hessp

    def lagrangian_hess(x, v):
        return asarray(lh_jit(x, v, dyn))

    functions.constraints_hess = constraints_hess
    functions.lagrangian_hess = lagrangian_hess
    return functions


def _numeric(out: Any, what: str) -> Any:
    """`out` if every leaf of it is a number or an array (checked while JAX
    traces, where a string or None would fail inside JAX's own code)."""
    for leaf in jax.tree_util.tree_leaves(out, is_leaf=lambda v: v is None):
        if leaf is None or not (
            isinstance(leaf, jax.Array | np.ndarray | np.generic | int | float | complex)
        ):
            raise InputError(
                f"{what} must return numbers or arrays (a scalar for fun); it returned "
                f"{describe(out)}."
            )
    return out
