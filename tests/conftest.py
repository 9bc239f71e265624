import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Upstream CRDs (test data, never copied into this repository): ../shared/crds beside the
# checkout, or the folder STRATA_TEST_CRDS names. Without them the tests that need them skip.
CRDS = Path(os.environ.get("STRATA_TEST_CRDS") or ROOT.parent / "shared" / "crds")
NEEDS_CRDS = "needs ../shared/crds (see README)"
sys.path.insert(0, str(ROOT / "tests"))


def require_crds() -> Path:
    """The upstream CRD folder, or skip the calling test."""
    if not CRDS.is_dir() or not any(CRDS.rglob("*.yaml")):
        pytest.skip(NEEDS_CRDS)
    return CRDS


@pytest.fixture(scope="session")
def crd_schemas():
    """Every upstream CRD schema under ../shared/crds, loaded once per run (~3 s)."""
    from compiler.check.crds import CrdSchemas
    return CrdSchemas.load(require_crds())


@pytest.fixture(scope="session")
def kubernetes_schemas():
    """Built-in Kubernetes schemas (kubernetes-validate, strict), each validator built once per run."""
    from compiler.check.objects import KubernetesSchemas
    return KubernetesSchemas()


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="Rewrite tests/golden/ from the current output (never in CI).")
    parser.addoption("--update-screenshots", action="store_true", default=False,
                     help="Also write the docs site screenshots README shows (docs/img/) from the browser tests.")


RUN_LAST = "test_every_repo_the_suite_compiled_validates_against_the_editor_schema"


def pytest_collection_modifyitems(items):
    """The editor-schema property test checks every repo the other tests compiled: it runs last."""
    items.sort(key=lambda item: item.name == RUN_LAST)
