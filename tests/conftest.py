import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT / "tests"))


@pytest.fixture(scope="session")
def crd_schemas():
    """Every upstream CRD schema under ../shared/crds, loaded once per run (~3 s)."""
    from compiler.check.crds import CrdSchemas
    return CrdSchemas.load(SHARED / "crds")


@pytest.fixture(scope="session")
def kubernetes_schemas():
    """Built-in Kubernetes schemas (kubernetes-validate, strict), each validator built once per run."""
    from compiler.check.objects import KubernetesSchemas
    return KubernetesSchemas()


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="Rewrite tests/golden/ from the current output (never in CI).")


RUN_LAST = "test_every_repo_the_suite_compiled_validates_against_the_editor_schema"


def pytest_collection_modifyitems(items):
    """The editor-schema property test checks every repo the other tests compiled: it runs last."""
    items.sort(key=lambda item: item.name == RUN_LAST)
