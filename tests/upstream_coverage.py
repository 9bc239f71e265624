"""The coverage figure of issue 16: how much of real upstream workloads strata expresses.

    python tests/upstream_coverage.py

A *setting* is one thing an upstream example needs to run as upstream meant it
(tests/upstream_examples.py). `before` counts the settings strata could express before
issue 16 (an `expect` without a feature), `now` every `expect` (each is checked by
tests/test_upstream_examples.py against the compiled output); `missing` entries are what is
still not expressible. An example is *fully expressed* when nothing is missing, *blocked* when a
missing setting blocks it.
"""
from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from upstream_examples import EXAMPLES, Example


@dataclass(frozen=True)
class Coverage:
    examples: int
    settings: int
    before: int              # expressible before issue 16
    now: int                 # expressible now (checked)
    full_before: int
    full_now: int
    blocked_before: int
    blocked_now: int
    features: Counter        # settings gained, by feature

    def lines(self) -> list[str]:
        pct = lambda n: f"{100 * n / self.settings:.0f} %"   # noqa: E731
        return [f"{self.examples} upstream examples, {self.settings} settings that matter",
                f"expressible before issue 16: {self.before} ({pct(self.before)}); "
                f"fully expressed examples {self.full_before}; blocked {self.blocked_before}",
                f"expressible now:             {self.now} ({pct(self.now)}); "
                f"fully expressed examples {self.full_now}; blocked {self.blocked_now}",
                "gained by feature: " + ", ".join(f"{k} {v}" for k, v in sorted(self.features.items()))]


# Features whose absence blocked the workload as upstream wrote it (research-16.md §3; per example
# the judgement is the same for every example needing the feature, except those listed in NOT_BLOCKING).
BLOCKING = {"roles-resources", "roles-command", "roles-image", "security", "volumes", "interp", "parallelism",
            "elastic", "host-network", "fieldref", "workingdir", "init-containers", "obj-meta", "pl-when", "pl-retry",
            "pl-io", "ksv-protocol", "ksv-runtime", "ksv-args", "ksv-transformer", "fl-tuning", "pod-meta"}
NOT_BLOCKING = {("02", "pod-meta"), ("11", "roles-command"), ("24", "roles-command"), ("28", "fl-tuning"),
                ("31", "ksv-args"), ("33", "ksv-runtime"), ("35", "ksv-runtime"), ("35", "ksv-args"),
                ("45", "obj-meta"), ("15", "roles-resources")}


def blocked_before(example: Example) -> bool:
    gained = {feature for _, _, _, feature in example.expect if feature}
    return any(f in BLOCKING and (example.id, f) not in NOT_BLOCKING for f in gained) or blocked_now(example)


def blocked_now(example: Example) -> bool:
    return any(blocks for _, _, blocks in example.missing)


def coverage(examples: tuple[Example, ...] = EXAMPLES) -> Coverage:
    settings = sum(len(e.expect) + len(e.missing) for e in examples)
    before = sum(1 for e in examples for *_, feature in e.expect if not feature)
    now = sum(len(e.expect) for e in examples)
    full_before = sum(1 for e in examples if not e.missing and all(not f for *_, f in e.expect))
    full_now = sum(1 for e in examples if not e.missing)
    features = Counter(feature for e in examples for *_, feature in e.expect if feature)
    return Coverage(len(examples), settings, before, now, full_before, full_now,
                    sum(blocked_before(e) for e in examples), sum(blocked_now(e) for e in examples), features)


if __name__ == "__main__":
    print("\n".join(coverage().lines()))
