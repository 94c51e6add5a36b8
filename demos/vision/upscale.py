"""Image-to-image super-resolution (Swin2SR). transformers 5 removed the "image-to-image" pipeline, so the
app runs (and shows) the AutoClass code: AutoImageProcessor + AutoModelForImageToImage."""

from __future__ import annotations

import gradio as gr
from PIL import Image

from core import images
from core.codegen import from_pretrained
from core.i18n import say
from core.registry import Loader, TaskSpec
from core.ui import Context, examples, model_picker, result_panels, wire
from demos.vision.common import autoclass_snippet, example_rows, image_input, model_image, number

MAX_INPUT_PIXELS = 256 * 256  # Swin2SR attends over every pixel: about 30 s for 256×256 on two CPU cores


def input_limit(params: dict) -> int:
    return int(number(params, "max_input_pixels", MAX_INPUT_PIXELS, 1024, 16_000_000))


def run_image_to_image(bundle, inputs: dict, params: dict) -> dict:
    """{"original_size", "input_size" (what the model got), "scale", "output_size", "image": PNG data URI}."""
    import numpy as np
    import torch

    image = model_image(inputs, max_pixels=input_limit(params))
    model, processor = bundle.model, bundle.processor
    batch = processor(images=image, return_tensors="pt").to(model.device, model.dtype)
    with torch.no_grad():
        outputs = model(**batch)
    reconstruction = outputs.reconstruction
    scale = getattr(model.config, "upscale", None) or reconstruction.shape[-1] // batch["pixel_values"].shape[-1]
    pixels = reconstruction[0].float().clamp(0, 1).cpu().numpy()
    pixels = pixels[:, : image.height * scale, : image.width * scale]  # drop the processor's padding
    upscaled = Image.fromarray((np.moveaxis(pixels, 0, -1) * 255).round().astype(np.uint8))
    return {"original_size": list(image.info["original_size"]), "input_size": list(image.size), "scale": int(scale),
            "output_size": list(upscaled.size), "image": images.to_data_uri(upscaled)}


def code_image_to_image(ref, inputs: dict, params: dict, place) -> str:
    return autoclass_snippet(
        ref, place, inputs.get("image"), max_pixels=input_limit(params),
        note='transformers 4.x: pipeline("image-to-image", model=...); 5.x removed that task (KeyError),\n'
             "so this is the AutoClass code the app runs.",
        imports=("import numpy as np", "import torch", "from PIL import Image",
                 "from transformers import AutoImageProcessor, AutoModelForImageToImage"),
        load=[from_pretrained("AutoImageProcessor", ref, var="processor"),
              from_pretrained("AutoModelForImageToImage", ref, place), ""],
        body=["inputs = processor(images=image, return_tensors='pt').to(model.device, model.dtype)",
              "with torch.no_grad():",
              "    outputs = model(**inputs)",
              "scale = model.config.upscale",
              "pixels = outputs.reconstruction[0].float().clamp(0, 1).cpu().numpy()  # (3, H, W), padded",
              "pixels = pixels[:, : image.height * scale, : image.width * scale]  # drop the padding",
              "upscaled = Image.fromarray((np.moveaxis(pixels, 0, -1) * 255).round().astype(np.uint8))",
              "upscaled.save('upscaled.png')",
              "print(image.size, '->', upscaled.size)"])


IMAGE_TO_IMAGE = TaskSpec(
    id="image-to-image",
    title="Super-resolution (image-to-image)",
    loader=Loader.auto("AutoModelForImageToImage", "AutoImageProcessor"),
    default_model="caidas/swin2SR-classical-sr-x2-64",
    models=("caidas/swin2SR-classical-sr-x4-64", "caidas/swin2SR-lightweight-x2-64",
            "caidas/swin2SR-realworld-sr-x4-64-bsrgan-psnr"),
    run=run_image_to_image,
    code=code_image_to_image,
    inputs=("image",),
    file_inputs=("image",),
    params={"max_input_pixels": MAX_INPUT_PIXELS},
    architectures=("ForImageSuperResolution",),
    description="A larger, sharper image (Swin2SR ×2 / ×4), next to a plain bicubic enlargement.",
)


def build_image_to_image(ctx: Context) -> None:
    task = IMAGE_TO_IMAGE
    tr = ctx.tr
    with gr.Row():
        with gr.Column(scale=2):
            image = image_input(ctx, task)
            model = model_picker(ctx, task)
            limit = gr.Number(value=MAX_INPUT_PIXELS, precision=0, label=tr("max_input_pixels"),
                              info=tr("Larger inputs are downscaled first: Swin2SR is slow on a CPU"))
            run = gr.Button(tr("Run"), variant="primary", elem_id=f"{task.api_name}_run")
            gr.Markdown(tr("transformers 5 removed `pipeline(\"image-to-image\")`: this tab runs "
                           "AutoModelForImageToImage, as the code below shows."))
            examples(ctx, example_rows(["lion"], ["chelsea"], ["bus"]), [image])
        with gr.Column(scale=3):
            compare = gr.ImageSlider(label=tr("Bicubic (left) vs model (right)"), type="pil", format="png",
                                     elem_id=f"{task.api_name}_compare")
            upscaled = gr.Image(label=tr("Upscaled image"), type="pil", format="png", interactive=False, height=300,
                                elem_id=f"{task.api_name}_result")
            sizes = gr.Markdown(elem_id=f"{task.api_name}_sizes")
    panels = result_panels(ctx, task)

    def render(output, inputs, params):
        result = images.from_data_uri(output["image"]).convert("RGB")
        small = model_image(inputs, max_pixels=input_limit(params))
        bicubic = small.resize(result.size, Image.Resampling.BICUBIC)
        (ow, oh), (iw, ih), (uw, uh) = output["original_size"], output["input_size"], output["output_size"]
        steps = [say(YOUR_IMAGE, w=ow, h=oh)]
        if (ow, oh) != (iw, ih):
            steps.append(say(DOWNSCALED, w=iw, h=ih))
        steps.append(say(UPSCALED, scale=output["scale"], w=uw, h=uh))
        return {compare: (bicubic, result), upscaled: result, sizes: " → ".join(steps)}

    wire(ctx, task, run.click, {"image": image, "max_input_pixels": limit}, model, render, panels,
         [compare, upscaled, sizes])


YOUR_IMAGE = "your image **{w}×{h}**"
DOWNSCALED = "downscaled for the model to **{w}×{h}**"
UPSCALED = "upscaled ×{scale} to **{w}×{h}**"

TASKS = ((IMAGE_TO_IMAGE, build_image_to_image),)

KOREAN = {
    "Super-resolution (image-to-image)": "초해상도 (image-to-image)",
    "Larger inputs are downscaled first: Swin2SR is slow on a CPU": "더 큰 입력은 먼저 줄입니다: Swin2SR는 CPU에서 느립니다",
    "Bicubic (left) vs model (right)": "바이큐빅(왼쪽) 대 모델(오른쪽)",
    "Upscaled image": "확대된 이미지",
    'transformers 5 removed `pipeline("image-to-image")`: this tab runs AutoModelForImageToImage, as the code '
    "below shows.": 'transformers 5에서 `pipeline("image-to-image")`가 없어졌습니다: 이 탭은 아래 코드처럼 '
                    "AutoModelForImageToImage를 실행합니다.",
    # notes made when a result is shown (core.i18n.say)
    YOUR_IMAGE: "원본 이미지 **{w}×{h}**",
    DOWNSCALED: "모델에 맞게 **{w}×{h}**로 축소",
    UPSCALED: "×{scale} 확대하여 **{w}×{h}**",
}
