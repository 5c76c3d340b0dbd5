"""The wheel carries the course: one build step, the rest of the set-up is pyproject.toml.

setuptools packages only what lies inside the package, and the course (lessons, blank
exercises, set-up files) lies beside it. So the build copies it into the package it is
building, as gdcourse/content/ (`gdcourse.course.INSTALLED`, the name must match), and an
installed wheel finds it there (`gdcourse.course.root`). The checkout keeps one copy of
every notebook: this one is made in the build folder only. Solutions never go in.
An editable install (`make setup`) copies nothing: it runs from the checkout, which is
the course.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
CONTENT = Path("gdcourse", "content")
FOLDERS = ("notebooks", "exercises")  # their *.ipynb: the lessons, the blank exercises
# what lesson 00 (the pins), `gdcourse release` (the hand-out's set-up) and `gdcourse
# gradescope` (the course's source for the autograder's pip install) read
FILES = (
    "README.md",
    "LICENSE",
    "LICENSE-CONTENT",
    "pyproject.toml",
    "constraints.txt",
    "environment.yml",
)


class BuildWithCourse(build_py):
    """build_py, then the course copied into the built package."""

    def run(self):
        super().run()
        if self.editable_mode:
            return
        target = Path(self.build_lib) / CONTENT
        shutil.rmtree(target, ignore_errors=True)  # a notebook removed since the last build
        for folder in FOLDERS:
            (target / folder).mkdir(parents=True)
            for path in sorted((HERE / folder).glob("*.ipynb")):
                shutil.copyfile(path, target / folder / path.name)
        for name in FILES:
            shutil.copyfile(HERE / name, target / name)


setup(cmdclass={"build_py": BuildWithCourse})
