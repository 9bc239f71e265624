"""The docs site in a real browser: headless Chromium (Debian's package) driven by Playwright.

The site is generated from the example config with the CLI and opened from file://, as a
reader who downloaded a CI artifact would. Every page visited must load without a console
error, an uncaught exception or a failed request. Screenshots go to tmp/artifacts/docs/ for
review; `pytest tests/test_docs_browser.py --update-screenshots` also refreshes the two in
docs/img/ that README shows. Skipped, saying why, where Chromium or Playwright is missing, except
where STRATA_BROWSER_TESTS=required (.ci/run installs both and sets it): there they fail.
"""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

ARTIFACTS = ROOT / "tmp" / "artifacts" / "docs"
README_IMAGES = ROOT / "docs" / "img"
SERVICE = "r/prod-sh/cv-shoe-identify/service-shoe-search.html"
JOB = "r/prod-sh/cv-shoe-identify/job-train-resnet.html"
LINEAGE = "lineage/prod-sh/cv-shoe-identify.html"


def _bench_browser():
    spec = importlib.util.spec_from_file_location("bench_browser", ROOT / "bench" / "browser.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


browser_support = _bench_browser()
REQUIRED = os.environ.get("STRATA_BROWSER_TESTS") == "required"
pytestmark = pytest.mark.skipif(browser_support.unavailable() is not None and not REQUIRED,
                                reason=f"browser tests: {browser_support.unavailable()}")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("docs") / "site"
    subprocess.run([sys.executable, "-m", "compiler.cli", "--repo", str(ROOT), "docs", "generate", "--out", str(folder)],
                   check=True, capture_output=True, cwd=ROOT)
    return folder


@pytest.fixture(scope="module")
def browser():
    with browser_support.open_browser() as context:
        yield context


@pytest.fixture
def watch(browser):
    page = browser.new_page()
    watch = browser_support.Watch(page)
    yield watch
    page.close()
    assert not watch.problems, "\n".join(watch.problems)


def url(site: Path, page: str) -> str:
    return (site / page).as_uri() if "#" not in page and "?" not in page else site.as_uri() + "/" + page


def shot(watch, name: str, *, full_page: bool = False, readme: str = "", request=None) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    watch.page.screenshot(path=str(ARTIFACTS / name), full_page=full_page)
    if readme and request is not None and request.config.getoption("--update-screenshots"):
        README_IMAGES.mkdir(parents=True, exist_ok=True)
        watch.page.screenshot(path=str(README_IMAGES / readme))


def test_a_matrix_cell_leads_to_that_resource_in_that_environment(site, watch, request):
    watch.open(url(site, "index.html"))
    assert watch.page.locator("table.matrix tbody tr:not(.group)").count() == 18
    shot(watch, "matrix.png", readme="docs-matrix.png", request=request)
    cell = watch.page.locator(f'td.cell a[href="{SERVICE}"]')
    assert "drift" in (cell.locator("xpath=..").get_attribute("class") or "")   # prod-sh serves v3, staging v4
    cell.click()
    watch.page.wait_for_load_state()
    assert watch.page.url.endswith(SERVICE)
    assert watch.page.locator("h1").inner_text().strip().endswith("shoe-search")
    assert watch.page.locator("nav.env-strip .env.here").inner_text().startswith("prod-sh")
    shot(watch, "resource.png", full_page=True)


def test_provenance_shows_the_file_and_line_a_layer_set(site, watch):
    watch.open(url(site, JOB))
    row = watch.page.locator("table.provenance tr", has=watch.page.locator("td.path", has_text="resources.gpuType"))
    origin = row.locator("td.origin").inner_text()
    assert "environments/prod-sh.yaml:68:26" in origin and "environment prod-sh" in origin
    locked = watch.page.locator("ul.locks li", has_text="ttlAfterFinished")   # prod locks the TTL unset
    assert "locked by environments/groups/prod.yaml:29:5" in locked.inner_text()


def test_a_rendered_object_opens_as_yaml_that_reads_back_as_the_object(site, watch):
    watch.open(url(site, JOB))
    details = watch.page.locator("details.object").first
    details.locator("summary").click()
    # The page fills the <pre> on the details' `toggle` event, a task queued after the click returns.
    watch.page.wait_for_function("() => document.querySelector('details.object pre').textContent.length > 0")
    text = details.locator("pre").inner_text()
    objects = json.loads(watch.page.locator("#objects-data").inner_text())
    assert text.startswith("apiVersion: kubeflow.org/v1\nkind: PyTorchJob\n")
    assert yaml.safe_load(text) == objects[0]


def test_the_yaml_writer_quotes_what_yaml_would_read_as_something_else(site, watch):
    watch.open(url(site, JOB))
    tricky = ["yes", "no", "on", "off", "y", "null", "~", "true", "1", "007", "1.5", "1e3", ".inf", "0x1f", "1:20",
              "2024-05-06", "a: b", "a #b", "ends:", "- x", "", " lead", "tab\there", "multi\nline\n", "x\n\n",
              "1.4.2", "registry.example.com/app:1.2", "@at", "`tick", "{a}", "[b]", "*star", "&amp", "!bang", "%pct",
              "'q'", '"dq"', "#hash", "a,b", "-", "---", "?", "=", "<<"]
    data = {"values": tricky, "keys": {t: i for i, t in enumerate(tricky) if t}, "nested": [{"a": [1, [2, {}], []]}],
            "numbers": [0, -1, 2.5, True, False, None]}
    text = watch.page.evaluate("data => strataYaml(data)", data)
    assert yaml.safe_load(text) == data
    assert "image: registry" not in text and "- 1.4.2\n" in text   # plain where that is safe


def test_the_lineage_draws_the_projects_graph_and_focuses_a_node(site, watch, request):
    watch.open(url(site, LINEAGE), ready='#cy[data-ready="1"]')
    box = watch.page.locator("#cy")
    assert (box.get_attribute("data-nodes"), box.get_attribute("data-edges")) == ("6", "5")
    assert not watch.page.locator("#lineage-svg").is_visible()   # the no-JS picture gives way
    shot(watch, "lineage-project.png")
    watch.open(url(site, f"{LINEAGE}#node=job.train-resnet&depth=1"), ready='#cy[data-focus="job.train-resnet"]')
    assert (box.get_attribute("data-nodes"), box.get_attribute("data-edges")) == ("3", "3")
    shot(watch, "lineage-focus.png", readme="docs-lineage.png", request=request)
    # a click on a node focuses on it (its position on screen, from Cytoscape)
    point = watch.page.evaluate("""() => { const n = window.strataLineage.getElementById('dataset.shoe-images');
        const box = document.getElementById('cy').getBoundingClientRect(); const p = n.renderedPosition();
        return [box.left + p.x, box.top + p.y]; }""")
    watch.page.mouse.click(*point)
    watch.page.wait_for_selector('#cy[data-focus="dataset.shoe-images"]')
    assert box.get_attribute("data-nodes") == "4"   # the dataset feeds both jobs and the pipeline
    watch.page.select_option("#depth", "all")
    watch.page.wait_for_function("() => location.hash.includes('depth=all')")
    assert box.get_attribute("data-nodes") == "4"
    assert "Open its page" in watch.page.locator("#node-panel").inner_text()


def test_search_finds_a_model_and_the_services_that_serve_it(site, watch, request):
    watch.open(url(site, "search.html?q=shoe-embedder"), ready="body[data-search-ready]")
    results = watch.page.locator("ol.results li")
    assert results.first.get_attribute("data-kind") == "Model"
    assert results.first.get_attribute("data-name") == "shoe-embedder"
    assert watch.page.locator('ol.results li[data-kind="Service"][data-name="shoe-search"]').count() == 1
    shot(watch, "search.png")
    watch.page.fill("#query", "replicas.max")
    watch.page.wait_for_function("() => document.getElementById('result-count').textContent.includes('result')")
    assert watch.page.locator('ol.results li[data-name="shoe-search"]').count() == 1


def test_the_header_search_box_and_the_other_pages_load_cleanly(site, watch):
    watch.open(url(site, "index.html"))
    watch.page.fill("header input[name=q]", "train-resnet")
    watch.page.keyboard.press("Enter")
    watch.page.wait_for_selector("body[data-search-ready]")
    assert watch.page.locator('ol.results li[data-name="train-resnet"]').count() == 1
    for page in ("capacity.html", "lineage.html", "r/dev/cv-shoe-identify/model-shoe-embedder.html"):
        watch.open(url(site, page))
        shot(watch, page.replace("/", "-").replace(".html", ".png"), full_page=True)
        if page == "capacity.html":
            assert watch.page.locator("#env-prod-sh tr.pool th", has_text="h800").count() == 1


def test_the_matrix_filter_hides_rows_and_groups(site, watch):
    watch.open(url(site, "index.html"))
    watch.page.fill("#filter", "shoe-search")
    watch.page.wait_for_function("() => document.getElementById('row-count').textContent.startsWith('1 of')")
    assert watch.page.locator("table.matrix tbody tr.group:visible").count() == 1
    watch.page.fill("#filter", "")
    watch.page.check("#only-drift")
    watch.page.wait_for_function("() => !document.getElementById('row-count').textContent.startsWith('18 ')")
    visible = watch.page.locator("table.matrix tbody tr:not(.group):visible th.name").all_inner_texts()
    assert visible == ["shoe-search", "ranking-online"]   # a staging canary the others lack
