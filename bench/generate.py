"""Generate a large synthetic strata config repo (SPEC §1 layout) for benchmarks.

    python bench/generate.py --out /tmp/bigrepo            # 200 projects x 3 resources x 6 envs
    python bench/generate.py --projects 20 --envs 3 --seed 7 --out /tmp/small

The repo uses what real repos use: app-type layers (some `extends` others), environment groups
with defaults, locks and policies, per-group and per-env `overrides`, `${...}` interpolation, a
Model per project that has a Service, datasets mounted by jobs, quotas that fit. The same
arguments always give the same bytes. Resources are Jobs, Services and Datasets; each one is
deployed to every environment, so targets = projects x resources-per-project x envs (Models,
which are not deployed, are counted apart).
"""
from __future__ import annotations

import argparse
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Doc = dict[str, Any]

GROUPS = ("dev", "test", "prod")
GPU_TYPE = {"dev": "t4", "test": "a10", "prod": "a100"}
SCHEDULER = {"dev": "default", "test": "kueue", "prod": "volcano"}
REGIONS = ("cn-hangzhou", "cn-shanghai", "cn-beijing", "cn-shenzhen")
WORDS = ("search", "rank", "vision", "speech", "ads", "forecast", "fraud", "recsys", "nlp", "ocr",
         "pricing", "churn", "risk", "video", "maps", "voice")
KIND_WEIGHTS = (("Job", 2), ("Service", 1), ("Dataset", 1))
PREFIX = {"Job": "train", "Service": "serve", "Dataset": "data"}
FOLDER = {"Job": "training", "Service": "serving", "Dataset": "data", "Model": "models"}

# App-type families, in the order they are created: the first three cover every resource kind.
FAMILIES: tuple[tuple[str, str, Doc], ...] = (
    ("training-pytorch", "Job", {
        "framework": "pytorch", "replicas": {"master": 1},
        "resources": {"cpu": "4", "memory": "16Gi", "shm": "2Gi"},
        "env": [{"name": "NCCL_DEBUG", "value": "WARN"}, {"name": "PYTHONUNBUFFERED", "value": "1"}],
        "retry": {"backoffLimit": 2}}),
    ("inference-python", "Service", {
        "runtime": "chart", "replicas": {"min": 1, "max": 4}, "autoscaling": {"metric": "cpu", "target": 70},
        "resources": {"cpu": "1", "memory": "2Gi"}, "ports": [{"name": "http", "port": 8080}],
        "probes": {"readiness": {"path": "/healthz"}}}),
    ("dataset-alluxio", "Dataset", {
        "cache": {"engine": "alluxio", "replicas": 1, "tiers": [{"medium": "MEM", "quota": "4Gi"}]}}),
    ("training-xgboost", "Job", {
        "framework": "xgboost", "replicas": {"master": 1, "worker": 1},
        "resources": {"cpu": "4", "memory": "8Gi"}}),
    ("batch-job", "Job", {
        "framework": "none", "resources": {"cpu": "1", "memory": "2Gi"},
        "env": [{"name": "PYTHONUNBUFFERED", "value": "1"}], "activeDeadline": "2h"}),
    ("inference-kserve", "Service", {
        "runtime": "kserve", "replicas": {"min": 1, "max": 2}, "resources": {"cpu": "2", "memory": "4Gi"}}),
    ("dataset-jindo", "Dataset", {
        "cache": {"engine": "jindo", "replicas": 1,
                  "tiers": [{"medium": "SSD", "path": "/mnt/ssd/jindo", "quota": "50Gi"}]}}),
    ("training-tensorflow-ps", "Job", {
        "framework": "tensorflow", "replicas": {"chief": 1, "ps": 1, "worker": 1},
        "resources": {"cpu": "4", "memory": "8Gi"}, "scheduling": {"gang": True}}),
)
FAMILY_SPEC = {name: spec for name, _, spec in FAMILIES}
FRAMEWORK = {name: spec.get("framework") for name, kind, spec in FAMILIES if kind == "Job"}
WORKER_ROLE = ("pytorch", "xgboost", "tensorflow")     # frameworks with a `worker` role


@dataclass(frozen=True)
class AppType:
    name: str
    kind: str
    family: str
    extends: str | None = None


@dataclass(frozen=True)
class Environment:
    name: str
    group: str


@dataclass
class Summary:
    """What was generated; `targets` counts deployed resource x environment pairs."""

    projects: int = 0
    environments: int = 0
    groups: int = 0
    app_types: int = 0
    resources: int = 0
    models: int = 0
    targets: int = 0
    files: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- environments and layers

def environments(count: int) -> list[Environment]:
    """`count` environments spread over up to three groups: dev-1, dev-2, test-1, ... prod-2."""
    n_groups = min(len(GROUPS), max(1, (count + 1) // 2))
    envs, seen = [], {}
    for index in range(count):
        group = GROUPS[index * n_groups // count]
        seen[group] = seen.get(group, 0) + 1
        envs.append(Environment(f"{group}-{seen[group]}", group))
    return envs


def group_doc(group: str) -> Doc:
    doc: Doc = {"kind": "EnvironmentGroup", "name": group, "vars": {"tier": group},
                "scheduler": SCHEDULER[group],
                "defaults": {"Job": {"retry": {"backoffLimit": 1 if group != "prod" else 3},
                                     "ttlAfterFinished": "6h" if group != "prod" else "24h"}}}
    if SCHEDULER[group] == "default":     # kube-scheduler cannot gang-schedule
        doc["defaults"]["Job"]["scheduling"] = {"gang": False}
    if group == "prod":
        doc["locked"] = ["Job.ttlAfterFinished"]
        doc["policy"] = {"requirePinnedImages": True, "requirePinnedModels": True,
                         "requireResourceLimits": True, "maxGpuPerWorkload": 16, "forbidHostPath": True}
    return doc


def environment_doc(env: Environment, index: int) -> Doc:
    gpu = GPU_TYPE[env.group]
    return {
        "kind": "Environment", "name": env.name, "group": env.group,
        "cluster": {"name": f"cluster-{env.name}", "server": f"https://10.{index}.0.1:6443"},
        "namespaceSuffix": "" if env.group == "prod" else f"-{env.name}",
        "vars": {"registry": f"registry.{env.name}.example.com", "region": REGIONS[index % len(REGIONS)],
                 "bucket": f"ml-data-{env.name}"},
        "gpuPools": {gpu: {"resourceName": "nvidia.com/gpu", "nodeSelector": {"node.example.com/gpu": gpu},
                           "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists",
                                            "effect": "NoSchedule"}]}},
        # models live on oss://: pulled through OSS's S3 API with the Secret's keys
        "storage": {"oss": {"endpoint": f"s3.oss-{REGIONS[index % len(REGIONS)]}-internal.aliyuncs.com",
                            "region": REGIONS[index % len(REGIONS)], "secret": "oss-model-reader"}},
        # canaries split the route's traffic on the environment's Gateway
        "gateway": {"name": "ml-gateway", "namespace": "gateways", "domain": f"{env.name}.example.com"},
        "defaults": {kind: {"resources": {"gpuType": gpu}} for kind in ("Job", "Service")},
    }


def app_types(count: int) -> list[AppType]:
    """The families first; beyond them, variants that `extends` their family."""
    found = []
    for index in range(count):
        name, kind, _ = FAMILIES[index % len(FAMILIES)]
        if index < len(FAMILIES):
            found.append(AppType(name, kind, name))
        else:
            found.append(AppType(f"{name}-v{index // len(FAMILIES) + 1}", kind, name, extends=name))
    return found


def app_type_doc(app: AppType) -> Doc:
    doc: Doc = {"kind": "AppType", "name": app.name, "for": app.kind}
    if app.extends is None:
        return {**doc, "spec": FAMILY_SPEC[app.name]}
    variant: Doc = {"env": [{"name": "VARIANT", "value": app.name}]} if app.kind != "Dataset" else {
        "placement": "required"}
    return {**doc, "extends": app.extends, "spec": variant}


# ---------------------------------------------------------------- resources

@dataclass
class Repo:
    """What every generated document may depend on: the seeded RNG and the repo-wide choices."""

    rng: random.Random
    envs: list[Environment]
    apps: list[AppType]

    @property
    def scopes(self) -> set[str]:
        return {e.name for e in self.envs} | {e.group for e in self.envs}

    @property
    def groups(self) -> list[str]:
        return sorted({e.group for e in self.envs}, key=GROUPS.index)


def job_spec(repo: Repo, project: str, name: str, app: AppType, dataset: str | None) -> Doc:
    rng, framework = repo.rng, FRAMEWORK[app.family]
    spec: Doc = {
        "image": f"${{env.vars.registry}}/{project}/{name}:1.{rng.randint(0, 20)}.{rng.randint(0, 9)}",
        "command": ["python", "-m", f"{name.replace('-', '_')}.main"],
        "args": ["--epochs", str(rng.randint(1, 50)), "--run", "${project.name}-${env.name}"],
        "env": [{"name": "RUN_ENV", "value": "${env.name}"},
                {"name": "OUTPUT", "value": f"oss://${{env.vars.bucket}}/{project}/{name}/"}],
        "resources": {"cpu": str(rng.choice((2, 4, 8))), "memory": f"{rng.choice((8, 16, 32))}Gi"},
        "scheduling": {"queue": project},
    }
    if framework in WORKER_ROLE:
        spec["replicas"] = {"worker": rng.randint(1, 3)}
    if framework == "pytorch":
        spec["resources"]["gpu"] = rng.choice((0, 1, 2))
    if dataset:
        spec["datasets"] = [{"name": dataset, "mountPath": "/data"}]
    return spec


def job_overrides(repo: Repo, spec: Doc) -> Doc:
    """Single-worker jobs in dev; one environment gets its own arguments."""
    overrides: Doc = {"dev": {"replicas": {"worker": 1}}} if "replicas" in spec else {}
    picked = repo.rng.choice(repo.envs).name
    overrides[picked] = {"args": ["--epochs", "1", "--run", "${project.name}-${env.name}-smoke"]}
    return overrides


def service_spec(repo: Repo, project: str, name: str, app: AppType) -> Doc:
    rng = repo.rng
    spec: Doc = {
        "image": f"${{env.vars.registry}}/{project}/{name}:2.{rng.randint(0, 20)}.{rng.randint(0, 9)}",
        "model": {"name": model_name(project), "version": 2},
        "replicas": {"min": 1, "max": rng.randint(2, 6)},
        "env": [{"name": "REGION", "value": "${env.vars.region}"}],
    }
    if app.family == "inference-kserve":
        spec["resources"] = {"cpu": "2", "memory": "4Gi", "gpu": rng.choice((0, 1))}
    return spec


def service_overrides(repo: Repo, project: str, app: AppType) -> Doc:
    """Production pins the older model version; test runs some chart Services with a canary."""
    overrides: Doc = {"prod": {"model": {"version": 1}}}
    canary = repo.rng.random() < 0.5
    if canary and app.family == "inference-python":
        overrides["test"] = {"canary": {"model": {"name": model_name(project), "version": 1}, "weight": 10}}
    return overrides


def dataset_spec(repo: Repo, project: str, name: str) -> Doc:
    return {"sources": [{"name": "main", "uri": f"oss://${{env.vars.bucket}}/{project}/{name}/",
                         "secretRef": "oss-readonly"}],
            "cache": {"replicas": repo.rng.randint(1, 3)}}


def resource_doc(repo: Repo, kind: str, name: str, app: AppType, project: str, dataset: str | None) -> Doc:
    if kind == "Job":
        spec = job_spec(repo, project, name, app, dataset)
        overrides = job_overrides(repo, spec)
    elif kind == "Service":
        spec = service_spec(repo, project, name, app)
        overrides = service_overrides(repo, project, app)
    else:
        spec = dataset_spec(repo, project, name)
        overrides = {"dev": {"cache": {"replicas": 1}}}
    doc: Doc = {"kind": kind, "name": name, "appType": app.name, "spec": spec}
    overrides = {k: v for k, v in overrides.items() if k in repo.scopes}
    return {**doc, "overrides": overrides} if overrides else doc


def model_name(project: str) -> str:
    return f"{project}-model"


def model_doc(project: str) -> Doc:
    versions = [{"version": v, "uri": f"oss://ml-models/{project}/{v}/",
                 "digest": f"sha256:{v:064x}"} for v in (1, 2)]
    return {"kind": "Model", "name": model_name(project),
            "spec": {"format": "onnx", "versions": versions, "aliases": {"candidate": 2}}}


# ---------------------------------------------------------------- projects and quota

def pick_kinds(rng: random.Random, count: int) -> list[str]:
    kinds = [k for k, w in KIND_WEIGHTS for _ in range(w)]
    return [rng.choice(kinds) for _ in range(count)]


def workload_upper_bound(doc: Doc, apps: dict[str, AppType]) -> tuple[float, float, int]:
    """(cpu, memory GiB, gpus) a resource may request at most in any environment."""
    if doc["kind"] == "Dataset":
        return 0.0, 0.0, 0
    base, spec = FAMILY_SPEC[apps[doc["appType"]].family], doc["spec"]
    resources = {**base.get("resources", {}), **spec.get("resources", {})}
    if doc["kind"] == "Job":
        pods = sum({**base.get("replicas", {}), **spec.get("replicas", {})}.values()) or 1
    else:
        pods = 2 * spec["replicas"]["max"]          # max replicas, plus up to as many canaries
    memory = _gib(resources.get("memory", "0")) + _gib(resources.get("shm", "0"))
    return pods * float(resources.get("cpu", 0)), pods * memory, pods * resources.get("gpu", 0)


def _gib(quantity: str) -> float:
    return float(quantity[:-2]) if quantity.endswith("Gi") else 0.0


def quota(repo: Repo, docs: list[Doc]) -> Doc:
    """Room for every workload plus headroom; GPUs per group, under that group's GPU type."""
    apps = {a.name: a for a in repo.apps}
    bounds = [workload_upper_bound(doc, apps) for doc in docs]
    cpu, memory, gpus = (sum(b[i] for b in bounds) for i in range(3))
    found: Doc = {"default": {"cpu": str(int(cpu) + 8), "memory": f"{int(memory) + 16}Gi"}}
    if gpus:
        found["overrides"] = {g: {"gpu": {GPU_TYPE[g]: int(gpus)}} for g in repo.groups}
    return found


def project_docs(repo: Repo, index: int, count: int) -> tuple[str, list[Doc]]:
    """A project's resource documents (and a Model when it has a Service)."""
    word = repo.rng.choice(WORDS)
    project = f"p{index:03d}-{word}"
    kinds = pick_kinds(repo.rng, count)
    names = [f"{PREFIX[kind]}-{word}-{position}" for position, kind in enumerate(kinds)]
    dataset = names[kinds.index("Dataset")] if "Dataset" in kinds else None
    docs = []
    for kind, name in zip(kinds, names):
        app = repo.rng.choice([a for a in repo.apps if a.kind == kind])
        docs.append(resource_doc(repo, kind, name, app, project, dataset))
    if "Service" in kinds:
        docs.append(model_doc(project))
    return project, docs


def project_doc(repo: Repo, project: str, deployed: list[Doc]) -> Doc:
    return {"kind": "Project", "name": project, "owner": f"team-{project}",
            "environments": repo.groups,
            "vars": {"team": project},
            "defaults": {"Job": {"env": [{"name": "TEAM", "value": "${project.vars.team}"}]}},
            "queue": {"name": project, "weight": 1 + len(deployed) % 4},
            "quota": quota(repo, deployed)}


# ---------------------------------------------------------------- writing

def dump(doc: Doc) -> str:
    return yaml.safe_dump(doc, sort_keys=False, default_flow_style=False, width=120, allow_unicode=True)


class Writer:
    """Writes files under one root and remembers their relative paths."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files: list[str] = []

    def write(self, relative: str, doc: Doc) -> None:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("# generated by bench/generate.py\n" + dump(doc), encoding="utf-8")
        self.files.append(relative)




def generate(out: Path, *, projects: int = 200, envs: int = 6, app_type_count: int = 12,
             resources_per_project: int = 3, seed: int = 1) -> Summary:
    """Write a synthetic repo into `out` (which should be empty)."""
    if app_type_count < 3:
        raise ValueError("--app-types must be at least 3 (one per resource kind)")
    if envs < 1 or projects < 1 or resources_per_project < 1:
        raise ValueError("--projects, --envs and --resources-per-project must be at least 1")
    writer = Writer(out)
    writer.write("strata.yaml", {"output": "out"})
    repo = Repo(random.Random(seed), environments(envs), app_types(app_type_count))
    for group in repo.groups:
        writer.write(f"environments/groups/{group}.yaml", group_doc(group))
    for index, env in enumerate(repo.envs):
        writer.write(f"environments/{env.name}.yaml", environment_doc(env, index))
    for app in repo.apps:
        writer.write(f"layers/{app.name}.yaml", app_type_doc(app))
    summary = Summary(environments=len(repo.envs), groups=len(repo.groups), app_types=len(repo.apps))
    for index in range(projects):
        _write_project(writer, repo, index, resources_per_project, summary)
    summary.files = sorted(writer.files)
    return summary


def _write_project(writer: Writer, repo: Repo, index: int, count: int, summary: Summary) -> None:
    project, docs = project_docs(repo, index, count)
    deployed = [d for d in docs if d["kind"] != "Model"]
    writer.write(f"projects/{project}/project.yaml", project_doc(repo, project, deployed))
    for doc in docs:
        writer.write(f"projects/{project}/{FOLDER[doc['kind']]}/{doc['name']}.yaml", doc)
    summary.projects += 1
    summary.resources += len(deployed)
    summary.models += len(docs) - len(deployed)
    summary.targets += len(deployed) * len(repo.envs)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--projects", type=int, default=200)
    parser.add_argument("--envs", type=int, default=6)
    parser.add_argument("--app-types", type=int, default=12)
    parser.add_argument("--resources-per-project", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True, help="folder to create (must be empty or absent)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.out.exists() and any(args.out.iterdir()):
        print(f"generate: {args.out} is not empty", file=sys.stderr)
        return 1
    try:
        summary = generate(args.out, projects=args.projects, envs=args.envs, app_type_count=args.app_types,
                           resources_per_project=args.resources_per_project, seed=args.seed)
    except ValueError as error:
        print(f"generate: {error}", file=sys.stderr)
        return 1
    print(f"{args.out}: {summary.projects} projects, {summary.environments} environments in {summary.groups} "
          f"groups, {summary.app_types} app types, {summary.resources} resources (+{summary.models} models), "
          f"{summary.targets} targets, {len(summary.files)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
