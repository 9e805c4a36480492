"""The PyTorch backend: exact derivatives with `torch.autograd`.

Two ways in, one engine:

- functional (`extopt.minimize` with tensors in `x0`): the flat float64 vector
  becomes one tensor that requires grad, cut into the leaves' shapes, dtypes
  and devices; the user's `fun(params, *args)` runs on those pieces;
- stateful (`extopt.torch.ScipyOptimizerInterface`): the flat vector is copied
  into the user's tensors in place, and a zero-argument loss reads them.

Either way an evaluation is one forward pass and one `torch.autograd.grad`
call (value and gradient together); Hessian-vector products are double
backward (reverse over reverse: it measured faster here than `torch.func`'s
forward over reverse, and it also works for the stateful path); Hessians and
Jacobians are batched backward passes (`is_grads_batched`), with a row-by-row
fallback for operations that cannot be batched. No graph outlives an
evaluation, and the tensors' `.grad` fields are never touched.

Each leaf is evaluated in its own dtype and on its own device; results come
back on that device and in that dtype. `TorchBackend(compile=True)` runs the
loss through `torch.compile` (seconds of compilation on the first call: worth
it for long runs of a heavy loss, not for small problems).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._errors import BackendError, InputError
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
    import torch
except ImportError as exc:  # pragma: no cover - exercised without torch installed
    raise BackendError(
        "the 'torch' backend needs PyTorch: install it with `pip install torch`, then "
        "`pip install extopt[torch]`."
    ) from exc

_NUMPY_OF = {
    torch.float64: np.dtype(np.float64),
    torch.float32: np.dtype(np.float32),
    torch.float16: np.dtype(np.float16),
    torch.bfloat16: np.dtype(np.float32),  # NumPy has no bfloat16: evaluated in float32
}


def _torch_dtype(dtype: np.dtype) -> torch.dtype:
    return {
        np.dtype(np.float64): torch.float64,
        np.dtype(np.float32): torch.float32,
        np.dtype(np.float16): torch.float16,
    }[np.dtype(dtype)]


class TorchBackend(Backend):
    """PyTorch tensors (and NumPy arrays and Python numbers) as parameter leaves."""

    name = "torch"
    autodiff = True

    def __init__(self, compile: bool = False):
        if not isinstance(compile, bool):
            raise InputError(f"compile must be True or False; got {compile!r}.")
        self.compile_loss = compile

    @classmethod
    def owns(cls, leaf: Any) -> bool:
        torch_mod = sys.modules.get("torch")
        return torch_mod is not None and isinstance(leaf, torch_mod.Tensor)

    # -- leaves ---------------------------------------------------------------------
    def leaf_spec(self, leaf, what):
        if isinstance(leaf, torch.Tensor):
            if leaf.is_complex():
                raise InputError(
                    f"{what} has complex dtype {leaf.dtype}; extopt optimizes real parameters: "
                    "pass the real and imaginary parts as separate real leaves."
                )
            if leaf.dtype == torch.bool:
                raise InputError(f"{what} has dtype torch.bool; parameters must be real numbers.")
            if leaf.is_floating_point():
                dtype = _NUMPY_OF.get(leaf.dtype, np.dtype(np.float64))
                if dtype == np.float16:
                    dtype = np.dtype(np.float32)
                return LeafInfo("torch", tuple(leaf.shape), dtype, dtype, (leaf.device, leaf.dtype))
            # integer tensors are optimized as float64 tensors on their device
            return LeafInfo(
                "torch",
                tuple(leaf.shape),
                np.dtype(np.float64),
                np.dtype(np.float64),
                (leaf.device, torch.float64),
            )
        return super().leaf_spec(leaf, what)

    def accepted_leaves(self) -> str:
        return "PyTorch tensors, NumPy arrays and Python numbers"

    def to_numpy(self, leaf):
        if isinstance(leaf, torch.Tensor):
            leaf = leaf.detach()
            if leaf.dtype == torch.bfloat16:
                leaf = leaf.float()
            return leaf.cpu().numpy()
        return np.asarray(leaf)

    def from_numpy(self, array: np.ndarray, spec: LeafSpec):
        if spec.kind == "torch":
            device, dtype = spec.meta
            return torch.as_tensor(np.asarray(array), device=device).to(dtype)
        return super().from_numpy(array, spec)

    def mutable(self, leaf: Any) -> bool:
        return isinstance(leaf, torch.Tensor) or super().mutable(leaf)

    def assign(self, leaf: Any, array: np.ndarray) -> None:
        if isinstance(leaf, torch.Tensor):
            self.write_variables([leaf], [array])
        else:
            super().assign(leaf, array)

    # -- stateful variables ---------------------------------------------------------
    def read_variables(self, variables: Sequence[Any]) -> list[np.ndarray]:
        return [self.to_numpy(v).copy() for v in variables]

    def write_variables(self, variables: Sequence[Any], arrays: Sequence[np.ndarray]) -> None:
        with torch.no_grad():
            for var, array in zip(variables, arrays, strict=True):
                var.copy_(
                    torch.as_tensor(
                        np.asarray(array).reshape(tuple(var.shape)), device=var.device
                    ).to(var.dtype)
                )

    # -- compiling ------------------------------------------------------------------
    def compile(self, model: Model) -> FlatFunctions:
        packer = model.packer
        specs = packer.leaves
        treedef = packer.treedef
        args = model.args
        device = specs[0].meta[0] if specs[0].kind == "torch" else torch.device("cpu")

        cpu = device.type == "cpu"

        def sources(x: np.ndarray) -> list:
            if cpu and x.dtype == np.float64:
                return [torch.from_numpy(x).requires_grad_(True)]  # no copy
            return [torch.as_tensor(x, dtype=torch.float64, device=device).requires_grad_(True)]

        # Per leaf: (start, stop, shape or None to keep, device or None, dtype or None),
        # so that an evaluation adds only the operations a leaf needs to the graph.
        cuts = []
        for s in specs:
            target = _torch_dtype(s.dtype)
            leaf_device = s.meta[0] if s.kind == "torch" else torch.device("cpu")
            cuts.append(
                (
                    s.offset,
                    s.stop,
                    None if s.shape == (packer.size,) else s.shape,
                    None if leaf_device == device else leaf_device,
                    None if target == torch.float64 else target,
                )
            )
        whole = len(cuts) == 1 and cuts[0][0] == 0 and cuts[0][1] == packer.size

        def params_of(srcs: list) -> Any:
            xt = srcs[0]
            leaves = []
            for start, stop, shape, leaf_device, dtype in cuts:
                piece = xt if whole else xt[start:stop]
                if shape is not None:
                    piece = piece.reshape(shape)
                if leaf_device is not None or dtype is not None:
                    piece = piece.to(device=leaf_device, dtype=dtype)
                leaves.append(piece)
            return leaves[0] if whole and treedef_is_leaf else self.unflatten(treedef, leaves)

        treedef_is_leaf = packer.leaves[0].path == "" and len(packer.leaves) == 1

        def loss_of(fun):
            return lambda srcs: _scalar(fun(params_of(srcs), *args))

        constraint_fns = [
            (lambda srcs, c=c: c(params_of(srcs), *args)) for _, _, c in model.constraint_funs
        ]
        fast = torch.compile(model.fun) if self.compile_loss else model.fun
        engine = _Engine(
            self, packer.size, sources, loss_of(fast), loss_of(model.fun), constraint_fns, "fun"
        )
        functions = engine.functions(model)
        if whole and treedef_is_leaf and cpu and cuts[0][2:] == (None, None, None):
            functions.value_and_grad = _direct_value_and_grad(fast, args)
        return functions

    def _losses(self, fun: Callable, loss_of: Callable) -> tuple[Callable, Callable]:
        """The loss for values and gradients (through `torch.compile` when asked),
        and the plain one for second derivatives (compiled graphs take no double
        backward)."""
        fast = torch.compile(fun) if self.compile_loss else fun
        return loss_of(fast), loss_of(fun)

    def compile_variables(self, model: VariableModel) -> FlatFunctions:
        variables = list(model.variables)
        specs = model.packer.leaves

        def sources(x: np.ndarray) -> list:
            with torch.no_grad():
                for var, s in zip(variables, specs, strict=True):
                    piece = torch.as_tensor(x[s.offset : s.stop], device=var.device)
                    var.copy_(piece.reshape(tuple(var.shape)).to(var.dtype))
            return variables

        def loss_of(fun):
            return lambda srcs: _scalar(fun())

        constraint_fns = [(lambda srcs, c=c: c()) for _, _, c in model.constraint_funs]
        return _Engine(
            self,
            model.packer.size,
            sources,
            *self._losses(model.loss, loss_of),
            constraint_fns,
            "the loss",
        ).functions(model)


class _Engine:
    """Value, gradient, Hessian-vector products, Hessians, constraint values,
    Jacobians and Lagrangian Hessians from three functions:

    - `sources(x)`: the tensors to differentiate with respect to, holding x;
    - `loss(sources)`: the scalar loss, through `torch.compile` when asked, and
      `loss2`, the plain one for second derivatives (compiled graphs take no
      double backward);
    - `constraint_fns[i](sources)`: each constraint's output (any tree).
    """

    def __init__(
        self,
        backend: TorchBackend,
        n: int,
        sources: Callable,
        loss: Callable,
        loss2: Callable,
        constraint_fns: list[Callable],
        what: str,
    ):
        self.backend = backend
        self.n = n
        self.sources = sources
        # the loss's output is checked on its first evaluation (not on an extra
        # one), after which the plain function takes the check's place
        self.loss = self._checked("loss", loss, what)
        self.loss2 = self._checked("loss2", loss2, what)
        self.constraint_fns = constraint_fns

    def _checked(self, attribute: str, loss: Callable, what: str) -> Callable:
        def first(srcs):
            out = loss(srcs)
            check_scalar_output(_shape_probe(out), what, autodiff=True)
            setattr(self, attribute, loss)
            return out

        return first

    # -- helpers --------------------------------------------------------------------
    @staticmethod
    def _flat(tensors: Sequence) -> np.ndarray:
        parts = []
        for t in tensors:
            t = t.detach().reshape(-1)
            if t.dtype != torch.float64:
                t = t.to(torch.float64)
            if t.device.type != "cpu":
                t = t.cpu()
            parts.append(t)
        if len(parts) == 1:
            return parts[0].numpy()
        return torch.cat(parts).numpy()

    def _split(self, srcs: list, flat: np.ndarray) -> list:
        """A flat float64 vector as tensors shaped like the sources."""
        out, start = [], 0
        for src in srcs:
            stop = start + src.numel()
            out.append(
                torch.as_tensor(flat[start:stop], device=src.device)
                .reshape(src.shape)
                .to(src.dtype)
            )
            start = stop
        return out

    def _constraint_vector(self, srcs: list):
        parts = []
        for fn in self.constraint_fns:
            out = fn(srcs)
            for leaf in self.backend.flatten(out)[0]:
                leaf = torch.as_tensor(leaf)
                parts.append(leaf.reshape(-1).to(torch.float64))
        return torch.cat(parts)

    def _grad(self, output, srcs: list, **kwargs) -> tuple:
        return _autograd(output, srcs, **kwargs)

    def _jacobian(self, vector, srcs: list) -> np.ndarray:
        """d vector / d sources as an (m, n) float64 array (batched backward)."""
        m = vector.shape[0]
        if not vector.requires_grad:  # constant: e.g. the gradient of a linear function
            return np.zeros((m, self.n))
        if m == 1:  # one row: a plain backward pass
            return self._flat(self._grad(vector[0], srcs, retain_graph=True))[None, :]
        eye = torch.eye(m, dtype=vector.dtype, device=vector.device)
        try:
            rows = self._grad(
                vector, srcs, grad_outputs=eye, is_grads_batched=True, retain_graph=True
            )
            parts = [r.reshape(m, -1).to(torch.float64).cpu() for r in rows]
            return torch.cat(parts, dim=1).numpy()
        except RuntimeError:  # an operation without a batching rule: one row at a time
            out = np.empty((m, self.n))
            for i in range(m):
                out[i] = self._flat(self._grad(vector[i], srcs, retain_graph=True))
            return out

    # -- the pieces -----------------------------------------------------------------
    def value(self, x: np.ndarray) -> float:
        with torch.no_grad():
            return float(self.loss(self.sources(x)))

    def value_and_grad(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        srcs = self.sources(x)
        loss = self.loss(srcs)
        grads = self._grad(loss, srcs)
        return float(loss.detach()), self._flat(grads)

    def grad(self, x: np.ndarray) -> np.ndarray:
        return self.value_and_grad(x)[1]

    def _second(self, grads: tuple, srcs: list, p: np.ndarray) -> np.ndarray:
        """d(grads . p)/d sources: a Hessian-vector product by double backward.
        Gradients that are constants (the function is linear in a source)
        contribute nothing."""
        pieces = self._split(srcs, p)
        live = [(g, q) for g, q in zip(grads, pieces, strict=True) if g.requires_grad]
        if not live:
            return np.zeros(self.n)
        outputs, directions = zip(*live, strict=True)
        return self._flat(self._grad(list(outputs), srcs, grad_outputs=list(directions)))

    def hessp(self, x: np.ndarray, p: np.ndarray) -> np.ndarray:
        srcs = self.sources(x)
        return self._second(self._grad(self.loss2(srcs), srcs, create_graph=True), srcs, p)

    def hess(self, x: np.ndarray) -> np.ndarray:
        srcs = self.sources(x)
        grads = self._grad(self.loss2(srcs), srcs, create_graph=True)
        flat = torch.cat([g.reshape(-1) for g in grads]).to(torch.float64)
        return self._jacobian(flat, srcs)

    def constraints(self, x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return self._constraint_vector(self.sources(x)).cpu().numpy()

    def constraints_jac(self, x: np.ndarray) -> np.ndarray:
        srcs = self.sources(x)
        return self._jacobian(self._constraint_vector(srcs), srcs)

    def value_constraints(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        with torch.no_grad():
            srcs = self.sources(x)
            return float(self.loss(srcs)), self._constraint_vector(srcs).cpu().numpy()

    def everything(self, x: np.ndarray):
        srcs = self.sources(x)
        loss = self.loss(srcs)
        c = self._constraint_vector(srcs)
        grads = self._grad(loss, srcs, retain_graph=True)
        J = self._jacobian(c, srcs)
        return float(loss.detach()), self._flat(grads), c.detach().cpu().numpy(), J

    def _lagrangian_grads(self, x: np.ndarray, v: np.ndarray):
        srcs = self.sources(x)
        c = self._constraint_vector(srcs)
        vt = torch.as_tensor(v, dtype=torch.float64, device=c.device)
        return srcs, self._grad(torch.dot(vt, c), srcs, create_graph=True)

    def constraints_hessp(self, x: np.ndarray, v: np.ndarray, p: np.ndarray) -> np.ndarray:
        srcs, grads = self._lagrangian_grads(x, v)
        return self._second(grads, srcs, p)

    def constraints_hess(self, x: np.ndarray, v: np.ndarray) -> np.ndarray:
        srcs, grads = self._lagrangian_grads(x, v)
        flat = torch.cat([g.reshape(-1) for g in grads]).to(torch.float64)
        return self._jacobian(flat, srcs)

    # -- assembling -----------------------------------------------------------------
    def functions(self, model: Model | VariableModel) -> FlatFunctions:
        x0 = model.x0_flat
        packers = []
        c0 = []
        for (kind, index, _), fn in zip(model.constraint_funs, self.constraint_fns, strict=True):
            what = f"the output of {'equalities' if kind == 'eq' else 'inequalities'}[{index}]"
            with torch.no_grad():
                value = fn(self.sources(x0))
            out_packer, flat = Packer.from_tree(self.backend, value, what)
            if out_packer.size == 0:
                raise InputError(f"{what} has no elements; a constraint must return at least one.")
            packers.append(out_packer)
            c0.append(flat)
        functions = FlatFunctions(
            value=self.value,
            value_and_grad=self.value_and_grad,
            grad=self.grad,
            hessp=self.hessp,
            hess=self.hess,
            constraint_packers=tuple(packers),
            initial={"constraints": np.concatenate(c0)} if c0 else {},
        )
        if packers:
            functions.constraints = self.constraints
            functions.constraints_jac = self.constraints_jac
            functions.value_constraints = self.value_constraints
            functions.everything = self.everything
            functions.constraints_hessp = self.constraints_hessp
            functions.constraints_hess = self.constraints_hess
        return functions


def _direct_value_and_grad(fun: Callable, args: tuple) -> Callable:
    """Value and gradient when the parameters are one float64 CPU tensor: the
    fewest torch calls (for a small problem this is the whole per-evaluation
    cost). The output is checked on the first call."""
    checked = False

    def value_and_grad(x: np.ndarray) -> tuple[float, np.ndarray]:
        nonlocal checked
        xt = torch.from_numpy(x).requires_grad_(True)
        loss = fun(xt, *args)
        if not checked:
            check_scalar_output(_shape_probe(loss), "fun", autodiff=True)
            checked = True
        loss = _scalar(loss)
        (g,) = _autograd(loss, [xt])
        return float(loss.detach()), g.numpy()

    return value_and_grad


def _shape_probe(out: Any) -> Any:
    """A NumPy stand-in with the shape and kind of dtype of `out`, for the scalar check."""
    if isinstance(out, torch.Tensor):
        if out.is_complex():
            dtype = np.dtype(complex)
        elif out.is_floating_point():
            dtype = np.dtype(float)
        else:  # its own integer (or boolean) dtype, for the message
            dtype = np.dtype(str(out.dtype).removeprefix("torch."))
        return np.empty(tuple(out.shape), dtype=dtype)
    return out


_DETACHED = (
    "returned a value with no autograd graph back to the parameters (a Python number, a "
    "detached tensor, .item(), or a value computed under torch.no_grad()), so extopt cannot "
    "differentiate it. Compute it from the parameters with torch operations, and return the "
    "tensor."
)


def _autograd(output: Any, inputs: list, **kwargs: Any) -> tuple:
    """torch.autograd.grad, with an extopt error for an output not computed from
    the inputs (where autograd's own error would come from deep inside torch)."""
    if not isinstance(output, list | tuple) and not (
        isinstance(output, torch.Tensor) and output.requires_grad
    ):
        raise InputError(f"the loss (or a constraint) {_DETACHED}")
    return torch.autograd.grad(output, inputs, materialize_grads=True, **kwargs)


def _scalar(out: Any) -> Any:
    """A loss of one element (shape (1,), as torch.optim takes it) as a 0-d tensor."""
    if isinstance(out, torch.Tensor) and out.dim() > 0 and out.numel() == 1:
        return out.reshape(())
    return out
