"""`strata docs generate`: the site's data and files, without a browser (tests/test_docs_browser.py opens them)."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import urllib.request
from html.parser import HTMLParser
from pathlib import PurePosixPath

import pytest
from click.testing import CliRunner
from conftest import ROOT
from repo_fixture import run, write_repo
from test_plan_example import SEARCH, committed, edit, repo  # noqa: F401 (fixtures: a git copy of the example)

from compiler.capacity import environment_reports
from compiler.capacity.formats import POOL_HEADERS, pool_cells
from compiler.cli import main
from compiler.docs.changes import PlanChanges, read_plan
from compiler.docs.extract import extract
from compiler.docs.facts import Drift, image_tag
from compiler.docs.html import esc
from compiler.docs.layout import COLUMN, NODE_HEIGHT, NODE_WIDTH, layout
from compiler.docs.lineage import Lineage
from compiler.docs.search import SHARD_BYTES, search_entries
from compiler.docs.serve import site_server
from compiler.docs.site import MARKER, site_files
from compiler.errors import StrataError
from compiler.merge.targets_of import Selection
from compiler.pipeline import load_stage, render_stage
from compiler.plan import plan, render
from compiler.plan.capacity import capacity_from_json, pool_rows

SHOE = ("prod-sh", "cv-shoe-identify")
MAX_FILE = 2_000_000


@pytest.fixture(scope="module")
def build():
    return render_stage(load_stage(ROOT))


@pytest.fixture(scope="module")
def files(build) -> dict[str, bytes]:
    return site_files(build)


def text(files: dict[str, bytes], name: str) -> str:
    return files[name].decode()


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.links += [value for name, value in attrs if name in ("href", "src", "action") and value]


def test_every_link_leads_to_a_file_of_the_site_and_nothing_leads_elsewhere(files):
    pages = [name for name in files if name.endswith(".html")]
    assert {"index.html", "lineage.html", "capacity.html", "search.html"} <= set(pages)
    for page in pages:
        parser = _Links()
        parser.feed(text(files, page))
        for link in parser.links:
            assert not re.match(r"^([a-z]+:|//)", link), f"{page} links outside the site: {link}"
            target = link.split("#")[0].split("?")[0]
            if target:
                resolved = os.path.normpath(str(PurePosixPath(page).parent / target))
                assert resolved in files, f"{page} links to {link}, which the site does not have"


def test_no_file_is_larger_than_two_megabytes_and_assets_are_vendored(files):
    assert max(len(data) for data in files.values()) < MAX_FILE
    assert files["assets/cytoscape.min.js"].startswith(b"/**\n * Copyright (c) 2016")
    assert b"MIT" in files["assets/cytoscape.LICENSE"] or b"Permission is hereby granted" in files["assets/cytoscape.LICENSE"]
    marker = json.loads(files[MARKER])
    assert marker["cytoscape"] == "3.35.0" and marker["targets"] == 54


def test_the_same_config_gives_the_same_bytes_whatever_the_hash_seed(files, tmp_path):
    out = tmp_path / "site"
    env = {**os.environ, "PYTHONHASHSEED": "4242"}
    subprocess.run([sys.executable, "-m", "compiler.cli", "--repo", str(ROOT), "docs", "generate", "--out", str(out)],
                   check=True, env=env, capture_output=True, cwd=ROOT)
    written = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert written == files


def test_the_matrix_has_a_row_per_resource_and_a_column_per_environment_in_promotion_order(build):
    site = extract(build)
    assert site.envs == ("dev", "staging", "prod-bj", "prod-sh")
    assert site.sources == {"staging": "dev", "prod-bj": "staging", "prod-sh": "staging"}
    assert len(site.rows) == 18 and sum(len(row.cells) for row in site.rows) == len(site.docs) == 54
    service = next(row for row in site.rows if row.name == "shoe-search")
    assert [c.facts.models for c in service.cells.values()] == [
        ("shoe-embedder v4 (candidate)",), ("shoe-embedder v4",), ("shoe-embedder v3",), ("shoe-embedder v3",)]
    assert service.cells["prod-sh"].facts.tags == ("2.3.1",)
    assert service.cells["prod-sh"].facts.gpus == (("a100", 8),)   # compiler.capacity's peak: 2–8 replicas × 1 GPU
    assert site.docs[(*SHOE, "job.train-vit-ddp")].facts.gpu_text == "32× h800"


def test_a_cell_differs_where_strata_promote_would_change_it(build, files):
    site = extract(build)
    cell = site.docs[(*SHOE, "service.shoe-search")]
    assert cell.source == "staging"
    assert cell.drift == (Drift("model", {"name": "shoe-embedder", "version": 3}, {"name": "shoe-embedder", "version": 4}),)
    assert site.docs[("prod-sh", "cv-shoe-identify", "job.train-resnet")].drift == ()   # same image as staging
    assert site.docs[("dev", "cv-shoe-identify", "service.shoe-search")].source == ""  # dev is promoted from nothing
    home = text(files, "index.html")
    assert home.count('<td class="cell drift"') == sum(1 for doc in site.docs.values() if doc.drift) == 5


def test_lineage_comes_from_the_graphs_references_drawn_the_way_data_flows(build):
    lineage = extract(build).lineages[SHOE]
    assert lineage.nodes == ("dataset.shoe-images", "job.train-resnet", "job.train-vit-ddp", "model.shoe-embedder",
                             "pipeline.retrain-weekly", "service.shoe-search")
    assert lineage.edges == (("dataset.shoe-images", "job.train-resnet"), ("dataset.shoe-images", "job.train-vit-ddp"),
                             ("dataset.shoe-images", "pipeline.retrain-weekly"),
                             ("model.shoe-embedder", "service.shoe-search"),
                             ("pipeline.retrain-weekly", "job.train-resnet"))
    assert lineage.neighbourhood("job.train-resnet", 1) == ("dataset.shoe-images", "job.train-resnet",
                                                            "pipeline.retrain-weekly")
    assert lineage.reach("job.train-resnet") == 1 and lineage.reach("service.shoe-search") == 1
    assert Lineage("e", "p", ("a", "b", "c"), (("a", "b"), ("b", "c"))).reach("a") == 2


def test_the_layout_is_layered_left_to_right_without_overlaps_and_keeps_room_for_long_edges():
    edges = [("d", "j"), ("d", "p"), ("p", "j"), ("m", "s"), ("j", "x")]
    first = layout(["d", "j", "p", "m", "s", "x", "lonely"], edges)
    assert first == layout(["x", "lonely", "s", "m", "p", "j", "d"], list(reversed(edges)))   # order does not matter
    at = first.positions
    assert all(at[a][0] < at[b][0] for a, b in edges)
    assert [at[n][0] // COLUMN for n in ("d", "p", "j", "x")] == [0, 1, 2, 3]
    boxes = sorted(at.values())
    for i, (x, y) in enumerate(boxes):
        for ox, oy in boxes[i + 1:]:
            assert abs(x - ox) >= NODE_WIDTH or abs(y - oy) >= NODE_HEIGHT
    (bend,) = first.bends[("d", "j")]             # d → j crosses p's column beside p, not through it
    assert bend[0] == at["p"][0] and bend[1] != at["p"][1]
    assert layout(["a", "b"], [("a", "b"), ("b", "a")]).positions   # a cycle still gets a picture


def test_the_svg_draws_every_node_and_edge_of_the_lineage_page(build, files):
    lineage = extract(build).lineages[SHOE]
    page = text(files, "lineage/prod-sh/cv-shoe-identify.html")
    svg = page[page.index("<svg"): page.index("</svg>")]
    assert svg.count('<g class="node') == len(lineage.nodes) and svg.count('<path class="edge"') == len(lineage.edges)
    data = json.loads(re.search(r'<script type="application/json" id="lineage-data">(.*?)</script>', page).group(1))
    assert sorted(data["nodes"]) == list(lineage.nodes) and [tuple(e) for e in data["edges"]] == list(lineage.edges)
    focus = data["focus"]["job.train-resnet"]
    assert focus["reach"] == 1 and sorted(focus["layouts"]["1"]["at"]) == list(lineage.neighbourhood("job.train-resnet", 1))
    assert data["nodes"]["job.train-resnet"]["href"] == "../../r/prod-sh/cv-shoe-identify/job-train-resnet.html"


def test_a_resource_page_says_where_each_value_comes_from(files):
    page = text(files, "r/prod-sh/cv-shoe-identify/job-train-resnet.html")
    row = re.search(r'<tr><td class="path"><code>resources.gpuType</code>.*?</tr>', page).group(0)
    assert "environments/prod-sh.yaml:68:26" in row and "environment prod-sh" in row
    assert "environments/prod-sh.yaml:58:26" in row   # what it overrode: the environment's default a100
    image = re.search(r'<tr><td class="path"><code>image</code>.*?</tr>', page).group(0)
    assert "as written <code>${env.vars.registry}/cv/train:1.4.2</code>" in image
    ttl = re.search(r'<li><code>ttlAfterFinished</code>.*?</li>', page).group(0)   # locked, and unset in prod
    assert "locked by" in ttl and "environments/groups/prod.yaml:29:5" in ttl
    assert "single-node PyTorch training of the shoe embedding model" in page   # the comment above the document
    assert 'href="../../../r/staging/cv-shoe-identify/job-train-resnet.html"' in page   # the same in staging
    assert "mounts <a" in page and "Pipeline retrain-weekly</a> embeds it" in page


def test_a_resource_page_carries_its_rendered_objects(build, files):
    page = text(files, "r/prod-sh/cv-shoe-identify/service-shoe-search.html")
    data = json.loads(re.search(r'<script type="application/json" id="objects-data">(.*?)</script>', page).group(1))
    rendered = build.rendered[(*SHOE, "service.shoe-search")]
    assert data == [*rendered.objects, *([rendered.values] if rendered.values is not None else [])]
    assert page.count('<details class="object"') == len(data)


def test_search_indexes_names_images_models_fields_and_descriptions(build, files):
    entries = {(e["p"], e["k"], e["n"]): e for e in search_entries(extract(build))}
    service = entries[("cv-shoe-identify", "Service", "shoe-search")]
    assert "replicas.max" in service["f"] and "shoe-embedder v3" in service["m"]
    assert service["e"][0] == ["dev", "r/dev/cv-shoe-identify/service-shoe-search.html"]
    assert any(i.endswith("/cv/triton-shoe:2.3.1") for i in service["i"])
    assert "Triton" in service["d"]
    assert ("cv-shoe-identify", "Model", "shoe-embedder") in entries
    shards = [name for name in files if name.startswith("search/")]
    assert shards == ["search/index-0.js"] and all(len(files[s]) < SHARD_BYTES + 1000 for s in shards)
    assert 'src="search/index-0.js"' in text(files, "search.html")


def test_a_plan_highlights_what_it_changes(build, tmp_path):
    plan = tmp_path / "plan.json"
    entry = {"change": "change", "environment": "prod-sh", "project": "cv-shoe-identify", "resource": "service.shoe-search"}
    plan.write_text(json.dumps({"format_version": "1.2", "base": {"ref": "main", "sha": "0123456789"}, "head": "HEAD",
                                "entries": [entry, {**entry, "change": "add"},
                                            {**entry, "resource": "job.gone", "change": "destroy"},
                                            {**entry, "resource": "job.train-resnet", "change": "add"}]}))
    changes = read_plan(plan)
    assert changes.targets == {(*SHOE, "service.shoe-search"): "change", (*SHOE, "job.gone"): "destroy",
                               (*SHOE, "job.train-resnet"): "add"}
    assert changes.title == "main (0123456) → HEAD"
    files = site_files(build, changes)
    home = text(files, "index.html")
    assert home.count("plan-change") >= 1 and "plan-add" in home and "prod-sh/cv-shoe-identify/job.gone" in home
    assert 'class="has-drift has-change"' in home and 'id="only-changed"' in home
    lineage = text(files, "lineage/prod-sh/cv-shoe-identify.html")
    assert '"change":"change"' in lineage and 'class="node kind-service plan-change"' in lineage


@pytest.mark.parametrize(("content", "message"), [
    ("{", "not JSON"),
    ('{"format_version": "2.0", "entries": []}', "not a strata plan"),
    ('{"entries": []}', "not a strata plan"),
])
def test_a_file_that_is_not_a_plan_is_one_clear_error(tmp_path, content, message):
    plan = tmp_path / "plan.json"
    plan.write_text(content)
    with pytest.raises(StrataError, match=message):
        read_plan(plan)
    with pytest.raises(StrataError, match="cannot read it"):
        read_plan(tmp_path / "missing.json")


@pytest.mark.parametrize(("image", "tag"), [
    ("registry.example.com/cv/train:1.4.2", "1.4.2"), ("registry:5000/team/app", "latest"),
    ("registry:5000/team/app:2.0@sha256:0123456789abcdef0123", "2.0"),
    ("app@sha256:0123456789abcdef0123", "sha256:0123456789ab"), ("python", "latest")])
def test_image_tags(image, tag):
    assert image_tag(image) == tag


def test_the_capacity_page_shows_strata_capacity_s_figures_and_links_each_workload(build, files):
    (report,) = [r for r in environment_reports(build) if r.env == "prod-sh"]
    page = text(files, "capacity.html")
    section = page[page.index('id="env-prod-sh"'):]
    section = section[: section.index("</section>")]
    h800 = next(row for row in report.pools if row.pool == "h800")
    assert (h800.capacity, h800.quota, h800.demand.peak) == ({"ack-sh-prod": 64, "ack-sh-prod-canary": 56}, 40, 40)
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", re.search(r'<tr class="pool"><th scope="row">h800</th>.*?</tr>',
                                                           section).group(0))
    assert cells[:len(POOL_HEADERS) - 1] == pool_cells(h800, 2)[1:]   # the cells `strata capacity` prints
    assert 'href="r/prod-sh/cv-shoe-identify/job-train-vit-ddp.html" title="Master 1 × 8 GPU + Worker 3 × 8 GPU">' \
           "PyTorchJob train-vit-ddp</a> 32" in section
    assert '<span class="bar warn" title="40 of 40">' in section   # the project's peak fills its h800 quota


def test_a_selection_limits_the_columns_and_needs_the_promotion_source_to_colour(files):
    build = render_stage(load_stage(ROOT, Selection(envs=("prod-sh",))))
    site = extract(build)
    assert site.envs == ("prod-sh",) and site.sources == {"prod-sh": "staging"}
    assert all(doc.source == "" and doc.drift == () for doc in site.docs.values())
    assert "capacity.html" in site_files(build)


def test_generate_writes_the_site_and_replaces_only_a_site(tmp_path):
    runner = CliRunner()
    out = tmp_path / "site"
    result = runner.invoke(main, ["--repo", str(ROOT), "docs", "generate", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "index.html").is_file() and (out / MARKER).is_file() and "Wrote 68 pages" in result.output
    assert runner.invoke(main, ["--repo", str(ROOT), "docs", "generate", "--out", str(out)]).exit_code == 0
    precious = tmp_path / "notes"
    precious.mkdir()
    (precious / "todo.txt").write_text("keep me")
    for folder, why in ((precious, "holds no strata strata-docs.json"), (ROOT / "projects", "which strata reads"),
                        (ROOT, "is the repository")):
        result = runner.invoke(main, ["--repo", str(ROOT), "docs", "generate", "--out", str(folder)])
        assert result.exit_code == 1 and why in result.output and "Traceback" not in result.output
    assert (precious / "todo.txt").read_text() == "keep me"


def test_a_bad_plan_file_stops_generate_before_anything_is_written(tmp_path):
    (tmp_path / "plan.json").write_text("[]")
    result = CliRunner().invoke(main, ["--repo", str(ROOT), "docs", "generate", "--out", str(tmp_path / "site"),
                                       "--plan", str(tmp_path / "plan.json")])
    assert result.exit_code == 1 and "not a strata plan" in result.output and not (tmp_path / "site").exists()


def test_serve_serves_a_generated_site_and_refuses_anything_else(files, tmp_path):
    for name, data in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    server = site_server(tmp_path, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}/index.html") as response:
            assert response.status == 200 and response.read() == files["index.html"]
    finally:
        server.shutdown()
        server.server_close()
    with pytest.raises(StrataError, match="run `strata docs generate` first"):
        site_server(tmp_path / "r", "127.0.0.1", 0)


def test_an_empty_plan_changes_nothing(build):
    assert extract(build, PlanChanges()).changes.targets == {}
    assert Lineage("e", "p", ("a",), ()).neighbourhood("a", 3) == ("a",)


def test_the_site_masks_secret_looking_env_values_as_plan_and_explain_do(tmp_path):
    secret = "hunter2-old-password"
    config = write_repo(tmp_path / "repo", {"projects/demo/train.yaml": (
        "kind: Job\nname: train\nspec:\n  image: reg/train:1\n  env:\n"
        f"    - {{name: DB_PASSWORD, value: {secret}}}\n    - {{name: MODE, value: fast}}\n")})
    result = run(config, "docs", "generate", "--out", str(tmp_path / "site"))
    assert result.exit_code == 0, result.output
    written = {p.relative_to(tmp_path / "site").as_posix(): p.read_text() for p in (tmp_path / "site").rglob("*.*")
               if p.suffix in (".html", ".js", ".json")}
    assert not [name for name, content in written.items() if secret in content]
    page = written["r/dev/demo/job-train.html"]
    assert "<code>(sensitive, 20 bytes)</code>" in page and "<code>fast</code>" in page   # the provenance table
    objects = json.loads(re.search(r'id="objects-data">(.*?)</script>', page).group(1))
    assert '{"name": "DB_PASSWORD", "value": "(sensitive, 20 bytes)"}' in json.dumps(objects)   # rendered, as in a plan


def test_with_a_plan_the_capacity_page_shows_the_plan_s_capacity_section(repo, tmp_path):  # noqa: F811 (fixture)
    edit(repo, SEARCH, lambda d: d["spec"]["replicas"].update(max=12))      # prod: 8 → 12 replicas of 1 GPU
    result = plan(repo, "main")
    assert capacity_from_json(json.loads(render(result, "json"))["capacity"]) == result.capacity   # read back whole
    (tmp_path / "plan.json").write_text(render(result, "json"))
    out = tmp_path / "site"
    generated = run(repo, "docs", "generate", "--out", str(out), "--plan", str(tmp_path / "plan.json"))
    assert generated.exit_code == 0, generated.output
    page = (out / "capacity.html").read_text()
    section = page[page.index('id="plan-prod-sh"'):]
    section = section[: section.index("</section>")]
    (a100,) = [row[1:] for row in pool_rows(result.capacity) if row[:2] == ["prod-sh", "a100"]]
    assert a100[2:4] == ["+4", "+4"]   # Δ steady, Δ peak: four more replicas of one GPU
    assert "".join(f"<td>{esc(cell)}</td>" for cell in a100) in section   # the plan's own cells
    assert 'id="plan-prod-bj"' in page and 'id="plan-dev"' not in page
    (tmp_path / "bad.json").write_text(json.dumps({**json.loads(render(result, "json")), "capacity": {"environments": 1}}))
    refused = run(repo, "docs", "generate", "--out", str(out), "--plan", str(tmp_path / "bad.json"))
    assert refused.exit_code == 1 and "its `capacity` section is not one strata plan writes" in refused.output


def test_a_site_swap_a_kill_interrupted_is_finished_by_the_next_run_and_a_forged_marker_is_refused(tmp_path):
    config = write_repo(tmp_path / "repo", {"projects/demo/train.yaml": "kind: Job\nname: train\nspec:\n  image: reg/t:1\n"})
    site = tmp_path / "site"
    assert run(config, "docs", "generate", "--out", str(site)).exit_code == 0
    new, old = tmp_path / ".site.strata-new", tmp_path / ".site.strata-old"
    site.rename(new)   # killed between its two renames: the old site moved away, the new one staged
    journal = config / ".strata" / "swap.json"
    journal.write_text(json.dumps({"out": str(site), "new": str(new), "old": str(old), "marker": MARKER}))
    result = run(config, "compile")
    assert result.exit_code == 0, result.output
    assert (site / MARKER).is_file() and not new.exists() and not journal.exists()
    journal.write_text(json.dumps({"out": str(site), "new": str(new), "old": str(old), "marker": "../x.json"}))
    refused = run(config, "docs", "generate", "--out", str(site))
    assert refused.exit_code == 1 and "does not describe a swap of strata's own output" in refused.output
    assert (site / MARKER).is_file()
