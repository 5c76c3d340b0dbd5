"""Every reference from one lesson to another names a lesson that exists, with its topic.

Lessons were renumbered once, and references such as "lesson 07 (momentum)" survived
the renumbering pointing at the wrong lesson. This test reads the prose of every lesson,
exercise and solution notebook (Markdown cells), of README.md and of docs/*.md, and checks
mechanically:

- every "lesson NN", "lessons NN and MM", "lessons NN–MM" and every number in a list that
  follows one ("lessons 04 (…), 05 (…) and 06 (…)") names a lesson that exists;
- a bare "NN (topic words)" whose topic names a lesson is a reference too;
- where topic words come with the number, in brackets ("08 (momentum)"), after a colon
  ("lesson 07: choosing the learning rate") or after "Next: lesson NN,", no other lesson's
  title fits them better than the named lesson's, and at least one of them occurs in that
  lesson's prose; "section N" must be one of that lesson's numbered sections; a topic
  after "lessons NN and MM" is about the group;
- "NN · Title" agrees with lesson NN's title (the first heading of its notebook, as
  `gdcourse.course.lessons` reads it), and so does a short title in a table whose
  header is "| # | lesson |" (every word of it in the title); an exercise notebook's own
  heading "Exercises NN · …" names its file's lesson;
- every Markdown link to a notebook points at a file that exists, and a link whose text
  names a lesson ("[lesson 06](06_….ipynb)") points at that lesson.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from gdcourse import course
from gdcourse.authoring import markdown

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_FOLDERS = ("notebooks", "exercises", "solutions")

# Words that say nothing about a lesson's topic.
STOPWORDS = frozenset(
    re.split(
        r"\s+",
        """a an and are as at be by can for from how in into is it its more of on one or our
        the their them then this to two what when where which why with without your
        section sections lesson lessons name names see shows shown uses used also""",
    )
)

NUMBER = r"(?<![\w.,/$])(\d\d)(?![\w.,]\d|\d|\w)"
# A list of lesson numbers after "lesson(s)": "lessons 01–02 (…), 04 (…) and 09 (…)".
TOPIC = r"(?:\s+by name)?(?:\s*\(([^()]*(?:\([^()]*\)[^()]*)*)\))?"
LIST_ITEM = rf"(\d\d)(?:\s*[–-]\s*(\d\d))?{TOPIC}"
LESSON_LIST = re.compile(
    rf"(?<![\w/])[Ll]essons?\s+{LIST_ITEM}"
    rf"((?:(?:\s*,\s*|\s+and\s+|\s+or\s+|\s*,\s*and\s+)(?:lessons?\s+)?{LIST_ITEM})*)"
)
LIST_TAIL = re.compile(rf"(?:\s*,\s*|\s+and\s+|\s+or\s+|\s*,\s*and\s+)(?:lessons?\s+)?{LIST_ITEM}")
COLON_TOPIC = re.compile(r"(?<![\w/])[Ll]esson\s+(\d\d):\s+([^.;:\n(]+)")
NEXT_TOPIC = re.compile(r"Next:\**\s+[Ll]esson\s+(\d\d),\s+([^.;:\n(]+)")
BARE = re.compile(rf"{NUMBER}\s+\(([^()]*)\)")
DOT_TITLE = re.compile(r"(?<![\w.])(\d\d) · ([^*`\]|\n]+)")
TABLE_ROW = re.compile(r"^\|\s*(\d\d)\s*\|\s*([^|]+?)\s*\|", re.M)
LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]+\.ipynb)(?:#[^)]*)?\)")
SECTION = re.compile(r"\bsection\s+(\d+)\b")


def stems(text: str, code: bool = True) -> set[str]:
    """The content words of `text`, crudely stemmed (lower case, no final s, six letters).

    With `code=False` the words inside `code spans` are left out: `torch.optim.SGD` in
    "08 (momentum, as `torch.optim.SGD` computes it)" is not what the topic is about.
    """
    if not code:
        text = re.sub(r"`[^`\n]*`", " ", text)
    words = re.findall(r"[a-z]+", text.lower())
    return {w.removesuffix("s")[:6] for w in words if len(w) > 2 and w not in STOPWORDS}


def read_lessons(folder: Path = course.NOTEBOOKS) -> dict[str, dict]:
    """number -> title, the stems of its title and of all its prose, its numbered sections."""
    found = {}
    for number, title, name in course.lessons(folder):
        nb = json.loads((folder / name).read_text(encoding="utf-8"))
        headings = [
            line.lstrip("#").strip()
            for cell in nb["cells"]
            if cell["cell_type"] == "markdown"
            for line in markdown.without_fences("".join(cell["source"])).splitlines()
            if markdown.heading_level(line) == 2
        ]
        prose = " ".join(
            markdown.without_fences("".join(cell["source"]))
            for cell in nb["cells"]
            if cell["cell_type"] == "markdown"
        )
        title_text = title.split("·", 1)[-1]
        found[number] = {
            "title": title,
            "file": name,
            "title_stems": stems(title_text),
            "stems": stems(prose),
            "sections": {m.group(1) for h in headings if (m := re.match(r"(\d+) ·", h))},
        }
    return found


def topic_problem(numbers: list[str], topic: str, lessons: dict) -> str | None:
    """Why `topic` does not describe lesson(s) `numbers`, or None when it does."""
    for section in SECTION.findall(topic):
        if len(numbers) == 1 and section not in lessons[numbers[0]]["sections"]:
            return f"lesson {numbers[0]} has no section {section}"
    topic = SECTION.sub(" ", topic)
    words, prose_words = stems(topic, code=False), stems(topic)
    if not prose_words:
        return None
    score = {n: len(words & info["title_stems"]) for n, info in lessons.items()}
    best = max(score.values())
    if best and max(score[n] for n in numbers) < best:
        better = ", ".join(n for n, s in score.items() if s == best)
        return f"the topic fits the title of lesson {better} better"
    if not any(prose_words & lessons[n]["stems"] for n in numbers):
        return "no word of the topic occurs anywhere in the lesson's prose"
    return None


def check_text(
    text: str,
    lessons: dict,
    where: str = "",
    folder: Path | None = None,
    exercise: str | None = None,
) -> list:
    """Every wrong cross-reference in one piece of Markdown, as 'where: problem' strings.

    `folder` is where relative links start; `exercise` the lesson number of the exercise
    notebook the text comes from, if it does.
    """
    problems = []
    text = markdown.without_fences(text)
    prose = re.sub(r"`[^`\n]*`", lambda m: " " * len(m.group()), text)  # code is not prose

    def bad(snippet: str, why: str) -> None:
        problems.append(f"{where}: {' '.join(snippet.split())!r}: {why}")

    def check(numbers: list[str], topic: str | None, snippet: str) -> None:
        missing = [n for n in numbers if n not in lessons]
        if missing:
            bad(snippet, f"there is no lesson {', '.join(missing)}")
        elif topic and (why := topic_problem(numbers, topic, lessons)):
            bad(snippet, why)

    def numbers_of(first: str, last: str | None) -> list[str]:
        return [first] if last is None else [f"{k:02d}" for k in range(int(first), int(last) + 1)]

    covered = []
    for match in LESSON_LIST.finditer(prose):
        covered.append(match.span())
        start = match.start(4) if match.group(4) else match.end()
        found = [(match.group(1, 2), match.span(3), match.group())]
        for item in LIST_TAIL.finditer(match.group(4) or ""):
            span = tuple(start + k if k >= 0 else k for k in item.span(3))
            found.append((item.group(1, 2), span, item.group()))
        group = []  # numbers without a topic share the next one: "lessons 06 and 07 (…)"
        for (first, last), (a, b), snippet in found:
            group += numbers_of(first, last)
            if a >= 0 or (first, last) == found[-1][0]:
                check(group, text[a:b] if a >= 0 else None, snippet)
                group = []
    for pattern in (COLON_TOPIC, NEXT_TOPIC):
        for match in pattern.finditer(prose):
            check([match.group(1)], text[match.start(2) : match.end(2)], match.group())
    for match in BARE.finditer(prose):  # "NN (topic)" outside the lists above
        if any(a <= match.start() < b for a, b in covered):
            continue
        number, topic = match.group(1), text[match.start(2) : match.end(2)]
        if any(stems(topic, code=False) & info["title_stems"] for info in lessons.values()):
            check([number], topic, match.group())
    for match in DOT_TITLE.finditer(text):
        number, title = match.group(1), match.group(2).strip()
        if re.search(r"(?:^|\n)#{2,6} $", text[: match.start()]):
            continue  # "## 10 · …" is a section of this lesson, not a reference to lesson 10
        if text[: match.start()].endswith("# Exercises "):  # an exercise notebook's own title
            if exercise is not None and number != exercise:
                bad(match.group(), f"this is the exercise notebook of lesson {exercise}")
            continue
        if number not in lessons:
            bad(match.group(), f"there is no lesson {number}")
        elif not lessons[number]["title"].startswith(f"{number} · {title}"):
            bad(match.group(), f"lesson {number} is {lessons[number]['title']!r}")
    for match in TABLE_ROW.finditer(text):
        number, title = match.groups()
        header = text[: match.start()].rstrip("\n").split("\n\n")[-1].split("\n")[0]
        if not re.match(r"\|\s*#\s*\|\s*lesson\s*\|", header):
            continue  # another kind of table: its second column is not a lesson's title
        if number not in lessons:
            bad(match.group(), f"there is no lesson {number}")
        elif not stems(title.split("·", 1)[-1]) <= lessons[number]["title_stems"]:
            bad(match.group(), f"lesson {number} is {lessons[number]['title']!r}")
    for match in LINK.finditer(text):
        label, target = match.groups()
        if folder is not None and not (folder / target).resolve().is_file():
            bad(match.group(), f"{target} does not exist")
        name = Path(target).name
        named = re.search(r"(?:[Ll]esson\s+|^)(\d\d)\b", label)
        if named and not name.startswith(named.group(1) + "_"):
            bad(match.group(), f"the text names lesson {named.group(1)}, the link {name}")
    return problems


def course_documents() -> list[tuple[str, Path, str, str | None]]:
    """(name, folder, Markdown, exercise number) for every notebook Markdown cell, README.md
    and docs/*.md; the exercise number is the lesson's for exercises and solutions."""
    found = []
    for sub in NOTEBOOK_FOLDERS:
        for path in sorted((ROOT / sub).glob("*.ipynb")):
            nb = json.loads(path.read_text(encoding="utf-8"))
            for i, cell in enumerate(nb["cells"]):
                if cell["cell_type"] == "markdown":
                    name = f"{sub}/{path.name} cell {i}"
                    exercise = path.name[:2] if sub != "notebooks" else None
                    found.append((name, path.parent, "".join(cell["source"]), exercise))
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = path.read_text(encoding="utf-8")
        found.append((str(path.relative_to(ROOT)), path.parent, text, None))
    return found


@pytest.fixture(scope="module")
def lessons():
    return read_lessons()


def test_every_cross_reference_names_the_right_lesson(lessons):
    problems = []
    for name, folder, text, exercise in course_documents():
        problems += check_text(text, lessons, name, folder, exercise)
    assert not problems, "wrong cross-references:\n" + "\n".join(problems)


def test_the_documents_are_read(lessons):
    """The scan sees the references it is meant to check (a broken reader finds nothing)."""
    documents = course_documents()
    assert len(lessons) >= 14
    assert any(name.startswith("exercises/") for name, *_ in documents)
    assert any(name == "README.md" for name, *_ in documents)
    texts = "\n".join(text for _, _, text, _ in documents)
    assert len(LESSON_LIST.findall(texts)) > 100
    assert len(LINK.findall(texts)) > 20


@pytest.mark.parametrize(
    "text",
    [
        "It assumes lessons 04 (the training loop), 07 (momentum) and 09 (schedules).",
        "It assumes 07 (momentum).",
        "the (1−β) convention of lesson 07 (momentum)",
        "lessons 06 and 08 (schedules)",
        "see lesson 14",
        "lessons 12–14",
        "**Next:** lesson 07, momentum and Nesterov.",
        "lesson 08 (section 19)",
        "[lesson 06](07_learning_rate.ipynb)",
        "[notes](07_no_such_lesson.ipynb)",
        "**08 · Learning-rate schedules**",
        "# 08 · Learning-rate schedules",
        "| # | lesson | topics |\n|---|---|---|\n| 09 | Momentum | the ravine |",
        "# Exercises 07 · Momentum",
    ],
)
def test_checker_catches_a_wrong_reference(lessons, text):
    assert check_text(text, lessons, "example", course.NOTEBOOKS, exercise="08")


@pytest.mark.parametrize(
    "text",
    [
        "It assumes lessons 04 (the training loop), 08 (momentum) and 09 (schedules).",
        "the (1−β) convention of lesson 08 (section 5)",
        "lessons 06 and 07 (reading loss curves, choosing η)",
        "lessons 01–02 (the update rule), lesson 12 by name (vanishing gradients)",
        "**Next:** lesson 08, momentum and Nesterov.",
        "[lesson 06](06_diagnosing_training.ipynb), [00 · Welcome](00_welcome.ipynb)",
        "| # | lesson | topics |\n|---|---|---|\n| 08 | Momentum | the ravine |",
        "| lesson | explorer |\n|---|---|\n| 08 | `widgets.momentum_map()` |",
        "# Exercises 08 · Momentum, converted",
        "## 10 · Momentum with noisy gradients",
        "η = 0.07 (just under 2/25), 64 (per-uid limit), Python 3.11 (the pins)",
    ],
)
def test_checker_accepts_a_right_reference(lessons, text):
    assert check_text(text, lessons, "example", course.NOTEBOOKS, exercise="08") == []
