"""image-classification: the labels a classifier trained on ImageNet (or others) gives a photo, with scores,
through the transformers 5 pipeline."""

from __future__ import annotations

from core.params import Int
from core.registry import Loader, TaskSpec
from demos.vision.common import decode, example_rows, image_field, pipeline_snippet


def call_of(params: dict) -> dict:
    """The pipeline's keyword arguments for this run (parsed values)."""
    return {"top_k": params["top_k"]}


def run(pipe, inputs: dict, params: dict) -> list[dict]:
    """[{"label", "score"}, ...] best first (top_k of them)."""
    _, image = decode(inputs)
    return pipe(image, **call_of(params))


def code(ref, inputs: dict, params: dict, place) -> str:
    return pipeline_snippet("image-classification", ref, place, inputs["image"], call_of(params))


def build(ctx) -> None:
    """The photo, the model picker and top_k on the left; the label bars on the right."""
    import gradio as gr

    from core.ui import examples, label_scores, model_picker, result_panels, widget, wire

    tr = ctx.tr
    with gr.Row():
        with gr.Column(scale=3):
            fields = {"image": widget(ctx, TASK, "image")}
            model = model_picker(ctx, TASK)
            fields["top_k"] = widget(ctx, TASK, "top_k")
            run_button = gr.Button(tr("Run"), variant="primary", elem_id=f"{TASK.api_name}_run")
            examples(ctx, example_rows(["chelsea"], ["cheetah"], ["lion"], ["coffee"]), [fields["image"]])
        with gr.Column(scale=2):
            label = gr.Label(label=tr("Labels"), elem_id=f"{TASK.api_name}_label")
    panels = result_panels(ctx, TASK)

    def render(result) -> dict:
        return {label: label_scores(result.output)}

    wire(ctx, TASK, run_button.click, fields, model, render, panels, [label])


TASK = TaskSpec(
    id="image-classification",
    title="Image classification",
    loader=Loader.pipeline("image-classification"),
    batched=True,
    default_model="google/vit-base-patch16-224",
    models=("microsoft/resnet-50", "facebook/convnext-tiny-224", "timm/tf_efficientnet_lite0.in1k",
            "google/efficientnet-b0"),
    run=run,
    code=code,
    inputs=(image_field(),),
    params=(Int("top_k", 5, 1, 100, label="top_k", help="How many labels to show, best first"),),
    architectures=("ForImageClassification", "ForImageClassificationWithTeacher"),
    description="The labels a classifier trained on ImageNet (or others) gives a photo, with scores.",
    build=build,
)
