"""Lesson timings and objectives: what `gdcourse timings` and `gdcourse objectives` measure,
and the instructor guide's blocks that hold their output (docs/instructor.md)."""

from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from gdcourse import cli
from gdcourse.authoring import timings

ROOT = Path(__file__).resolve().parents[2]
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
GUIDE = ROOT / "docs" / "instructor.md"


def block(text: str, name: str) -> str:
    """The content between a file's `<!-- NAME:begin -->` and `<!-- NAME:end -->` lines."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    if begin not in text or end not in text:
        raise ValueError(f"no {begin} ... {end} block")
    return text.split(begin, 1)[1].split(end, 1)[0].strip()


def test_measure_counts_prose_and_code_cells_never_outputs():
    code = new_code_cell("print('many words in the output')")
    code.outputs = [new_output("stream", name="stdout", text="many words " * 50)]
    nb = new_notebook(
        cells=[
            new_markdown_cell("# 03 · Title\n\nFour words of prose."),
            code,
            new_code_cell("   "),  # empty: not a code cell to talk about
            new_markdown_cell("$$a = b$$"),
        ]
    )
    timing = timings.measure_notebook(nb, "03_title")
    assert (timing.number, timing.title) == ("03", "03 · Title")
    assert (timing.words, timing.formulas, timing.code_cells) == (6, 1, 1)  # 03 Title Four...
    assert timing.reading_minutes() == pytest.approx(6 / 130 + 15 / 60)
    timing = timings.Timing("03", "t", 130, 0, 4, 30.0)
    assert timing.lecture_minutes() == pytest.approx(1 + (4 * 45 + 30) / 60)


def test_timings_command_prints_a_table_of_the_lessons(capsys):
    assert cli.main(["timings", "--no-run", *map(str, LESSONS[:2])]) == 0
    out = capsys.readouterr().out
    assert "| # | lesson | words |" in out and "all lessons" in out
    assert out.count("\n| 0") == 2 and "130 wpm" in out


def test_timings_command_names_a_bad_notebook_or_rate(tmp_path, capsys):
    bad = tmp_path / "01_bad.ipynb"
    bad.write_text("not json", encoding="utf-8")
    assert cli.main(["timings", "--no-run", str(bad)]) == 2
    assert "does not appear to be JSON" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["timings", "--no-run", "--wpm", "0", str(LESSONS[0])])
    assert "--wpm: must be a number > 0" in capsys.readouterr().err


def test_objectives_are_read_from_every_lesson():
    for lesson in LESSONS:
        items = timings.objectives(nbformat.read(lesson, as_version=4))
        assert len(items) >= 2, f"{lesson.name} states no learning objectives"
        assert all(not item.endswith((";", ".")) for item in items)


def test_the_instructor_guide_has_the_term_plan_of_the_current_lessons_and_tasks():
    text = GUIDE.read_text(encoding="utf-8")
    assert block(text, "plan") == timings.plan_markdown(LESSONS).strip(), (
        "run `gdcourse plan --update docs/instructor.md`"
    )
    taught = [n for week in timings.WEEKS for n in week]
    assert len(timings.WEEKS) == 10 and taught == sorted(taught)
    assert sorted(taught) == sorted(lesson.name[:2] for lesson in LESSONS)


def test_the_instructor_guide_has_the_notebooks_objectives_and_every_lessons_timing():
    text = GUIDE.read_text(encoding="utf-8")
    assert block(text, "objectives") == timings.objectives_markdown(LESSONS).strip(), (
        "run `gdcourse objectives --update docs/instructor.md`"
    )
    table = block(text, "timings")
    for lesson in LESSONS:
        assert f"| {lesson.name[:2]} |" in table, (
            f"{lesson.name} is not timed: run `gdcourse timings --update docs/instructor.md`"
        )


def test_replace_block_needs_one_pair_of_markers():
    text = "a\n<!-- x:begin -->\nold\n<!-- x:end -->\nb\n"
    assert (
        timings.replace_block(text, "x", "new") == "a\n<!-- x:begin -->\nnew\n<!-- x:end -->\nb\n"
    )
    with pytest.raises(ValueError, match="one"):
        timings.replace_block("no markers", "x", "new")
