"""gdcourse: the helper package of a Jupyter course on gradient descent with PyTorch.

Modules, one concern each:
  data       the course's data sets (seeded) and a fast mini-batch iterator
  functions  1-D and 2-D test functions with analytic gradients, Hessians and minima
  optim      NumPy reference optimisers and schedules, and a trajectory runner
  rates      convergence rates of GD and momentum on quadratics (the (η, β) map)
  doctor     the loss-curve doctor: a label, its evidence and advice for a loss history
  plot       figures in one consistent look, drawn on an Axes you pass or one made for you
  course     the list of lessons and the environment report used by lesson 00
  checks     one-line checks for exercise notebooks (thin layer over judge and tasks)
  tasks      every graded task, defined once: probes, oracle, tolerance, detectors
  judge      collecting answers (learner side) and judging them (grader side)
  grading    `gdcourse grade`: bulk grading; sandbox and runner isolate each submission
  exercises  exercises/ generated from solutions/; release writes the student hand-out
  notebooks  executing notebooks in a fresh kernel (behind `make notebooks`)
  cli        the `gdcourse` command

Importing the package is cheap: torch and matplotlib are imported only by the modules
that need them.
"""

__version__ = "0.1.0"
