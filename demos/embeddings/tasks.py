"""The embedding tab's tasks: embed, similarity, project, neighbors (one shared, cached embedding of the same
rows) and attention (one sentence's tokens, hidden-state norms and attention weights).

Every task loads through one Loader (AutoModel + AutoProcessor with eager attention), so a model is loaded
once for the whole tab: AutoProcessor gives the tokenizer of a text model, the image processor of an image
model, and CLIP's processor; eager attention is what returns attention weights.
"""

from __future__ import annotations

from core.errors import UserError
from core.registry import Loader, TaskSpec
from demos.embeddings import compute, snippets
from demos.embeddings.inputs import Row, read_rows

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
ROWS = ("text", "file", "images")
EMBED_PARAMS = {"pooling": "auto", "layer": -1, "normalize": False, "batch_size": 32}
PROJECT_PARAMS = {"method": "pca", "dimensions": 2, "seed": 0, "perplexity": 30.0, "n_neighbors": 15,
                  "min_dist": 0.1, "metric": "cosine"}
NEIGHBOR_PARAMS = {"metric": "cosine", "top_k": 5}
MAX_SIMILARITY = 500  # rows: the heatmap (and its JSON) grows with the square


def _vectors(bundle, inputs: dict, params: dict):
    """(vectors, plan, rows) of a run's rows, computed once and shared by the endpoints."""
    rows = read_rows(inputs)
    vectors, plan = compute.embed(bundle, rows, compute.options_of(params))
    return vectors, plan, rows


def run_embed(bundle, inputs: dict, params: dict) -> list[list[float]]:
    """One vector per row (texts first, then images), rounded to 6 decimals: [rows][dimensions]."""
    vectors, _, _ = _vectors(bundle, inputs, params)
    return compute.rounded(vectors)


def run_similarity(bundle, inputs: dict, params: dict) -> list[list[float]]:
    """The cosine similarity matrix of the rows: [rows][rows], 1 on the diagonal."""
    rows = read_rows(inputs)
    if len(rows) > MAX_SIMILARITY:
        raise UserError("too_large", what="Similarity heatmap",
                        detail=f"{len(rows)} rows; it shows at most {MAX_SIMILARITY} (the map and the neighbours "
                               "take every row)")
    vectors, _, _ = _vectors(bundle, inputs, params)
    return compute.rounded(compute.cosine_matrix(vectors))


def run_project(bundle, inputs: dict, params: dict):
    """The model's part of a projection: the rows' vectors [rows][dimensions] (numpy), under the model's lock;
    finish_project then projects them without holding the model."""
    compute.projection_of(params)  # bad parameters fail before the model runs
    vectors, _, _ = _vectors(bundle, inputs, params)
    return vectors


def finish_project(vectors, inputs: dict, params: dict) -> dict:
    """The rows projected to 2D/3D: {"method", "dimensions", "points" [rows][dims], "explained_variance_ratio"
    (PCA), "parameters", "seconds"}. t-SNE/UMAP of thousands of rows take a while: this runs outside the model's
    lock (TaskSpec.postprocess), so other users of the same model do not wait for it."""
    return compute.project(vectors, compute.projection_of(params))


def run_neighbors(bundle, inputs: dict, params: dict) -> dict:
    """The rows nearest to a query text: {"query", "metric", "score", "neighbors": [{"rank", "index", "text",
    "label", "kind", "score"}]}; score = cosine similarity (higher is nearer) or euclidean distance (lower)."""
    query = (inputs.get("query") or "").strip()
    if not query:
        raise UserError("empty_input", what="Query")
    metric = compute._choice(params, "metric", compute.DISTANCES, "cosine")
    k = compute._int(params, "top_k", 5)
    if k < 1:
        raise UserError("bad_param", name="top_k", detail="must be 1 or more")
    vectors, plan, rows = _vectors(bundle, inputs, params)
    if plan.space == "image":
        raise UserError("bad_param", name="query", detail=f"{type(bundle.model).__name__} reads images only: "
                                                          "a text query needs a text or CLIP model")
    query_vector, _ = compute.embed(bundle, [Row(query)], compute.options_of(params))
    hits = compute.nearest(vectors, query_vector[0], metric, k)
    return {
        "query": query,
        "metric": metric,
        "score": "cosine similarity (higher is nearer)" if metric == "cosine" else "euclidean distance (lower is nearer)",
        "neighbors": [{"rank": rank, "index": i, "text": rows[i].text, "label": rows[i].label, "kind": rows[i].kind,
                       "score": round(score, 6)} for rank, (i, score) in enumerate(hits, 1)],
    }


def run_attention(bundle, inputs: dict, params: dict) -> dict:
    """One sentence's tokens, hidden-state norm per layer and attention weights per layer and head."""
    sentence = (inputs.get("sentence") or "").strip()
    if not sentence:
        raise UserError("empty_input", what="Sentence")
    return compute.token_view(bundle, sentence)


def _task(id: str, title: str, run, code, params: dict, description: str, **kw) -> TaskSpec:
    return TaskSpec(id=id, title=title, loader=LOADER, default_model=DEFAULT_MODEL, models=MODELS, run=run, code=code,
                    inputs=kw.pop("inputs", ROWS), file_inputs=kw.pop("file_inputs", ("file",)), params=params,
                    architectures=ARCHITECTURES, description=description, **kw)


# the CLI prints these as JSON Lines: one vector per text, one matrix row per line
EMBED = _task("embed", "Vectors", run_embed, snippets.code_embed, dict(EMBED_PARAMS),
              "One vector per sentence (or image): pooling, layer, L2 normalisation.",
              aliases=("feature-extraction",), cli_lines=True)
SIMILARITY = _task("similarity", "Similarity", run_similarity, snippets.code_similarity, dict(EMBED_PARAMS),
                   "Cosine similarity of every pair of rows.", aliases=("sentence-similarity",), cli_lines=True)
PROJECT = _task("project", "Map", run_project, snippets.code_project, {**EMBED_PARAMS, **PROJECT_PARAMS},
                "The rows projected to 2D or 3D with PCA, t-SNE or UMAP.", postprocess=finish_project)
NEIGHBORS = _task("neighbors", "Neighbours", run_neighbors, snippets.code_neighbors,
                  {**EMBED_PARAMS, **NEIGHBOR_PARAMS}, "The rows nearest to a query (cosine or euclidean).",
                  inputs=(*ROWS, "query"))
ATTENTION = _task("attention", "Tokens & attention", run_attention, snippets.code_attention, {},
                  "One sentence: each token's hidden-state norm per layer, attention weights per layer and head.",
                  inputs=("sentence",), file_inputs=())

TASKS = (EMBED, SIMILARITY, PROJECT, NEIGHBORS, ATTENTION)
