"""The curvature at a point in the directions where the parameters are free:
what the verdict reads.

- `FreeSpace`: the directions left free by the active bounds (a mask) and the
  active constraint rows (a null space), as a dense basis for small problems
  and as a projector for large ones;
- `Spectrum`: a reduced Hessian's eigenvalues on the scale of its own diagonal;
- `examine`: the smallest and largest curvature and the EDM, from the
  eigenvalues of the reduced Hessian (dense, up to `DENSE_HESSIAN_MAX`
  parameters) or from LOBPCG and conjugate gradients on Hessian-vector
  products (above), so that memory stays O(n).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._hessians import _eps, default_method, lagrangian_hessian, lagrangian_hvp, symmetric
from ._methods import DENSE_HESSIAN_MAX

# -- the free directions ------------------------------------------------------------------


def active_rows(
    c: np.ndarray | None, cset: Any, lam: np.ndarray | None = None
) -> np.ndarray | None:
    """A boolean mask of the active constraint rows at values `c`: every
    equality, the inequalities at a side and, with the multipliers `lam`, an
    inequality near a side whose multiplier pushes (an interior-point method
    ends a little inside)."""
    if cset is None or c is None:
        return None
    slack = np.minimum(np.abs(c - cset.lb), np.abs(c - cset.ub))
    eq = cset.lb == cset.ub
    active = eq | (slack <= 1e-6 * (1.0 + np.abs(c)))
    if lam is not None and lam.shape == c.shape:
        scale = 1.0 + float(np.max(np.abs(lam))) if lam.size else 1.0
        pushing = np.abs(lam) > 1e-6 * scale
        active |= pushing & (slack <= 1e-3 * (1.0 + np.abs(c)))
    return active


class FreeSpace:
    """The directions in which the parameters are free at a point: the
    parameters not at a bound (`free`, a mask), and within those the null
    space of the active constraint rows `A` (restricted to the free columns)."""

    def __init__(self, n: int, free: np.ndarray, A: np.ndarray | None):
        self.n = n
        self.free = free
        self.A = None if A is None or A.shape[0] == 0 else A[:, free]
        self._q: np.ndarray | None = None

    @classmethod
    def at(
        cls, problem: Any, x: np.ndarray, c: Any, J: Any, lam: Any, pushing: Any = None
    ) -> FreeSpace:
        """At `x`, with constraint values `c`, Jacobian `J`, multipliers `lam`
        and bound multipliers `pushing` (z_lower, z_upper) where known."""
        from ._constraints import _active_bounds

        n = x.size
        free = np.ones(n, dtype=bool)
        if problem.bounds is not None:
            lo, up = _active_bounds(x, problem.bounds, pushing)
            free[lo] = False
            free[up] = False
        rows = active_rows(c, problem.constraints, lam)
        A = None
        if rows is not None and J is not None and np.any(rows):
            A = np.asarray(J, dtype=np.float64)[rows]
        return cls(n, free, A)

    @property
    def trivial(self) -> bool:
        """Nothing is active: every direction is free."""
        return self.A is None and bool(np.all(self.free))

    def basis(self) -> np.ndarray:
        """An orthonormal basis of the free directions, (n, k), dense."""
        idx = np.flatnonzero(self.free)
        inner = np.eye(idx.size) if self.A is None else self._svd()[1]
        z = np.zeros((self.n, inner.shape[1]))
        z[idx] = inner
        return z

    def _svd(self) -> tuple[np.ndarray, np.ndarray]:
        """(row space, null space) of A over the free parameters, from one SVD
        (for dense problems; the projector of large ones takes a QR)."""
        if self._q is None or not hasattr(self, "_null"):
            m = self.A.shape[1]
            if self.A.size == 0:
                self._q, self._null = np.zeros((m, 0)), np.eye(m)
            else:
                _, sv, vt = np.linalg.svd(self.A, full_matrices=True)
                rank = int(np.sum(sv > 1e-12 * max(1.0, float(sv[0])))) if sv.size else 0
                self._q, self._null = vt[:rank].T, vt[rank:].T
        return self._q, self._null

    def _rows_q(self) -> np.ndarray | None:
        if self.A is None:
            return None
        if self.A.shape[1] <= DENSE_HESSIAN_MAX:
            return self._svd()[0]
        if self._q is None:
            if self.A.size == 0:  # every parameter is held by its bounds
                self._q = np.zeros((self.A.shape[1], 0))
                return self._q
            from scipy.linalg import qr

            q, r, _ = qr(self.A.T, mode="economic", pivoting=True)  # rank-revealing
            d = np.abs(np.diag(r))
            rank = int(np.sum(d > 1e-12 * max(1.0, float(d[0])))) if d.size else 0
            self._q = q[:, :rank]
        return self._q

    def dimension(self) -> int:
        q = self._rows_q()
        return int(np.sum(self.free)) - (0 if q is None else q.shape[1])

    def project(self, p_free: np.ndarray) -> np.ndarray:
        """`p_free` (over the free parameters) with its part along the active
        rows removed."""
        q = self._rows_q()
        return p_free if q is None else p_free - q @ (q.T @ p_free)

    def embed(self, p_free: np.ndarray) -> np.ndarray:
        out = np.zeros(self.n)
        out[self.free] = p_free
        return out


# -- the examination ------------------------------------------------------------------------


@dataclass
class Curvature:
    """What the second derivatives say at a point, in the free directions.

    edm : 1/2 g^T H^-1 g (flat directions count with the curvature floor).
    min_curvature, max_curvature : the extreme eigenvalues of the reduced
        Hessian of the Lagrangian, in the parameters' own units (NaN when
        there is no free direction).
    relative : the smallest eigenvalue on the scale of the Hessian's own
        diagonal (see `Spectrum`): dimensionless, what "negative" is judged by.
    negative : whether some direction curves down beyond `rtol` (relative).
    direction : a unit vector (full space) along the smallest curvature, when
        it is negative: the way out of a saddle.
    method : "exact" or "finite differences"; free : the free dimension.
    """

    edm: float
    min_curvature: float
    max_curvature: float
    relative: float
    negative: bool
    direction: np.ndarray | None
    method: str
    free: int
    rtol: float
    #: no free direction curves at all (the Hessian there is zero): a plateau,
    #: where no second-order evidence can tell a minimum
    flat: bool = False


def curvature_rtol(problem: Any, method: str) -> float:
    """How small a curvature, relative to the largest, counts as zero: a
    multiple of the evaluation precision for exact Hessians, more for
    finite differences."""
    eps = _eps(problem)
    if method == "autodiff":
        return max(1e-8, 1e3 * eps)
    return max(1e-5, math.sqrt(eps) * 10)


def examine(
    problem: Any,
    x: np.ndarray,
    g: np.ndarray,
    space: FreeSpace,
    lam: np.ndarray | None,
    method: str | None = None,
) -> Curvature:
    """The curvature and the EDM at `x` with gradient `g` (the Lagrangian's)
    in the free directions of `space`."""
    method = method or default_method(problem)
    rtol = curvature_rtol(problem, method)
    label = "exact" if method == "autodiff" else "finite differences"
    k = space.dimension()
    if k == 0:
        return Curvature(0.0, math.nan, math.nan, math.nan, False, None, label, 0, rtol)
    if problem.n <= DENSE_HESSIAN_MAX:
        return _dense(problem, x, g, space, lam, method, rtol, label)
    return _matrix_free(problem, x, g, space, lam, method, rtol, label, k)


class Spectrum:
    """The eigen-decomposition of a (reduced) Hessian `h`, judged on the
    scale of its own diagonal: parameters of very different scales (a yield
    of thousands next to a width of one) make eigenvalues differ by orders of
    magnitude without any direction being flat. On ``S h S``, S = diag(h)^-1/2,
    a curvature counts as zero below `rtol` and as negative below -`rtol`.

    w, v : eigenvalues and eigenvectors of the scaled matrix; `scale` the
    diagonal of S (each eigenvector of the scaled matrix is the direction
    ``scale * v[:, i]`` of the parameters)."""

    def __init__(self, h: np.ndarray, rtol: float):
        h = symmetric(h)
        d = np.abs(np.diag(h))
        top = float(d.max()) if d.size else 0.0
        if top > 0 and math.isfinite(top):
            self.scale = 1.0 / np.sqrt(np.maximum(d, 1e-300 * top))
        else:
            self.scale = np.ones(d.size)
        self.h = h
        self.w, self.v = np.linalg.eigh(self.scale[:, None] * h * self.scale)
        self.rtol = rtol

    @property
    def good(self) -> np.ndarray:
        return self.w > self.rtol

    @property
    def flat(self) -> np.ndarray:
        return np.abs(self.w) <= self.rtol

    @property
    def negative(self) -> np.ndarray:
        return self.w < -self.rtol

    def directions(self) -> np.ndarray:
        """The eigenvectors as directions of the parameters (columns, unscaled)."""
        return self.scale[:, None] * self.v

    def edm(self, g: np.ndarray) -> float:
        """1/2 g^T h^-1 g, the flat (and negative) directions at the floor `rtol`."""
        comp = self.v.T @ (self.scale * g)
        with np.errstate(over="ignore", invalid="ignore"):
            value = 0.5 * float(comp**2 @ (1.0 / np.maximum(np.abs(self.w), self.rtol)))
        return value if math.isfinite(value) else math.inf

    def inverse(self) -> np.ndarray:
        """h^-1 over the good directions (the others left out)."""
        d = self.directions()[:, self.good]
        return (d / self.w[self.good]) @ d.T


def _dense(problem, x, g, space, lam, method, rtol, label) -> Curvature:
    h = lagrangian_hessian(problem, x, lam, method)
    k = space.dimension()
    if not np.all(np.isfinite(h)):
        return Curvature(math.inf, math.nan, math.nan, math.nan, False, None, label, k, rtol)
    z = None if space.trivial else space.basis()
    if z is not None:
        h = z.T @ h @ z
        g = z.T @ g
    spectrum = Spectrum(h, rtol)
    # in the parameters' own units, for the record and the escape (the scaled
    # matrix has as many negative eigenvalues as h: Sylvester's law of inertia)
    negative = bool(spectrum.w[0] < -rtol)
    direction = None
    if negative:
        w, v = np.linalg.eigh(spectrum.h)
        d = v[:, 0] if z is None else z @ v[:, 0]
        direction = d / np.linalg.norm(d)
    else:
        w = np.linalg.eigvalsh(spectrum.h)
    return Curvature(
        spectrum.edm(g),
        float(w[0]),
        float(w[-1]),
        float(spectrum.w[0]),
        negative,
        direction,
        label,
        int(w.size),
        rtol,
        flat=bool(np.all(spectrum.h == 0.0)),
    )


def _matrix_free(problem, x, g, space, lam, method, rtol, label, k) -> Curvature:
    """LOBPCG for the extreme curvatures (a few dozen Hessian-vector products,
    a handful of vectors: O(n) memory) and conjugate gradients for the EDM,
    restricted to the free directions. A negative Rayleigh quotient is
    evidence of negative curvature whatever the convergence; the smallest
    curvature reported is LOBPCG's estimate, an upper bound of the true one."""
    from scipy.sparse.linalg import LinearOperator, cg, lobpcg

    hvp = lagrangian_hvp(problem, x, lam, method)
    free = space.free
    m = int(np.sum(free))
    q = space._rows_q()

    def reduced(p):
        p = space.project(np.ravel(p))
        return space.project(hvp(space.embed(p))[free])

    def block(op):
        def matmat(block):
            block = np.asarray(block).reshape(m, -1)
            return np.column_stack([op(block[:, i]) for i in range(block.shape[1])])

        return LinearOperator((m, m), matvec=op, matmat=matmat, dtype=np.float64)

    rng = np.random.default_rng(0)
    with problem.backend.session(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # LOBPCG's "not reaching the tolerance"
        plain = block(reduced)
        start = space.project(rng.standard_normal(m))[:, None]
        top_w, _ = lobpcg(plain, start, largest=True, maxiter=_LOBPCG_TOP, tol=1e-2)
        top = float(top_w[0])
        # the directions the active rows take away (curvature 0 in `plain`)
        # get a curvature above every free one, so they never pass for the smallest
        shift = 2.0 * abs(top) + 1e-300

        def op(p):
            p = np.ravel(p)
            out = reduced(p)
            return out if q is None else out + shift * (q @ (q.T @ p))

        A = plain if q is None else block(op)
        start = space.project(rng.standard_normal(m))[:, None]
        low_w, low_v = lobpcg(A, start, largest=False, maxiter=_LOBPCG_LOW, tol=1e-3)
        low, vec = float(low_w[0]), low_v[:, 0]
        scale = max(abs(top), abs(low))
        floor = rtol * scale if scale > 0 else 1e-300
        rhs = space.project(g[free])
        negative = bool(low < -floor)
        solver = A
        if low <= floor:  # not positive definite: the EDM with the floor, as the dense one
            lift = 2.0 * floor - low
            solver = block(lambda p: A.matvec(p) + lift * np.ravel(p))
        y, info = cg(solver, rhs, rtol=1e-4, maxiter=min(m, _CG_STEPS))
        edm = 0.5 * float(rhs @ y)
        if info != 0:  # stopped short: CG's estimate is low; add what the residual can hide
            r = rhs - solver.matvec(y)
            edm += 0.5 * float(r @ r) / max(low if low > floor else floor, 1e-300)
    direction = None
    if negative:
        d = space.embed(space.project(vec))
        direction = d / max(np.linalg.norm(d), 1e-300)
    relative = low / scale if scale > 0 else 0.0
    return Curvature(
        max(edm, 0.0), low, top, relative, negative, direction, label, k, rtol, flat=scale == 0
    )


#: LOBPCG iterations for the largest curvature (a scale) and the smallest one,
#: and the most conjugate-gradient steps for the EDM, above DENSE_HESSIAN_MAX.
_LOBPCG_TOP = 8
_LOBPCG_LOW = 25
_CG_STEPS = 200


__all__ = ["Curvature", "FreeSpace", "Spectrum", "curvature_rtol", "examine"]
