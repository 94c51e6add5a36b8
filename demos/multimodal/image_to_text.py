"""image-to-text: a caption for a picture, optionally continuing a prompt.

transformers 5 routes `pipeline("image-to-text")` to the image-text-to-text pipeline, which requires a
`text` argument: "" captions from scratch, a prompt such as "a picture of" is continued (BLIP). The app calls
image-text-to-text directly and shows that call; the model (BLIP) is loaded once for both multimodal tasks.

The result matches transformers 4.57.6's image-to-text pipeline: the caption is the whole generated sequence
decoded (prompt included, as the tokenizer reads it: "A  Picture of" comes back "a picture of"), where 5.x's
text output would glue the prompt as typed to the new words; max_new_tokens=0 is 4.57.6's default length.
"""

from __future__ import annotations

from core.codegen import call_args, place_kwargs, source_kwargs
from core.params import Int, Text
from core.registry import Loader, TaskSpec
from demos.multimodal.common import autoclass_snippet, image_field, model_image, picture, rows_with_files

NOTE = ('transformers 5 sends pipeline("image-to-text") to "image-text-to-text", which needs text=:\n'
        '"" captions from scratch, a prompt such as "a picture of" is continued.\n'
        "This matches transformers 4.57.6's image-to-text pipeline: the whole sequence decoded, prompt included.")
PIPELINE_NEW_TOKENS = 256  # the image-to-text pipeline's default length in 4.57.6


def length_kwargs(max_new_tokens: int, generation: dict) -> dict:
    """The generation length: max_new_tokens, or for 0 the 4.57.6 pipeline's default from the model's
    generation config (its max_new_tokens; else its max_length unless that is the library's 20; else 256)."""
    if max_new_tokens:
        return {"max_new_tokens": max_new_tokens}
    if generation.get("max_new_tokens"):
        return {"max_new_tokens": generation["max_new_tokens"]}
    if generation.get("max_length") not in (None, 20):
        return {"generate_kwargs": {"max_length": generation["max_length"]}}
    return {"max_new_tokens": PIPELINE_NEW_TOKENS}


def call_of(inputs: dict, params: dict, generation: dict) -> tuple[str, dict]:
    """(prompt, keyword arguments) of the pipeline call."""
    return inputs["text"].strip(), {**length_kwargs(params["max_new_tokens"], generation), "return_tensors": True}


def captions(pipe, images: list, prompts: list[str], kwargs: dict) -> list[list[dict]]:
    """run's result for each (image, prompt): one pipeline call for all of them."""
    many = len(prompts) > 1
    out = pipe(images=images if many else images[0], text=prompts if many else prompts[0], **kwargs)
    return [[{"input_text": o["input_text"],
              "generated_text": pipe.tokenizer.decode(o["generated_token_ids"], skip_special_tokens=True)}]
            for o in out]


def batch(pipe, inputs_list: list[dict], params: dict) -> list[list[dict]]:
    """run's result per request, captioned together. Only prompts of the same length in tokens share a call:
    the pipeline pads a list of prompts on the right and the decoder reads on after the padding, which changes
    the caption. Images share a call when the image processor makes every image one size."""
    from core.batching import fixed_image_size

    generation = pipe.model.generation_config.to_dict() if pipe.model.generation_config is not None else {}
    fixed = fixed_image_size(getattr(pipe, "image_processor", None))
    groups: dict[tuple, list[int]] = {}
    calls = []
    for i, inputs in enumerate(inputs_list):
        prompt, kwargs = call_of(inputs, params, generation)
        image = model_image(inputs["image"])
        calls.append((image, prompt, kwargs))
        key = (len(pipe.tokenizer(prompt)["input_ids"]) if len(inputs_list) > 1 else 0,
               None if fixed else image.size)
        groups.setdefault(key, []).append(i)
    results: list = [None] * len(inputs_list)
    for members in groups.values():
        out = captions(pipe, [calls[i][0] for i in members], [calls[i][1] for i in members], calls[members[0]][2])
        for i, result in zip(members, out):
            results[i] = result
    return results


def run(pipe, inputs: dict, params: dict) -> list[dict]:
    """[{"input_text": prompt, "generated_text": the whole sequence decoded (the prompt as the tokenizer reads
    it, then the caption)}]"""
    return batch(pipe, [inputs], params)[0]


def code(ref, inputs: dict, params: dict, place) -> str:
    from demos.audio.common import model_json

    prompt, kwargs = call_of(inputs, params, model_json(ref, "generation_config.json"))
    load = call_args("image-text-to-text", model=ref.source, **source_kwargs(ref), **place_kwargs(place))
    return autoclass_snippet(
        ref, place, inputs["image"], imports=("from transformers import pipeline",),
        load=[f"pipe = pipeline({load})"],
        body=[f"out = pipe(images=image, {call_args(text=prompt, **kwargs)})",
              "# the whole sequence decoded, as 4.57.6 did (5.x's text output glues your prompt, as typed, to it)",
              'result = [{"input_text": o["input_text"],',
              '           "generated_text": pipe.tokenizer.decode(o["generated_token_ids"], skip_special_tokens=True)}',
              "          for o in out]",
              "print(result)"],
        note=NOTE,
    )


def spans(generated: str, prompt: str) -> list[tuple[str, str | None]]:
    """The caption as highlighted text: the prompt plain, the model's words marked "caption"."""
    prompt = prompt.strip()
    if prompt and generated.lower().startswith(prompt.lower()):
        parts = [(generated[:len(prompt)], None), (generated[len(prompt):], "caption")]
    else:
        parts = [(generated, "caption")]
    return [p for p in parts if p[0]]


EXAMPLES = (("chelsea", ""), ("astronaut", "a picture of"), ("text.png", ""), ("cheetah", "a photography of"))


def build(ctx) -> None:
    """Picture, prompt, model and max_new_tokens on the left; the caption on the right."""
    import gradio as gr

    from core.ui import examples, model_picker, result_panels, widget, wire

    tr = ctx.tr
    with gr.Row():
        with gr.Column(scale=3):
            fields = {"image": widget(ctx, TASK, "image"),
                      "text": widget(ctx, TASK, "text", elem_id="image_to_text_prompt",
                                     placeholder=tr(TASK.inputs["text"].placeholder))}
            model = model_picker(ctx, TASK)
            fields["max_new_tokens"] = widget(ctx, TASK, "max_new_tokens")
            run_button = gr.Button(tr("Run"), variant="primary", elem_id="image_to_text_run")
            examples(ctx, rows_with_files(*([picture(name), prompt] for name, prompt in EXAMPLES)),
                     [fields["image"], fields["text"]])
        with gr.Column(scale=2):
            caption = gr.HighlightedText(label=tr("Caption"), elem_id="image_to_text_caption",
                                         color_map={"caption": "green"}, show_legend=False)
    panels = result_panels(ctx, TASK)

    def render(result) -> dict:
        generated = result.output[0]["generated_text"] if result.output else ""
        return {caption: spans(generated, result.inputs["text"])}

    wire(ctx, TASK, run_button.click, fields, model, render, panels, [caption], triggers=[fields["text"].submit])


TASK = TaskSpec(
    id="image-to-text",
    title="Image captioning",
    loader=Loader.pipeline("image-text-to-text"),
    default_model="Salesforce/blip-image-captioning-base",
    models=("Salesforce/blip-image-captioning-large",),
    run=run,
    batch=batch,
    code=code,
    inputs=(
        image_field(),
        Text("text", label="Text prompt (optional)", max_chars=1000, placeholder="e.g. a picture of",
             aliases=("prompt",), help="Empty: a caption from scratch; otherwise the model continues your words"),
    ),
    params=(Int("max_new_tokens", 0, 0, PIPELINE_NEW_TOKENS, limit="new_tokens",
                help="Tokens to generate at most (0 = as transformers 4.57.6's pipeline: the model's own "
                     "limit, else 256)"),),
    architectures=("BlipForConditionalGeneration", "Blip2ForConditionalGeneration"),
    description="A caption for a picture (5.x runs it through the image-text-to-text pipeline).",
    build=build,
)
