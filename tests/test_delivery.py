"""The delivery target: Argo CD and Flux objects compile emits for the environments they deliver.

Checked against the upstream CRDs in ../shared/crds (argo-cd v3.5.1, flux v1.9) and against
what the environment's own objects are: no Argo CD or Flux runs here (docs/delivery.md).
"""
from __future__ import annotations

import json
from collections import Counter

import pytest
import yaml

from compiler.apply.desired import desired_set
from compiler.delivery.annotate import SYNC_OPTIONS, SYNC_WAVE
from compiler.delivery.health import argocd_checks
from compiler.order import group_of, stage_of
from compiler.pipeline import compile_repo
from conftest import ROOT
from repo_fixture import run, write_repo

REPO = "https://git.example.com/ml/rendered.git"


@pytest.fixture(scope="module")
def example():
    """The embedded example: prod-sh delivered by Argo CD on two clusters, prod-bj by Flux."""
    return compile_repo(ROOT).files


def documents(files: dict[str, bytes], prefix: str) -> dict[str, list[dict]]:
    return {path: [d for d in yaml.safe_load_all(data) if d] for path, data in sorted(files.items())
            if path.startswith(prefix) and path.endswith(".yaml") and not path.endswith("values.yaml")}


def objects(files: dict[str, bytes], prefix: str, kind: str | None = None) -> list[dict]:
    return [d for docs in documents(files, prefix).values() for d in docs if kind is None or d["kind"] == kind]


def by_name(found: list[dict]) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in found}


def group_objects(files: dict[str, bytes], folder: str) -> list[dict]:
    """Every object compile wrote under a project folder (what its Application applies)."""
    return [d for path, docs in documents(files, folder + "/").items()
            if path.endswith(("manifests.yaml", "project.yaml")) for d in docs]


# --- schemas ----------------------------------------------------------------------------------------

def test_every_engine_object_validates_against_the_upstream_crds(example, crd_schemas, kubernetes_schemas):
    found = objects(example, "_delivery/")
    assert {(d["apiVersion"], d["kind"]) for d in found} >= {
        ("argoproj.io/v1alpha1", "AppProject"), ("argoproj.io/v1alpha1", "Application"), ("v1", "ConfigMap"),
        ("source.toolkit.fluxcd.io/v1", "GitRepository"), ("kustomize.toolkit.fluxcd.io/v1", "Kustomization")}
    for obj in found:
        schemas = crd_schemas if crd_schemas.knows(obj["apiVersion"], obj["kind"]) else kubernetes_schemas
        assert schemas.errors(obj) == [], (obj["kind"], obj["metadata"]["name"])


def test_fleet_mode_objects_validate_too(tmp_path, crd_schemas):
    files = compile_repo(fleet_repo(tmp_path)).files
    for obj in objects(files, "_delivery/"):
        if crd_schemas.knows(obj["apiVersion"], obj["kind"]):
            assert crd_schemas.errors(obj) == [], (obj["kind"], obj["metadata"]["name"])


# --- Argo CD: least privilege -------------------------------------------------------------------------

def test_each_appproject_permits_exactly_what_its_project_emits(example):
    projects = by_name(objects(example, "_delivery/argocd/prod-sh/apps/", "AppProject"))
    assert set(projects) == {"prod-sh.cv-shoe-identify", "prod-sh.metric-forecast", "prod-sh.platform"}
    servers = {"https://10.30.0.9:6443", "https://10.30.0.1:6443"}
    # the environment's shared objects: exactly its cluster-scoped ones, no namespaced kind
    platform = projects.pop("prod-sh.platform")["spec"]
    assert {(w["group"], w["kind"], w["name"]) for w in platform["clusterResourceWhitelist"]} == \
        {(group_of(o["apiVersion"]), o["kind"], o["metadata"]["name"]) for o in group_objects(example, "prod-sh/_platform")}
    assert platform["namespaceResourceBlacklist"] == [{"group": "*", "kind": "*"}]
    assert {d["server"] for d in platform["destinations"]} == servers
    for name, project in projects.items():
        emitted = group_objects(example, f"prod-sh/{name.split('.', 1)[1]}")
        namespaces = {o["metadata"]["namespace"] for o in emitted if o["metadata"].get("namespace")}
        spec = project["spec"]
        assert spec["sourceRepos"] == ["https://git.example.com/ml-platform/rendered.git"]
        assert {(d["server"], d["namespace"]) for d in spec["destinations"]} == {(s, n) for s in servers for n in namespaces}
        assert len(namespaces) == 1 and len(spec["destinations"]) == 2
        assert {(w["group"], w["kind"]) for w in spec["namespaceResourceWhitelist"]} == \
            {(group_of(o["apiVersion"]), o["kind"]) for o in emitted if o["metadata"].get("namespace")}
        assert {(w["group"], w["kind"], w["name"]) for w in spec["clusterResourceWhitelist"]} == \
            {(group_of(o["apiVersion"]), o["kind"], o["metadata"]["name"]) for o in emitted
             if not o["metadata"].get("namespace")}
        assert "clusterResourceBlacklist" not in spec and "roles" not in spec


def test_a_group_without_namespaced_objects_is_denied_every_namespaced_kind():
    from compiler.delivery.argocd import app_project
    from compiler.delivery.groups import Group
    from compiler.delivery.settings import DeliverySettings
    from schemas.environment import Cluster

    settings = DeliverySettings("prod", "argocd", REPO, "env/prod", True, False, True, False, True, "argocd", None,
                                (Cluster(name="a", server="https://a"),))
    platform = Group("_platform", "prod/_platform", "", (
        {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "name": "high"},
        {"apiVersion": "kueue.x-k8s.io/v1beta2", "kind": "ResourceFlavor", "name": "a100"}))
    spec = app_project(settings, platform)["spec"]
    assert spec["namespaceResourceBlacklist"] == [{"group": "*", "kind": "*"}]
    assert "namespaceResourceWhitelist" not in spec
    assert spec["destinations"] == [{"server": "https://a"}]
    assert spec["clusterResourceWhitelist"] == [{"group": "kueue.x-k8s.io", "kind": "ResourceFlavor", "name": "a100"},
                                                {"group": "scheduling.k8s.io", "kind": "PriorityClass", "name": "high"}]


def test_the_root_project_may_only_create_argo_cd_objects_in_argo_cds_namespace(example):
    root = by_name(objects(example, "_delivery/argocd/prod-sh/bootstrap.yaml", "AppProject"))["prod-sh"]["spec"]
    assert root["destinations"] == [{"server": "https://kubernetes.default.svc", "namespace": "argocd"}]
    assert root["namespaceResourceWhitelist"] == [{"group": "argoproj.io", "kind": "AppProject"},
                                                  {"group": "argoproj.io", "kind": "Application"}]
    assert "clusterResourceWhitelist" not in root


# --- Argo CD: Applications ----------------------------------------------------------------------------

def test_one_application_per_environment_project_and_cluster(example):
    apps = objects(example, "_delivery/argocd/prod-sh/apps/", "Application")
    keys = Counter((a["metadata"]["labels"]["strata.dev/env"], a["metadata"]["labels"]["strata.dev/project"],
                    a["metadata"]["labels"]["strata.dev/cluster"]) for a in apps)
    assert set(keys) == {("prod-sh", p, c) for p in ("cv-shoe-identify", "metric-forecast", "platform")
                         for c in ("ack-sh-prod-canary", "ack-sh-prod")}
    assert set(keys.values()) == {1}
    for app in [a for a in apps if a["metadata"]["labels"]["strata.dev/project"] == "platform"]:
        assert app["spec"]["source"]["path"] == "prod-sh/_platform" and "namespace" not in app["spec"]["destination"]
        assert app["metadata"]["annotations"][SYNC_WAVE] == "0"          # before every project's Application
    for app in [a for a in apps if a["metadata"]["labels"]["strata.dev/project"] != "platform"]:
        meta, spec = app["metadata"], app["spec"]
        project = meta["labels"]["strata.dev/project"]
        assert meta["name"] == f"prod-sh.{project}.{meta['labels']['strata.dev/cluster']}"
        assert meta["labels"]["strata.dev/ring"] == ("0" if meta["labels"]["strata.dev/cluster"].endswith("canary") else "1")
        assert meta["annotations"]["argocd.argoproj.io/manifest-generate-paths"] == "."
        assert "finalizers" not in meta                                  # production: no cascading delete
        assert spec["project"] == f"prod-sh.{project}"
        assert spec["source"] == {"repoURL": "https://git.example.com/ml-platform/rendered.git",
                                  "targetRevision": "refs/heads/env/prod-sh", "path": f"prod-sh/{project}",
                                  "directory": {"recurse": True, "include": "{*manifests.yaml,project.yaml}"}}
        assert spec["destination"]["namespace"] == project
        assert spec["syncPolicy"]["automated"] == {"prune": False, "selfHeal": True}
        assert {"ServerSideApply=true", "ApplyOutOfSyncOnly=true"} <= set(spec["syncPolicy"]["syncOptions"])
    root = by_name(objects(example, "_delivery/argocd/prod-sh/bootstrap.yaml", "Application"))["prod-sh"]
    assert root["spec"]["source"]["path"] == "_delivery/argocd/prod-sh/apps" and "finalizers" not in root["metadata"]


def test_the_include_pattern_reads_manifests_and_never_values(example):
    """Argo CD matches `include` against the path under the Application's folder with a glob whose
    `*` crosses `/` (util/glob, no separators); the same rule here."""
    import fnmatch

    paths = [p.split("/", 2)[2] for p in example if p.startswith("prod-sh/cv-shoe-identify/")]
    chosen = [p for p in paths if any(fnmatch.fnmatchcase(p, g) for g in ("*manifests.yaml", "project.yaml"))]
    assert "project.yaml" in chosen and all(p.endswith(("manifests.yaml", "project.yaml")) for p in chosen)
    assert not [p for p in chosen if p.endswith("values.yaml")] and any(p.endswith("values.yaml") for p in paths)


def test_outside_production_applications_prune_and_delete_what_they_deployed(tmp_path):
    files = compile_repo(argocd_repo(tmp_path)).files
    apps = objects(files, "_delivery/argocd/dev/apps/", "Application")
    assert [a["metadata"]["name"] for a in apps] == ["dev.demo.dev-cluster"]
    [app] = apps
    assert app["metadata"]["finalizers"] == ["resources-finalizer.argocd.argoproj.io"]
    assert app["spec"]["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}
    assert app["spec"]["destination"] == {"name": "dev-cluster", "namespace": "demo-dev"}   # no server: Argo CD's name
    root = by_name(objects(files, "_delivery/argocd/dev/bootstrap.yaml", "Application"))["dev"]
    assert "finalizers" not in root["metadata"]


def test_kueue_environments_never_put_a_job_back_into_suspend(tmp_path):
    files = compile_repo(argocd_repo(tmp_path, scheduler="kueue")).files
    [app] = objects(files, "_delivery/argocd/dev/apps/demo.yaml", "Application")   # (and the platform's flavors)
    assert app["spec"]["ignoreDifferences"] == [{"group": "batch", "kind": "Job", "jsonPointers": ["/spec/suspend"]}]
    assert "RespectIgnoreDifferences=true" in app["spec"]["syncPolicy"]["syncOptions"]


def test_the_health_patch_carries_every_script(example):
    [patch] = objects(example, "_delivery/argocd/prod-sh/argocd-cm.yaml")
    assert (patch["metadata"]["name"], patch["metadata"]["namespace"]) == ("argocd-cm", "argocd")
    assert patch["data"] == {c.argocd_key: c.script() for c in argocd_checks()}
    assert "resource.customizations.health.kubeflow.org_PyTorchJob" in patch["data"]


# --- Argo CD: sync waves and options on the objects ---------------------------------------------------

def test_sync_waves_follow_the_order_strata_apply_uses(example):
    """Every object of an Argo CD environment carries its stage in apply's order; sorted the way
    apply sorts them, the waves never go down."""
    from compiler.targets import Emitted

    found = [(path, d) for path, docs in documents(example, "prod-sh/").items() for d in docs]
    assert found and all(SYNC_WAVE in d["metadata"].get("annotations", {}) for _, d in found)
    for _, d in found:
        assert d["metadata"]["annotations"][SYNC_WAVE] == str(stage_of(d["apiVersion"], d["kind"]))
    env = compile_repo(ROOT, envs=("prod-sh",)).world.envs["prod-sh"].env
    emitted = [Emitted("prod-sh", path.split("/")[1], "x", path.rsplit("/", 1)[0], d) for path, d in found]
    ordered = desired_set(env, (), emitted).objects
    waves = [int(d.obj["metadata"]["annotations"][SYNC_WAVE]) for d in ordered]
    assert waves == sorted(waves) and waves[0] < waves[-1]
    assert {d.ref.kind for d in ordered if int(d.obj["metadata"]["annotations"][SYNC_WAVE]) == max(waves)} >= {
        "PyTorchJob", "CronWorkflow", "DataLoad"}


def test_run_to_completion_and_data_objects_get_their_sync_options(example):
    options = {(d["kind"], d["metadata"]["name"]): d["metadata"]["annotations"].get(SYNC_OPTIONS)
               for d in objects(example, "prod-sh/")}
    assert options[("PyTorchJob", "train-resnet")] == "Force=true,Replace=true"
    assert options[("Dataset", "shoe-images")] == "Prune=confirm,Delete=confirm"
    assert options[("Namespace", "cv-shoe-identify")] == "Prune=confirm,Delete=confirm"
    assert options[("InferenceService", "shoe-search")] is None


def test_environments_applied_by_ci_carry_no_engine_annotations(example):
    for path, docs in documents(example, "dev/").items():
        for d in docs:
            assert not any(k.startswith(("argocd.argoproj.io/", "kustomize.toolkit.fluxcd.io/"))
                           for k in d["metadata"].get("annotations", {})), path


# --- fleet mode ---------------------------------------------------------------------------------------

def fleet_repo(tmp_path):
    return write_repo(tmp_path, {
        "environments/groups/test.yaml": """
            kind: EnvironmentGroup
            name: test
            vars: {registry: reg.test.local}
            delivery: {engine: argocd, repoURL: https://git.example.com/ml/rendered.git, fleet: applicationset}
            """,
        "environments/dev.yaml": """
            kind: Environment
            name: dev
            group: test
            clusters:
              - {name: gpu-a, server: "https://a:6443", ring: 1}
              - {name: gpu-canary, server: "https://c:6443", ring: 0}
              - {name: gpu-b, server: "https://b:6443", ring: 1}
            namespaceSuffix: -dev
            """,
        "environments/staging.yaml": None,
    })


def test_fleet_mode_is_one_applicationset_per_environment(tmp_path):
    files = compile_repo(fleet_repo(tmp_path)).files
    assert not objects(files, "_delivery/argocd/dev/apps/", "Application")
    [appset] = objects(files, "_delivery/argocd/dev/apps/", "ApplicationSet")
    spec = appset["spec"]
    assert spec["goTemplate"] is True and spec["goTemplateOptions"] == ["missingkey=error"]
    assert spec["syncPolicy"] == {"applicationsSync": "create-update", "preserveResourcesOnDeletion": True}
    [matrix] = spec["generators"]
    git, clusters = matrix["matrix"]["generators"]
    assert git["git"] == {"repoURL": REPO, "revision": "refs/heads/env/dev", "files": [{"path": "_delivery/argocd/dev/fleet/*.json"}]}
    assert clusters["clusters"] == {"selector": {"matchLabels": {"strata.dev/env": "dev"}}}
    steps = spec["strategy"]["rollingSync"]["steps"]
    assert spec["strategy"]["type"] == "RollingSync"
    assert [s["matchExpressions"] for s in steps] == [[{"key": "strata.dev/ring", "operator": "In", "values": [r]}]
                                                      for r in ("0", "1")]
    template = spec["template"]
    assert template["metadata"]["labels"]["strata.dev/ring"] == '{{index .metadata.labels "strata.dev/ring"}}'
    assert template["spec"]["project"] == "{{.appProject}}" and "automated" not in template["spec"]["syncPolicy"]
    params = json.loads(files["_delivery/argocd/dev/fleet/demo.json"])
    assert params == {"appProject": "dev.demo", "namespace": "demo-dev", "project": "demo", "sourcePath": "dev/demo",
                      "wave": "1"}
    [project] = objects(files, "_delivery/argocd/dev/apps/demo.yaml", "AppProject")
    assert {d["server"] for d in project["spec"]["destinations"]} == {"https://a:6443", "https://b:6443", "https://c:6443"}
    root = by_name(objects(files, "_delivery/argocd/dev/bootstrap.yaml", "AppProject"))["dev"]
    assert {"group": "argoproj.io", "kind": "ApplicationSet"} in root["spec"]["namespaceResourceWhitelist"]
    # a queued job or a stopped notebook must not hold a rollout step: their health does not count
    [job] = [d for d in objects(files, "dev/demo/") if d["kind"] == "Job"]
    assert job["metadata"]["annotations"]["argocd.argoproj.io/ignore-healthcheck"] == "true"


# --- Flux ---------------------------------------------------------------------------------------------

def test_flux_gets_one_source_and_a_kustomization_per_project(example):
    sources = objects(example, "_delivery/flux/prod-bj/", "GitRepository")
    assert [s["metadata"]["name"] for s in sources] == ["prod-bj"]
    source = sources[0]
    assert source["spec"]["ref"] == {"branch": "env/prod-bj"} and "**/values.yaml" in source["spec"]["ignore"]
    assert source["spec"]["secretRef"] == {"name": "rendered-repo-deploy-key"}
    kustomizations = by_name(objects(example, "_delivery/flux/prod-bj/", "Kustomization"))
    assert set(kustomizations) == {"prod-bj", "prod-bj.cv-shoe-identify", "prod-bj.search-rec", "prod-bj.platform"}
    assert kustomizations["prod-bj.search-rec"]["spec"]["dependsOn"] == [{"name": "prod-bj.platform"}]
    assert kustomizations["prod-bj"]["spec"]["path"] == "./_delivery/flux/prod-bj"
    search = kustomizations["prod-bj.search-rec"]["spec"]
    assert (search["path"], search["prune"], search["wait"]) == ("./prod-bj/search-rec", False, True)
    emitted = {(o["apiVersion"], o["kind"]) for o in group_objects(example, "prod-bj/search-rec")}
    assert {(e["apiVersion"], e["kind"]) for e in search["healthCheckExprs"]} == emitted & {
        ("kubeflow.org/v1", "TFJob"), ("data.fluid.io/v1alpha1", "Dataset"), ("data.fluid.io/v1alpha1", "JindoRuntime"),
        ("scheduling.volcano.sh/v1beta1", "Queue")}


def test_flux_kustomizations_depend_on_the_shared_objects():
    from compiler.delivery.flux import flux_files
    from compiler.delivery.groups import env_groups
    from compiler.delivery.settings import DeliverySettings

    settings = DeliverySettings("prod", "flux", REPO, "env/prod", True, True, True, False, False, "flux-system", None, ())
    refs = [("prod/_platform", {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "name": "high"}),
            ("prod/demo", {"apiVersion": "v1", "kind": "Namespace", "name": "demo"})]
    files = flux_files(settings, env_groups("prod", {"demo": "demo"}, refs))
    [demo], [platform] = files["demo.yaml"], files["_platform.yaml"]
    assert demo["spec"]["dependsOn"] == [{"name": "prod.platform"}] and platform["metadata"]["name"] == "prod.platform"
    assert "dependsOn" not in platform["spec"]


def test_flux_run_and_data_objects_get_their_apply_policies(example):
    found = {(d["kind"], d["metadata"]["name"]): d["metadata"].get("annotations", {}) for d in objects(example, "prod-bj/")}
    assert found[("Dataset", "user-behavior")]["kustomize.toolkit.fluxcd.io/prune"] == "Disabled"
    assert not any(k.startswith("argocd.argoproj.io/") for annotations in found.values() for k in annotations)


# --- the target in manifest.json ----------------------------------------------------------------------

def test_the_delivery_target_is_listed_like_any_target(example):
    manifest = json.loads(example["manifest.json"])
    entries = {e["id"]: e for e in manifest["targets"] if e["project"] == "_delivery"}
    assert set(entries) == {"_delivery/argocd/prod-sh", "_delivery/flux/prod-bj"}
    entry = entries["_delivery/argocd/prod-sh"]
    assert (entry["kind"], entry["name"], entry["env"], entry["folder"]) == ("Delivery", "argocd", "prod-sh",
                                                                               "_delivery/argocd/prod-sh")
    assert set(entry["outputs"]) == {p for p in example if p.startswith("_delivery/argocd/prod-sh/")}
    assert "cv-shoe-identify/Job/train-resnet" in entry["references"] and len(entry["digest"]) == 64
    assert {"environments/prod-sh.yaml", "environments/groups/prod.yaml"} <= set(entry["inputs"])


def test_its_digest_follows_the_targets_it_covers(tmp_path):
    repo = argocd_repo(tmp_path)
    before = delivery_entry(compile_repo(repo).files)
    (repo / "projects/demo/train.yaml").write_text((repo / "projects/demo/train.yaml").read_text().replace("1.0", "1.1"))
    after = delivery_entry(compile_repo(repo).files)
    assert before["digest"] != after["digest"] and before["outputs"] == after["outputs"]


def test_reused_targets_give_the_same_delivery_target(tmp_path):
    repo, out = argocd_repo(tmp_path / "repo"), tmp_path / "out"
    assert run(repo, "compile", "--out", str(out)).exit_code == 0
    first = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    result = run(repo, "compile", "--out", str(out))
    assert result.exit_code == 0 and "unchanged" in result.output
    assert {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()} == first


def test_a_compile_of_some_projects_keeps_the_delivery_target(tmp_path):
    repo, out = argocd_repo(tmp_path / "repo"), tmp_path / "out"
    assert run(repo, "compile", "--out", str(out)).exit_code == 0
    before = (out / "_delivery/argocd/dev/apps/demo.yaml").read_bytes()
    assert run(repo, "compile", "--out", str(out), "--project", "demo").exit_code == 0
    assert (out / "_delivery/argocd/dev/apps/demo.yaml").read_bytes() == before
    assert delivery_entry({"manifest.json": (out / "manifest.json").read_bytes()})["env"] == "dev"


def test_out_holds_exactly_the_files_the_manifest_lists_with_delivery_targets(tmp_path):
    """Through compile's guarded, journaled writer: full, --project and --env compiles."""
    repo = argocd_repo(tmp_path / "repo")
    out = repo / "out"
    for args in ((), ("--project", "demo"), ("--env", "dev"), ("--env", "dev", "--project", "demo"), ()):
        result = run(repo, "compile", *args)
        assert result.exit_code == 0, result.output
        manifest = json.loads((out / "manifest.json").read_text())
        listed = {"manifest.json"} | {rel for e in manifest["targets"] + manifest["projects"] for rel in e["outputs"]}
        assert {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()} == listed, args
        assert [e["id"] for e in manifest["targets"] if e["project"] == "_delivery"] == ["_delivery/argocd/dev"], args
    assert not (repo / ".strata/swap.json").exists()


def delivery_entry(files):
    return next(e for e in json.loads(files["manifest.json"])["targets"] if e["project"] == "_delivery")


# --- refusals -----------------------------------------------------------------------------------------

def argocd_repo(tmp_path, scheduler: str = "default", delivery: str = f"{{engine: argocd, repoURL: {REPO}}}"):
    return write_repo(tmp_path, {
        "environments/groups/test.yaml": f"""
            kind: EnvironmentGroup
            name: test
            vars: {{registry: reg.test.local}}
            scheduler: {scheduler}
            delivery: {delivery}
            """,
        "environments/staging.yaml": None,
        "projects/demo/project.yaml": """
            kind: Project
            name: demo
            owner: team-demo
            environments: [test]
            queue: {name: demo}
            quota: {default: {cpu: 8, memory: 32Gi}}
            """,
        "projects/demo/train.yaml": """
            kind: Job
            name: train
            spec:
              image: ${env.vars.registry}/demo/train:1.0
              resources: {cpu: 1, memory: 1Gi}
            """,
    })


@pytest.mark.parametrize(("files", "message"), [
    ({"environments/groups/test.yaml": "kind: EnvironmentGroup\nname: test\ndelivery: {engine: argocd}\n"},
     "environments/groups/test.yaml:3:20: in dev: delivery.engine argocd needs delivery.repoURL"),
    ({"environments/dev.yaml": "kind: Environment\nname: dev\ngroup: test\ndelivery: {engine: flux, repoURL: x}\n"},
     "environments/dev.yaml:4:20: in dev: delivery.engine flux needs the environment's cluster"),
    ({"environments/dev.yaml": "kind: Environment\nname: dev\ngroup: test\ncluster: {name: a}\n"
                               "delivery: {engine: flux, repoURL: x, automated: false}\n"},
     "environments/dev.yaml:5:49: in dev: delivery.automated: false is not supported by flux"),
    ({"environments/dev.yaml": "kind: Environment\nname: dev\ngroup: test\ncluster: {name: a}\n"
                               "clusters: [{name: b}]\n"},
     "environments/dev.yaml:4:10: in dev: cluster: and clusters: are both set"),
    ({"environments/dev.yaml": "kind: Environment\nname: dev\ngroup: test\ncluster: {name: a}\n"
                               "delivery: {engine: argocd, repoURL: x, fleet: applicationset}\n"},
     "environments/dev.yaml:5:47: in dev: delivery.fleet: applicationset needs `server` on every cluster"),
    ({"environments/dev.yaml": "kind: Environment\nname: dev\ngroup: test\ncluster: {name: a}\n"
                               "delivery: {fleet: applicationset}\n"},
     "environments/dev.yaml:5:19: in dev: delivery.fleet has no effect with engine ci"),
])
def test_delivery_settings_that_cannot_work_are_located(tmp_path, files, message):
    repo = write_repo(tmp_path, {"environments/staging.yaml": None, **files})
    result = run(repo, "compile")
    assert result.exit_code == 1 and message in result.output, result.output
    assert "Traceback" not in result.output and not (repo / "out").exists()


def test_a_job_with_a_ttl_is_refused_where_an_engine_would_run_it_again(tmp_path):
    repo = argocd_repo(tmp_path)
    (repo / "projects/demo/train.yaml").write_text((repo / "projects/demo/train.yaml").read_text()
                                                    + "  ttlAfterFinished: 6h\n")
    result = run(repo, "compile")
    assert result.exit_code == 1
    assert "projects/demo/train.yaml:6:21: demo/Job/train in dev: ttlAfterFinished: dev is delivered by argocd" in result.output


def test_a_project_named_like_the_shared_objects_is_refused(tmp_path):
    repo = argocd_repo(tmp_path)
    (repo / "projects/platform").mkdir()
    (repo / "projects/platform/project.yaml").write_text(
        "kind: Project\nname: platform\nowner: o\nenvironments: [test]\n")
    result = run(repo, "compile")
    assert result.exit_code == 1 and "project platform cannot be delivered by argocd" in result.output


def test_compile_is_deterministic_with_delivery(tmp_path):
    repo = fleet_repo(tmp_path)
    assert compile_repo(repo).files == compile_repo(repo).files


def test_groups_collect_objects_per_folder():
    from compiler.delivery.groups import env_groups

    refs = [("dev/demo/job-train", {"apiVersion": "batch/v1", "kind": "Job", "name": "train", "namespace": "demo"}),
            ("dev/demo", {"apiVersion": "v1", "kind": "Namespace", "name": "demo"}),
            ("prod/demo", {"apiVersion": "v1", "kind": "Namespace", "name": "demo"})]
    [demo] = env_groups("dev", {"demo": "demo"}, refs)
    assert demo.namespaced_kinds() == [("batch", "Job")] and demo.cluster_objects() == [("", "Namespace", "demo")]
    assert demo.namespaces() == ["demo"] and demo.folder == "dev/demo"
