"""zero-shot-image-classification: scores for labels you write yourself; CLIP (or SigLIP) compares the photo
with one sentence per label, made from the hypothesis template."""

from __future__ import annotations

from core.errors import UserError
from core.params import Labels, Text
from core.registry import Loader, TaskSpec
from demos.vision.common import decode, example_rows, image_field, pipeline_snippet


def call_of(inputs: dict, params: dict) -> dict:
    """The pipeline's keyword arguments (parsed values): distinct labels, a template with {} in it."""
    template = params["hypothesis_template"]
    if "{}" not in template:
        raise UserError("bad_param", name="hypothesis_template",
                        detail="it must contain {} where each label goes, e.g. 'a photo of {}.'")
    return {"candidate_labels": list(dict.fromkeys(inputs["candidate_labels"])), "hypothesis_template": template}


def run(pipe, inputs: dict, params: dict) -> list[dict]:
    """[{"score", "label"}, ...] for every candidate label, best first (scores sum to 1)."""
    kwargs = call_of(inputs, params)
    _, image = decode(inputs)
    return pipe(image, **kwargs)


def code(ref, inputs: dict, params: dict, place) -> str:
    return pipeline_snippet("zero-shot-image-classification", ref, place, inputs["image"], call_of(inputs, params))


EXAMPLES = (
    ["chelsea", "cat, dog, bird", "This is a photo of {}."],
    ["cheetah", "cheetah, leopard, house cat, lion", "This is a photo of {}."],
    ["coffee", "coffee, tea, soup", "a cup of {}"],
    ["chelsea", "고양이, 강아지, 자동차", "{} 사진"],  # for Bingsu/clip-vit-base-patch32-ko
)


def build(ctx) -> None:
    """The photo, the labels and the template on the left; the label bars on the right."""
    import gradio as gr

    from core.ui import examples, label_scores, model_picker, result_panels, widget, wire

    tr = ctx.tr
    with gr.Row():
        with gr.Column(scale=3):
            fields = {"image": widget(ctx, TASK, "image"),
                      "candidate_labels": widget(ctx, TASK, "candidate_labels",
                                                 elem_id=f"{TASK.api_name}_labels"),
                      "hypothesis_template": widget(ctx, TASK, "hypothesis_template")}
            model = model_picker(ctx, TASK)
            run_button = gr.Button(tr("Run"), variant="primary", elem_id=f"{TASK.api_name}_run")
            examples(ctx, example_rows(*EXAMPLES), list(fields.values()))
        with gr.Column(scale=2):
            label = gr.Label(label=tr("Labels"), elem_id=f"{TASK.api_name}_label")
    panels = result_panels(ctx, TASK)

    def render(result) -> dict:
        return {label: label_scores(result.output)}

    wire(ctx, TASK, run_button.click, fields, model, render, panels, [label],
         triggers=[fields["candidate_labels"].submit])


TASK = TaskSpec(
    id="zero-shot-image-classification",
    title="Zero-shot image classification",
    loader=Loader.pipeline("zero-shot-image-classification"),
    batched=True,
    default_model="openai/clip-vit-base-patch32",
    models=("openai/clip-vit-large-patch14", "google/siglip-base-patch16-224", "Bingsu/clip-vit-base-patch32-ko"),
    run=run,
    code=code,
    inputs=(
        image_field(),
        Labels("candidate_labels", ("cat", "dog", "bird"), label="Candidate labels",
               help="Comma-separated (or one per line)", required=True, max_items=50, max_chars=200),
    ),
    params=(
        Text("hypothesis_template", "This is a photo of {}.", label="hypothesis_template",
             help="{} is replaced by each label", max_chars=500),
    ),
    model_types=("clip", "siglip", "siglip2", "align", "altclip", "chinese_clip", "metaclip_2"),
    description="Scores for labels you write yourself: CLIP compares the photo with a sentence per label.",
    build=build,
)
