"""gdcourse: the helper package of a Jupyter course on gradient descent with PyTorch.

Three layers, one audience each (docs/architecture.md draws the map):

The top level is the learner API: what lessons and exercises import (and `explore` and
`validate`, which the modules they import are built on).
  data       the course's data sets (seeded) and a fast mini-batch iterator     (lesson 01)
  functions  1-D and 2-D test functions with analytic gradients and Hessians    (lesson 01)
  optim      NumPy reference optimisers and schedules, and a trajectory runner  (lesson 08)
  rates      convergence rates of GD and momentum on quadratics                 (lesson 08)
  doctor     the loss-curve doctor: a label, its evidence and advice            (lesson 06)
  lrfind     the learning-rate range test and the one-tenth rule                (lesson 07)
  plot       figures in one consistent look, on an Axes you pass or a new one   (lesson 01)
  explore    the explorers' computations (pure functions, tested against torch)
  widgets    the explorers: sliders over a figure that redraws as you drag      (lesson 01)
  checks     `check("task", fn)`: one-line feedback in exercise notebooks        (exercises)
  course     lesson 00: the lesson map, and versions against the pins           (lesson 00)
             (and where the course's files are: a checkout or a wheel's copy; `gdcourse start`)
  validate   argument checks shared by the modules above (clear errors, by name)

`gdcourse.grading` is the trust boundary: task definitions with their oracles, what runs
beside learner code (`collect`, `child`), the sandbox, judging, the grading pipeline, the
gradebook and LMS export. A graded submission may import nothing below it.

`gdcourse.authoring` holds the maintainers' tools: executing notebooks, building exercises
from solutions, the student hand-out, slide marks and decks, lesson timings. It is never
in the hand-out, and a graded submission may not import it either.

`gdcourse.cli` is the `gdcourse` command: argument parsing only, each command calling a
keyword-only `main(...)` of the layer it belongs to.

Importing the package is cheap: torch and matplotlib are imported only by the modules
that need them.
"""

__version__ = "0.1.0"

# The learner API, module by module (tests check this list against the files).
LEARNER_API = (
    "data",
    "functions",
    "optim",
    "rates",
    "doctor",
    "lrfind",
    "plot",
    "explore",
    "widgets",
    "checks",
    "course",
    "validate",
)
# The part of it a grading server imports once before forking (`checks` imports the task
# definitions and is replaced by a stub inside grading; the explorers need a display).
WARM = ("validate", "data", "functions", "optim", "rates", "doctor", "lrfind", "plot")
