"""`schedule` → the fields of an Argo CronWorkflow spec, shared by scheduled Jobs and Pipelines.

`cron_spec` is pure; `check_schedule` reports what Argo would only discover at run
time: a malformed cron line, an unknown timezone, and a timezone with daylight saving
time, where a run scheduled in the hour the clocks change can fire twice or not at
all (argo-workflows#2328, #8140).
"""
from __future__ import annotations

from datetime import datetime
from datetime import timezone as utc_zone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from compiler.targets import Target
from schemas.common import HistoryLimit, Schedule

# Argo's cron parser takes five fields, or a descriptor such as @daily / @every 1h.
CRON_FIELDS = 5


def cron_spec(schedule: Schedule) -> dict[str, Any]:
    """The CronWorkflow spec fields of `schedule` (without `workflowSpec`), in a fixed order."""
    spec: dict[str, Any] = {"schedules": schedule.crons}
    if schedule.timezone:
        spec["timezone"] = schedule.timezone
    spec["concurrencyPolicy"] = schedule.concurrency
    if schedule.startingDeadlineSeconds is not None:
        spec["startingDeadlineSeconds"] = schedule.startingDeadlineSeconds
    successful, failed = history_limits(schedule.historyLimit)
    spec["successfulJobsHistoryLimit"] = successful
    spec["failedJobsHistoryLimit"] = failed
    spec["suspend"] = schedule.suspend
    return spec


def history_limits(limit: int | HistoryLimit) -> tuple[int, int]:
    """An int keeps that many successful and failed runs each."""
    if isinstance(limit, int):
        return limit, limit
    return limit.successful, limit.failed


def check_schedule(target: Target, ctx: Any, schedule: Schedule, path: tuple = ("schedule",)) -> None:
    """Errors for bad cron lines or timezones, a warning for a DST timezone."""
    for index, line in enumerate(schedule.crons):
        if not cron_line_ok(line):
            where = path + ("cron",) + ((index,) if isinstance(schedule.cron, list) else ())
            ctx.error(target, where, f"cron {line!r} needs five fields (minute hour day month weekday) "
                                     f"or a descriptor such as @daily")
    if schedule.timezone:
        check_timezone(target, ctx, schedule.timezone, path + ("timezone",))


def cron_line_ok(line: str) -> bool:
    line = line.strip()
    return line.startswith("@") or len(line.split()) == CRON_FIELDS


def check_timezone(target: Target, ctx: Any, name: str, path: tuple) -> None:
    zone = load_zone(name)
    if zone is None:
        ctx.error(target, path, f"unknown timezone {name!r} (use an IANA name such as Europe/Berlin or UTC)")
    elif observes_dst(zone):
        ctx.warn(target, path, f"timezone {name} observes daylight saving time: a run scheduled in the "
                               f"hour the clocks change may run twice or not at all (argo-workflows#8140); "
                               f"prefer UTC or a time outside that hour")


def load_zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def observes_dst(zone: ZoneInfo, year: int | None = None) -> bool:
    """True when the zone's UTC offset differs between January and July (either hemisphere).

    `year` defaults to the current one: whether a zone observes DST is a fact about
    today's rules, and it only decides a warning, never output bytes.
    """
    year = year or datetime.now(utc_zone.utc).year
    january = datetime(year, 1, 15, 12, tzinfo=zone).utcoffset()
    july = datetime(year, 7, 15, 12, tzinfo=zone).utcoffset()
    return january != july
