"""mask-generation: Segment Anything (SAM) masks for everything in the picture (a grid of point prompts,
through the pipeline), or SAM's three candidate masks for the object under a clicked point (through the
pipeline's own model and processor); drawn over the user's picture with a legend and a table."""

from __future__ import annotations

from core import drawing, images
from core.codegen import from_pretrained, py
from core.errors import UserError
from core.i18n import note
from core.params import Float, Int
from core.registry import Loader, Output, TaskSpec
from demos.vision.common import Point, autoclass_snippet, decode, example_rows, image_field, pipeline_snippet
from demos.vision.masks import draw_masks, share

PROMPT_PROCESSORS = {"sam": "SamProcessor", "sam_hq": "SamHQProcessor"}
GRID = ("points_per_batch", "points_per_crop", "pred_iou_thresh", "stability_score_thresh")
SAM_POINT = "SAM's three candidate masks for the point (whole, part, sub-part), with its own quality scores."
NO_MASK = "No mask passed the filters: lower pred_iou_thresh or stability_score_thresh."


def model_point(point: tuple[float, float] | None, original: tuple[int, int], fitted: tuple[int, int]):
    """The clicked point (given in the user's picture's pixels) in the pixels of the model's copy."""
    if point is None:
        return None
    if not (0 <= point[0] < original[0] and 0 <= point[1] < original[1]):
        raise UserError("bad_param", name="point",
                        detail=f"({point[0]:g}, {point[1]:g}) is outside the {original[0]}×{original[1]} image")
    scale = fitted[0] / original[0]
    return round(point[0] * scale, 2), round(point[1] * scale, 2)


def run(pipe, inputs: dict, params: dict) -> Output:
    """{"masks": [mask_summary, ...], "scores": [...]}: every mask SAM finds from a grid of points, or,
    with a point, {"point": [x, y] (model-copy pixels), "masks": 3 candidate masks, "scores": their
    predicted IoU}."""
    picture, image = decode(inputs)
    point = model_point(inputs["point"], picture.size, image.size)
    facts = {"picture": picture, "scale": picture.width / image.width}
    if point is not None:
        return Output(prompt_masks(pipe, image, point), notes=(note(SAM_POINT),), facts=facts)
    out = pipe(image, **{name: params[name] for name in GRID})
    output = {"masks": [drawing.mask_summary(m) for m in out["masks"]], "scores": [float(s) for s in out["scores"]]}
    return Output(output, notes=() if output["masks"] else (note(NO_MASK),), facts=facts)


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
    return {"point": list(point), "masks": [drawing.mask_summary(m) for m in masks], "scores": scores}


def code(ref, inputs: dict, params: dict, place) -> str:
    point = None
    if inputs["point"] is not None:
        point = model_point(inputs["point"], *images.model_size(inputs["image"]))
    if point is None:
        return pipeline_snippet(
            "mask-generation", ref, place, inputs["image"], {name: params[name] for name in GRID},
            var="generator",
            after="masks, scores = result['masks'], result['scores']  # boolean masks of the image's size\n"
                  "print(len(masks), 'masks;', 'pixels per mask:', [int(m.sum()) for m in masks])\n"
                  "print(scores.tolist())")
    return autoclass_snippet(
        ref, place, inputs["image"],
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


def build(ctx) -> None:
    """Photo (a click on it is the point prompt), picker, opacity and the grid's settings on the left; the
    masks and the table on the right."""
    import gradio as gr

    from core.ui import examples, model_picker, result_panels, widget, widgets, wire
    from demos.vision.common import image_output

    tr = ctx.tr
    api = TASK.api_name
    with gr.Row():
        with gr.Column(scale=2):
            fields = {"image": widget(ctx, TASK, "image")}
            with gr.Row():
                fields["point"] = widget(ctx, TASK, "point", scale=3, placeholder=tr("Click the image"))
                clear = gr.Button(tr("Clear point"), size="sm", scale=1)
            model = model_picker(ctx, TASK)
            fields["opacity"] = widget(ctx, TASK, "opacity")
            with gr.Accordion(tr("Automatic masks: point grid and filters"), open=False):
                fields |= widgets(ctx, TASK, *GRID)
            run_button = gr.Button(tr("Run"), variant="primary", elem_id=f"{api}_run")
            examples(ctx, example_rows(["chelsea", "225, 150"], ["coffee", ""], ["astronaut", "250, 120"]),
                     [fields["image"], fields["point"]])
        with gr.Column(scale=3):
            drawn = image_output(ctx, TASK, "Masks")
            table = gr.Dataframe(headers=["mask", "score", "pixels", "% of image"], label=tr("Masks"),
                                 interactive=False, elem_id=f"{api}_table")
    panels = result_panels(ctx, TASK)

    def on_select(evt):
        x, y = evt.index[:2]
        return f"{int(x)}, {int(y)}"

    on_select.__annotations__ = {"evt": gr.SelectData}  # a class, not a string: gradio injects the click by it

    # a click on the photo fills the point box, then presses Run (the run itself is the one wired event)
    fields["image"].select(on_select, None, fields["point"], api_visibility="private").then(
        None, js=f"() => document.querySelector('#{api}_run').click()")
    clear.click(lambda: "", None, fields["point"], api_visibility="private")

    def render(result) -> dict:
        output, facts = result.output, result.facts
        masks = output["masks"]
        names = [f"mask {i + 1}" for i in range(len(masks))]
        order = sorted(range(len(masks)), key=lambda i: -masks[i]["area"])
        points = [tuple(output["point"])] if output.get("point") else None
        colors = drawing.label_colors(names)
        legend = [(f"{name} · {score:.2f}", colors[name]) for name, score in zip(names, output["scores"])]
        picture = draw_masks(facts["picture"], [masks[i]["png"] for i in order], [names[i] for i in order],
                             result.params["opacity"], scale=facts["scale"], colors=colors, legend=legend,
                             points=points)
        rows = [[names[i], round(float(output["scores"][i]), 4), masks[i]["area"], share(masks[i])]
                for i in range(len(masks))]
        return {drawn: picture, table: rows}

    wire(ctx, TASK, run_button.click, fields, model, render, panels, [drawn, table])


TASK = TaskSpec(
    id="mask-generation",
    title="Mask generation (SAM)",
    loader=Loader.pipeline("mask-generation"),
    default_model="facebook/sam-vit-base",
    models=("facebook/sam-vit-large", "Zigeng/SlimSAM-uniform-77", "syscv-community/sam-hq-vit-base"),
    run=run,
    code=code,
    inputs=(
        image_field(),
        Point("point", "", label="Point prompt (x, y)", placeholder="Click the image",
              help="Click the image to segment what is under that point; leave empty for every mask"),
    ),
    params=(
        Float("opacity", 0.55, 0.0, 1.0, step=0.05, label="Mask opacity"),
        Int("points_per_batch", 64, 1, 256, label="points_per_batch",
            help="Points run through the model at once (memory vs. speed)"),
        Int("points_per_crop", 32, 2, 64, label="points_per_crop",
            help="Grid points per side: 32 means 1024 prompts (slow on a CPU)"),
        Float("pred_iou_thresh", 0.88, 0.0, 1.0, label="pred_iou_thresh",
              help="Masks whose predicted quality (IoU) is below this are dropped"),
        Float("stability_score_thresh", 0.95, 0.0, 1.0, label="stability_score_thresh",
              help="Masks that change more than this allows when the mask threshold moves are dropped"),
    ),
    architectures=("SamModel", "SamHQModel"),
    description="Segment Anything: masks for everything in the picture, or for the object under a point.",
    build=build,
)
