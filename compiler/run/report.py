"""What `strata run` and `strata runs` print: text for people, one JSON document for tools."""
from __future__ import annotations

import json
from typing import Any

from compiler.explain import explain_lines, target_subject
from compiler.output import yamlout
from compiler.run.compiled import Compiled
from compiler.run.failure import FailedPart
from compiler.run.listing import Run
from compiler.run.model import VIA_ARGO, Source, Started, Starter
from compiler.run.status import progress

FORMAT_VERSION = "1.0"


def started_lines(started: Started, compiled: Compiled, source: Source, starter: Starter, argo_url: str | None) -> list[str]:
    start, target = started.start, compiled.target
    where = f"{start.kind} {start.namespace}/{started.name}"
    verb = "would be created (server dry run: accepted, nothing stored)" if started.dry_run else "created"
    lines = [f"{target.identity} in {target.env.name}: {where} {verb}"]
    if start.via == VIA_ARGO:
        lines.append(f"  through the Argo Server {argo_url}" + (" (submit from " + "/".join(start.submit_from) + ")"
                                                               if start.submit_from else " (create)"))
    if start.note:
        lines.append(f"  {start.note}")
    commit = f"{source.commit[:12]}{' with uncommitted changes' if source.dirty else ''}" if source.commit else "no commit"
    lines.append(f"  run {starter.run_id} · source {commit} · user {starter.user or 'unknown'}")
    lines += settings_lines(compiled)
    return lines


def settings_lines(compiled: Compiled) -> list[str]:
    """Each --set value as `strata explain --path` shows it: the value, `--set`, what it overrode."""
    if compiled.command is None:
        return []
    subject = target_subject(compiled.build, compiled.target)
    lines = []
    for path in dict.fromkeys(compiled.command.paths):
        lines += ["  " + line for line in explain_lines(subject, path)[2:]]
    return lines


def dry_run_lines(started: Started) -> list[str]:
    return ["---", *yamlout.dump(started.start.obj).rstrip("\n").splitlines()]


def outcome_lines(final: dict[str, Any], parts: list[FailedPart]) -> list[str]:
    state = progress(final)
    name = final["metadata"]["name"]
    if state.succeeded:
        return [f"Run {name} succeeded."]
    lines = [f"Run {name} failed" + (f": {state.message}" if state.message else ".")]
    for part in parts:
        lines.append(f"  {part.what} (pod {part.pod})" + (f": {part.message}" if part.message else ""))
        if part.log:
            lines.append(f"    last {len(part.log)} log lines:")
            lines += [f"      {line}" for line in part.log]
    return lines


def run_document(started: Started, compiled: Compiled, source: Source, starter: Starter, argo_url: str | None,
                 final: dict[str, Any] | None = None, parts: list[FailedPart] | None = None) -> str:
    start = started.start
    document: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "resource": compiled.target.identity, "environment": compiled.target.env.name,
        "run": {"id": starter.run_id, "kind": start.kind, "namespace": start.namespace, "name": started.name,
                "sourceCommit": source.label, "user": starter.user, "via": start.via, "argoServer": argo_url,
                "submitFrom": list(start.submit_from) if start.submit_from else None, "note": start.note},
        "settings": list(compiled.command.settings) if compiled.command else [],
        "dryRun": started.dry_run, "object": start.obj, "server": started.obj,
    }
    if final is not None:
        state = progress(final)
        document["result"] = {"phase": state.phase, "message": state.message,
                              "failed": [{"what": p.what, "pod": p.pod, "message": p.message, "log": list(p.log)}
                                         for p in parts or []]}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def runs_lines(runs: list[Run], now: str) -> list[str]:
    if not runs:
        return ["No runs started by strata."]
    rows = [("RUN", "RESOURCE", "PHASE", "STARTED", "DURATION", "COMMIT", "USER")]
    rows += [(f"{r.namespace}/{r.name}", f"{r.project}/{r.resource}", r.phase, r.started, r.duration(now),
              r.commit[:12] + ("-dirty" if r.commit.endswith("-dirty") else ""), r.user) for r in runs]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]


def runs_document(runs: list[Run], now: str) -> str:
    return json.dumps({"format_version": FORMAT_VERSION, "runs": [r.document(now) for r in runs]},
                      indent=2, ensure_ascii=False) + "\n"
