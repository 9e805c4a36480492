"""PyTorch: fit an nn.Module with L-BFGS-B on its parameters (the seed's
stateful interface), then the same model through extopt.minimize.

The loss is a zero-argument callable reading the model; the parameters are
updated in place at the end; bounds are given by parameter name.
"""

import numpy as np
import torch

import extopt
from extopt.torch import ScipyOptimizerInterface

torch.manual_seed(0)
x = torch.linspace(-2, 2, 200, dtype=torch.float64).unsqueeze(1)
y = torch.sin(2 * x) + 0.3 * x

model = torch.nn.Sequential(
    torch.nn.Linear(1, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1)
).double()


def loss():
    return torch.mean((model(x) - y) ** 2)


print("start loss:", loss().item())
opt = ScipyOptimizerInterface(
    loss,
    model,
    method="L-BFGS-B",
    options={"maxiter": 2000},
    var_to_bounds={"2.bias": (-0.1, 0.1)},  # keep the output offset small
)
result = opt.minimize()
print(f"L-BFGS-B: loss {result.fun:.3e} after {result.nit} iterations, {result.nfev} evaluations")
print("output bias:", model[2].bias.item())
assert result.fun < 1e-3 and abs(model[2].bias.item()) <= 0.1 + 1e-12

# Hessian-free Newton on the same parameters (exact Hessian-vector products).
result = ScipyOptimizerInterface(loss, model, method="trust-krylov").minimize()
print(f"trust-krylov: loss {result.fun:.3e}, {result.nhev} Hessian-vector products")

# The functional form: parameters as a dict of tensors, no state.
params = {name: p.detach().clone() for name, p in model.named_parameters()}


def functional_loss(p):
    return torch.mean((torch.func.functional_call(model, p, (x,)) - y) ** 2)


res = extopt.minimize(functional_loss, params, method="BFGS")
print(f"extopt.minimize (BFGS): loss {res.fun:.3e}; x comes back as {type(res.x['0.weight'])}")
np.testing.assert_array_less(res.fun, 1e-3)
