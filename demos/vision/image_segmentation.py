"""image-segmentation: a label for every pixel (semantic), every object apart (instance), or both (panoptic),
with DETR, MaskFormer, Mask2Former or SegFormer; drawn as coloured masks over the user's picture with a
legend and a per-segment table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from core import drawing
from core.errors import UserError
from core.i18n import note
from core.params import Choice, Float
from core.registry import Loader, Output, TaskSpec
from demos.vision.common import decode, example_rows, image_field, pipeline_snippet
from demos.vision.masks import draw_masks, share

SUBTASKS = ("auto", "panoptic", "instance", "semantic")
_POSTPROCESS = {"panoptic": "post_process_panoptic_segmentation", "instance": "post_process_instance_segmentation",
                "semantic": "post_process_semantic_segmentation"}
NO_SEGMENT = "No segment passed the thresholds: lower them."


def supported_subtasks(pipe) -> list[str]:
    """The subtasks the model's image processor can post-process, in the pipeline's order of preference."""
    processor = pipe.image_processor
    return [s for s in ("panoptic", "instance", "semantic") if hasattr(processor, _POSTPROCESS[s])]


def call_of(params: dict, subtask: str) -> dict:
    """The pipeline's keyword arguments; thresholds only matter (and are only passed) for panoptic and
    instance segmentation."""
    kwargs: dict[str, Any] = {}
    if params["subtask"] != "auto":
        kwargs["subtask"] = subtask
    if subtask != "semantic":
        kwargs |= {name: params[name] for name in ("threshold", "mask_threshold", "overlap_mask_area_threshold")}
    return kwargs


def resolve_subtask(pipe, wanted: str) -> str:
    supported = supported_subtasks(pipe)
    if wanted == "auto":
        return supported[0] if supported else "semantic"
    if wanted not in supported:
        raise UserError("bad_param", name="subtask",
                        detail=f"{type(pipe.model).__name__} does {' / '.join(supported) or 'no'} segmentation, "
                               f"not {wanted}")
    return wanted


def run(pipe, inputs: dict, params: dict) -> Output:
    """[{"score", "label", "mask": mask_summary}, ...] (score is None for semantic segmentation)."""
    subtask = resolve_subtask(pipe, params["subtask"])
    picture, image = decode(inputs)
    segments = pipe(image, **call_of(params, subtask))
    output = [{"score": s["score"], "label": s["label"], "mask": drawing.mask_summary(s["mask"])} for s in segments]
    return Output(output, notes=() if output else (note(NO_SEGMENT),), facts={"picture": picture})


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


def code(ref, inputs: dict, params: dict, place) -> str:
    subtask = params["subtask"]
    if subtask == "auto":
        subtask = (processor_subtasks(ref) or ["panoptic"])[0]
    return pipeline_snippet(
        "image-segmentation", ref, place, inputs["image"], call_of(params, subtask),
        note="subtask: panoptic, instance or semantic (omitted: the first the model supports, in that order)",
        after="for segment in result:\n"
              "    mask = segment['mask']  # a PIL image (mode L) of the image's size: 255 inside the segment\n"
              "    print(segment['label'], segment['score'], mask.size)")


def segment_table(output: list[dict]) -> list[list]:
    return [[s["label"], None if s["score"] is None else round(float(s["score"]), 4), s["mask"]["area"],
             share(s["mask"])] for s in output]


def build(ctx) -> None:
    """Photo, picker, subtask, opacity and thresholds on the left; the masks and the table on the right."""
    import gradio as gr

    from core.ui import examples, model_picker, result_panels, widget, widgets, wire
    from demos.vision.common import image_output

    tr = ctx.tr
    with gr.Row():
        with gr.Column(scale=2):
            fields = {"image": widget(ctx, TASK, "image")}
            model = model_picker(ctx, TASK)
            fields |= widgets(ctx, TASK, "subtask", "opacity")
            with gr.Accordion(tr("Thresholds (panoptic and instance)"), open=False):
                fields |= widgets(ctx, TASK, "threshold", "mask_threshold", "overlap_mask_area_threshold")
            run_button = gr.Button(tr("Run"), variant="primary", elem_id=f"{TASK.api_name}_run")
            examples(ctx, example_rows(["chelsea"], ["astronaut"], ["coffee"], ["tower"]), [fields["image"]])
        with gr.Column(scale=3):
            drawn = image_output(ctx, TASK, "Segments")
            table = gr.Dataframe(headers=["label", "score", "pixels", "% of image"], label=tr("Segments"),
                                 interactive=False, elem_id=f"{TASK.api_name}_table")
    panels = result_panels(ctx, TASK)

    def render(result) -> dict:
        order = sorted(result.output, key=lambda s: -s["mask"]["area"])  # small segments drawn last, on top
        picture = draw_masks(result.facts["picture"], [s["mask"]["png"] for s in order], [s["label"] for s in order],
                             result.params["opacity"])
        return {drawn: picture, table: segment_table(result.output)}

    wire(ctx, TASK, run_button.click, fields, model, render, panels, [drawn, table])


TASK = TaskSpec(
    id="image-segmentation",
    title="Image segmentation",
    loader=Loader.pipeline("image-segmentation"),
    batched=True,
    default_model="facebook/detr-resnet-50-panoptic",
    models=("nvidia/segformer-b0-finetuned-ade-512-512", "facebook/maskformer-swin-tiny-coco",
            "facebook/mask2former-swin-tiny-coco-instance", "facebook/mask2former-swin-tiny-ade-semantic"),
    run=run,
    code=code,
    inputs=(image_field(),),
    params=(
        Choice("subtask", "auto", SUBTASKS, label="subtask",
               help="auto: panoptic, else instance, else semantic (what the model supports)",
               widget=(("component", "radio"),)),
        Float("threshold", 0.9, 0.0, 1.0, label="threshold", help="Segments scoring below this are dropped"),
        Float("mask_threshold", 0.5, 0.0, 1.0, label="mask_threshold",
              help="Mask probability above which a pixel belongs to the segment"),
        Float("overlap_mask_area_threshold", 0.5, 0.0, 1.0, label="overlap_mask_area_threshold",
              help="Segments that keep less than this share of their mask after overlaps are dropped"),
        Float("opacity", 0.55, 0.0, 1.0, step=0.05, label="Mask opacity"),
    ),
    architectures=("ForSegmentation", "ForSemanticSegmentation", "ForInstanceSegmentation",
                   "ForUniversalSegmentation"),
    description="A label for every pixel (semantic), every object apart (instance), or both (panoptic).",
    build=build,
)
