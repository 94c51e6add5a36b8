"""Text generation, streamed token by token: plain language models (GPT-2) continue a prompt; chat models
(SmolLM2-Instruct) get a conversation rendered by their chat template and answer it.

`run` is the text-generation pipeline call; `stream` makes the same call in a thread with a
TextIteratorStreamer and yields the text as it grows, ending with the pipeline's own output, so the
final JSON is exactly what the shown code prints ([{"generated_text": ...}]). Several prompts (one per
line) run as one batched call; tokenizers without a pad token (GPT-2) get eos as pad so batch_size > 1 works.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from core.codegen import call_args, place_kwargs, py, source_kwargs
from core.i18n import say
from core.registry import Loader, TaskSpec
from core.streaming import stream_generation
from core.ui import Context, examples, model_picker, result_panels, wire
from demos.text.common import GENERATION_KOREAN, batch_size_of, generation_controls, generation_kwargs, lines_of

PARAMS = {
    "use_chat_template": True,
    "max_new_tokens": 64, "num_return_sequences": 1, "repetition_penalty": 1.0, "batch_size": 1,
    "do_sample": False, "temperature": 0.7, "top_k": 50, "top_p": 0.95, "seed": 42,
}


# ---- the call --------------------------------------------------------------------------------------------
def conversation(prompt: str, system_prompt: str) -> list[dict]:
    """The chat for one prompt: an optional system message, then the user's."""
    system = [{"role": "system", "content": system_prompt}] if system_prompt else []
    return [*system, {"role": "user", "content": prompt}]


def uses_chat(has_template: bool, params: dict) -> bool:
    """Chat mode: the model has a chat template and the user did not turn it off."""
    return has_template and bool(params.get("use_chat_template", True))


def generation_call(chat: bool, inputs: dict, params: dict) -> tuple[Any, dict]:
    """(pipeline input, keyword arguments): a prompt, a chat, or a list of them (one per line).

    chat: whether to send conversations (see uses_chat)."""
    prompts = lines_of(inputs.get("text"), what="Prompt")
    system_prompt = (inputs.get("system_prompt") or "").strip()
    items: list = [conversation(p, system_prompt) for p in prompts] if chat else prompts
    kwargs = generation_kwargs(params)
    if len(items) > 1:
        kwargs["batch_size"] = batch_size_of(params)
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
        set_seed(int(params.get("seed") or 0))


def run_text_generation(pipe, inputs: dict, params: dict) -> list:
    """The pipeline's output: [{"generated_text": str | chat}] per sequence; a list of those per line."""
    items, kwargs = generation_call(uses_chat(is_chat_pipe(pipe), params), inputs, params)
    _prepare(pipe, params, kwargs)
    return pipe(items, **kwargs)


def streams(items: Any, kwargs: dict) -> bool:
    """Whether the run can stream: one prompt (or chat) and one sequence (TextIteratorStreamer takes one)."""
    single = isinstance(items, str) or (bool(items) and isinstance(items[0], dict))
    return single and kwargs.get("num_return_sequences", 1) == 1


def stream_text_generation(pipe, inputs: dict, params: dict) -> Iterator[list]:
    """Yield the output as it grows (same shape as the pipeline's), then the pipeline's own output.

    Several prompts or sequences fall back to one non-streamed result.
    """
    items, kwargs = generation_call(uses_chat(is_chat_pipe(pipe), params), inputs, params)
    if not streams(items, kwargs):
        yield run_text_generation(pipe, inputs, params)
        return
    _prepare(pipe, params, kwargs)
    yield from stream_generation(pipe.tokenizer, lambda extra: pipe(items, **extra, **kwargs),
                                 lambda text: [{"generated_text": _partial(items, text)}], "text-generation-stream")


def _partial(item: str | list[dict], text: str) -> str | list[dict]:
    """What the pipeline would return if generation ended after `text`."""
    if isinstance(item, str):
        return item + text
    return [*item, {"role": "assistant", "content": text}]


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


def code_text_generation(ref, inputs: dict, params: dict, place) -> str:
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
        lines.append(f"set_seed({int(params.get('seed') or 0)})  # sampling is random: the seed makes it repeatable")
    lines.append('# handle_long_generation="hole": a prompt longer than the context loses its beginning, not the run')
    lines.append(f"result = pipe({name}{', ' if kwargs else ''}{call_args(**kwargs)})")
    lines.append("print(result)")
    if chat:
        first = "result[0]" if single else "result[0][0]"
        lines.append(f'# the assistant\'s reply: {first}["generated_text"][-1]["content"]')
    return "\n".join(lines) + "\n"


TEXT_GENERATION = TaskSpec(
    id="text-generation",
    title="Text generation",
    loader=Loader.pipeline("text-generation"),
    default_model="openai-community/gpt2",
    models=("distilbert/distilgpt2", "HuggingFaceTB/SmolLM2-135M-Instruct", "HuggingFaceTB/SmolLM2-360M-Instruct",
            "Qwen/Qwen2.5-0.5B-Instruct"),
    run=run_text_generation,
    code=code_text_generation,
    stream=stream_text_generation,
    inputs=("text", "system_prompt"),
    params=dict(PARAMS),
    architectures=("ForCausalLM", "LMHeadModel"),
    description="Continue a prompt, or answer it with a chat model; the text streams in as it is generated.",
)


# ---- the sub-tab -----------------------------------------------------------------------------------------
def _results(output: list) -> list[list[dict]]:
    """Per prompt, its sequences (the pipeline returns a flat list for a single prompt)."""
    if output and isinstance(output[0], dict):
        return [output]
    return list(output)


def _split(generated: str | list[dict], prompt: str) -> tuple[str, str, bool]:
    """(shown prompt, new text, chat?) of one generated_text."""
    if isinstance(generated, list):
        return prompt, generated[-1].get("content", "") if generated else "", True
    if generated.startswith(prompt):
        return prompt, generated[len(prompt):], False
    return "", generated, False


CHAT_NOTE = ("💬 Chat model: the prompt went in as a conversation through the model's chat template; shown is the "
             "assistant's reply (the raw output has the whole conversation).")
SYSTEM_UNUSED_NOTE = "ℹ️ The system prompt was not used: only chat models (with a chat template) take one."
NO_STREAM_NOTE = ("⏳ Several prompts or num_return_sequences > 1: no streaming, every text appears when generation "
                  "ends (streaming follows one text at a time).")


def notes_for(output: list, inputs: dict, params: dict) -> list[str]:
    chat = any(isinstance(seq.get("generated_text"), list) for res in _results(output) for seq in res)
    notes = []
    if chat:
        notes.append(say(CHAT_NOTE))
    elif (inputs.get("system_prompt") or "").strip():
        notes.append(say(SYSTEM_UNUSED_NOTE))
    several = len(lines_of(inputs.get("text"), what="Prompt")) > 1
    if several or int(params.get("num_return_sequences") or 1) > 1:
        notes.append(say(NO_STREAM_NOTE))
    return notes


def render_text_generation(components: dict):
    def render(output: list, inputs: dict, params: dict) -> dict:
        prompts = lines_of(inputs.get("text"), what="Prompt")
        rows = []
        first: list[tuple[str, str | None]] = []
        for p, (prompt, sequences) in enumerate(zip(prompts, _results(output)), start=1):
            for s, seq in enumerate(sequences, start=1):
                shown, new, chat = _split(seq.get("generated_text", ""), prompt)
                rows.append([p, s, prompt, new])
                if not first:
                    first = [(new, "reply")] if chat else [(shown, None), (new, "generated")]
        notes = notes_for(output, inputs, params)
        return {
            components["text"]: [seg for seg in first if seg[0]],
            components["note"]: gr.update(value="\n\n".join(notes), visible=bool(notes)),
            components["table"]: gr.update(value=rows, visible=len(rows) > 1),
        }

    return render


def build_text_generation(ctx: Context) -> None:
    task = TEXT_GENERATION
    tr = ctx.tr
    with gr.Row():
        with gr.Column(scale=3):
            text = gr.Textbox(label=tr("Prompt"), lines=4, elem_id="text_generation_prompt",
                              info=tr("One prompt per line runs them as one batch; a prompt longer than the "
                                      "model's context loses its beginning"))
            system = gr.Textbox(label=tr("System prompt (chat models)"), lines=1, elem_id="text_generation_system",
                                placeholder=tr("e.g. You are a helpful assistant. Answer in one sentence."))
            model = model_picker(ctx, task)
            chat = gr.Checkbox(value=True, label=tr("Use the chat template (chat models)"),
                               info=tr("Off: a chat model continues the raw prompt like GPT-2 does"))
            controls = generation_controls(ctx, {k: v for k, v in PARAMS.items() if k != "use_chat_template"})
            run = gr.Button(tr("Run"), variant="primary", elem_id="text_generation_run")
            examples(
                ctx,
                [
                    ["Three Rings for the Elven-kings under the sky, Seven for the Dwarf-lords in their halls of stone",
                     ""],
                    ["What is the capital of France?", "You are a helpful assistant. Answer in one sentence."],
                    ["Hugging Face is a community-based open-source platform for machine learning.\n"
                     "Nine for Mortal Men, doomed to die, One for the Dark Lord on his dark throne", ""],
                    ["트랜스포머 모델을 한 문장으로 설명해 주세요.", "You are a helpful assistant."],
                ],
                [text, system],
            )
        with gr.Column(scale=2):
            generated = gr.HighlightedText(label=tr("Generated text"), elem_id="text_generation_output",
                                           show_legend=True, show_inline_category=False)
            note = gr.Markdown(visible=False, elem_id="text_generation_note")
            table = gr.Dataframe(headers=["#", "seq", "prompt", "generated"], label=tr("All outputs"),
                                 column_widths=["7%", "8%", "35%", "50%"], visible=False, interactive=False,
                                 wrap=True, elem_id="text_generation_table")
    panels = result_panels(ctx, task)
    components = {"text": generated, "note": note, "table": table}
    fields = {"text": text, "system_prompt": system, "use_chat_template": chat, **controls}
    wire(ctx, task, run.click, fields, model, render_text_generation(components), panels, [generated, note, table])


TASKS = ((TEXT_GENERATION, build_text_generation),)

KOREAN = {
    CHAT_NOTE: "💬 채팅 모델: 프롬프트를 모델의 채팅 템플릿으로 대화 형식으로 넣었습니다. 보이는 것은 어시스턴트의 답이고, "
               "원본 출력에 대화 전체가 있습니다.",
    SYSTEM_UNUSED_NOTE: "ℹ️ 시스템 프롬프트는 쓰이지 않았습니다: 채팅 템플릿이 있는 채팅 모델만 받습니다.",
    NO_STREAM_NOTE: "⏳ 프롬프트가 여러 개이거나 num_return_sequences > 1이면 스트리밍하지 않고, 생성이 끝날 때 모든 텍스트가 "
                    "나타납니다 (스트리밍은 한 번에 텍스트 하나만 따라갑니다).",
    "Text generation": "텍스트 생성",
    "Prompt": "프롬프트",
    "One prompt per line runs them as one batch; a prompt longer than the model's context loses its beginning":
        "한 줄에 프롬프트 하나씩 쓰면 한 번에 배치로 실행합니다; 모델의 문맥 길이보다 긴 프롬프트는 앞부분이 잘립니다",
    "System prompt (chat models)": "시스템 프롬프트 (채팅 모델)",
    "e.g. You are a helpful assistant. Answer in one sentence.": "예: You are a helpful assistant. 한 문장으로 답하세요.",
    "Use the chat template (chat models)": "채팅 템플릿 사용 (채팅 모델)",
    "Off: a chat model continues the raw prompt like GPT-2 does": "끄면 채팅 모델도 GPT-2처럼 프롬프트를 그대로 이어 씁니다",
    "Generated text": "생성된 텍스트",
    "All outputs": "모든 출력",
    **GENERATION_KOREAN,
}
