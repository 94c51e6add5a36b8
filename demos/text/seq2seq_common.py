"""What summarization, translation and text2text-generation share: the encoder-decoder tasks whose pipelines
transformers 5 removed (`pipeline("summarization")` etc. now raise KeyError).

All three run through one helper, `seq2seq_generate`: AutoModelForSeq2SeqLM + AutoTokenizer with the
generation settings of transformers 4.57.6's pipelines (`pipeline_kwargs`: max_new_tokens=256 and
num_beams=4 unless the model says otherwise, the prefix and defaults of `config.task_specific_params`, T5's
"summarize: " / "translate English to French: "), inputs truncated to the model's limit (flagged "truncated" in the
output, and in a note), one padded `model.generate` call per batch of `batch_size` lines. The Code panel
shows that same AutoClass code, built by `seq2seq_code`. `build_seq2seq` is the sub-tab of each of them.
"""

from __future__ import annotations

from dataclasses import replace

from core.codegen import from_pretrained, py
from core.errors import UserError
from core.i18n import Note, note
from core.params import Lines
from core.registry import Loader, Output
from demos.text.common import token_limit
from demos.text.generation_fields import EMPTY_SEQ2SEQ, generation_fields

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
V4 = "4.57.6"  # the 4.x release whose pipelines the app reproduces
# Text2TextGenerationPipeline._default_generation_config in 4.57.6 (summarization and translation inherit it)
PIPELINE_DEFAULTS = {"max_new_tokens": 256, "num_beams": 4}
GLOBAL_MAX_LENGTH = 20  # GenerationConfig's own max_length: a model "sets" max_length when it differs


def max_new_tokens_field():
    """max_new_tokens for the seq2seq tasks: 0 leaves the 4.57.6 pipeline's default."""
    return replace(generation_fields("max_new_tokens")[0], default=0, minimum=0,
                   help="Tokens to generate at most; 0 = the 4.57.6 pipeline's default (256, or the model's "
                        "max_length when it sets one)")


def num_beams_field():
    """num_beams for the seq2seq tasks: 0 leaves the 4.57.6 pipeline's default (4, or the task parameters')."""
    return replace(generation_fields("num_beams")[0],
                   help="Beam search width; 0 = the 4.57.6 pipeline's default (4), 1 = greedy")


def task_params_of(config, key: str) -> tuple[str, dict]:
    """(prefix, generation defaults) from config.task_specific_params[key], as the 4.x pipelines used them
    (the prefix falls back on config.prefix)."""
    params = dict((getattr(config, "task_specific_params", None) or {}).get(key, {}))
    return params.pop("prefix", getattr(config, "prefix", None) or ""), params


def pipeline_kwargs(bundle, key: str, user: dict) -> tuple[str, dict]:
    """(prefix, generate() kwargs) that transformers 4.57.6's pipeline for task `key` ("summarization",
    "translation_en_to_fr", "text2text-generation") would use for this model, with the user's kwargs last.

    In 4.57.6: the pipeline's defaults (max_new_tokens=256, num_beams=4, over the model's generation config),
    max_new_tokens dropped when the model's generation config sets its own max_length, then
    config.task_specific_params[key], the tokenizer's pad token when the model has none, then the call's
    kwargs. One deliberate difference: a max_length of the user's counts (4.57.6 lets the default
    max_new_tokens override it), which is `max_new_tokens=None` in the same 4.57.6 call.
    """
    model, tokenizer = bundle.model, bundle.processor
    generation = model.generation_config
    kwargs = dict(PIPELINE_DEFAULTS)
    if generation.max_length not in (None, GLOBAL_MAX_LENGTH):
        del kwargs["max_new_tokens"]
    prefix, task = task_params_of(model.config, key)
    kwargs.update(task)
    if generation.pad_token_id is None and getattr(tokenizer, "pad_token_id", None) is not None:
        kwargs["pad_token_id"] = tokenizer.pad_token_id
    if user.get("max_length") and user.get("max_new_tokens"):
        raise UserError("bad_param", name="max_length",
                        detail="set max_length or max_new_tokens, not both (max_new_tokens counts generated tokens)")
    if user.get("max_length"):
        kwargs["max_new_tokens"] = None
    kwargs.update(user)
    return prefix, kwargs


def seq2seq_generate(bundle, texts: list[str], *, output_key: str, prefix: str = "", kwargs: dict | None = None,
                     batch_size: int = 1) -> list[dict]:
    """Generate one text per input with `bundle.model.generate(**kwargs)`, `batch_size` inputs per padded call.

    prefix is put before every input that does not already start with it. Inputs longer than
    `token_limit` are cut. Texts are decoded as 4.x's pipelines did (clean_up_tokenization_spaces=False).
    Returns [{output_key: text, "truncated": bool}, ...], one per input, in order.
    """
    tokenizer, model = bundle.processor, bundle.model
    texts = [t if t.startswith(prefix) else prefix + t for t in texts]
    limit = token_limit(tokenizer, model.config)
    results: list[dict] = []
    for start in range(0, len(texts), batch_size):
        batch = texts[start:start + batch_size]
        lengths = [len(ids) for ids in tokenizer(batch)["input_ids"]]
        inputs = tokenizer(batch, padding=True, truncation=True, max_length=limit, return_tensors="pt").to(model.device)
        inputs.pop("token_type_ids", None)  # not a generate() argument (4.x's pipelines dropped it too)
        outputs = model.generate(**inputs, **(kwargs or {}))
        texts_out = tokenizer.batch_decode(outputs, skip_special_tokens=True, clean_up_tokenization_spaces=False)
        for text, length in zip(texts_out, lengths):
            results.append({output_key: text, "truncated": length > limit})
    return results


def seq2seq_requests(bundle, text_lists: list[list[str]], *, output_key: str, prefix: str = "",
                     kwargs: dict | None = None, batch_size: int = 1) -> list[list[dict]]:
    """seq2seq_generate's results for several requests' lines (one list per request), generated together:
    each padded generate call takes batch_size lines per request (the memory of the requests run side by side).
    Encoder padding is masked and beam search keeps each input's beams apart, so a line gets the text it gets
    alone (up to float noise in near ties)."""
    texts = [text for texts in text_lists for text in texts]
    results = seq2seq_generate(bundle, texts, output_key=output_key, prefix=prefix, kwargs=kwargs,
                               batch_size=batch_size * len(text_lists))
    split, start = [], 0
    for texts in text_lists:
        split.append(results[start:start + len(texts)])
        start += len(texts)
    return split


TRUNCATED = ("⚠️ {which} was longer than the model takes and was truncated to its limit: "
             "the result covers only the beginning (\"truncated\": true in the raw output).")


def which_lines(lines: list[int], total: int) -> Note:
    """"The input" when there is one text, else "Line 2" / "Line 2, 5" (put in the reader's language)."""
    return note("The input") if total == 1 else note("Line {lines}", lines=", ".join(map(str, lines)))


MAX_LENGTH_COUNTS = ("ℹ️ max_length={n} counts here. transformers {v4}'s pipeline would have ignored it for this model "
                     "(its default max_new_tokens=256 wins when the model sets no max_length); the same call there "
                     "passes max_new_tokens=None too.")


def max_length_notes(bundle, user: dict) -> tuple:
    """A note when the user's max_length is one that 4.57.6's pipeline would have let max_new_tokens override."""
    if user.get("max_length") and bundle.model.generation_config.max_length in (None, GLOBAL_MAX_LENGTH):
        return (note(MAX_LENGTH_COUNTS, n=user["max_length"], v4=V4),)
    return ()


def with_notes(results: list[dict], notes: tuple = ()) -> Output:
    """The results, with a note naming the lines that were cut to the model's limit (after `notes`)."""
    cut = [i + 1 for i, item in enumerate(results) if item.get("truncated")]
    notes = tuple(notes) + ((note(TRUNCATED, which=which_lines(cut, len(results))),) if cut else ())
    empty = [i + 1 for i, item in enumerate(results)
             if not any(str(v).strip() for k, v in item.items() if k.endswith("_text"))]
    if empty:
        notes += (note(EMPTY_SEQ2SEQ, which=which_lines(empty, len(results))),)
    return Output(results, notes=notes)


# ---- the code ------------------------------------------------------------------------------------------
REMOVED_NOTE = ('transformers 5 removed pipeline("{task}"): the 4.x one-liner now raises KeyError.\n'
                "This AutoClass code is what the app runs; it matches transformers {v4}'s {task} pipeline.")


def seq2seq_code(task: str, key: str, ref, place, texts: list[str], *, output_key: str, user: dict,
                 batch_size: int, prefix_lines: tuple[str, ...] = ()) -> str:
    """The snippet for pipeline_kwargs + seq2seq_generate: load, 4.57.6's generation settings for `key`, the
    prefix (prefix_lines may change it), truncate, generate (batched when needed), print."""
    yours = dict(user)
    if yours.get("max_length"):
        yours = {"max_new_tokens": None, **yours}
    lines = [f"# {line}" for line in REMOVED_NOTE.format(task=task, v4=V4).splitlines()]
    lines += [
        "from transformers import AutoModelForSeq2SeqLM, AutoTokenizer",
        "",
        from_pretrained("AutoTokenizer", ref, var="tokenizer"),
        from_pretrained("AutoModelForSeq2SeqLM", ref, place),
        "",
        f"texts = {py(texts)}",
        f"# {V4}'s pipeline: its defaults (max_new_tokens=256 unless the model's generation config sets its own",
        "# max_length, num_beams=4), then the model's task_specific_params, then your values",
        f"generate_kwargs = {{'num_beams': {PIPELINE_DEFAULTS['num_beams']}}}",
        f"if model.generation_config.max_length in (None, {GLOBAL_MAX_LENGTH}):",
        f"    generate_kwargs['max_new_tokens'] = {PIPELINE_DEFAULTS['max_new_tokens']}",
        f"task_params = dict((getattr(model.config, 'task_specific_params', None) or {{}}).get({py(key)}, {{}}))",
        "prefix = task_params.pop('prefix', getattr(model.config, 'prefix', None) or '')",
        "generate_kwargs.update(task_params)",
        "if model.generation_config.pad_token_id is None and tokenizer.pad_token_id is not None:",
        "    generate_kwargs['pad_token_id'] = tokenizer.pad_token_id",
    ]
    if yours:
        why = ("  # max_new_tokens=None: your max_length counts (4.57.6's default max_new_tokens would override it)"
               if "max_length" in yours else "")
        lines.append(f"generate_kwargs.update({py(yours)}){why}")
    lines += [
        *prefix_lines,
        "texts = [t if t.startswith(prefix) else prefix + t for t in texts]  # 4.x added it even when there",
        "# inputs longer than the model takes are cut to its limit, and flagged",
        "limit = min(tokenizer.model_max_length, getattr(model.config, 'max_position_embeddings', None)"
        " or tokenizer.model_max_length)",
    ]

    def body(batch: str) -> list[str]:
        return [
            f"lengths = [len(ids) for ids in tokenizer({batch})['input_ids']]",
            f"inputs = tokenizer({batch}, padding=True, truncation=True, max_length=limit, return_tensors='pt')"
            ".to(model.device)",
            "inputs.pop('token_type_ids', None)",
            "outputs = model.generate(**inputs, **generate_kwargs)",
            "decoded = tokenizer.batch_decode(outputs, skip_special_tokens=True, clean_up_tokenization_spaces=False)",
            "for text, length in zip(decoded, lengths):",
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
