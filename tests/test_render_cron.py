"""cron.py: CronWorkflow spec fields and the schedule checks (cron lines, timezones, DST)."""
from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from compiler.render.cron import check_schedule, cron_line_ok, cron_spec, observes_dst
from factories import make_ctx, make_target
from schemas.common import Schedule


def schedule(**fields) -> Schedule:
    return Schedule.model_validate({"cron": "0 3 * * *", **fields})


def test_defaults():
    assert cron_spec(schedule()) == {
        "schedules": ["0 3 * * *"], "concurrencyPolicy": "Forbid",
        "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 3, "suspend": False,
    }


def test_every_field_in_a_fixed_order():
    spec = cron_spec(schedule(cron=["0 3 * * 1-5", "0 6 * * 0"], timezone="UTC", concurrency="Replace",
                              startingDeadlineSeconds=600, historyLimit={"successful": 10, "failed": 1},
                              suspend=True))
    assert list(spec.items()) == [
        ("schedules", ["0 3 * * 1-5", "0 6 * * 0"]), ("timezone", "UTC"), ("concurrencyPolicy", "Replace"),
        ("startingDeadlineSeconds", 600), ("successfulJobsHistoryLimit", 10), ("failedJobsHistoryLimit", 1),
        ("suspend", True),
    ]


def test_integer_history_limit_applies_to_both():
    spec = cron_spec(schedule(historyLimit=7))
    assert (spec["successfulJobsHistoryLimit"], spec["failedJobsHistoryLimit"]) == (7, 7)


@pytest.mark.parametrize("zone, expected", [
    ("Europe/Berlin", True), ("America/New_York", True), ("Australia/Sydney", True),
    ("Asia/Shanghai", False), ("Asia/Tokyo", False), ("UTC", False),
])
def test_observes_dst(zone, expected):
    assert observes_dst(ZoneInfo(zone), year=2025) is expected


@pytest.mark.parametrize("line, ok", [
    ("0 2 * * *", True), ("*/15 * * * 1-5", True), ("@daily", True), ("@every 1h", True),
    ("0 2 * *", False), ("0 0 2 * * *", False), ("", False),
])
def test_cron_line_shape(line, ok):
    assert cron_line_ok(line) is ok


def check(**fields):
    target = make_target("Job", "nightly", {"image": "x:1", "schedule": {"cron": "0 3 * * *", **fields}})
    ctx = make_ctx(target)
    check_schedule(target, ctx, target.spec.schedule)
    return [p.message for p in ctx.problems.items], [w.message for w in ctx.warnings.items]


def test_dst_timezone_is_a_warning_not_an_error():
    errors, warnings = check(timezone="America/New_York")
    assert errors == []
    assert len(warnings) == 1 and "America/New_York observes daylight saving time" in warnings[0]


def test_timezone_without_dst_and_no_timezone_are_quiet():
    assert check(timezone="Asia/Shanghai") == ([], [])
    assert check() == ([], [])


def test_unknown_timezone_is_an_error():
    errors, warnings = check(timezone="Europe/Atlantis")
    assert len(errors) == 1 and "unknown timezone 'Europe/Atlantis'" in errors[0]
    assert warnings == []


def test_each_bad_cron_line_is_reported():
    errors, _ = check(cron=["0 3 * * *", "bad", "1 2 3"])
    assert len(errors) == 2
    assert "cron 'bad'" in errors[0] and "cron '1 2 3'" in errors[1]
