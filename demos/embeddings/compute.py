"""Embeddings from any transformers model, and the maths of every view.

`embed(bundle, rows, options)` turns rows (texts and/or images) into one vector per row: pooling (CLS, mean over
the attention mask, max, last token, the model's pooler_output, or the model's own sentence-transformers pooling
config), a chosen hidden layer, L2 normalisation; CLIP-style models put texts and images into one joint space
through get_text_features / get_image_features. The model's own pooling config (sentence-transformers'
modules.json) is read from the loaded model's folder or the Hugging Face cache, never downloaded. Then: cosine
similarity, nearest neighbours and PCA / t-SNE / UMAP projections.

torch, transformers, scikit-learn and umap are imported inside the functions (never at import time).
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import UserError
from demos.embeddings.rows import IMAGES, SENTENCES, Row

POOLINGS = ("auto", "mean", "cls", "pooler", "max", "last")
# sentence-transformers' Pooling flags, in the order it concatenates the pooled vectors
ST_MODES = (
    ("pooling_mode_cls_token", "cls"),
    ("pooling_mode_max_tokens", "max"),
    ("pooling_mode_mean_tokens", "mean"),
    ("pooling_mode_mean_sqrt_len_tokens", "mean_sqrt_len"),
    ("pooling_mode_weightedmean_tokens", "weightedmean"),
    ("pooling_mode_lasttoken", "last"),
)
METHODS = ("pca", "tsne", "umap")
METHOD_NAMES = {"pca": "PCA", "tsne": "t-SNE", "umap": "UMAP"}  # the method field's choices are the names
METHOD_IDS = {name: method for method, name in METHOD_NAMES.items()}
DISTANCES = ("cosine", "euclidean")


# ---- options -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Options:
    """What the user chose: pooling (POOLINGS), hidden layer (-1 = last_hidden_state, 0 = the embedding
    layer, k = after transformer layer k), L2 normalisation, rows per forward pass."""

    pooling: str = "auto"
    layer: int = -1
    normalize: bool = False
    batch_size: int = 32


def options_of(params: dict) -> Options:
    """Options from a run's parsed params (core.params has checked their types and bounds)."""
    return Options(pooling=params["pooling"], layer=params["layer"], normalize=params["normalize"],
                   batch_size=params["batch_size"])


# ---- what the model is, from its files or its config -----------------------------------------------------
def model_file(source: str, name: str, revision: str | None = None) -> Path | None:
    """A file of a model: in its folder, or in the Hugging Face cache (huggingface_hub's cached file lookup,
    never a download); None when absent. Never raises."""
    folder = Path(source)
    if folder.is_dir():
        path = folder / name
        return path if path.is_file() else None
    try:
        from huggingface_hub import try_to_load_from_cache

        cached = try_to_load_from_cache(source, name, revision=revision)
    except Exception:  # a bad id or revision: no such file as far as we are concerned
        return None
    return Path(cached) if isinstance(cached, str) else None


def _json(path: Path | None) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8")) if path else None
    except (OSError, ValueError):
        return None


@dataclass(frozen=True)
class SentenceConfig:
    """A sentence-transformers model folder's own recipe (modules.json and the module configs)."""

    modes: tuple[str, ...]
    normalize: bool
    max_seq_length: int | None
    dense: bool  # it has Dense layers after pooling (not applied here: they are not transformers weights)


def sentence_config(source: str, revision: str | None = None) -> SentenceConfig | None:
    """The model's sentence-transformers pooling config when it has one (modules.json + the Pooling module's
    config.json + sentence_bert_config.json, read from the model's folder or the Hugging Face cache), else None."""
    modules = _json(model_file(source, "modules.json", revision))
    if not isinstance(modules, list):
        return None
    types = {str(m.get("type", "")).rsplit(".", 1)[-1]: m for m in modules if isinstance(m, dict)}
    pooling = types.get("Pooling")
    if pooling is None:
        return None
    folder = str(pooling.get("path") or "").strip("/")
    config = _json(model_file(source, f"{folder}/config.json" if folder else "config.json", revision)) or {}
    modes = tuple(mode for flag, mode in ST_MODES if config.get(flag))
    if not modes and config.get("pooling_mode"):
        mode = {"lasttoken": "last", "weightedmean": "weightedmean", "mean_sqrt_len_tokens": "mean_sqrt_len"}
        modes = (mode.get(config["pooling_mode"], config["pooling_mode"]),)
    if not modes:
        return None
    st = _json(model_file(source, "sentence_bert_config.json", revision)) or {}
    length = st.get("max_seq_length")
    return SentenceConfig(modes=modes, normalize="Normalize" in types,
                          max_seq_length=int(length) if isinstance(length, (int, float)) and length > 0 else None,
                          dense="Dense" in types)


def space_of(config: dict) -> str:
    """'joint' (text and images in one space: CLIP-style), 'image' or 'text', from a config dict."""
    if config.get("text_config") is not None and config.get("vision_config") is not None:
        return "joint"
    if "vocab_size" not in config and ("num_channels" in config or "image_size" in config):
        return "image"
    return "text"


def source_config(source: str, revision: str | None = None) -> dict:
    return _json(model_file(source, "config.json", revision)) or {}


# ---- the resolved recipe ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Plan:
    """How rows become vectors for one model: the space, the pooling modes (several are concatenated, as
    sentence-transformers does), the layer, normalisation, truncation and where the choice came from."""

    space: str
    modes: tuple[str, ...]
    layer: int = -1
    normalize: bool = False
    max_length: int | None = None
    batch_size: int = 32
    why: str = ""
    dense: bool = False


def plan_for(space: str, options: Options, st: SentenceConfig | None) -> Plan:
    """Resolve the options for a model of this space with this sentence-transformers config (or None)."""
    if space == "joint":
        if options.pooling not in ("auto", "pooler"):
            raise UserError("bad_param", name="pooling",
                            detail="a CLIP-style model puts texts and images in one space through its projection: "
                                   "use auto (or pooler)")
        if options.layer != -1:
            raise UserError("bad_param", name="layer",
                            detail="only the last layer is projected into the joint text-image space: use -1")
        return Plan("joint", ("projection",), -1, options.normalize, None, options.batch_size,
                    "the projection into the joint text-image space (get_text_features / get_image_features)")
    st = st if space == "text" else None
    normalize = options.normalize
    if options.pooling == "auto":
        if st is not None:
            modes = st.modes
            normalize = normalize or st.normalize
            why = "this model's sentence-transformers config (modules.json, the Pooling module's config.json) says " \
                  + " + ".join(modes) + (" pooling, then L2 normalisation" if st.normalize else " pooling")
        else:
            modes = ("mean",) if space == "text" else ("cls",)
            why = "no sentence-transformers config: " + (
                "mean over the attention mask" if space == "text" else "the first token ([CLS])")
    else:
        modes = (options.pooling,)
        why = f"{options.pooling}, as chosen"
    if "pooler" in modes and options.layer != -1:
        raise UserError("bad_param", name="layer", detail="pooler_output comes from the last layer only: use -1")
    return Plan(space, modes, options.layer, normalize, st.max_seq_length if st else None, options.batch_size, why,
                bool(st and st.dense))


def plan_of_model(model, options: Options) -> Plan:
    space = space_of(model.config.to_dict())
    st = sentence_config(str(model.name_or_path)) if space == "text" else None
    return plan_for(space, options, st)


def plan_of_source(source: str, revision: str | None, options: Options) -> Plan:
    space = space_of(source_config(source, revision))
    st = sentence_config(source, revision) if space == "text" else None
    return plan_for(space, options, st)


def model_name(model) -> str:
    return Path(str(model.name_or_path)).name or type(model).__name__


def check_rows(plan: Plan, rows: list[Row], model) -> None:
    """UserError when the rows hold a kind of input the model cannot read."""
    kinds = {r.kind for r in rows}
    name = type(model).__name__
    if plan.space == "text" and "image" in kinds:
        raise UserError("bad_param", name=IMAGES,
                        detail=f"{name} reads text only: remove the images, or pick an image or CLIP model")
    if plan.space == "image" and "text" in kinds:
        raise UserError("bad_param", name=SENTENCES,
                        detail=f"{name} reads images only: clear the sentences (and upload), or pick a text or CLIP model")


# ---- progress (a no-op outside a gradio event) -----------------------------------------------------------
def progress(desc: str, unit: str = "rows"):
    """report(done, total): the browser's progress bar when called inside a gradio event, else nothing."""
    gr = sys.modules.get("gradio")
    tracker = gr.Progress() if gr is not None else None

    def report(done: int, total: int | None, text: str | None = None) -> None:
        if tracker is not None:
            tracker((done, total), desc=text or desc, unit=unit)

    return report


# ---- pooling -------------------------------------------------------------------------------------------
def pool(mode: str, hidden, mask, output=None):
    """One vector per sequence from hidden [batch, tokens, dim] and mask [batch, tokens] (1 = real token)."""
    import torch

    m = mask.unsqueeze(-1).to(hidden.dtype)
    if mode == "cls":
        return hidden[:, 0]
    if mode == "mean":
        return (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
    if mode == "max":
        return hidden.masked_fill(m == 0, -1e9).max(1).values
    if mode == "last":
        last = mask.shape[1] - 1 - mask.flip(1).argmax(1)  # the last real token, with left or right padding
        return hidden[torch.arange(len(hidden), device=hidden.device), last]
    if mode == "mean_sqrt_len":
        return (hidden * m).sum(1) / m.sum(1).sqrt()
    if mode == "weightedmean":
        w = torch.arange(1, hidden.shape[1] + 1, device=hidden.device, dtype=hidden.dtype)[None, :, None] * m
        return (hidden * w).sum(1) / w.sum(1).clamp(min=1e-9)
    if mode == "pooler":
        pooled = getattr(output, "pooler_output", None)
        if pooled is None:
            raise UserError("bad_param", name="pooling", detail="this model has no pooler_output: use mean or cls")
        return pooled.float()
    raise UserError("bad_param", name="pooling", detail=f"unknown pooling {mode!r}")


def hidden_of(output, layer: int):
    """last_hidden_state for layer -1, else hidden_states[layer] (0 = the embedding layer's output)."""
    if layer == -1:
        return output.last_hidden_state.float()
    states = output.hidden_states
    if not -len(states) <= layer < len(states):
        raise UserError("bad_param", name="layer",
                        detail=f"this model has {len(states) - 1} layers: use 0 (embeddings) to {len(states) - 1}, "
                               "or -1 for the last")
    return states[layer].float()


def tokenizer_of(processor):
    return getattr(processor, "tokenizer", None) or processor


def text_batch(processor, texts: list[str], plan: Plan, device):
    """Tokenized texts: padded (when several), truncated at max_length or the tokenizer's own limit."""
    kwargs: dict[str, Any] = {"truncation": True, "return_tensors": "pt"}
    if len(texts) > 1:
        tokenizer = tokenizer_of(processor)
        if getattr(tokenizer, "pad_token", "x") is None:
            raise UserError("bad_param", name="batch_size",
                            detail="this tokenizer has no padding token, so texts cannot be batched: use 1")
        kwargs["padding"] = True
    if plan.max_length:
        kwargs["max_length"] = plan.max_length
    return processor(text=texts, **kwargs).to(device)


def encode_texts(model, processor, texts: list[str], plan: Plan):
    """[len(texts), dim] float32 vectors (not yet normalised)."""
    batch = text_batch(processor, texts, plan, model.device)
    if plan.space == "joint":
        return model.get_text_features(**batch).pooler_output.float()
    encoder = model.get_encoder() if getattr(model.config, "is_encoder_decoder", False) else model
    output = encoder(**batch, output_hidden_states=plan.layer != -1)
    hidden = hidden_of(output, plan.layer)
    mask = batch["attention_mask"]
    import torch

    return torch.cat([pool(mode, hidden, mask, output) for mode in plan.modes], dim=-1)


def encode_images(model, processor, images: list, plan: Plan):
    """[len(images), dim] float32 vectors of decoded images (rows.Picture's copies; not yet normalised)."""
    import torch

    batch = processor(images=images, return_tensors="pt").to(model.device, model.dtype)
    if plan.space == "joint":
        return model.get_image_features(**batch).pooler_output.float()
    output = model(**batch, output_hidden_states=plan.layer != -1)
    hidden = hidden_of(output, plan.layer)
    mask = torch.ones(hidden.shape[:2], dtype=torch.long, device=hidden.device)
    return torch.cat([pool(mode, hidden, mask, output) for mode in plan.modes], dim=-1)


# ---- the embedding ------------------------------------------------------------------------------------
def embed(bundle, rows: list[Row], options: Options) -> tuple[np.ndarray, Plan]:
    """(vectors [len(rows), dim] float32, the plan used). The texts are embedded batch_size at a time, then the
    images (as the Code panel does), and the vectors put back in row order: the rows may mix kinds (several
    requests' rows embedded together)."""
    import torch

    model, processor = bundle.model, bundle.processor
    plan = plan_of_model(model, options)
    check_rows(plan, rows, model)
    report = progress(f"Embedding {len(rows)} rows")
    chunks, order = [], []
    size = plan.batch_size
    with torch.no_grad():
        for kind, encode in (("text", encode_texts), ("image", encode_images)):
            index = [i for i, r in enumerate(rows) if r.kind == kind]
            for start in range(0, len(index), size):
                part = index[start:start + size]
                chunks.append(encode(model, processor, [rows[i].text if kind == "text" else rows[i].image
                                                        for i in part], plan))
                order += part
                report(len(order), len(rows))
        vectors = torch.cat(chunks)[torch.argsort(torch.tensor(order))]
        if plan.normalize:
            vectors = torch.nn.functional.normalize(vectors, p=2, dim=-1)
    return vectors.cpu().numpy().astype(np.float32), plan


def rounded(array: np.ndarray, digits: int = 6) -> list:
    """Plain nested lists of floats rounded to `digits` (short JSON)."""
    return np.round(np.asarray(array, dtype=np.float64), digits).tolist()


# ---- similarity and neighbours ----------------------------------------------------------------------------
def unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.clip(norms, 1e-12, None)


def cosine_matrix(vectors: np.ndarray) -> np.ndarray:
    """[n, n] cosine similarity of every pair of rows."""
    u = unit(vectors)
    return np.clip(u @ u.T, -1.0, 1.0)


def nearest(vectors: np.ndarray, query: np.ndarray, metric: str, k: int) -> list[tuple[int, float]]:
    """The k rows nearest to query: (index, cosine similarity) best first, or (index, euclidean distance)
    smallest first."""
    if metric == "cosine":
        scores = unit(vectors) @ unit(query)
        order = np.argsort(-scores, kind="stable")
    else:
        scores = np.linalg.norm(vectors - query, axis=-1)
        order = np.argsort(scores, kind="stable")
    return [(int(i), float(scores[i])) for i in order[:k]]


# ---- projections ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Projection:
    """How to project: method (METHODS), 2 or 3 dimensions, seed, and each method's knobs."""

    method: str = "pca"
    dimensions: int = 2
    seed: int = 0
    perplexity: float = 30.0
    n_neighbors: int = 15
    min_dist: float = 0.1
    metric: str = "cosine"


def projection_of(params: dict) -> Projection:
    """The Projection of a run's parsed params (the method field gives its name: PCA, t-SNE, UMAP)."""
    return Projection(method=METHOD_IDS[params["method"]], dimensions=int(params["dimensions"]), seed=params["seed"],
                      perplexity=params["perplexity"], n_neighbors=params["n_neighbors"],
                      min_dist=params["min_dist"], metric=params["metric"])


def fitted(p: Projection, n: int) -> Projection:
    """The projection with its knobs clamped to what n points allow (t-SNE's perplexity must stay below n,
    UMAP's n_neighbors below n)."""
    if p.method == "tsne":
        return replace(p, perplexity=round(max(1.0, min(p.perplexity, (n - 1) / 3)), 4))
    if p.method == "umap":
        return replace(p, n_neighbors=max(2, min(p.n_neighbors, n - 1)))
    return p


def estimator_kwargs(p: Projection, n: int) -> dict:
    """The keyword arguments of the scikit-learn / umap-learn estimator for projection p of n points."""
    if p.method == "pca":
        return {"n_components": p.dimensions, "random_state": p.seed}
    if p.method == "tsne":
        return {"n_components": p.dimensions, "perplexity": p.perplexity, "metric": p.metric, "init": "pca",
                "random_state": p.seed}
    kwargs: dict[str, Any] = {"n_components": p.dimensions, "n_neighbors": p.n_neighbors, "min_dist": p.min_dist,
                              "metric": p.metric, "random_state": p.seed, "n_jobs": 1}
    if n <= p.dimensions + 2:  # the spectral start needs more points than dimensions + 1
        kwargs["init"] = "random"
    return kwargs


def project(vectors: np.ndarray, p: Projection) -> dict:
    """{"method", "dimensions", "points" [n][dims], "explained_variance_ratio" (PCA), "parameters" (the
    estimator's arguments as used: knobs clamped to what n points allow), "seconds"}. Deterministic for a seed."""
    n = len(vectors)
    if n < p.dimensions + 1:
        raise UserError("bad_param", name="dimensions",
                        detail=f"a {p.dimensions}D map needs at least {p.dimensions + 1} rows ({n} given)")
    p = fitted(p, n)
    used = estimator_kwargs(p, n)
    report = progress(f"{METHOD_NAMES[p.method]} on {n} points", unit="steps")
    report(0, None)
    X = np.asarray(vectors, dtype=np.float32)
    out: dict[str, Any] = {}
    if p.method == "pca":
        from sklearn.decomposition import PCA

        start = time.perf_counter()  # after the import: the time is the projection's own
        model = PCA(**used)
        points = model.fit_transform(X)
        out["explained_variance_ratio"] = [round(float(v), 6) for v in model.explained_variance_ratio_]
    elif p.method == "tsne":
        from sklearn.manifold import TSNE

        start = time.perf_counter()
        points = TSNE(**used).fit_transform(X)
    else:
        import warnings

        import umap

        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            points = umap.UMAP(**used).fit_transform(X)
    seconds = time.perf_counter() - start
    report(1, 1)
    return {"method": p.method, "dimensions": p.dimensions, "points": rounded(points), **out,
            "parameters": used, "seconds": round(seconds, 3)}
