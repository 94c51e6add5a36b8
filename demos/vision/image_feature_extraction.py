"""image-feature-extraction: the vector a vision model makes of a photo (pooled: mean of the tokens, the
[CLS] token or the model's pooler_output), or one vector per patch token, through the transformers 5
pipeline; drawn as a grid of coloured cells or a heat map of the patch norms."""

from __future__ import annotations

import math

from core import drawing
from core.errors import UserError
from core.i18n import say
from core.params import Choice
from core.registry import Loader, Output, TaskSpec
from demos.vision.common import decode, example_rows, image_field, pipeline_snippet

POOLINGS = ("mean", "cls", "pooler", "none")
PREVIEW_TOKENS, PREVIEW_DIMS = 4, 8
TOKEN_FEATURES = "Features of shape **{shape}**: one vector per token. "
TOKEN_PICTURE = "The picture shows each patch token's norm over the image."
VECTOR = ("Vector of shape **{shape}** ({pooling} pooling of features {features}), L2 norm {norm:.3f}: [{head}, …]. "
          "Each cell below is one value (blue low, red high).")


def _round(values, digits: int = 6) -> list:
    return [round(float(v), digits) for v in values]


def as_tokens(features):
    """(positions, channels) from one image's features: (tokens, hidden) as is, (channels, h, w) flattened."""
    f = features[0]
    return f.flatten(1).T if f.dim() == 3 else f


def run(pipe, inputs: dict, params: dict) -> Output:
    """Pooled ("mean" over tokens, "cls" first token, "pooler" the model's pooler_output):
    {"pooling", "features_shape", "shape", "norm", "vector"}. "none": {"pooling", "shape", "token_norms",
    "preview" (the first tokens' first values)}. facts: the model image's size (for the patch heat map)."""
    pooling = params["pooling"]
    _, image = decode(inputs)
    facts = {"size": image.size}
    if pooling == "pooler":
        try:
            features = pipe(image, pool=True, return_tensors=True)
        except ValueError as exc:
            if "pooled output" not in str(exc):
                raise
            raise UserError("bad_param", name="pooling",
                            detail=f"{type(pipe.model).__name__} has no pooler: use mean or cls") from None
        vector = features[0]
    else:
        features = pipe(image, return_tensors=True)
        tokens = as_tokens(features)
        if pooling == "none":
            return Output({"pooling": "none", "shape": list(features.shape),
                           "token_norms": _round(tokens.float().norm(dim=-1)),
                           "preview": [_round(row) for row in tokens[:PREVIEW_TOKENS, :PREVIEW_DIMS].float()]},
                          facts=facts)
        if pooling == "cls" and features.dim() != 3:
            raise UserError("bad_param", name="pooling",
                            detail="this model returns a feature map, not tokens: there is no [CLS]; use mean")
        vector = tokens[0] if pooling == "cls" else tokens.float().mean(dim=0)
    vector = vector.float()
    return Output({"pooling": pooling, "features_shape": list(features.shape), "shape": list(vector.shape),
                   "norm": float(vector.norm()), "vector": _round(vector)}, facts=facts)


def code(ref, inputs: dict, params: dict, place) -> str:
    pooling = params["pooling"]
    if pooling == "pooler":
        return pipeline_snippet("image-feature-extraction", ref, place, inputs["image"],
                                {"pool": True, "return_tensors": True}, var="extractor",
                                after="vector = result[0]  # the model's pooler_output\n"
                                      "print(tuple(result.shape), vector.norm().item(), vector[:8].tolist())")
    lines = ["features = result[0]  # (tokens, hidden) for ViT-like models",
             "if features.dim() == 3:  # (channels, height, width) for CNNs: each position becomes a token",
             "    features = features.flatten(1).T"]
    if pooling == "none":
        lines += ["print(tuple(result.shape))", "print(features.norm(dim=-1))  # one norm per token"]
    elif pooling == "cls":
        lines += ["vector = features[0]  # the first ([CLS]) token",
                  "print(tuple(vector.shape), vector.norm().item(), vector[:8].tolist())"]
    else:
        lines += ["vector = features.mean(dim=0)  # mean over the tokens",
                  "print(tuple(vector.shape), vector.norm().item(), vector[:8].tolist())"]
    return pipeline_snippet("image-feature-extraction", ref, place, inputs["image"], {"return_tensors": True},
                            var="extractor", after="\n".join(lines))


def vector_picture(values: list[float]):
    """A vector drawn as a grid of coloured cells (row by row, 32 per row)."""
    import numpy as np
    from PIL import Image

    width = 32 if len(values) >= 32 else max(1, len(values))
    cell = max(4, 480 // width)
    rows = math.ceil(len(values) / width)
    grid = np.full(rows * width, np.nan)
    grid[: len(values)] = values
    grid = grid.reshape(rows, width)
    finite = grid[np.isfinite(grid)]
    picture = drawing.colorize(np.nan_to_num(grid, nan=float(finite.min()) if finite.size else 0.0), "turbo")
    return picture.resize((width * cell, rows * cell), Image.Resampling.NEAREST)


def token_picture(norms: list[float], image_size: tuple[int, int]):
    """Per-patch norms as a heat map of the image's shape, when the tokens form a square grid (after a
    leading [CLS] token, or without one); None otherwise."""
    import numpy as np
    from PIL import Image

    for skip in (1, 0, 5):  # [CLS]; none; [CLS] + 4 registers
        n = len(norms) - skip
        side = int(round(math.sqrt(n))) if n > 0 else 0
        if side and side * side == n:
            grid = np.asarray(norms[skip:], dtype=float).reshape(side, side)
            return drawing.colorize(grid, "magma").resize(tuple(image_size), Image.Resampling.NEAREST)
    return None


def summary_of(output: dict, size: tuple[int, int]):
    """(the summary line in the browser's language, the preview picture)."""
    if output["pooling"] == "none":
        norms = output["token_norms"]
        picture = token_picture(norms, size)
        text = say(TOKEN_FEATURES, shape=tuple(output["shape"])) + (say(TOKEN_PICTURE) if picture else "")
        return text, picture if picture is not None else vector_picture(norms)
    head = ", ".join(f"{v:.3f}" for v in output["vector"][:6])
    text = say(VECTOR, shape=tuple(output["shape"]), pooling=output["pooling"],
               features=tuple(output["features_shape"]), norm=output["norm"], head=head)
    return text, vector_picture(output["vector"])


def build(ctx) -> None:
    """Photo, picker and pooling on the left; the summary and the picture of the vector on the right."""
    import gradio as gr

    from core.ui import examples, model_picker, result_panels, widget, wire

    tr = ctx.tr
    api = TASK.api_name
    with gr.Row():
        with gr.Column(scale=2):
            fields = {"image": widget(ctx, TASK, "image")}
            model = model_picker(ctx, TASK)
            fields["pooling"] = widget(ctx, TASK, "pooling")
            run_button = gr.Button(tr("Run"), variant="primary", elem_id=f"{api}_run")
            examples(ctx, example_rows(["chelsea", "mean"], ["cheetah", "cls"], ["coffee", "none"]),
                     [fields["image"], fields["pooling"]])
        with gr.Column(scale=3):
            summary = gr.Markdown(elem_id=f"{api}_summary")
            preview = gr.Image(label=tr("Preview"), type="pil", format="png", interactive=False, height=300,
                               elem_id=f"{api}_preview")
            gr.Markdown(tr("To compare many images (or sentences) as points on a map, use the "
                           "**Embeddings** tab (the embedding viewer)."))
    panels = result_panels(ctx, TASK)

    def render(result) -> dict:
        text, picture = summary_of(result.output, result.facts["size"])
        return {summary: text, preview: picture}

    wire(ctx, TASK, run_button.click, fields, model, render, panels, [summary, preview])


TASK = TaskSpec(
    id="image-feature-extraction",
    title="Image feature extraction",
    loader=Loader.pipeline("image-feature-extraction"),
    batched=True,
    default_model="google/vit-base-patch16-224",
    models=("facebook/dinov2-small", "facebook/dinov2-base", "google/vit-base-patch16-224-in21k"),
    run=run,
    code=code,
    inputs=(image_field(),),
    params=(Choice("pooling", "mean", POOLINGS, label="Pooling",
                   help="mean of the tokens, the first ([CLS]) token, the model's pooler_output (trained in DINOv2; "
                        "random in classification checkpoints such as ViT), or none (one vector per token)",
                   widget=(("component", "radio"),)),),
    architectures=("ForImageClassification", "ViTModel", "Dinov2Model", "Dinov2WithRegistersModel", "DeiTModel",
                   "BeitModel", "SwinModel", "ConvNextModel", "Backbone"),
    description="The vector a vision model makes of a photo (to search, cluster or compare images).",
    build=build,
)
