"""One module per `strata` subcommand; each is a thin click wrapper over library calls."""
from __future__ import annotations

from pathlib import Path

import click

# Every subcommand, by name: the module and attribute of its click command. The CLI imports only
# the one invoked (compiler/cli.py), so `strata --version` or a no-change `compile` never pays for
# the imports of the others (capacity reports, Helm, git, ...).
COMMANDS: dict[str, str] = {
    "compile": "compiler.commands.compile:compile_command",
    "merge": "compiler.commands.merge:merge_command",
    "validate": "compiler.commands.validate:validate_command",
    "plan": "compiler.plan.command:plan",
    "apply": "compiler.commands.apply:apply_command",
    "run": "compiler.commands.run:run_command",
    "runs": "compiler.commands.run:runs_command",
    "publish": "compiler.commands.publish:publish_command",
    "explain": "compiler.commands.explain:explain_command",
    "promote": "compiler.commands.promote:promote_command",
    "diff": "compiler.commands.diff:diff_command",
    "capacity": "compiler.commands.capacity:capacity_command",
    "docs": "compiler.commands.docs:docs_command",
    "schema": "compiler.commands.schema:schema_command",
    "init": "compiler.commands.init:init_command",
    "new": "compiler.commands.new:new_command",
    "daemon": "compiler.commands.daemon:daemon_command",
}


def load_command(name: str) -> click.Command | None:
    """The click command called `name`, importing only its module; None for an unknown name."""
    from importlib import import_module

    where = COMMANDS.get(name)
    if where is None:
        return None
    module, attribute = where.split(":")
    return getattr(import_module(module), attribute)


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
