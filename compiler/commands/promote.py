"""`strata promote`: copy one environment's release values into the next one's overrides."""
from __future__ import annotations

import click

from compiler.commands import repo_of

EXIT_PENDING = 2   # --check: a promotion is pending (as `plan --detailed-exitcode`: 0 none, 1 error)


@click.command("promote")
@click.option("--to", "target", required=True, metavar="ENV", help="The environment to promote to.")
@click.option("--from", "source", default=None, metavar="ENV",
              help="The environment to promote from (default: the target's `promotion.from`).")
@click.option("--project", "projects", multiple=True, metavar="P", help="Only this project (repeatable).")
@click.option("--kind", "kinds", multiple=True, metavar="K", help="Only this kind, e.g. Service (repeatable).")
@click.option("--name", "names", multiple=True, metavar="N", help="Only resources of this name (repeatable).")
@click.option("--check", is_flag=True,
              help="Change nothing; exit 2 when a promotion is pending, 0 when the target is up to date.")
@click.option("--format", "fmt", type=click.Choice(("text", "markdown", "json")), default="text", show_default=True,
              help="What to print: text, markdown (a pull request body) or json.")
@click.pass_context
def promote_command(ctx: click.Context, target: str, source: str | None, projects: tuple[str, ...],
                    kinds: tuple[str, ...], names: tuple[str, ...], check: bool, fmt: str) -> None:
    """Copy the promotable fields (image, model, chart.version, canary) of --from's merged specs,
    before interpolation, into `overrides.<--to>` of each resource file, then print the plan of
    the promotion. Writes nothing when anything fails."""
    from compiler.errors import StrataError
    from compiler.promote import ResourceFilter, promote, write_promotion
    from compiler.promote.report import render

    repo = repo_of(ctx)
    try:
        result = promote(repo, target, source=source, only=ResourceFilter(projects, kinds, names))
    except StrataError as error:
        error.unchanged = None if check else "no resource file was changed"
        raise
    click.echo(render(result, fmt, color=fmt == "text"), nl=False)
    if check:
        if result.pending:
            ctx.exit(EXIT_PENDING)
        return
    written = write_promotion(repo, result)
    if fmt == "text":
        click.echo(_written(written), err=True)


def _written(paths: list[str], shown: int = 5) -> str:
    if not paths:
        return "Nothing written."
    more = f" and {len(paths) - shown} more" if len(paths) > shown else ""
    return f"Wrote {len(paths)} file{'' if len(paths) == 1 else 's'}: {', '.join(paths[:shown])}{more}."
