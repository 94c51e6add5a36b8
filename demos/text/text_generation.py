"""text-generation: continue a prompt (GPT-2), or answer it with a chat model. Chat models (a tokenizer with
a chat template, e.g. SmolLM2-Instruct) get a conversation rendered by their chat template and answer it.

`run` is the text-generation pipeline call; `stream` makes the same call in a thread with a
TextIteratorStreamer (core.streaming) and yields the text as it grows, ending with the pipeline's own output,
so the final JSON is exactly what the shown code prints ([{"generated_text": ...}]). Several prompts (one per
line) run as one batched call; tokenizers without a pad token (GPT-2) get eos as pad so batch_size > 1 works.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from core.codegen import call_args, place_kwargs, py, source_kwargs
from core.i18n import note
from core.params import Bool, Lines, Text
from core.registry import Loader, Output, TaskSpec
from demos.text.generation_fields import empty_generation_note, generation_fields, generation_kwargs


# ---- the call --------------------------------------------------------------------------------------------
def conversation(prompt: str, system_prompt: str) -> list[dict]:
    """The chat for one prompt: an optional system message, then the user's."""
    system = [{"role": "system", "content": system_prompt}] if system_prompt else []
    return [*system, {"role": "user", "content": prompt}]


def uses_chat(has_template: bool, params: dict) -> bool:
    """Chat mode: the model has a chat template and the user did not turn it off."""
    return has_template and params["use_chat_template"]


def generation_call(chat: bool, inputs: dict, params: dict) -> tuple[Any, dict]:
    """(pipeline input, keyword arguments): a prompt, a chat, or a list of them (one per line).

    chat: whether to send conversations (see uses_chat)."""
    prompts = inputs["text"]
    system_prompt = inputs["system_prompt"].strip()
    items: list = [conversation(p, system_prompt) for p in prompts] if chat else prompts
    kwargs = generation_kwargs(params)
    if len(items) > 1:
        kwargs["batch_size"] = params["batch_size"]
    # a prompt longer than the model's context (tokenizer.model_max_length) loses its beginning, leaving room
    # for max_new_tokens, instead of failing with "index out of range"
    kwargs["handle_long_generation"] = "hole"
    return (items[0] if len(items) == 1 else items), kwargs


def is_chat_pipe(pipe) -> bool:
    return bool(getattr(pipe.tokenizer, "chat_template", None))


def _prepare(pipe, params: dict, kwargs: dict) -> None:
    """Pad token for batches (GPT-2 has none) and the seed for sampling, as the shown code does."""
    from transformers import set_seed

    if kwargs.get("batch_size", 1) > 1 and pipe.tokenizer.pad_token is None:
        pipe.tokenizer.pad_token = pipe.tokenizer.eos_token
    if kwargs.get("do_sample"):
        set_seed(params["seed"])


def run(pipe, inputs: dict, params: dict) -> Output:
    """The pipeline's output: [{"generated_text": str | chat}] per sequence; a list of those per line."""
    items, kwargs = generation_call(uses_chat(is_chat_pipe(pipe), params), inputs, params)
    _prepare(pipe, params, kwargs)
    output = pipe(items, **kwargs)
    return Output(output, notes=notes_for(output, inputs, params) + empty_notes(pipe, items, kwargs, params, output))


def streams(items: Any, kwargs: dict) -> bool:
    """Whether the run can stream: one prompt (or chat) and one sequence (TextIteratorStreamer takes one)."""
    single = isinstance(items, str) or (bool(items) and isinstance(items[0], dict))
    return single and kwargs.get("num_return_sequences", 1) == 1


def stream(pipe, inputs: dict, params: dict) -> Iterator[Output]:
    """Yield the output as it grows (same shape as the pipeline's), then the pipeline's own output.

    Several prompts or sequences fall back to one non-streamed result.
    """
    from core.streaming import stream_generation

    items, kwargs = generation_call(uses_chat(is_chat_pipe(pipe), params), inputs, params)
    if not streams(items, kwargs):
        yield run(pipe, inputs, params)
        return
    _prepare(pipe, params, kwargs)
    for output in stream_generation(pipe.tokenizer, lambda extra: pipe(items, **extra, **kwargs),
                                    lambda text: [{"generated_text": _partial(items, text)}],
                                    "text-generation-stream"):
        # only the pipeline's own final output can be empty: partial texts are yielded when a piece arrives
        yield Output(output, notes=notes_for(output, inputs, params) + empty_notes(pipe, items, kwargs, params, output))


def _partial(item: str | list[dict], text: str) -> str | list[dict]:
    """What the pipeline would return if generation ended after `text`."""
    if isinstance(item, str):
        return item + text
    return [*item, {"role": "assistant", "content": text}]


# ---- the notes -------------------------------------------------------------------------------------------
CHAT_NOTE = ("💬 Chat model: the prompt went in as a conversation through the model's chat template; shown is the "
             "assistant's reply (the raw output has the whole conversation).")
SYSTEM_UNUSED_NOTE = "ℹ️ The system prompt was not used: only chat models (with a chat template) take one."
EMPTY_SOME = ("∅ No text (or only spaces) for prompt(s) {prompts}: the model ended them at once or generated only "
              "special tokens; run one of them alone to see which.")
NO_STREAM_NOTE = ("⏳ Several prompts or num_return_sequences > 1: no streaming, every text appears when generation "
                  "ends (streaming follows one text at a time).")


def results_of(output: list) -> list[list[dict]]:
    """Per prompt, its sequences (the pipeline returns a flat list for a single prompt)."""
    if output and isinstance(output[0], dict):
        return [output]
    return list(output)


def notes_for(output: list, inputs: dict, params: dict) -> tuple:
    """Chat mode (or an unused system prompt), and no streaming for several texts."""
    chat = any(isinstance(seq.get("generated_text"), list) for res in results_of(output) for seq in res)
    notes = []
    if chat:
        notes.append(note(CHAT_NOTE))
    elif inputs["system_prompt"].strip():
        notes.append(note(SYSTEM_UNUSED_NOTE))
    if len(inputs["text"]) > 1 or params["num_return_sequences"] > 1:
        notes.append(note(NO_STREAM_NOTE))
    return tuple(notes)


def new_token_ids(pipe, item: Any, kwargs: dict, params: dict) -> list[int]:
    """The ids one prompt (or chat) generated after its prompt: the same call again with return_tensors=True
    (and the same seed), minus the prompt as the pipeline's own preprocessing encodes it."""
    from transformers.utils.chat_template_utils import Chat

    preprocess_params, _, _ = pipe._sanitize_parameters(**kwargs)
    # the pipeline wraps a conversation in Chat before its preprocessing (a bare list reads as a batch)
    prompt = pipe.preprocess(Chat(item) if isinstance(item, list) else item, **preprocess_params)["input_ids"]
    _prepare(pipe, params, kwargs)
    full = pipe(item, **kwargs, return_tensors=True)[0]["generated_token_ids"]
    return list(full)[prompt.shape[-1]:]


def empty_notes(pipe, items: Any, kwargs: dict, params: dict, output: list) -> tuple:
    """Why a text came out empty or blank: for one prompt the ids it generated say which reason (see
    empty_generation_note); for several, which prompts."""
    empty = [p for p, res in enumerate(results_of(output), start=1)
             if any(not _new_text(seq.get("generated_text", ""), items, p).strip() for seq in res)]
    if not empty:
        return ()
    if len(results_of(output)) > 1 or kwargs.get("num_return_sequences", 1) > 1:
        return (note(EMPTY_SOME, prompts=", ".join(map(str, empty))),)
    eos = pipe.model.generation_config.eos_token_id
    eos_ids = eos if isinstance(eos, list) else [] if eos is None else [eos]
    return (empty_generation_note(pipe.tokenizer, new_token_ids(pipe, items, kwargs, params), eos_ids),)


def _new_text(generated: str | list[dict], items: Any, p: int) -> str:
    """The new part of prompt p's generated_text (the reply of a chat)."""
    if isinstance(generated, list):
        return generated[-1].get("content", "") if generated else ""
    prompt = items if isinstance(items, str) else items[p - 1] if isinstance(items[p - 1], str) else ""
    return generated[len(prompt):] if generated.startswith(prompt) else generated


# ---- the code --------------------------------------------------------------------------------------------
def chat_template_of(ref) -> bool:
    """Whether the model's tokenizer files carry a chat template (read from the local folder or the
    Hugging Face cache; the model was loaded before code is asked for, so the files are there)."""
    names = ("chat_template.jinja", "chat_template.json", "tokenizer_config.json")
    if ref.local:
        paths = [Path(ref.source) / n for n in names]
    else:
        from huggingface_hub import try_to_load_from_cache

        found = [try_to_load_from_cache(ref.source, n, revision=ref.revision) for n in names]
        paths = [Path(p) for p in found if isinstance(p, str)]
    for path in paths:
        if not path.is_file():
            continue
        if path.name != "tokenizer_config.json":
            return True
        try:
            if json.loads(path.read_text(encoding="utf-8")).get("chat_template"):
                return True
        except (OSError, ValueError):
            continue
    return False


def code(ref, inputs: dict, params: dict, place) -> str:
    chat = uses_chat(chat_template_of(ref), params)
    items, kwargs = generation_call(chat, inputs, params)
    single = isinstance(items, str) or (chat and isinstance(items[0], dict))
    imports = "from transformers import pipeline, set_seed" if kwargs.get("do_sample") else \
        "from transformers import pipeline"
    load = call_args("text-generation", model=ref.source, **source_kwargs(ref), **place_kwargs(place))
    lines = [imports, "", f"pipe = pipeline({load})"]
    if kwargs.get("batch_size", 1) > 1:
        lines += [
            "# Batching pads prompts to one length: GPT-2 and many other models have no pad token, and",
            '# without one the pipeline raises "Pipeline with tokenizer without pad_token cannot do batching".',
            "# End-of-text works as pad (decoder-only models pad on the left; the pipeline sets that).",
            "if pipe.tokenizer.pad_token is None:",
            "    pipe.tokenizer.pad_token = pipe.tokenizer.eos_token",
        ]
    if chat:
        lines.append("# a chat model: the pipeline renders the conversation with the model's chat template")
    name = ("messages" if chat else "prompt") if single else ("chats" if chat else "prompts")
    lines.append(f"{name} = {py(items)}")
    if kwargs.get("do_sample"):
        lines.append(f"set_seed({params['seed']})  # sampling is random: the seed makes it repeatable")
    lines.append('# handle_long_generation="hole": a prompt longer than the context loses its beginning, not the run')
    lines.append(f"result = pipe({name}{', ' if kwargs else ''}{call_args(**kwargs)})")
    lines.append("print(result)")
    if chat:
        first = "result[0]" if single else "result[0][0]"
        lines.append(f'# the assistant\'s reply: {first}["generated_text"][-1]["content"]')
    return "\n".join(lines) + "\n"


# ---- the sub-tab -----------------------------------------------------------------------------------------
def _split(generated: str | list[dict], prompt: str) -> tuple[str, str, bool]:
    """(shown prompt, new text, chat?) of one generated_text."""
    if isinstance(generated, list):
        return prompt, generated[-1].get("content", "") if generated else "", True
    if generated.startswith(prompt):
        return prompt, generated[len(prompt):], False
    return "", generated, False


def shown(result) -> tuple[list[tuple[str, str | None]], list[list]]:
    """(highlighted segments of the first text, one table row per prompt and sequence) of a RunResult."""
    rows = []
    first: list[tuple[str, str | None]] = []
    for p, (prompt, sequences) in enumerate(zip(result.inputs["text"], results_of(result.output)), start=1):
        for s, seq in enumerate(sequences, start=1):
            prompt_part, new, chat = _split(seq.get("generated_text", ""), prompt)
            rows.append([p, s, prompt, new])
            if not first:
                first = [(new, "reply")] if chat else [(prompt_part, None), (new, "generated")]
    return [seg for seg in first if seg[0]], rows


def render_text_generation(components: dict):
    """render(result) for the highlighted text ("text") and the table of every output ("table")."""

    def render(result) -> dict:
        import gradio as gr

        segments, rows = shown(result)
        return {components["text"]: segments, components["table"]: gr.update(value=rows, visible=len(rows) > 1)}

    return render


EXAMPLES = [
    ["Three Rings for the Elven-kings under the sky, Seven for the Dwarf-lords in their halls of stone", ""],
    ["What is the capital of France?", "You are a helpful assistant. Answer in one sentence."],
    ["Hugging Face is a community-based open-source platform for machine learning.\n"
     "Nine for Mortal Men, doomed to die, One for the Dark Lord on his dark throne", ""],
    ["트랜스포머 모델을 한 문장으로 설명해 주세요.", "You are a helpful assistant."],
]


def build(ctx) -> None:
    """Prompt, system prompt, model, chat switch and generation controls on the left; the highlighted text
    (streaming in) and a table of every output on the right."""
    import gradio as gr

    from core.ui import examples, model_picker, result_panels, widget, wire
    from demos.text.generation_fields import generation_widgets

    tr = ctx.tr
    with gr.Row():
        with gr.Column(scale=3):
            system_field = TASK.inputs["system_prompt"]
            fields = {
                "text": widget(ctx, TASK, "text", elem_id="text_generation_prompt"),
                "system_prompt": widget(ctx, TASK, "system_prompt", elem_id="text_generation_system",
                                        placeholder=tr(system_field.placeholder)),
            }
            model = model_picker(ctx, TASK)
            fields["use_chat_template"] = widget(ctx, TASK, "use_chat_template")
            fields |= generation_widgets(ctx, TASK)
            run_button = gr.Button(tr("Run"), variant="primary", elem_id="text_generation_run")
            examples(ctx, EXAMPLES, [fields["text"], fields["system_prompt"]])
        with gr.Column(scale=2):
            generated = gr.HighlightedText(label=tr("Generated text"), elem_id="text_generation_output",
                                           show_legend=True, show_inline_category=False)
            table = gr.Dataframe(headers=["#", "seq", "prompt", "generated"], label=tr("All outputs"),
                                 column_widths=["7%", "8%", "35%", "50%"], visible=False, interactive=False,
                                 wrap=True, elem_id="text_generation_table")
    panels = result_panels(ctx, TASK)
    render = render_text_generation({"text": generated, "table": table})
    wire(ctx, TASK, run_button.click, fields, model, render, panels, [generated, table])


TASK = TaskSpec(
    id="text-generation",
    title="Text generation",
    loader=Loader.pipeline("text-generation"),
    default_model="openai-community/gpt2",
    models=("distilbert/distilgpt2", "HuggingFaceTB/SmolLM2-135M-Instruct", "HuggingFaceTB/SmolLM2-360M-Instruct",
            "Qwen/Qwen2.5-0.5B-Instruct"),
    run=run,
    code=code,
    stream=stream,
    inputs=(
        Lines("text", label="Prompt", required=True, lines=4, max_items=32, max_chars=20_000, aliases=("text_inputs",),
              help="One prompt per line runs them as one batch; a prompt longer than the model's context loses "
                   "its beginning"),
        Text("system_prompt", label="System prompt (chat models)", max_chars=4000,
             placeholder="e.g. You are a helpful assistant. Answer in one sentence."),
    ),
    params=(
        Bool("use_chat_template", True, label="Use the chat template (chat models)",
             help="Off: a chat model continues the raw prompt like GPT-2 does"),
        *generation_fields("max_new_tokens", "num_return_sequences", "repetition_penalty", "batch_size", "do_sample",
                           "temperature", "top_k", "top_p", "seed"),
    ),
    architectures=("ForCausalLM", "LMHeadModel"),
    description="Continue a prompt, or answer it with a chat model; the text streams in as it is generated.",
    build=build,
)
