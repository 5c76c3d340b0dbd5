"""Lesson listing and the environment report (notebook execution: tests/authoring)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gdcourse import cli, course


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


def test_the_course_is_the_checkout_around_the_package():
    """In a checkout the course's files are beside the package; an installed wheel carries
    its own copy (`course.INSTALLED`, tests/test_wheel.py)."""
    import gdcourse

    checkout = Path(gdcourse.__file__).resolve().parent.parent
    assert course.root() == checkout
    assert checkout / "notebooks" == course.NOTEBOOKS
    assert checkout / "constraints.txt" == course.CONSTRAINTS
    assert course.package_home(checkout) == checkout
    assert course.package_home(course.INSTALLED) == checkout  # the library folder
    with pytest.raises(ValueError, match="no gdcourse package"):
        course.package_home(checkout / "notebooks")


def test_start_copies_new_files_only(tmp_path):
    folder = tmp_path / "mine"
    copied, skipped = course.start(folder)
    lessons = [f"notebooks/{name}" for _, _, name in course.lessons()]
    assert set(lessons) <= set(copied) and "exercises/08_momentum.ipynb" in copied
    assert skipped == [] and not (folder / "solutions").exists()
    work = folder / "exercises" / "08_momentum.ipynb"
    work.write_text("the learner's own work")
    (folder / "notebooks" / "01_the_idea.ipynb").unlink()
    copied, skipped = course.start(folder)
    assert copied == ["notebooks/01_the_idea.ipynb"]
    assert "exercises/08_momentum.ipynb" in skipped and len(skipped) == len(lessons) + 12
    assert work.read_text() == "the learner's own work"
    (tmp_path / "a-file").write_text("")
    with pytest.raises(ValueError, match="not a folder"):
        course.start(tmp_path / "a-file")


def test_start_command_says_what_it_copied_and_kept_then_opens_jupyterlab(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr(course, "_ensure_kernel", lambda: "the kernel, checked")
    launched = []
    monkeypatch.setattr(course.os, "execv", lambda *args: launched.append((*args, Path.cwd())))
    monkeypatch.chdir(tmp_path)
    assert cli.main(["start", "--no-lab"]) == 0
    out = capsys.readouterr().out
    assert f"the course in {tmp_path / course.START}" in out
    assert "notebooks/: copied all 14" in out and "the kernel, checked" in out
    assert launched == []
    (tmp_path / course.START / "exercises" / "08_momentum.ipynb").unlink()
    assert cli.main(["start", "--no-browser"]) == 0
    out = capsys.readouterr().out
    assert "notebooks/: skipped all 14, already there (never overwritten)" in out
    assert "exercises/: copied 1: 08_momentum.ipynb; skipped 12" in out
    [(python, command, cwd)] = launched
    assert python == sys.executable and command[:3] == [python, "-m", "jupyterlab"]
    assert f"--ServerApp.root_dir={tmp_path / course.START}" in command
    assert command[-1] == "notebooks/00_welcome.ipynb" and "--no-browser" in command
    assert ("--allow-root" in command) == (os.geteuid() == 0)
    assert cwd == tmp_path / course.START
    monkeypatch.chdir(tmp_path)  # back from where JupyterLab was to start
    (tmp_path / "a-file").write_text("")
    assert cli.main(["start", "a-file"]) == 2
    assert "not a folder" in capsys.readouterr().err


def test_start_names_a_kernel_of_another_python(monkeypatch):
    """`start` registers the kernel only when Jupyter has none of that name (the wheel test
    sees it registered); one that runs another environment's Python is named, not replaced."""
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager

    def spec(python):
        return lambda self, name: KernelSpec(argv=[python, "-m", "ipykernel_launcher"])

    monkeypatch.setattr(KernelSpecManager, "get_kernel_spec", spec(sys.executable))
    assert course._ensure_kernel() == "the notebooks' kernel, 'Python (gdcourse)', is registered"
    monkeypatch.setattr(KernelSpecManager, "get_kernel_spec", spec("/elsewhere/bin/python"))
    assert "runs /elsewhere/bin/python, not this Python" in course._ensure_kernel()
