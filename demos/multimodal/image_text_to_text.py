"""image-text-to-text: a multi-turn chat about images with a small vision-language model (SmolVLM), streamed.

The conversation is a list of messages in transformers' chat format, where a user message holds images
and text: `{"role": "user", "content": [{"type": "image", "image": path}, {"type": "text", "text": "..."}]}`.
The pipeline renders it with the model's chat template (which puts the image tokens in place) and returns
the assistant's reply. `stream` runs the same call in a thread with a TextIteratorStreamer and yields the
reply as it grows, ending with the pipeline's own output, so the final JSON is what the shown code prints.

Inputs: `image` (one more image file: the CLI's INPUT; `images` as the pipeline names it), `message` (text,
or the browser's {"text", "files"}; `text` as the pipeline names it) and `history` (earlier messages: gradio
Chatbot messages or transformers chat messages, or JSON of them). Images are checked from their headers
only: the pipeline decodes them, once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from core import images
from core.codegen import call_args, place_kwargs, py, source_kwargs
from core.errors import UserError
from core.params import Data, File
from core.registry import Loader, TaskSpec
from core.streaming import stream_generation
from demos.multimodal.common import invoice_example, path_of, picture
from demos.text.generation_fields import generation_fields, generation_kwargs

MESSAGE = "Message"
MAX_IMAGES = 8  # images in one conversation (each costs the model hundreds of tokens)
MAX_MESSAGES = 64  # earlier messages in one conversation
MAX_TEXT = 20_000  # characters of text in one conversation


# ---- the conversation ----------------------------------------------------------------------------------
def _image_item(value: Any) -> dict:
    """{"type": "image", "image": path} for an image file; UserError when it is missing or not an image."""
    path = path_of(value)
    if not path:
        raise UserError("bad_file", what="Image", detail=f"expected an image file, got {str(value)[:120]!r}")
    images.check_image(path, "Image")  # a readable image, not too large: a clear error now
    return {"type": "image", "image": path}


def _content(content: Any) -> list[dict]:
    """Message content (a string, one item or a list of items, in gradio's or transformers' format) as
    transformers chat items: {"type": "text", "text"} and {"type": "image", "image": path}."""
    if content is None:
        return []
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content.strip() else []
    if isinstance(content, (list, tuple)):
        return [item for part in content for item in _content(part)]
    if isinstance(content, dict):
        kind = content.get("type")
        if kind == "text":
            return _content(content.get("text"))
        if kind == "image":
            return [_image_item(content.get("image") or content.get("path") or content.get("url"))]
        if kind == "file" or "file" in content:  # gradio's {"type": "file", "file": {"path": ...}}
            return [_image_item(content.get("file"))]
        if "path" in content:
            return [_image_item(content)]
    raise UserError("bad_param", name="history", detail=f"cannot read this message part: {str(content)[:120]}")


def history_of(value: Any) -> list[dict]:
    """Earlier messages as transformers chat messages; consecutive messages of one role are merged (gradio
    shows an image and its text as separate bubbles)."""
    if not value:
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise UserError("bad_param", name="history", detail=f"not valid JSON ({exc})") from None
    if not isinstance(value, list):
        raise UserError("bad_param", name="history", detail="expected a list of {role, content} messages")
    if len(value) > MAX_MESSAGES:
        raise UserError("too_large", what="Conversation", detail=f"{len(value)} messages; at most {MAX_MESSAGES}")
    messages: list[dict] = []
    for message in value:
        if not isinstance(message, dict) or message.get("role") not in ("user", "assistant", "system"):
            raise UserError("bad_param", name="history", detail=f"expected {{role, content}}, got {str(message)[:120]}")
        content = _content(message.get("content"))
        if not content:
            continue
        if messages and messages[-1]["role"] == message["role"]:
            messages[-1]["content"] += content
        else:
            messages.append({"role": message["role"], "content": content})
    return messages


def new_message(inputs: dict) -> dict:
    """The user's new message: the files first (as the chat templates expect images), then the text."""
    message = inputs["message"]
    if isinstance(message, dict):  # gr.MultimodalTextbox: {"text": ..., "files": [...]}
        text, files = message.get("text") or "", list(message.get("files") or [])
    else:
        text, files = str(message or ""), []
    if inputs["image"]:
        files.append(inputs["image"])
    if len(files) > MAX_IMAGES:
        raise UserError("too_large", what=MESSAGE, detail=f"{len(files)} images; at most {MAX_IMAGES}")
    content = [_image_item(f) for f in files] + _content(text)
    if not content:
        raise UserError("empty_input", what=MESSAGE)
    return {"role": "user", "content": content}


def conversation(inputs: dict) -> list[dict]:
    """The earlier messages and the new one, within MAX_IMAGES images and MAX_TEXT characters."""
    messages = history_of(inputs["history"]) + [new_message(inputs)]
    items = [item for m in messages for item in m["content"]]
    count = sum(item["type"] == "image" for item in items)
    if count > MAX_IMAGES:
        raise UserError("too_large", what="Conversation", detail=f"{count} images; at most {MAX_IMAGES}")
    chars = sum(len(item.get("text", "")) for item in items)
    if chars > MAX_TEXT:
        raise UserError("too_large", what="Conversation", detail=f"{chars:,} characters; at most {MAX_TEXT:,}")
    return messages


def call_of(inputs: dict, params: dict) -> tuple[list[dict], dict]:
    """(messages, keyword arguments) of the pipeline call. Sampling options go in generate_kwargs: the
    image-text-to-text pipeline hands its other keyword arguments to the processor."""
    gen = generation_kwargs(params)
    kwargs: dict[str, Any] = {"max_new_tokens": gen.pop("max_new_tokens")}
    if gen.get("do_sample"):
        kwargs["generate_kwargs"] = gen
    kwargs["return_full_text"] = False
    return conversation(inputs), kwargs


def _check_template(pipe) -> None:
    processor = getattr(pipe, "processor", None)
    if not getattr(processor, "chat_template", None) and not getattr(pipe.tokenizer, "chat_template", None):
        raise UserError("wrong_task", model=getattr(pipe.model, "name_or_path", "this model"),
                        task="image-text-to-text (a chat model with a chat template)")


def _prepare(pipe, inputs: dict, params: dict) -> tuple[list[dict], dict]:
    messages, kwargs = call_of(inputs, params)
    _check_template(pipe)
    if params["do_sample"]:
        from transformers import set_seed

        set_seed(params["seed"])
    return messages, kwargs


def run(pipe, inputs: dict, params: dict) -> list[dict]:
    """[{"input_text": the conversation, "generated_text": the assistant's reply}]"""
    messages, kwargs = _prepare(pipe, inputs, params)
    return pipe(text=messages, **kwargs)


def stream(pipe, inputs: dict, params: dict) -> Iterator[list[dict]]:
    """Yield the output as the reply grows (same shape as the pipeline's), then the pipeline's own output."""
    messages, kwargs = _prepare(pipe, inputs, params)

    def generate(extra: dict):
        return pipe(text=messages, **{**kwargs, "generate_kwargs": {**kwargs.get("generate_kwargs", {}), **extra}})

    yield from stream_generation(pipe.tokenizer, generate,
                                 lambda reply: [{"input_text": messages, "generated_text": reply}],
                                 "image-text-to-text-stream")


def code(ref, inputs: dict, params: dict, place) -> str:
    messages, kwargs = call_of(inputs, params)
    sampling = "generate_kwargs" in kwargs
    load = call_args("image-text-to-text", model=ref.source, **source_kwargs(ref), **place_kwargs(place))
    lines = ["from transformers import pipeline, set_seed" if sampling else "from transformers import pipeline", "",
             f"pipe = pipeline({load})",
             "# the chat: images and text in the user's messages; the pipeline renders it with the model's chat template",
             f"messages = {py(messages)}"]
    if sampling:
        lines.append(f"set_seed({params['seed']})  # sampling is random: the seed makes it repeatable")
    lines += [f"result = pipe(text=messages, {call_args(**kwargs)})",
              "print(result)",
              '# the reply: result[0]["generated_text"]; to go on, append it and the next user message:',
              '# messages += [{"role": "assistant", "content": [{"type": "text", "text": reply}]}, {"role": "user", ...}]']
    return "\n".join(lines) + "\n"


# ---- the sub-tab ---------------------------------------------------------------------------------------
def chatbot_messages(messages: list[dict], reply: str | None) -> list[dict]:
    """gr.Chatbot messages for a transformers conversation (images as files), plus the reply."""
    shown = []
    for message in messages:
        content = [{"path": item["image"]} if item["type"] == "image" else {"type": "text", "text": item["text"]}
                   for item in message["content"]]
        shown.append({"role": message["role"], "content": content})
    if reply is not None:
        shown.append({"role": "assistant", "content": reply})
    return shown


EXAMPLES = (("What animal is this?", "chelsea"), ("Describe this image in one sentence.", "astronaut"))


def build(ctx) -> None:
    """The conversation and the message box (with its images) on the left; model and generation settings
    on the right. The image field (the API's and the CLI's extra image) has no widget of its own here."""
    import gradio as gr

    from core.ui import model_picker, result_panels, widget, wire
    from demos.text.generation_fields import generation_widgets

    tr = ctx.tr
    with gr.Row():
        with gr.Column(scale=3):
            chat = gr.Chatbot(label=tr(TASK.inputs["history"].title), elem_id="image_text_to_text_chat", height=460,
                              placeholder=tr("Attach an image with 📎 (or drop it), ask about it, and keep asking."))
            message = gr.MultimodalTextbox(
                label=tr(TASK.inputs["message"].title), elem_id="image_text_to_text_message", file_types=["image"],
                file_count="multiple", sources=["upload"], placeholder=tr("Ask about the image…"),
                max_plain_text_length=MAX_TEXT)
            image = widget(ctx, TASK, "image", visible=False)
            with gr.Row():
                run_button = gr.Button(tr("Run"), variant="primary", elem_id="image_text_to_text_run")
                clear = gr.Button(tr("New conversation"), elem_id="image_text_to_text_clear")
            rows = [[{"text": text, "files": [picture(name)]}] for text, name in EXAMPLES]
            rows.append([{"text": "What is the total amount?", "files": [invoice_example(".png")]}])
            gr.Examples([r for r in rows if all(r[0]["files"])], [message], label=tr("Examples"))
        with gr.Column(scale=2):
            model = model_picker(ctx, TASK)
            controls = generation_widgets(ctx, TASK, per_row=2)
            gr.Markdown(tr("Each turn sends the whole conversation (with its images) through the model's chat "
                           "template; the Code panel shows the messages exactly."))
    panels = result_panels(ctx, TASK)

    def render(result) -> dict:
        first = result.output[0]
        return {chat: chatbot_messages(first["input_text"], first["generated_text"]),
                message: gr.MultimodalTextbox(value=None)}

    fields = {"message": message, "image": image, "history": chat, **controls}
    wire(ctx, TASK, run_button.click, fields, model, render, panels, [chat, message], triggers=[message.submit])
    clear.click(lambda: ([], None), None, [chat, message], api_visibility="private")


TASK = TaskSpec(
    id="image-text-to-text",
    title="Chat about images",
    loader=Loader.pipeline("image-text-to-text"),
    default_model="HuggingFaceTB/SmolVLM-256M-Instruct",
    models=("HuggingFaceTB/SmolVLM-500M-Instruct",),
    run=run,
    code=code,
    stream=stream,
    inputs=(
        File("image", media="image", label="Image", required=False, aliases=("images",)),
        Data("message", label=MESSAGE, max_chars=MAX_TEXT, aliases=("text",),
             help="Text, or {\"text\", \"files\"} as the message box sends it"),
        Data("history", label="Conversation", max_chars=500_000,
             help="Earlier messages: [{\"role\", \"content\"}, ...] (gradio's or transformers' format)"),
    ),
    params=generation_fields("max_new_tokens", "do_sample", "temperature", "top_p", "top_k", "seed", max_new_tokens=128),
    architectures=("LlavaForConditionalGeneration", "Idefics3ForConditionalGeneration",
                   "SmolVLMForConditionalGeneration", "LlavaNextForConditionalGeneration",
                   "Qwen2VLForConditionalGeneration", "Qwen2_5_VLForConditionalGeneration",
                   "PaliGemmaForConditionalGeneration", "Gemma3ForConditionalGeneration"),
    description="Chat with a small vision-language model about the images you attach; the reply streams in.",
    build=build,
)
