"""One module per `strata` subcommand; each is a thin click wrapper over library calls."""
from __future__ import annotations

from pathlib import Path

import click


def COMMANDS() -> list[click.Command]:
    from compiler.commands.apply import apply_command
    from compiler.commands.capacity import capacity_command
    from compiler.commands.compile import compile_command
    from compiler.commands.diff import diff_command
    from compiler.commands.docs import docs_command
    from compiler.commands.explain import explain_command
    from compiler.commands.init import init_command
    from compiler.commands.new import new_command
    from compiler.commands.promote import promote_command
    from compiler.commands.publish import publish_command
    from compiler.commands.run import run_command, runs_command
    from compiler.commands.schema import schema_command
    from compiler.commands.validate import validate_command
    from compiler.plan.command import plan

    return [compile_command, validate_command, plan, apply_command, run_command, runs_command, publish_command,
            explain_command, promote_command, diff_command, capacity_command, docs_command, schema_command,
            init_command, new_command]


def repo_of(ctx: click.Context) -> Path:
    return ctx.find_root().obj["repo"]


def deployed_count(targets: list) -> int:
    """Targets that reach a cluster: a Model is resolved into Services, never deployed by itself."""
    from compiler.kinds import kind_of

    return sum(1 for target in targets if kind_of(target.kind).deployed)


env_option = click.option("--env", "envs", multiple=True, metavar="ENV",
                          help="Only this environment (repeatable).")
project_option = click.option("--project", "projects", multiple=True, metavar="PROJECT",
                              help="Only this project (repeatable).")
