"""`strata validate`: compile in memory and check every object against Kubernetes and CRD schemas."""
from __future__ import annotations

from pathlib import Path

import click

from compiler.commands import deployed_count, env_option, project_option, repo_of

EXPORT_HINT = "export your clusters' CRDs, e.g. `kubectl get crd -o yaml > crds/cluster.yaml`"


@click.command("validate")
@click.option("--crds", "crd_dirs", multiple=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder of CRD YAML (as `kubectl get crd -o yaml` writes), searched recursively; repeatable. "
                   "Default: strata.yaml `crds`.")
@env_option
@project_option
@click.pass_context
def validate_command(ctx: click.Context, crd_dirs: tuple[Path, ...], envs: tuple[str, ...],
                     projects: tuple[str, ...]) -> int:
    """Check specs, policies, quotas and every output object; writes nothing."""
    from compiler.check.crds import CrdSchemas
    from compiler.check.objects import validate_objects
    from compiler.check.prerequisites import check_prerequisites
    from compiler.commands.compile import print_warnings
    from compiler.errors import Problem, Problems
    from compiler.merge.targets_of import Selection
    from compiler.pipeline import load_stage, render_stage

    repo = repo_of(ctx)
    build = render_stage(load_stage(repo, Selection(envs, projects)))   # in memory: nothing is written
    problems = Problems()
    dirs = crd_dirs or tuple(repo / d for d in build.config.crds)
    crds = CrdSchemas.load(*dirs) if dirs else None
    if crds is not None and not crds.schemas:   # a fresh repo's empty crds/: say so, check the rest
        shown = ", ".join(_shown(d, repo) for d in dirs)
        build.warnings.append(Problem(f"warning: no CustomResourceDefinition in {shown}: custom resources are "
                                      f"not checked; {EXPORT_HINT}"))
        crds = None
    validate_objects([(e.owner, e.obj) for e in build.emitted], crds, problems, crd_dirs=dirs)
    environments = {name: layers.env for name, layers in build.world.envs.items()}
    print_warnings([*build.warnings, *check_prerequisites(build.emitted, environments)])
    problems.raise_if_any()
    checked = "Kubernetes and CRD schemas" if crds else "Kubernetes schemas (no CRDs: custom resources unchecked)"
    click.echo(f"Valid: {deployed_count(build.targets)} targets, {len(build.emitted)} objects checked against {checked}.")
    return 0


def _shown(folder: Path, repo: Path) -> str:
    try:
        return Path(folder).resolve().relative_to(repo).as_posix() + "/"
    except ValueError:
        return str(folder)
