"""Depth estimation (DPT, Depth Anything): a depth map in a colour map beside the photo, and the raw
`predicted_depth` tensor's statistics."""

from __future__ import annotations

import gradio as gr
from PIL import Image

from core import images
from core.registry import Loader, TaskSpec
from core.ui import Context, examples, model_picker, result_panels, wire
from demos.vision.common import example_rows, image_input, image_output, model_image, original_image, pipeline_snippet


def depth_stats(tensor) -> dict:
    """Shape, dtype and summary numbers of a depth tensor (JSON-ready)."""
    t = tensor.detach().float().cpu()
    return {"shape": list(tensor.shape), "dtype": str(tensor.dtype).replace("torch.", ""),
            "min": float(t.min()), "max": float(t.max()), "mean": float(t.mean()), "std": float(t.std())}


def run_depth_estimation(pipe, inputs: dict, params: dict) -> dict:
    """{"predicted_depth": stats of the raw tensor (the model image's size), "depth": the 0-255 greyscale
    image the pipeline makes from it, as {"size", "png"}}."""
    out = pipe(model_image(inputs))
    depth = out["depth"]
    return {"predicted_depth": depth_stats(out["predicted_depth"]),
            "depth": {"size": list(depth.size), "png": images.to_data_uri(depth)}}


def code_depth_estimation(ref, inputs: dict, params: dict, place) -> str:
    return pipeline_snippet(
        "depth-estimation", ref, place, inputs.get("image"), {}, var="estimator",
        after="depth = result['predicted_depth']  # a tensor of the image's size (relative or metric depth)\n"
              "print(tuple(depth.shape), depth.min().item(), depth.max().item(), depth.mean().item())\n"
              "result['depth'].save('depth.png')  # the same values scaled to 0-255, as a greyscale image")


DEPTH_ESTIMATION = TaskSpec(
    id="depth-estimation",
    title="Depth estimation",
    loader=Loader.pipeline("depth-estimation"),
    default_model="Intel/dpt-large",
    models=("depth-anything/Depth-Anything-V2-Small-hf", "Intel/dpt-hybrid-midas", "vinvino02/glpn-nyu",
            "Intel/zoedepth-nyu-kitti"),
    run=run_depth_estimation,
    code=code_depth_estimation,
    inputs=("image",),
    file_inputs=("image",),
    params={"colormap": "magma"},
    architectures=("ForDepthEstimation",),
    description="How far each pixel is, from one photo (monocular depth).",
)


def build_depth_estimation(ctx: Context) -> None:
    task = DEPTH_ESTIMATION
    tr = ctx.tr
    with gr.Row():
        with gr.Column(scale=1):
            image = image_input(ctx, task)
            model = model_picker(ctx, task)
            colormap = gr.Dropdown(list(images.COLORMAPS), value="magma", label=tr("Colour map"),
                                   elem_id=f"{task.api_name}_colormap")
            run = gr.Button(tr("Run"), variant="primary", elem_id=f"{task.api_name}_run")
            examples(ctx, example_rows(["chelsea"], ["tower"], ["coffee"], ["motorcycle"]), [image])
        with gr.Column(scale=1):
            drawn = image_output(ctx, task, "Depth map", "depth")
            gr.Markdown(tr("For DPT and Depth Anything (relative inverse depth), bright means near; "
                           "metric models (ZoeDepth, Depth Anything Metric) predict metres, so bright means far."))
            stats = gr.JSON(label=tr("predicted_depth"), elem_id=f"{task.api_name}_stats")
    panels = result_panels(ctx, task)

    def render(output, inputs, params):
        grey = images.from_data_uri(output["depth"]["png"])
        picture = images.colorize(grey, params.get("colormap") or "magma")
        size = original_image(inputs).size
        if picture.size != size:  # made on a downscaled copy: back to the user's size
            picture = picture.resize(size, Image.Resampling.BILINEAR)
        return {drawn: picture, stats: output["predicted_depth"]}

    wire(ctx, task, run.click, {"image": image, "colormap": colormap}, model, render, panels, [drawn, stats])


TASKS = ((DEPTH_ESTIMATION, build_depth_estimation),)

KOREAN = {
    "Depth estimation": "깊이 추정",
    "Colour map": "컬러맵",
    "Depth map": "깊이 지도",
    "For DPT and Depth Anything (relative inverse depth), bright means near; metric models (ZoeDepth, Depth Anything Metric) "
    "predict metres, so bright means far.":
        "DPT와 Depth Anything(상대적 역깊이)은 밝을수록 가깝습니다. 미터 단위 모델(ZoeDepth, Depth Anything Metric)은 "
        "밝을수록 멉니다.",
}
