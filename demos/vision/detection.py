"""Object detection (DETR: a fixed label set) and zero-shot object detection (OWL-ViT: any text query),
drawn as labelled boxes on the user's picture with a legend and a table."""

from __future__ import annotations

from collections import Counter

import gradio as gr

from core import images
from core.i18n import say
from core.registry import Loader, TaskSpec
from core.ui import Context, examples, model_picker, result_panels, wire
from demos.vision.common import (
    example_rows,
    image_input,
    image_output,
    labels_of,
    model_image,
    number,
    original_image,
    pipeline_snippet,
    scale_to_original,
)

TABLE_HEADERS = ["label", "score", "xmin", "ymin", "xmax", "ymax"]


SCALED = ("The model saw a {seen_w}×{seen_h} copy of your {w}×{h} image: the boxes below are in the copy's pixels, "
          "drawn ×{scale:.2f}.")
NO_OBJECT = "No object scored above {threshold}: lower the threshold. "
NOTHING_MATCHED = "Nothing matched a query above {threshold}: lower the threshold. "


def draw_detections(inputs: dict, output: list[dict], colors: dict | None = None):
    """(the user's picture with every box drawn and a legend of counts, a note on coordinates)."""
    scale = scale_to_original(inputs)
    picture = original_image(inputs)
    colors = colors or images.label_colors(d["label"] for d in output)
    drawn = images.draw_boxes(picture, output, scale=scale, colors=colors)
    counts = Counter(d["label"] for d in output)
    legend = [(f"{label} ×{counts[label]}", color) for label, color in colors.items() if counts[label]]
    drawn = images.draw_legend(drawn, legend, corner="bottom-right")
    note = ""
    if abs(scale - 1.0) > 1e-6:
        w, h = picture.size
        note = say(SCALED, seen_w=round(w / scale), seen_h=round(h / scale), w=w, h=h, scale=scale)
    return drawn, note


def detection_table(output: list[dict]) -> list[list]:
    return [[d["label"], round(float(d["score"]), 4), *[d["box"][k] for k in ("xmin", "ymin", "xmax", "ymax")]]
            for d in output]


# ---- object-detection ----------------------------------------------------------------------------------
def detection_kwargs(params: dict) -> dict:
    return {"threshold": number(params, "threshold", 0.5, 0.0, 1.0)}


def run_object_detection(pipe, inputs: dict, params: dict) -> list[dict]:
    """[{"score", "label", "box": {"xmin", "ymin", "xmax", "ymax"}}, ...] in the model image's pixels."""
    return pipe(model_image(inputs), **detection_kwargs(params))


def code_object_detection(ref, inputs: dict, params: dict, place) -> str:
    return pipeline_snippet("object-detection", ref, place, inputs.get("image"), detection_kwargs(params),
                            after="for obj in result:\n    print(obj)")


OBJECT_DETECTION = TaskSpec(
    id="object-detection",
    title="Object detection",
    loader=Loader.pipeline("object-detection"),
    default_model="facebook/detr-resnet-50",
    models=("hustvl/yolos-tiny", "PekingU/rtdetr_r18vd_coco_o365", "facebook/detr-resnet-101",
            "microsoft/conditional-detr-resnet-50"),
    run=run_object_detection,
    code=code_object_detection,
    inputs=("image",),
    file_inputs=("image",),
    params={"threshold": 0.5},
    architectures=("DetrForObjectDetection", "YolosForObjectDetection", "DFineForObjectDetection",
                   "TableTransformerForObjectDetection", "DetaForObjectDetection"),
    description="Boxes around the objects a detector knows (COCO's 80 classes for DETR), with scores.",
)


def build_object_detection(ctx: Context) -> None:
    task = OBJECT_DETECTION
    tr = ctx.tr
    with gr.Row():
        with gr.Column(scale=2):
            image = image_input(ctx, task)
            model = model_picker(ctx, task)
            threshold = gr.Slider(0.0, 1.0, value=0.5, step=0.01, label=tr("Score threshold"),
                                  info=tr("Boxes scoring below this are dropped"))
            run = gr.Button(tr("Run"), variant="primary", elem_id=f"{task.api_name}_run")
            examples(ctx, example_rows(["chelsea"], ["astronaut"], ["coffee"], ["motorcycle"]), [image])
        with gr.Column(scale=3):
            drawn = image_output(ctx, task, "Detected objects")
            note = gr.Markdown(elem_id=f"{task.api_name}_note")
            table = gr.Dataframe(headers=TABLE_HEADERS, label=tr("Objects"), interactive=False,
                                 elem_id=f"{task.api_name}_table")
    panels = result_panels(ctx, task)

    def render(output, inputs, params):
        picture, text = draw_detections(inputs, output)
        if not output:
            text = say(NO_OBJECT, threshold=params.get("threshold")) + text
        return {drawn: picture, note: text, table: detection_table(output)}

    wire(ctx, task, run.click, {"image": image, "threshold": threshold}, model, render, panels,
         [drawn, note, table])


# ---- zero-shot-object-detection ------------------------------------------------------------------------
def zero_shot_detection_call(inputs: dict, params: dict) -> dict:
    return {"candidate_labels": labels_of(inputs.get("candidate_labels"), "Text queries"),
            "threshold": number(params, "threshold", 0.1, 0.0, 1.0)}


def run_zero_shot_object_detection(pipe, inputs: dict, params: dict) -> list[dict]:
    """[{"score", "label", "box"}, ...] for boxes matching any query, best first (model image pixels;
    OWL-ViT boxes may reach past the border, they are clipped only when drawn)."""
    return pipe(model_image(inputs), **zero_shot_detection_call(inputs, params))


def code_zero_shot_object_detection(ref, inputs: dict, params: dict, place) -> str:
    return pipeline_snippet("zero-shot-object-detection", ref, place, inputs.get("image"),
                            zero_shot_detection_call(inputs, params), after="for obj in result:\n    print(obj)")


ZERO_SHOT_OBJECT_DETECTION = TaskSpec(
    id="zero-shot-object-detection",
    title="Zero-shot object detection",
    loader=Loader.pipeline("zero-shot-object-detection"),
    default_model="google/owlvit-base-patch32",
    models=("google/owlv2-base-patch16-ensemble", "IDEA-Research/grounding-dino-tiny"),
    run=run_zero_shot_object_detection,
    code=code_zero_shot_object_detection,
    inputs=("image", "candidate_labels"),
    file_inputs=("image",),
    params={"threshold": 0.1},
    architectures=("OwlViTForObjectDetection", "Owlv2ForObjectDetection", "GroundingDinoForObjectDetection",
                   "OmDetTurboForObjectDetection"),
    description="Boxes for whatever you name in text queries (OWL-ViT), each query in its own colour.",
)


def build_zero_shot_object_detection(ctx: Context) -> None:
    task = ZERO_SHOT_OBJECT_DETECTION
    tr = ctx.tr
    with gr.Row():
        with gr.Column(scale=2):
            image = image_input(ctx, task)
            queries = gr.Textbox(label=tr("Text queries"), value="a cat, a remote control",
                                 info=tr("Comma-separated (or one per line)"), elem_id=f"{task.api_name}_queries")
            model = model_picker(ctx, task)
            threshold = gr.Slider(0.0, 1.0, value=0.1, step=0.01, label=tr("Score threshold"),
                                  info=tr("Boxes scoring below this are dropped"))
            run = gr.Button(tr("Run"), variant="primary", elem_id=f"{task.api_name}_run")
            examples(ctx, example_rows(
                ["chelsea", "a cat, an eye, a nose"],
                ["astronaut", "a person, a flag, a rocket"],
                ["coffee", "a cup, a spoon, a saucer"],
            ), [image, queries])
        with gr.Column(scale=3):
            drawn = image_output(ctx, task, "Detected objects")
            note = gr.Markdown(elem_id=f"{task.api_name}_note")
            table = gr.Dataframe(headers=TABLE_HEADERS, label=tr("Objects"), interactive=False,
                                 elem_id=f"{task.api_name}_table")
    panels = result_panels(ctx, task)

    def render(output, inputs, params):
        colors = images.label_colors(labels_of(inputs.get("candidate_labels"), "Text queries"))
        picture, text = draw_detections(inputs, output, colors)
        if not output:
            text = say(NOTHING_MATCHED, threshold=params.get("threshold")) + text
        return {drawn: picture, note: text, table: detection_table(output)}

    wire(ctx, task, run.click, {"image": image, "candidate_labels": queries, "threshold": threshold}, model,
         render, panels, [drawn, note, table], triggers=[queries.submit])


TASKS = ((OBJECT_DETECTION, build_object_detection),
         (ZERO_SHOT_OBJECT_DETECTION, build_zero_shot_object_detection))

KOREAN = {
    "Object detection": "객체 탐지",
    "Zero-shot object detection": "제로샷 객체 탐지",
    "Score threshold": "점수 임계값",
    "Boxes scoring below this are dropped": "이 점수보다 낮은 상자는 버립니다",
    "Detected objects": "탐지된 객체",
    "Objects": "객체 목록",
    "Text queries": "텍스트 질의",
    # notes made when a result is shown (core.i18n.say)
    SCALED: "모델은 {w}×{h} 이미지를 {seen_w}×{seen_h}로 줄인 사본을 보았습니다: 아래 표의 좌표는 사본의 픽셀 기준이며, "
            "그림에는 ×{scale:.2f} 배로 그렸습니다.",
    NO_OBJECT: "점수가 {threshold}보다 높은 객체가 없습니다: 임계값(threshold)을 낮추세요. ",
    NOTHING_MATCHED: "점수가 {threshold}보다 높게 질의와 맞는 것이 없습니다: 임계값(threshold)을 낮추세요. ",
}
