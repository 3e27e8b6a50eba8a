"""ONNX export and the `--backend onnx` load path, on the real all-MiniLM-L6-v2 and ONNX Runtime.

Tolerances (measured on 8 sample abstracts, 128 tokens, this repo's 2-core AVX2 box):
  float32 ONNX vs PyTorch   max abs difference of normalised vectors ~2e-7  -> asserted < 1e-4
  int8 (avx2, per-channel)  mean cosine to PyTorch ~0.993, min ~0.988       -> asserted > 0.98 / > 0.97
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from helpers import SAMPLE_CSV, Graphs, cli_env
from patentcl.cli import main
from patentcl.config import Settings
from patentcl.encoding import open_model
from patentcl.errors import PatentclError
from patentcl.graph import open_store
from patentcl.loaders import patentsview_fixture
from patentcl.onnx_runtime import FLOAT_FILE, use_onnx
from patentcl.trainer.onnx_bench import neighbour_overlap
from patentcl.trainer.onnx_quant import quant_config

pytest.importorskip("onnxruntime")

SEQ = 128
INT8_MEAN_COSINE_FLOOR = 0.98
INT8_MIN_COSINE_FLOOR = 0.97


@pytest.fixture(scope="module")
def exported(minilm_path: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the model (the original lives in site-packages) exported by the real command."""
    folder = tmp_path_factory.mktemp("onnx") / "minilm"
    shutil.copytree(minilm_path, folder)
    result = CliRunner().invoke(
        main,
        ["export", "onnx", str(folder), "--quantize", "int8", "--quantize-config", "avx2", "--json"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    written = [json.loads(line) for line in result.stdout.splitlines()]
    assert [Path(row["file"]).name for row in written] == [FLOAT_FILE, quant_config("avx2").file_name]
    assert all(Path(row["file"]).is_file() for row in written)
    return folder


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return pd.read_csv(SAMPLE_CSV, nrows=8)["abstract"].tolist()


@pytest.fixture(scope="module")
def torch_vectors(exported: Path, texts: list[str]) -> np.ndarray:
    return open_model(str(exported), max_seq_length=SEQ, device="cpu").encode(texts)


def test_float_onnx_matches_torch(exported: Path, texts: list[str], torch_vectors: np.ndarray) -> None:
    model = open_model(str(exported), backend="onnx", max_seq_length=SEQ, device="cpu")
    vectors = model.encode(texts)
    assert vectors.shape == torch_vectors.shape == (8, 384)
    assert np.abs(vectors - torch_vectors).max() < 1e-4
    assert (vectors * torch_vectors).sum(axis=1).min() > 0.9999


def test_onnx_model_keeps_the_torch_models_id(exported: Path) -> None:
    # query_model checks the id against the graph's vectors: an ONNX export of the same weights
    # must pass that check, or `similar --text --backend onnx` could never run.
    torch_model = open_model(str(exported), device="cpu")
    onnx_model = open_model(str(exported), backend="onnx", device="cpu")
    assert onnx_model.id == torch_model.id


def test_int8_vectors_stay_close(exported: Path, texts: list[str], torch_vectors: np.ndarray) -> None:
    model = open_model(
        str(exported), backend="onnx", onnx_file=quant_config("avx2").file_name, max_seq_length=SEQ, device="cpu"
    )
    cosines = (model.encode(texts) * torch_vectors).sum(axis=1)
    assert cosines.mean() > INT8_MEAN_COSINE_FLOOR
    assert cosines.min() > INT8_MIN_COSINE_FLOOR
    assert cosines.mean() < 0.99999  # it is really the quantized graph, not the float one


def test_missing_export_is_named(exported: Path) -> None:
    with pytest.raises(PatentclError, match=r"no ONNX model .*nope\.onnx.*model\.onnx"):
        open_model(str(exported), backend="onnx", onnx_file="nope.onnx", device="cpu")


def test_export_from_other_weights_is_refused(exported: Path) -> None:
    model = open_model(str(exported), device="cpu")
    with pytest.raises(PatentclError, match="exported from other weights"):
        use_onnx(model.model, exported, None, source_hash="0" * 12)


def test_unknown_quantize_config_is_refused() -> None:
    with pytest.raises(PatentclError, match="unknown quantization config 'sse'"):
        quant_config("sse")


def test_neighbour_overlap() -> None:
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(40, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    assert neighbour_overlap(vectors, vectors, k=5) == 1.0
    other = rng.normal(size=(40, 8)).astype(np.float32)
    other /= np.linalg.norm(other, axis=1, keepdims=True)
    assert neighbour_overlap(vectors, other, k=5) < 0.5  # unrelated spaces share few neighbours


@pytest.fixture(scope="module")
def graph_settings(graphs: Graphs, exported: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """30 generated patents embedded by the PyTorch model, as `patentcl embed` does by default."""
    from patentcl.loaders.filters import LoadFilter
    from patentcl.loaders.load import run_load
    from patentcl.loaders.patentsview import Options, PatentsViewSource
    from patentcl.trainer.embed import embed_patents

    tables = tmp_path_factory.mktemp("patentsview")
    patentsview_fixture.generate(tables, patents=30, seed=7)
    settings = graphs.new("onnx")
    with open_store(settings) as store:
        run_load(store, settings, PatentsViewSource(tables, LoadFilter(types=None), Options()))
        embed_patents(store, open_model(str(exported)), progress=False)
    return settings


def _cli(settings: Settings, *args: str) -> dict:
    result = CliRunner().invoke(
        main, ["--home", str(settings.home), *args], env=cli_env(settings), catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.slow  # ~20 s: loads and embeds a graph; the load path itself is checked unmarked above
def test_text_lookup_and_suggestion_run_on_onnx(graph_settings: Settings, exported: Path) -> None:
    with open_store(graph_settings) as store:
        patent = next(iter(store.run("evaluation_patents", {"skip": 0, "limit": 1})))
    text = open_model(str(exported)).text.text(patent["title"], patent["abstract"])
    for onnx_file, floor in ((FLOAT_FILE, 0.9999), (quant_config("avx2").file_name, INT8_MIN_COSINE_FLOOR)):
        options = ["--text", text, "--model", str(exported), "--backend", "onnx", "--onnx-file", onnx_file, "--json"]
        top = _cli(graph_settings, "similar", *options, "-k", "3")["hits"][0]
        assert top["id"] == patent["id"] and top["similarity"] > floor
        suggestions = _cli(graph_settings, "suggest-cpc", *options, "--cpc-level", "subclass")["suggestions"]
        assert suggestions and {s["code"] for s in suggestions} & {c[:4] for c in patent["codes"]}
