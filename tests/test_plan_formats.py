"""Text, markdown and JSON renderings of a hand-built plan."""
from __future__ import annotations

import json
import re

from compiler.plan.compare import compare
from compiler.plan.formats import format_for, render
from compiler.plan.markdown import MARKER, fenced, render_markdown
from compiler.plan.model import ABSENT, Cause, Plan, TargetNote
from compiler.plan.text import render_text
from test_plan_support import emitted

SHA = "1234567890abcdef1234567890abcdef12345678"


def sample_plan() -> Plan:
    base = [emitted("dev", "asr", "service.serve", "Deployment", "serve", api="apps/v1", spec={"replicas": 2}),
            emitted("dev", "asr", "notebook.lab", "Notebook", "lab", api="kubeflow.org/v1"),
            emitted("prod", "asr", "service.serve", "Deployment", "serve", api="apps/v1", spec={"replicas": 4})]
    head = [emitted("dev", "asr", "service.serve", "Deployment", "serve", api="apps/v1", spec={"replicas": 3}),
            emitted("dev", "asr", "service.serve", "Service", "serve", spec={"port": 80}),
            emitted("prod", "asr", "service.serve", "Deployment", "serve", api="apps/v1", spec={"replicas": 4})]
    notes = {("dev", "asr", "service.serve"): TargetNote(
        causes=(Cause("replicas", 2, 3, "projects/asr/serve.yaml:9:3"),),
        files=("projects/asr/serve.yaml",), source="projects/asr/serve.yaml:1:1"),
        ("dev", "asr", "notebook.lab"): TargetNote(files=("projects/asr/lab.yaml",), source="projects/asr/lab.yaml:1:1")}
    return Plan("main", SHA, "working tree", entries=compare(base, head), notes=notes, envs=("dev", "prod"))


def test_text_groups_by_environment_and_target():
    out = render_text(sample_plan())
    assert out == """\
strata plan: base main (1234567890ab) → head working tree

Environment dev: 1 to add, 1 to change, 1 to destroy
  asr/notebook.lab  (projects/asr/lab.yaml:1:1)
      because these inputs changed: projects/asr/lab.yaml
    - kubeflow.org/v1 Notebook ns/lab
  asr/service.serve  (projects/asr/serve.yaml:1:1)
      because replicas: 2 → 3  (projects/asr/serve.yaml:9:3)
    ~ apps/v1 Deployment ns/serve
        ~ /spec/replicas: 2 → 3
    + v1 Service ns/serve

Plan: 1 to add, 1 to change, 1 to destroy.
"""


def test_text_colour_only_when_asked():
    assert "\x1b[" not in render_text(sample_plan())
    coloured = render_text(sample_plan(), color=True)
    assert "\x1b[32m+ v1 Service ns/serve" in coloured and "\x1b[31m- kubeflow.org/v1" in coloured


def test_no_changes_everywhere():
    empty = Plan("main", SHA, SHA, envs=("dev",))
    assert "No changes." in render_text(empty) and "Plan:" not in render_text(empty)
    assert "**No changes.**" in render_markdown(empty) and "<details>" not in render_markdown(empty)
    doc = json.loads(render(empty, "json"))
    assert doc["summary"] == {"add": 0, "change": 0, "destroy": 0, "changes": False}
    assert doc["entries"] == [] and doc["head"] == SHA


def test_markdown_summary_table_details_and_hidden_unchanged_env():
    out = render_markdown(sample_plan())
    assert out.startswith(MARKER + "\n")
    assert "**Plan: 1 to add, 1 to change, 1 to destroy.**" in out
    assert "| `dev` | 1 | 1 | 1 |" in out and "| `prod`" not in out
    assert "Unchanged: `prod`" in out
    assert "<summary><code>+~ asr/service.serve</code> — 3 objects</summary>" not in out
    assert "<summary><code>+~ asr/service.serve</code> — 2 objects</summary>" in out
    assert "```diff\n~ apps/v1 Deployment ns/serve\n- /spec/replicas: 2\n+ /spec/replicas: 3\n+ v1 Service ns/serve\n```" in out
    assert out.count("<details>") == out.count("</details>") == 3
    assert "- `replicas`: `2` → `3` at `projects/asr/serve.yaml:9:3`" in out
    assert "- changed inputs: `projects/asr/lab.yaml`" in out
    assert "- changed inputs: `projects/asr/serve.yaml`" not in out   # a listed cause points at it


def test_markdown_code_spans_survive_backticks():
    from compiler.plan.markdown import _code
    assert _code("a`b") == "`` a`b ``" and _code("plain") == "`plain`"


def test_why_names_inputs_no_cause_points_at():
    from compiler.plan.text import why
    note = TargetNote(causes=(Cause("image", "r1/x:1", "r2/x:1", "projects/p/job.yaml:4:10"),),
                      files=("environments/dev.yaml", "projects/p/job.yaml"))
    assert why(note) == ['because image: "r1/x:1" → "r2/x:1"  (projects/p/job.yaml:4:10)',
                         "and these inputs changed: environments/dev.yaml"]
    many = TargetNote(causes=tuple(Cause(f"k{i}", i, i + 1, "") for i in range(12)))
    assert why(many)[-1] == "… and 4 more spec changes (see --format json)" and len(why(many)) == 9
    assert why(TargetNote(causes=(Cause("gone", 1, ABSENT, "a.yaml:1:1"),)))[0] == "because removed gone: 1  (a.yaml:1:1)"


def test_markdown_fence_outgrows_backticks_in_values():
    assert fenced("diff", "a ``` b") == ["````diff", "a ``` b", "````"]


def test_markdown_falls_back_to_object_list_under_the_limit():
    base = [emitted("dev", "p", f"job.j{i}", "ConfigMap", f"j{i}", data={"v": "x" * 50}) for i in range(400)]
    head = [emitted("dev", "p", f"job.j{i}", "ConfigMap", f"j{i}", data={"v": "y" * 50}) for i in range(400)]
    plan = Plan("main", SHA, "working tree", entries=compare(base, head), envs=("dev",))
    assert len(render_markdown(plan, limit=10**9)) > 10_000
    small = render_markdown(plan, limit=10_000)
    assert len(small) <= 10_000
    assert "only the objects are listed" in small and "```" not in small
    assert small.count("<details>") == small.count("</details>")
    listed = len(re.findall(r"^- `~ v1 ConfigMap", small, re.M))
    assert 0 < listed < 400 and f"… and {400 - listed} more objects not listed." in small
    assert "**Plan: 0 to add, 400 to change, 0 to destroy.**" in small


def test_markdown_compact_lists_everything_when_it_fits():
    base = [emitted("dev", "p", "job.a", "ConfigMap", "a", data={f"k{i}": "x" * 200 for i in range(20)})]
    head = [emitted("dev", "p", "job.a", "ConfigMap", "a", data={f"k{i}": "y" * 200 for i in range(20)})]
    plan = Plan("main", SHA, "working tree", entries=compare(base, head), envs=("dev",))
    out = render_markdown(plan, limit=1_000)
    assert len(out) <= 1_000 and "only the objects are listed" in out
    assert "- `~ v1 ConfigMap ns/a` (p/job.a)" in out and "more objects" not in out


def test_json_document_shape_and_digest():
    doc = json.loads(render(sample_plan(), "json"))
    assert doc["format_version"] == "1.3"
    assert doc["base"] == {"ref": "main", "sha": SHA} and doc["head"] == "working tree"
    assert doc["summary"] == {"add": 1, "change": 1, "destroy": 1, "changes": True}
    assert doc["environments"] == {"dev": {"add": 1, "change": 1, "destroy": 1}}
    assert doc["unchanged_environments"] == ["prod"]
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", doc["digest"])
    change = next(e for e in doc["entries"] if e["change"] == "change")
    assert change["changes"] == [{"path": "/spec/replicas", "old": 2, "new": 3}]
    assert change["caused_by"]["spec"] == [{"path": "replicas", "where": "projects/asr/serve.yaml:9:3", "old": 2, "new": 3}]
    added = next(e for e in doc["entries"] if e["change"] == "add")
    assert added["before"] is None and added["after"]["kind"] == "Service" and added["namespace"] == "ns"


def test_json_is_deterministic_and_digest_tracks_content():
    assert render(sample_plan(), "json") == render(sample_plan(), "json")
    other = sample_plan()
    other.head = "abc"
    assert json.loads(render(other, "json"))["digest"] == json.loads(render(sample_plan(), "json"))["digest"]
    other.entries = other.entries[:1]
    assert json.loads(render(other, "json"))["digest"] != json.loads(render(sample_plan(), "json"))["digest"]


def test_json_leaves_absent_sides_out():
    base = [emitted("dev", "p", "job.a", "ConfigMap", "a", data={"gone": None})]
    head = [emitted("dev", "p", "job.a", "ConfigMap", "a", data={"new": 1})]
    doc = json.loads(render(Plan("m", SHA, "h", entries=compare(base, head)), "json"))
    assert doc["entries"][0]["changes"] == [{"path": "/data/new", "new": 1}, {"path": "/data/gone", "old": None}]


def test_long_values_are_shortened_for_humans_only():
    base = [emitted("dev", "p", "job.a", "ConfigMap", "a", data={"v": "x" * 500})]
    head = [emitted("dev", "p", "job.a", "ConfigMap", "a", data={"v": "y" * 500})]
    plan = Plan("m", SHA, "h", entries=compare(base, head))
    assert "…" in render_text(plan) and "y" * 500 not in render_text(plan)
    assert "y" * 500 in render(plan, "json")


def test_format_for_suffix():
    from pathlib import Path
    assert format_for(Path("plan.json"), "text") == "json"
    assert format_for(Path("comment.MD"), "text") == "markdown"
    assert format_for(Path("plan.out"), "markdown") == "markdown"
