"""What the two detection tasks share: the run (one decode: the model's copy for the pipeline, the user's
picture for the drawing), the notes, the labelled boxes drawn back at the picture's own size, the table and
the layout."""

from __future__ import annotations

from collections import Counter

from core import drawing
from core.i18n import note
from core.registry import Output
from demos.vision.common import decode, example_rows, pipeline_snippet

TABLE_HEADERS = ["label", "score", "xmin", "ymin", "xmax", "ymax"]

SCALED = ("The model saw a {seen_w}×{seen_h} copy of your {w}×{h} image: the boxes below are in the copy's pixels, "
          "drawn ×{scale:.2f}.")


def detect(pipe, inputs: dict, kwargs: dict, empty: str) -> Output:
    """The pipeline's boxes ([{"score", "label", "box"}, ...] in the model copy's pixels) with notes (nothing
    found: `empty`; a downscaled copy) and facts: the user's picture and the copy-to-picture scale."""
    picture, image = decode(inputs)
    output = pipe(image, **kwargs)
    scale = picture.width / image.width if image.width else 1.0
    notes = [note(empty, threshold=kwargs["threshold"])] if not output else []
    if abs(scale - 1.0) > 1e-6:
        notes.append(note(SCALED, seen_w=image.width, seen_h=image.height, w=picture.width, h=picture.height,
                          scale=scale))
    return Output(output, notes=tuple(notes), facts={"picture": picture, "scale": scale})


def code_of(task_id: str, ref, place, inputs: dict, kwargs: dict) -> str:
    return pipeline_snippet(task_id, ref, place, inputs["image"], kwargs, after="for obj in result:\n    print(obj)")


def draw_detections(picture, output: list[dict], scale: float = 1.0, colors: dict | None = None):
    """The user's picture with every box drawn (model-copy pixels times scale) and a legend of counts."""
    colors = colors or drawing.label_colors(d["label"] for d in output)
    drawn = drawing.draw_boxes(picture, output, scale=scale, colors=colors)
    counts = Counter(d["label"] for d in output)
    legend = [(f"{label} ×{counts[label]}", color) for label, color in colors.items() if counts[label]]
    return drawing.draw_legend(drawn, legend, corner="bottom-right")


def detection_table(output: list[dict]) -> list[list]:
    return [[d["label"], round(float(d["score"]), 4), *[d["box"][k] for k in ("xmin", "ymin", "xmax", "ymax")]]
            for d in output]


def build_detection(ctx, task, inputs: tuple[str, ...], rows: list[list], *, queries: str | None = None) -> None:
    """Photo (and queries), picker, threshold on the left; the drawn boxes and the table on the right.
    queries: the input whose labels fix the colours (zero-shot: a colour per query, in order)."""
    import gradio as gr

    from core.ui import examples, model_picker, result_panels, widget, wire
    from demos.vision.common import image_output

    tr = ctx.tr
    with gr.Row():
        with gr.Column(scale=2):
            fields = {"image": widget(ctx, task, "image")}
            if queries:
                fields[queries] = widget(ctx, task, queries, elem_id=f"{task.api_name}_queries")
            model = model_picker(ctx, task)
            fields["threshold"] = widget(ctx, task, "threshold")
            run_button = gr.Button(tr("Run"), variant="primary", elem_id=f"{task.api_name}_run")
            examples(ctx, example_rows(*rows), [fields[n] for n in inputs])
        with gr.Column(scale=3):
            drawn = image_output(ctx, task, "Detected objects")
            table = gr.Dataframe(headers=TABLE_HEADERS, label=tr("Objects"), interactive=False,
                                 elem_id=f"{task.api_name}_table")
    panels = result_panels(ctx, task)

    def render(result) -> dict:
        colors = drawing.label_colors(result.inputs[queries]) if queries else None
        picture = draw_detections(result.facts["picture"], result.output, result.facts["scale"], colors)
        return {drawn: picture, table: detection_table(result.output)}

    wire(ctx, task, run_button.click, fields, model, render, panels, [drawn, table],
         triggers=[fields[queries].submit] if queries else None)
