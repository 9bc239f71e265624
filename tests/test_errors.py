"""compiler/errors.py: one root cause, one problem, naming every target and environment it was found in."""
from __future__ import annotations

from compiler.errors import Problem, StrataError, group
from compiler.provenance import Origin

AT = Origin("projects/demo/train.yaml", 5, 3)


def test_the_same_message_at_the_same_place_is_one_problem_naming_its_environments():
    found = [Problem("spec.imagee: unknown field", AT, ("layers of staging",), targets=("demo/Job/train",), envs=(env,))
             for env in ("staging", "prod", "dev")]
    found[2] = Problem("spec.imagee: unknown field", AT, ("layers of dev",), targets=("demo/Job/train",), envs=("dev",))
    [problem] = group(found)
    assert problem.render() == ("projects/demo/train.yaml:5:3: demo/Job/train in dev, prod, staging: spec.imagee: "
                                "unknown field\n    layers (dev): layers of dev")


def test_many_targets_are_named_up_to_three_and_counted():
    found = [Problem("unknown field", AT, targets=(f"demo/Job/j{i}",), envs=("dev",)) for i in range(5)]
    assert group(found)[0].scope() == "demo/Job/j0, demo/Job/j1, demo/Job/j2 and 2 more in dev: "


def test_different_places_or_messages_stay_apart_in_file_line_order():
    later = Origin("projects/demo/train.yaml", 9, 1)
    error = StrataError([Problem("b", later), Problem("a", AT), Problem("a", later)])
    assert [(p.origin.line, p.message) for p in error.problems] == [(5, "a"), (9, "a"), (9, "b")]
