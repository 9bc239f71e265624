"""`schedule` → the fields of an Argo CronWorkflow spec, shared by scheduled Jobs and Pipelines.

`cron_spec` is pure; `check_schedule` reports what Argo would only discover at run
time: a malformed cron line, an unknown timezone, and a timezone with daylight saving
time, where a run scheduled in the hour the clocks change can fire twice or not at
all (argo-workflows#2328, #8140). `fire_gap_seconds` is how close two starts can come
(capacity counts the runs a `concurrency: Allow` schedule can overlap).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import timezone as utc_zone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from compiler.suggest import closest
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
        problem = cron_problem(line)
        if problem is not None:
            where = path + ("cron",) + ((index,) if isinstance(schedule.cron, list) else ())
            ctx.error(target, where, f"cron {line!r}: {problem}")
    if schedule.timezone:
        check_timezone(target, ctx, schedule.timezone, path + ("timezone",))


def cron_line_ok(line: str) -> bool:
    return cron_problem(line) is None


# Argo schedules with robfig/cron v3's standard parser: five fields (names allowed in month and
# weekday, `?` as `*`), an optional CRON_TZ=/TZ= prefix, or a descriptor.
_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, {}), ("hour", 0, 23, {}), ("day of month", 1, 31, {}),
    ("month", 1, 12, {m: i for i, m in enumerate(_MONTHS, 1)}),
    ("day of week", 0, 6, {d: i for i, d in enumerate(_WEEKDAYS)}))
DESCRIPTORS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
_GO_DURATION = re.compile(r"^([0-9]*(\.[0-9]*)?(ns|us|µs|ms|s|m|h))+$")
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def cron_problem(line: str) -> str | None:
    """What Argo's cron parser would reject in `line` (or a date that never comes), else None."""
    line = re.sub(r"^(CRON_TZ|TZ)=\S+\s+", "", line.strip())
    if line.startswith("@"):
        return _descriptor_problem(line)
    fields = line.split()
    if len(fields) != CRON_FIELDS:
        return (f"needs five fields (minute hour day-of-month month day-of-week), found {len(fields)}; "
                "or a descriptor such as @daily or @every 1h")
    allowed: list[set[int]] = []
    for text, (label, low, high, names) in zip(fields, _FIELDS, strict=True):
        values = _field_values(text, label, low, high, names)
        if isinstance(values, str):
            return values
        allowed.append(values)
    days, months = allowed[2], allowed[3]
    only_dates = fields[4] in ("*", "?")     # with a weekday too, cron runs on either (OR)
    if only_dates and fields[2] not in ("*", "?") and fields[3] not in ("*", "?") and all(
            day > _DAYS_IN_MONTH[month - 1] for day in days for month in months):
        return "that day of the month never comes in those months: it would never run"
    return None


def _descriptor_problem(line: str) -> str | None:
    if line in DESCRIPTORS:
        return None
    if line.split()[0] == "@every":
        duration = line[len("@every"):].strip()
        return None if _GO_DURATION.match(duration) and duration != "." else \
            f"{duration!r} is not a duration (like 90s, 30m, 1h30m)"
    guess = closest(line.split()[0], (*DESCRIPTORS, "@every"))
    return f"unknown descriptor {line.split()[0]!r}" + (
        f"; did you mean {guess!r}?" if guess else f" (known: {', '.join(DESCRIPTORS)}, @every <duration>)")


def _field_values(text: str, label: str, low: int, high: int, names: dict[str, int]) -> set[int] | str:
    """The values a cron field selects, or what is wrong with it."""
    selected: set[int] = set()
    for part in text.split(","):
        span, _, step_text = part.partition("/")
        bounds = _bounds(span, bool(step_text), label, low, high, names)
        if isinstance(bounds, str):
            return bounds
        step = _number(step_text, {}) if step_text else 1
        if step is None or step < 1:
            return f"{label} step {part!r} must be a positive number"
        selected.update(range(bounds[0], bounds[1] + 1, step))
    return selected


def _bounds(span: str, stepped: bool, label: str, low: int, high: int,
            names: dict[str, int]) -> tuple[int, int] | str:
    """`*`, `N`, `N-M` (and `N/step`, meaning N to the end) as (first, last), or what is wrong."""
    if span in ("*", "?"):
        return low, high
    first_text, dash, last_text = span.partition("-")
    first = _number(first_text, names)
    last = _number(last_text, names) if dash else (high if stepped else first)
    if first is None or last is None:
        return f"{label} {span!r} is not a number{' or name' if names else ''} (range {low}-{high})"
    for value in (first, last):
        if not low <= value <= high:
            return f"{label} {value} is out of range {low}-{high}" + (" (Sunday is 0)" if high == 6 else "")
    if first > last:
        return f"{label} range {span} runs backwards"
    return first, last


def _number(text: str, names: dict[str, int]) -> int | None:
    if text.lower() in names:
        return names[text.lower()]
    return int(text) if text.isdigit() else None


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



# --- how often a schedule fires (capacity: how many runs of a schedule can overlap) --------------

_AS_LINE = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
            "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"}
_GO_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
_FIRST_DAY = date(2001, 1, 1)          # any fixed date: the result must not depend on today
_DAYS = 4 * 365 + 1 + 7                # every date of a leap cycle, on every weekday
DAY_MINUTES = 24 * 60


@dataclass(frozen=True)
class _Calendar:
    """The days and minutes one five-field cron line fires on."""

    minutes: tuple[int, ...]            # minutes of the day, sorted
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]            # 0 = Sunday
    either: bool                        # day of month and day of week both given: either one fires

    def fires_on(self, day: date) -> bool:
        if day.month not in self.months:
            return False
        by_date, by_weekday = day.day in self.days, day.isoweekday() % 7 in self.weekdays
        return (by_date or by_weekday) if self.either else (by_date and by_weekday)


def fire_gap_seconds(lines: list[str]) -> int | None:
    """The shortest time between two starts of the cron lines taken together, in seconds; None
    when nothing can be read (a bad line is `check_schedule`'s to report). The gap is on the
    clock the lines are written in: a daylight-saving jump is not counted."""
    calendars: list[_Calendar] = []
    gaps: list[int] = []
    for raw in lines:
        line = re.sub(r"^(CRON_TZ|TZ)=\S+\s+", "", raw.strip())
        if cron_problem(line) is not None:
            continue
        if line.startswith("@every"):
            gaps.append(max(1, round(_go_seconds(line[len("@every"):].strip()))))
        else:
            calendars.append(_calendar(_AS_LINE.get(line, line).split()))
    found = _calendar_gap(calendars)
    candidates = gaps + ([found * 60] if found is not None else [])
    return min(candidates) if candidates else None


def _calendar(fields: list[str]) -> _Calendar:
    minute, hour, day, month, weekday = (_field_values(text, *spec) for text, spec in zip(fields, _FIELDS, strict=True))
    assert isinstance(minute, set) and isinstance(hour, set) and isinstance(day, set) and \
        isinstance(month, set) and isinstance(weekday, set)   # the line passed cron_problem
    return _Calendar(tuple(sorted(h * 60 + m for h in hour for m in minute)), frozenset(day), frozenset(month),
                     frozenset(weekday), fields[2] not in ("*", "?") and fields[4] not in ("*", "?"))


def _calendar_gap(calendars: list[_Calendar]) -> int | None:
    """Shortest gap in minutes between consecutive starts over a whole leap cycle of dates."""
    if not calendars:
        return None
    shortest: int | None = None
    previous: int | None = None          # the last start so far, in minutes since _FIRST_DAY
    for offset in range(_DAYS):
        day = _FIRST_DAY + timedelta(days=offset)
        minutes = sorted({m for c in calendars if c.fires_on(day) for m in c.minutes})
        for minute in minutes:
            now = offset * DAY_MINUTES + minute
            if previous is not None and (shortest is None or now - previous < shortest):
                shortest = now - previous
            previous = now
        if shortest == 1:
            break
    return shortest


def _go_seconds(duration: str) -> float:
    """A Go duration (`1h30m`, `90s`) in seconds."""
    return sum(float(number or 0) * _GO_UNIT_SECONDS[unit]
               for number, unit in re.findall(r"([0-9]*(?:\.[0-9]*)?)(ns|us|µs|ms|s|m|h)", duration))
