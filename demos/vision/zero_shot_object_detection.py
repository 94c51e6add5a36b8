"""zero-shot-object-detection: boxes for whatever you name in text queries (OWL-ViT, OWLv2, Grounding DINO),
each query in its own colour, drawn on the user's picture."""

from __future__ import annotations

from core.params import Float, Labels
from core.registry import Loader, Output, TaskSpec
from demos.vision.boxes import build_detection, code_of, detect
from demos.vision.common import image_field

NOTHING_MATCHED = "Nothing matched a query above {threshold}: lower the threshold. "


def call_of(inputs: dict, params: dict) -> dict:
    return {"candidate_labels": list(dict.fromkeys(inputs["candidate_labels"])), "threshold": params["threshold"]}


def run(pipe, inputs: dict, params: dict) -> Output:
    """[{"score", "label", "box"}, ...] for boxes matching any query, best first (model image pixels;
    OWL-ViT boxes may reach past the border, they are clipped only when drawn)."""
    return detect(pipe, inputs, call_of(inputs, params), NOTHING_MATCHED)


def code(ref, inputs: dict, params: dict, place) -> str:
    return code_of("zero-shot-object-detection", ref, place, inputs, call_of(inputs, params))


def build(ctx) -> None:
    build_detection(ctx, TASK, ("image", "candidate_labels"), [
        ["chelsea", "a cat, an eye, a nose"],
        ["astronaut", "a person, a flag, a rocket"],
        ["coffee", "a cup, a spoon, a saucer"],
    ], queries="candidate_labels")


TASK = TaskSpec(
    id="zero-shot-object-detection",
    title="Zero-shot object detection",
    loader=Loader.pipeline("zero-shot-object-detection"),
    batched=True,
    default_model="google/owlvit-base-patch32",
    models=("google/owlv2-base-patch16-ensemble", "IDEA-Research/grounding-dino-tiny"),
    run=run,
    code=code,
    inputs=(
        image_field(),
        Labels("candidate_labels", ("a cat", "a remote control"), label="Text queries",
               help="Comma-separated (or one per line)", required=True, max_items=50, max_chars=200),
    ),
    params=(Float("threshold", 0.1, 0.0, 1.0, label="Score threshold", help="Boxes scoring below this are dropped"),),
    architectures=("OwlViTForObjectDetection", "Owlv2ForObjectDetection", "GroundingDinoForObjectDetection",
                   "OmDetTurboForObjectDetection"),
    description="Boxes for whatever you name in text queries (OWL-ViT), each query in its own colour.",
    build=build,
)
