"""What summarization, translation and text2text-generation share: the encoder-decoder tasks whose pipelines
transformers 5 removed (`pipeline("summarization")` etc. now raise KeyError).

All three run through one helper, `seq2seq_generate`: AutoModelForSeq2SeqLM + AutoTokenizer, the 4.x
pipelines' prefix and generation defaults from `config.task_specific_params` (T5: "summarize: ",
"translate English to French: "), inputs truncated to the model's limit (flagged "truncated" in the
output, and in a note), one padded `model.generate` call per batch of `batch_size` lines. The Code panel
shows that same AutoClass code, built by `seq2seq_code`. `build_seq2seq` is the sub-tab of each of them.
"""

from __future__ import annotations

from core.codegen import from_pretrained, py
from core.i18n import Note, note
from core.params import Lines
from core.registry import Loader, Output
from demos.text.common import token_limit
from demos.text.generation_fields import EMPTY_SEQ2SEQ

LOADER = Loader.auto("AutoModelForSeq2SeqLM", "AutoTokenizer")
ARCHITECTURES = (
    "BartForConditionalGeneration", "T5ForConditionalGeneration", "MarianMTModel", "PegasusForConditionalGeneration",
    "M2M100ForConditionalGeneration", "LEDForConditionalGeneration", "FSMTForConditionalGeneration",
    "BigBirdPegasusForConditionalGeneration", "ProphetNetForConditionalGeneration", "EncoderDecoderModel",
)
MODEL_TYPES = ("bart", "mbart", "t5", "mt5", "umt5", "longt5", "marian", "pegasus", "pegasus_x", "m2m_100", "led",
               "fsmt", "bigbird_pegasus", "prophetnet", "plbart", "encoder-decoder")


def text_input() -> Lines:
    """The input of the three tasks: one text per line (a batch), bounded for a public link."""
    return Lines("text", label="Input text", help="One text per line runs them as one batch", required=True,
                 lines=6, max_items=64, max_chars=50_000, aliases=("inputs",))


# ---- the shared runner ------------------------------------------------------------------------------
def task_params_of(config, key: str) -> tuple[str, dict]:
    """(prefix, generation defaults) from config.task_specific_params[key], as the 4.x pipelines used them."""
    params = dict((getattr(config, "task_specific_params", None) or {}).get(key, {}))
    return params.pop("prefix", ""), params


def seq2seq_generate(bundle, texts: list[str], *, output_key: str, prefix: str = "", defaults: dict | None = None,
                     gen_kwargs: dict | None = None, batch_size: int = 1) -> list[dict]:
    """Generate one text per input with `bundle.model.generate`, `batch_size` inputs per padded call.

    prefix is put before every input that does not already start with it; defaults (the model's task
    parameters) are overridden by gen_kwargs (the user's). Inputs longer than `token_limit` are cut.
    Returns [{output_key: text, "truncated": bool}, ...], one per input, in order.
    """
    tokenizer, model = bundle.processor, bundle.model
    texts = [t if t.startswith(prefix) else prefix + t for t in texts]
    limit = token_limit(tokenizer, model.config)
    kwargs = {**(defaults or {}), **(gen_kwargs or {})}
    results: list[dict] = []
    for start in range(0, len(texts), batch_size):
        batch = texts[start:start + batch_size]
        lengths = [len(ids) for ids in tokenizer(batch)["input_ids"]]
        inputs = tokenizer(batch, padding=True, truncation=True, max_length=limit, return_tensors="pt").to(model.device)
        outputs = model.generate(**inputs, **kwargs)
        for text, length in zip(tokenizer.batch_decode(outputs, skip_special_tokens=True), lengths):
            results.append({output_key: text, "truncated": length > limit})
    return results


TRUNCATED = ("⚠️ {which} was longer than the model takes and was truncated to its limit: "
             "the result covers only the beginning (\"truncated\": true in the raw output).")


def which_lines(lines: list[int], total: int) -> Note:
    """"The input" when there is one text, else "Line 2" / "Line 2, 5" (put in the reader's language)."""
    return note("The input") if total == 1 else note("Line {lines}", lines=", ".join(map(str, lines)))


def with_notes(results: list[dict]) -> Output:
    """The results, with a note naming the lines that were cut to the model's limit."""
    cut = [i + 1 for i, item in enumerate(results) if item.get("truncated")]
    notes = (note(TRUNCATED, which=which_lines(cut, len(results))),) if cut else ()
    empty = [i + 1 for i, item in enumerate(results)
             if not any(str(v).strip() for k, v in item.items() if k.endswith("_text"))]
    if empty:
        notes += (note(EMPTY_SEQ2SEQ, which=which_lines(empty, len(results))),)
    return Output(results, notes=notes)


# ---- the code ------------------------------------------------------------------------------------------
REMOVED_NOTE = ('transformers 5 removed pipeline("{task}"): the 4.x one-liner now raises KeyError.\n'
                "This is the AutoClass code the app runs instead (same result as the app's raw output).")


def seq2seq_code(task: str, ref, place, texts: list[str], *, output_key: str, prefix_lines: list[str] | None,
                 gen_kwargs: dict, batch_size: int) -> str:
    """The snippet for seq2seq_generate: load, prefix, truncate, generate (batched when needed), print.

    prefix_lines (None: no prefix) must set `prefix` and `task_params` (the model's generation defaults).
    """
    if prefix_lines:  # the model's task defaults first, the user's values over them
        items = "".join(f", {py(k)}: {py(v)}" for k, v in gen_kwargs.items())
        prefix_lines = [*prefix_lines, "texts = [t if t.startswith(prefix) else prefix + t for t in texts]",
                        f"generate_kwargs = {{**task_params{items}}}"]
        generate_args = "**inputs, **generate_kwargs"
    else:
        generate_args = ", ".join(["**inputs", *(f"{k}={py(v)}" for k, v in gen_kwargs.items())])
    lines = [f"# {line}" for line in REMOVED_NOTE.format(task=task).splitlines()]
    lines += [
        "from transformers import AutoModelForSeq2SeqLM, AutoTokenizer",
        "",
        from_pretrained("AutoTokenizer", ref, var="tokenizer"),
        from_pretrained("AutoModelForSeq2SeqLM", ref, place),
        "",
        f"texts = {py(texts)}",
        *(prefix_lines or []),
        "# inputs longer than the model takes are cut to its limit, and flagged",
        "limit = min(tokenizer.model_max_length, getattr(model.config, 'max_position_embeddings', None)"
        " or tokenizer.model_max_length)",
    ]

    def body(batch: str) -> list[str]:
        return [
            f"lengths = [len(ids) for ids in tokenizer({batch})['input_ids']]",
            f"inputs = tokenizer({batch}, padding=True, truncation=True, max_length=limit, return_tensors='pt')"
            ".to(model.device)",
            f"outputs = model.generate({generate_args})",
            "for text, length in zip(tokenizer.batch_decode(outputs, skip_special_tokens=True), lengths):",
            f"    result.append({{{py(output_key)}: text, 'truncated': length > limit}})",
        ]

    lines.append("result = []")
    if len(texts) <= batch_size:
        lines += body("texts")
    else:
        lines.append(f"for start in range(0, len(texts), {batch_size}):  # batch_size={batch_size}")
        lines.append(f"    batch = texts[start:start + {batch_size}]")
        lines += ["    " + line for line in body("batch")]
    lines.append("print(result)")
    return "\n".join(lines) + "\n"


def task_prefix_lines(key: str, why: str) -> list[str]:
    """Snippet lines reading the model's prefix and generation defaults for `key` from task_specific_params."""
    return [
        f"# {why}",
        f"task_params = dict((getattr(model.config, 'task_specific_params', None) or {{}}).get({py(key)}, {{}}))",
        "prefix = task_params.pop('prefix', '')",
    ]


# ---- the sub-tab ---------------------------------------------------------------------------------------
def build_seq2seq(ctx, task, *, result_label: str, output_key: str, rows: list[list], languages=None) -> None:
    """One seq2seq sub-tab: text, model, (languages), generation controls, examples, result, per-line table.

    languages: translation's language fields -> their elem_ids (kept from before the fields)."""
    import gradio as gr

    from core.ui import examples, model_picker, result_panels, widget, wire
    from demos.text.generation_fields import generation_widgets

    tr = ctx.tr
    name = task.api_name
    with gr.Row():
        with gr.Column(scale=3):
            fields = {"text": widget(ctx, task, "text")}
            model = model_picker(ctx, task)
            example_inputs = [fields["text"]]
            if languages:
                with gr.Group():
                    with gr.Row():
                        for lang, elem_id in languages.items():
                            fields[lang] = widget(ctx, task, lang, elem_id=elem_id)
                    gr.Markdown(tr("Used by models with several pairs: T5 (en → fr/de/ro) and multi-target opus-mt "
                                   "(>>lang<< codes); single-pair models such as opus-mt-ko-en ignore it"),
                                elem_classes=["lang-note"], padding=True)
                example_inputs += list(fields.values())[1:]
            fields.update(generation_widgets(ctx, task))
            run = gr.Button(tr("Run"), variant="primary", elem_id=f"{name}_run")
            examples(ctx, rows, example_inputs)
        with gr.Column(scale=2):
            result = gr.Textbox(label=tr(result_label), lines=6, interactive=False, buttons=["copy"],
                                elem_id=f"{name}_result")
            table = gr.Dataframe(headers=["input", output_key, "truncated"], label=tr("Per line"), visible=False,
                                 interactive=False, wrap=True, elem_id=f"{name}_table")
            gr.Markdown(tr("transformers 5 removed this pipeline: the app runs AutoModelForSeq2SeqLM + "
                           "model.generate, and the Code panel shows exactly that."), elem_classes=["removed-note"])
    panels = result_panels(ctx, task)

    def render(outcome) -> dict:
        output = outcome.output
        rows = [[text, item[output_key], bool(item.get("truncated"))]
                for text, item in zip(outcome.inputs["text"], output)]
        return {result: "\n".join(item[output_key] for item in output),
                table: gr.update(value=rows, visible=len(output) > 1)}

    wire(ctx, task, run.click, fields, model, render, panels, [result, table])
