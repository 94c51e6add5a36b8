"""image-to-image: super-resolution (Swin2SR ×2 / ×4). transformers 5 removed the "image-to-image" pipeline,
so the app runs (and shows) the AutoClass code: AutoImageProcessor + AutoModelForImageToImage; the result is
shown next to a plain bicubic enlargement.

The image processor pads the input (to a multiple of the model's window, always adding at least one row and
column), so the model's reconstruction is a little larger than input x scale. transformers 4.57.6's
pipeline("image-to-image") returned that padded reconstruction; the app crops the padding off by default
(crop_padding), and crop_padding=False gives 4.57.6's image pixel for pixel."""

from __future__ import annotations

from core import images
from core.codegen import from_pretrained
from core.i18n import note, say
from core.params import Bool, Int
from core.registry import Loader, Output, TaskSpec
from demos.vision.common import autoclass_snippet, decode, example_rows, image_field, stacked_by_size

# Swin2SR attends over every pixel: about 30 s for 256×256 on two CPU cores, so 512×512 is the most a run takes
MAX_INPUT_PIXELS = 256 * 256
YOUR_IMAGE = "your image **{w}×{h}**"
DOWNSCALED = "downscaled for the model to **{w}×{h}**"
UPSCALED = "upscaled ×{scale} to **{w}×{h}**"
CROPPED = ("✂️ The model's output was {pw}×{ph} (the processor pads the input): the padding was cropped off, "
           "to {w}×{h}. transformers 4.57.6's pipeline(\"image-to-image\") kept it: untick crop_padding for "
           "that image.")
KEPT = ("🧩 The padding is kept, as transformers 4.57.6's pipeline(\"image-to-image\") returned it: "
        "{pw}×{ph} instead of {w}×{h}.")


def batch(bundle, inputs_list: list[dict], params: dict) -> list[Output]:
    """run's result per request. Images the processor makes the same size go through the model together; other
    sizes run apart: padding an image up to another's size would change its reconstruction (the convolutions
    and attention windows would see the padding)."""
    import torch

    model, processor = bundle.model, bundle.processor
    decoded = [decode(inputs, max_pixels=params["max_input_pixels"])[1] for inputs in inputs_list]
    encoded = [processor(images=image, return_tensors="pt") for image in decoded]
    results: list = [None] * len(inputs_list)
    for members, pixel_values in stacked_by_size(encoded, model.device, model.dtype):
        with torch.no_grad():
            reconstruction = model(pixel_values=pixel_values).reconstruction
        for row, i in enumerate(members):
            results[i] = upscaled_output(model, decoded[i], reconstruction[row:row + 1], pixel_values, params)
    return results


def run(bundle, inputs: dict, params: dict) -> Output:
    """{"original_size", "input_size" (what the model got), "scale", "output_size", "image": PNG data URI};
    notes: the padding cropped or kept; facts: the model's input and the upscaled image."""
    return batch(bundle, [inputs], params)[0]


def upscaled_output(model, image, reconstruction, pixel_values, params: dict) -> Output:
    """run's Output for one image from its reconstruction (1, 3, H, W)."""
    import numpy as np
    from PIL import Image

    scale = getattr(model.config, "upscale", None) or reconstruction.shape[-1] // pixel_values.shape[-1]
    pixels = reconstruction[0].float().clamp(0, 1).cpu().numpy()
    padded_h, padded_w = pixels.shape[1:]
    width, height = image.width * scale, image.height * scale
    if params["crop_padding"]:
        pixels = pixels[:, :height, :width]
    upscaled = Image.fromarray((np.moveaxis(pixels, 0, -1) * 255).round().astype(np.uint8))
    value = {"original_size": list(image.info["original_size"]), "input_size": list(image.size),
             "scale": int(scale), "output_size": list(upscaled.size), "image": images.to_data_uri(upscaled)}
    notes = ()
    if (padded_w, padded_h) != (width, height):
        notes = (note(CROPPED if params["crop_padding"] else KEPT, pw=padded_w, ph=padded_h, w=width, h=height),)
    return Output(value, notes=notes, facts={"input": image, "upscaled": upscaled})


def code(ref, inputs: dict, params: dict, place) -> str:
    if params["crop_padding"]:
        crop = ["pixels = pixels[:, : image.height * scale, : image.width * scale]  # drop the padding"]
        what = ("With crop_padding (the app's default) the processor's padding is cropped off;\n"
                "4.57.6 kept it (crop_padding=False gives its image pixel for pixel).")
    else:
        crop = ["# the padding is kept, as 4.57.6's pipeline returned it"]
        what = "This matches transformers 4.57.6's image-to-image pipeline pixel for pixel (padding kept)."
    return autoclass_snippet(
        ref, place, inputs["image"], max_pixels=params["max_input_pixels"],
        note='transformers 4.x: pipeline("image-to-image", model=...); 5.x removed that task (KeyError),\n'
             f"so this is the AutoClass code the app runs. {what}",
        imports=("import numpy as np", "import torch", "from PIL import Image",
                 "from transformers import AutoImageProcessor, AutoModelForImageToImage"),
        load=[from_pretrained("AutoImageProcessor", ref, var="processor"),
              from_pretrained("AutoModelForImageToImage", ref, place), ""],
        body=["inputs = processor(images=image, return_tensors='pt').to(model.device, model.dtype)",
              "with torch.no_grad():",
              "    outputs = model(**inputs)",
              "scale = model.config.upscale",
              "pixels = outputs.reconstruction[0].float().clamp(0, 1).cpu().numpy()  # (3, H, W), padded",
              *crop,
              "upscaled = Image.fromarray((np.moveaxis(pixels, 0, -1) * 255).round().astype(np.uint8))",
              "upscaled.save('upscaled.png')",
              "print(image.size, '->', upscaled.size)"])


def sizes_line(output: dict) -> str:
    """your image W×H → (downscaled to w×h →) upscaled ×s to W'×H', in the browser's language."""
    (ow, oh), (iw, ih), (uw, uh) = output["original_size"], output["input_size"], output["output_size"]
    steps = [say(YOUR_IMAGE, w=ow, h=oh)]
    if (ow, oh) != (iw, ih):
        steps.append(say(DOWNSCALED, w=iw, h=ih))
    steps.append(say(UPSCALED, scale=output["scale"], w=uw, h=uh))
    return " → ".join(steps)


def build(ctx) -> None:
    """Photo, picker and the input limit on the left; bicubic vs model slider, the result and sizes on the right."""
    import gradio as gr
    from PIL import Image

    from core.ui import examples, model_picker, result_panels, widget, wire

    tr = ctx.tr
    api = TASK.api_name
    with gr.Row():
        with gr.Column(scale=2):
            fields = {"image": widget(ctx, TASK, "image")}
            model = model_picker(ctx, TASK)
            fields["max_input_pixels"] = widget(ctx, TASK, "max_input_pixels")
            fields["crop_padding"] = widget(ctx, TASK, "crop_padding")
            run_button = gr.Button(tr("Run"), variant="primary", elem_id=f"{api}_run")
            gr.Markdown(tr("transformers 5 removed `pipeline(\"image-to-image\")`: this tab runs "
                           "AutoModelForImageToImage, as the code below shows."))
            examples(ctx, example_rows(["lion"], ["chelsea"], ["bus"]), [fields["image"]])
        with gr.Column(scale=3):
            compare = gr.ImageSlider(label=tr("Bicubic (left) vs model (right)"), type="pil", format="png",
                                     elem_id=f"{api}_compare")
            upscaled = gr.Image(label=tr("Upscaled image"), type="pil", format="png", interactive=False, height=300,
                                elem_id=f"{api}_result")
            sizes = gr.Markdown(elem_id=f"{api}_sizes")
    panels = result_panels(ctx, TASK)

    def render(result) -> dict:
        made = result.facts["upscaled"]
        bicubic = result.facts["input"].resize(made.size, Image.Resampling.BICUBIC)
        return {compare: (bicubic, made), upscaled: made, sizes: sizes_line(result.output)}

    wire(ctx, TASK, run_button.click, fields, model, render, panels, [compare, upscaled, sizes])


TASK = TaskSpec(
    id="image-to-image",
    title="Super-resolution (image-to-image)",
    loader=Loader.auto("AutoModelForImageToImage", "AutoImageProcessor"),
    default_model="caidas/swin2SR-classical-sr-x2-64",
    models=("caidas/swin2SR-classical-sr-x4-64", "caidas/swin2SR-lightweight-x2-64",
            "caidas/swin2SR-realworld-sr-x4-64-bsrgan-psnr"),
    run=run,
    batch=batch,
    code=code,
    inputs=(image_field(),),
    params=(Int("max_input_pixels", MAX_INPUT_PIXELS, 1024, 512 * 512, step=1, label="max_input_pixels",
                help="Larger inputs are downscaled first: Swin2SR is slow on a CPU",
                widget=(("component", "number"),)),
            Bool("crop_padding", True, label="Crop the padding (4.x kept it)",
                 help="The processor pads the input; on: the output is exactly input × scale; off: the padded "
                      "reconstruction, as transformers 4.57.6's pipeline returned it")),
    architectures=("ForImageSuperResolution",),
    description="A larger, sharper image (Swin2SR ×2 / ×4), next to a plain bicubic enlargement.",
    build=build,
)
