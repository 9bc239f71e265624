"""Time `strata docs generate` against a full compile, and open its pages in headless Chromium.

    python bench/docs.py                          # generate 200 x 3 x 6 = 3,600 targets, time it
    python bench/docs.py --projects 20 --envs 2   # smaller
    python bench/docs.py --repo .                 # an existing repo (copied first, never modified)
    python bench/docs.py --markdown               # the table bench/README.md shows

Steps, each a fresh process timed with the wall clock: `strata compile --no-cache` (the
yardstick the issue sets: generating the site may take no longer) and `strata docs generate`,
alternately `--repeat` times (3), each reported by its median.
Then the site's size (files, the largest file: the issue allows ~2 MB at most) and page-open
times from file:// in Debian's Chromium through Playwright (bench/browser.py): the home
matrix, the capacity page, the lineage index, a search that finds results, the largest resource
page and the largest lineage page (by bytes), and a seeded sample of the other resource and
lineage pages. A page's time runs from navigation start to its load event, or to the moment
its script says it is drawn (the lineage graph, the search results), whichever is later.
Every page must load without a console error or failed request; the run exits 1 otherwise.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import browser  # bench/browser.py, beside this file
from run import Step, copy_repo, generate, machine, strata_command, timed, workload_options

LIMIT_SECONDS = 1.0
LIMIT_BYTES = 2_000_000


@dataclass
class Opened:
    kind: str
    seconds: list[float] = field(default_factory=list)
    slowest: str = ""

    def add(self, page: str, seconds: float) -> None:
        if not self.seconds or seconds > max(self.seconds):
            self.slowest = page
        self.seconds.append(seconds)


def _median(runs: list[Step]) -> Step:
    """The run of median time, its note listing every run's time."""
    failed = [r for r in runs if not r.ok]
    if failed:
        return failed[0]
    middle = sorted(runs, key=lambda r: r.seconds or 0)[len(runs) // 2]
    return Step(middle.name, middle.seconds, middle.code, ", ".join(f"{r.seconds:.1f}" for r in runs), True)


def site_size(site: Path) -> tuple[int, int, str, int]:
    files = [p for p in site.rglob("*") if p.is_file()]
    largest = max(files, key=lambda p: p.stat().st_size)
    return len(files), largest.stat().st_size, largest.relative_to(site).as_posix(), sum(p.stat().st_size for p in files)


def pages_to_open(site: Path, sample: int, seed: int) -> list[tuple[str, str, str | None, str | None]]:
    """(kind, page, ready selector, ready-time attribute)."""
    resources = sorted(p.relative_to(site).as_posix() for p in (site / "r").rglob("*.html"))
    lineages = sorted(p.relative_to(site).as_posix() for p in (site / "lineage").rglob("*.html"))
    largest = [max(found, key=lambda p: (site / p).stat().st_size) for found in (resources, lineages)]
    rng = random.Random(seed)
    picked = {"resource": [largest[0], *rng.sample(resources, min(sample, len(resources)))],
              "lineage": [largest[1], *rng.sample(lineages, min(sample, len(lineages)))]}
    found: list[tuple[str, str, str | None, str | None]] = [
        ("home (matrix)", "index.html", None, None), ("capacity", "capacity.html", None, None),
        ("lineage index", "lineage.html", None, None),
        ("search", "search.html?q=train", "body[data-search-ready]", "data-search-ready")]
    found += [("resource page", page, None, None) for page in dict.fromkeys(picked["resource"])]
    found += [("lineage page", page, '#cy[data-ready="1"]', "data-ready-ms") for page in dict.fromkeys(picked["lineage"])]
    return found


def open_pages(site: Path, pages: list[tuple[str, str, str | None, str | None]]) -> tuple[dict[str, Opened], list[str]]:
    opened: dict[str, Opened] = {}
    problems: list[str] = []
    with browser.open_browser() as context:
        for kind, page, ready, attribute in pages:
            tab = context.new_page()
            watch = browser.Watch(tab)
            url = site.as_uri() + "/" + page
            seconds = watch.open(url, ready, attribute)
            opened.setdefault(kind, Opened(kind)).add(page, seconds)
            problems += [f"{page}: {p}" for p in watch.problems]
            tab.close()
    return opened, problems


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = workload_options(__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="compile and generate this many times, alternately")
    parser.add_argument("--sample", type=int, default=40, help="resource and lineage pages opened besides the largest")
    parser.add_argument("--strata", help="the strata command (default: the one beside this Python)")
    parser.add_argument("--markdown", action="store_true", help="print the table as markdown, with the machine")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    strata = strata_command(args.strata)
    why = browser.unavailable()
    with tempfile.TemporaryDirectory(prefix="strata-bench-docs-") as scratch:
        repo, out, site = Path(scratch) / "repo", Path(scratch) / "out", Path(scratch) / "site"
        steps: list[Step] = []
        if args.repo:
            copy_repo(args.repo, repo)
        else:
            steps.append(generate(args, repo))
        compiles, generates = [], []
        for _ in range(args.repeat):   # alternated, so both see the same (shared, noisy) machine
            compiles.append(timed("strata compile --no-cache (full)", [*strata, "--repo", str(repo), "compile",
                                                                       "--no-cache", "--out", str(out)], repo))
            generates.append(timed("strata docs generate", [*strata, "--repo", str(repo), "docs", "generate",
                                                            "--out", str(site)], repo))
        steps += [_median(compiles), _median(generates)]
        failed = [s for s in steps if not s.ok]
        for step in failed:
            print(f"{step.name} failed ({step.code}): {step.note}", file=sys.stderr)
        if failed:
            return 1
        files, largest, largest_name, total = site_size(site)
        opened, problems = ({}, []) if why else open_pages(site, pages_to_open(site, args.sample, args.seed))
    report(args, strata, steps, (files, largest, largest_name, total), opened, why)
    for problem in problems:
        print(f"problem: {problem}", file=sys.stderr)
    slow = [o for o in opened.values() if max(o.seconds) >= LIMIT_SECONDS]
    return 1 if problems or largest > LIMIT_BYTES or slow else 0


def report(args, strata, steps: list[Step], size: tuple[int, int, str, int], opened: dict[str, Opened],
           why: str | None) -> None:
    files, largest, largest_name, total = size
    compile_step, docs_step = steps[-2], steps[-1]
    assert compile_step.seconds is not None and docs_step.seconds is not None
    lines = ["| step | wall time (median) | every run |", "|---|---:|---|"]
    lines += [f"| {s.name} | {s.seconds:.1f} s | {s.note if s in (compile_step, docs_step) else ''} |"
              for s in steps if s.seconds is not None]
    lines += ["", f"Site: {files:,} files, {total / 1e6:.1f} MB; largest file {largest / 1e6:.2f} MB "
                  f"(`{largest_name}`). Generate / compile: {docs_step.seconds / compile_step.seconds:.2f}.", ""]
    if why:
        lines.append(f"Page-open times not measured: {why}.")
    else:
        lines += ["| page (file://, headless Chromium) | pages | median | slowest | slowest page |", "|---|---:|---:|---:|---|"]
        lines += [f"| {o.kind} | {len(o.seconds)} | {statistics.median(o.seconds) * 1000:.0f} ms | "
                  f"{max(o.seconds) * 1000:.0f} ms | `{o.slowest}` |" for o in opened.values()]
    if args.markdown:
        where = machine(strata, Path(tempfile.gettempdir()))   # where the scratch folder was
        lines += ["", f"Workload: {args.projects} projects × {args.resources_per_project} resources × {args.envs} "
                      f"environments; {where}." if not args.repo else f"Repo: {args.repo}; {where}."]
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
