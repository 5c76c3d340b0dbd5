"""gdcourse: the helper package of a Jupyter course on gradient descent with PyTorch.

Modules, one concern each:
  data       the course's data sets (seeded) and a fast mini-batch iterator
  functions  1-D and 2-D test functions with analytic gradients, Hessians and minima
  optim      NumPy reference optimisers and schedules, and a trajectory runner
  rates      convergence rates of GD and momentum on quadratics (the (η, β) map)
  plot       figures in one consistent look, drawn on an Axes you pass or one made for you
  course     the list of lessons and the environment report used by lesson 00
  notebooks  executing notebooks in a fresh kernel (behind `make notebooks`)

Importing the package is cheap: torch and matplotlib are imported only by the modules
that need them.
"""

__version__ = "0.1.0"
