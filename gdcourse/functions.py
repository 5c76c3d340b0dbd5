"""Test functions for optimisers: value, analytic gradient and Hessian, and known minima.

A point is an array whose first axis has one entry per coordinate, so the same
formula evaluates a single point (shape (dim,)), a whole grid for a contour plot
(shape (dim, ny, nx)) and a torch tensor for autograd.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from . import validate

__all__ = [
    "TestFunction",
    "quadratic_1d",
    "double_well",
    "quadratic",
    "bowl",
    "ravine",
    "rosenbrock",
    "saddle",
    "several_minima",
    "himmelblau",
    "FUNCTIONS",
    "get",
]


@dataclass(frozen=True)
class TestFunction:
    """A differentiable function with what the lessons need to know about it.

    Introduced in lesson 01; lesson 11 builds one by hand.
    """

    __test__ = False  # not a pytest test class, despite the name

    name: str
    dim: int
    # The bare formulas, unchecked: call fn(p), fn.gradient(p) and fn.hessian(p) instead.
    value: Callable
    gradient_formula: Callable
    hessian_formula: Callable
    minima: tuple[np.ndarray, ...]
    bounds: tuple[tuple[float, float], ...]
    saddles: tuple[np.ndarray, ...] = ()
    curvature: float | None = None  # largest Hessian eigenvalue, where it is constant
    formula: str = ""
    extra: dict = field(default_factory=dict)

    def _check(self, p):
        shape = tuple(p.shape if hasattr(p, "shape") else np.shape(p))
        if not shape or shape[0] != self.dim:
            raise ValueError(
                f"point for {self.name} must have {self.dim} coordinate(s) on its first axis, "
                f"got shape {shape}"
            )

    def __call__(self, p):
        """The loss at p (NumPy array, grid of points, or torch tensor)."""
        self._check(p)
        return self.value(p)

    def gradient(self, p) -> np.ndarray:
        """Analytic gradient at p, shape (dim, ...) like p.

        Introduced in lesson 01.
        """
        p = validate.finite_array("point", p)
        self._check(p)
        return np.asarray(self.gradient_formula(p), dtype=np.float64)

    def hessian(self, p) -> np.ndarray:
        """Analytic Hessian at a single point, shape (dim, dim).

        Introduced in lesson 01.
        """
        p = validate.finite_array("point", p, shape=(self.dim,))
        return np.asarray(self.hessian_formula(p), dtype=np.float64)

    @property
    def global_minimum(self) -> np.ndarray | None:
        """The lowest of the known minima (None when the function has none)."""
        if not self.minima:
            return None
        return min(self.minima, key=lambda m: float(self.value(m)))


def _newton(grad, hess, start, steps: int = 30) -> np.ndarray:
    """Polish an approximate stationary point with Newton's method, to machine precision."""
    p = np.asarray(start, dtype=np.float64)
    for _ in range(steps):
        p = p - np.linalg.solve(np.atleast_2d(hess(p)), np.atleast_1d(grad(p)))
    return p


# ---------------------------------------------------------------------- 1-D functions


def quadratic_1d(curvature: float = 1.0, center: float = 0.0) -> TestFunction:
    """L(θ) = (c/2)(θ − center)²: gradient descent converges for η < 2/c.

    Introduced in lesson 01.
    """
    c = validate.positive("curvature", curvature)
    return TestFunction(
        name=f"quadratic (curvature {c:g})",
        dim=1,
        value=lambda p: 0.5 * c * (p[0] - center) ** 2,
        gradient_formula=lambda p: np.stack([c * (p[0] - center)]),
        hessian_formula=lambda p: np.array([[c]]),
        minima=(np.array([float(center)]),),
        bounds=((center - 3.0, center + 3.0),),
        curvature=c,
        formula=r"L(\theta) = \tfrac{c}{2}(\theta - \theta^\ast)^2",
    )


def _quartic_critical_points(tilt: float) -> tuple[list[float], list[float]]:
    """Minima and maxima of q(t) = t⁴ − 3t² + tilt·t, from the roots of q'."""
    roots = np.roots([4.0, 0.0, -6.0, tilt])
    real = sorted(r.real for r in roots if abs(r.imag) < 1e-12)
    minima = [t for t in real if 12 * t * t - 6 > 0]
    maxima = [t for t in real if 12 * t * t - 6 < 0]
    return minima, maxima


def double_well(tilt: float = 1.0) -> TestFunction:
    """L(θ) = θ⁴ − 3θ² + tilt·θ: non-convex, a shallow local and a deeper global minimum.

    Introduced in lesson 01.
    """
    minima, _ = _quartic_critical_points(tilt)

    def grad(p):
        return np.stack([4 * p[0] ** 3 - 6 * p[0] + tilt])

    def hess(p):
        return np.array([[12 * p[0] ** 2 - 6]])

    return TestFunction(
        name="tilted double well",
        dim=1,
        value=lambda p: p[0] ** 4 - 3 * p[0] ** 2 + tilt * p[0],
        gradient_formula=grad,
        hessian_formula=hess,
        minima=tuple(_newton(grad, hess, [m]) for m in minima),
        bounds=((-2.2, 2.2),),
        formula=rf"L(\theta) = \theta^4 - 3\theta^2 + {tilt:g}\,\theta",
    )


# ---------------------------------------------------------------------- 2-D functions


def quadratic(A, b=(0.0, 0.0), *, name: str = "quadratic", bounds=None) -> TestFunction:
    """L(θ) = ½ θᵀAθ − bᵀθ for a symmetric positive-definite 2×2 matrix A.

    Introduced in lesson 02.
    """
    A = validate.finite_array("A", A, shape=(2, 2))
    b = validate.finite_array("b", b, shape=(2,))
    if not np.allclose(A, A.T):
        raise ValueError(f"A must be symmetric, got {A.tolist()}")
    eigenvalues = np.linalg.eigvalsh(A)
    if eigenvalues[0] <= 0:
        raise ValueError(f"A must be positive definite, got eigenvalues {eigenvalues.tolist()}")
    (a00, a01), (_, a11) = A
    b0, b1 = b
    minimum = np.linalg.solve(A, b)

    def value(p):
        x, y = p[0], p[1]
        return 0.5 * (a00 * x * x + 2 * a01 * x * y + a11 * y * y) - b0 * x - b1 * y

    def grad(p):
        x, y = p[0], p[1]
        return np.stack([a00 * x + a01 * y - b0, a01 * x + a11 * y - b1])

    return TestFunction(
        name=name,
        dim=2,
        value=value,
        gradient_formula=grad,
        hessian_formula=lambda p: A.copy(),
        minima=(minimum,),
        bounds=bounds or ((minimum[0] - 3, minimum[0] + 3), (minimum[1] - 3, minimum[1] + 3)),
        curvature=float(eigenvalues[-1]),
        formula=r"L(\theta) = \tfrac12 \theta^\top A \theta - b^\top \theta",
        extra={
            "A": A,
            "b": b,
            "eigenvalues": eigenvalues,
            "condition": eigenvalues[-1] / eigenvalues[0],
        },
    )


def bowl() -> TestFunction:
    """L(x, y) = ½(x² + y²): round contours, the easy case.

    Introduced in lesson 11.
    """
    return quadratic(np.eye(2), name="bowl", bounds=((-3, 3), (-3, 3)))


def ravine(condition: float = 10.0, angle: float = 0.0) -> TestFunction:
    """An ill-conditioned quadratic with Hessian eigenvalues 1 and `condition`.

    `angle` (radians) rotates the ravine so it is not aligned with the axes.

    Introduced in lesson 08.
    """
    kappa = validate.positive("condition", condition)
    if kappa < 1:
        raise ValueError(f"condition must be >= 1 (largest over smallest curvature), got {kappa}")
    c, s = np.cos(angle), np.sin(angle)
    R = np.array([[c, -s], [s, c]])
    A = R @ np.diag([1.0, kappa]) @ R.T
    A = 0.5 * (A + A.T)
    return quadratic(A, name=f"ravine (condition {kappa:g})", bounds=((-10, 10), (-5, 5)))


def rosenbrock(a: float = 1.0, b: float = 100.0) -> TestFunction:
    """L(x, y) = (a − x)² + b(y − x²)²: a curved valley with its minimum at (a, a²).

    Introduced in lesson 10.
    """
    b = validate.positive("b", b)

    def value(p):
        x, y = p[0], p[1]
        return (a - x) ** 2 + b * (y - x * x) ** 2

    def grad(p):
        x, y = p[0], p[1]
        return np.stack([-2 * (a - x) - 4 * b * x * (y - x * x), 2 * b * (y - x * x)])

    def hess(p):
        x, y = p
        return np.array([[2 - 4 * b * (y - 3 * x * x), -4 * b * x], [-4 * b * x, 2 * b]])

    return TestFunction(
        name="Rosenbrock",
        dim=2,
        value=value,
        gradient_formula=grad,
        hessian_formula=hess,
        minima=(np.array([a, a * a]),),
        bounds=((-2.0, 2.0), (-1.0, 3.0)),
        formula=rf"L(x, y) = ({a:g} - x)^2 + {b:g}\,(y - x^2)^2",
    )


def saddle() -> TestFunction:
    """L(x, y) = x² − y²: zero gradient at the origin, which is not a minimum.

    Introduced in lesson 11.
    """
    return TestFunction(
        name="saddle",
        dim=2,
        value=lambda p: p[0] ** 2 - p[1] ** 2,
        gradient_formula=lambda p: np.stack([2 * p[0], -2 * p[1]]),
        hessian_formula=lambda p: np.diag([2.0, -2.0]),
        minima=(),
        saddles=(np.zeros(2),),
        bounds=((-2.0, 2.0), (-2.0, 2.0)),
        formula=r"L(x, y) = x^2 - y^2",
    )


def several_minima(tilt_x: float = 1.0, tilt_y: float = 0.5) -> TestFunction:
    """L(x, y) = q(x) + q(y) with tilted double wells q: four minima of different depths.

    Introduced in lesson 11.
    """
    xs_min, xs_max = _quartic_critical_points(tilt_x)
    ys_min, ys_max = _quartic_critical_points(tilt_y)

    def value(p):
        x, y = p[0], p[1]
        return x**4 - 3 * x**2 + tilt_x * x + y**4 - 3 * y**2 + tilt_y * y

    def grad(p):
        x, y = p[0], p[1]
        # x * x * x, not x**3: NumPy's power calls pow(), about ten times slower, and
        # lesson 11 descends from tens of thousands of starts at once
        return np.stack([4 * x * x * x - 6 * x + tilt_x, 4 * y * y * y - 6 * y + tilt_y])

    def hess(p):
        return np.diag([12 * p[0] ** 2 - 6, 12 * p[1] ** 2 - 6])

    def polish(points):
        return tuple(_newton(grad, hess, pt) for pt in points)

    return TestFunction(
        name="several minima",
        dim=2,
        value=value,
        gradient_formula=grad,
        hessian_formula=hess,
        minima=polish([(x, y) for x in xs_min for y in ys_min]),
        saddles=polish(
            [(x, y) for x in xs_min for y in ys_max] + [(x, y) for x in xs_max for y in ys_min]
        ),
        bounds=((-2.2, 2.2), (-2.2, 2.2)),
        formula=rf"L(x, y) = x^4 - 3x^2 + {tilt_x:g}x + y^4 - 3y^2 + {tilt_y:g}y",
    )


def himmelblau() -> TestFunction:
    """L(x, y) = (x² + y − 11)² + (x + y² − 7)²: four minima, all with L = 0.

    Introduced in lesson 11.
    """

    def value(p):
        x, y = p[0], p[1]
        return (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2

    def grad(p):
        x, y = p[0], p[1]
        u, v = x * x + y - 11, x + y * y - 7
        return np.stack([4 * x * u + 2 * v, 2 * u + 4 * y * v])

    def hess(p):
        x, y = p
        return np.array(
            [[12 * x * x + 4 * y - 42, 4 * (x + y)], [4 * (x + y), 12 * y * y + 4 * x - 26]]
        )

    approximate = [(3.0, 2.0), (-2.8, 3.1), (-3.8, -3.3), (3.6, -1.8)]
    approximate_saddles = [(-3.07, -0.08), (-0.13, -1.95), (0.09, 2.88), (3.39, 0.07)]
    return TestFunction(
        name="Himmelblau",
        dim=2,
        value=value,
        gradient_formula=grad,
        hessian_formula=hess,
        minima=tuple(_newton(grad, hess, m) for m in approximate),
        saddles=tuple(_newton(grad, hess, s) for s in approximate_saddles),
        bounds=((-5.0, 5.0), (-5.0, 5.0)),
        formula=r"L(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2",
    )


FUNCTIONS = {
    "quadratic_1d": quadratic_1d,
    "double_well": double_well,
    "bowl": bowl,
    "ravine": ravine,
    "rosenbrock": rosenbrock,
    "saddle": saddle,
    "several_minima": several_minima,
    "himmelblau": himmelblau,
}


def get(name: str, **params) -> TestFunction:
    """Build a test function by name, e.g. get("ravine", condition=50)."""
    try:
        factory = FUNCTIONS[name]
    except KeyError:
        raise ValueError(f"unknown function {name!r}; choose one of {sorted(FUNCTIONS)}") from None
    return factory(**params)
