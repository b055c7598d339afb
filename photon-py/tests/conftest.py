"""Paths the tests share: the repository, its sample files, the installed models and the CLI."""

import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
TESTDATA = ROOT / "testdata"


@pytest.fixture(scope="session")
def models_dir() -> pathlib.Path:
    """The models scripts/setup.sh installs; the tests fail, never skip, without them."""
    path = pathlib.Path(os.environ.get("PHOTON_MODELS", ROOT / "models"))
    assert (path / "efficientnet-lite0" / "photon-model.json").is_file(), (
        f"default model not installed in {path}: run scripts/setup.sh"
    )
    return path


@pytest.fixture(scope="session")
def photon_cli() -> pathlib.Path:
    """The `photon` binary `cargo test --workspace` built."""
    path = ROOT / "target" / "debug" / "photon"
    assert path.is_file(), f"no {path}: run cargo test --workspace (or cargo build -p photon-cli) first"
    return path


def photos() -> list:
    return sorted(str(p) for p in (TESTDATA / "photos").iterdir())


def hostile() -> list:
    return sorted(str(p) for p in (TESTDATA / "hostile").iterdir())
