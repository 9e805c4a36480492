"""Constrained test problems from W. Hock, K. Schittkowski, "Test examples for
nonlinear programming codes", Lecture Notes in Economics and Mathematical
Systems 187 (1981), each from the book's definition: objective, constraints
with the book's sign (inequalities g(x) >= 0), bounds, start point x0 (feasible
or not, as the book says: the check prints which) and optimal value f*.

The solution points x* and the digits of f* are those of Schittkowski's
machine-readable version of the collection (the Fortran PROB.FOR of his
"An updated set of 306 test problems for nonlinear programming with validated
optimal solutions", 2009/2011), which agrees with the book to the book's
digits. That version also rescales or restates a few problems (HS15 and HS27
divided by 100, HS71's constraints scaled, the start points of HS13, HS20 and
HS21, HS47's (x2 - x3)^3 and HS50's (x4 - x5)^2 raised to other powers, HS108
given bounds 0 <= x <= 1, HS17's x1 >= -2): here every problem is the book's,
but for HS20's start point, taken from the update (see its note). The book's
f* of HS106 and x* of HS112 are not optimal; the update's corrections are used
(see their notes)."""

from __future__ import annotations

import math

import numpy as np
from collection_base import TestProblem, product

_SQRT3 = math.sqrt(3)


def _rosenbrock(x, o):
    return 100 * (x[1] - x[0] ** 2) ** 2 + (1 - x[0]) ** 2


# HS11: x1* is the real root of 2 x1^3 + x1 - 5 = 0 (x2 = x1^2)
_A11 = 7.5 * math.sqrt(6)
_W11 = (math.sqrt(_A11**2 + 1) + _A11) ** (1 / 3)
_HS11_X = [(_W11 - 1 / _W11) / math.sqrt(6), (_W11**2 - 2 + 1 / _W11**2) / 6]

_HS8_A = math.sqrt((25 + math.sqrt(301)) / 2)


def _hs25(x, o):
    i = np.arange(1, 100)
    u = o.const(25 + (-50 * np.log(0.01 * i)) ** (2 / 3), x)
    return o.sum((-0.01 * o.const(i, x) + o.exp(-((u - x[1]) ** x[2]) / x[0])) ** 2)


def _hs62(x, o):
    return -32.174 * (
        255 * o.log((x[0] + x[1] + x[2] + 0.03) / (0.09 * x[0] + x[1] + x[2] + 0.03))
        + 280 * o.log((x[1] + x[2] + 0.03) / (0.07 * x[1] + x[2] + 0.03))
        + 290 * o.log((x[2] + 0.03) / (0.13 * x[2] + 0.03))
    )


def _hs74_75(a):
    return dict(
        ineq=[lambda x, o: x[3] - x[2] + a, lambda x, o: x[2] - x[3] + a],
        eq=[
            lambda x, o: 1000 * (o.sin(-x[2] - 0.25) + o.sin(-x[3] - 0.25)) + 894.8 - x[0],
            lambda x, o: 1000 * (o.sin(x[2] - 0.25) + o.sin(x[2] - x[3] - 0.25)) + 894.8 - x[1],
            lambda x, o: 1000 * (o.sin(x[3] - 0.25) + o.sin(x[3] - x[2] - 0.25)) + 1294.8,
        ],
        bounds=([0.0, 0.0, -a, -a], [1200.0, 1200.0, a, a]),
    )


def _hs74_75_f(x, o):
    return 3 * x[0] + 1e-6 * x[0] ** 3 + 2 * x[1] + 2e-6 / 3 * x[1] ** 3


# HS78, HS80 and HS81 share their constraints
_HS78_EQ = [
    lambda x, o: x[0] ** 2 + x[1] ** 2 + x[2] ** 2 + x[3] ** 2 + x[4] ** 2 - 10,
    lambda x, o: x[1] * x[2] - 5 * x[3] * x[4],
    lambda x, o: x[0] ** 3 + x[1] ** 3 + 1,
]
_HS80_BOUNDS = ([-2.3, -2.3, -3.2, -3.2, -3.2], [2.3, 2.3, 3.2, 3.2, 3.2])

_HS83_A = [
    85.334407,
    0.0056858,
    0.0006262,
    0.0022053,
    80.51249,
    0.0071317,
    0.0029955,
    0.0021813,
    9.300961,
    0.0047026,
    0.0012547,
    0.0019085,
]


def _hs83_g(x, k):
    a = _HS83_A
    if k == 0:
        return a[0] + a[1] * x[1] * x[4] + a[2] * x[0] * x[3] - a[3] * x[2] * x[4]
    if k == 1:
        return a[4] + a[5] * x[1] * x[4] + a[6] * x[0] * x[1] + a[7] * x[2] ** 2 - 90
    return a[8] + a[9] * x[2] * x[4] + a[10] * x[0] * x[2] + a[11] * x[2] * x[3] - 20


_HS84_A = [
    -24345.0,
    -8720288.849,
    150512.5253,
    -156.6950325,
    476470.3222,
    729482.8271,
    -145421.402,
    2931.1506,
    -40.427932,
    5106.192,
    15711.36,
    -155011.1084,
    4360.53352,
    12.9492344,
    10236.884,
    13176.786,
    -326669.5104,
    7390.68412,
    -27.8986976,
    16643.076,
    30988.146,
]


def _hs84_g(x, k):
    a = _HS84_A[6 + 5 * k : 11 + 5 * k]
    return x[0] * (a[0] + a[1] * x[1] + a[2] * x[2] + a[3] * x[3] + a[4] * x[4])


def _hs84_f(x, o):
    a = _HS84_A
    return -a[0] - x[0] * (a[1] + a[2] * x[1] + a[3] * x[2] + a[4] * x[3] + a[5] * x[4])


def _hs104_f(x, o):
    return (
        0.4 * x[0] ** 0.67 * x[6] ** -0.67 + 0.4 * x[1] ** 0.67 * x[7] ** -0.67 + 10 - x[0] - x[1]
    )


_C107 = 48.4 / 50.176 * math.sin(0.25)
_D107 = 48.4 / 50.176 * math.cos(0.25)


def _hs107_eq(k):
    c, d = _C107, _D107

    def h(x, o):
        y1, y2, y3, y4 = o.sin(x[7]), o.cos(x[7]), o.sin(x[8]), o.cos(x[8])
        y5, y6 = o.sin(x[7] - x[8]), o.cos(x[7] - x[8])
        v5, v6, v7 = x[4], x[5], x[6]
        return [
            lambda: (
                0.4
                - x[0]
                + 2 * c * v5**2
                - v5 * v6 * (d * y1 + c * y2)
                - v5 * v7 * (d * y3 + c * y4)
            ),
            lambda: (
                0.4
                - x[1]
                + 2 * c * v6**2
                + v5 * v6 * (d * y1 - c * y2)
                + v6 * v7 * (d * y5 - c * y6)
            ),
            lambda: 0.8 + 2 * c * v7**2 + v5 * v7 * (d * y3 - c * y4) - v6 * v7 * (d * y5 + c * y6),
            lambda: (
                0.2
                - x[2]
                + 2 * d * v5**2
                + v5 * v6 * (c * y1 - d * y2)
                + v5 * v7 * (c * y3 - d * y4)
            ),
            lambda: (
                0.2
                - x[3]
                + 2 * d * v6**2
                - v5 * v6 * (c * y1 + d * y2)
                - v6 * v7 * (c * y5 + d * y6)
            ),
            lambda: (
                -0.337 + 2 * d * v7**2 - v5 * v7 * (c * y3 + d * y4) + v6 * v7 * (c * y5 - d * y6)
            ),
        ][k]()

    return h


_A109, _B109, _C109 = 50.176, math.sin(0.25), math.cos(0.25)


def _hs109_eq(k):
    a, b, c = _A109, _B109, _C109

    def h(x, o):
        x3, x4, x5, x6, x7 = x[2], x[3], x[4], x[5], x[6]
        if k == 0:
            return (
                (x5 * x6 * o.sin(-x3 - 0.25) + x5 * x7 * o.sin(-x4 - 0.25) + 2 * b * x5**2) / a
                + 400
                - x[0]
            )
        if k == 1:
            return (
                (x5 * x6 * o.sin(x3 - 0.25) + x6 * x7 * o.sin(x3 - x4 - 0.25) + 2 * b * x6**2) / a
                + 400
                - x[1]
            )
        if k == 2:
            return (
                x5 * x7 * o.sin(x4 - 0.25) + x6 * x7 * o.sin(x4 - x3 - 0.25) + 2 * b * x7**2
            ) / a + 881.779
        if k == 3:
            return (
                x[7]
                + (x5 * x6 * o.cos(-x3 - 0.25) + x5 * x7 * o.cos(-x4 - 0.25) - 2 * c * x5**2) / a
                + 0.7533e-3 * x5**2
                - 200
            )
        if k == 4:
            return (
                x[8]
                + (x5 * x6 * o.cos(x3 - 0.25) + x6 * x7 * o.cos(x3 - x4 - 0.25) - 2 * c * x6**2) / a
                + 0.7533e-3 * x6**2
                - 200
            )
        return (
            (x5 * x7 * o.cos(x4 - 0.25) + x6 * x7 * o.cos(x4 - x3 - 0.25) - 2 * c * x7**2) / a
            + 0.7533e-3 * x7**2
            - 22.938
        )

    return h


def _hs110(x, o):
    return o.sum(o.log(x - 2) ** 2 + o.log(10 - x) ** 2) - product([x[i] for i in range(10)]) ** 0.2


_C111 = [-6.089, -17.164, -34.054, -5.914, -24.721, -14.986, -24.1, -10.708, -26.662, -22.179]


def _hs111(x, o):
    e = o.exp(x)
    return o.sum(e * (o.const(_C111, x) + x - o.log(o.sum(e))))


_HS111_XSTAR = [
    -3.20121253241,
    -1.91205959435,
    -0.244441308369,
    -6.53748856532,
    -0.723152425984,
    -7.26773826993,
    -3.59671064233,
    -4.01776873216,
    -3.28746169619,
    -2.33558183059,
]
_HS111_ROWS = [
    [(0, 1), (1, 2), (2, 2), (5, 1), (9, 1)],
    [(3, 1), (4, 2), (5, 1), (6, 1)],
    [(2, 1), (6, 1), (7, 1), (8, 2), (9, 1)],
]
_HS111_RHS = [2, 1, 1]


def _hs111_rows(k, v):
    """The k-th linear equality of HS112, in v (x for HS112, exp(x) for HS111)."""
    return sum(w * v[j] for j, w in _HS111_ROWS[k]) - _HS111_RHS[k]


def _hs112(x, o):
    return o.sum(x * (o.const(_C111, x) + o.log(x / o.sum(x))))


def _hs113_f(x, o):
    return (
        x[0] ** 2
        + x[1] ** 2
        + x[0] * x[1]
        - 14 * x[0]
        - 16 * x[1]
        + (x[2] - 10) ** 2
        + 4 * (x[3] - 5) ** 2
        + (x[4] - 3) ** 2
        + 2 * (x[5] - 1) ** 2
        + 5 * x[6] ** 2
        + 7 * (x[7] - 11) ** 2
        + 2 * (x[8] - 10) ** 2
        + (x[9] - 7) ** 2
        + 45
    )


_HS113_INEQ = [
    lambda x, o: 105 - 4 * x[0] - 5 * x[1] + 3 * x[6] - 9 * x[7],
    lambda x, o: -10 * x[0] + 8 * x[1] + 17 * x[6] - 2 * x[7],
    lambda x, o: 8 * x[0] - 2 * x[1] - 5 * x[8] + 2 * x[9] + 12,
    lambda x, o: -3 * (x[0] - 2) ** 2 - 4 * (x[1] - 3) ** 2 - 2 * x[2] ** 2 + 7 * x[3] + 120,
    lambda x, o: -5 * x[0] ** 2 - 8 * x[1] - (x[2] - 6) ** 2 + 2 * x[3] + 40,
    lambda x, o: -0.5 * (x[0] - 8) ** 2 - 2 * (x[1] - 4) ** 2 - 3 * x[4] ** 2 + x[5] + 30,
    lambda x, o: -(x[0] ** 2) - 2 * (x[1] - 2) ** 2 + 2 * x[0] * x[1] - 14 * x[4] + 6 * x[5],
    lambda x, o: 3 * x[0] - 6 * x[1] - 12 * (x[8] - 8) ** 2 + 7 * x[9],
]

_A114, _B114 = 0.99, 0.9


def _g1_114(x):
    return 35.82 - 0.222 * x[9] - _B114 * x[8]


def _g2_114(x):
    return -133 + 3 * x[6] - _A114 * x[9]


def _g5_114(x):
    return 1.12 * x[0] + 0.13167 * x[0] * x[7] - 0.00667 * x[0] * x[7] ** 2 - _A114 * x[3]


def _g6_114(x):
    return 57.425 + 1.098 * x[7] - 0.038 * x[7] ** 2 + 0.325 * x[5] - _A114 * x[6]


_HS114_INEQ = [
    lambda x, o: _g1_114(x),
    lambda x, o: _g2_114(x),
    lambda x, o: -_g1_114(x) + x[8] * (1 / _B114 - _B114),
    lambda x, o: -_g2_114(x) + (1 / _A114 - _A114) * x[9],
    lambda x, o: _g5_114(x),
    lambda x, o: _g6_114(x),
    lambda x, o: -_g5_114(x) + (1 / _A114 - _A114) * x[3],
    lambda x, o: -_g6_114(x) + (1 / _A114 - _A114) * x[6],
]
_HS114_EQ = [
    lambda x, o: 1.22 * x[3] - x[0] - x[4],
    lambda x, o: 98000 * x[2] / (x[3] * x[8] + 1000 * x[2]) - x[5],
    lambda x, o: (x[1] + x[4]) / x[0] - x[7],
]

# HS117 (Colville 2): a is 10 x 5, c 5 x 5 symmetric
_A117 = [
    [-16, 2, 0, 1, 0],
    [0, -2, 0, 0.4, 2],
    [-3.5, 0, 2, 0, 0],
    [0, -2, 0, -4, -1],
    [0, -9, -2, 1, -2.8],
    [2, 0, -4, 0, 0],
    [-1, -1, -1, -1, -1],
    [-1, -2, -3, -2, -1],
    [1, 2, 3, 4, 5],
    [1, 1, 1, 1, 1],
]
_B117 = [-40, -2, -0.25, -4, -4, -1, -40, -60, 5, 1]
_C117 = [
    [30, -20, -10, 32, -10],
    [-20, 39, -6, -31, 32],
    [-10, -6, 10, -6, -10],
    [32, -31, -6, 39, -20],
    [-10, 32, -10, -20, 30],
]
_D117 = [4, 8, 10, 6, 2]
_E117 = [-15, -27, -36, -18, -12]


def _hs117_f(x, o):
    y = [x[10 + j] for j in range(5)]
    return (
        -sum(_B117[j] * x[j] for j in range(10))
        + sum(_C117[k][j] * y[k] * y[j] for k in range(5) for j in range(5))
        + sum(2 * _D117[j] * y[j] ** 3 for j in range(5))
    )


def _hs117_g(j):
    def g(x, o):
        return (
            sum(2 * _C117[k][j] * x[10 + k] for k in range(5))
            + 3 * _D117[j] * x[10 + j] ** 2
            + _E117[j]
            - sum(_A117[k][j] * x[k] for k in range(10))
        )

    return g


def _hs118_f(x, o):
    return sum(
        2.3 * x[3 * k]
        + 0.0001 * x[3 * k] ** 2
        + 1.7 * x[3 * k + 1]
        + 0.0001 * x[3 * k + 1] ** 2
        + 2.2 * x[3 * k + 2]
        + 0.00015 * x[3 * k + 2] ** 2
        for k in range(5)
    )


def _hs118_ineq():
    out = []
    for j in range(1, 5):  # 0 <= x[3j + i] - x[3j - 3 + i] + 7 <= 13, 14, 13 (i = 0, 1, 2)
        for i, upper in ((0, 13), (1, 14), (2, 13)):
            out.append(lambda x, o, j=j, i=i: x[3 * j + i] - x[3 * j - 3 + i] + 7)
            out.append(lambda x, o, j=j, i=i, u=upper: u - 7 - x[3 * j + i] + x[3 * j - 3 + i])
    for k, total in enumerate((60, 50, 70, 85, 100)):
        out.append(lambda x, o, k=k, t=total: x[3 * k] + x[3 * k + 1] + x[3 * k + 2] - t)
    return out


# HS119: the 1-based (i, j) with a_ij = 1, and the rows of b (with b_{i, 8+i} = 1) and c
_A119 = [
    *((i, i) for i in range(1, 17)),
    *((1, 4), (1, 7), (1, 8), (1, 16), (2, 3), (2, 7), (2, 10), (3, 7), (3, 9), (3, 10)),
    *((3, 14), (4, 7), (4, 11), (4, 15), (5, 6), (5, 10), (5, 12), (5, 16), (6, 8), (6, 15)),
    *((7, 11), (7, 13), (8, 10), (8, 15), (9, 12), (9, 16), (10, 14), (11, 13), (12, 14)),
    (13, 14),
]
_B119 = [
    {1: 0.22, 2: 0.2, 3: 0.19, 4: 0.25, 5: 0.15, 6: 0.11, 7: 0.12, 8: 0.13},
    {1: -1.46, 3: -1.3, 4: 1.82, 5: -1.15, 7: 0.8},
    {1: 1.29, 2: -0.89, 5: -1.16, 6: -0.96, 8: -0.49},
    {1: -1.1, 2: -1.06, 3: 0.95, 4: -0.54, 6: -1.78, 7: -0.41},
    {4: -1.43, 5: 1.51, 6: 0.59, 7: -0.33, 8: -0.43},
    {2: -1.72, 3: -0.33, 5: 1.62, 6: 1.24, 7: 0.21, 8: -0.26},
    {1: 1.12, 4: 0.31, 7: 1.12, 9: -0.36},
    {2: 0.45, 3: 0.26, 4: -1.1, 5: 0.58, 7: -1.03, 8: 0.1},
]
_C119 = [2.5, 1.1, -3.1, -3.5, 1.3, 2.1, 2.3, -1.5]


def _hs119_f(x, o):
    u = x**2 + x + 1
    return sum(u[i - 1] * u[j - 1] for i, j in _A119)


def _hs119_eq(k):
    row = {**_B119[k], 9 + k: 1.0}

    def h(x, o):
        return sum(w * x[j - 1] for j, w in row.items()) - _C119[k]

    return h


def _none(n):
    return [None] * n


HS = [
    TestProblem(
        "HS1",
        _rosenbrock,
        [-2.0, 1.0],
        0.0,
        bounds=([None, -1.5], [None, None]),
        xstar=[1.0, 1.0],
    ),
    TestProblem(
        "HS3",
        lambda x, o: x[1] + 1e-5 * (x[1] - x[0]) ** 2,
        [10.0, 1.0],
        0.0,
        bounds=([None, 0.0], [None, None]),
        xstar=[0.0, 0.0],
    ),
    TestProblem(
        "HS4",
        lambda x, o: (x[0] + 1) ** 3 / 3 + x[1],
        [1.125, 0.125],
        8 / 3,
        bounds=([1.0, 0.0], [None, None]),
        xstar=[1.0, 0.0],
    ),
    TestProblem(
        "HS5",
        lambda x, o: o.sin(x[0] + x[1]) + (x[0] - x[1]) ** 2 - 1.5 * x[0] + 2.5 * x[1] + 1,
        [0.0, 0.0],
        -_SQRT3 / 2 - math.pi / 3,
        bounds=([-1.5, -3.0], [4.0, 3.0]),
        xstar=[0.5 - math.pi / 3, -0.5 - math.pi / 3],
    ),
    TestProblem(
        "HS6",
        lambda x, o: (1 - x[0]) ** 2,
        [-1.2, 1.0],
        0.0,
        eq=[lambda x, o: 10 * (x[1] - x[0] ** 2)],
        xstar=[1.0, 1.0],
    ),
    TestProblem(
        "HS7",
        lambda x, o: o.log(1 + x[0] ** 2) - x[1],
        [2.0, 2.0],
        -_SQRT3,
        eq=[lambda x, o: (1 + x[0] ** 2) ** 2 + x[1] ** 2 - 4],
        xstar=[0.0, _SQRT3],
    ),
    TestProblem(
        "HS8",
        lambda x, o: 0 * x[0] - 1,
        [2.0, 1.0],
        -1.0,
        eq=[lambda x, o: x[0] ** 2 + x[1] ** 2 - 25, lambda x, o: x[0] * x[1] - 9],
        xstar=[_HS8_A, 9 / _HS8_A],
        note="a feasibility problem (constant objective); x* is one of four solutions",
    ),
    TestProblem(
        "HS9",
        lambda x, o: o.sin(math.pi * x[0] / 12) * o.cos(math.pi * x[1] / 16),
        [0.0, 0.0],
        -0.5,
        eq=[lambda x, o: 4 * x[0] - 3 * x[1]],
        xstar=[-3.0, -4.0],
        note="f* at (12k - 3, 16k - 4) for every integer k",
    ),
    TestProblem(
        "HS10",
        lambda x, o: x[0] - x[1],
        [-10.0, 10.0],
        -1.0,
        ineq=[lambda x, o: -3 * x[0] ** 2 + 2 * x[0] * x[1] - x[1] ** 2 + 1],
        xstar=[0.0, 1.0],
    ),
    TestProblem(
        "HS11",
        lambda x, o: (x[0] - 5) ** 2 + x[1] ** 2 - 25,
        [4.9, 0.1],
        (_HS11_X[0] - 5) ** 2 + _HS11_X[1] ** 2 - 25,
        ineq=[lambda x, o: -(x[0] ** 2) + x[1]],
        xstar=_HS11_X,
    ),
    TestProblem(
        "HS12",
        lambda x, o: 0.5 * x[0] ** 2 + x[1] ** 2 - x[0] * x[1] - 7 * x[0] - 7 * x[1],
        [0.0, 0.0],
        -30.0,
        ineq=[lambda x, o: 25 - 4 * x[0] ** 2 - x[1] ** 2],
        xstar=[2.0, 3.0],
    ),
    TestProblem(
        "HS13 (degenerate)",
        lambda x, o: (x[0] - 2) ** 2 + x[1] ** 2,
        [-2.0, -2.0],
        1.0,
        ineq=[lambda x, o: (1 - x[0]) ** 3 - x[1]],
        bounds=([0.0, 0.0], [None, None]),
        xstar=[1.0, 0.0],
        note="degenerate: no constraint qualification holds at x* (a cusp), so x* is no "
        "KKT point and methods that need multipliers converge slowly or not at all "
        "(SLSQP, trust-constr); COBYLA and COBYQA reach f*",
    ),
    TestProblem(
        "HS14",
        lambda x, o: (x[0] - 2) ** 2 + (x[1] - 1) ** 2,
        [2.0, 2.0],
        9 - 2.875 * math.sqrt(7),
        eq=[lambda x, o: x[0] - 2 * x[1] + 1],
        ineq=[lambda x, o: -(x[0] ** 2) / 4 - x[1] ** 2 + 1],
        xstar=[(math.sqrt(7) - 1) / 2, (math.sqrt(7) + 1) / 4],
    ),
    TestProblem(
        "HS15",
        lambda x, o: 100 * (x[1] - x[0] ** 2) ** 2 + (1 - x[0]) ** 2,
        [-2.0, 1.0],
        306.5,
        ineq=[lambda x, o: x[0] * x[1] - 1, lambda x, o: x[0] + x[1] ** 2],
        bounds=([None, None], [0.5, None]),
        xstar=[0.5, 2.0],
        note="another local minimum, f = 360.38, at (-0.79212, -1.26243)",
    ),
    TestProblem(
        "HS16",
        _rosenbrock,
        [-2.0, 1.0],
        0.25,
        ineq=[lambda x, o: x[0] + x[1] ** 2, lambda x, o: x[0] ** 2 + x[1]],
        bounds=([-0.5, None], [0.5, 1.0]),
        xstar=[0.5, 0.25],
        note="from x0, SLSQP and trust-constr end at the local minimum 23.14466 at "
        "(-0.5, 1/sqrt(2)); COBYQA reaches f*",
    ),
    TestProblem(
        "HS17",
        _rosenbrock,
        [-2.0, 1.0],
        1.0,
        ineq=[lambda x, o: x[1] ** 2 - x[0], lambda x, o: x[0] ** 2 - x[1]],
        bounds=([-0.5, None], [0.5, 1.0]),
        xstar=[0.0, 0.0],
    ),
    TestProblem(
        "HS18",
        lambda x, o: 0.01 * x[0] ** 2 + x[1] ** 2,
        [2.0, 2.0],
        5.0,
        ineq=[lambda x, o: x[0] * x[1] - 25, lambda x, o: x[0] ** 2 + x[1] ** 2 - 25],
        bounds=([2.0, 0.0], [50.0, 50.0]),
        xstar=[math.sqrt(250), math.sqrt(2.5)],
    ),
    TestProblem(
        "HS19",
        lambda x, o: (x[0] - 10) ** 3 + (x[1] - 20) ** 3,
        [20.1, 5.84],
        4.095**3 - (15 + math.sqrt(17.280975)) ** 3,
        ineq=[
            lambda x, o: (x[0] - 5) ** 2 + (x[1] - 5) ** 2 - 100,
            lambda x, o: 82.81 - (x[1] - 5) ** 2 - (x[0] - 6) ** 2,
        ],
        bounds=([13.0, 0.0], [100.0, 100.0]),
        xstar=[14.095, 5 - math.sqrt(17.280975)],
    ),
    TestProblem(
        "HS20",
        _rosenbrock,
        [0.1, 1.0],
        81.5 - 25 * _SQRT3,
        ineq=[
            lambda x, o: x[0] + x[1] ** 2,
            lambda x, o: x[0] ** 2 + x[1],
            lambda x, o: x[0] ** 2 + x[1] ** 2 - 1,
        ],
        bounds=([-0.5, None], [0.5, None]),
        xstar=[0.5, _SQRT3 / 2],
        note="x0 = (0.1, 1) of Schittkowski's update: from the book's (-2, 1), clipped to "
        "x1 = -0.5, every method ends at the local minimum 40.19873 at (-0.5, sqrt(3)/2)",
    ),
    TestProblem(
        "HS21",
        lambda x, o: 0.01 * x[0] ** 2 + x[1] ** 2 - 100,
        [-1.0, -1.0],
        -99.96,
        ineq=[lambda x, o: 10 * x[0] - x[1] - 10],
        bounds=([2.0, -50.0], [50.0, 50.0]),
        xstar=[2.0, 0.0],
    ),
    TestProblem(
        "HS22",
        lambda x, o: (x[0] - 2) ** 2 + (x[1] - 1) ** 2,
        [2.0, 2.0],
        1.0,
        ineq=[lambda x, o: 2 - x[0] - x[1], lambda x, o: x[1] - x[0] ** 2],
        xstar=[1.0, 1.0],
    ),
    TestProblem(
        "HS23",
        lambda x, o: x[0] ** 2 + x[1] ** 2,
        [3.0, 1.0],
        2.0,
        ineq=[
            lambda x, o: x[0] + x[1] - 1,
            lambda x, o: x[0] ** 2 + x[1] ** 2 - 1,
            lambda x, o: 9 * x[0] ** 2 + x[1] ** 2 - 9,
            lambda x, o: x[0] ** 2 - x[1],
            lambda x, o: x[1] ** 2 - x[0],
        ],
        bounds=([-50.0, -50.0], [50.0, 50.0]),
        xstar=[1.0, 1.0],
    ),
    TestProblem(
        "HS24",
        lambda x, o: ((x[0] - 3) ** 2 - 9) * x[1] ** 3 / (27 * _SQRT3),
        [1.0, 0.5],
        -1.0,
        ineq=[
            lambda x, o: x[0] / _SQRT3 - x[1],
            lambda x, o: x[0] + _SQRT3 * x[1],
            lambda x, o: 6 - x[0] - _SQRT3 * x[1],
        ],
        bounds=([0.0, 0.0], [None, None]),
        xstar=[3.0, _SQRT3],
    ),
    TestProblem(
        "HS25",
        _hs25,
        [100.0, 12.5, 3.0],
        0.0,
        bounds=([0.1, 0.0, 0.0], [100.0, 25.6, 5.0]),
        xstar=[50.0, 25.0, 1.5],
    ),
    TestProblem(
        "HS26",
        lambda x, o: (x[0] - x[1]) ** 2 + (x[1] - x[2]) ** 4,
        [-2.6, 2.0, 2.0],
        0.0,
        eq=[lambda x, o: (1 + x[1] ** 2) * x[0] + x[2] ** 4 - 3],
        xstar=[1.0, 1.0, 1.0],
    ),
    TestProblem(
        "HS27",
        lambda x, o: 0.01 * (x[0] - 1) ** 2 + (x[1] - x[0] ** 2) ** 2,
        [2.0, 2.0, 2.0],
        0.04,
        eq=[lambda x, o: x[0] + x[2] ** 2 + 1],
        xstar=[-1.0, 1.0, 0.0],
    ),
    TestProblem(
        "HS28",
        lambda x, o: (x[0] + x[1]) ** 2 + (x[1] + x[2]) ** 2,
        [-4.0, 1.0, 1.0],
        0.0,
        eq=[lambda x, o: x[0] + 2 * x[1] + 3 * x[2] - 1],
        xstar=[0.5, -0.5, 0.5],
    ),
    TestProblem(
        "HS29",
        lambda x, o: -x[0] * x[1] * x[2],
        [1.0, 1.0, 1.0],
        -16 * math.sqrt(2),
        ineq=[lambda x, o: 48 - x[0] ** 2 - 2 * x[1] ** 2 - 4 * x[2] ** 2],
        xstar=[4.0, 2 * math.sqrt(2), 2.0],
        note="x* is one of four (signs of two coordinates flipped)",
    ),
    TestProblem(
        "HS30",
        lambda x, o: x[0] ** 2 + x[1] ** 2 + x[2] ** 2,
        [1.0, 1.0, 1.0],
        1.0,
        ineq=[lambda x, o: x[0] ** 2 + x[1] ** 2 - 1],
        bounds=([1.0, -10.0, -10.0], [10.0, 10.0, 10.0]),
        xstar=[1.0, 0.0, 0.0],
    ),
    TestProblem(
        "HS31",
        lambda x, o: 9 * x[0] ** 2 + x[1] ** 2 + 9 * x[2] ** 2,
        [1.0, 1.0, 1.0],
        6.0,
        ineq=[lambda x, o: x[0] * x[1] - 1],
        bounds=([-10.0, 1.0, -10.0], [10.0, 10.0, 1.0]),
        xstar=[1 / _SQRT3, _SQRT3, 0.0],
    ),
    TestProblem(
        "HS32",
        lambda x, o: (x[0] + 3 * x[1] + x[2]) ** 2 + 4 * (x[0] - x[1]) ** 2,
        [0.1, 0.7, 0.2],
        1.0,
        eq=[lambda x, o: 1 - x[0] - x[1] - x[2]],
        ineq=[lambda x, o: 6 * x[1] + 4 * x[2] - x[0] ** 3 - 3],
        bounds=([0.0] * 3, _none(3)),
        xstar=[0.0, 0.0, 1.0],
    ),
    TestProblem(
        "HS33",
        lambda x, o: (x[0] - 1) * (x[0] - 2) * (x[0] - 3) + x[2],
        [0.0, 0.0, 3.0],
        math.sqrt(2) - 6,
        ineq=[
            lambda x, o: x[2] ** 2 - x[0] ** 2 - x[1] ** 2,
            lambda x, o: x[0] ** 2 + x[1] ** 2 + x[2] ** 2 - 4,
        ],
        bounds=([0.0] * 3, [None, None, 5.0]),
        xstar=[0.0, math.sqrt(2), math.sqrt(2)],
        note="SLSQP and trust-constr stop near x* short of 1e-6 (x1 = 0 and both constraints "
        "active, their gradients (0, *, *)); COBYLA reaches f*",
    ),
    TestProblem(
        "HS34",
        lambda x, o: -x[0],
        [0.0, 1.05, 2.9],
        -math.log(math.log(10)),
        ineq=[lambda x, o: x[1] - o.exp(x[0]), lambda x, o: x[2] - o.exp(x[1])],
        bounds=([0.0] * 3, [100.0, 100.0, 10.0]),
        xstar=[math.log(math.log(10)), math.log(10), 10.0],
    ),
    TestProblem(
        "HS35",
        lambda x, o: (
            9
            - 8 * x[0]
            - 6 * x[1]
            - 4 * x[2]
            + 2 * x[0] ** 2
            + 2 * x[1] ** 2
            + x[2] ** 2
            + 2 * x[0] * x[1]
            + 2 * x[0] * x[2]
        ),
        [0.5, 0.5, 0.5],
        1 / 9,
        ineq=[lambda x, o: 3 - x[0] - x[1] - 2 * x[2]],
        bounds=([0.0, 0.0, 0.0], [None, None, None]),
        xstar=[4 / 3, 7 / 9, 4 / 9],
    ),
    TestProblem(
        "HS36",
        lambda x, o: -x[0] * x[1] * x[2],
        [10.0, 10.0, 10.0],
        -3300.0,
        ineq=[lambda x, o: 72 - x[0] - 2 * x[1] - 2 * x[2]],
        bounds=([0.0] * 3, [20.0, 11.0, 42.0]),
        xstar=[20.0, 11.0, 15.0],
    ),
    TestProblem(
        "HS37",
        lambda x, o: -x[0] * x[1] * x[2],
        [10.0, 10.0, 10.0],
        -3456.0,
        ineq=[
            lambda x, o: 72 - x[0] - 2 * x[1] - 2 * x[2],
            lambda x, o: x[0] + 2 * x[1] + 2 * x[2],
        ],
        bounds=([0.0] * 3, [42.0] * 3),
        xstar=[24.0, 12.0, 12.0],
    ),
    TestProblem(
        "HS38 Colville 4",
        lambda x, o: (
            100 * (x[1] - x[0] ** 2) ** 2
            + (1 - x[0]) ** 2
            + 90 * (x[3] - x[2] ** 2) ** 2
            + (1 - x[2]) ** 2
            + 10.1 * ((x[1] - 1) ** 2 + (x[3] - 1) ** 2)
            + 19.8 * (x[1] - 1) * (x[3] - 1)
        ),
        [-3.0, -1.0, -3.0, -1.0],
        0.0,
        bounds=([-10.0] * 4, [10.0] * 4),
        xstar=[1.0] * 4,
    ),
    TestProblem(
        "HS39",
        lambda x, o: -x[0],
        [2.0, 2.0, 2.0, 2.0],
        -1.0,
        eq=[lambda x, o: x[1] - x[0] ** 3 - x[2] ** 2, lambda x, o: x[0] ** 2 - x[1] - x[3] ** 2],
        xstar=[1.0, 1.0, 0.0, 0.0],
    ),
    TestProblem(
        "HS40",
        lambda x, o: -x[0] * x[1] * x[2] * x[3],
        [0.8] * 4,
        -0.25,
        eq=[
            lambda x, o: x[0] ** 3 + x[1] ** 2 - 1,
            lambda x, o: x[0] ** 2 * x[3] - x[2],
            lambda x, o: x[3] ** 2 - x[1],
        ],
        xstar=[2 ** (-1 / 3), 2 ** (-1 / 2), 2 ** (-11 / 12), 2 ** (-1 / 4)],
    ),
    TestProblem(
        "HS41",
        lambda x, o: 2 - x[0] * x[1] * x[2],
        [2.0] * 4,
        52 / 27,
        eq=[lambda x, o: x[0] + 2 * x[1] + 2 * x[2] - x[3]],
        bounds=([0.0] * 4, [1.0, 1.0, 1.0, 2.0]),
        xstar=[2 / 3, 1 / 3, 1 / 3, 2.0],
    ),
    TestProblem(
        "HS42",
        lambda x, o: (x[0] - 1) ** 2 + (x[1] - 2) ** 2 + (x[2] - 3) ** 2 + (x[3] - 4) ** 2,
        [1.0] * 4,
        28 - 10 * math.sqrt(2),
        eq=[lambda x, o: x[0] - 2, lambda x, o: x[2] ** 2 + x[3] ** 2 - 2],
        xstar=[2.0, 2.0, math.sqrt(0.72), math.sqrt(1.28)],
    ),
    TestProblem(
        "HS43 Rosen-Suzuki",
        lambda x, o: (
            x[0] ** 2
            + x[1] ** 2
            + 2 * x[2] ** 2
            + x[3] ** 2
            - 5 * x[0]
            - 5 * x[1]
            - 21 * x[2]
            + 7 * x[3]
        ),
        [0.0] * 4,
        -44.0,
        ineq=[
            lambda x, o: (
                8 - x[0] ** 2 - x[1] ** 2 - x[2] ** 2 - x[3] ** 2 - x[0] + x[1] - x[2] + x[3]
            ),
            lambda x, o: 10 - x[0] ** 2 - 2 * x[1] ** 2 - x[2] ** 2 - 2 * x[3] ** 2 + x[0] + x[3],
            lambda x, o: 5 - 2 * x[0] ** 2 - x[1] ** 2 - x[2] ** 2 - 2 * x[0] + x[1] + x[3],
        ],
        xstar=[0.0, 1.0, 2.0, -1.0],
    ),
    TestProblem(
        "HS44",
        lambda x, o: x[0] - x[1] - x[2] - x[0] * x[2] + x[0] * x[3] + x[1] * x[2] - x[1] * x[3],
        [0.0] * 4,
        -15.0,
        ineq=[
            lambda x, o: 8 - x[0] - 2 * x[1],
            lambda x, o: 12 - 4 * x[0] - x[1],
            lambda x, o: 12 - 3 * x[0] - 4 * x[1],
            lambda x, o: 8 - 2 * x[2] - x[3],
            lambda x, o: 8 - x[2] - 2 * x[3],
            lambda x, o: 5 - x[2] - x[3],
        ],
        bounds=([0.0] * 4, _none(4)),
        xstar=[0.0, 3.0, 0.0, 4.0],
    ),
    TestProblem(
        "HS45",
        lambda x, o: 2 - product([x[i] for i in range(5)]) / 120,
        [2.0] * 5,
        1.0,
        bounds=([0.0] * 5, [1.0, 2.0, 3.0, 4.0, 5.0]),
        xstar=[1.0, 2.0, 3.0, 4.0, 5.0],
    ),
    TestProblem(
        "HS46",
        lambda x, o: (x[0] - x[1]) ** 2 + (x[2] - 1) ** 2 + (x[3] - 1) ** 4 + (x[4] - 1) ** 6,
        [math.sqrt(2) / 2, 1.75, 0.5, 2.0, 2.0],
        0.0,
        eq=[
            lambda x, o: x[0] ** 2 * x[3] + o.sin(x[3] - x[4]) - 1,
            lambda x, o: x[1] + x[2] ** 4 * x[3] ** 2 - 2,
        ],
        xstar=[1.0] * 5,
    ),
    TestProblem(
        "HS47",
        lambda x, o: (
            (x[0] - x[1]) ** 2 + (x[1] - x[2]) ** 3 + (x[2] - x[3]) ** 4 + (x[3] - x[4]) ** 4
        ),
        [2.0, math.sqrt(2), -1.0, 2 - math.sqrt(2), 0.5],
        0.0,
        eq=[
            lambda x, o: x[0] + x[1] ** 2 + x[2] ** 3 - 3,
            lambda x, o: x[1] - x[2] ** 2 + x[3] - 1,
            lambda x, o: x[0] * x[4] - 1,
        ],
        xstar=[1.0] * 5,
    ),
    TestProblem(
        "HS48",
        lambda x, o: (x[0] - 1) ** 2 + (x[1] - x[2]) ** 2 + (x[3] - x[4]) ** 2,
        [3.0, 5.0, -3.0, 2.0, -2.0],
        0.0,
        eq=[
            lambda x, o: x[0] + x[1] + x[2] + x[3] + x[4] - 5,
            lambda x, o: x[2] - 2 * (x[3] + x[4]) + 3,
        ],
        xstar=[1.0] * 5,
    ),
    TestProblem(
        "HS49",
        lambda x, o: (x[0] - x[1]) ** 2 + (x[2] - 1) ** 2 + (x[3] - 1) ** 4 + (x[4] - 1) ** 6,
        [10.0, 7.0, 2.0, -3.0, 0.8],
        0.0,
        eq=[
            lambda x, o: x[0] + x[1] + x[2] + 4 * x[3] - 7,
            lambda x, o: x[2] + 5 * x[4] - 6,
        ],
        xstar=[1.0] * 5,
    ),
    TestProblem(
        "HS50",
        lambda x, o: (
            (x[0] - x[1]) ** 2 + (x[1] - x[2]) ** 2 + (x[2] - x[3]) ** 4 + (x[3] - x[4]) ** 2
        ),
        [35.0, -31.0, 11.0, 5.0, -5.0],
        0.0,
        eq=[
            lambda x, o: x[0] + 2 * x[1] + 3 * x[2] - 6,
            lambda x, o: x[1] + 2 * x[2] + 3 * x[3] - 6,
            lambda x, o: x[2] + 2 * x[3] + 3 * x[4] - 6,
        ],
        xstar=[1.0] * 5,
    ),
    TestProblem(
        "HS51",
        lambda x, o: (
            (x[0] - x[1]) ** 2 + (x[1] + x[2] - 2) ** 2 + (x[3] - 1) ** 2 + (x[4] - 1) ** 2
        ),
        [2.5, 0.5, 2.0, -1.0, 0.5],
        0.0,
        eq=[
            lambda x, o: x[0] + 3 * x[1] - 4,
            lambda x, o: x[2] + x[3] - 2 * x[4],
            lambda x, o: x[1] - x[4],
        ],
        xstar=[1.0] * 5,
    ),
    TestProblem(
        "HS52",
        lambda x, o: (
            (4 * x[0] - x[1]) ** 2 + (x[1] + x[2] - 2) ** 2 + (x[3] - 1) ** 2 + (x[4] - 1) ** 2
        ),
        [2.0] * 5,
        1859 / 349,
        eq=[
            lambda x, o: x[0] + 3 * x[1],
            lambda x, o: x[2] + x[3] - 2 * x[4],
            lambda x, o: x[1] - x[4],
        ],
        xstar=[-33 / 349, 11 / 349, 180 / 349, -158 / 349, 11 / 349],
    ),
    TestProblem(
        "HS53",
        lambda x, o: (
            (x[0] - x[1]) ** 2 + (x[1] + x[2] - 2) ** 2 + (x[3] - 1) ** 2 + (x[4] - 1) ** 2
        ),
        [2.0] * 5,
        176 / 43,
        eq=[
            lambda x, o: x[0] + 3 * x[1],
            lambda x, o: x[2] + x[3] - 2 * x[4],
            lambda x, o: x[1] - x[4],
        ],
        bounds=([-10.0] * 5, [10.0] * 5),
        xstar=[-33 / 43, 11 / 43, 27 / 43, -5 / 43, 11 / 43],
    ),
    TestProblem(
        "HS56",
        lambda x, o: -x[0] * x[1] * x[2],
        [1.0, 1.0, 1.0, *[math.asin(math.sqrt(1 / 4.2))] * 3, math.asin(math.sqrt(5 / 7.2))],
        -3.456,
        eq=[
            lambda x, o: x[0] - 4.2 * o.sin(x[3]) ** 2,
            lambda x, o: x[1] - 4.2 * o.sin(x[4]) ** 2,
            lambda x, o: x[2] - 4.2 * o.sin(x[5]) ** 2,
            lambda x, o: x[0] + 2 * x[1] + 2 * x[2] - 7.2 * o.sin(x[6]) ** 2,
        ],
        xstar=[
            2.4,
            1.2,
            1.2,
            math.asin(math.sqrt(4 / 7)),
            math.asin(math.sqrt(2 / 7)),
            math.asin(math.sqrt(2 / 7)),
            math.pi / 2,
        ],
    ),
    TestProblem(
        "HS60",
        lambda x, o: (x[0] - 1) ** 2 + (x[0] - x[1]) ** 2 + (x[1] - x[2]) ** 4,
        [2.0] * 3,
        0.0325682002513,
        eq=[lambda x, o: x[0] * (1 + x[1] ** 2) + x[2] ** 4 - 4 - 3 * math.sqrt(2)],
        bounds=([-10.0] * 3, [10.0] * 3),
        xstar=[1.10485902423, 1.19667419413, 1.53526225739],
    ),
    TestProblem(
        "HS61",
        lambda x, o: (
            4 * x[0] ** 2 + 2 * x[1] ** 2 + 2 * x[2] ** 2 - 33 * x[0] + 16 * x[1] - 24 * x[2]
        ),
        [0.0] * 3,
        -143.646142201,
        eq=[
            lambda x, o: 3 * x[0] - 2 * x[1] ** 2 - 7,
            lambda x, o: 4 * x[0] - x[2] ** 2 - 11,
        ],
        xstar=[5.32677015744, -2.11899863998, 3.21046423906],
    ),
    TestProblem(
        "HS62",
        _hs62,
        [0.7, 0.2, 0.1],
        -26272.5144873,
        eq=[lambda x, o: x[0] + x[1] + x[2] - 1],
        bounds=([0.0] * 3, [1.0] * 3),
        xstar=[0.617813298210, 0.328202155786, 0.0539845460119],
    ),
    TestProblem(
        "HS63",
        lambda x, o: 1000 - x[0] ** 2 - 2 * x[1] ** 2 - x[2] ** 2 - x[0] * x[1] - x[0] * x[2],
        [2.0] * 3,
        961.715172127,
        eq=[
            lambda x, o: 8 * x[0] + 14 * x[1] + 7 * x[2] - 56,
            lambda x, o: x[0] ** 2 + x[1] ** 2 + x[2] ** 2 - 25,
        ],
        bounds=([0.0] * 3, _none(3)),
        xstar=[3.51211841492, 0.216988174172, 3.55217403459],
    ),
    TestProblem(
        "HS64",
        lambda x, o: 5 * x[0] + 50000 / x[0] + 20 * x[1] + 72000 / x[1] + 10 * x[2] + 144000 / x[2],
        [1.0] * 3,
        6299.84242821,
        ineq=[lambda x, o: 1 - 4 / x[0] - 32 / x[1] - 120 / x[2]],
        bounds=([1e-5] * 3, _none(3)),
        xstar=[108.734717597, 85.1261394257, 204.324707858],
    ),
    TestProblem(
        "HS65",
        lambda x, o: (x[0] - x[1]) ** 2 + (x[0] + x[1] - 10) ** 2 / 9 + (x[2] - 5) ** 2,
        [-5.0, 5.0, 0.0],
        0.953528856757,
        ineq=[lambda x, o: 48 - x[0] ** 2 - x[1] ** 2 - x[2] ** 2],
        bounds=([-4.5, -4.5, -5.0], [4.5, 4.5, 5.0]),
        xstar=[3.65046182158, 3.65046168940, 4.62041750754],
    ),
    TestProblem(
        "HS66",
        lambda x, o: 0.2 * x[2] - 0.8 * x[0],
        [0.0, 1.05, 2.9],
        0.518163274159,
        ineq=[lambda x, o: x[1] - o.exp(x[0]), lambda x, o: x[2] - o.exp(x[1])],
        bounds=([0.0] * 3, [100.0, 100.0, 10.0]),
        xstar=[0.184126487951, 1.20216787321, 3.32732232258],
    ),
    TestProblem(
        "HS71",
        lambda x, o: x[0] * x[3] * (x[0] + x[1] + x[2]) + x[2],
        [1.0, 5.0, 5.0, 1.0],
        17.0140173,
        eq=[lambda x, o: x[0] ** 2 + x[1] ** 2 + x[2] ** 2 + x[3] ** 2 - 40],
        ineq=[lambda x, o: x[0] * x[1] * x[2] * x[3] - 25],
        bounds=([1.0] * 4, [5.0] * 4),
        xstar=[1.0, 4.74299937545, 3.82115032617, 1.37940824585],
    ),
    TestProblem(
        "HS72",
        lambda x, o: 1 + x[0] + x[1] + x[2] + x[3],
        [1.0] * 4,
        727.67937,
        ineq=[
            lambda x, o: 0.0401 - 4 / x[0] - 2.25 / x[1] - 1 / x[2] - 0.25 / x[3],
            lambda x, o: 0.010085 - 0.16 / x[0] - 0.36 / x[1] - 0.64 / x[2] - 0.64 / x[3],
        ],
        bounds=([0.001] * 4, [4e5, 3e5, 2e5, 1e5]),
        xstar=[193.407050141, 179.547504555, 185.018587841, 168.706233485],
    ),
    TestProblem(
        "HS73",
        lambda x, o: 24.55 * x[0] + 26.75 * x[1] + 39 * x[2] + 40.50 * x[3],
        [1.0] * 4,
        29.8943781573,
        eq=[lambda x, o: x[0] + x[1] + x[2] + x[3] - 1],
        ineq=[
            lambda x, o: 2.3 * x[0] + 5.6 * x[1] + 11.1 * x[2] + 1.3 * x[3] - 5,
            lambda x, o: (
                12 * x[0]
                + 11.9 * x[1]
                + 41.8 * x[2]
                + 52.1 * x[3]
                - 21
                - 1.645
                * o.sqrt(0.28 * x[0] ** 2 + 0.19 * x[1] ** 2 + 20.5 * x[2] ** 2 + 0.62 * x[3] ** 2)
            ),
        ],
        bounds=([0.0] * 4, _none(4)),
        xstar=[0.635521568605, -0.117862273760e-11, 0.312701880754, 0.0517765506011],
    ),
    TestProblem(
        "HS74",
        _hs74_75_f,
        [0.0] * 4,
        5126.49810934,
        **_hs74_75(0.55),
        xstar=[679.945319802, 1026.06713256, 0.118876364490, -0.396233553180],
    ),
    TestProblem(
        "HS75",
        _hs74_75_f,
        [0.0] * 4,
        5174.41288686,
        **_hs74_75(0.48),
        xstar=[776.159220293, 925.194939196, 0.0511087936804, -0.428891137432],
    ),
    TestProblem(
        "HS76",
        lambda x, o: (
            x[0] ** 2
            + 0.5 * x[1] ** 2
            + x[2] ** 2
            + 0.5 * x[3] ** 2
            - x[0] * x[2]
            + x[2] * x[3]
            - x[0]
            - 3 * x[1]
            + x[2]
            - x[3]
        ),
        [0.5] * 4,
        -4.681818181,
        ineq=[
            lambda x, o: 5 - x[0] - 2 * x[1] - x[2] - x[3],
            lambda x, o: 4 - 3 * x[0] - x[1] - 2 * x[2] + x[3],
            lambda x, o: x[1] + 4 * x[2] - 1.5,
        ],
        bounds=([0.0] * 4, [None] * 4),
        xstar=[3 / 11, 23 / 11, 0.0, 6 / 11],
    ),
    TestProblem(
        "HS77",
        lambda x, o: (
            (x[0] - 1) ** 2
            + (x[0] - x[1]) ** 2
            + (x[2] - 1) ** 2
            + (x[3] - 1) ** 4
            + (x[4] - 1) ** 6
        ),
        [2.0] * 5,
        0.241505128786,
        eq=[
            lambda x, o: x[0] ** 2 * x[3] + o.sin(x[3] - x[4]) - 2 * math.sqrt(2),
            lambda x, o: x[1] + x[2] ** 4 * x[3] ** 2 - 8 - math.sqrt(2),
        ],
        xstar=[1.16617219726, 1.18211138813, 1.38025704044, 1.50603627961, 0.610920257517],
    ),
    TestProblem(
        "HS78",
        lambda x, o: product([x[i] for i in range(5)]),
        [-2.0, 1.5, 2.0, -1.0, -1.0],
        -2.91970040911,
        eq=_HS78_EQ,
        xstar=[-1.71714234230, 1.59570826805, 1.82724803488, -0.763642946600, -0.763643482853],
    ),
    TestProblem(
        "HS79",
        lambda x, o: (
            (x[0] - 1) ** 2
            + (x[0] - x[1]) ** 2
            + (x[1] - x[2]) ** 2
            + (x[2] - x[3]) ** 4
            + (x[3] - x[4]) ** 4
        ),
        [2.0] * 5,
        0.0787768208538,
        eq=[
            lambda x, o: x[0] + x[1] ** 2 + x[2] ** 3 - 2 - 3 * math.sqrt(2),
            lambda x, o: x[1] - x[2] ** 2 + x[3] + 2 - 2 * math.sqrt(2),
            lambda x, o: x[0] * x[4] - 2,
        ],
        xstar=[1.19112745626, 1.36260316492, 1.47281793150, 1.63501661894, 1.67908143619],
    ),
    TestProblem(
        "HS80",
        lambda x, o: o.exp(product([x[i] for i in range(5)])),
        [-2.0, 2.0, 2.0, -1.0, -1.0],
        0.0539498477624,
        eq=_HS78_EQ,
        bounds=_HS80_BOUNDS,
        xstar=[-1.71714294417, 1.59570896503, 1.82724691654, -0.763641279311, -0.763645016315],
    ),
    TestProblem(
        "HS81",
        lambda x, o: (
            o.exp(product([x[i] for i in range(5)])) - 0.5 * (x[0] ** 3 + x[1] ** 3 + 1) ** 2
        ),
        [-2.0, 2.0, 2.0, -1.0, -1.0],
        0.0539498477749,
        eq=_HS78_EQ,
        bounds=_HS80_BOUNDS,
        xstar=[-1.71714240091, 1.59570833592, 1.82724792592, -0.763647440817, -0.763638975604],
    ),
    TestProblem(
        "HS83 Colville 3",
        lambda x, o: 5.3578547 * x[2] ** 2 + 0.8356891 * x[0] * x[4] + 37.293239 * x[0] - 40792.141,
        [78.0, 33.0, 27.0, 27.0, 27.0],
        -30665.5386717,
        ineq=[
            lambda x, o: _hs83_g(x, 0),
            lambda x, o: 92 - _hs83_g(x, 0),
            lambda x, o: _hs83_g(x, 1),
            lambda x, o: 20 - _hs83_g(x, 1),
            lambda x, o: _hs83_g(x, 2),
            lambda x, o: 5 - _hs83_g(x, 2),
        ],
        bounds=([78.0, 33.0, 27.0, 27.0, 27.0], [102.0, 45.0, 45.0, 45.0, 45.0]),
        xstar=[78.0, 33.0, 29.9952560253, 45.0, 36.7758129081],
    ),
    TestProblem(
        "HS84",
        _hs84_f,
        [2.52, 2.0, 37.5, 9.25, 6.8],
        -5280335.13306,
        ineq=[
            lambda x, o: _hs84_g(x, 0),
            lambda x, o: 294000 - _hs84_g(x, 0),
            lambda x, o: _hs84_g(x, 1),
            lambda x, o: 294000 - _hs84_g(x, 1),
            lambda x, o: _hs84_g(x, 2),
            lambda x, o: 277200 - _hs84_g(x, 2),
        ],
        bounds=([0.0, 1.2, 20.0, 9.0, 6.5], [1000.0, 2.4, 60.0, 9.3, 7.0]),
        xstar=[4.53743097466, 2.40000000002, 60.0, 9.29999999999, 7.0],
    ),
    TestProblem(
        "HS100",
        lambda x, o: (
            (x[0] - 10) ** 2
            + 5 * (x[1] - 12) ** 2
            + x[2] ** 4
            + 3 * (x[3] - 11) ** 2
            + 10 * x[4] ** 6
            + 7 * x[5] ** 2
            + x[6] ** 4
            - 4 * x[5] * x[6]
            - 10 * x[5]
            - 8 * x[6]
        ),
        [1.0, 2.0, 0.0, 4.0, 0.0, 1.0, 1.0],
        680.630057275,
        ineq=[
            lambda x, o: 127 - 2 * x[0] ** 2 - 3 * x[1] ** 4 - x[2] - 4 * x[3] ** 2 - 5 * x[4],
            lambda x, o: 282 - 7 * x[0] - 3 * x[1] - 10 * x[2] ** 2 - x[3] + x[4],
            lambda x, o: 196 - 23 * x[0] - x[1] ** 2 - 6 * x[5] ** 2 + 8 * x[6],
            lambda x, o: (
                -4 * x[0] ** 2 - x[1] ** 2 + 3 * x[0] * x[1] - 2 * x[2] ** 2 - 5 * x[5] + 11 * x[6]
            ),
        ],
        xstar=[
            2.33049937431,
            1.95137237315,
            -0.477541392625,
            4.36572623462,
            -0.624486970475,
            1.03813101881,
            1.59422671137,
        ],
    ),
    TestProblem(
        "HS104",
        _hs104_f,
        [6.0, 3.0, 0.4, 0.2, 6.0, 6.0, 1.0, 0.5],
        3.95116343955,
        ineq=[
            lambda x, o: 1 - 0.0588 * x[4] * x[6] - 0.1 * x[0],
            lambda x, o: 1 - 0.0588 * x[5] * x[7] - 0.1 * x[0] - 0.1 * x[1],
            lambda x, o: (
                1 - 4 * x[2] / x[4] - 2 / (x[2] ** 0.71 * x[4]) - 0.0588 * x[6] / x[2] ** 1.3
            ),
            lambda x, o: (
                1 - 4 * x[3] / x[5] - 2 / (x[3] ** 0.71 * x[5]) - 0.0588 * x[7] / x[3] ** 1.3
            ),
            lambda x, o: _hs104_f(x, o) - 1,
            lambda x, o: 4.2 - _hs104_f(x, o),
        ],
        bounds=([0.1] * 8, [10.0] * 8),
        xstar=[
            6.46511402796,
            2.23270864907,
            0.667397491303,
            0.595756422907,
            5.93267567811,
            5.52723456506,
            1.01332200907,
            0.400668229166,
        ],
    ),
    TestProblem(
        "HS106",
        lambda x, o: x[0] + x[1] + x[2],
        [5000.0, 5000.0, 5000.0, 200.0, 350.0, 150.0, 225.0, 425.0],
        7049.2480,
        ineq=[
            lambda x, o: 1 - 0.0025 * (x[3] + x[5]),
            lambda x, o: 1 - 0.0025 * (x[4] + x[6] - x[3]),
            lambda x, o: 1 - 0.01 * (x[7] - x[4]),
            lambda x, o: x[0] * x[5] - 833.33252 * x[3] - 100 * x[0] + 83333.333,
            lambda x, o: x[1] * x[6] - 1250 * x[4] - x[1] * x[3] + 1250 * x[3],
            lambda x, o: x[2] * x[7] - 1250000 - x[2] * x[4] + 2500 * x[4],
        ],
        bounds=(
            [100.0, 1000.0, 1000.0, 10.0, 10.0, 10.0, 10.0, 10.0],
            [10000.0] * 3 + [1000.0] * 5,
        ),
        xstar=[
            579.30668,
            1359.9707,
            5109.9707,
            182.01770,
            295.60117,
            217.98230,
            286.41653,
            395.60117,
        ],
        fstar_digits=8,
        note="the book prints f* = 7049.330923 at a point that is not optimal; "
        "7049.2480 and x* are Schittkowski's corrected values",
    ),
    TestProblem(
        "HS107",
        lambda x, o: 3000 * x[0] + 1000 * x[0] ** 3 + 2000 * x[1] + 666.667 * x[1] ** 3,
        [0.8, 0.8, 0.2, 0.2, 1.0454, 1.0454, 1.0454, 0.0, 0.0],
        5055.011803,
        eq=[_hs107_eq(k) for k in range(6)],
        bounds=(
            [0.0, 0.0, None, None, 0.90909, 0.90909, 0.90909, None, None],
            [None, None, None, None, 1.0909, 1.0909, 1.0909, None, None],
        ),
        xstar=[
            0.667009506909,
            1.02238816675,
            0.228287932605,
            0.184821729352,
            1.0909,
            1.0909,
            1.06903593236,
            0.106612642267,
            -0.338786658776,
        ],
    ),
    TestProblem(
        "HS108",
        lambda x, o: (
            -0.5
            * (x[0] * x[3] - x[1] * x[2] + x[2] * x[8] - x[4] * x[8] + x[4] * x[7] - x[5] * x[6])
        ),
        [1.0] * 9,
        -_SQRT3 / 2,
        ineq=[
            lambda x, o: 1 - x[2] ** 2 - x[3] ** 2,
            lambda x, o: 1 - x[8] ** 2,
            lambda x, o: 1 - x[4] ** 2 - x[5] ** 2,
            lambda x, o: 1 - x[0] ** 2 - (x[1] - x[8]) ** 2,
            lambda x, o: 1 - (x[0] - x[4]) ** 2 - (x[1] - x[5]) ** 2,
            lambda x, o: 1 - (x[0] - x[6]) ** 2 - (x[1] - x[7]) ** 2,
            lambda x, o: 1 - (x[2] - x[4]) ** 2 - (x[3] - x[5]) ** 2,
            lambda x, o: 1 - (x[2] - x[6]) ** 2 - (x[3] - x[7]) ** 2,
            lambda x, o: 1 - x[6] ** 2 - (x[7] - x[8]) ** 2,
            lambda x, o: x[0] * x[3] - x[1] * x[2],
            lambda x, o: x[2] * x[8],
            lambda x, o: -x[4] * x[8],
            lambda x, o: x[4] * x[7] - x[5] * x[6],
        ],
        bounds=([*_none(8), 0.0], _none(9)),
        xstar=[
            0.884129216724,
            0.467242472598,
            0.0374207573677,
            0.999299598210,
            0.884129216724,
            0.467242472594,
            0.0374207573618,
            0.999299598210,
            0.0,
        ],
    ),
    TestProblem(
        "HS109",
        lambda x, o: 3 * x[0] + 1e-6 * x[0] ** 3 + 2 * x[1] + 0.522074e-6 * x[1] ** 3,
        [0.0, 0.0, 0.0, 0.0, 250.0, 250.0, 200.0, 0.0, 0.0],
        5362.06927538,
        eq=[_hs109_eq(k) for k in range(6)],
        ineq=[
            lambda x, o: x[3] - x[2] + 0.55,
            lambda x, o: x[2] - x[3] + 0.55,
            lambda x, o: 2.25e6 - x[0] ** 2 - x[7] ** 2,
            lambda x, o: 2.25e6 - x[1] ** 2 - x[8] ** 2,
        ],
        bounds=(
            [0.0, 0.0, -0.55, -0.55, 196.0, 196.0, 196.0, -400.0, -400.0],
            [None, None, 0.55, 0.55, 252.0, 252.0, 252.0, 800.0, 800.0],
        ),
        xstar=[
            674.888100445,
            1134.17039470,
            0.133569060261,
            -0.371152592466,
            252.0,
            252.0,
            201.464535316,
            426.660777226,
            368.494083867,
        ],
    ),
    TestProblem(
        "HS110",
        _hs110,
        [9.0] * 10,
        -45.7784697153,
        bounds=([2.001] * 10, [9.999] * 10),
        xstar=[9.35025654733] * 10,
    ),
    TestProblem(
        "HS111",
        _hs111,
        [-2.3] * 10,
        -47.7610902637,
        eq=[(lambda x, o, k=k: _hs111_rows(k, o.exp(x))) for k in range(3)],
        bounds=([-100.0] * 10, [100.0] * 10),
        xstar=_HS111_XSTAR,
    ),
    TestProblem(
        "HS112",
        _hs112,
        [0.1] * 10,
        -47.76109026,
        eq=[(lambda x, o, k=k: _hs111_rows(k, x)) for k in range(3)],
        bounds=([1e-6] * 10, _none(10)),
        xstar=[math.exp(v) for v in _HS111_XSTAR],
        note="HS111 in x = exp(y), so x* = exp(HS111's x*); the book's x* for HS112 "
        "(f = -47.707579, kept in Schittkowski's update beside the corrected f*) is not optimal",
    ),
    TestProblem(
        "HS113 Wong 2",
        _hs113_f,
        [2.0, 3.0, 5.0, 5.0, 1.0, 2.0, 7.0, 3.0, 6.0, 10.0],
        24.3062090641,
        ineq=_HS113_INEQ,
        xstar=[
            2.17199637118,
            2.36368297378,
            8.77392573847,
            5.09598448797,
            0.990654764992,
            1.43057397893,
            1.32164420805,
            9.82872580801,
            8.28009167017,
            8.37592666387,
        ],
    ),
    TestProblem(
        "HS114 alkylation",
        lambda x, o: 5.04 * x[0] + 0.035 * x[1] + 10 * x[2] + 3.36 * x[4] - 0.063 * x[3] * x[6],
        [1745.0, 12000.0, 110.0, 3048.0, 1974.0, 89.2, 92.8, 8.0, 3.6, 145.0],
        -1768.80696344,
        eq=_HS114_EQ,
        ineq=_HS114_INEQ,
        bounds=(
            [1e-5] * 5 + [85.0, 90.0, 3.0, 1.2, 145.0],
            [2000.0, 16000.0, 120.0, 5000.0, 2000.0, 93.0, 95.0, 12.0, 4.0, 162.0],
        ),
        xstar=[
            1698.09564792,
            15818.7256985,
            54.1022827849,
            3031.22594099,
            2000.0,
            90.1153669236,
            95.0,
            10.4933580864,
            1.56163636380,
            153.535353535,
        ],
    ),
    TestProblem(
        "HS117 Colville 2",
        _hs117_f,
        [0.001] * 6 + [60.0] + [0.001] * 8,
        32.3486789791,
        ineq=[_hs117_g(j) for j in range(5)],
        bounds=([0.0] * 15, _none(15)),
        xstar=[
            0.0,
            0.0,
            5.17413630680,
            0.0,
            3.06109271525,
            11.8396760290,
            0.0,
            0.0,
            0.103907059194,
            0.0,
            0.299992902601,
            0.333470928832,
            0.399990975915,
            0.428314541579,
            0.223960749729,
        ],
    ),
    TestProblem(
        "HS118",
        _hs118_f,
        [20.0, 55.0, 15.0, 20.0, 60.0, 20.0, 20.0, 60.0, 20.0, 20.0, 60.0, 20.0, 20.0, 60.0, 20.0],
        664.820449993,
        ineq=_hs118_ineq(),
        bounds=(
            [8.0, 43.0, 3.0] + [0.0] * 12,
            [21.0, 57.0, 16.0] + [90.0, 120.0, 60.0] * 4,
        ),
        xstar=[
            8.0,
            49.0,
            3.0,
            1.0,
            56.0,
            0.0,
            0.999999999545,
            63.0,
            6.0,
            2.99999999965,
            70.0,
            12.0,
            4.99999999971,
            77.0,
            18.0,
        ],
    ),
    TestProblem(
        "HS119",
        _hs119_f,
        [10.0] * 16,
        244.899697515,
        eq=[_hs119_eq(k) for k in range(8)],
        bounds=([0.0] * 16, [5.0] * 16),
        xstar=[
            0.0398473514099,
            0.791983155694,
            0.202870330224,
            0.844357916347,
            1.26990645286,
            0.934738707827,
            1.68196196924,
            0.155300877490,
            1.56787033356,
            -0.359021173251e-11,
            -0.612900888082e-11,
            -0.886794857449e-12,
            0.660204066000,
            -0.254340725727e-11,
            0.674255926901,
            -0.110433723798e-10,
        ],
    ),
]
