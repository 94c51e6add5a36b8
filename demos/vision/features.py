"""Image feature extraction (one vector per image, or one per patch) and the backbone feature maps view
(AutoBackbone: the maps of chosen stages, with a few channels drawn as images)."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import gradio as gr
from PIL import Image

from core import images
from core.codegen import from_pretrained
from core.errors import UserError
from core.i18n import say
from core.registry import Loader, TaskSpec
from core.ui import Context, examples, model_picker, result_panels, wire
from demos.vision.common import (
    autoclass_snippet,
    example_rows,
    image_input,
    ints_of,
    model_image,
    number,
    pipeline_snippet,
)

POOLINGS = ("mean", "cls", "pooler", "none")
PREVIEW_TOKENS, PREVIEW_DIMS = 4, 8


def _round(values, digits: int = 6) -> list:
    return [round(float(v), digits) for v in values]


def as_tokens(features):
    """(positions, channels) from one image's features: (tokens, hidden) as is, (channels, h, w) flattened."""
    f = features[0]
    return f.flatten(1).T if f.dim() == 3 else f


# ---- image-feature-extraction --------------------------------------------------------------------------
def pooling_of(params: dict) -> str:
    pooling = params.get("pooling") or "mean"
    if pooling not in POOLINGS:
        raise UserError("bad_param", name="pooling", detail=f"choose one of {', '.join(POOLINGS)}")
    return pooling


def run_image_feature_extraction(pipe, inputs: dict, params: dict) -> dict:
    """Pooled ("mean" over tokens, "cls" first token, "pooler" the model's pooler_output):
    {"pooling", "features_shape", "shape", "norm", "vector"}. "none": {"pooling", "shape", "token_norms",
    "preview" (the first tokens' first values)}."""
    pooling = pooling_of(params)
    image = model_image(inputs)
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
            return {"pooling": "none", "shape": list(features.shape),
                    "token_norms": _round(tokens.float().norm(dim=-1)),
                    "preview": [_round(row) for row in tokens[:PREVIEW_TOKENS, :PREVIEW_DIMS].float()]}
        if pooling == "cls" and features.dim() != 3:
            raise UserError("bad_param", name="pooling",
                            detail="this model returns a feature map, not tokens: there is no [CLS]; use mean")
        vector = tokens[0] if pooling == "cls" else tokens.float().mean(dim=0)
    vector = vector.float()
    return {"pooling": pooling, "features_shape": list(features.shape), "shape": list(vector.shape),
            "norm": float(vector.norm()), "vector": _round(vector)}


def code_image_feature_extraction(ref, inputs: dict, params: dict, place) -> str:
    pooling = pooling_of(params)
    if pooling == "pooler":
        return pipeline_snippet("image-feature-extraction", ref, place, inputs.get("image"),
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
    return pipeline_snippet("image-feature-extraction", ref, place, inputs.get("image"), {"return_tensors": True},
                            var="extractor", after="\n".join(lines))


IMAGE_FEATURE_EXTRACTION = TaskSpec(
    id="image-feature-extraction",
    title="Image feature extraction",
    loader=Loader.pipeline("image-feature-extraction"),
    default_model="google/vit-base-patch16-224",
    models=("facebook/dinov2-small", "facebook/dinov2-base", "google/vit-base-patch16-224-in21k"),
    run=run_image_feature_extraction,
    code=code_image_feature_extraction,
    inputs=("image",),
    file_inputs=("image",),
    params={"pooling": "mean"},
    architectures=("ForImageClassification", "ViTModel", "Dinov2Model", "Dinov2WithRegistersModel", "DeiTModel",
                   "BeitModel", "SwinModel", "ConvNextModel", "Backbone"),
    description="The vector a vision model makes of a photo (to search, cluster or compare images).",
)


def vector_picture(values: list[float]) -> Image.Image:
    """A vector drawn as a grid of coloured cells (row by row, 32 per row)."""
    import numpy as np

    width = 32 if len(values) >= 32 else max(1, len(values))
    cell = max(4, 480 // width)
    rows = math.ceil(len(values) / width)
    grid = np.full(rows * width, np.nan)
    grid[: len(values)] = values
    grid = grid.reshape(rows, width)
    finite = grid[np.isfinite(grid)]
    picture = images.colorize(np.nan_to_num(grid, nan=float(finite.min()) if finite.size else 0.0), "turbo")
    return picture.resize((width * cell, rows * cell), Image.Resampling.NEAREST)


def token_picture(norms: list[float], image_size: tuple[int, int]) -> Image.Image | None:
    """Per-patch norms as a heat map of the image's shape, when the tokens form a square grid (after a
    leading [CLS] token, or without one)."""
    import numpy as np

    for skip in (1, 0, 5):  # [CLS]; none; [CLS] + 4 registers
        n = len(norms) - skip
        side = int(round(math.sqrt(n))) if n > 0 else 0
        if side and side * side == n:
            grid = np.asarray(norms[skip:], dtype=float).reshape(side, side)
            return images.colorize(grid, "magma").resize(image_size, Image.Resampling.NEAREST)
    return None


def build_image_feature_extraction(ctx: Context) -> None:
    task = IMAGE_FEATURE_EXTRACTION
    tr = ctx.tr
    with gr.Row():
        with gr.Column(scale=2):
            image = image_input(ctx, task)
            model = model_picker(ctx, task)
            pooling = gr.Radio(list(POOLINGS), value="mean", label=tr("Pooling"),
                               info=tr("mean of the tokens, the first ([CLS]) token, the model's pooler_output "
                                       "(trained in DINOv2; random in classification checkpoints such as ViT), "
                                       "or none (one vector per token)"))
            run = gr.Button(tr("Run"), variant="primary", elem_id=f"{task.api_name}_run")
            examples(ctx, example_rows(["chelsea", "mean"], ["cheetah", "cls"], ["coffee", "none"]), [image, pooling])
        with gr.Column(scale=3):
            summary = gr.Markdown(elem_id=f"{task.api_name}_summary")
            preview = gr.Image(label=tr("Preview"), type="pil", format="png", interactive=False, height=300,
                               elem_id=f"{task.api_name}_preview")
            gr.Markdown(tr("To compare many images (or sentences) as points on a map, use the "
                           "**Embeddings** tab (the embedding viewer)."))
    panels = result_panels(ctx, task)

    def render(output, inputs, params):
        if output["pooling"] == "none":
            norms = output["token_norms"]
            picture = token_picture(norms, model_image(inputs).size)
            text = say(TOKEN_FEATURES, shape=tuple(output["shape"])) + (say(TOKEN_PICTURE) if picture else "")
            if picture is None:
                picture = vector_picture(norms)
            return {summary: text, preview: picture}
        head = ", ".join(f"{v:.3f}" for v in output["vector"][:6])
        text = say(VECTOR, shape=tuple(output["shape"]), pooling=output["pooling"],
                   features=tuple(output["features_shape"]), norm=output["norm"], head=head)
        return {summary: text, preview: vector_picture(output["vector"])}

    wire(ctx, task, run.click, {"image": image, "pooling": pooling}, model, render, panels, [summary, preview])


# ---- image-backbone (AutoBackbone feature maps) --------------------------------------------------------
def stage_choice(params: dict) -> tuple[list[str], list[int]]:
    """(out_features, out_indices) asked for; out_features wins when both are given."""
    raw = params.get("out_features")
    names = raw if isinstance(raw, (list, tuple)) else str(raw or "").replace("(", "").replace(")", "").split(",")
    features = [str(n).strip().strip("'\"[] ") for n in names if str(n).strip().strip("'\"[] ")]
    features = list(dict.fromkeys(features))
    indices = [] if features else sorted(set(ints_of(params.get("out_indices"), "out_indices")))
    if not features and not indices:
        raise UserError("bad_param", name="out_indices", detail="name at least one stage, e.g. 1 or 1, 2, 3, 4")
    return features, indices


def backbone_for(bundle, features: list[str], indices: list[int]):
    """The AutoBackbone version of the loaded model for these stages, made from its weights (cached).

    The app loads the checkpoint with AutoModel and builds the backbone class from that model's config and
    state dict, because `AutoBackbone.from_pretrained` in transformers 5.23 first asks the Hub whether the
    repo exists, which fails for local folders and offline.
    """
    from transformers import AutoBackbone

    model = bundle.model
    config = model.config
    if not getattr(config, "stage_names", None):
        raise UserError("wrong_task", model=type(model).__name__, task="image-backbone (AutoBackbone)")
    cache = bundle.__dict__.setdefault("_backbones", {})
    key = (tuple(features), tuple(indices))
    if key in cache:
        return cache[key]
    config = copy.deepcopy(config)
    try:
        if features:
            config.out_features = features
        else:
            config.out_indices = indices
    except ValueError as exc:
        names = list(config.stage_names)
        stages = ", ".join(f"{i}={s}" for i, s in enumerate(names))
        unknown = [f for f in features if f not in names] or [i for i in indices if not -len(names) <= i < len(names)]
        reason = (f"{', '.join(map(str, unknown))} is not a stage of this model" if unknown
                  else str(exc).split(" got ")[0].split(", expected")[0].rstrip(", "))
        raise UserError("bad_param", name="out_features" if features else "out_indices",
                        detail=f"{reason}; this model's stages: {stages}") from None
    try:
        backbone = AutoBackbone.from_config(config)
    except ValueError:
        raise UserError("wrong_task", model=type(model).__name__, task="image-backbone (AutoBackbone)") from None
    state = model.state_dict()
    prefix = backbone.base_model_prefix + "."
    mapped, missing = {}, []
    for name in backbone.state_dict():
        source = name if name in state else name.removeprefix(prefix)
        if source in state:
            mapped[name] = state[source]
        elif "hidden_states_norms" not in name:  # per-stage norms start as from_pretrained makes them
            missing.append(name)
    if missing:
        raise UserError("failed", error=f"{len(missing)} weights of {type(backbone).__name__} are not in "
                                        f"{type(model).__name__} (e.g. {missing[0]})")
    backbone.load_state_dict(mapped, strict=False)
    backbone = backbone.to(device=model.device, dtype=model.dtype).eval()
    if len(cache) >= 2:
        cache.pop(next(iter(cache)))
    cache[key] = backbone
    return backbone


def channel_previews(fmap, count: int) -> list[dict]:
    """The `count` channels of a (1, C, H, W) map with the most spread, each as a coloured image."""
    maps = fmap[0].float().cpu()
    spread = maps.flatten(1).std(dim=1, correction=0)
    best = spread.argsort(descending=True)[:count].tolist()
    out = []
    for c in sorted(best):
        picture = images.colorize(maps[c].numpy(), "viridis")
        factor = max(1, math.ceil(96 / max(1, min(picture.size))))
        picture = picture.resize((picture.width * factor, picture.height * factor), Image.Resampling.NEAREST)
        out.append({"channel": c, "min": float(maps[c].min()), "max": float(maps[c].max()),
                    "png": images.to_data_uri(picture)})
    return out


def run_image_backbone(bundle, inputs: dict, params: dict) -> dict:
    """{"stage_names", "out_features", "out_indices", "feature_maps": [{"stage", "shape", "mean", "std",
    "channels": [{"channel", "min", "max", "png"}]}]}."""
    import torch

    features, indices = stage_choice(params)
    count = int(number(params, "channels", 4, 1, 16))
    backbone = backbone_for(bundle, features, indices)
    image = model_image(inputs)
    batch = bundle.processor(images=image, return_tensors="pt").to(backbone.device, backbone.dtype)
    with torch.no_grad():
        outputs = backbone(**batch)
    maps = []
    for stage, fmap in zip(backbone.out_features, outputs.feature_maps):
        f = fmap.float()
        maps.append({"stage": stage, "shape": list(fmap.shape), "mean": float(f.mean()), "std": float(f.std()),
                     "channels": channel_previews(fmap, count)})
    return {"stage_names": list(backbone.stage_names), "out_features": list(backbone.out_features),
            "out_indices": list(backbone.out_indices), "feature_maps": maps}


def backbone_class(ref) -> str | None:
    """The concrete class AutoBackbone maps the model's config to (e.g. SwinBackbone), read from its
    config.json in the local folder or the Hugging Face cache; None when that file is not at hand."""
    path = Path(ref.source) / "config.json" if ref.local else None
    if path is None:
        from huggingface_hub import try_to_load_from_cache

        cached = try_to_load_from_cache(ref.source, "config.json", revision=ref.revision)
        path = Path(cached) if isinstance(cached, str) else None
    try:
        model_type = json.loads(path.read_text(encoding="utf-8"))["model_type"] if path else None
        from transformers.models.auto.modeling_auto import MODEL_FOR_BACKBONE_MAPPING_NAMES

        return MODEL_FOR_BACKBONE_MAPPING_NAMES[model_type] if model_type else None
    except (OSError, ValueError, KeyError):
        return None


def code_image_backbone(ref, inputs: dict, params: dict, place) -> str:
    features, indices = stage_choice(params)
    concrete = backbone_class(ref)
    cls = concrete if ref.local and concrete else "AutoBackbone"
    stages: dict[str, Any] = {"out_features": features} if features else {"out_indices": tuple(indices)}
    bug = "transformers 5.23's AutoBackbone.from_pretrained first asks the Hub whether the repo exists"
    if cls != "AutoBackbone":
        note = f"{bug}, which fails for a local folder:\nload the class AutoBackbone maps this config to ({cls}) instead."
    else:
        note = (f"{bug}: offline (HF_HUB_OFFLINE=1) it fails;\nthen load the concrete class instead"
                f" ({concrete or 'e.g. SwinBackbone'}.from_pretrained with the same arguments).")
    load = from_pretrained(cls, ref, place, **stages)
    return autoclass_snippet(
        ref, place, inputs.get("image"), note=note,
        imports=("import torch", f"from transformers import AutoImageProcessor, {cls}"),
        load=[from_pretrained("AutoImageProcessor", ref, var="processor"), load, ""],
        body=["inputs = processor(images=image, return_tensors='pt').to(model.device, model.dtype)",
              "with torch.no_grad():",
              "    outputs = model(**inputs)",
              "print(model.stage_names)",
              "for name, feature_map in zip(model.out_features, outputs.feature_maps):",
              "    print(name, tuple(feature_map.shape))  # (batch, channels, height, width)"])


IMAGE_BACKBONE = TaskSpec(
    id="image-backbone",
    title="Backbone feature maps",
    loader=Loader.auto("AutoModel", "AutoImageProcessor"),
    default_model="microsoft/swin-tiny-patch4-window7-224",
    models=("microsoft/resnet-50", "facebook/convnext-tiny-224", "facebook/dinov2-small"),
    run=run_image_backbone,
    code=code_image_backbone,
    inputs=("image",),
    file_inputs=("image",),
    params={"out_indices": [1, 2, 3, 4], "out_features": [], "channels": 4},
    model_types=("swin", "swinv2", "resnet", "convnext", "convnextv2", "dinov2", "dinov2_with_registers", "bit",
                 "focalnet", "hiera", "pvt_v2", "vitdet", "textnet", "dinat", "nat", "maskformer-swin"),
    description="What AutoBackbone gives a detector or segmenter: a feature map per stage, shallow to deep.",
)


def build_image_backbone(ctx: Context) -> None:
    task = IMAGE_BACKBONE
    tr = ctx.tr
    with gr.Row():
        with gr.Column(scale=2):
            image = image_input(ctx, task)
            model = model_picker(ctx, task)
            with gr.Row():
                out_indices = gr.Textbox(value="1, 2, 3, 4", label=tr("out_indices"),
                                         info=tr("Stage numbers (0 is the stem), e.g. 1 or 1, 2, 3, 4"),
                                         elem_id=f"{task.api_name}_indices")
                out_features = gr.Textbox(value="", label=tr("out_features"),
                                          info=tr("Or stage names, e.g. stage1, stage4 (wins over out_indices)"))
            channels = gr.Slider(1, 16, value=4, step=1, label=tr("Channels drawn per stage"))
            run = gr.Button(tr("Run"), variant="primary", elem_id=f"{task.api_name}_run")
            examples(ctx, example_rows(["chelsea", "1", ""], ["astronaut", "1, 2, 3, 4", ""],
                                       ["coffee", "", "stage2, stage4"]), [image, out_indices, out_features])
        with gr.Column(scale=3):
            shapes = gr.Markdown(elem_id=f"{task.api_name}_shapes")
            gallery = gr.Gallery(label=tr("Feature map channels"), columns=4, height="auto", object_fit="contain", format="png",
                                 elem_id=f"{task.api_name}_gallery")
    panels = result_panels(ctx, task)

    def render(output, inputs, params):
        rows = [say(STAGE_HEADER), "|---|---|---|---|"]
        rows += [f"| {m['stage']} | {tuple(m['shape'])} | {m['mean']:.3f} | {m['std']:.3f} |"
                 for m in output["feature_maps"]]
        text = (say(STAGES, stages=", ".join(output["stage_names"]), out_indices=tuple(output["out_indices"]))
                + "\n\n" + "\n".join(rows))
        items = [(images.from_data_uri(c["png"]), f"{m['stage']} · ch {c['channel']}")
                 for m in output["feature_maps"] for c in m["channels"]]
        return {shapes: text, gallery: items}

    wire(ctx, task, run.click, {"image": image, "out_indices": out_indices, "out_features": out_features,
                                "channels": channels}, model, render, panels, [shapes, gallery])


TOKEN_FEATURES = "Features of shape **{shape}**: one vector per token. "
TOKEN_PICTURE = "The picture shows each patch token's norm over the image."
VECTOR = ("Vector of shape **{shape}** ({pooling} pooling of features {features}), L2 norm {norm:.3f}: [{head}, …]. "
          "Each cell below is one value (blue low, red high).")
STAGES = "Stages of this model: {stages}; out_indices = {out_indices}."
STAGE_HEADER = "| stage | shape (batch, channels, height, width) | mean | std |"

TASKS = ((IMAGE_FEATURE_EXTRACTION, build_image_feature_extraction), (IMAGE_BACKBONE, build_image_backbone))

KOREAN = {
    "Image feature extraction": "이미지 특징 추출",
    "Backbone feature maps": "백본 특징 맵",
    "Pooling": "풀링",
    "mean of the tokens, the first ([CLS]) token, the model's pooler_output (trained in DINOv2; random in "
    "classification checkpoints such as ViT), or none (one vector per token)":
        "토큰 평균, 첫 번째([CLS]) 토큰, 모델의 pooler_output(DINOv2는 학습됨, ViT 같은 분류 체크포인트는 무작위), "
        "또는 none(토큰마다 벡터 하나)",
    "Preview": "미리 보기",
    "To compare many images (or sentences) as points on a map, use the **Embeddings** tab (the embedding viewer).":
        "여러 이미지(또는 문장)를 지도 위의 점으로 비교하려면 **임베딩** 탭(임베딩 뷰어)을 쓰세요.",
    "Stage numbers (0 is the stem), e.g. 1 or 1, 2, 3, 4": "단계 번호 (0은 stem), 예: 1 또는 1, 2, 3, 4",
    "Or stage names, e.g. stage1, stage4 (wins over out_indices)": "또는 단계 이름, 예: stage1, stage4 (out_indices보다 우선)",
    "Channels drawn per stage": "단계마다 그릴 채널 수",
    "Feature map channels": "특징 맵 채널",
    # notes made when a result is shown (core.i18n.say)
    TOKEN_FEATURES: "특징의 모양은 **{shape}**입니다: 토큰마다 벡터가 하나씩 있습니다. ",
    TOKEN_PICTURE: "그림은 각 패치 토큰 벡터의 노름(norm)을 이미지 위에 보여 줍니다.",
    VECTOR: "모양 **{shape}**의 벡터 (특징 {features}에 {pooling} 풀링), L2 노름 {norm:.3f}: [{head}, …]. "
            "아래 칸 하나가 값 하나입니다 (파랑은 낮음, 빨강은 높음).",
    STAGES: "이 모델의 단계(stage): {stages}; out_indices = {out_indices}.",
    STAGE_HEADER: "| 단계 | 모양 (batch, channels, height, width) | 평균 | 표준편차 |",
}
