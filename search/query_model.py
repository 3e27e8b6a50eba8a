"""The model that encodes a text query: the one that made the graph's vectors, and no other.

A vector from another model lives in another space: comparing it with the graph's vectors gives
numbers, not neighbours. So the model is checked against the `name@hash` ids the graph records on
its vectors (`Patent.embedding_model`), whether the user names its folder (`--model`) or the
graph remembers where it is (`EmbeddingModel.path`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from patentcl.encoding import EmbeddingModel, graph_models, open_model
from patentcl.errors import PatentclError
from patentcl.graph import GraphStore


def query_model(
    store: GraphStore, model: str | None = None, *, backend: str = "torch", onnx_file: str | None = None
) -> EmbeddingModel:
    """Opens `model` (a folder or hub id), or the folder the graph recorded, and checks that it
    made the graph's vectors. backend="onnx": its ONNX export (`open_model`)."""
    made = graph_models(store)
    if not made:
        raise PatentclError("the graph holds no patent vectors: run `patentcl embed --model DIR` first")
    if model is None:
        paths = [r["path"] for r in store.run("embedding_models") if r["id"] in made and r["path"]]
        model = next((p for p in paths if Path(p).is_dir()), None)
        if model is None:
            raise PatentclError(
                f"a text query needs the model that made the graph's vectors ({', '.join(made)}): give --model DIR"
            )
    opened = open_model(model, backend=backend, onnx_file=onnx_file)
    if opened.id not in made:
        raise PatentclError(
            f"model {opened.id} ({model}) did not make the graph's vectors ({', '.join(made)}); "
            "give that model's folder, or re-embed with `patentcl embed --model DIR --reembed`"
        )
    return opened


def encode_query(model: EmbeddingModel, text: str) -> np.ndarray:
    """A free text (an abstract, a claim, a description) as a query vector."""
    text = text.strip()
    if not text:
        raise PatentclError("the query text is empty")
    return model.encode([text])[0]
