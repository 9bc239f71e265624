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
