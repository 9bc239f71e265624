"""cron.py: CronWorkflow spec fields and the schedule checks (cron lines, timezones, DST)."""
from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from compiler.render.cron import check_schedule, cron_line_ok, cron_problem, cron_spec, observes_dst
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


@pytest.mark.parametrize("line", [
    "0 3 * * *", "*/15 * * * 1-5", "5/15 * * * *", "1-5/2 * * * *", "0 3 * * MON-FRI", "0 3 1 jan,Jul *",
    "0 0 29 2 *", "0 0 31 1,2 *", "0 0 30 2 1", "? * * * ?", "CRON_TZ=UTC 0 3 * * *", "@hourly", "@every 1h30m",
    "@every 90s", "@midnight",
])
def test_lines_argo_accepts(line):
    assert cron_problem(line) is None


@pytest.mark.parametrize("line, problem", [
    ("61 * * * *", "minute 61 is out of range 0-59"),
    ("0 25 * * *", "hour 25 is out of range 0-23"),
    ("0 3 32 13 *", "day of month 32 is out of range 1-31"),
    ("0 3 1 13 *", "month 13 is out of range 1-12"),
    ("0 3 * * 7", "day of week 7 is out of range 0-6 (Sunday is 0)"),
    ("*/0 * * * *", "minute step '*/0' must be a positive number"),
    ("10-5 * * * *", "minute range 10-5 runs backwards"),
    ("0 3 * * funday", "day of week 'funday' is not a number or name (range 0-6)"),
    ("0 0 30 2 *", "that day of the month never comes in those months: it would never run"),
    ("@hourlyy", "unknown descriptor '@hourlyy'; did you mean '@hourly'?"),
    ("@every 1x", "'1x' is not a duration (like 90s, 30m, 1h30m)"),
    ("0 2 * *", "needs five fields (minute hour day-of-month month day-of-week), found 4"),
])
def test_lines_argo_rejects_or_never_runs(line, problem):
    assert cron_problem(line).startswith(problem)
