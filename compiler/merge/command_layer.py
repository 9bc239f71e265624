"""`--set PATH=VALUE` (strata run): one more layer, on top of one target's own layers.

PATH is `explain --path` syntax inside `spec` (`resources.gpu`, `replicas.worker`,
`env[LR].value`, `params[horizon].default`): a `[KEY]` step addresses the item of a
merge-keyed list whose key is KEY (a new KEY adds an item, as a layer's list would).
VALUE is YAML read by the loader's own YAML 1.2 rules (`16`, `3e-4`, `"010"`,
`[--epochs, "3"]`, `!replace {...}`, nothing at all = null = back to the lower layers'
value), so the merge, locks, validation, policies and quota treat it exactly like a
committed value. Every node's origin is `--set PATH=VALUE` (line 0: the command line),
which errors and `explain` print; the layer is labelled `--set`.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from compiler.errors import Problem, StrataError
from compiler.kinds import kind_of
from compiler.load.yaml_files import LoadError, load_yaml
from compiler.merge.field_rules import ANY, Rule, rule_for_model
from compiler.paths import parse_path
from compiler.provenance import Origin, Value, reorigin
from compiler.suggest import did_you_mean

SET_LAYER = "--set"


@dataclass(frozen=True)
class CommandLayer:
    """The `--set` values of one run, for the one target they apply to."""

    project: str
    kind: str
    name: str
    env: str
    value: Value                      # a partial spec, merged last
    settings: tuple[str, ...] = ()    # the PATH=VALUE texts as given

    def applies_to(self, project: str, kind: str, name: str, env: str) -> bool:
        return (project, kind, name, env) == (self.project, self.kind, self.name, self.env)

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(text.partition("=")[0].strip() for text in self.settings)


def command_layer(project: str, kind: str, name: str, env: str, settings: Iterable[str]) -> CommandLayer:
    """Parse every PATH=VALUE for a `kind` target; raises StrataError naming each bad one."""
    settings = tuple(settings)
    rule = rule_for_model(kind_of(kind).spec)
    problems: list[Problem] = []
    merged: dict[str, Value] = {}
    for text in settings:
        found = _one(text, rule, problems)
        if found is not None:
            _fold(merged, found, rule, problems, text)
    if problems:
        raise StrataError(problems)
    origin = Origin(SET_LAYER, 0, 0, SET_LAYER)
    return CommandLayer(project, kind, name, env, Value(merged, origin), settings)


def _one(text: str, rule: Rule, problems: list[Problem]) -> Value | None:
    """`PATH=VALUE` as a partial spec: {path: {to: VALUE}}."""
    origin = Origin(f"{SET_LAYER} {text}", 0, 0, SET_LAYER)
    path, equals, raw = text.partition("=")
    steps = parse_path(path.strip())
    if not equals or not steps:
        problems.append(Problem(f"--set {text}: expected PATH=VALUE inside spec (resources.gpu=2, env[LR].value=3e-4)"))
        return None
    try:
        docs = load_yaml(raw, origin.file)
    except LoadError as error:
        problems.append(Problem(f"--set {text}: VALUE is not valid YAML: {error.problem.message}"))
        return None
    if len(docs) > 1:
        problems.append(Problem(f"--set {text}: VALUE holds several YAML documents"))
        return None
    leaf = reorigin(docs[0], lambda _: origin) if docs else Value(None, origin)   # VALUE has no file line of its own
    return _nest(steps, leaf, rule, origin, problems)


def _nest(steps: list[str], leaf: Value, rule: Rule, origin: Origin, problems: list[Problem]) -> Value | None:
    """Walk the schema along `steps` (to find merge keys and typos), then wrap `leaf` from the inside out."""
    wrappers: list[tuple[str, str | None]] = []      # (step, merge key of the list it indexes)
    here = "spec"
    for step in steps:
        if step.startswith("["):
            if not rule.merge_key:
                problems.append(Problem(f"{here} is {_shape(rule)}; [{step[1:-1]}] addresses an item of a "
                                        "list with a merge key (env, ports, datasets, steps, params): set the whole "
                                        f"value instead ({here}=[...])", origin))
                return None
            wrappers.append((step[1:-1], rule.merge_key))
            rule = rule.items or ANY
        else:
            if rule.fields is not None and step not in rule.fields:
                problems.append(Problem(f"{here} has no field {step!r}"
                                        + did_you_mean(step, rule.fields, known="fields"), origin))
                return None
            wrappers.append((step, None))
            rule = rule.child(step) or ANY
        here = f"{here}[{step[1:-1]}]" if step.startswith("[") else f"{here}.{step}"
    node = leaf
    for step, key in reversed(wrappers):
        if key is None:
            node = Value({step: node}, origin, key_origin=origin)
        elif node.is_map:
            node = Value([Value({key: Value(step, origin, key_origin=origin), **node.data}, origin)], origin, key_origin=origin)
        else:
            problems.append(Problem(f"[{step}] is a list item: set one of its fields "
                                    f"([{step}].value=...) or give a mapping", origin))
            return None
    return node


def _fold(merged: dict[str, Value], found: Value, rule: Rule, problems: list[Problem], text: str) -> None:
    """Several --set of one run form one layer: later ones win over earlier ones on the same path."""
    from compiler.merge.rule import merge

    for key, value in found.data.items():
        result = merge(merged.get(key), value, rule.child(key) or ANY, problems.append)
        if result is not None:
            merged[key] = result
        else:
            merged[key] = value    # an explicit null stays: it deletes the key in the lower layers


def _shape(rule: Rule) -> str:
    if rule.items is not None:
        return "a list without a merge key"
    return "a mapping" if rule.fields is not None or rule.values is not None else "a single value"
