"""chat-template: tokenizer.apply_chat_template: a conversation as the prompt text a chat model really reads,
and its tokens (special ones marked)."""

from __future__ import annotations

from typing import Any

from core.codegen import py
from core.errors import UserError
from core.params import Bool
from core.registry import TaskSpec
from demos.tokenizer.anatomy import Messages, added_ids_of, is_byte_level, needs_readable, readable_pieces
from demos.tokenizer.common import LOADER, load_lines, tokenizer_of

CHAT_DEFAULT = "HuggingFaceTB/SmolLM2-135M-Instruct"
MAX_MESSAGES = 256


def run(loaded, inputs: dict, params: dict) -> dict:
    """apply_chat_template: the prompt text the model really reads, and its tokens (special ones marked)."""
    tokenizer = tokenizer_of(loaded)
    messages, generation = inputs["messages"], params["add_generation_prompt"]
    if not getattr(tokenizer, "chat_template", None):
        raise UserError("no_chat_template", model=getattr(tokenizer, "name_or_path", "") or "This tokenizer")
    try:
        text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=generation)
        ids = tokenizer.apply_chat_template(messages, tokenize=True, add_generation_prompt=generation)["input_ids"]
    except Exception as exc:  # the template itself refuses (e.g. roles must alternate)
        if type(exc).__name__ in ("TemplateError", "TemplateSyntaxError", "UndefinedError"):
            raise UserError("bad_param", name="messages", detail=f"the chat template refused it: {exc}") from None
        raise
    tokens = tokenizer.convert_ids_to_tokens(ids)
    special = set(tokenizer.all_special_ids) | added_ids_of(tokenizer)
    out: dict[str, Any] = {
        "messages": messages,
        "text": text,
        "input_ids": ids,
        "tokens": tokens,
        "special_tokens_mask": [int(i in special) for i in ids],
        "counts": {"characters": len(text), "tokens": len(ids),
                   "content_tokens": sum(len(tokenizer(m["content"], add_special_tokens=False)["input_ids"])
                                         for m in messages)},
    }
    if needs_readable(tokenizer, tokens):
        out["readable"] = readable_pieces(tokens, ids, added_ids_of(tokenizer), is_byte_level(tokenizer))
    return out


def code(ref, inputs: dict, params: dict, place=None) -> str:
    generation = params["add_generation_prompt"]
    lines = load_lines(ref) + [
        f"messages = {py(inputs['messages'])}",
        f"text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt={generation})",
        "print(text)  # the prompt the model really reads",
        f"ids = tokenizer.apply_chat_template(messages, tokenize=True, add_generation_prompt={generation})['input_ids']",
        "print(ids)",
        "print(tokenizer.convert_ids_to_tokens(ids))",
    ]
    return "\n".join(lines) + "\n"


# ---- the sub-tab -------------------------------------------------------------------------------
# texts made when a result is shown, in the browser's language (core.i18n.say; Korean in locales/ko/tokenizer.toml)
CHAT_COUNTS = ("<b>{tokens:,}</b> tokens; the messages alone are {content:,} tokens, the template adds the other "
               "{added:,}")
EXAMPLES = [["system: You are a helpful assistant.\nuser: What is the capital of France?"],
            ["user: 안녕하세요! 토크나이저가 뭐예요?"],
            ["user: Hi!\nassistant: Hello! How can I help?\nuser: Tell me a joke."]]


def build(ctx) -> None:
    """The conversation, add_generation_prompt and the picker on the left; the prompt text on the right;
    its tokens below."""
    import gradio as gr

    from core.i18n import say
    from core.ui import examples, model_picker, result_panels, widgets, wire
    from demos.tokenizer import view

    with gr.Row():
        with gr.Column(scale=3):
            fields = widgets(ctx, TASK, "messages", "add_generation_prompt")
            model = model_picker(ctx, TASK)
            run_button = gr.Button(ctx.tr("Run"), variant="primary")
            examples(ctx, EXAMPLES, [fields["messages"]])
        with gr.Column(scale=2):
            prompt = gr.Textbox(label=ctx.tr("Prompt text (apply_chat_template with tokenize=False)"), lines=9,
                                interactive=False, elem_id="chat_template_text", buttons=["copy"])
    tokens = view.html_output(ctx, "Prompt tokens (special tokens in grey)", "chat_template_tokens")
    panels = result_panels(ctx, TASK)

    def render(result) -> dict:
        output = result.output
        counts = output["counts"]
        head = say(CHAT_COUNTS, tokens=counts["tokens"], content=counts["content_tokens"],
                   added=counts["tokens"] - counts["content_tokens"])
        html = view.pieces_html(output["tokens"], output["input_ids"], output["special_tokens_mask"],
                                output.get("readable"), head=head)
        return {prompt: output["text"], tokens: html}

    wire(ctx, TASK, run_button.click, fields, model, render, panels, [prompt, tokens])


TASK = TaskSpec(
    id="chat-template",
    title="Chat template",
    loader=LOADER,
    default_model=CHAT_DEFAULT,
    models=(CHAT_DEFAULT,),
    run=run,
    code=code,
    inputs=(
        Messages("messages", label="Conversation", lines=5, required=True, max_items=MAX_MESSAGES, max_chars=50_000,
                 help="One message per line as role: content (system, user, assistant), or a JSON list of messages"),
    ),
    params=(
        Bool("add_generation_prompt", True, help="End with the assistant's turn opener, so a model writes the answer"),
    ),
    architectures=(),
    description="apply_chat_template: a conversation as the prompt text and tokens a chat model reads.",
    build=build,
)
