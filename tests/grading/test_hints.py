"""Hints on demand: every task's levels, `hint(task_id)` walking them, the ✗ line that
says a hint is available, and the levels travelling in the hand-out's data."""

import json
from dataclasses import replace

import pytest

from gdcourse import checks
from gdcourse.grading import tasks
from gdcourse.grading.tasks import published

TASKS = tasks.all_tasks()
IDS = [t.id for t in TASKS]


@pytest.fixture(autouse=True)
def fresh_kernel(monkeypatch):
    """Each test starts as a fresh kernel would: no hint shown yet."""
    monkeypatch.setattr(checks, "_shown_levels", {})


@pytest.mark.parametrize("task", TASKS, ids=IDS)
def test_every_task_has_at_least_two_distinct_levels(task):
    levels = task.hints
    assert len(levels) >= 2, f"{task.id} has {len(levels)} hint levels"
    assert all(isinstance(h, str) and h.strip() for h in levels)
    assert len(set(levels)) == len(levels)
    # the nudge comes first: it is never the longest (the formula or recipe comes last)
    assert len(levels[0]) < max(len(h) for h in levels)
    # a level is prose, not the solution's code
    assert not any("def " in h or "\n" in h for h in levels)


def test_hint_walks_the_levels_then_points_to_the_solution(capsys):
    task = tasks.get("gd_step")
    count = len(task.hints)
    for level in range(1, count + 1):
        checks.hint("gd_step")
        out = capsys.readouterr().out
        assert out.startswith(f"Hint {level} of {count} for gd_step: ")
        assert " ".join(task.hints[level - 1].split()) in " ".join(out.split())
        if level < count:
            assert 'Run hint("gd_step") again for the next.' in out
            assert "solutions/" not in out
    assert "solutions/01_the_idea.ipynb" in out
    assert "lesson 01" in out
    checks.hint("gd_step")  # past the last: the last again, and where the solution is
    again = capsys.readouterr().out
    assert again == out


def test_each_task_keeps_its_own_level(capsys):
    checks.hint("gd_step")
    checks.hint("mse_gradients")
    checks.hint("gd_step")
    out = capsys.readouterr().out.splitlines()
    heads = [line for line in out if line.startswith("Hint ")]
    assert [h.split(":")[0] for h in heads] == [
        f"Hint 1 of {len(tasks.get('gd_step').hints)} for gd_step",
        f"Hint 1 of {len(tasks.get('mse_gradients').hints)} for mse_gradients",
        f"Hint 2 of {len(tasks.get('gd_step').hints)} for gd_step",
    ]


def test_level_k_shows_level_k_and_the_next_call_goes_on_from_there(capsys):
    task = tasks.get("lr_regime")
    checks.hint("lr_regime", level=2)
    assert capsys.readouterr().out.startswith(f"Hint 2 of {len(task.hints)} for lr_regime: ")
    checks.hint("lr_regime")
    assert capsys.readouterr().out.startswith(f"Hint 3 of {len(task.hints)} for lr_regime: ")
    checks.hint("lr_regime", level=1)
    assert capsys.readouterr().out.startswith("Hint 1 of ")


@pytest.mark.parametrize("level", [0, len(tasks.get("lr_regime").hints) + 1, "2", 1.5, True])
def test_a_level_out_of_range_gets_a_sentence(capsys, level):
    checks.hint("lr_regime", level=level)
    out = capsys.readouterr().out
    assert out == (
        f"lr_regime has hint levels 1 to {len(tasks.get('lr_regime').hints)}: "
        'e.g. hint("lr_regime", level=1).\n'
    )
    assert checks._shown_levels == {}


def test_an_unknown_id_gets_one_friendly_line_naming_close_ids(capsys):
    checks.hint("momentm_step")
    out = capsys.readouterr().out
    assert out == 'hint: there is no task "momentm_step"; did you mean "momentum_step"?\n'
    checks.hint("zzz")
    out = capsys.readouterr().out
    assert out.startswith('hint: there is no task "zzz"') and out.count("\n") == 1


def test_a_function_instead_of_its_name_is_told_to_quote_it(capsys):
    def gd_step(theta, grad, lr):
        return theta - lr * grad

    checks.hint(gd_step)
    assert (
        capsys.readouterr().out == 'hint takes the task\'s name in quotes, e.g. hint("gd_step").\n'
    )


def test_hint_text_is_pure_and_names_the_solution_after_the_last_level():
    task = tasks.get("early_stop")
    last = len(task.hints)
    first = checks.hint_text(task, 1)
    assert first == checks.hint_text(task, 1)  # no state: the same text every time
    assert "solutions/" not in first
    final = checks.hint_text(task, last)
    assert "solutions/06_diagnosing_training.ipynb" in final
    assert "notebooks/06_diagnosing_training.ipynb" in final
    assert checks.hint_text(task, last + 5) == final
    assert all(len(line) <= 88 for line in final.splitlines())


def test_the_cross_says_a_hint_is_available_and_the_tick_does_not(capsys):
    checks.check("gd_step", lambda theta, grad, lr: theta + lr * grad)  # the sign error
    out = capsys.readouterr().out
    assert out.startswith("✗ gd_step")
    assert out.rstrip().endswith('Stuck? hint("gd_step") gives a hint, one level at a time.')

    def stub(theta, grad, lr):
        raise NotImplementedError

    checks.check("gd_step", stub)
    assert 'hint("gd_step")' in capsys.readouterr().out
    checks.check("gd_step", lambda theta, grad, lr: theta - lr * grad)
    out = capsys.readouterr().out
    assert out.startswith("✓ gd_step") and "hint(" not in out
    checks.check("no_such_task", print)
    assert "hint(" not in capsys.readouterr().out


@pytest.mark.parametrize("task", TASKS, ids=IDS)
def test_the_hand_out_data_keeps_the_hints(task):
    data = json.loads(published.document([task]))["tasks"][0]
    again = published.task_from(data)
    assert again.hints == task.hints and isinstance(again.hints, tuple)
    assert published.fingerprint([again]) == published.fingerprint([task])


def test_the_fingerprint_changes_with_the_hints():
    task = tasks.get("gd_step")
    changed = replace(task, hints=(*task.hints[:-1], task.hints[-1] + " More."))
    assert published.fingerprint([changed]) != published.fingerprint([task])


def test_register_refuses_fewer_than_two_levels_or_bad_ones():
    task = tasks.get("gd_step")
    with pytest.raises(ValueError, match="at least two hint levels"):
        tasks.register(replace(task, id="hintless", hints=()))
    with pytest.raises(ValueError, match="at least two hint levels"):
        tasks.register(replace(task, id="one_hint", hints=("Look at the sign.",)))
    with pytest.raises(ValueError, match="non-empty strings"):
        tasks.register(replace(task, id="blank_hint", hints=("Look at the sign.", " ")))
    with pytest.raises(ValueError, match="the same"):
        tasks.register(replace(task, id="twice", hints=("Look at the sign.",) * 2))
    assert not {"hintless", "one_hint", "blank_hint", "twice"} & set(tasks._REGISTRY)
