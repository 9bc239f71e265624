"""A page per resource and environment: why every value is what it is, what it renders, what it touches."""
from __future__ import annotations

from functools import cache

from compiler.docs.extract import SiteData, TargetDoc
from compiler.docs.html import badge, esc, json_script, page, prose
from compiler.docs.pages.common import CHANGE_SYMBOL, code, drift_title, lineage_href, lineage_svg, root_of
from compiler.explain import Setting, short_value
from compiler.kinds import kind_of
from compiler.merge.layering import Lock
from compiler.plan.mask import mask_object
from compiler.provenance import Origin
from compiler.targets import Key


class ResourcePages:
    """The resource pages of one site. What many pages share is formatted once: a settings row set by
    a layer that thousands of targets use, the strip of environments every page of a resource has."""

    def __init__(self, site: SiteData, build) -> None:
        self.site, self.build = site, build
        self.rows: dict[Setting, str] = {}
        self.strips: dict[tuple[str, str], list[tuple[str, str, str]]] = {}

    def page(self, doc: TargetDoc) -> bytes:
        return resource_page(self.site, doc, self.build, self)

    def setting_row(self, setting: Setting) -> str:
        try:
            found = self.rows.get(setting)
        except TypeError:   # a list value: not hashable, not shared either
            return _setting_row(setting)
        if found is None:
            found = self.rows[setting] = _setting_row(setting)
        return found

    def env_strip(self, doc: TargetDoc, root: str) -> str:
        """The same resource in every environment of the site, this one marked."""
        key = (doc.key[1], doc.key[2])
        if key not in self.strips:
            self.strips[key] = [_strip_items(self.site, env, key, root) for env in self.site.envs]
        items = "".join(here if env == doc.key[0] else normal for env, normal, here in self.strips[key])
        return f'<nav class="env-strip" aria-label="The same resource in other environments">{items}</nav>'


def resource_page(site: SiteData, doc: TargetDoc, build, shared: ResourcePages | None = None) -> bytes:
    shared = shared or ResourcePages(site, build)
    target = doc.target
    root = root_of(doc.href)
    kind = kind_of(target.kind)
    heading = (f'<h1>{badge(kind.slug, target.kind)} {esc(target.name)}</h1>'
               f'<p class="crumbs">project <b>{esc(target.project.name)}</b> · environment <b>{esc(doc.key[0])}</b> · '
               f'namespace {code(target.project.namespace)}'
               + (f" · app type {code(target.app_type)}" if target.app_type else "") + "</p>")
    body = [shared.env_strip(doc, root)]
    if doc.description:
        body.append(f'<p class="description">{prose(doc.description)}</p>')
    body.append(_summary(doc))
    body.append(_provenance(doc, shared))
    body.append(_references(site, doc, build, root))
    body.append(_lineage(site, doc, root))
    body.append(_rendered(build, doc, kind.deployed))
    body.append(_inputs(build, doc))
    return page(f"{target.kind} {target.name} in {doc.key[0]}", root, "".join(body), heading=heading)


def _strip_items(site: SiteData, env: str, key: tuple[str, str], root: str) -> tuple[str, str, str]:
    """(environment, its link, its link marked as the page's own)."""
    other = site.docs.get((env, *key))
    if other is None:
        absent = f'<span class="env absent" title="not deployed to {esc(env)}">{esc(env)}</span>'
        return env, absent, absent
    tags = ", ".join(other.facts.tags + other.facts.models)
    title = drift_title(other) if other.drift else tags
    label = esc(env) + (f' <small>{esc(tags)}</small>' if tags else "")

    def link(here: str) -> str:
        classes = " ".join(c for c in ("env", here, "drift" if other.drift else "",
                                       f"plan-{other.change}" if other.change else "") if c)
        return f'<a class="{classes}" href="{esc(root + other.href)}" title="{esc(title)}">{label}</a>'

    return env, link(""), link("here")


def _summary(doc: TargetDoc) -> str:
    facts, target = doc.facts, doc.target
    rows = []
    if facts.images:
        rows.append(("Image", "<br>".join(code(i) for i in facts.images)))
    if facts.models:
        rows.append(("Model version", ", ".join(code(m) for m in facts.models)))
    if facts.chart:
        rows.append(("Chart", code(facts.chart)))
    if facts.gpus:
        rows.append(("GPUs", esc(facts.gpu_text) + " <small>(the most it holds at once, per pool, as the capacity page "
                             "counts them)</small>"))
    rows.append(("Layers", " <span class=\"lt\">&lt;</span> ".join(esc(layer) for layer in ("schema defaults", *target.chain))))
    if target.origin is not None:
        rows.append(("Defined in", code(target.origin.where())))
    if doc.source:
        if doc.drift:
            drifted = "".join(f"<li>{code(d.path)}: {code(short_value(d.here))} here, {code(short_value(d.source))} in "
                              f"{esc(doc.source)}</li>" for d in doc.drift)
            rows.append(("Promotion", f'<span class="drift-note">differs from {esc(doc.source)}</span> '
                                      f'(<code>strata promote --to {esc(doc.key[0])}</code> would copy):<ul>{drifted}</ul>'))
        else:
            rows.append(("Promotion", f"same release values as {esc(doc.source)}"))
    if doc.change:
        rows.append(("Plan", f'<span class="plan-mark plan-{doc.change}">{CHANGE_SYMBOL[doc.change]}</span> '
                             f'{esc(doc.change)} in this plan'))
    cells = "".join(f"<tr><th scope=\"row\">{label}</th><td>{value}</td></tr>" for label, value in rows)
    return f'<table class="summary">{cells}</table>'


def _provenance(doc: TargetDoc, shared: ResourcePages) -> str:
    target = doc.target
    found = doc.settings
    rows = "".join(shared.setting_row(s) for s in found)
    set_keys = set(target.tree.data) if target.tree is not None and target.tree.is_map else set()
    defaults = {k: v for k, v in target.values.items() if k not in set_keys}
    noun = "field" if len(defaults) == 1 else "fields"
    default_rows = "".join(f"<tr><td>{code(k)}</td><td>{code(short_value(v))}</td></tr>" for k, v in defaults.items())
    carried = {lock for setting in found for lock in setting.locks}
    unset = "".join(f'<li>{code(".".join(lock.path))} <span class="none">unset</span> {_lock(lock)}</li>'
                    for lock in doc.locks if lock not in carried)   # a lock on a field no layer sets
    return (f'<section id="spec"><h2>Effective spec <small>{len(found)} values set by layers</small></h2>'
            '<p class="hint">Each value as resolved, the text as written where <code>${…}</code> changed it, the '
            'file:line and layer that set it, what it overrode (nearest first) and any lock. The same as '
            f'<code>strata explain {esc(target.identity)} --env {esc(doc.key[0])}</code>.</p>'
            '<table class="provenance"><thead><tr><th>Field</th><th>Value</th><th>Set by</th><th>Overrode</th></tr>'
            f'</thead><tbody>{rows}</tbody></table>'
            + (f'<h3>Locked, unset</h3><ul class="locks">{unset}</ul>' if unset else "")
            + (f'<details><summary>{len(defaults)} {noun} at their schema default</summary><table class="defaults">'
               f'{default_rows}</table></details>' if defaults else "") + "</section>")


def _lock(lock: Lock) -> str:
    return (f'<div class="lock" title="a higher layer may not change it">🔒 locked by {_origin(lock.origin)} '
            f'{code(lock.text)}</div>')


def _setting_row(setting: Setting) -> str:
    value = code(setting.shown)   # as explain prints it: secret-looking env values masked
    if setting.written is not None:
        value += f'<div class="written">as written {code(setting.written)}</div>'
        value += "".join(f'<div class="ref">{code("${" + key + "}")} from {_origin(origin)}</div>'
                         for key, origin in setting.references)
    locks = "".join(_lock(lock) for lock in setting.locks)
    overrode = "".join(f"<div>{_origin(o)}</div>" for o in setting.overrode)
    return (f'<tr><td class="path">{code(setting.path)}</td><td class="value">{value}</td>'
            f'<td class="origin">{_origin(setting.origin)}{locks}</td><td class="overrode">{overrode}</td></tr>')


@cache   # origins repeat across the thousands of targets a layer reaches
def _origin(origin: Origin) -> str:
    layer = f' <span class="layer">{esc(origin.layer)}</span>' if origin.layer else ""
    return f'<span class="where">{esc(origin.where())}</span>{layer}'


def _references(site: SiteData, doc: TargetDoc, build, root: str) -> str:
    node = build.graph.nodes.get(doc.key)
    out = []
    for reference in node.references if node is not None else ():
        verb = kind_of(reference.kind).verb
        other = site.docs.get(reference.key) if reference.key is not None else None
        shown = (f'<a href="{esc(root + other.href)}">{esc(reference.kind)} {esc(reference.name)}</a>' if other is not None
                 else f"{esc(reference.kind)} {esc(reference.name)} <small>(not in this site)</small>")
        out.append(f"<li>{esc(verb)} {shown}</li>")
    verb = kind_of(doc.target.kind).verb   # what a referrer does with this kind: `serves`, `mounts`
    incoming = [_link(site, key, root, f" {verb} it") for key in site.referrers.get(doc.key, ())]
    return ('<section id="references"><h2>References</h2><div class="columns">'
            f'<div><h3>Out: what it uses</h3>{_list(out, "nothing")}</div>'
            f'<div><h3>In: what uses it</h3>{_list(incoming, "nothing")}</div></div></section>')


def _link(site: SiteData, key: Key, root: str, tail: str = "") -> str:
    other = site.docs.get(key)
    if other is None:
        return f"<li>{esc(key[2])}{esc(tail)}</li>"
    return f'<li><a href="{esc(root + other.href)}">{esc(other.target.kind)} {esc(other.target.name)}</a>{esc(tail)}</li>'


def _list(items: list[str], empty: str) -> str:
    return f"<ul>{''.join(items)}</ul>" if items else f'<p class="none">{empty}</p>'


def _lineage(site: SiteData, doc: TargetDoc, root: str) -> str:
    lineage = site.lineages.get((doc.key[0], doc.key[1]))
    if lineage is None:
        return ""
    node = doc.key[2]
    picture = lineage_svg(site, lineage, lineage.neighbourhood(node, 1), "", f"lineage of {doc.target.name}, one step each way",
                          node)
    link = f"{root}{lineage_href(doc.key[0], doc.key[1])}#node={node}&depth=1"
    return (f'<section id="lineage"><h2>Lineage <small>one step each way</small></h2>'
            f'<div class="svg-box">{picture}</div><p><a class="button" href="{esc(link)}">Explore the lineage '
            f'(depth, whole project) →</a></p></section>')


def _rendered(build, doc: TargetDoc, deployed: bool) -> str:
    """Each object collapsed; its YAML is written by the page's script when opened (from the JSON
    below, which costs next to nothing to generate: thousands of pages stay as quick to build as a
    compile). The exact bytes are the target's files in out/."""
    rendered = build.rendered.get(doc.key)
    if not deployed or rendered is None:
        return ('<section id="objects"><h2>Rendered objects</h2><p class="none">Not deployed by itself: the resources '
                'that reference it render what they need of it.</p></section>')
    data: list = [mask_object(obj) for obj in rendered.objects]   # secret values masked, as in a plan
    blocks = []
    for index, obj in enumerate(rendered.objects):
        meta = obj.get("metadata") or {}
        blocks.append(_object_block(index, f"{obj.get('kind', '')} {meta.get('name', '')}", obj.get("apiVersion", "")))
    if rendered.values is not None:
        blocks.append(_object_block(len(data), "values.yaml", "the chart's values"))
        data.append(mask_object(rendered.values))
    return (f'<section id="objects"><h2>Rendered objects <small>{len(rendered.objects)} in '
            f'{code(doc.target.folder + "/")}</small></h2>{"".join(blocks)}'
            '<noscript><p class="none">Showing the YAML needs JavaScript; the same objects are in the target\'s '
            f'folder of <code>strata compile</code>\'s output.</p></noscript>{json_script("objects-data", data, sort_keys=False)}'
            '</section>')


def _object_block(index: int, title: str, note: str) -> str:
    return (f'<details class="object" data-object="{index}"><summary>{esc(title)} <small>{esc(note)}</small></summary>'
            '<pre class="yaml"></pre></details>')


def _inputs(build, doc: TargetDoc) -> str:
    files = build.graph.inputs.get(doc.key, ())
    items = "".join(f"<li>{code(f)}</li>" for f in files)
    return (f'<section id="inputs"><h2>Input files <small>{len(files)}</small></h2><p class="hint">Every file its '
            f'output reads, through its references too: a change to one of them can change this resource.</p>'
            f'<ul class="files">{items}</ul></section>')
