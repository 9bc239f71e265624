"""Which kinds the cluster serves, and at which paths (the API discovery documents).

Only the group versions apply needs are read: `/api/v1`, `/apis` once, then
`/apis/<group>/<version>` for each group version in use.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from compiler.apply.kube import Kube
from compiler.apply.order import crd_name
from compiler.errors import Problem, StrataError


@dataclass(frozen=True)
class Resource:
    """A served kind: where its objects live."""

    api_version: str
    kind: str
    plural: str
    namespaced: bool

    def path(self, namespace: str = "", name: str = "") -> str:
        base = "/api/v1" if self.api_version == "v1" else f"/apis/{self.api_version}"
        where = f"/namespaces/{namespace}" if self.namespaced and namespace else ""
        return f"{base}{where}/{self.plural}" + (f"/{name}" if name else "")


@dataclass
class Discovery:
    kube: Kube
    _served: dict[str, dict[str, Resource] | None] = field(default_factory=dict)   # group version → kind → resource
    _groups: dict[str, list[str]] | None = None    # group → its served group versions, preferred first

    def find(self, api_version: str, kind: str) -> Resource | None:
        served = self._group_version(api_version)
        return served.get(kind) if served is not None else None

    def find_kind(self, group: str, kind: str) -> Resource | None:
        """A kind known by group only (an ApplySet's `contains-group-kinds`), at its preferred version."""
        versions = ["v1"] if not group else self._group_versions().get(group, [])
        return next((r for r in (self.find(v, kind) for v in versions) if r is not None), None)

    def require(self, kinds: set[tuple[str, str]]) -> dict[tuple[str, str], Resource]:
        """Every (apiVersion, kind) asked for, or one StrataError naming each one the cluster does not serve."""
        found, problems = {}, []
        for api_version, kind in sorted(kinds):
            resource = self.find(api_version, kind)
            if resource is None:
                problems.append(Problem(_missing(api_version, kind, self._group_version(api_version) is None)))
            else:
                found[(api_version, kind)] = resource
        if problems:
            raise StrataError(problems)
        return found

    def _group_version(self, api_version: str) -> dict[str, Resource] | None:
        if api_version not in self._served:
            self._served[api_version] = self._read(api_version)
        return self._served[api_version]

    def _read(self, api_version: str) -> dict[str, Resource] | None:
        group = api_version.rsplit("/", 1)[0]
        if api_version != "v1" and api_version not in self._group_versions().get(group, []):
            return None
        path = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
        response = self.kube.get(path)
        if response.status == 404:
            return None
        if not response.ok:
            raise StrataError(f"API discovery {path} on {self.kube.context.server}: {response.message}")
        return {r["kind"]: Resource(api_version, r["kind"], r["name"], bool(r.get("namespaced")))
                for r in response.body.get("resources") or [] if "/" not in r.get("name", "")}

    def _group_versions(self) -> dict[str, list[str]]:
        if self._groups is None:
            response = self.kube.get("/apis")
            if not response.ok:
                raise StrataError(f"API discovery /apis on {self.kube.context.server}: {response.message}")
            self._groups = {g["name"]: _preferred_first(g) for g in response.body.get("groups") or []}
        return self._groups


def _preferred_first(group: dict) -> list[str]:
    preferred = (group.get("preferredVersion") or {}).get("groupVersion")
    versions = [v["groupVersion"] for v in group.get("versions") or []]
    return sorted(versions, key=lambda v: v != preferred)


def _missing(api_version: str, kind: str, whole_version: bool) -> str:
    if "/" not in api_version:
        return f"the cluster does not serve {api_version} {kind}"
    if whole_version:
        return (f"the cluster does not serve {api_version} (needed for {kind}): install the CRD "
                f"{crd_name(api_version, kind)} (or the operator that provides it) before applying")
    return (f"the cluster serves {api_version} but not the kind {kind}: the CRD {crd_name(api_version, kind)} "
            "is missing or older than strata's output")
