"""What a matrix cell says about one target, and how it differs from its promotion source.

A cell shows the image tags, resolved model versions, chart version and GPUs of a
target. Images come from the spec model's `containers()` (what the policy checks read),
model and chart versions from what the render recorded (`Rendered.records`, as
manifest.json keeps them), GPUs from compiler.capacity's lines of its rendered objects
(the most it holds at once per pool, as `strata capacity` and the capacity page count). Whether a target differs from the
same resource in its environment's `promotion.from` is decided as `strata promote`
decides it: the promotable fields (declared on the schema) compared before
interpolation, so `${env.vars.registry}/app:1.2` is the same release everywhere.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from compiler.capacity.report import Line
from compiler.promote.fields import comparable, concrete_paths, label, value_at, writable
from compiler.render import Rendered
from compiler.targets import Target

DIGEST_SHOWN = 12   # characters of a digest shown where a tag would be (`sha256:4f1e9a0c`)


@dataclass(frozen=True)
class Facts:
    images: tuple[str, ...] = ()                  # full image references, in spec order, unique
    tags: tuple[str, ...] = ()                    # their tags (or short digests)
    models: tuple[str, ...] = ()                  # `shoe-embedder v4`, canary's after the main model
    chart: str = ""                               # `model-service 0.3.0`
    gpus: tuple[tuple[str, int], ...] = ()        # (pool, GPUs at most at once), by pool

    @property
    def gpu_text(self) -> str:
        return ", ".join(f"{count}× {pool}" for pool, count in self.gpus)


@dataclass(frozen=True)
class Drift:
    """A promotable field whose value here is not the promotion source's."""

    path: str          # `model.version`
    here: Any          # as written (before interpolation); None when unset
    source: Any


def facts_of(target: Target, rendered: Rendered | None, lines: Iterable[Line] = ()) -> Facts:
    images = tuple(dict.fromkeys(c.image for c in target.spec.containers() if c.image))
    records = dict(rendered.records) if rendered is not None else {}
    models = tuple(_model_text(records[key]) for key in ("model", "canaryModel") if isinstance(records.get(key), dict))
    chart = records.get("chart")
    chart_text = " ".join(str(chart.get(k) or "") for k in ("name", "version")).strip() if isinstance(chart, dict) else ""
    gpus: dict[str, int] = defaultdict(int)
    for line in lines:
        gpus[line.pool] += line.high
    return Facts(images, tuple(dict.fromkeys(image_tag(i) for i in images)), models, chart_text,
                 tuple(sorted((pool, n) for pool, n in gpus.items() if n)))


def _model_text(record: Mapping[str, Any]) -> str:
    alias = f" ({record['alias']})" if record.get("alias") else ""
    return f"{record.get('name', '')} v{record.get('version', '')}{alias}"


def image_tag(image: str) -> str:
    """`registry:5000/team/app:1.2@sha256:ab…` → `1.2`; a digest alone → its first characters; else `latest`."""
    name, _, digest = image.partition("@")
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        return last.rsplit(":", 1)[1]
    return digest[:DIGEST_SHOWN + len("sha256:")] if digest else "latest"


def drift(target: Target, source: Target) -> tuple[Drift, ...]:
    """The promotable fields `strata promote --from <source env>` would change here."""
    found = []
    for path in concrete_paths(target.kind, source.raw_tree, target.raw_tree):
        here, there = writable(value_at(target.raw_tree, path)), writable(value_at(source.raw_tree, path))
        if comparable(here) != comparable(there):
            found.append(Drift(label(path), _shown(here), _shown(there)))
    return tuple(found)


def _shown(value: Any) -> Any:
    return None if not isinstance(value, (str, int, float, bool, dict, list)) else value
