"""Which Hessian-vector product is faster with PyTorch here: double backward
(reverse over reverse) or torch.func's forward over reverse? Prints the median
time per product for the extended Rosenbrock function at several sizes.

    OMP_NUM_THREADS=1 python benchmarks/hvp_torch.py
"""

import statistics
import time

import torch

torch.set_num_threads(1)


def rosen(x):
    return torch.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def double_backward(x, p):
    x = x.detach().requires_grad_(True)
    (g,) = torch.autograd.grad(rosen(x), x, create_graph=True)
    (hv,) = torch.autograd.grad(g, x, grad_outputs=p)
    return hv


def forward_over_reverse(x, p):
    return torch.func.jvp(torch.func.grad(rosen), (x,), (p,))[1]


def timeit(fn, *args, repeats=7, number=None):
    number = number or max(5, int(2e5 // args[0].numel()))
    fn(*args)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            fn(*args)
        times.append((time.perf_counter() - start) / number)
    return statistics.median(times)


print(f"{'n':>9} {'double backward':>16} {'func.jvp(grad)':>16} {'ratio':>7}")
for n in (100, 10_000, 1_000_000):
    x = torch.randn(n, dtype=torch.float64)
    p = torch.randn(n, dtype=torch.float64)
    assert torch.allclose(double_backward(x, p), forward_over_reverse(x, p))
    a, b = timeit(double_backward, x, p), timeit(forward_over_reverse, x, p)
    print(f"{n:>9} {a * 1e6:>14.1f}us {b * 1e6:>14.1f}us {b / a:>7.2f}")
