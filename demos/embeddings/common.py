"""What the embedding tasks share: one Loader (so a model loads once for the whole tab), the models offered,
the row inputs and embedding parameters (declared once, as fields), the embedding of a run's rows, and the
TaskSpec every task file builds on.

AutoModel + AutoProcessor with eager attention: AutoProcessor gives the tokenizer of a text model, the image
processor of an image model, and CLIP's processor; eager attention is what returns attention weights.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from core.i18n import note
from core.params import Bool, Choice, Int
from core.registry import Loader, TaskSpec
from demos.embeddings import compute
from demos.embeddings.examples import POOLING_INFO
from demos.embeddings.rows import ROW_INPUTS, Row

LOADER = Loader.auto("AutoModel", "AutoProcessor", attn_implementation="eager")
DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
MODELS = (
    "google-bert/bert-base-uncased",
    "beomi/kcbert-base",
    "intfloat/multilingual-e5-small",
    "openai/clip-vit-base-patch32",
    "facebook/dinov2-small",
)
# encoders, CLIP-style dual encoders and image backbones (AutoModel takes their base model)
ARCHITECTURES = ("Model", "ForMaskedLM", "ForPreTraining", "ForImageClassification")
MAX_LAYER = 128  # |layer|: deeper than any model the tab is for (the model's own depth is checked when it runs)
MAX_SIMILARITY = 500  # rows: the heatmap (and its JSON) grows with the square

EMBED_PARAMS = (
    Choice("pooling", "auto", compute.POOLINGS, help=POOLING_INFO),
    Int("layer", -1, -MAX_LAYER, MAX_LAYER, help="-1 = last (last_hidden_state), 0 = the embedding layer, k = after layer k",
        widget=(("component", "number"),)),
    Bool("normalize", False, help="L2 normalisation: every vector gets length 1 (cosine = dot product)"),
    Int("batch_size", 32, 1, 64, help="Rows per forward pass"),
)
METRIC = Choice("metric", "cosine", compute.DISTANCES, widget=(("component", "radio"),))


def embed_rows(bundle, row_lists: list[list[Row]], params: dict) -> tuple[list[np.ndarray], compute.Plan]:
    """(one [rows][dimensions] array per list of rows, the plan used): several requests' rows embedded together,
    batch_size rows per forward pass, and split back. Padding is masked, so a request's vectors are what it would
    get alone, up to float noise. A tokenizer without a padding token embeds each request on its own."""
    options = compute.options_of(params)
    tokenizer = compute.tokenizer_of(bundle.processor)
    if len(row_lists) > 1 and options.batch_size > 1 and getattr(tokenizer, "pad_token", "x") is None:
        done = [compute.embed(bundle, rows, options) for rows in row_lists]
        return [vectors for vectors, _ in done], done[0][1]
    vectors, plan = compute.embed(bundle, [row for rows in row_lists for row in rows], options)
    ends = np.cumsum([len(rows) for rows in row_lists])
    return np.split(vectors, ends[:-1]), plan


def vector_facts(vectors: np.ndarray, rows: list[Row]) -> dict:
    """What the Vectors view draws: the rows, the vectors and their norms."""
    return {"rows": rows, "vectors": vectors, "norms": np.linalg.norm(vectors, axis=1)}


def similarity_facts(vectors: np.ndarray) -> tuple[dict, tuple]:
    """(facts, notes) for the Similarity view of a run that is not the similarity task's own: the matrix, or,
    above MAX_SIMILARITY rows, a note that the heatmap is left out."""
    if len(vectors) > MAX_SIMILARITY:
        return {"similarity": None}, (note("The similarity heatmap shows at most {limit} rows: it is left out for "
                                           "{rows} rows", limit=MAX_SIMILARITY, rows=len(vectors)),)
    return {"similarity": compute.rounded(compute.cosine_matrix(vectors))}, ()


def spec(id: str, title: str, run, code, build, description: str, *, inputs=ROW_INPUTS, params=EMBED_PARAMS,
         **kw: Any) -> TaskSpec:
    """A TaskSpec of the tab: its loader, models and architectures, the row inputs and embedding params."""
    return TaskSpec(id=id, title=title, loader=LOADER, default_model=DEFAULT_MODEL, models=MODELS, run=run,
                    code=code, inputs=tuple(inputs), params=tuple(params), architectures=ARCHITECTURES,
                    description=description, build=build, **kw)
