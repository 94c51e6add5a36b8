"""question-answering: the span of a context that answers a question (one question per line, all asked of
the same context).

transformers 5 removed pipeline("question-answering"), so this runs AutoModelForQuestionAnswering with the
4.x pipeline's decoding, written out in three small functions (`qa_windows`, `best_spans`,
`answer_questions`) that the Code panel prints verbatim: the shown code is the code the app runs. A context
longer than one window is read in overlapping windows (`doc_stride`); the context is tokenized once per
run, and the note under the result says how many windows were read.
"""

from __future__ import annotations

import inspect

from core.codegen import call_args, from_pretrained, py
from core.errors import UserError
from core.i18n import note
from core.params import Bool, Int, Lines, Text
from core.registry import Loader, Output, TaskSpec
from demos.text.common import reads_plain_text, token_limit
from demos.text.reading import highlight_value, token_counts


# These three functions are printed verbatim in the Code panel: keep them self-contained.
def qa_windows(model, tokenizer, questions, context, max_seq_len, doc_stride):
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


def best_spans(start_logits, end_logits, in_context, top_k, max_answer_len):
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


def answer_questions(model, tokenizer, questions, context, top_k, max_answer_len, handle_impossible_answer,
                     max_seq_len, doc_stride, batch_size, windows=None):
    """Extractive question answering over one context, for several questions at once.

    Runs the model on every window (batch_size windows per forward pass), keeps each window's best spans
    (`best_spans`), widens them to whole words and maps them to character offsets in the context. The same
    span seen in two overlapping windows keeps its best score. With handle_impossible_answer, "no answer"
    ({"answer": ""}, its score the lowest no-answer score of the windows) competes with the spans.
    windows: qa_windows' result when it is already at hand (it is computed otherwise).
    Returns one list per question of up to top_k {"score", "start", "end", "answer"}, best first.
    """
    import torch

    if windows is None:
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


# windows of all questions together in one run: each is a forward pass of up to max_seq_len tokens
MAX_WINDOWS = 512


def qa_sizes(tokenizer, config, params: dict) -> tuple[int, int]:
    """(window length, doc_stride) as qa_windows caps them for this model."""
    size = min(params["max_seq_len"], token_limit(tokenizer, config))
    return size, min(params["doc_stride"], size // 2)


def call_of(inputs: dict, params: dict) -> tuple[list[str], str, dict]:
    """(questions, context, answer_questions keyword arguments) for this run (parsed values)."""
    return inputs["question"], inputs["context"].strip(), dict(params)


QA_WINDOWED = ("ℹ️ The context is longer than one window of {size} tokens: it was read in {count} overlapping "
               "windows (doc_stride={stride}), and the answers are the best spans of all of them.")
NO_ANSWER = "(no answer)"


def run(bundle, inputs: dict, params: dict) -> Output:
    """Answers best first ({"score", "start", "end", "answer"}): a list for one question, a list of lists
    for several (one question per line, all asked of the same context); a note when the context took
    several windows."""
    questions, context, kwargs = call_of(inputs, params)
    tokenizer, model = bundle.processor, bundle.model
    if not getattr(tokenizer, "is_fast", False):
        raise UserError("wrong_task", model=getattr(model, "name_or_path", "this model"), task="question-answering")
    size, stride = qa_sizes(tokenizer, model.config, kwargs)
    for line, n in enumerate(token_counts(tokenizer, questions), start=1):
        if n + stride + 2 >= size:
            raise UserError("too_large", what=f"Question {line}" if len(questions) > 1 else "The question",
                            detail=f"{n} tokens; it must leave room for the context in {size} tokens "
                                   f"(shorten it, or lower doc_stride below {max(size - n - 3, 0)})")
    windows = qa_windows(model, tokenizer, questions, context, kwargs["max_seq_len"], kwargs["doc_stride"])
    owner = windows["overflow_to_sample_mapping"].tolist()
    if len(owner) > MAX_WINDOWS:
        raise UserError("too_large", what="Context",
                        detail=f"{len(owner):,} windows of {size} tokens for {len(questions)} question(s); at most "
                               f"{MAX_WINDOWS}: shorten the context, ask fewer questions or raise max_seq_len")
    results = answer_questions(model, tokenizer, questions, context, **kwargs, windows=windows)
    count = owner.count(0)  # windows of one question (every question reads the same context)
    notes = (note(QA_WINDOWED, size=size, count=count, stride=stride),) if count > 1 else ()
    return Output(results[0] if len(questions) == 1 else results, notes=notes, facts={"context": context})


REMOVED_NOTE = ('transformers 5 removed pipeline("question-answering"): the 4.x one-liner now raises KeyError.\n'
                "This is the AutoClass code the app runs instead (same result as the app's raw output):\n"
                "the 4.x pipeline's windowing and span decoding, written out.")


# read once at import: the running code, even if the file is edited while the server runs
QA_HELPERS_SOURCE = "\n\n\n".join(inspect.getsource(fn).rstrip() for fn in (qa_windows, best_spans, answer_questions))


def code(ref, inputs: dict, params: dict, place) -> str:
    questions, context, kwargs = call_of(inputs, params)
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


NOTES_QA = ("What is the name of the repository?", "The name of the repository is huggingface/transformers")
TRANSFORMERS_CONTEXT = (
    "🤗 Transformers provides thousands of pretrained models to perform tasks on different modalities such as "
    "text, vision, and audio. The library was first released by Hugging Face in 2018 under the name "
    "pytorch-pretrained-bert. Hugging Face is a French-American company based in New York City."
)
KOREAN_CONTEXT = ("허깅페이스는 2016년에 설립된 프랑스계 미국 회사로, 본사는 뉴욕에 있다. "
                  "이 회사는 머신러닝 모델을 공유하는 허브와 트랜스포머 라이브러리로 잘 알려져 있다.")
EXAMPLES = [
    list(NOTES_QA),
    ["Where is Hugging Face based?\nWhen was the library first released?", TRANSFORMERS_CONTEXT],
    ["허깅페이스의 본사는 어디에 있나요?", KOREAN_CONTEXT],
]


def drawn(output, questions: list[str], context: str, no_answer: str) -> tuple[str, dict, dict, list[str]]:
    """(the best answers, one per line; the context with them marked; the answers table; its column widths)."""
    per_question = [output] if len(questions) == 1 else output
    rows, spans, taken = [], [], []
    for number, answers in enumerate(per_question, start=1):
        for rank, a in enumerate(answers, start=1):
            rows.append([number, rank, a["answer"] or no_answer, round(float(a["score"]), 4), a["start"], a["end"]])
        best = answers[0] if answers else None
        if best and best["answer"] and not any(s < best["end"] and best["start"] < e for s, e in taken):
            taken.append((best["start"], best["end"]))
            spans.append((best["start"], best["end"], "answer" if len(questions) == 1 else f"Q{number}"))
    best_texts = [(answers[0]["answer"] if answers else "") or no_answer for answers in per_question]
    headers = ["question", "rank", "answer", "score", "start", "end"]
    widths = ["14%", "10%", "40%", "14%", "11%", "11%"]
    if len(questions) == 1:
        headers, widths, rows = headers[1:], ["12%", "46%", "16%", "13%", "13%"], [row[1:] for row in rows]
    return ("\n".join(best_texts), highlight_value([context], [sorted(spans)]), {"headers": headers, "data": rows},
            widths)


def build(ctx) -> None:
    """Question and context, the model picker and parameters on the left; the answer, marked in the context,
    and the answers table on the right."""
    import gradio as gr

    from core.i18n import say
    from core.ui import examples, model_picker, result_panels, widgets, wire

    tr = ctx.tr
    with gr.Row():
        with gr.Column(scale=3):
            fields = widgets(ctx, TASK, "question", "context")
            model = model_picker(ctx, TASK)
            with gr.Row():
                fields |= widgets(ctx, TASK, "top_k", "max_answer_len", "handle_impossible_answer")
            with gr.Row():
                fields |= widgets(ctx, TASK, "max_seq_len", "doc_stride", "batch_size")
            run_button = gr.Button(tr("Run"), variant="primary", elem_id="question_answering_run")
            examples(ctx, EXAMPLES, [fields["question"], fields["context"]])
        with gr.Column(scale=2):
            answer = gr.Textbox(label=tr("Answer"), interactive=False, elem_id="question_answering_answer")
            highlight = gr.HighlightedText(label=tr("Answer in the context"), show_legend=False,
                                           elem_id="question_answering_highlight")
            table = gr.Dataframe(headers=["rank", "answer", "score", "start", "end"], label=tr("Answers"),
                                 interactive=False, wrap=True, column_widths=["12%", "46%", "16%", "13%", "13%"],
                                 elem_id="question_answering_table")
            gr.Markdown(tr("transformers 5 removed this pipeline: the app runs AutoModelForQuestionAnswering with "
                           "the 4.x pipeline's span decoding, and the Code panel shows exactly that."),
                        elem_classes=["removed-note"])
    panels = result_panels(ctx, TASK)

    def render(result) -> dict:
        best, marked, answers, widths = drawn(result.output, result.inputs["question"], result.facts["context"],
                                              say(NO_ANSWER))
        return {
            answer: best,
            highlight: gr.update(value=marked, color_map={s["entity"]: "#fde047" for s in marked["entities"]}),
            table: gr.update(value=answers, column_widths=widths),
        }

    wire(ctx, TASK, run_button.click, fields, model, render, panels, [answer, highlight, table])


TASK = TaskSpec(
    id="question-answering",
    title="Question answering",
    loader=Loader.auto("AutoModelForQuestionAnswering", "AutoTokenizer"),
    default_model="distilbert/distilbert-base-cased-distilled-squad",
    models=(
        "deepset/roberta-base-squad2",
        "deepset/xlm-roberta-large-squad2",
    ),
    run=run,
    code=code,
    inputs=(
        Lines("question", label="Question", help="One question per line asks them all of the same context",
              required=True, lines=2, max_items=32, max_chars=5_000),
        Text("context", label="Context", required=True, lines=6, max_chars=50_000),
    ),
    params=(
        Int("top_k", 1, 1, 20, help="Answers to show per question, best first"),
        Int("max_answer_len", 15, 1, 100, help="Longest answer, in tokens"),
        Bool("handle_impossible_answer", False, help="Allow \"no answer\" (SQuAD 2.0 models)"),
        Int("max_seq_len", 384, 32, 1024, limit="tokens", help="Tokens per window (question + part of the context)"),
        Int("doc_stride", 128, 0, 512, help="Tokens shared by neighbouring windows of a long context"),
        Int("batch_size", 8, 1, 32, help="Windows per forward pass"),
    ),
    architectures=("ForQuestionAnswering", "ForQuestionAnsweringSimple"),
    fits=reads_plain_text,
    description="The span of a context that answers a question (removed from 5.x pipelines: "
                "AutoModelForQuestionAnswering).",
    build=build,
)
