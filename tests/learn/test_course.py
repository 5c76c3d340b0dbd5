"""Lesson listing and the environment report (notebook execution: tests/authoring)."""

import subprocess
import sys

import pytest

from gdcourse import course


def test_lessons_are_listed_in_order_with_titles():
    found = course.lessons()
    numbers = [number for number, _, _ in found]
    assert numbers[:3] == ["00", "01", "02"]
    assert numbers == sorted(numbers)
    assert all(title and not title.startswith("#") for _, title, _ in found)


def test_lessons_rejects_a_missing_folder(tmp_path):
    with pytest.raises(ValueError, match="folder"):
        course.lessons(tmp_path / "nope")


def test_environment_report_compares_every_library_with_its_pin():
    report = course.environment()
    names = [name for name, _, _, _ in report]
    assert names == ["python", *course.PACKAGES]
    pins = course.pinned_versions()
    for name, installed, pinned, ok in report[1:]:
        assert pinned == pins[name]
        assert ok == (installed == pinned)
    # this environment is the one `make` installs from the pins
    assert all(ok for _, _, _, ok in report), report


def test_environment_report_flags_a_version_off_its_pin(tmp_path):
    pins = tmp_path / "constraints.txt"
    pins.write_text("torch==1.0.0  # an old pin\nnumpy==" + course.pinned_versions()["numpy"])
    report = {name: rest for name, *rest in course.environment(pins)}
    assert report["torch"][1:] == ["1.0.0", False]
    assert report["numpy"][2] is True
    assert report["matplotlib"][1:] == ["not pinned", False]


def test_environment_report_names_a_missing_constraints_file(tmp_path):
    with pytest.raises(ValueError, match="constraints"):
        course.environment(tmp_path / "constraints.txt")


def test_public_version_drops_the_local_build_label():
    assert course.public_version("2.13.0+cpu") == "2.13.0"
    assert course.public_version("1.9.1") == "1.9.1"


def test_accelerator_is_one_line():
    line = course.accelerator()
    assert line and "\n" not in line


def test_module_entry_point_lists_lessons():
    out = subprocess.run(
        [sys.executable, "-m", "gdcourse", "lessons"], capture_output=True, text=True, check=True
    ).stdout
    assert "01_the_idea.ipynb" in out
