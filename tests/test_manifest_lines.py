"""manifest.json's entry lines copied instead of encoded again (compiler/output/assemble.py
`entry_lines`, used by the delta compile for the entries it keeps)."""
from __future__ import annotations

import json

from compiler.output import assemble
from compiler.output.assemble import entry_lines, manifest_bytes

DOC = {
    "format_version": "1.4",
    "capacity": {"dev": {"pools": {}}},
    "platforms": [],
    "projects": [{"folder": "dev/a", "objects": [{"kind": "Namespace", "name": "é"}]}],
    "selection": {"envs": [], "projects": []},
    "targets": [{"folder": "dev/a/job-x", "gpus": [], "digest": "1"}, {"folder": "dev/a/job-y", "n": 1.5}],
    "tool": {"name": "strata", "version": "0"},
}


def test_every_entry_line_is_found_and_copying_them_gives_the_same_bytes(monkeypatch):
    data = manifest_bytes(DOC)
    old = json.loads(data)
    lines = entry_lines(data, old)
    assert sorted(line for _, line in lines.values()) == sorted(
        assemble._compact(e).encode() for key in ("projects", "targets") for e in old[key])
    encoded = []
    monkeypatch.setattr(assemble, "_compact", lambda value: encoded.append(value) or json.dumps(value))
    assert manifest_bytes(old, lines) == data
    assert not [e for e in encoded if isinstance(e, dict) and "folder" in e]   # no entry encoded again


def test_a_new_or_replaced_entry_is_encoded():
    data = manifest_bytes(DOC)
    old = json.loads(data)
    lines = entry_lines(data, old)
    new = dict(old, targets=[old["targets"][0], {**old["targets"][1], "n": 2}, {"folder": "dev/a/job-z"}])
    assert manifest_bytes(new, lines) == manifest_bytes(json.loads(json.dumps(new)))


def test_a_file_laid_out_otherwise_gives_no_lines():
    assert entry_lines(json.dumps(DOC, indent=2).encode(), DOC) == {}
    data = manifest_bytes(DOC)
    assert entry_lines(data, {**json.loads(data), "targets": [{"folder": "only one"}]}) == {}
    assert entry_lines(data.replace(b"\n}\n", b"\n}\n\n"), json.loads(data)) == {}
    assert entry_lines(b"", {}) == {}
