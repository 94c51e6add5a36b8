"""Image captioning (image-to-text): a sentence about a picture, optionally continuing a prompt.

transformers 5 routes `pipeline("image-to-text")` to the image-text-to-text pipeline, which requires a
`text` argument: "" captions from scratch, a prompt such as "a picture of" is continued (BLIP). The app calls
image-text-to-text directly and shows that call; the model (BLIP) is loaded once for both multimodal tasks.
"""

from __future__ import annotations

import gradio as gr

from core.codegen import call_args, place_kwargs, source_kwargs
from core.registry import Loader, TaskSpec
from core.ui import Context, examples, model_picker, result_panels, wire
from demos.multimodal.common import int_param, picture, rows_with_files
from demos.vision.common import autoclass_snippet, image_input, model_image

PARAMS = {"max_new_tokens": 30}
NOTE = ('transformers 5 sends pipeline("image-to-text") to "image-text-to-text", which needs text=:\n'
        '"" captions from scratch, a prompt such as "a picture of" is continued.')


def caption_call(inputs: dict, params: dict) -> tuple[str, dict]:
    """(prompt, keyword arguments) of the pipeline call."""
    prompt = str(inputs.get("text") or "").strip()
    return prompt, {"max_new_tokens": int_param(params, "max_new_tokens", PARAMS["max_new_tokens"], 1, 512)}


def run_image_to_text(pipe, inputs: dict, params: dict) -> list[dict]:
    """[{"input_text": prompt, "generated_text": caption (starting with the prompt)}]"""
    prompt, kwargs = caption_call(inputs, params)
    return pipe(images=model_image(inputs), text=prompt, **kwargs)


def code_image_to_text(ref, inputs: dict, params: dict, place) -> str:
    prompt, kwargs = caption_call(inputs, params)
    load = call_args("image-text-to-text", model=ref.source, **source_kwargs(ref), **place_kwargs(place))
    return autoclass_snippet(
        ref, place, inputs.get("image"), imports=("from transformers import pipeline",),
        load=[f"pipe = pipeline({load})"],
        body=[f"result = pipe(images=image, {call_args(text=prompt, **kwargs)})", "print(result)"],
        note=NOTE,
    )


CAPTIONING = TaskSpec(
    id="image-to-text",
    title="Image captioning",
    loader=Loader.pipeline("image-text-to-text"),
    default_model="Salesforce/blip-image-captioning-base",
    models=("Salesforce/blip-image-captioning-large",),
    run=run_image_to_text,
    code=code_image_to_text,
    inputs=("image", "text"),
    file_inputs=("image",),
    params=dict(PARAMS),
    architectures=("BlipForConditionalGeneration", "Blip2ForConditionalGeneration"),
    description="A caption for a picture (5.x runs it through the image-text-to-text pipeline).",
)


def render_caption(components: dict):
    def render(output: list[dict], inputs: dict, params: dict) -> dict:
        generated = output[0]["generated_text"] if output else ""
        prompt = str(inputs.get("text") or "").strip()
        if prompt and generated.startswith(prompt):
            spans = [(prompt, None), (generated[len(prompt):], "caption")]
        else:
            spans = [(generated, "caption")]
        return {components["caption"]: [s for s in spans if s[0]]}

    return render


def build_captioning(ctx: Context) -> None:
    task = CAPTIONING
    tr = ctx.tr
    with gr.Row():
        with gr.Column(scale=3):
            image = image_input(ctx, task)
            prompt = gr.Textbox(label=tr("Text prompt (optional)"), lines=1, elem_id="image_to_text_prompt",
                                placeholder=tr("e.g. a picture of"),
                                info=tr("Empty: a caption from scratch; otherwise the model continues your words"))
            model = model_picker(ctx, task)
            max_new_tokens = gr.Slider(1, 100, value=PARAMS["max_new_tokens"], step=1, label="max_new_tokens",
                                       info=tr("Tokens to generate at most"))
            run = gr.Button(tr("Run"), variant="primary", elem_id="image_to_text_run")
            examples(
                ctx,
                rows_with_files(
                    [picture("chelsea"), ""],
                    [picture("astronaut"), "a picture of"],
                    [picture("text.png"), ""],
                    [picture("cheetah"), "a photography of"],
                ),
                [image, prompt],
            )
        with gr.Column(scale=2):
            caption = gr.HighlightedText(label=tr("Caption"), elem_id="image_to_text_caption",
                                         color_map={"caption": "green"}, show_legend=False)
    panels = result_panels(ctx, task)
    wire(ctx, task, run.click, {"image": image, "text": prompt, "max_new_tokens": max_new_tokens}, model,
         render_caption({"caption": caption}), panels, [caption], triggers=[prompt.submit])


TASKS = ((CAPTIONING, build_captioning),)

KOREAN = {
    "Image captioning": "이미지 캡셔닝",
    "Text prompt (optional)": "텍스트 프롬프트 (선택)",
    "e.g. a picture of": "예: a picture of",
    "Empty: a caption from scratch; otherwise the model continues your words":
        "비우면 처음부터 캡션을 만들고, 쓰면 모델이 그 말을 이어 씁니다",
    "Caption": "캡션",
}
