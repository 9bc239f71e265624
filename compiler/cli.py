"""The `strata` command line: thin click commands over the compile pipeline.

One top-level handler turns every StrataError into its problems on stderr and
an exit code (SPEC §5): 0 ok, 1 error, 2 changes (plan --detailed-exitcode),
3 refused by a guard. No traceback reaches a user; STRATA_DEBUG=1 shows one for
internal errors.
"""
from __future__ import annotations

import gc
import os
import sys
from pathlib import Path

import click

from compiler import __version__
from compiler.errors import StrataError

EXIT_OK, EXIT_ERROR = 0, 1
REPO_FREE = ("schema", "init", "daemon")   # commands that work outside a config repository
# A run builds objects that live until it ends (schemas, positioned YAML trees, targets): with
# Python's default of a young-generation collection every 700 allocations, a one-file plan
# collects ~150 times and finds nothing (~10 % of its CPU), a full compile of the bench ~1,900
# times (1.7 s; 0.3 s with this threshold, the same peak RSS). The CLI's process is short-lived.
GC_YOUNG_THRESHOLD = 10_000


class StrataGroup(click.Group):
    """Runs every command inside the single error handler; loads a subcommand's module only when
    that subcommand is invoked (or listed by --help)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        from compiler.commands import COMMANDS

        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        from compiler.commands import load_command

        return load_command(cmd_name)

    def main(self, *args, **kwargs):
        gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
        kwargs.setdefault("standalone_mode", False)
        try:
            result = super().main(*args, **kwargs)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            exc.show()
            sys.exit(EXIT_ERROR)
        except click.exceptions.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(130)
        except StrataError as exc:
            _report(exc)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            sys.exit(130)
        except Exception as exc:  # a bug in strata, not in the user's specs
            click.echo(f"strata: internal error: {type(exc).__name__}: {exc}", err=True)
            click.echo("please report it; set STRATA_DEBUG=1 to see the traceback", err=True)
            if os.environ.get("STRATA_DEBUG"):
                import traceback

                traceback.print_exc()
            sys.exit(EXIT_ERROR)
        sys.exit(result if isinstance(result, int) else EXIT_OK)


def _report(exc: StrataError) -> None:
    from compiler.errors import MAX_REPORTED

    problems = exc.problems
    for problem in problems[:MAX_REPORTED]:
        click.echo(problem.render(), err=True)
    hidden = len(problems) - MAX_REPORTED
    if hidden > 0:
        click.echo(f"... and {hidden} more problems", err=True)
    noun = "problem" if len(problems) == 1 else "problems"
    kept = f"; nothing was written ({exc.unchanged})" if exc.unchanged else ""
    click.secho(f"strata: {len(problems)} {noun}{kept}", err=True, fg="red")


@click.group(cls=StrataGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="strata")
@click.option("--repo", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Config repository root (default: nearest folder upward with strata.yaml, or layers/ "
                   "and environments/).")
@click.pass_context
def main(ctx: click.Context, repo: Path | None) -> None:
    """strata: compile layered ML-platform specs into Helm values and Kubernetes manifests."""
    from compiler.load.root import find_repo

    ctx.ensure_object(dict)
    ctx.obj["repo_option"] = repo
    needs_repo = not ctx.resilient_parsing and ctx.invoked_subcommand not in REPO_FREE
    ctx.obj["repo"] = find_repo(Path.cwd(), repo) if needs_repo else repo


if __name__ == "__main__":  # pragma: no cover
    from compiler.launch import run_here  # never through a daemon; `daemon start` works too

    run_here()
