"""Unconstrained test problems from J. J. More, B. S. Garbow, K. E. Hillstrom,
"Testing unconstrained optimization software", ACM TOMS 7 (1981) 17-41: all 35,
each f = sum of f_i(x)^2 written from the paper's f_i, with its standard start
point x0 and the optimal value f* it publishes. Where the paper gives f* for
some sizes only, that size is used; where it gives more than one minimum, the
one a descent method reaches from x0 is f* and the others are noted. f* is
rounded in the paper (`fstar_digits`), and so are its solution points, which
are given here as printed (a point of the solution set where it gives a set)."""

from __future__ import annotations

import math
from functools import partial

import numpy as np
from collection_base import TestProblem, product, sum_squares


def _rosenbrock(x, o):
    return sum_squares(o, [10 * (x[1] - x[0] ** 2), 1 - x[0]])


def _freudenstein_roth(x, o):
    return sum_squares(
        o,
        [
            -13 + x[0] + ((5 - x[1]) * x[1] - 2) * x[1],
            -29 + x[0] + ((x[1] + 1) * x[1] - 14) * x[1],
        ],
    )


def _theta(x, o):
    # (1/2 pi) arctan(x2/x1), + 1/2 for x1 < 0; the start and the valley have x1 != 0
    base = o.arctan(x[1] / x[0]) / (2 * math.pi)
    return base + 0.5 * o.negative(x[0])


def _helical(x, o):
    return sum_squares(
        o, [10 * (x[2] - 10 * _theta(x, o)), 10 * (o.sqrt(x[0] ** 2 + x[1] ** 2) - 1), x[2]]
    )


def _jennrich_sampson(x, o, m=10):
    i = o.const(list(range(1, m + 1)), x)
    return o.sum((2 + 2 * i - (o.exp(i * x[0]) + o.exp(i * x[1]))) ** 2)


_BARD_Y = [0.14, 0.18, 0.22, 0.25, 0.29, 0.32, 0.35, 0.39, 0.37, 0.58, 0.73, 0.96, 1.34, 2.10, 4.39]


def _bard(x, o):
    terms = []
    for i, y in enumerate(_BARD_Y, start=1):
        u, v = i, 16 - i
        w = min(u, v)
        terms.append(y - (x[0] + u / (v * x[1] + w * x[2])))
    return sum_squares(o, terms)


_GAUSS_Y = [
    0.0009,
    0.0044,
    0.0175,
    0.0540,
    0.1295,
    0.2420,
    0.3521,
    0.3989,
    0.3521,
    0.2420,
    0.1295,
    0.0540,
    0.0175,
    0.0044,
    0.0009,
]


def _gaussian(x, o):
    return sum_squares(
        o,
        [
            x[0] * o.exp(-x[1] * ((8 - i) / 2 - x[2]) ** 2 / 2) - y
            for i, y in enumerate(_GAUSS_Y, start=1)
        ],
    )


_MEYER_Y = [
    34780.0,
    28610.0,
    23650.0,
    19630.0,
    16370.0,
    13720.0,
    11540.0,
    9744.0,
    8261.0,
    7030.0,
    6005.0,
    5147.0,
    4427.0,
    3820.0,
    3307.0,
    2872.0,
]


def _meyer(x, o):
    t = o.const([45 + 5 * i for i in range(1, 17)], x)
    return o.sum((x[0] * o.exp(x[1] / (t + x[2])) - o.const(_MEYER_Y, x)) ** 2)


def _gulf(x, o, m=99):
    t = [i / 100 for i in range(1, m + 1)]
    y = o.const([25 + (-50 * math.log(ti)) ** (2 / 3) for ti in t], x)
    return o.sum((o.exp(-(o.abs(y - x[1]) ** x[2]) / x[0]) - o.const(t, x)) ** 2)


def _box(x, o):
    terms = []
    for i in range(1, 11):
        t = 0.1 * i
        terms.append(
            o.exp(-t * x[0]) - o.exp(-t * x[1]) - x[2] * (math.exp(-t) - math.exp(-10 * t))
        )
    return sum_squares(o, terms)


def _powell_singular(x, o, n=4):
    terms = []
    for k in range(0, n, 4):
        a, b, c, d = x[k], x[k + 1], x[k + 2], x[k + 3]
        terms += [
            a + 10 * b,
            math.sqrt(5) * (c - d),
            (b - 2 * c) ** 2,
            math.sqrt(10) * (a - d) ** 2,
        ]
    return sum_squares(o, terms)


def _wood(x, o):
    return sum_squares(
        o,
        [
            10 * (x[1] - x[0] ** 2),
            1 - x[0],
            math.sqrt(90) * (x[3] - x[2] ** 2),
            1 - x[2],
            math.sqrt(10) * (x[1] + x[3] - 2),
            (x[1] - x[3]) / math.sqrt(10),
        ],
    )


_KO_Y = [0.1957, 0.1947, 0.1735, 0.1600, 0.0844, 0.0627, 0.0456, 0.0342, 0.0323, 0.0235, 0.0246]
_KO_U = [4.0, 2.0, 1.0, 0.5, 0.25, 0.167, 0.125, 0.1, 0.0833, 0.0714, 0.0625]


def _kowalik(x, o):
    return sum_squares(
        o,
        [
            y - x[0] * (u * u + u * x[1]) / (u * u + u * x[2] + x[3])
            for y, u in zip(_KO_Y, _KO_U, strict=True)
        ],
    )


def _brown_dennis(x, o):
    terms = []
    for i in range(1, 21):
        t = i / 5
        terms.append(
            (x[0] + t * x[1] - math.exp(t)) ** 2 + (x[2] + x[3] * math.sin(t) - math.cos(t)) ** 2
        )
    return sum_squares(o, terms)


_OSBORNE1_Y = [
    0.844,
    0.908,
    0.932,
    0.936,
    0.925,
    0.908,
    0.881,
    0.850,
    0.818,
    0.784,
    0.751,
    0.718,
    0.685,
    0.658,
    0.628,
    0.603,
    0.580,
    0.558,
    0.538,
    0.522,
    0.506,
    0.490,
    0.478,
    0.467,
    0.457,
    0.448,
    0.438,
    0.431,
    0.424,
    0.420,
    0.414,
    0.411,
    0.406,
]


def _osborne1(x, o):
    t = o.const([10 * i for i in range(33)], x)
    model = x[0] + x[1] * o.exp(-t * x[3]) + x[2] * o.exp(-t * x[4])
    return o.sum((o.const(_OSBORNE1_Y, x) - model) ** 2)


def _biggs_exp6(x, o, m=13):
    t = [0.1 * i for i in range(1, m + 1)]
    y = o.const([math.exp(-ti) - 5 * math.exp(-10 * ti) + 3 * math.exp(-4 * ti) for ti in t], x)
    t = o.const(t, x)
    model = x[2] * o.exp(-t * x[0]) - x[3] * o.exp(-t * x[1]) + x[5] * o.exp(-t * x[4])
    return o.sum((model - y) ** 2)


# MGH prints these 65 values in 13 rows of 5
_OSBORNE2_Y = [
    *(1.366, 1.191, 1.112, 1.013, 0.991, 0.885, 0.831, 0.847, 0.786, 0.725),
    *(0.746, 0.679, 0.608, 0.655, 0.616, 0.606, 0.602, 0.626, 0.651, 0.724),
    *(0.649, 0.649, 0.694, 0.644, 0.624, 0.661, 0.612, 0.558, 0.533, 0.495),
    *(0.500, 0.423, 0.395, 0.375, 0.372, 0.391, 0.396, 0.405, 0.428, 0.429),
    *(0.523, 0.562, 0.607, 0.653, 0.672, 0.708, 0.633, 0.668, 0.645, 0.632),
    *(0.591, 0.559, 0.597, 0.625, 0.739, 0.710, 0.729, 0.720, 0.636, 0.581),
    *(0.428, 0.292, 0.162, 0.098, 0.054),
]


def _osborne2(x, o):
    t = o.const([i / 10 for i in range(65)], x)
    model = (
        x[0] * o.exp(-t * x[4])
        + x[1] * o.exp(-((t - x[8]) ** 2) * x[5])
        + x[2] * o.exp(-((t - x[9]) ** 2) * x[6])
        + x[3] * o.exp(-((t - x[10]) ** 2) * x[7])
    )
    return o.sum((o.const(_OSBORNE2_Y, x) - model) ** 2)


def _watson(x, o, n):
    t = np.arange(1, 30) / 29
    # f_i = sum_{j>=2} (j-1) x_j t_i^(j-2) - (sum_j x_j t_i^(j-1))^2 - 1, i = 1..29
    s1 = sum((j - 1) * x[j - 1] * o.const(t ** (j - 2), x) for j in range(2, n + 1))
    s2 = sum(x[j - 1] * o.const(t ** (j - 1), x) for j in range(1, n + 1))
    return o.sum((s1 - s2**2 - 1) ** 2) + sum_squares(o, [x[0], x[1] - x[0] ** 2 - 1])


def _extended_rosenbrock(x, o):
    return o.sum(100 * (x[1::2] - x[0::2] ** 2) ** 2 + (1 - x[0::2]) ** 2)


def _penalty1(x, o, n):
    a = math.sqrt(1e-5)
    return sum_squares(o, [a * (x[i] - 1) for i in range(n)] + [o.sum(x**2) - 0.25])


def _penalty2(x, o, n):
    a = math.sqrt(1e-5)
    i = np.arange(2, n + 1)  # f_i for 2 <= i <= n, then n < i < 2n
    y = o.const(np.exp(i / 10) + np.exp((i - 1) / 10), x)
    middle = o.sum((a * (o.exp(x[1:] / 10) + o.exp(x[:-1] / 10) - y)) ** 2)
    tail = o.sum((a * (o.exp(x[1:] / 10) - math.exp(-1 / 10))) ** 2)
    last = o.sum(o.const(np.arange(n, 0, -1), x) * x**2) - 1
    return (x[0] - 0.2) ** 2 + middle + tail + last**2


def _variably(x, o, n):
    j = [x[k] - 1 for k in range(n)]
    s = sum((k + 1) * (x[k] - 1) for k in range(n))
    return sum_squares(o, [*j, s, s * s])


def _trigonometric(x, o, n):
    total = n - o.sum(o.cos(x))
    return sum_squares(o, [total + (i + 1) * (1 - o.cos(x[i])) - o.sin(x[i]) for i in range(n)])


def _brown_almost_linear(x, o, n):
    total = o.sum(x)
    return sum_squares(
        o, [x[i] + total - (n + 1) for i in range(n - 1)] + [product([x[i] for i in range(n)]) - 1]
    )


def _boundary(x, o, n):
    h = 1 / (n + 1)
    terms = []
    for i in range(n):
        t = (i + 1) * h
        left = x[i - 1] if i > 0 else 0.0
        right = x[i + 1] if i < n - 1 else 0.0
        terms.append(2 * x[i] - left - right + h * h * (x[i] + t + 1) ** 3 / 2)
    return sum_squares(o, terms)


def _integral(x, o, n):
    h = 1 / (n + 1)
    t = [(j + 1) * h for j in range(n)]
    cubes = [(x[j] + t[j] + 1) ** 3 for j in range(n)]
    terms = []
    for i in range(n):
        lower = sum(t[j] * cubes[j] for j in range(i + 1))
        upper = sum((1 - t[j]) * cubes[j] for j in range(i + 1, n)) if i < n - 1 else 0.0
        terms.append(x[i] + h * ((1 - t[i]) * lower + t[i] * upper) / 2)
    return sum_squares(o, terms)


def _broyden_tridiagonal(x, o, n):
    terms = []
    for i in range(n):
        left = x[i - 1] if i > 0 else 0.0
        right = x[i + 1] if i < n - 1 else 0.0
        terms.append((3 - 2 * x[i]) * x[i] - left - 2 * right + 1)
    return sum_squares(o, terms)


def _broyden_banded(x, o, n, ml=5, mu=1):
    terms = []
    for i in range(n):
        band = [j for j in range(max(0, i - ml), min(n - 1, i + mu) + 1) if j != i]
        terms.append(x[i] * (2 + 5 * x[i] ** 2) + 1 - sum(x[j] * (1 + x[j]) for j in band))
    return sum_squares(o, terms)


def _linear_full_rank(x, o, n, m=20):
    s = 2 / m * o.sum(x)
    # the m - n equal residuals -(2/m) sum(x) - 1 counted once, times m - n
    return sum_squares(o, [x[i] - s - 1 for i in range(n)]) + (m - n) * (s + 1) ** 2


def _linear_rank1(x, o, n, m=20):
    s = sum((j + 1) * x[j] for j in range(n))
    return sum_squares(o, [i * s - 1 for i in range(1, m + 1)])


def _linear_rank1_zero(x, o, n, m=20):
    s = sum((j + 1) * x[j] for j in range(1, n - 1))
    # f_1 = f_m = -1 add 2
    return sum_squares(o, [(i - 1) * s - 1 for i in range(2, m)]) + 2


def _chebyquad(x, o, n):
    y = 2 * x - 1
    t_prev, t_cur = 1.0 + 0 * y, y  # T_0, T_1 of the shifted Chebyshev polynomials
    terms = []
    for i in range(1, n + 1):
        integral = -1 / (i * i - 1) if i % 2 == 0 else 0.0
        terms.append(o.sum(t_cur) / n - integral)
        t_prev, t_cur = t_cur, 2 * y * t_cur - t_prev
    return sum_squares(o, terms)


_RANK1 = 3 / 41 / 55  # sum_j j x_j = 3 / (2m + 1), m = 20, n = 10, all x_j alike
_RANK1_ZERO = 3 / 37 / 44  # sum_{j=2}^{9} j x_j = 3 / (2m - 3)

MGH = [
    TestProblem("MGH1 Rosenbrock", _rosenbrock, [-1.2, 1.0], 0.0, xstar=[1.0, 1.0]),
    TestProblem(
        "MGH2 Freudenstein-Roth",
        _freudenstein_roth,
        [0.5, -2.0],
        48.9842,
        xstar=[11.41, -0.8968],
        fstar_digits=6,
        note="local minimum reached from x0 (printed 11.41..., -0.8968...); f = 0 at (5, 4)",
    ),
    TestProblem(
        "MGH3 Powell badly scaled",
        lambda x, o: sum_squares(o, [1e4 * x[0] * x[1] - 1, o.exp(-x[0]) + o.exp(-x[1]) - 1.0001]),
        [0.0, 1.0],
        0.0,
        xstar=[1.098e-5, 9.106],
    ),
    TestProblem(
        "MGH4 Brown badly scaled",
        lambda x, o: sum_squares(o, [x[0] - 1e6, x[1] - 2e-6, x[0] * x[1] - 2]),
        [1.0, 1.0],
        0.0,
        xstar=[1e6, 2e-6],
    ),
    TestProblem(
        "MGH5 Beale",
        lambda x, o: sum_squares(
            o,
            [
                1.5 - x[0] * (1 - x[1]),
                2.25 - x[0] * (1 - x[1] ** 2),
                2.625 - x[0] * (1 - x[1] ** 3),
            ],
        ),
        [1.0, 1.0],
        0.0,
        xstar=[3.0, 0.5],
    ),
    TestProblem(
        "MGH6 Jennrich-Sampson (m=10)",
        _jennrich_sampson,
        [0.3, 0.4],
        124.362,
        xstar=[0.2578, 0.2578],
        fstar_digits=6,
    ),
    TestProblem("MGH7 Helical valley", _helical, [-1.0, 0.0, 0.0], 0.0, xstar=[1.0, 0.0, 0.0]),
    TestProblem(
        "MGH8 Bard",
        _bard,
        [1.0, 1.0, 1.0],
        8.21487e-3,
        fstar_digits=6,
        note="also f = 17.4286 at (0.8406, -inf, -inf)",
    ),
    TestProblem("MGH9 Gaussian", _gaussian, [0.4, 1.0, 0.0], 1.12793e-8, fstar_digits=6),
    TestProblem(
        "MGH10 Meyer",
        _meyer,
        [0.02, 4000.0, 250.0],
        87.9458,
        fstar_digits=6,
        note="badly scaled: SciPy's BFGS and L-BFGS-B with finite differences stop short "
        "(f = 87.99 and above); Nelder-Mead, and BFGS with exact gradients, reach f*",
    ),
    TestProblem(
        "MGH11 Gulf research (m=99)",
        _gulf,
        [5.0, 2.5, 0.15],
        0.0,
        xstar=[50.0, 25.0, 1.5],
        note="|y_i - x2| in f_i (the paper's 'y_i m i x_2' is a misprint of the minus sign)",
    ),
    TestProblem(
        "MGH12 Box 3-D",
        _box,
        [0.0, 10.0, 20.0],
        0.0,
        xstar=[1.0, 10.0, 1.0],
        note="f = 0 also at (10, 1, -1) and wherever x1 = x2, x3 = 0",
    ),
    TestProblem(
        "MGH13 Powell singular",
        _powell_singular,
        [3.0, -1.0, 0.0, 1.0],
        0.0,
        xstar=[0.0] * 4,
    ),
    TestProblem("MGH14 Wood", _wood, [-3.0, -1.0, -3.0, -1.0], 0.0, xstar=[1.0] * 4),
    TestProblem(
        "MGH15 Kowalik-Osborne",
        _kowalik,
        [0.25, 0.39, 0.415, 0.39],
        3.07505e-4,
        fstar_digits=6,
        note="also f = 1.02734e-3 at (+inf, -14.07..., -inf, -inf)",
    ),
    TestProblem(
        "MGH16 Brown and Dennis",
        _brown_dennis,
        [25.0, 5.0, -5.0, -1.0],
        85822.2,
        fstar_digits=6,
    ),
    TestProblem(
        "MGH17 Osborne 1",
        _osborne1,
        [0.5, 1.5, -1.0, 0.01, 0.02],
        5.46489e-5,
        fstar_digits=6,
    ),
    TestProblem(
        "MGH18 Biggs EXP6 (m=13)",
        _biggs_exp6,
        [1.0, 2.0, 1.0, 1.0, 1.0, 1.0],
        5.65565e-3,
        fstar_digits=6,
        note="the local minimum reached from x0; f = 0 at (1, 10, 1, 5, 4, 3)",
    ),
    TestProblem(
        "MGH19 Osborne 2",
        _osborne2,
        [1.3, 0.65, 0.65, 0.7, 0.6, 3.0, 5.0, 7.0, 2.0, 4.5, 5.5],
        4.01377e-2,
        fstar_digits=6,
    ),
    TestProblem("MGH20 Watson (n=6)", partial(_watson, n=6), [0.0] * 6, 2.28767e-3, fstar_digits=6),
    TestProblem(
        "MGH21 Extended Rosenbrock (n=10)",
        _extended_rosenbrock,
        [-1.2, 1.0] * 5,
        0.0,
        xstar=[1.0] * 10,
    ),
    TestProblem(
        "MGH22 Extended Powell singular (n=8)",
        partial(_powell_singular, n=8),
        [3.0, -1.0, 0.0, 1.0] * 2,
        0.0,
        xstar=[0.0] * 8,
    ),
    TestProblem(
        "MGH23 Penalty I (n=10)",
        partial(_penalty1, n=10),
        [float(j) for j in range(1, 11)],
        7.08765e-5,
        fstar_digits=6,
    ),
    TestProblem(
        "MGH24 Penalty II (n=10)", partial(_penalty2, n=10), [0.5] * 10, 2.93660e-4, fstar_digits=6
    ),
    TestProblem(
        "MGH25 Variably dimensioned (n=10)",
        partial(_variably, n=10),
        [1 - (j + 1) / 10 for j in range(10)],
        0.0,
        xstar=[1.0] * 10,
    ),
    TestProblem(
        "MGH26 Trigonometric (n=5)",
        partial(_trigonometric, n=5),
        [0.2] * 5,
        0.0,
        note="the paper gives f = 0 for every n; from x0 = 1/n descent reaches it for n = 5 "
        "(and 2, 9) but stops at local minima for n = 3, 4, 6, 7, 8, 10 (2.79506e-5 for n = 10)",
    ),
    TestProblem(
        "MGH27 Brown almost-linear (n=10)",
        partial(_brown_almost_linear, n=10),
        [0.5] * 10,
        0.0,
        xstar=[1.0] * 10,
        note="f = 0 at (a, ..., a, a^(1-n)), n a^n - (n+1) a^(n-1) + 1 = 0 (a = 1 here); "
        "f = 1 at (0, ..., 0, n+1)",
    ),
    TestProblem(
        "MGH28 Discrete boundary value (n=10)",
        partial(_boundary, n=10),
        [(j + 1) / 11 * ((j + 1) / 11 - 1) for j in range(10)],
        0.0,
    ),
    TestProblem(
        "MGH29 Discrete integral equation (n=10)",
        partial(_integral, n=10),
        [(j + 1) / 11 * ((j + 1) / 11 - 1) for j in range(10)],
        0.0,
    ),
    TestProblem(
        "MGH30 Broyden tridiagonal (n=10)", partial(_broyden_tridiagonal, n=10), [-1.0] * 10, 0.0
    ),
    TestProblem("MGH31 Broyden banded (n=10)", partial(_broyden_banded, n=10), [-1.0] * 10, 0.0),
    TestProblem(
        "MGH32 Linear function, full rank (n=10, m=20)",
        partial(_linear_full_rank, n=10),
        [1.0] * 10,
        10.0,
        xstar=[-1.0] * 10,
    ),
    TestProblem(
        "MGH33 Linear function, rank 1 (n=10, m=20)",
        partial(_linear_rank1, n=10),
        [1.0] * 10,
        20 * 19 / (2 * 41),
        xstar=[_RANK1] * 10,
        note="f* on the hyperplane sum j x_j = 3/(2m+1); x* is one of its points",
    ),
    TestProblem(
        "MGH34 Linear function, rank 1 with zero columns and rows (n=10, m=20)",
        partial(_linear_rank1_zero, n=10),
        [1.0] * 10,
        (20**2 + 3 * 20 - 6) / (2 * 37),
        xstar=[1.0] + [_RANK1_ZERO] * 8 + [1.0],
        note="f* on the hyperplane sum_{j=2}^{n-1} j x_j = 3/(2m-3); x* is one of its points",
    ),
    TestProblem(
        "MGH35 Chebyquad (n=8)",
        partial(_chebyquad, n=8),
        [(j + 1) / 9 for j in range(8)],
        3.51687e-3,
        fstar_digits=6,
    ),
]
