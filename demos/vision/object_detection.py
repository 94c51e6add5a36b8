"""object-detection: boxes around the objects a detector knows (DETR: COCO's 80 classes), drawn as labelled
boxes on the user's picture with a legend and a table."""

from __future__ import annotations

from core.params import Float
from core.registry import Loader, Output, TaskSpec
from demos.vision.boxes import build_detection, code_of, detect
from demos.vision.common import image_field

NO_OBJECT = "No object scored above {threshold}: lower the threshold. "


def call_of(params: dict) -> dict:
    return {"threshold": params["threshold"]}


def run(pipe, inputs: dict, params: dict) -> Output:
    """[{"score", "label", "box": {"xmin", "ymin", "xmax", "ymax"}}, ...] in the model image's pixels."""
    return detect(pipe, inputs, call_of(params), NO_OBJECT)


def code(ref, inputs: dict, params: dict, place) -> str:
    return code_of("object-detection", ref, place, inputs, call_of(params))


def build(ctx) -> None:
    build_detection(ctx, TASK, ("image",), [["chelsea"], ["astronaut"], ["coffee"], ["motorcycle"]])


TASK = TaskSpec(
    id="object-detection",
    title="Object detection",
    loader=Loader.pipeline("object-detection"),
    batched=True,
    default_model="facebook/detr-resnet-50",
    models=("hustvl/yolos-tiny", "PekingU/rtdetr_r18vd_coco_o365", "facebook/detr-resnet-101",
            "microsoft/conditional-detr-resnet-50"),
    run=run,
    code=code,
    inputs=(image_field(),),
    params=(Float("threshold", 0.5, 0.0, 1.0, label="Score threshold", help="Boxes scoring below this are dropped"),),
    architectures=("DetrForObjectDetection", "YolosForObjectDetection", "DFineForObjectDetection",
                   "TableTransformerForObjectDetection", "DetaForObjectDetection"),
    description="Boxes around the objects a detector knows (COCO's 80 classes for DETR), with scores.",
    build=build,
)
