"""manifest.json read back line by line (compiler/output/assemble.py `manifest_lines`) and the
delta compile's entries decoded only where read (compiler/incremental/manifest.py)."""
from __future__ import annotations

import json

from compiler.incremental.manifest import decoded, having, merged, needle
from compiler.output.assemble import manifest_bytes, manifest_lines

DOC = {
    "format_version": "1.4",
    "capacity": {"dev": {"pools": {}}},
    "platforms": [],
    "projects": [{"folder": "dev/a", "project": "a", "objects": [{"kind": "Namespace", "name": "é"}]}],
    "selection": {"envs": [], "projects": []},
    "targets": [{"folder": "dev/a/job-x", "project": "a", "gpus": [], "digest": "1"},
                {"folder": "dev/ab/job-y", "project": "ab", "n": 1.5, "note": "\"project\": \"a\""}],
    "tool": {"name": "strata", "version": "0"},
}


def test_the_lines_are_the_entries_and_writing_them_again_gives_the_same_bytes():
    data = manifest_bytes(DOC)
    values, lists = manifest_lines(data)
    assert values == {k: v for k, v in DOC.items() if k not in ("projects", "targets")}
    assert {key: [json.loads(line) for line in lines] for key, lines in lists.items()} == \
        {"projects": DOC["projects"], "targets": DOC["targets"]}
    assert manifest_bytes({**values, **lists}) == data


def test_a_file_laid_out_otherwise_is_not_read_line_by_line():
    data = manifest_bytes(DOC)
    assert manifest_lines(json.dumps(DOC, indent=2).encode()) is None
    assert manifest_lines(data + b"\n") is None
    assert manifest_lines(data.replace(b"\n  ]", b"")) is None
    assert manifest_lines(data.replace(b'"tool"', b"tool")) is None
    assert manifest_lines(b"") is None


def test_a_needle_finds_every_entry_with_that_value_and_decoding_tells_the_others_apart():
    lines = manifest_lines(manifest_bytes(DOC))[1]["targets"]
    found = [entry for _, entry in having(lines, [needle("project", "a")])]
    assert found[0] == DOC["targets"][0]
    assert found[1] is None   # "ab", and a string that only quotes the field, are not "a"
    mixed = [lines[0], {"folder": "dev/a/job-z", "project": "z"}, lines[1]]   # a made entry is always decoded
    assert [e for _, e in having(mixed, [needle("project", "ab")])] == [None, mixed[1], DOC["targets"][1]]


def test_merged_puts_new_entries_in_folder_order():
    lines = manifest_lines(manifest_bytes(DOC))[1]["targets"]
    fresh = [{"folder": "dev/z"}, {"folder": "dev/a/job-a"}, {"folder": "dev/ab/job-x"}]
    assert [decoded(item)["folder"] for item in merged(lines, fresh)] == \
        ["dev/a/job-a", "dev/a/job-x", "dev/ab/job-x", "dev/ab/job-y", "dev/z"]
