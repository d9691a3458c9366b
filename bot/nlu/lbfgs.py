"""L-BFGS for the large, smooth, convex problems of ``bot.nlu.logistic``, with its memory in one
block so that an iteration reads it twice.

SciPy's L-BFGS-B (Fortran) spent 11.4 of a 20-second intent fit of the bot's own data (1.1 M
weights) inside the optimiser and 2 more converting "no bounds" into 1.1 M bounds; the loss and
gradient took 4.5. Here the ``m`` most recent steps ``s`` and gradient changes ``y`` are rows of
one ``(2m, n)`` float32 array (the products over it are memory-bound: half the bytes, half the
time; the direction only needs to be a good one, the line search and the stopping rule work
in float64), and the search direction is the compact form of the L-BFGS matrix (Byrd,
Nocedal & Schnabel 1994, eq. 3.2, the representation L-BFGS-B uses): one matrix–vector product
gives ``Sᵀg``, ``Yᵀg`` and the new rows of ``SᵀY`` and ``YᵀY``; a second one the direction.

Same iteration as L-BFGS-B without bounds, same stopping rule: the largest gradient component
≤ ``gtol``, or a relative decrease of the objective ≤ ``ftol`` (SciPy's defaults), or
``maxiter`` iterations. The line search backtracks from the unit step (the first iteration
from ``1 / ‖g‖``) until the Armijo condition holds; on these strictly convex objectives every
step has ``sᵀy > 0``, so no curvature test is needed to keep the matrix positive definite (a
pair with ``sᵀy`` ≤ 0 from rounding is skipped).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.linalg import solve_triangular

Objective = Callable[[np.ndarray], tuple[float, np.ndarray]]

FTOL = 2.220446049250313e-09
"""SciPy's L-BFGS-B default ``ftol`` (``factr`` 1e7 × machine epsilon)."""


@dataclass
class Result:
    x: np.ndarray
    fun: float
    nit: int


class _Memory:
    """The last ``m`` pairs in slots (rows of ``s`` and ``y``, no copies when one is replaced),
    their order (oldest first), and the small matrices ``s_i · y_j`` and ``y_i · y_j``."""

    def __init__(self, m: int, n: int) -> None:
        self.m = m
        block = np.empty((2 * m, n), dtype=np.float32)  # half the memory traffic
        self.s, self.y = block[:m], block[m:]
        self.sy = np.zeros((m, m))
        self.yy = np.zeros((m, m))
        self.order: list[int] = []

    def clear(self) -> None:
        self.order = []

    def push(self, s: np.ndarray, y: np.ndarray) -> None:
        filled = len(self.order)
        slot = filled if filled < self.m else self.order.pop(0)
        self.order.append(slot)
        self.s[slot] = s
        self.y[slot] = y
        k = max(filled, slot + 1)  # slots 0..k-1 hold pairs
        s, y = self.s[slot], self.y[slot]  # as stored (float32)
        s_y = self.s[:k] @ y  # s_i · y_new
        y_sy = self.y[:k] @ np.stack([s, y], axis=1)  # y_j · s_new, y_j · y_new
        self.sy[:k, slot] = s_y
        self.sy[slot, :k] = y_sy[:, 0]
        self.yy[:k, slot] = y_sy[:, 1]
        self.yy[slot, :k] = y_sy[:, 1]

    def apply(self, g: np.ndarray) -> np.ndarray:
        """H g for the L-BFGS inverse Hessian of the stored pairs (compact form)."""
        idx = np.array(self.order)
        k = len(idx)
        filled = int(idx.max()) + 1
        g32 = g.astype(np.float32)
        a = (self.s[:filled] @ g32)[idx].astype(np.float64)  # Sᵀg, oldest first
        b = (self.y[:filled] @ g32)[idx].astype(np.float64)  # Yᵀg
        sy = self.sy[np.ix_(idx, idx)]
        yy = self.yy[np.ix_(idx, idx)]
        newest = k - 1
        gamma = sy[newest, newest] / yy[newest, newest]
        r = np.triu(sy)  # R: s_i · y_j for i <= j
        r_inv_a = solve_triangular(r, a, lower=False)
        p1 = solve_triangular(r, (np.diag(np.diag(sy)) + gamma * yy) @ r_inv_a - gamma * b,
                              trans="T", lower=False)
        coef_s = np.zeros(filled)
        coef_y = np.zeros(filled)
        coef_s[idx] = p1
        coef_y[idx] = -gamma * r_inv_a
        out = (coef_s.astype(np.float32) @ self.s[:filled]).astype(np.float64)
        out += coef_y.astype(np.float32) @ self.y[:filled]
        out += gamma * g
        return out


def minimize(fun: Objective, x0: np.ndarray, gtol: float = 1e-5, maxiter: int = 15000,
             history: int = 10, ftol: float = FTOL) -> Result:
    """Minimise ``fun`` (returning the value and the gradient) from ``x0``."""
    x = np.array(x0, dtype=np.float64)
    f, g = fun(x)
    memory = _Memory(history, x.size)
    nit = 0
    while nit < maxiter and np.abs(g).max() > gtol:
        if memory.order:
            d = -memory.apply(g)
        else:
            d = -g / max(float(np.linalg.norm(g)), 1e-300)
        slope = float(g @ d)
        if slope >= 0:  # not a descent direction (rounding): restart from the gradient
            memory.clear()
            d = -g / max(float(np.linalg.norm(g)), 1e-300)
            slope = float(g @ d)
        step = 1.0
        while True:
            x_new = x + step * d
            f_new, g_new = fun(x_new)
            if f_new <= f + 1e-4 * step * slope:
                break
            # the minimum of the quadratic through f, the slope and f_new, kept in [0.1, 0.5]
            shrink = -slope * step / (2.0 * (f_new - f - slope * step))
            step *= min(max(shrink, 0.1), 0.5)
            if step < 1e-20:
                return Result(x=x, fun=f, nit=nit)
        s = x_new - x
        y = g_new - g
        nit += 1
        decrease = (f - f_new) / max(abs(f), abs(f_new), 1.0)
        x, f, g = x_new, f_new, g_new
        if float(s @ y) > 1e-10 * float(y @ y):
            memory.push(s, y)
        if decrease <= ftol:
            break
    return Result(x=x, fun=f, nit=nit)
