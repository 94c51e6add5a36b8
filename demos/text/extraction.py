"""Reading text closely: token classification (NER), extractive question answering, zero-shot
classification, table question answering and fill-mask.

Four of them run through their transformers 5 pipelines. Question answering's pipeline was removed in
5.x, so it runs through AutoModelForQuestionAnswering with the 4.x pipeline's decoding, written out in
three small functions (`qa_windows`, `best_spans`, `answer_questions`) that the Code panel prints
verbatim: the shown code is the code the app runs.

Long inputs never crash: the pipelines cut them to the model's limit (NER can read them whole in
overlapping windows, `stride`; QA always does, `doc_stride`), and a note under the result says what was cut
or windowed. That note comes from a second, run-free look at the inputs with the loaded model's tokenizer
(`attach_note`), so every task's raw output stays exactly what its pipeline returns.
"""

from __future__ import annotations

import inspect
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr

from core.codegen import call_args, from_pretrained, pipeline_code, place_kwargs, py, source_kwargs
from core.errors import UserError
from core.i18n import language_of, say, speaking
from core.registry import Loader, TaskSpec
from core.ui import Context, examples, model_picker, result_panels, takes_request, wire
from demos.text.common import (
    WHICH_KOREAN,
    has_entailment,
    lines_of,
    one_or_many,
    reads_plain_text,
    token_limit,
    which_lines,
)


# ---- shared helpers ---------------------------------------------------------------------------------
def token_counts(tokenizer, texts: list[str], pairs: list[str] | None = None) -> list[int]:
    """Tokens (special tokens included) of each text, or of each (text, pair) when pairs are given."""
    encoded = tokenizer(texts, pairs) if pairs else tokenizer(texts)
    return [len(ids) for ids in encoded["input_ids"]]


def _int(params: dict, name: str, default: int, low: int | None = None) -> int:
    value = params.get(name, default)
    try:
        value = int(default if value is None or value == "" else value)
    except (TypeError, ValueError):
        raise UserError("bad_param", name=name, detail=f"expected a whole number, got {value!r}") from None
    if low is not None and value < low:
        raise UserError("bad_param", name=name, detail=f"must be {low} or more")
    return value


def _words(value: Any) -> list[str]:
    """A comma-separated string (or a list) as a list of stripped, non-empty items."""
    items = value if isinstance(value, (list, tuple)) else str(value or "").split(",")
    return [str(item).strip() for item in items if str(item).strip()]


def _batch(texts: list[str], params: dict) -> dict:
    """batch_size for the pipeline call when there are several texts (one text needs none)."""
    return {"batch_size": _int(params, "batch_size", 1, low=1)} if len(texts) > 1 else {}


def attach_note(ctx: Context, task: TaskSpec, trigger: Callable, fields: dict, model: gr.Dropdown,
                note: gr.Markdown, describe: Callable[[Any, dict, dict], str]) -> None:
    """On trigger, also show describe(loaded, inputs, params) in `note` (hidden when it returns "").

    describe looks at the inputs with the loaded pipeline's or bundle's tokenizer (what was cut, how many
    windows were read) and runs no model; the model comes from the model manager, the same cache entry the
    run uses. Failures (no model, bad input: the run itself reports those) just hide the note. Not an API
    endpoint.
    """
    names = list(fields)

    def check(*args):
        *given, model_id, request = args
        values = dict(zip(names, given))
        inputs = {k: v for k, v in values.items() if k in task.inputs}
        params = {k: v for k, v in values.items() if k not in task.inputs}
        try:
            entry, _ = ctx.models.get(task.loader, model_id, task=task.id)
            with entry.lock, speaking(language_of(request), ctx.tr.korean):  # one thread per fast tokenizer
                text = describe(entry.obj, inputs, params)
        except Exception:  # the run reports the same problem as a proper error
            text = ""
        return gr.update(value=text, visible=bool(text))

    takes_request(check, [f"value_{i}" for i in range(len(names) + 1)])

    trigger(check, inputs=[*fields.values(), model], outputs=[note], api_visibility="private",
            show_progress="hidden")


ENTITY_COLORS = {"PER": "#fca5a5", "ORG": "#93c5fd", "LOC": "#86efac", "MISC": "#fcd34d"}
PALETTE = ("#d8b4fe", "#f9a8d4", "#5eead4", "#fdba74", "#bef264", "#a5b4fc", "#cbd5e1")


def entity_type(label: str) -> str:
    """'B-LOC' / 'I-LOC' / 'LOC' -> 'LOC'."""
    return label[2:] if len(label) > 2 and label[1] == "-" and label[0] in "BIES" else label


def color_of(label: str) -> str:
    """One colour per entity type (B-/I- tags of a type share it), stable across runs."""
    kind = entity_type(label).upper()
    return ENTITY_COLORS.get(kind) or PALETTE[sum(map(ord, kind)) % len(PALETTE)]


def highlight_value(texts: list[str], spans: list[list[tuple[int, int, str]]]) -> dict:
    """HighlightedText value for several texts (one per line) with (start, end, label) spans each."""
    text, entities, shift = "", [], 0
    for line, line_spans in zip(texts, spans):
        entities += [{"entity": label, "start": shift + s, "end": shift + e} for s, e, label in line_spans]
        text += line + "\n"
        shift = len(text)
    return {"text": text.rstrip("\n"), "entities": entities}


def _as_batches(output: Any, n: int) -> list:
    """The pipeline's result for n inputs as a list of n results (one input gives an unwrapped result)."""
    return [output] if n == 1 else list(output)


# ---- token-classification ----------------------------------------------------------------------------
AGGREGATIONS = ["none", "simple", "first", "average", "max"]
TOKEN_PARAMS = {"aggregation_strategy": "simple", "ignore_labels": "O", "stride": 32, "batch_size": 1}


def token_call(inputs: dict, params: dict) -> tuple[Any, dict]:
    """The pipeline's input (a text, or a list for several lines) and keyword arguments."""
    texts = lines_of(inputs.get("text"))
    strategy = str(params.get("aggregation_strategy") or "simple").lower()
    if strategy not in AGGREGATIONS:
        raise UserError("bad_param", name="aggregation_strategy", detail=f"one of {', '.join(AGGREGATIONS)}")
    kwargs: dict[str, Any] = {"aggregation_strategy": strategy, "ignore_labels": _words(params.get("ignore_labels"))}
    stride = _int(params, "stride", 0, low=0)
    if stride and strategy != "none":  # the pipeline reads long texts whole only when it groups tokens
        kwargs["stride"] = stride
    return one_or_many(texts), {**kwargs, **_batch(texts, params)}


def run_token_classification(pipe, inputs: dict, params: dict) -> list:
    """Entities (or tagged tokens with aggregation "none"): a list for one text, a list of lists for several."""
    items, kwargs = token_call(inputs, params)
    limit = token_limit(pipe.tokenizer, pipe.model.config)
    if kwargs.get("stride", 0) >= limit - 2:
        raise UserError("bad_param", name="stride", detail=f"must be below {limit - 2}, the model reads {limit} tokens")
    return pipe(items, **kwargs)


def note_token_classification(pipe, inputs: dict, params: dict) -> str:
    texts = lines_of(inputs.get("text"))
    _, kwargs = token_call(inputs, params)
    limit = token_limit(pipe.tokenizer, pipe.model.config)
    long = [i + 1 for i, n in enumerate(token_counts(pipe.tokenizer, texts)) if n > limit]
    if not long:
        return ""
    which = which_lines(long, len(texts))
    if "stride" in kwargs:
        return say(TOKEN_WINDOWED, which=which, limit=limit, stride=kwargs["stride"])
    why = say(NO_WINDOWS_NONE if kwargs["aggregation_strategy"] == "none" else NO_WINDOWS_STRIDE)
    return say(TOKEN_TRUNCATED, which=which, limit=limit, why=why)


TOKEN_WINDOWED = ("ℹ️ {which} is longer than the {limit} tokens the model reads at once: the pipeline read it "
                  "whole in overlapping windows (stride={stride}).")
TOKEN_TRUNCATED = ("⚠️ {which} is longer than the {limit} tokens the model reads at once and was truncated: only "
                   "the beginning was tagged ({why}; choose simple/first/average/max with a stride to read it all).")
NO_WINDOWS_NONE = "aggregation_strategy \"none\" cannot use windows"
NO_WINDOWS_STRIDE = "stride is 0"


def code_token_classification(ref, inputs: dict, params: dict, place) -> str:
    items, kwargs = token_call(inputs, params)
    note = ""
    if "stride" in kwargs:
        note = "stride: a text longer than the model's limit is read whole, in windows overlapping by this many tokens"
    return pipeline_code("token-classification", ref, place, [items], kwargs, note=note)


TOKEN_CLASSIFICATION = TaskSpec(
    id="token-classification",
    title="Token classification (NER)",
    aliases=("ner",),
    loader=Loader.pipeline("token-classification"),
    default_model="dbmdz/bert-large-cased-finetuned-conll03-english",
    models=(
        "dslim/bert-base-NER",
        "FacebookAI/xlm-roberta-large-finetuned-conll03-english",
    ),
    run=run_token_classification,
    code=code_token_classification,
    inputs=("text",),
    params=dict(TOKEN_PARAMS),
    architectures=("ForTokenClassification",),
    fits=reads_plain_text,
    description="Named entities (people, organisations, places...) or a tag for every token.",
)


def entity_rows(texts: list[str], results: list[list[dict]]) -> list[list]:
    rows = []
    for line, entities in enumerate(results, start=1):
        for ent in entities:
            label = ent.get("entity_group") or ent.get("entity")
            rows.append([line, label, round(float(ent["score"]), 4), ent.get("word"), ent.get("start"), ent.get("end")])
    return rows


def render_token_classification(components: dict):
    def render(output, inputs, params):
        texts = lines_of(inputs.get("text"))
        results = _as_batches(output, len(texts))
        spans = [[(e["start"], e["end"], e.get("entity_group") or e.get("entity")) for e in entities
                  if e.get("start") is not None] for entities in results]
        labels = sorted({label for line in spans for _, _, label in line})
        rows = entity_rows(texts, results)
        headers, widths = ["line", "entity", "score", "word", "start", "end"], ["10%", "20%", "14%", "28%", "14%", "14%"]
        if len(texts) == 1:
            headers, widths, rows = headers[1:], ["22%", "16%", "34%", "14%", "14%"], [row[1:] for row in rows]
        return {
            components["highlight"]: gr.update(value=highlight_value(texts, spans),
                                               color_map={label: color_of(label) for label in labels}),
            components["table"]: gr.update(value={"headers": headers, "data": rows}, column_widths=widths),
        }

    return render


def build_token_classification(ctx: Context) -> None:
    task, tr = TOKEN_CLASSIFICATION, ctx.tr
    with gr.Row():
        with gr.Column(scale=3):
            text = gr.Textbox(label=tr("Input text"), lines=4, elem_id="token_classification_text",
                              info=tr("One text per line runs them as one batch"))
            model = model_picker(ctx, task)
            with gr.Row():
                strategy = gr.Dropdown(AGGREGATIONS, value="simple", label="aggregation_strategy",
                                       info=tr("How sub-word tokens become entities; none = one tag per token"))
                ignore = gr.Textbox(value="O", label="ignore_labels",
                                    info=tr("Labels to leave out, comma separated (empty = keep every token)"))
            with gr.Row():
                stride = gr.Slider(0, 256, value=32, step=1, label="stride",
                                   info=tr("Long texts: tokens shared by neighbouring windows; 0 = cut at the limit"))
                batch = gr.Slider(1, 32, value=1, step=1, label="batch_size")
            run = gr.Button(tr("Run"), variant="primary", elem_id="token_classification_run")
            examples(ctx, [
                ["Hugging Face is a French company based in New York City."],
                ["My name is Wolfgang and I live in Berlin.\nSarah works for the United Nations in Geneva."],
                ["허깅페이스는 뉴욕에 본사를 둔 프랑스 회사이고, 클레망 들랑그가 CEO입니다."],
            ], [text])
        with gr.Column(scale=2):
            highlight = gr.HighlightedText(label=tr("Entities"), show_legend=True, combine_adjacent=False,
                                           elem_id="token_classification_highlight")
            note = gr.Markdown(visible=False, elem_id="token_classification_note")
            table = gr.Dataframe(headers=["entity", "score", "word", "start", "end"], label=tr("Entity table"),
                                 interactive=False, wrap=True, column_widths=["22%", "16%", "34%", "14%", "14%"],
                                 elem_id="token_classification_table")
    panels = result_panels(ctx, task)
    fields = {"text": text, "aggregation_strategy": strategy, "ignore_labels": ignore, "stride": stride,
              "batch_size": batch}
    components = {"highlight": highlight, "table": table}
    wire(ctx, task, run.click, fields, model, render_token_classification(components), panels, [highlight, table])
    attach_note(ctx, task, run.click, fields, model, note, note_token_classification)


# ---- question-answering (AutoClass: the pipeline was removed in 5.x) ---------------------------------
# These three functions are printed verbatim in the Code panel: keep them self-contained.
def qa_windows(model, tokenizer, questions, context, max_seq_len=384, doc_stride=128):
    """Tokenize each (question, context) pair into windows that fit the model.

    A context longer than max_seq_len tokens is split into overlapping windows (neighbours share
    doc_stride tokens), each with the question in front; `overflow_to_sample_mapping` tells which question
    a window belongs to. Like the 4.x pipeline, max_seq_len is capped by the model's limit and doc_stride
    by half of max_seq_len.
    """
    limit = min(tokenizer.model_max_length, getattr(model.config, "max_position_embeddings", None) or 10**6)
    max_seq_len = min(max_seq_len, limit)
    doc_stride = min(doc_stride, max_seq_len // 2)
    return tokenizer([q.strip() for q in questions], [context] * len(questions), truncation="only_second",
                     max_length=max_seq_len, stride=doc_stride, return_overflowing_tokens=True,
                     return_offsets_mapping=True, padding=True, return_tensors="pt")


def best_spans(start_logits, end_logits, in_context, top_k=1, max_answer_len=15):
    """The top_k answer spans of one window, chosen as the 4.x pipeline("question-answering") did.

    start_logits / end_logits: the model's score for each token to start / end the answer; in_context: a
    bool tensor, True for the context's tokens. P(start) and P(end) are softmaxes over the context tokens
    and position 0 ([CLS], which stands for "no answer"); a span (s, e) scores P(start=s) * P(end=e), for
    context tokens with s <= e < s + max_answer_len.
    Returns ([(s, e, score), ...] best first, the no-answer score P(start=0) * P(end=0)).
    """
    import torch

    allowed = in_context.clone()
    allowed[0] = True
    p_start = start_logits.float().masked_fill(~allowed, -1e4).softmax(-1)
    p_end = end_logits.float().masked_fill(~allowed, -1e4).softmax(-1)
    no_answer = (p_start[0] * p_end[0]).item()
    scores = torch.outer(p_start * in_context, p_end * in_context).triu().tril(max_answer_len - 1)
    best = scores.flatten().topk(min(top_k, scores.numel()))
    spans = []
    for score, index in zip(best.values.tolist(), best.indices.tolist()):
        if score > 0:
            s, e = divmod(index, scores.shape[1])
            spans.append((s, e, score))
    return spans, no_answer


def answer_questions(model, tokenizer, questions, context, top_k=1, max_answer_len=15,
                     handle_impossible_answer=False, max_seq_len=384, doc_stride=128, batch_size=8):
    """Extractive question answering over one context, for several questions at once.

    Runs the model on every window (batch_size windows per forward pass), keeps each window's best spans
    (`best_spans`), widens them to whole words and maps them to character offsets in the context. The same
    span seen in two overlapping windows keeps its best score. With handle_impossible_answer, "no answer"
    ({"answer": ""}, its score the lowest no-answer score of the windows) competes with the spans.
    Returns one list per question of up to top_k {"score", "start", "end", "answer"}, best first.
    """
    import torch

    windows = qa_windows(model, tokenizer, questions, context, max_seq_len, doc_stride)
    owner = windows["overflow_to_sample_mapping"].tolist()  # window -> question
    inputs = {k: v for k, v in windows.items() if k not in ("offset_mapping", "overflow_to_sample_mapping")}
    with torch.no_grad():
        outputs = [model(**{k: v[i:i + batch_size].to(model.device) for k, v in inputs.items()})
                   for i in range(0, len(owner), batch_size)]
    start_logits = torch.cat([o.start_logits for o in outputs]).cpu()
    end_logits = torch.cat([o.end_logits for o in outputs]).cpu()

    found = [{} for _ in questions]  # per question: (start char, end char) -> answer
    no_answer = [1.0 for _ in questions]
    for w, q in enumerate(owner):
        in_context = torch.tensor([sequence == 1 for sequence in windows.sequence_ids(w)])
        # a few more spans than top_k: sub-word spans can widen to the same words
        spans, null_score = best_spans(start_logits[w], end_logits[w], in_context, top_k + 4, max_answer_len)
        no_answer[q] = min(no_answer[q], null_score)
        words = windows.word_ids(w)
        for s, e, score in spans:
            start = windows.word_to_chars(w, words[s], sequence_index=1).start
            end = windows.word_to_chars(w, words[e], sequence_index=1).end
            if score > found[q].get((start, end), {"score": -1.0})["score"]:
                found[q][(start, end)] = {"score": score, "start": start, "end": end, "answer": context[start:end]}
    results = []
    for q in range(len(questions)):
        answers = list(found[q].values())
        if handle_impossible_answer:
            answers.append({"score": no_answer[q], "start": 0, "end": 0, "answer": ""})
        results.append(sorted(answers, key=lambda a: a["score"], reverse=True)[:top_k])
    return results


QA_PARAMS = {"top_k": 1, "max_answer_len": 15, "handle_impossible_answer": False, "max_seq_len": 384,
             "doc_stride": 128, "batch_size": 8}


def qa_call(inputs: dict, params: dict) -> tuple[list[str], str, dict]:
    """(questions, context, answer_questions keyword arguments) for this run."""
    questions = lines_of(inputs.get("question"), what="Question")
    context = str(inputs.get("context") or "").strip()
    if not context:
        raise UserError("empty_input", what="Context")
    kwargs = {
        "top_k": _int(params, "top_k", 1, low=1),
        "max_answer_len": _int(params, "max_answer_len", 15, low=1),
        "handle_impossible_answer": bool(params.get("handle_impossible_answer", False)),
        "max_seq_len": _int(params, "max_seq_len", 384, low=32),
        "doc_stride": _int(params, "doc_stride", 128, low=0),
        "batch_size": _int(params, "batch_size", 8, low=1),
    }
    return questions, context, kwargs


def qa_sizes(tokenizer, config, kwargs: dict) -> tuple[int, int]:
    """(window length, doc_stride) as qa_windows caps them for this model."""
    size = min(kwargs["max_seq_len"], token_limit(tokenizer, config))
    return size, min(kwargs["doc_stride"], size // 2)


def run_question_answering(bundle, inputs: dict, params: dict) -> list:
    """Answers best first ({"score", "start", "end", "answer"}): a list for one question, a list of lists
    for several (one question per line, all asked of the same context)."""
    questions, context, kwargs = qa_call(inputs, params)
    tokenizer, model = bundle.processor, bundle.model
    if not getattr(tokenizer, "is_fast", False):
        raise UserError("wrong_task", model=getattr(model, "name_or_path", "this model"), task="question-answering")
    limit, stride = qa_sizes(tokenizer, model.config, kwargs)
    for line, n in enumerate(token_counts(tokenizer, questions), start=1):
        if n + stride + 2 >= limit:
            raise UserError("too_large", what=f"Question {line}" if len(questions) > 1 else "The question",
                            detail=f"{n} tokens; it must leave room for the context in {limit} tokens "
                                   f"(shorten it, or lower doc_stride below {max(limit - n - 3, 0)})")
    results = answer_questions(model, tokenizer, questions, context, **kwargs)
    return results[0] if len(questions) == 1 else results


def note_question_answering(bundle, inputs: dict, params: dict) -> str:
    questions, context, kwargs = qa_call(inputs, params)
    windows = qa_windows(bundle.model, bundle.processor, questions[:1], context, kwargs["max_seq_len"],
                         kwargs["doc_stride"])
    count = len(windows["input_ids"])
    if count == 1:
        return ""
    size, stride = qa_sizes(bundle.processor, bundle.model.config, kwargs)
    return say(QA_WINDOWED, size=size, count=count, stride=stride)


QA_WINDOWED = ("ℹ️ The context is longer than one window of {size} tokens: it was read in {count} overlapping "
               "windows (doc_stride={stride}), and the answers are the best spans of all of them.")
NO_ANSWER = "(no answer)"


REMOVED_NOTE = ('transformers 5 removed pipeline("question-answering"): the 4.x one-liner now raises KeyError.\n'
                "This is the AutoClass code the app runs instead (same result as the app's raw output):\n"
                "the 4.x pipeline's windowing and span decoding, written out.")


# read once at import: the running code, even if the file is edited while the server runs
QA_HELPERS_SOURCE = "\n\n\n".join(inspect.getsource(fn).rstrip() for fn in (qa_windows, best_spans, answer_questions))


def code_question_answering(ref, inputs: dict, params: dict, place) -> str:
    questions, context, kwargs = qa_call(inputs, params)
    lines = [f"# {line}" for line in REMOVED_NOTE.splitlines()]
    lines += [
        "from transformers import AutoModelForQuestionAnswering, AutoTokenizer",
        "",
        from_pretrained("AutoTokenizer", ref, var="tokenizer"),
        from_pretrained("AutoModelForQuestionAnswering", ref, place),
        "model.eval()",
        "",
    ]
    lines += [QA_HELPERS_SOURCE, "", ""]
    lines += [
        f"questions = {py(questions)}",
        f"context = {py(context)}",
        f"result = answer_questions(model, tokenizer, questions, context, {call_args(**kwargs)})",
        "print(result[0])  # one question: its answers" if len(questions) == 1 else "print(result)",
    ]
    return "\n".join(lines) + "\n"


QUESTION_ANSWERING = TaskSpec(
    id="question-answering",
    title="Question answering",
    loader=Loader.auto("AutoModelForQuestionAnswering", "AutoTokenizer"),
    default_model="distilbert/distilbert-base-cased-distilled-squad",
    models=(
        "deepset/roberta-base-squad2",
        "deepset/xlm-roberta-large-squad2",
    ),
    run=run_question_answering,
    code=code_question_answering,
    inputs=("question", "context"),
    params=dict(QA_PARAMS),
    architectures=("ForQuestionAnswering", "ForQuestionAnsweringSimple"),
    fits=reads_plain_text,
    description="The span of a context that answers a question (removed from 5.x pipelines: "
                "AutoModelForQuestionAnswering).",
)


def render_question_answering(components: dict):
    def render(output, inputs, params):
        questions = lines_of(inputs.get("question"), what="Question")
        context = str(inputs.get("context") or "").strip()
        per_question = [output] if len(questions) == 1 else output
        rows, spans, taken = [], [], []
        for number, answers in enumerate(per_question, start=1):
            for rank, a in enumerate(answers, start=1):
                rows.append([number, rank, a["answer"] or say(NO_ANSWER), round(float(a["score"]), 4), a["start"], a["end"]])
            best = answers[0] if answers else None
            if best and best["answer"] and not any(s < best["end"] and best["start"] < e for s, e in taken):
                taken.append((best["start"], best["end"]))
                spans.append((best["start"], best["end"], "answer" if len(questions) == 1 else f"Q{number}"))
        best_texts = [(answers[0]["answer"] if answers else "") or say(NO_ANSWER) for answers in per_question]
        labels = sorted({label for _, _, label in spans})
        headers = ["question", "rank", "answer", "score", "start", "end"]
        widths = ["14%", "10%", "40%", "14%", "11%", "11%"]
        if len(questions) == 1:
            headers, widths, rows = headers[1:], ["12%", "46%", "16%", "13%", "13%"], [row[1:] for row in rows]
        return {
            components["answer"]: "\n".join(best_texts),
            components["highlight"]: gr.update(value=highlight_value([context], [sorted(spans)]),
                                               color_map={label: "#fde047" for label in labels}),
            components["table"]: gr.update(value={"headers": headers, "data": rows}, column_widths=widths),
        }

    return render


NOTES_QA = ("What is the name of the repository?", "The name of the repository is huggingface/transformers")
TRANSFORMERS_CONTEXT = (
    "🤗 Transformers provides thousands of pretrained models to perform tasks on different modalities such as "
    "text, vision, and audio. The library was first released by Hugging Face in 2018 under the name "
    "pytorch-pretrained-bert. Hugging Face is a French-American company based in New York City."
)
KOREAN_CONTEXT = ("허깅페이스는 2016년에 설립된 프랑스계 미국 회사로, 본사는 뉴욕에 있다. "
                  "이 회사는 머신러닝 모델을 공유하는 허브와 트랜스포머 라이브러리로 잘 알려져 있다.")


def build_question_answering(ctx: Context) -> None:
    task, tr = QUESTION_ANSWERING, ctx.tr
    with gr.Row():
        with gr.Column(scale=3):
            question = gr.Textbox(label=tr("Question"), lines=1, elem_id="question_answering_question",
                                  info=tr("One question per line asks them all of the same context"))
            context = gr.Textbox(label=tr("Context"), lines=6, elem_id="question_answering_context")
            model = model_picker(ctx, task)
            with gr.Row():
                top_k = gr.Slider(1, 10, value=1, step=1, label="top_k")
                max_answer_len = gr.Slider(1, 100, value=15, step=1, label="max_answer_len",
                                           info=tr("Longest answer, in tokens"))
                impossible = gr.Checkbox(value=False, label="handle_impossible_answer",
                                         info=tr("Allow \"no answer\" (SQuAD 2.0 models)"))
            with gr.Row():
                max_seq_len = gr.Slider(32, 1024, value=384, step=1, label="max_seq_len",
                                        info=tr("Tokens per window (question + part of the context)"))
                doc_stride = gr.Slider(0, 512, value=128, step=1, label="doc_stride",
                                       info=tr("Tokens shared by neighbouring windows of a long context"))
                batch = gr.Slider(1, 32, value=8, step=1, label="batch_size", info=tr("Windows per forward pass"))
            run = gr.Button(tr("Run"), variant="primary", elem_id="question_answering_run")
            examples(ctx, [
                list(NOTES_QA),
                ["Where is Hugging Face based?\nWhen was the library first released?", TRANSFORMERS_CONTEXT],
                ["허깅페이스의 본사는 어디에 있나요?", KOREAN_CONTEXT],
            ], [question, context])
        with gr.Column(scale=2):
            answer = gr.Textbox(label=tr("Answer"), interactive=False, elem_id="question_answering_answer")
            highlight = gr.HighlightedText(label=tr("Answer in the context"), show_legend=False,
                                           elem_id="question_answering_highlight")
            note = gr.Markdown(visible=False, elem_id="question_answering_note")
            table = gr.Dataframe(headers=["rank", "answer", "score", "start", "end"], label=tr("Answers"),
                                 interactive=False, wrap=True, column_widths=["12%", "46%", "16%", "13%", "13%"],
                                 elem_id="question_answering_table")
            gr.Markdown(tr("transformers 5 removed this pipeline: the app runs AutoModelForQuestionAnswering with "
                           "the 4.x pipeline's span decoding, and the Code panel shows exactly that."),
                        elem_classes=["removed-note"])
    panels = result_panels(ctx, task)
    fields = {"question": question, "context": context, "top_k": top_k, "max_answer_len": max_answer_len,
              "handle_impossible_answer": impossible, "max_seq_len": max_seq_len, "doc_stride": doc_stride,
              "batch_size": batch}
    components = {"answer": answer, "highlight": highlight, "table": table}
    wire(ctx, task, run.click, fields, model, render_question_answering(components), panels,
         [answer, highlight, table])
    attach_note(ctx, task, run.click, fields, model, note, note_question_answering)


# ---- zero-shot-classification -----------------------------------------------------------------------
ZERO_SHOT_PARAMS = {"hypothesis_template": "This example is {}.", "multi_label": False, "batch_size": 1}


def zero_shot_call(inputs: dict, params: dict) -> tuple[Any, dict]:
    texts = lines_of(inputs.get("text"))
    labels = _words(inputs.get("candidate_labels"))
    if not labels:
        raise UserError("empty_input", what="Candidate labels")
    template = str(params.get("hypothesis_template") or "This example is {}.")
    if "{}" not in template:
        raise UserError("bad_param", name="hypothesis_template", detail="it must contain {} where the label goes")
    kwargs = {"candidate_labels": labels, "hypothesis_template": template,
              "multi_label": bool(params.get("multi_label", False))}
    return one_or_many(texts), {**kwargs, **_batch(texts, params)}


def run_zero_shot_classification(pipe, inputs: dict, params: dict) -> Any:
    """{"sequence", "labels", "scores"} (labels best first) for one text, a list of them for several."""
    items, kwargs = zero_shot_call(inputs, params)
    return pipe(items, **kwargs)


def note_zero_shot_classification(pipe, inputs: dict, params: dict) -> str:
    texts = lines_of(inputs.get("text"))
    _, kwargs = zero_shot_call(inputs, params)
    limit = token_limit(pipe.tokenizer, pipe.model.config)
    hypothesis = max((kwargs["hypothesis_template"].format(label) for label in kwargs["candidate_labels"]), key=len)
    counts = token_counts(pipe.tokenizer, texts, [hypothesis] * len(texts))
    long = [i + 1 for i, n in enumerate(counts) if n > limit]
    if not long:
        return ""
    return say(ZERO_SHOT_TRUNCATED, which=which_lines(long, len(texts)), limit=limit)


ZERO_SHOT_TRUNCATED = ("⚠️ {which} with its hypothesis is longer than the {limit} tokens the model reads: "
                       "the text was truncated (the hypothesis is kept whole), so only its beginning was classified.")


def code_zero_shot_classification(ref, inputs: dict, params: dict, place) -> str:
    items, kwargs = zero_shot_call(inputs, params)
    return pipeline_code("zero-shot-classification", ref, place, [items], kwargs)


ZERO_SHOT = TaskSpec(
    id="zero-shot-classification",
    title="Zero-shot classification",
    loader=Loader.pipeline("zero-shot-classification"),
    default_model="facebook/bart-large-mnli",
    models=(
        "MoritzLaurer/mDeBERTa-v3-base-mnli-xnli",
        "MoritzLaurer/DeBERTa-v3-base-mnli-fever-anli",
        "typeform/distilbert-base-uncased-mnli",
    ),
    run=run_zero_shot_classification,
    code=code_zero_shot_classification,
    inputs=("text", "candidate_labels"),
    params=dict(ZERO_SHOT_PARAMS),
    architectures=("ForSequenceClassification",),
    fits=has_entailment,
    description="Scores for labels you make up, from an NLI model (each label becomes a hypothesis).",
)


def render_zero_shot(components: dict):
    def render(output, inputs, params):
        results = [output] if isinstance(output, dict) else list(output)
        first = {label: float(score) for label, score in zip(results[0]["labels"], results[0]["scores"])}
        table = [[r["sequence"], r["labels"][0], round(float(r["scores"][0]), 4)] for r in results]
        return {
            components["label"]: first,
            components["table"]: gr.update(value=table, visible=len(results) > 1),
        }

    return render


def build_zero_shot_classification(ctx: Context) -> None:
    task, tr = ZERO_SHOT, ctx.tr
    with gr.Row():
        with gr.Column(scale=3):
            text = gr.Textbox(label=tr("Input text"), lines=4, elem_id="zero_shot_classification_text",
                              info=tr("One text per line runs them as one batch"))
            labels = gr.Textbox(label=tr("Candidate labels"), elem_id="zero_shot_classification_labels",
                                info=tr("Comma separated; each becomes a hypothesis through the template"))
            model = model_picker(ctx, task)
            with gr.Row():
                template = gr.Textbox(value="This example is {}.", label="hypothesis_template",
                                      info=tr("{} is replaced by each label"))
                multi = gr.Checkbox(value=False, label="multi_label",
                                    info=tr("Score each label on its own (several can be true)"))
                batch = gr.Slider(1, 32, value=1, step=1, label="batch_size")
            run = gr.Button(tr("Run"), variant="primary", elem_id="zero_shot_classification_run")
            examples(ctx, [
                ["Hugging Face is the best thing since sliced bread!", "technology, food, politics, sports",
                 "This example is {}."],
                ["The team scored in the last minute to win the cup.\nThe parliament passed the new budget today.",
                 "sports, politics, economics", "This example is about {}."],
                ["손흥민이 결승골을 넣어 팀이 우승했다.", "스포츠, 정치, 경제", "이 글은 {}에 관한 것이다."],
            ], [text, labels, template])
        with gr.Column(scale=2):
            label = gr.Label(label=tr("Labels"), elem_id="zero_shot_classification_label")
            note = gr.Markdown(visible=False, elem_id="zero_shot_classification_note")
            table = gr.Dataframe(headers=["text", "label", "score"], label=tr("Per line"), visible=False,
                                 interactive=False, wrap=True, column_widths=["58%", "26%", "16%"],
                                 elem_id="zero_shot_classification_table")
    panels = result_panels(ctx, task)
    fields = {"text": text, "candidate_labels": labels, "hypothesis_template": template, "multi_label": multi,
              "batch_size": batch}
    components = {"label": label, "table": table}
    wire(ctx, task, run.click, fields, model, render_zero_shot(components), panels, [label, table])
    attach_note(ctx, task, run.click, fields, model, note, note_zero_shot_classification)


# ---- table-question-answering -------------------------------------------------------------------------
NOTES_TABLE = {
    "Repository": ["Transformers", "Datasets", "Tokenizers"],
    "Stars": ["36542", "4512", "3934"],
    "Contributors": ["651", "77", "34"],
    "Programming language": ["Python", "Python", "Rust, Python and NodeJS"],
}
CITIES_TABLE = {  # TAPAS checkpoints read English only: no Korean table
    "City": ["Seoul", "Busan", "Incheon", "Daegu"],
    "Population": ["9386000", "3317000", "2997000", "2363000"],
    "Area (km2)": ["605", "770", "1067", "884"],
}


def table_of(value: Any) -> dict[str, list[str]]:
    """A table as {column: [cell, ...]} with every cell a string (TAPAS reads cells as text).

    Accepts a pandas DataFrame (the UI), {"headers", "data"} (gradio_client), {column: cells}, a list of
    row dicts, CSV text, or the path of a .csv file (the CLI). Empty rows are dropped.
    """
    import pandas as pd

    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise UserError("empty_input", what="Table")
        path = Path(text).expanduser()
        if "\n" not in text and path.suffix.lower() in (".csv", ".tsv", ".txt"):
            if not path.is_file():
                raise UserError("bad_file", what="Table", detail=f"no such file: {path}")
            text = path.read_text(encoding="utf-8-sig")
        try:
            value = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, sep=None, engine="python")
        except Exception as exc:
            raise UserError("bad_file", what="Table (CSV)", detail=str(exc).splitlines()[0]) from None
    elif isinstance(value, dict) and "headers" in value and "data" in value:
        value = pd.DataFrame(value["data"], columns=value["headers"])
    try:
        frame = value if isinstance(value, pd.DataFrame) else pd.DataFrame(value)
    except Exception as exc:
        raise UserError("bad_file", what="Table", detail=str(exc).splitlines()[0]) from None
    headers = [str(h).strip() for h in frame.columns]
    if not headers or any(not h for h in headers) or len(set(headers)) != len(headers):
        raise UserError("bad_param", name="table", detail="every column needs a header, and headers must differ")
    rows = [["" if cell is None or cell != cell else str(cell).strip() for cell in row]
            for row in frame.itertuples(index=False, name=None)]
    rows = [row for row in rows if any(row)]
    if not rows:
        raise UserError("empty_input", what="Table")
    return {h: [row[i] for row in rows] for i, h in enumerate(headers)}


TABLE_PARAMS = {"sequential": False}


def table_call(inputs: dict, params: dict) -> tuple[dict, dict]:
    queries = lines_of(inputs.get("query"), what="Question")
    table = table_of(inputs.get("table"))
    kwargs: dict[str, Any] = {"query": one_or_many(queries)}
    if params.get("sequential"):
        kwargs["sequential"] = True
    return table, kwargs


def run_table_question_answering(pipe, inputs: dict, params: dict) -> Any:
    """{"answer", "coordinates", "cells", "aggregator"} for one question, a list of them for several."""
    table, kwargs = table_call(inputs, params)
    sizes = getattr(pipe.model.config, "type_vocab_sizes", None)
    if sizes:  # rows and numeric ranks are embeddings with sizes[1] / sizes[4] positions (256), 0 for the question
        most, rows, columns = min(sizes[1], sizes[4]) - 1, len(next(iter(table.values()))), len(table)
        if rows > most or columns > sizes[2] - 1:
            raise UserError("too_large", what="Table", detail=f"{rows} rows × {columns} columns; TAPAS takes at most "
                                                              f"{most} rows and {sizes[2] - 1} columns")
    return pipe(table=table, **kwargs)


def note_table_question_answering(pipe, inputs: dict, params: dict) -> str:
    import pandas as pd

    table, kwargs = table_call(inputs, params)
    query = kwargs["query"] if isinstance(kwargs["query"], str) else kwargs["query"][0]
    frame = pd.DataFrame(table)
    encoded = pipe.tokenizer(table=frame, queries=query, truncation="drop_rows_to_fit")
    row_ids = [types[2] for types in encoded["token_type_ids"]]  # TAPAS token type 2: the cell's row (1-based)
    kept, total = max(row_ids, default=0), len(frame)
    if kept >= total:
        return ""
    return say(TABLE_TRUNCATED, limit=pipe.tokenizer.model_max_length, kept=kept, total=total)


TABLE_TRUNCATED = ("⚠️ The table is larger than the {limit} tokens the model reads: only its first {kept} of {total} "
                   "rows were used (TAPAS drops rows to fit, truncation=\"drop_rows_to_fit\").")
NO_CELLS = "(no cells selected)"
NO_AGGREGATION = "(this model has no aggregation head)"


TABLE_NOTE = ("TAPAS reads every cell as text: give strings (numbers as \"36542\"); with int cells (pandas'\n"
              "read_csv makes them) its tokenizer raises TypeError. The pipeline turns the dict into a DataFrame.")


def code_table_question_answering(ref, inputs: dict, params: dict, place) -> str:
    table, kwargs = table_call(inputs, params)
    load = call_args("table-question-answering", model=ref.source, **source_kwargs(ref), **place_kwargs(place))
    lines = [f"# {line}" for line in TABLE_NOTE.splitlines()]
    lines += ["from transformers import pipeline", "", f"pipe = pipeline({load})", "table = {"]
    lines += [f"    {py(name)}: {py(cells)}," for name, cells in table.items()]
    lines += ["}", f"result = pipe(table=table, {call_args(**kwargs)})", "print(result)"]
    return "\n".join(lines) + "\n"


TABLE_QA = TaskSpec(
    id="table-question-answering",
    title="Table question answering",
    loader=Loader.pipeline("table-question-answering"),
    default_model="google/tapas-base-finetuned-wtq",
    models=("google/tapas-large-finetuned-wtq", "google/tapas-base-finetuned-wikisql-supervised",
            "google/tapas-base-finetuned-sqa"),
    run=run_table_question_answering,
    code=code_table_question_answering,
    inputs=("query", "table"),
    params=dict(TABLE_PARAMS),
    architectures=("TapasForQuestionAnswering",),
    description="Answer a question from a table: the cells it points to and an aggregation (SUM, COUNT...).",
)


def styled_table(table: dict[str, list[str]], coordinates: list) -> Any:
    """The table as a pandas Styler with the answer's cells highlighted."""
    import pandas as pd

    frame = pd.DataFrame(table)
    used = {(int(r), int(c)) for r, c in coordinates}
    return frame.style.apply(lambda col: ["background-color: #fde047; font-weight: 600"
                                          if (i, frame.columns.get_loc(col.name)) in used else ""
                                          for i in range(len(col))])


def render_table_qa(components: dict):
    def render(output, inputs, params):
        queries = lines_of(inputs.get("query"), what="Question")
        results = [output] if isinstance(output, dict) else list(output)
        table = table_of(inputs.get("table"))
        first = results[0]
        rows = [[q, r["answer"], r.get("aggregator", ""), ", ".join(map(str, r["cells"]))]
                for q, r in zip(queries, results)]
        return {
            components["answer"]: "\n".join(r["answer"] if r["cells"] else say(NO_CELLS) for r in results),
            components["aggregator"]: first.get("aggregator", say(NO_AGGREGATION)),
            components["cells"]: styled_table(table, first["coordinates"]),
            components["per_query"]: gr.update(value=rows, visible=len(results) > 1),
        }

    return render


def read_csv_upload(path: str | None):
    """The uploaded CSV as a DataFrame of strings for the table editor."""
    import pandas as pd

    if not path:
        return gr.update()
    try:
        try:
            text = Path(path).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError("bad_file", what="Table", detail=str(exc)) from None
        return pd.DataFrame(table_of(text))
    except UserError as err:
        raise gr.Error(err.text(), print_exception=False) from None


def build_table_question_answering(ctx: Context) -> None:
    import pandas as pd

    task, tr = TABLE_QA, ctx.tr
    with gr.Row():
        with gr.Column(scale=3):
            table = gr.Dataframe(value=pd.DataFrame(NOTES_TABLE), label=tr("Table"), interactive=True,
                                 type="pandas", datatype="str", wrap=True, elem_id="table_question_answering_table")
            upload = gr.UploadButton(tr("Load a CSV file"), file_types=[".csv", ".tsv", ".txt"], size="sm",
                                     elem_id="table_question_answering_upload")
            query = gr.Textbox(label=tr("Question"), lines=1, elem_id="table_question_answering_query",
                               info=tr("One question per line runs them as one batch"))
            model = model_picker(ctx, task)
            sequential = gr.Checkbox(value=False, label="sequential",
                                     info=tr("Conversational models (SQA): questions in order, each after the last"))
            run = gr.Button(tr("Run"), variant="primary", elem_id="table_question_answering_run")
            examples(ctx, [
                ["How many stars does the transformers repository have?", pd.DataFrame(NOTES_TABLE)],
                ["What is the total number of contributors?\nWhich repositories use Python?",
                 pd.DataFrame(NOTES_TABLE)],
                ["Which city has the largest population?", pd.DataFrame(CITIES_TABLE)],
            ], [query, table])
        with gr.Column(scale=2):
            answer = gr.Textbox(label=tr("Answer"), interactive=False, elem_id="table_question_answering_answer")
            aggregator = gr.Textbox(label=tr("Aggregator"), interactive=False,
                                    elem_id="table_question_answering_aggregator")
            cells = gr.Dataframe(label=tr("Cells used (highlighted)"), interactive=False, wrap=True,
                                 elem_id="table_question_answering_cells")
            note = gr.Markdown(visible=False, elem_id="table_question_answering_note")
            per_query = gr.Dataframe(headers=["question", "answer", "aggregator", "cells"], label=tr("Per question"),
                                     visible=False, interactive=False, wrap=True,
                                     column_widths=["30%", "25%", "17%", "28%"],
                                     elem_id="table_question_answering_per_query")
    upload.upload(read_csv_upload, inputs=[upload], outputs=[table], api_visibility="private")
    panels = result_panels(ctx, task)
    fields = {"query": query, "table": table, "sequential": sequential}
    components = {"answer": answer, "aggregator": aggregator, "cells": cells, "per_query": per_query}
    wire(ctx, task, run.click, fields, model, render_table_qa(components), panels,
         [answer, aggregator, cells, per_query])
    attach_note(ctx, task, run.click, fields, model, note, note_table_question_answering)


# ---- fill-mask ------------------------------------------------------------------------------------------
FILL_PARAMS = {"top_k": 5, "targets": "", "batch_size": 1}
MASK_SPELLINGS = ("<mask>", "[MASK]", "[mask]", "<MASK>")


def fill_call(inputs: dict, params: dict) -> tuple[Any, dict]:
    texts = lines_of(inputs.get("text"))
    kwargs: dict[str, Any] = {"top_k": _int(params, "top_k", 5, low=1)}
    targets = _words(params.get("targets"))
    if targets:
        kwargs["targets"] = targets
    kwargs["tokenizer_kwargs"] = {"truncation": True}  # a long text is cut to the model's limit, not a crash
    return one_or_many(texts), {**kwargs, **_batch(texts, params)}


def check_masks(tokenizer, texts: list[str], limit: int) -> None:
    """Every line must hold the model's mask token exactly once, within the tokens the model reads."""
    mask = tokenizer.mask_token
    for line, text in enumerate(texts, start=1):
        where = f"line {line}" if len(texts) > 1 else "the text"
        count = text.count(mask)
        if count != 1:
            other = next((m for m in MASK_SPELLINGS if m != mask and m in text), None)
            hint = f" ({other} is another model's)" if other and count == 0 else ""
            raise UserError("bad_param", name="text",
                            detail=f"{where} must contain the model's mask token {mask} exactly once{hint}; "
                                   f"found {count}. The \"Insert mask token\" button puts it at the cursor.")
        before = len(tokenizer(text[:text.index(mask)], add_special_tokens=False)["input_ids"])
        if before + 2 >= limit:
            raise UserError("too_large", what=f"The text before the mask ({where})",
                            detail=f"{before} tokens, but the model reads {limit}: move {mask} nearer the start")


def run_fill_mask(pipe, inputs: dict, params: dict) -> list:
    """Candidates {"score", "token", "token_str", "sequence"} best first: a list for one text, a list of lists
    for several."""
    items, kwargs = fill_call(inputs, params)
    texts = [items] if isinstance(items, str) else items
    check_masks(pipe.tokenizer, texts, token_limit(pipe.tokenizer, pipe.model.config))
    return pipe(items, **kwargs)


def note_fill_mask(pipe, inputs: dict, params: dict) -> str:
    texts = lines_of(inputs.get("text"))
    limit = token_limit(pipe.tokenizer, pipe.model.config)
    long = [i + 1 for i, n in enumerate(token_counts(pipe.tokenizer, texts)) if n > limit]
    if not long:
        return ""
    return say(FILL_TRUNCATED, which=which_lines(long, len(texts)), limit=limit)


FILL_TRUNCATED = ("⚠️ {which} is longer than the {limit} tokens the model reads and was truncated: "
                  "the words after the cut did not help to fill the mask.")


def code_fill_mask(ref, inputs: dict, params: dict, place) -> str:
    items, kwargs = fill_call(inputs, params)
    return pipeline_code("fill-mask", ref, place, [items], kwargs)


FILL_MASK = TaskSpec(
    id="fill-mask",
    title="Fill mask",
    loader=Loader.pipeline("fill-mask"),
    default_model="distilbert/distilroberta-base",
    models=("google-bert/bert-base-uncased", "FacebookAI/xlm-roberta-base", "klue/roberta-base"),
    run=run_fill_mask,
    code=code_fill_mask,
    inputs=("text",),
    params=dict(FILL_PARAMS),
    architectures=("ForMaskedLM",),
    fits=reads_plain_text,
    description="The likeliest words for the model's mask token (<mask>, [MASK]...) in a sentence.",
)


def mask_token_from_files(folder: str | Path) -> str:
    """The mask token a tokenizer folder declares (tokenizer_config.json, then special_tokens_map.json), or ""."""
    for name in ("tokenizer_config.json", "special_tokens_map.json"):
        try:
            token = json.loads((Path(folder) / name).read_text(encoding="utf-8")).get("mask_token")
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(token, dict):
            token = token.get("content")
        if token:
            return str(token)
    return ""


def initial_mask_token(model_id: str) -> str:
    """The default model's mask token without loading anything: read from a local folder or the Hugging Face
    cache; "" when only loading would tell (it is looked up then)."""
    if Path(model_id).is_dir():
        return mask_token_from_files(model_id)
    try:
        from huggingface_hub import try_to_load_from_cache

        for name in ("tokenizer_config.json", "special_tokens_map.json"):
            cached = try_to_load_from_cache(model_id, name)
            if isinstance(cached, str):
                token = mask_token_from_files(Path(cached).parent)
                if token:
                    return token
    except Exception:  # no cache: the lookup on first use tells
        pass
    return ""


def mask_token_lookup(ctx: Context):
    """model id -> the mask token of the fill-mask pipeline the run will use (loaded through the model manager,
    sharing the run's cache entry; no inference). On failure the box is cleared and the run reports why."""

    def lookup(model_id: str):
        try:
            entry, _ = ctx.models.get(FILL_MASK.loader, model_id, task=FILL_MASK.id)
            return entry.obj.tokenizer.mask_token or ""
        except Exception:
            return ""

    return lookup


# Inserts the mask token at the text box's cursor (or at the end), with spaces around it where needed.
INSERT_MASK_JS = """
(text, mask) => {
  text = text || "";
  if (!mask) return text;
  const box = document.querySelector("#fill_mask_text textarea");
  let at = box && box.selectionStart != null ? box.selectionStart : text.length;
  if (box && document.activeElement !== box && box.selectionStart === 0 && text.length) at = text.length;
  const before = text.slice(0, at), after = text.slice(at);
  const left = before && !/\\s$/.test(before) ? " " : "";
  const right = after && !/^[\\s.,!?;:]/.test(after) ? " " : "";
  return before + left + mask + right + after;
}
"""


def render_fill_mask(components: dict):
    def render(output, inputs, params):
        texts = lines_of(inputs.get("text"))
        results = _as_batches(output, len(texts))
        first: dict[str, float] = {}
        for c in results[0]:  # blank or look-alike tokens get their repr / id so no bar hides another
            name = c["token_str"].strip() or repr(c["token_str"])
            first[f"{name} (#{c['token']})" if name in first else name] = float(c["score"])
        rows = [[line, c["token_str"], round(float(c["score"]), 4), c["sequence"]]
                for line, candidates in enumerate(results, start=1) for c in candidates]
        headers, widths = ["line", "token", "score", "filled sentence"], ["10%", "18%", "14%", "58%"]
        if len(texts) == 1:
            headers, widths, rows = headers[1:], ["20%", "15%", "65%"], [row[1:] for row in rows]
        return {
            components["label"]: first,
            components["table"]: gr.update(value={"headers": headers, "data": rows}, column_widths=widths),
        }

    return render


def build_fill_mask(ctx: Context) -> None:
    task, tr = FILL_MASK, ctx.tr
    default = ctx.models.choices(task)[1]
    with gr.Row():
        with gr.Column(scale=3):
            text = gr.Textbox(label=tr("Input text"), lines=4, elem_id="fill_mask_text",
                              info=tr("Write the model's mask token where a word is missing; one text per line"))
            model = model_picker(ctx, task)
            with gr.Row():
                mask = gr.Textbox(value=initial_mask_token(default), label=tr("This model's mask token"),
                                  interactive=False, elem_id="fill_mask_token", scale=2,
                                  placeholder=tr("looked up when you pick a model or press Insert"))
                insert = gr.Button(tr("Insert mask token"), elem_id="fill_mask_insert", scale=1)
            with gr.Row():
                top_k = gr.Slider(1, 20, value=5, step=1, label="top_k")
                targets = gr.Textbox(value="", label="targets",
                                     info=tr("Only score these words, comma separated (empty = the whole vocabulary)"))
                batch = gr.Slider(1, 32, value=1, step=1, label="batch_size")
            run = gr.Button(tr("Run"), variant="primary", elem_id="fill_mask_run")
            examples(ctx, [
                ["Hugging Face is a community-based open-source <mask> for machine learning."],
                ["The goal of life is <mask>.\nParis is the <mask> of France."],
                ["대한민국의 수도는 <mask>입니다."],
            ], [text])
        with gr.Column(scale=2):
            label = gr.Label(label=tr("Candidates"), elem_id="fill_mask_label")
            note = gr.Markdown(visible=False, elem_id="fill_mask_note")
            table = gr.Dataframe(headers=["token", "score", "filled sentence"], label=tr("Filled sentences"),
                                 interactive=False, wrap=True, column_widths=["20%", "15%", "65%"],
                                 elem_id="fill_mask_table")
    lookup = mask_token_lookup(ctx)
    model.change(lookup, inputs=[model], outputs=[mask], api_visibility="private", show_progress="minimal")
    insert.click(lookup, inputs=[model], outputs=[mask], api_visibility="private", show_progress="minimal").then(
        None, inputs=[text, mask], outputs=[text], js=INSERT_MASK_JS)
    panels = result_panels(ctx, task)
    fields = {"text": text, "top_k": top_k, "targets": targets, "batch_size": batch}
    components = {"label": label, "table": table}
    wire(ctx, task, run.click, fields, model, render_fill_mask(components), panels, [label, table])
    attach_note(ctx, task, run.click, fields, model, note, note_fill_mask)


TASKS = (
    (TOKEN_CLASSIFICATION, build_token_classification),
    (QUESTION_ANSWERING, build_question_answering),
    (ZERO_SHOT, build_zero_shot_classification),
    (TABLE_QA, build_table_question_answering),
    (FILL_MASK, build_fill_mask),
)

KOREAN = {
    "Token classification (NER)": "토큰 분류 (개체명 인식)",
    "Question answering": "질의응답",
    "Zero-shot classification": "제로샷 분류",
    "Table question answering": "표 질의응답",
    "Fill mask": "마스크 채우기",
    "How sub-word tokens become entities; none = one tag per token":
        "하위 단어 토큰을 개체로 묶는 방법; none = 토큰마다 태그 하나",
    "Labels to leave out, comma separated (empty = keep every token)":
        "제외할 레이블, 쉼표로 구분 (비우면 모든 토큰 유지)",
    "Long texts: tokens shared by neighbouring windows; 0 = cut at the limit":
        "긴 텍스트: 이웃한 창이 겹치는 토큰 수; 0 = 한도에서 자름",
    "Entities": "개체",
    "Entity table": "개체 표",
    "Question": "질문",
    "One question per line asks them all of the same context": "한 줄에 질문 하나씩: 모두 같은 문맥에 묻습니다",
    "Context": "문맥",
    "Longest answer, in tokens": "가장 긴 답의 토큰 수",
    "Allow \"no answer\" (SQuAD 2.0 models)": "\"답 없음\" 허용 (SQuAD 2.0 모델)",
    "Tokens per window (question + part of the context)": "창 하나의 토큰 수 (질문 + 문맥 일부)",
    "Tokens shared by neighbouring windows of a long context": "긴 문맥에서 이웃한 창이 겹치는 토큰 수",
    "Windows per forward pass": "한 번의 순전파에 넣을 창 수",
    "Answer": "답",
    "Answer in the context": "문맥 속의 답",
    "Answers": "답 목록",
    "transformers 5 removed this pipeline: the app runs AutoModelForQuestionAnswering with the 4.x pipeline's "
    "span decoding, and the Code panel shows exactly that.":
        "transformers 5에서 이 파이프라인이 제거되었습니다: 앱은 AutoModelForQuestionAnswering과 4.x 파이프라인의 "
        "답 구간 선택 방식을 그대로 실행하며, 코드 패널에 바로 그 코드가 있습니다.",
    "Candidate labels": "후보 레이블",
    "Comma separated; each becomes a hypothesis through the template": "쉼표로 구분; 각각 템플릿으로 가설 문장이 됩니다",
    "{} is replaced by each label": "{} 자리에 각 레이블이 들어갑니다",
    "Score each label on its own (several can be true)": "레이블마다 따로 점수 (여러 개가 참일 수 있음)",
    "Table": "표",
    "Load a CSV file": "CSV 파일 불러오기",
    "One question per line runs them as one batch": "한 줄에 질문 하나씩 쓰면 한 번에 배치로 실행합니다",
    "Conversational models (SQA): questions in order, each after the last":
        "대화형 모델(SQA): 질문을 순서대로, 앞 질문에 이어서 처리",
    "Aggregator": "집계 연산",
    "Cells used (highlighted)": "사용한 셀 (강조 표시)",
    "Per question": "질문별 결과",
    "Write the model's mask token where a word is missing; one text per line":
        "빠진 단어 자리에 모델의 마스크 토큰을 쓰세요; 한 줄에 한 문장",
    "This model's mask token": "이 모델의 마스크 토큰",
    "looked up when you pick a model or press Insert": "모델을 고르거나 삽입을 누르면 확인합니다",
    "Insert mask token": "마스크 토큰 삽입",
    "Only score these words, comma separated (empty = the whole vocabulary)":
        "이 단어들만 점수 매기기, 쉼표로 구분 (비우면 전체 어휘)",
    "Candidates": "후보",
    "Filled sentences": "채워진 문장",
    # notes and texts made when a result is shown (core.i18n.say)
    **WHICH_KOREAN,
    TOKEN_WINDOWED: "ℹ️ {which}의 길이가 모델이 한 번에 읽는 {limit} 토큰을 넘습니다: 파이프라인이 겹치는 창으로 나누어 "
                    "전체를 읽었습니다 (stride={stride}).",
    TOKEN_TRUNCATED: "⚠️ {which}의 길이가 모델이 한 번에 읽는 {limit} 토큰을 넘어 잘렸습니다: 앞부분만 태깅했습니다 "
                     "({why}; 전체를 읽으려면 simple/first/average/max 중 하나와 stride를 함께 쓰세요).",
    NO_WINDOWS_NONE: "aggregation_strategy \"none\"은 창을 쓸 수 없습니다",
    NO_WINDOWS_STRIDE: "stride가 0입니다",
    QA_WINDOWED: "ℹ️ 문맥이 창 하나({size} 토큰)보다 깁니다: 겹치는 창 {count}개로 나누어 읽었고 (doc_stride={stride}), "
                 "답은 모든 창에서 가장 좋은 구간입니다.",
    NO_ANSWER: "(답 없음)",
    ZERO_SHOT_TRUNCATED: "⚠️ {which}에 가설 문장을 더한 길이가 모델이 읽는 {limit} 토큰을 넘습니다: 텍스트가 잘려서 "
                         "(가설은 그대로 유지) 앞부분만 분류했습니다.",
    TABLE_TRUNCATED: "⚠️ 표가 모델이 읽는 {limit} 토큰보다 큽니다: 전체 {total}행 중 처음 {kept}행만 사용했습니다 "
                     "(TAPAS는 길이에 맞추려고 행을 버립니다, truncation=\"drop_rows_to_fit\").",
    NO_CELLS: "(선택된 셀 없음)",
    NO_AGGREGATION: "(이 모델에는 집계 헤드가 없습니다)",
    FILL_TRUNCATED: "⚠️ {which}의 길이가 모델이 읽는 {limit} 토큰을 넘어 잘렸습니다: 잘린 뒤의 단어는 마스크를 채우는 데 "
                    "쓰이지 않았습니다.",
}
