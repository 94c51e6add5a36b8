"""Image classification (ImageNet-style labels) and zero-shot image classification (CLIP: any labels)."""

from __future__ import annotations

import gradio as gr

from core.errors import UserError
from core.registry import Loader, TaskSpec
from core.ui import Context, examples, model_picker, result_panels, wire
from demos.vision.common import example_rows, image_input, labels_of, model_image, number, pipeline_snippet


def _scores(output: list[dict]) -> dict[str, float]:
    return {d["label"]: float(d["score"]) for d in output}


# ---- image-classification ------------------------------------------------------------------------------
def classification_kwargs(params: dict) -> dict:
    return {"top_k": int(number(params, "top_k", 5, 1, 1000))}


def run_image_classification(pipe, inputs: dict, params: dict) -> list[dict]:
    """[{"label", "score"}, ...] best first (top_k of them)."""
    return pipe(model_image(inputs), **classification_kwargs(params))


def code_image_classification(ref, inputs: dict, params: dict, place) -> str:
    return pipeline_snippet("image-classification", ref, place, inputs.get("image"), classification_kwargs(params))


IMAGE_CLASSIFICATION = TaskSpec(
    id="image-classification",
    title="Image classification",
    loader=Loader.pipeline("image-classification"),
    default_model="google/vit-base-patch16-224",
    models=("microsoft/resnet-50", "facebook/convnext-tiny-224", "timm/tf_efficientnet_lite0.in1k",
            "google/efficientnet-b0"),
    run=run_image_classification,
    code=code_image_classification,
    inputs=("image",),
    file_inputs=("image",),
    params={"top_k": 5},
    architectures=("ForImageClassification", "ForImageClassificationWithTeacher"),
    description="The labels a classifier trained on ImageNet (or others) gives a photo, with scores.",
)


def build_image_classification(ctx: Context) -> None:
    task = IMAGE_CLASSIFICATION
    tr = ctx.tr
    with gr.Row():
        with gr.Column(scale=3):
            image = image_input(ctx, task)
            model = model_picker(ctx, task)
            top_k = gr.Slider(1, 20, value=5, step=1, label=tr("top_k"))
            run = gr.Button(tr("Run"), variant="primary", elem_id=f"{task.api_name}_run")
            examples(ctx, example_rows(["chelsea"], ["cheetah"], ["lion"], ["coffee"]), [image])
        with gr.Column(scale=2):
            label = gr.Label(label=tr("Labels"), elem_id=f"{task.api_name}_label")
    panels = result_panels(ctx, task)

    def render(output, inputs, params):
        return {label: _scores(output)}

    wire(ctx, task, run.click, {"image": image, "top_k": top_k}, model, render, panels, [label])


# ---- zero-shot-image-classification --------------------------------------------------------------------
def zero_shot_call(inputs: dict, params: dict) -> dict:
    template = str(params.get("hypothesis_template") or "This is a photo of {}.")
    if "{}" not in template:
        raise UserError("bad_param", name="hypothesis_template",
                        detail="it must contain {} where each label goes, e.g. 'a photo of {}.'")
    return {"candidate_labels": labels_of(inputs.get("candidate_labels"), "Candidate labels"),
            "hypothesis_template": template}


def run_zero_shot_image_classification(pipe, inputs: dict, params: dict) -> list[dict]:
    """[{"score", "label"}, ...] for every candidate label, best first (scores sum to 1)."""
    return pipe(model_image(inputs), **zero_shot_call(inputs, params))


def code_zero_shot_image_classification(ref, inputs: dict, params: dict, place) -> str:
    return pipeline_snippet("zero-shot-image-classification", ref, place, inputs.get("image"),
                            zero_shot_call(inputs, params))


ZERO_SHOT_IMAGE_CLASSIFICATION = TaskSpec(
    id="zero-shot-image-classification",
    title="Zero-shot image classification",
    loader=Loader.pipeline("zero-shot-image-classification"),
    default_model="openai/clip-vit-base-patch32",
    models=("openai/clip-vit-large-patch14", "google/siglip-base-patch16-224", "Bingsu/clip-vit-base-patch32-ko"),
    run=run_zero_shot_image_classification,
    code=code_zero_shot_image_classification,
    inputs=("image", "candidate_labels"),
    file_inputs=("image",),
    params={"hypothesis_template": "This is a photo of {}."},
    model_types=("clip", "siglip", "siglip2", "align", "altclip", "chinese_clip", "metaclip_2"),
    description="Scores for labels you write yourself: CLIP compares the photo with a sentence per label.",
)


def build_zero_shot_image_classification(ctx: Context) -> None:
    task = ZERO_SHOT_IMAGE_CLASSIFICATION
    tr = ctx.tr
    with gr.Row():
        with gr.Column(scale=3):
            image = image_input(ctx, task)
            labels = gr.Textbox(label=tr("Candidate labels"), value="cat, dog, bird",
                                info=tr("Comma-separated (or one per line)"), elem_id=f"{task.api_name}_labels")
            template = gr.Textbox(label=tr("hypothesis_template"), value="This is a photo of {}.",
                                  info=tr("{} is replaced by each label"))
            model = model_picker(ctx, task)
            run = gr.Button(tr("Run"), variant="primary", elem_id=f"{task.api_name}_run")
            examples(ctx, example_rows(
                ["chelsea", "cat, dog, bird", "This is a photo of {}."],
                ["cheetah", "cheetah, leopard, house cat, lion", "This is a photo of {}."],
                ["coffee", "coffee, tea, soup", "a cup of {}"],
                ["chelsea", "고양이, 강아지, 자동차", "{} 사진"],  # for Bingsu/clip-vit-base-patch32-ko
            ), [image, labels, template])
        with gr.Column(scale=2):
            label = gr.Label(label=tr("Labels"), elem_id=f"{task.api_name}_label")
    panels = result_panels(ctx, task)

    def render(output, inputs, params):
        return {label: _scores(output)}

    wire(ctx, task, run.click, {"image": image, "candidate_labels": labels, "hypothesis_template": template},
         model, render, panels, [label], triggers=[labels.submit])


TASKS = ((IMAGE_CLASSIFICATION, build_image_classification),
         (ZERO_SHOT_IMAGE_CLASSIFICATION, build_zero_shot_image_classification))

KOREAN = {
    "Image classification": "이미지 분류",
    "Zero-shot image classification": "제로샷 이미지 분류",
    "Image": "이미지",
    "Labels": "레이블",
    "Candidate labels": "후보 레이블",
    "Comma-separated (or one per line)": "쉼표로 구분 (또는 한 줄에 하나씩)",
    "{} is replaced by each label": "{} 자리에 각 레이블이 들어갑니다",
}
