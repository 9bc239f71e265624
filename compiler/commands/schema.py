"""`strata schema`: the editor schema (JSON Schema draft 7, for yaml-language-server)."""
from __future__ import annotations

import json
from pathlib import Path

import click


@click.command("schema")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write strata.schema.json (every kind, keyed on `kind`) and <kind>.schema.json here "
                   "(default: print strata.schema.json).")
def schema_command(out_dir: Path | None) -> int:
    """Print or write the JSON Schema of strata's spec files, for editors."""
    # Imported here: the schemas are for this command, not for listing the commands (`strata --help`).
    from compiler.schema_export import COMBINED, all_schemas

    schemas = all_schemas()
    if out_dir is None:
        click.echo(_dumps(schemas[COMBINED]), nl=False)
        return 0
    out_dir.mkdir(parents=True, exist_ok=True)
    for kind, schema in schemas.items():
        (out_dir / f"{kind.lower()}.schema.json").write_text(_dumps(schema))
    click.echo(f"Wrote {COMBINED}.schema.json and {len(schemas) - 1} per-kind schemas to {out_dir}.")
    return 0


def _dumps(schema: dict) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"
