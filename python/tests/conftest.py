import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHARED = pathlib.Path(os.environ.get("TP_SHARED", ROOT.parent / "shared"))


def shared(rel: str) -> pathlib.Path:
    """A file of the project's shared data (../shared); the tests that need
    it fail loudly if it is missing rather than skipping."""
    path = SHARED / rel
    if not path.exists():
        pytest.fail(f"shared data missing: {path} (the tests read ../shared from the project root)")
    return path


@pytest.fixture
def mnist_cnn():
    return shared("data/models/mnist-cnn/mnist_cnn.safetensors")


@pytest.fixture
def mnist_acts():
    return shared("data/models/mnist-cnn/activations_first64.safetensors")


def need(module: str):
    """Imports an optional dependency. scripts/test installs them all and sets
    TP_REQUIRE_OPTIONAL=1, so there a missing one fails instead of skipping."""
    if os.environ.get("TP_REQUIRE_OPTIONAL"):
        import importlib

        return importlib.import_module(module)
    return pytest.importorskip(module)
