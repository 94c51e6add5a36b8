"""depth-estimation (DPT, Depth Anything, GLPN, ZoeDepth): a depth map in a colour map at the photo's own
size, and the raw `predicted_depth` tensor's statistics, through the transformers 5 pipeline."""

from __future__ import annotations

from core import drawing, images
from core.params import Choice
from core.registry import Loader, Output, TaskSpec
from demos.vision.common import decode, example_rows, image_field, pipeline_snippet


def depth_stats(tensor) -> dict:
    """Shape, dtype and summary numbers of a depth tensor (JSON-ready)."""
    t = tensor.detach().float().cpu()
    return {"shape": list(tensor.shape), "dtype": str(tensor.dtype).replace("torch.", ""),
            "min": float(t.min()), "max": float(t.max()), "mean": float(t.mean()), "std": float(t.std())}


def run(pipe, inputs: dict, params: dict) -> Output:
    """{"predicted_depth": stats of the raw tensor (the model image's size), "depth": the 0-255 greyscale
    image the pipeline makes from it, as {"size", "png"}}; facts: that greyscale image and the picture's size."""
    picture, image = decode(inputs)
    out = pipe(image)
    depth = out["depth"]
    value = {"predicted_depth": depth_stats(out["predicted_depth"]),
             "depth": {"size": list(depth.size), "png": images.to_data_uri(depth)}}
    return Output(value, facts={"depth": depth, "size": picture.size})


def code(ref, inputs: dict, params: dict, place) -> str:
    return pipeline_snippet(
        "depth-estimation", ref, place, inputs["image"], {}, var="estimator",
        after="depth = result['predicted_depth']  # a tensor of the image's size (relative or metric depth)\n"
              "print(tuple(depth.shape), depth.min().item(), depth.max().item(), depth.mean().item())\n"
              "result['depth'].save('depth.png')  # the same values scaled to 0-255, as a greyscale image")


def depth_picture(grey, colormap: str, size: tuple[int, int]):
    """The greyscale depth through the colour map, at the user's picture's size."""
    from PIL import Image

    picture = drawing.colorize(grey, colormap)
    if picture.size != tuple(size):  # made on a downscaled copy: back to the user's size
        picture = picture.resize(tuple(size), Image.Resampling.BILINEAR)
    return picture


def build(ctx) -> None:
    """Photo, picker and colour map on the left; the coloured depth map and its numbers on the right."""
    import gradio as gr

    from core.ui import examples, model_picker, result_panels, widget, wire
    from demos.vision.common import image_output

    tr = ctx.tr
    with gr.Row():
        with gr.Column(scale=1):
            fields = {"image": widget(ctx, TASK, "image")}
            model = model_picker(ctx, TASK)
            fields["colormap"] = widget(ctx, TASK, "colormap")
            run_button = gr.Button(tr("Run"), variant="primary", elem_id=f"{TASK.api_name}_run")
            examples(ctx, example_rows(["chelsea"], ["tower"], ["coffee"], ["motorcycle"]), [fields["image"]])
        with gr.Column(scale=1):
            drawn = image_output(ctx, TASK, "Depth map", "depth")
            gr.Markdown(tr("For DPT and Depth Anything (relative inverse depth), bright means near; "
                           "metric models (ZoeDepth, Depth Anything Metric) predict metres, so bright means far."))
            stats = gr.JSON(label=tr("predicted_depth"), elem_id=f"{TASK.api_name}_stats")
    panels = result_panels(ctx, TASK)

    def render(result) -> dict:
        picture = depth_picture(result.facts["depth"], result.params["colormap"], result.facts["size"])
        return {drawn: picture, stats: result.output["predicted_depth"]}

    wire(ctx, TASK, run_button.click, fields, model, render, panels, [drawn, stats])


TASK = TaskSpec(
    id="depth-estimation",
    title="Depth estimation",
    loader=Loader.pipeline("depth-estimation"),
    batched=True,
    default_model="Intel/dpt-large",
    models=("depth-anything/Depth-Anything-V2-Small-hf", "Intel/dpt-hybrid-midas", "vinvino02/glpn-nyu",
            "Intel/zoedepth-nyu-kitti"),
    run=run,
    code=code,
    inputs=(image_field(),),
    params=(Choice("colormap", "magma", tuple(drawing.COLORMAPS), label="Colour map",
                   help="How depth values become colours (low values get the map's first colour)"),),
    architectures=("ForDepthEstimation",),
    description="How far each pixel is, from one photo (monocular depth).",
    build=build,
)
