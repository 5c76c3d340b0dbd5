"""`gdcourse lms`: the gradebook files Canvas, Moodle and Blackboard import."""

import csv
import os

import pytest

from gdcourse import cli


def write_csv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


@pytest.fixture
def results(tmp_path):
    totals = tmp_path / "totals.csv"
    write_csv(totals, ["student", "points", "max_points"], [["ada", "5", "5"], ["ben", "1.5", "5"]])
    grades = tmp_path / "grades.csv"
    write_csv(
        grades,
        ["student", "exercise", "task", "points", "max_points", "status", "feedback"],
        [
            ["ada", "01_the_idea", "t1", "2", "2", "passed", ""],
            ["ada", "08_momentum", "m1", "3", "3", "passed", ""],
            ["ben", "08_momentum", "m1", "1", "3", "failed", "hint"],
        ],
    )
    return tmp_path


def test_canvas_layout_without_and_with_a_roster(results):
    out = results / "canvas.csv"
    args = ["lms", str(results / "totals.csv"), "--lms", "canvas", "--out", str(out)]
    assert cli.main([*args, "--assignment", "GD exercises"]) == 0
    assert read_csv(out) == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "GD exercises"],
        ["    Points Possible", "", "", "", "", "5"],
        ["", "", "", "ada", "", "5"],
        ["", "", "", "ben", "", "1.5"],
    ]
    roster = results / "export.csv"  # Canvas's own gradebook export
    write_csv(
        roster,
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Quiz 1 (101)"],
        [
            ["    Points Possible", "", "", "", "", "10"],
            ["Lovelace, Ada", "11", "S11", "ada", "A", "9"],
            ["Babbage, Charles", "12", "S12", "charles", "A", "8"],
            ["Ben, Ben", "13", "S13", "ben", "B", "7"],
        ],
    )
    assert cli.main([*args, "--roster", str(roster), "--percent"]) == 0
    assert read_csv(out)[2:] == [
        ["Lovelace, Ada", "11", "S11", "ada", "A", "100"],
        ["Babbage, Charles", "12", "S12", "charles", "A", ""],  # no submission: left blank
        ["Ben, Ben", "13", "S13", "ben", "B", "30"],
    ]
    # a result nobody in the roster matches is an error, not a silently lost grade
    assert cli.main([*args, "--roster", str(roster), "--match", "ID"]) == 1


def test_moodle_and_blackboard_layouts(results):
    moodle = results / "moodle.csv"
    grades = str(results / "grades.csv")
    assert cli.main(["lms", grades, "--lms", "moodle", "--out", str(moodle)]) == 0
    assert read_csv(moodle) == [  # grades.csv gives one column per exercise
        ["Username", "gdcourse exercises 01_the_idea", "gdcourse exercises 08_momentum"],
        ["ada", "2", "3"],
        ["ben", "", "1"],
    ]
    board = results / "board.csv"
    totals = str(results / "totals.csv")
    assert cli.main(["lms", totals, "--lms", "blackboard", "--out", str(board)]) == 0
    lines = board.read_text(encoding="utf-8").splitlines()
    assert lines == [  # Blackboard wants every value quoted
        '"Username","gdcourse exercises [Total Pts: 5 Score]"',
        '"ada","5"',
        '"ben","1.5"',
    ]


@pytest.mark.skipif(os.name != "posix", reason="POSIX paths")
def test_lms_refuses_an_unreadable_results_file(tmp_path):
    assert cli.main(["lms", str(tmp_path / "none.csv"), "--lms", "moodle", "--out", "x"]) == 2


@pytest.mark.parametrize(
    "text, message",
    [
        ("student,points,max_points\nann,3\n", "line 2 has fewer fields than the header"),
        ("name,points\nann,3\n", "missing column(s) student, max_points"),
        ("student,points,max_points\nann,three,4\n", "line 2: points and max_points must be"),
    ],
)
def test_lms_names_what_is_wrong_with_a_results_file(tmp_path, capsys, text, message):
    results = tmp_path / "totals.csv"
    results.write_text(text, encoding="utf-8")
    out = tmp_path / "out.csv"
    assert cli.main(["lms", str(results), "--lms", "moodle", "--out", str(out)]) == 2
    assert message in capsys.readouterr().err and not out.exists()


def test_lms_reports_an_output_it_cannot_write(tmp_path, capsys):
    results = tmp_path / "totals.csv"
    results.write_text("student,points,max_points\nann,3,4\n", encoding="utf-8")
    out = tmp_path / "no such folder" / "out.csv"
    assert cli.main(["lms", str(results), "--lms", "moodle", "--out", str(out)]) == 2
    assert "cannot write" in capsys.readouterr().err
