"""Secret values never appear in any plan format; keys and sizes do."""
from __future__ import annotations

import base64
import json

from compiler.plan.compare import compare
from compiler.plan.formats import render
from compiler.plan.mask import mask_object
from compiler.plan.model import Plan
from test_plan_support import emitted

SECRET_OLD = "hunter2-old-password"
SECRET_NEW = "correct-horse-battery"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def secret(**body):
    return emitted("dev", "p", "service.api", "Secret", "creds", **body)


def test_mask_object_keeps_keys_and_sizes():
    obj = secret(data={"password": b64("12345")}, stringData={"token": "abcdef"}, type="Opaque").obj
    masked = mask_object(obj)
    assert masked["data"] == {"password": "(sensitive, 5 bytes)"}
    assert masked["stringData"] == {"token": "(sensitive, 6 bytes)"}
    assert masked["type"] == "Opaque" and masked["metadata"] == obj["metadata"]
    assert obj["data"]["password"] == b64("12345")   # the input is left alone


def test_other_kinds_are_not_masked():
    cm = emitted("dev", "p", "job.a", "ConfigMap", "c", data={"k": "v"}).obj
    assert mask_object(cm) is cm


def test_changes_of_a_secret_are_masked_in_every_format():
    base = [secret(data={"password": b64(SECRET_OLD), "user": b64("bob")})]
    head = [secret(data={"password": b64(SECRET_NEW), "extra": b64("x")}, stringData={"plain": SECRET_NEW})]
    entries = compare(base, head)
    assert [(c.path, c.old, c.new) for c in entries[0].changes][0] == (
        "/data/password", "(sensitive, 20 bytes)", "(sensitive, 21 bytes)")
    paths = [c.path for c in entries[0].changes]
    assert paths == ["/data/password", "/data/extra", "/data/user", "/stringData"]
    plan = Plan("main", "0" * 40, "working tree", entries=entries, envs=("dev",))
    for fmt in ("text", "markdown", "json"):
        out = render(plan, fmt)
        for leaked in (SECRET_OLD, SECRET_NEW, b64(SECRET_OLD), b64(SECRET_NEW), b64("bob")):
            assert leaked not in out, (fmt, leaked)
        assert "password" in out and "(sensitive, 21 bytes)" in out
    doc = json.loads(render(plan, "json"))
    assert doc["entries"][0]["after"]["stringData"] == {"plain": "(sensitive, 21 bytes)"}
    assert doc["entries"][0]["before"]["data"]["user"] == "(sensitive, 3 bytes)"


def test_added_and_destroyed_secrets_are_masked():
    entries = compare([secret(data={"a": b64(SECRET_OLD)})],
                      [emitted("dev", "p", "service.api", "Secret", "other", stringData={"b": SECRET_NEW})])
    out = render(Plan("main", "0" * 40, "abc", entries=entries), "json")
    assert SECRET_NEW not in out and b64(SECRET_OLD) not in out
    assert "(sensitive, 20 bytes)" in out and "(sensitive, 21 bytes)" in out


def test_invalid_base64_counts_raw_bytes():
    assert mask_object(secret(data={"k": "not base64!"}).obj)["data"]["k"] == "(sensitive, 11 bytes)"
