"""Build the course website: `make book`, or `python book/build.py [--out DIR]`.

Stages the pages' sources into a folder beside the output (the lessons, the exercises, the
instructor, hub and architecture guides, and a home page with the lesson map written from
`gdcourse.course.lessons()`), then runs Sphinx with book/conf.py, warnings as errors, on the
stored outputs (nothing is executed). Every build reads every page afresh (`-E`): an
incremental build would not re-check the links of pages it did not reread, so a broken
link would fail one build and pass the next.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
OUT = BOOK / "_build" / "html"
if str(ROOT) not in sys.path:  # run as `python book/build.py`: the course's own gdcourse
    sys.path.insert(0, str(ROOT))
# The guides in the site, with what the home page says each is for.
GUIDES = {
    "docs/instructor.md": "the instructor guide: lecture times, objectives, grading, LMS import",
    "docs/hub.md": "running the course for a class on a JupyterHub",
    "docs/architecture.md": "how the course's code is built",
}

HOME = """\
# gdcourse: gradient descent with PyTorch

A hands-on course on gradient descent: from the update rule on a single number to
momentum, schedules, adaptive optimisers and a full training recipe in PyTorch. Every
lesson is a Jupyter notebook that runs offline on a laptop CPU in seconds; the pages here
show each notebook with the outputs it printed when it last ran (checked by the course's
tests). To run a lesson, download its notebook from the top of its page, or clone the
course and run `make lab`.

This site works from disk with no network: the math, figures and search are all in it.
The explorers (sliders over a figure) are interactive in JupyterLab; here they show
their default state.

## Lessons

| # | lesson | exercises | notebook |
|---|---|---|---|
{rows}

{guides}
```{{toctree}}
:caption: Lessons
:hidden:

{lesson_toc}
```

```{{toctree}}
:caption: Exercises
:hidden:

{exercise_toc}
```

```{{toctree}}
:caption: For instructors
:hidden:

{guide_toc}
```
"""


def home_page(root: Path = ROOT) -> str:
    """The home page's MyST source: the lesson map (from the lessons' titles) and the toctrees."""
    from gdcourse.course import lessons

    rows, lesson_toc, exercise_toc = [], [], []
    for number, title, name in lessons(root / "notebooks"):
        heading = title.split("·", 1)[-1].strip()
        exercise = root / "exercises" / name
        exercises = f"[exercises {number}](exercises/{name})" if exercise.is_file() else "—"
        download = f"{{download}}`{name} <notebooks/{name}>`"
        rows.append(f"| {number} | [{heading}](notebooks/{name}) | {exercises} | {download} |")
        lesson_toc.append(f"notebooks/{name[: -len('.ipynb')]}")
        if exercise.is_file():
            exercise_toc.append(f"exercises/{name[: -len('.ipynb')]}")
    guides = [guide for guide in GUIDES if (root / guide).is_file()]
    listed = "".join(f"- [{GUIDES[guide]}]({guide})\n" for guide in guides)
    return HOME.format(
        rows="\n".join(rows),
        lesson_toc="\n".join(lesson_toc),
        exercise_toc="\n".join(exercise_toc),
        guides=f"## For instructors\n\n{listed}" if guides else "",
        guide_toc="\n".join(guide[: -len(".md")] for guide in guides),
    )


def stage(src: Path, root: Path = ROOT) -> None:
    """Copy the site's sources from `root` into `src` and write its home page."""
    src.mkdir(parents=True, exist_ok=True)
    for folder in ("notebooks", "exercises", "docs"):
        shutil.rmtree(src / folder, ignore_errors=True)
        (src / folder).mkdir()
    for path in sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        shutil.copy2(path, src / "notebooks" / path.name)
    for path in sorted((root / "exercises").glob("[0-9][0-9]_*.ipynb")):
        shutil.copy2(path, src / "exercises" / path.name)
    for guide in GUIDES:
        if (root / guide).is_file():
            shutil.copy2(root / guide, src / guide)
    index = src / "index.md"
    text = home_page(root)
    if not index.is_file() or index.read_text(encoding="utf-8") != text:
        index.write_text(text, encoding="utf-8")


def build(out: Path = OUT, *, root: Path = ROOT, quiet: bool = True) -> int:
    """Stage the sources next to `out` and build the HTML site into `out`; Sphinx's exit code."""
    from sphinx.cmd.build import build_main

    out = Path(out).resolve()
    src = out.parent / "src"
    stage(src, root)
    args = ["-b", "html", "-E", "-c", str(BOOK), "-d", str(out.parent / "doctrees")]
    args += ["-W", "--keep-going", "-n", *(["-q"] if quiet else []), str(src), str(out)]
    return build_main(args)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=OUT, help="the HTML folder (default: %(default)s)"
    )
    parser.add_argument("--root", type=Path, default=ROOT, help="the course folder to build from")
    parser.add_argument("--verbose", action="store_true", help="Sphinx's progress lines")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    code = build(args.out, root=args.root, quiet=not args.verbose)
    took = time.perf_counter() - start
    if code == 0:
        print(f"built {args.out / 'index.html'} in {took:.1f} s")
    return code


if __name__ == "__main__":
    sys.exit(main())
