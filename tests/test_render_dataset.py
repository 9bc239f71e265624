"""Dataset rendering: Fluid Dataset + runtime per engine + DataLoad; NFS PV/PVC; PVC passthrough."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
import yaml

from compiler.render.dataset import DatasetRenderer
from factories import make_ctx, make_env, make_project, make_target
from test_render_job import assert_labelled, assert_valid, messages, tree_of

OSS = {"name": "train", "uri": "oss://ml-data/imagenet/train", "secretRef": "oss-keys",
       "options": {"fs.oss.endpoint": "oss-cn-shanghai-internal.aliyuncs.com"}}
TIERS = [{"medium": "MEM", "quota": "16Gi"}, {"medium": "SSD", "path": "/mnt/nvme0", "quota": "200Gi"}]


def render(spec: dict[str, Any], name: str = "imagenet", tree: bool = False):
    project = make_project(env=make_env())
    target = make_target("Dataset", name, spec, project)
    if tree:
        target = replace(target, tree=tree_of(target.values, "projects/demo/dataset-imagenet.yaml"))
    ctx = make_ctx(target)
    return DatasetRenderer().render(target, ctx), target, ctx


def by_kind(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {obj["kind"]: obj for obj in objects}


# --- Fluid ------------------------------------------------------------------------------------

@pytest.mark.parametrize("engine, runtime_kind", [
    ("alluxio", "AlluxioRuntime"), ("jindo", "JindoRuntime"),
])
def test_fluid_dataset_and_runtime_per_engine(engine, runtime_kind, crd_schemas):
    objects, _, ctx = render({"sources": [OSS], "cache": {"engine": engine, "replicas": 3, "tiers": TIERS}})
    assert [(o["apiVersion"], o["kind"]) for o in objects] == [
        ("data.fluid.io/v1alpha1", "Dataset"), ("data.fluid.io/v1alpha1", runtime_kind)]
    dataset, runtime = objects
    assert dataset["metadata"]["name"] == runtime["metadata"]["name"] == "imagenet"  # how Fluid binds them
    (mount,) = dataset["spec"]["mounts"]
    assert mount["name"] == "train" and mount["mountPoint"] == "oss://ml-data/imagenet/train"
    assert mount["options"] == {"fs.oss.endpoint": "oss-cn-shanghai-internal.aliyuncs.com"}
    assert {k: runtime["spec"][k] for k in ("replicas", "tieredstore")} == {"replicas": 3, "tieredstore": {
        "levels": [{"mediumtype": "MEM", "path": "/dev/shm", "quota": "16Gi"},
                   {"mediumtype": "SSD", "path": "/mnt/nvme0", "quota": "200Gi"}]}}
    components = {"alluxio": ["master", "jobMaster", "worker", "jobWorker", "fuse"],
                  "jindo": ["master", "worker", "fuse"]}[engine]
    assert [k for k in runtime["spec"] if k not in ("replicas", "tieredstore")] == components
    assert messages(ctx.problems) == []
    assert_valid(objects, crd_schemas)
    assert_labelled(objects)


def test_secret_ref_becomes_encrypt_option_references_never_values():
    objects, _, _ = render({"sources": [OSS], "cache": {"engine": "alluxio"}})
    (mount,) = objects[0]["spec"]["mounts"]
    assert mount["encryptOptions"] == [
        {"name": "fs.oss.accessKeyId", "valueFrom": {"secretKeyRef": {"name": "oss-keys", "key": "fs.oss.accessKeyId"}}},
        {"name": "fs.oss.accessKeySecret",
         "valueFrom": {"secretKeyRef": {"name": "oss-keys", "key": "fs.oss.accessKeySecret"}}},
    ]


def test_s3_credentials_use_each_engines_option_names():
    s3 = {"name": "raw", "uri": "s3://bucket/raw", "secretRef": "aws"}
    alluxio, _, _ = render({"sources": [s3], "cache": {"engine": "alluxio"}})
    jindo, _, _ = render({"sources": [s3], "cache": {"engine": "jindo"}})
    assert [e["name"] for e in alluxio[0]["spec"]["mounts"][0]["encryptOptions"]] == ["aws.accessKeyId",
                                                                                     "aws.secretKey"]
    assert [e["name"] for e in jindo[0]["spec"]["mounts"][0]["encryptOptions"]] == ["fs.s3.accessKeyId",
                                                                                   "fs.s3.accessKeySecret"]


def test_juicefs_mounts_its_own_path_with_metaurl_secret(crd_schemas):
    source = {"name": "feat", "uri": "s3://features/v3", "secretRef": "jfs",
              "options": {"bucket": "https://features.s3.us-east-1.amazonaws.com"}}
    objects, _, ctx = render({"sources": [source], "cache": {"engine": "juicefs", "tiers": [TIERS[0]]}})
    dataset, runtime = objects
    (mount,) = dataset["spec"]["mounts"]
    assert mount["mountPoint"] == "juicefs:///v3"
    assert mount["options"] == {"bucket": "https://features.s3.us-east-1.amazonaws.com", "storage": "s3"}
    assert [e["name"] for e in mount["encryptOptions"]] == ["metaurl", "access-key", "secret-key"]
    assert runtime["kind"] == "JuiceFSRuntime"
    assert messages(ctx.problems) == []
    assert_valid(objects, crd_schemas)


def test_juicefs_needs_secret_and_bucket():
    _, _, ctx = render({"sources": [{"name": "feat", "uri": "s3://features/v3"}], "cache": {"engine": "juicefs"}})
    found = messages(ctx.problems)
    assert len(found) == 2
    assert any("needs `secretRef`" in m for m in found) and any("needs `options.bucket`" in m for m in found)


def test_warmup_adds_a_data_load(crd_schemas):
    objects, _, _ = render({"sources": [OSS], "cache": {"engine": "alluxio", "warmup": True}})
    assert [o["kind"] for o in objects] == ["Dataset", "AlluxioRuntime", "DataLoad"]
    load = objects[2]
    assert load["metadata"]["name"] == "imagenet-warmup"
    assert load["spec"] == {"dataset": {"name": "imagenet", "namespace": "demo"}, "loadMetadata": True,
                            "resources": {"requests": {"cpu": "500m", "memory": "1Gi"},
                                          "limits": {"cpu": "500m", "memory": "1Gi"}}}
    assert_valid(objects, crd_schemas)
    assert_labelled(objects)


def test_pvc_and_https_sources_pass_through_as_mount_points(crd_schemas):
    sources = [{"name": "nas", "uri": "pvc://team-nas/corpora"}, {"name": "web", "uri": "https://mirror.example.com/x/"}]
    objects, _, ctx = render({"sources": sources, "cache": {"engine": "alluxio"}})
    assert [m["mountPoint"] for m in objects[0]["spec"]["mounts"]] == ["pvc://team-nas/corpora",
                                                                      "https://mirror.example.com/x/"]
    assert messages(ctx.problems) == []
    assert_valid(objects, crd_schemas)


def test_unsupported_scheme_for_engine_is_an_error_at_the_uri():
    spec = {"sources": [OSS, {"name": "home", "uri": "nfs://filer/home"}], "cache": {"engine": "jindo"}}
    _, target, ctx = render(spec, tree=True)
    (problem,) = ctx.problems.items
    assert "nfs:// is not supported by cache engine jindo" in problem.message
    assert problem.origin == target.tree.data["sources"].data[1].data["uri"].origin


def test_secret_for_a_scheme_without_credentials_is_an_error():
    spec = {"sources": [{"name": "h", "uri": "hdfs://namenode:8020/data", "secretRef": "x"}],
            "cache": {"engine": "alluxio"}}
    _, _, ctx = render(spec)
    assert any("takes no credentials for hdfs://" in m for m in messages(ctx.problems))


def test_ssd_tier_without_path_is_an_error():
    _, _, ctx = render({"sources": [OSS], "cache": {"engine": "alluxio", "tiers": [{"medium": "SSD", "quota": "1Ti"}]}})
    assert any("cache tier SSD needs a `path`" in m for m in messages(ctx.problems))


# --- engine none ------------------------------------------------------------------------------

def test_nfs_becomes_a_pv_and_a_pvc_named_after_the_dataset(crd_schemas):
    source = {"name": "share", "uri": "nfs://filer.example.com/exports/imagenet/", "options": {"nfsvers": "4.1", "hard": ""}}
    objects, _, ctx = render({"sources": [source]})
    pv, pvc = objects
    assert (pv["kind"], pvc["kind"]) == ("PersistentVolume", "PersistentVolumeClaim")
    assert "namespace" not in pv["metadata"] and pv["metadata"]["name"] == "demo-imagenet"
    assert pv["spec"]["nfs"] == {"server": "filer.example.com", "path": "/exports/imagenet"}
    assert pv["spec"]["mountOptions"] == ["hard", "nfsvers=4.1"]
    assert pv["spec"]["claimRef"] == {"namespace": "demo", "name": "imagenet"}
    assert pv["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
    assert pvc["metadata"]["name"] == "imagenet" and pvc["spec"]["volumeName"] == "demo-imagenet"
    assert pv["spec"]["capacity"]["storage"] == pvc["spec"]["resources"]["requests"]["storage"]
    assert messages(ctx.problems) == []
    assert_valid(objects, crd_schemas)
    assert_labelled(objects)


def test_pvc_source_without_engine_emits_nothing():
    objects, _, ctx = render({"sources": [{"name": "nas", "uri": "pvc://team-nas/corpora/v2"}]})
    assert objects == [] and messages(ctx.problems) == []


def test_object_store_without_engine_is_an_error_at_the_source_uri():
    _, target, ctx = render({"sources": [OSS], "cache": {"engine": "none"}}, tree=True)
    (problem,) = ctx.problems.items
    assert "oss:// needs a cache engine" in problem.message
    assert problem.origin == target.tree.data["sources"].data[0].data["uri"].origin
    assert problem.origin.line > 1


def test_engine_none_takes_one_source():
    sources = [{"name": "a", "uri": "nfs://filer/a"}, {"name": "b", "uri": "nfs://filer/b"}]
    objects, _, ctx = render({"sources": sources})
    assert objects == []
    assert any("exactly one source" in m for m in messages(ctx.problems))


def test_cache_only_settings_without_engine_warn():
    spec = {"sources": [{"name": "nas", "uri": "pvc://team-nas/x"}], "placement": "required",
            "cache": {"warmup": True}}
    _, _, ctx = render(spec)
    assert len(messages(ctx.warnings)) == 2 and messages(ctx.problems) == []


def test_rendering_is_deterministic():
    spec = {"sources": [OSS, {"name": "b", "uri": "s3://b/c", "secretRef": "aws", "options": {"z": "1", "a": "2"}}],
            "cache": {"engine": "alluxio", "tiers": TIERS, "warmup": True}}
    assert yaml.safe_dump_all(render(spec)[0], sort_keys=False) == yaml.safe_dump_all(render(spec)[0], sort_keys=False)
    assert list(render(spec)[0][0]["spec"]["mounts"][1]["options"]) == ["a", "z"]
