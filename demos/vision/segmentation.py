"""Image segmentation (semantic / instance / panoptic: DETR, MaskFormer, SegFormer) and mask generation
(SAM: every object automatically, or the object under a clicked point), drawn as coloured masks over the
user's picture with a legend and a per-segment table.

Masks travel in the JSON output as `core.images.mask_summary` dicts: area, fraction, bounding box and the
mask as a 1-bit PNG data URI, in the pixels of the image the model got.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import gradio as gr

from core import images
from core.codegen import from_pretrained, py
from core.errors import UserError
from core.i18n import say
from core.registry import Loader, TaskSpec
from core.ui import Context, examples, model_picker, result_panels, wire
from demos.vision.common import (
    autoclass_snippet,
    example_rows,
    image_input,
    image_output,
    model_image,
    number,
    original_image,
    pipeline_snippet,
    scale_to_original,
)

SUBTASKS = ("auto", "panoptic", "instance", "semantic")
_POSTPROCESS = {"panoptic": "post_process_panoptic_segmentation", "instance": "post_process_instance_segmentation",
                "semantic": "post_process_semantic_segmentation"}


def draw_masks(inputs: dict, masks: list, labels: list[str], opacity: float, *, colors: dict | None = None,
               legend: list | None = None, points: list | None = None):
    """The user's picture with the masks (made on the model's copy) drawn over it, and a legend (by default
    each label in its colour, with a count when it covers several segments)."""
    picture = original_image(inputs)
    colors = colors or images.label_colors(labels)
    drawn = images.overlay_masks(picture, masks, labels, opacity=opacity, colors=colors)
    if points:
        scale = scale_to_original(inputs)
        drawn = images.draw_points(drawn, [(x * scale, y * scale) for x, y in points])
    if legend is None:
        counts = Counter(labels)
        legend = [(f"{label} ×{counts[label]}" if counts[label] > 1 else label, color)
                  for label, color in colors.items()]
    return images.draw_legend(drawn, legend)


# ---- image-segmentation --------------------------------------------------------------------------------
def supported_subtasks(pipe) -> list[str]:
    """The subtasks the model's image processor can post-process, in the pipeline's order of preference."""
    processor = pipe.image_processor
    return [s for s in ("panoptic", "instance", "semantic") if hasattr(processor, _POSTPROCESS[s])]


def segmentation_kwargs(params: dict, subtask: str) -> dict:
    """The pipeline's keyword arguments; thresholds only matter (and are only passed) for panoptic and
    instance segmentation."""
    kwargs: dict[str, Any] = {}
    if params.get("subtask") not in (None, "", "auto"):
        kwargs["subtask"] = subtask
    if subtask != "semantic":
        kwargs["threshold"] = number(params, "threshold", 0.9, 0.0, 1.0)
        kwargs["mask_threshold"] = number(params, "mask_threshold", 0.5, 0.0, 1.0)
        kwargs["overlap_mask_area_threshold"] = number(params, "overlap_mask_area_threshold", 0.5, 0.0, 1.0)
    return kwargs


def resolve_subtask(pipe, params: dict) -> str:
    wanted = params.get("subtask") or "auto"
    supported = supported_subtasks(pipe)
    if wanted not in SUBTASKS:
        raise UserError("bad_param", name="subtask", detail=f"choose one of {', '.join(SUBTASKS)}")
    if wanted == "auto":
        return supported[0] if supported else "semantic"
    if wanted not in supported:
        raise UserError("bad_param", name="subtask",
                        detail=f"{type(pipe.model).__name__} does {' / '.join(supported) or 'no'} segmentation, "
                               f"not {wanted}")
    return wanted


def run_image_segmentation(pipe, inputs: dict, params: dict) -> list[dict]:
    """[{"score", "label", "mask": mask_summary}, ...] (score is None for semantic segmentation)."""
    image = model_image(inputs)
    subtask = resolve_subtask(pipe, params)
    segments = pipe(image, **segmentation_kwargs(params, subtask))
    return [{"score": s["score"], "label": s["label"], "mask": images.mask_summary(s["mask"])} for s in segments]


def processor_subtasks(ref) -> list[str] | None:
    """The subtasks the model's image processor supports, read from its preprocessor_config.json (a local
    folder or the Hugging Face cache); None when that file is not at hand."""
    import transformers

    folder_file = Path(ref.source) / "preprocessor_config.json"
    path = str(folder_file) if ref.local else None
    if path is None:
        from huggingface_hub import try_to_load_from_cache

        cached = try_to_load_from_cache(ref.source, "preprocessor_config.json", revision=ref.revision)
        path = cached if isinstance(cached, str) else None
    try:
        name = json.loads(Path(path).read_text(encoding="utf-8"))["image_processor_type"] if path else None
        cls = getattr(transformers, name.removesuffix("Fast").removesuffix("Pil")) if name else None
    except (OSError, ValueError, KeyError, AttributeError):
        return None
    return [s for s in ("panoptic", "instance", "semantic") if hasattr(cls, _POSTPROCESS[s])] if cls else None


def code_image_segmentation(ref, inputs: dict, params: dict, place) -> str:
    subtask = params.get("subtask") or "auto"
    if subtask == "auto":
        subtask = (processor_subtasks(ref) or ["panoptic"])[0]
    kwargs = segmentation_kwargs(params, subtask)
    return pipeline_snippet(
        "image-segmentation", ref, place, inputs.get("image"), kwargs,
        note="subtask: panoptic, instance or semantic (omitted: the first the model supports, in that order)",
        after="for segment in result:\n"
              "    mask = segment['mask']  # a PIL image (mode L) of the image's size: 255 inside the segment\n"
              "    print(segment['label'], segment['score'], mask.size)")


IMAGE_SEGMENTATION = TaskSpec(
    id="image-segmentation",
    title="Image segmentation",
    loader=Loader.pipeline("image-segmentation"),
    default_model="facebook/detr-resnet-50-panoptic",
    models=("nvidia/segformer-b0-finetuned-ade-512-512", "facebook/maskformer-swin-tiny-coco",
            "facebook/mask2former-swin-tiny-coco-instance", "facebook/mask2former-swin-tiny-ade-semantic"),
    run=run_image_segmentation,
    code=code_image_segmentation,
    inputs=("image",),
    file_inputs=("image",),
    params={"subtask": "auto", "threshold": 0.9, "mask_threshold": 0.5, "overlap_mask_area_threshold": 0.5,
            "opacity": 0.55},
    architectures=("ForSegmentation", "ForSemanticSegmentation", "ForInstanceSegmentation",
                   "ForUniversalSegmentation"),
    description="A label for every pixel (semantic), every object apart (instance), or both (panoptic).",
)


def segment_table(output: list[dict]) -> list[list]:
    return [[s["label"], None if s["score"] is None else round(float(s["score"]), 4), s["mask"]["area"],
             round(100 * s["mask"]["fraction"], 2)] for s in output]


def build_image_segmentation(ctx: Context) -> None:
    task = IMAGE_SEGMENTATION
    tr = ctx.tr
    with gr.Row():
        with gr.Column(scale=2):
            image = image_input(ctx, task)
            model = model_picker(ctx, task)
            subtask = gr.Radio(list(SUBTASKS), value="auto", label=tr("subtask"),
                               info=tr("auto: panoptic, else instance, else semantic (what the model supports)"))
            opacity = gr.Slider(0.0, 1.0, value=0.55, step=0.05, label=tr("Mask opacity"))
            with gr.Accordion(tr("Thresholds (panoptic and instance)"), open=False):
                threshold = gr.Slider(0.0, 1.0, value=0.9, step=0.01, label=tr("threshold"),
                                      info=tr("Segments scoring below this are dropped"))
                mask_threshold = gr.Slider(0.0, 1.0, value=0.5, step=0.01, label=tr("mask_threshold"))
                overlap = gr.Slider(0.0, 1.0, value=0.5, step=0.01, label=tr("overlap_mask_area_threshold"))
            run = gr.Button(tr("Run"), variant="primary", elem_id=f"{task.api_name}_run")
            examples(ctx, example_rows(["chelsea"], ["astronaut"], ["coffee"], ["tower"]), [image])
        with gr.Column(scale=3):
            drawn = image_output(ctx, task, "Segments")
            note = gr.Markdown(elem_id=f"{task.api_name}_note")
            table = gr.Dataframe(headers=["label", "score", "pixels", "% of image"], label=tr("Segments"),
                                 interactive=False, elem_id=f"{task.api_name}_table")
    panels = result_panels(ctx, task)

    def render(output, inputs, params):
        order = sorted(output, key=lambda s: -s["mask"]["area"])  # small segments drawn last, on top
        picture = draw_masks(inputs, [s["mask"]["png"] for s in order], [s["label"] for s in order],
                             number(params, "opacity", 0.55, 0.0, 1.0))
        text = "" if output else say(NO_SEGMENT)
        return {drawn: picture, note: text, table: segment_table(output)}

    wire(ctx, task, run.click, {"image": image, "subtask": subtask, "threshold": threshold,
                                "mask_threshold": mask_threshold, "overlap_mask_area_threshold": overlap,
                                "opacity": opacity},
         model, render, panels, [drawn, note, table])


# ---- mask-generation -----------------------------------------------------------------------------------
PROMPT_PROCESSORS = {"sam": "SamProcessor", "sam_hq": "SamHQProcessor"}


def parse_point(value: Any) -> tuple[float, float] | None:
    """(x, y) from "x, y" / [x, y] / {"x":, "y":}; None when empty."""
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, dict):
        value = [value.get("x"), value.get("y")]
    if isinstance(value, str):
        value = value.strip("()[] ").split(",")
    try:
        x, y = (float(str(v).strip()) for v in value)
    except (TypeError, ValueError):
        raise UserError("bad_param", name="point", detail=f"expected 'x, y' in pixels, got {value!r}") from None
    return x, y


def generation_kwargs(params: dict) -> dict:
    return {"points_per_batch": int(number(params, "points_per_batch", 64, 1, 4096)),
            "points_per_crop": int(number(params, "points_per_crop", 32, 1, 128)),
            "pred_iou_thresh": number(params, "pred_iou_thresh", 0.88, 0.0, 1.0),
            "stability_score_thresh": number(params, "stability_score_thresh", 0.95, 0.0, 1.0)}


def model_point(inputs: dict) -> tuple[float, float] | None:
    """The clicked point (given in the user's picture's pixels) in the pixels of the model's copy."""
    point = parse_point(inputs.get("point"))
    if point is None:
        return None
    original, fitted = images.model_size(inputs.get("image"))
    if not (0 <= point[0] < original[0] and 0 <= point[1] < original[1]):
        raise UserError("bad_param", name="point",
                        detail=f"({point[0]:g}, {point[1]:g}) is outside the {original[0]}×{original[1]} image")
    scale = fitted[0] / original[0]
    return round(point[0] * scale, 2), round(point[1] * scale, 2)


def run_mask_generation(pipe, inputs: dict, params: dict) -> dict:
    """{"masks": [mask_summary, ...], "scores": [...]}: every mask SAM finds from a grid of points, or,
    with a point, {"point": [x, y], "masks": 3 candidate masks for it, "scores": their predicted IoU}."""
    image = model_image(inputs)
    point = model_point(inputs)
    if point is not None:
        return prompt_masks(pipe, image, point)
    out = pipe(image, **generation_kwargs(params))
    return {"masks": [images.mask_summary(m) for m in out["masks"]],
            "scores": [float(s) for s in out["scores"]]}


def prompt_masks(pipe, image, point: tuple[float, float]) -> dict:
    """SAM prompted with one point, through the pipeline's own model and image processor."""
    import torch
    import transformers

    model_type = getattr(pipe.model.config, "model_type", "")
    if model_type not in PROMPT_PROCESSORS:
        raise UserError("bad_param", name="point",
                        detail=f"point prompts work with SAM models here, not {type(pipe.model).__name__}")
    processor = getattr(transformers, PROMPT_PROCESSORS[model_type])(image_processor=pipe.image_processor)
    model = pipe.model
    inputs = processor(images=image, input_points=[[list(point)]], return_tensors="pt").to(model.device, model.dtype)
    with torch.no_grad():
        outputs = model(**inputs)
    masks = processor.image_processor.post_process_masks(
        outputs.pred_masks.cpu(), inputs["original_sizes"].cpu(), inputs["reshaped_input_sizes"].cpu())[0][0]
    scores = outputs.iou_scores[0, 0].float().cpu().tolist()
    return {"point": list(point), "masks": [images.mask_summary(m) for m in masks], "scores": scores}


def code_mask_generation(ref, inputs: dict, params: dict, place) -> str:
    point = model_point(inputs)
    if point is None:
        return pipeline_snippet(
            "mask-generation", ref, place, inputs.get("image"), generation_kwargs(params),
            var="generator",
            after="masks, scores = result['masks'], result['scores']  # boolean masks of the image's size\n"
                  "print(len(masks), 'masks;', 'pixels per mask:', [int(m.sum()) for m in masks])\n"
                  "print(scores.tolist())")
    return autoclass_snippet(
        ref, place, inputs.get("image"),
        note="A point prompt: the mask-generation pipeline only does the automatic grid, so call SAM itself.",
        imports=("import torch", "from transformers import SamModel, SamProcessor"),
        load=[from_pretrained("SamProcessor", ref, var="processor"), from_pretrained("SamModel", ref, place), ""],
        body=[f"point = {py(list(point))}  # x, y in pixels of `image`",
              "inputs = processor(images=image, input_points=[[point]], return_tensors='pt').to(model.device, model.dtype)",
              "with torch.no_grad():",
              "    outputs = model(**inputs)",
              "masks = processor.image_processor.post_process_masks(",
              "    outputs.pred_masks.cpu(), inputs['original_sizes'].cpu(), inputs['reshaped_input_sizes'].cpu())[0][0]",
              "scores = outputs.iou_scores[0, 0]  # SAM's own estimate of each mask's quality",
              "print(masks.shape, 'pixels per mask:', masks.sum(dim=(1, 2)).tolist())",
              "print(scores.tolist())"])


MASK_GENERATION = TaskSpec(
    id="mask-generation",
    title="Mask generation (SAM)",
    loader=Loader.pipeline("mask-generation"),
    default_model="facebook/sam-vit-base",
    models=("facebook/sam-vit-large", "Zigeng/SlimSAM-uniform-77", "syscv-community/sam-hq-vit-base"),
    run=run_mask_generation,
    code=code_mask_generation,
    inputs=("image", "point"),
    file_inputs=("image",),
    params={"points_per_batch": 64, "points_per_crop": 32, "pred_iou_thresh": 0.88,
            "stability_score_thresh": 0.95, "opacity": 0.55},
    architectures=("SamModel", "SamHQModel"),
    description="Segment Anything: masks for everything in the picture, or for the object under a point.",
)


def build_mask_generation(ctx: Context) -> None:
    task = MASK_GENERATION
    tr = ctx.tr
    with gr.Row():
        with gr.Column(scale=2):
            image = image_input(ctx, task)
            with gr.Row():
                point = gr.Textbox(value="", label=tr("Point prompt (x, y)"), placeholder=tr("Click the image"),
                                   info=tr("Click the image to segment what is under that point; "
                                           "leave empty for every mask"), scale=3, elem_id=f"{task.api_name}_point")
                clear = gr.Button(tr("Clear point"), size="sm", scale=1)
            model = model_picker(ctx, task)
            opacity = gr.Slider(0.0, 1.0, value=0.55, step=0.05, label=tr("Mask opacity"))
            with gr.Accordion(tr("Automatic masks: point grid and filters"), open=False):
                per_batch = gr.Slider(1, 256, value=64, step=1, label=tr("points_per_batch"),
                                      info=tr("Points run through the model at once (memory vs. speed)"))
                per_crop = gr.Slider(2, 64, value=32, step=1, label=tr("points_per_crop"),
                                     info=tr("Grid points per side: 32 means 1024 prompts (slow on a CPU)"))
                iou = gr.Slider(0.0, 1.0, value=0.88, step=0.01, label=tr("pred_iou_thresh"))
                stability = gr.Slider(0.0, 1.0, value=0.95, step=0.01, label=tr("stability_score_thresh"))
            run = gr.Button(tr("Run"), variant="primary", elem_id=f"{task.api_name}_run")
            examples(ctx, example_rows(["chelsea", "225, 150"], ["coffee", ""], ["astronaut", "250, 120"]),
                     [image, point])
        with gr.Column(scale=3):
            drawn = image_output(ctx, task, "Masks")
            note = gr.Markdown(elem_id=f"{task.api_name}_note")
            table = gr.Dataframe(headers=["mask", "score", "pixels", "% of image"], label=tr("Masks"),
                                 interactive=False, elem_id=f"{task.api_name}_table")
    panels = result_panels(ctx, task)

    def on_select(evt: gr.SelectData):
        x, y = evt.index[:2]
        return f"{int(x)}, {int(y)}"

    image.select(on_select, None, point, api_visibility="private").then(
        None, js=f"() => document.querySelector('#{task.api_name}_run').click()")
    clear.click(lambda: "", None, point, api_visibility="private")

    def render(output, inputs, params):
        masks = output["masks"]
        names = [f"mask {i + 1}" for i in range(len(masks))]
        order = sorted(range(len(masks)), key=lambda i: -masks[i]["area"])
        points = [tuple(output["point"])] if output.get("point") else None
        colors = images.label_colors(names)
        legend = [(f"{name} · {score:.2f}", colors[name]) for name, score in zip(names, output["scores"])]
        picture = draw_masks(inputs, [masks[i]["png"] for i in order], [names[i] for i in order],
                             number(params, "opacity", 0.55, 0.0, 1.0), colors=colors, legend=legend, points=points)
        rows = [[names[i], round(float(output["scores"][i]), 4), masks[i]["area"],
                 round(100 * masks[i]["fraction"], 2)] for i in range(len(masks))]
        if points:
            text = say(SAM_POINT)
        else:
            text = "" if masks else say(NO_MASK)
        return {drawn: picture, note: text, table: rows}

    wire(ctx, task, run.click, {"image": image, "point": point, "points_per_batch": per_batch,
                                "points_per_crop": per_crop, "pred_iou_thresh": iou,
                                "stability_score_thresh": stability, "opacity": opacity},
         model, render, panels, [drawn, note, table])


NO_SEGMENT = "No segment passed the thresholds: lower them."
SAM_POINT = "SAM's three candidate masks for the point (whole, part, sub-part), with its own quality scores."
NO_MASK = "No mask passed the filters: lower pred_iou_thresh or stability_score_thresh."

TASKS = ((IMAGE_SEGMENTATION, build_image_segmentation), (MASK_GENERATION, build_mask_generation))

KOREAN = {
    "Image segmentation": "이미지 분할",
    "Mask generation (SAM)": "마스크 생성 (SAM)",
    "auto: panoptic, else instance, else semantic (what the model supports)":
        "auto: 모델이 지원하는 것 중 panoptic, 없으면 instance, 없으면 semantic",
    "Mask opacity": "마스크 불투명도",
    "Thresholds (panoptic and instance)": "임계값 (panoptic, instance)",
    "Segments scoring below this are dropped": "이 점수보다 낮은 영역은 버립니다",
    "Segments": "분할 영역",
    "Masks": "마스크",
    "Point prompt (x, y)": "점 프롬프트 (x, y)",
    "Click the image": "이미지를 클릭하세요",
    "Click the image to segment what is under that point; leave empty for every mask":
        "이미지를 클릭하면 그 점의 물체를 분할합니다. 비워 두면 모든 마스크를 만듭니다",
    "Clear point": "점 지우기",
    "Automatic masks: point grid and filters": "자동 마스크: 점 격자와 필터",
    "Points run through the model at once (memory vs. speed)": "한 번에 모델에 넣는 점의 수 (메모리와 속도)",
    "Grid points per side: 32 means 1024 prompts (slow on a CPU)": "한 변의 격자 점 수: 32이면 1024개 (CPU에서는 느림)",
    # notes made when a result is shown (core.i18n.say)
    NO_SEGMENT: "임계값을 넘은 세그먼트가 없습니다: 임계값을 낮추세요.",
    SAM_POINT: "이 점에 대한 SAM의 후보 마스크 세 개(전체, 부분, 세부)와 SAM이 매긴 품질 점수입니다.",
    NO_MASK: "필터를 통과한 마스크가 없습니다: pred_iou_thresh나 stability_score_thresh를 낮추세요.",
}
