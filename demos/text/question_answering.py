"""question-answering: the span of a context that answers a question (one question per line, all asked of
the same context).

transformers 5 removed pipeline("question-answering"), so this runs AutoModelForQuestionAnswering with the
decoding of transformers 4.57.6's pipeline (the last 4.x release), written out in five functions that the
Code panel prints verbatim under its "helpers" line: the shown code is the code the app runs. The `decoding`
option gives 4.52.4's instead (before 4.53: fewer candidate spans, and the same answer found twice is listed
twice instead of having its scores summed). A context longer than one window is read in overlapping windows
(`doc_stride`); it is tokenized once per run, and the note under the result says how many windows were read.
"""

from __future__ import annotations

import inspect
import textwrap

from core.codegen import call_args, from_pretrained, py
from core.errors import UserError
from core.i18n import note
from core.params import Bool, Choice, Int, Lines, Text
from core.registry import Loader, Output, TaskSpec
from demos.text.common import reads_plain_text
from demos.text.reading import highlight_value, token_counts


# The five functions below are printed verbatim in the Code panel: keep them self-contained.
def qa_windows(tokenizer, questions, context, max_seq_len, doc_stride):
    """Each question with the context, cut into windows of max_seq_len tokens that overlap by doc_stride."""
    pairs = (questions, [context] * len(questions))
    if tokenizer.padding_side == "right":  # 4.x puts the question first, except for left-padding tokenizers
        return tokenizer(*pairs, truncation="only_second", max_length=max_seq_len, stride=doc_stride,
                         return_overflowing_tokens=True, return_offsets_mapping=True)
    return tokenizer(*pairs[::-1], truncation="only_first", max_length=max_seq_len, stride=doc_stride,
                     return_overflowing_tokens=True, return_offsets_mapping=True)


def window_spans(start, end, allowed, top_k, max_answer_len):
    """4.x's select_starts_ends + decode_spans on one window's logits (float32, shape (1, tokens)).
    allowed: 1 for the tokens an answer may use. Returns (starts, ends, scores, no-answer score)."""
    import numpy as np

    start = np.where(allowed == 0, -10000.0, start)
    end = np.where(allowed == 0, -10000.0, end)
    start = np.exp(start - start.max(axis=-1, keepdims=True))
    start = start / start.sum()
    end = np.exp(end - end.max(axis=-1, keepdims=True))
    end = end / end.sum()
    no_answer = (start[0, 0] * end[0, 0]).item()
    start[0, 0] = end[0, 0] = 0.0
    # P(start=s) * P(end=e) for s <= e < s + max_answer_len
    candidates = np.tril(np.triu(np.matmul(np.expand_dims(start, -1), np.expand_dims(end, 1))), max_answer_len - 1)
    flat = candidates.flatten()
    if top_k == 1:
        best = [np.argmax(flat)]
    elif len(flat) < top_k:
        best = np.argsort(-flat)
    else:
        best = np.argpartition(-flat, top_k)[0:top_k]
        best = best[np.argsort(-flat[best])]
    starts, ends = np.unravel_index(best, candidates.shape)[1:]
    # as in 4.x: allowed.nonzero() is (rows, columns), so index 0 (the row) always passes
    keep = np.isin(starts, allowed.nonzero()) & np.isin(ends, allowed.nonzero())
    return starts[keep], ends[keep], candidates[0, starts[keep], ends[keep]], no_answer


def span_chars(window, s, e, sequence_index, align_to_words):
    """Characters of tokens s..e in the context, widened to whole words (4.x's get_indices)."""
    if align_to_words:
        try:
            return (window.word_to_chars(window.token_to_word(s), sequence_index=sequence_index)[0],
                    window.word_to_chars(window.token_to_word(e), sequence_index=sequence_index)[1])
        except Exception:  # a token of no word ([CLS]): its own offsets
            pass
    return window.offsets[s][0], window.offsets[e][1]


def window_logits(model, tokenizer, windows, batch_size):
    """Each window's start and end logits (float32, shape (1, its tokens)), batch_size windows per forward pass
    (padded: the attention mask keeps the padding out of the real tokens' logits)."""
    import torch

    names = [name for name in tokenizer.model_input_names if name in windows]
    logits = []
    for first in range(0, len(windows["input_ids"]), batch_size):
        batch = tokenizer.pad({name: windows[name][first:first + batch_size] for name in names}, return_tensors="pt")
        with torch.no_grad():
            out = model(**batch.to(model.device))
        for row, ids in enumerate(windows["input_ids"][first:first + batch_size]):
            real = slice(0, len(ids)) if tokenizer.padding_side == "right" else slice(-len(ids), None)
            logits.append((out.start_logits[row:row + 1, real].float().cpu().numpy(),
                           out.end_logits[row:row + 1, real].float().cpu().numpy()))
    return logits


def answer_questions(model, tokenizer, questions, context, top_k=1, max_answer_len=15,
                     handle_impossible_answer=False, max_seq_len=None, doc_stride=None, align_to_words=True,
                     batch_size=8, decoding="4.57", windows=None, logits=None):
    """One list per question of up to top_k {"score", "start", "end", "answer"}, best first, as the 4.57.6
    pipeline answered (decoding="4.52": as 4.52.4's). windows: qa_windows' result when already at hand;
    logits: window_logits' result for them when already at hand."""
    import numpy as np

    positions = getattr(model.config, "max_position_embeddings", None)  # XLNet: -1, no limit
    limit = min(tokenizer.model_max_length, positions if positions and positions > 0 else 10**9)
    max_seq_len = min(max_seq_len or 384, limit)  # 384: 4.x's default; past the model's limit 4.x fails, this caps
    if doc_stride is None:
        doc_stride = min(max_seq_len // 2, 128)
    if doc_stride > max_seq_len:
        raise ValueError(f"`doc_stride` ({doc_stride}) is larger than `max_seq_len` ({max_seq_len})")
    if windows is None:
        windows = qa_windows(tokenizer, questions, context, max_seq_len, doc_stride)
    if logits is None:
        logits = window_logits(model, tokenizer, windows, batch_size)
    question_first = tokenizer.padding_side == "right"
    pre_top_k = top_k * 2 + 10 if align_to_words and decoding == "4.57" else top_k
    answers, no_answer = [[] for _ in questions], [1000000.0 for _ in questions]
    for w, (start_logits, end_logits) in enumerate(logits):
        window, q = windows[w], windows["overflow_to_sample_mapping"][w]
        # 1 for the context's tokens and [CLS] (a context-first window allows all its tokens, as in 4.x)
        allowed = np.array([[int(not question_first or sequence == 1 or token == tokenizer.cls_token_id)
                             for sequence, token in zip(window.sequence_ids, window.ids)]])
        starts, ends, scores, null = window_spans(start_logits, end_logits, allowed, pre_top_k, max_answer_len)
        no_answer[q] = min(no_answer[q], null)
        shift = window.ids.count(tokenizer.pad_token_id) if tokenizer.padding_side == "left" else 0
        for s, e, score in zip(starts - shift, ends - shift, scores):
            begin, stop = span_chars(window, s, e, 1 if question_first else 0, align_to_words)
            text = context[begin:stop]
            # since 4.53 the same answer text (found at several places or windows) adds up its scores
            same = [a for a in answers[q] if a["answer"].lower() == text.lower()] if decoding == "4.57" else []
            if same:
                same[0]["score"] += score.item()
            else:
                answers[q].append({"score": score.item(), "start": begin, "end": stop, "answer": text})
    if handle_impossible_answer:
        for q in range(len(questions)):
            answers[q].append({"score": no_answer[q], "start": 0, "end": 0, "answer": ""})
    return [sorted(found, key=lambda a: a["score"], reverse=True)[:top_k] for found in answers]


# windows of all questions together in one run: each is a forward pass of up to max_seq_len tokens
MAX_WINDOWS = 512
AUTO_STRIDE = -1  # doc_stride's default: 4.x's min(max_seq_len // 2, 128)
# the decoding option's choices -> answer_questions' decoding, and the release each one reproduces
DECODINGS = {"4.57 (last 4.x)": "4.57", "4.52 (before 4.53)": "4.52"}
RELEASES = {"4.57": "4.57.6", "4.52": "4.52.4"}


def qa_sizes(tokenizer, config, params: dict) -> tuple[int, int]:
    """(window length, doc_stride) as answer_questions resolves them for this model."""
    positions = getattr(config, "max_position_embeddings", None)  # as answer_questions caps it
    size = min(params["max_seq_len"], tokenizer.model_max_length, positions if positions and positions > 0 else 10**9)
    stride = params["doc_stride"]
    return size, min(size // 2, 128) if stride == AUTO_STRIDE else stride


def check_windows(tokenizer, questions: list[str], context: str, size: int, stride: int) -> None:
    """One line for each way these sizes fail in 4.x (a ValueError, or a panic in the tokenizer)."""
    if stride > size:
        raise UserError("bad_param", name="doc_stride", detail=f"{stride} is larger than max_seq_len ({size})")
    specials = tokenizer.num_special_tokens_to_add(pair=False)
    if stride > size - specials:
        raise UserError("bad_param", name="doc_stride",
                        detail=f"must be at most {size - specials} (max_seq_len {size} minus {specials} special "
                               f"tokens), got {stride}")
    context_tokens = None
    for line, taken in enumerate(token_counts(tokenizer, questions, [""] * len(questions)), start=1):
        room = size - taken  # context tokens a window holds beside this question
        which = f"Question {line}" if len(questions) > 1 else "The question"
        if room < 1:
            raise UserError("too_large", what=which, detail=f"{taken} tokens with the special tokens; it must leave "
                                                            f"room for the context in {size} tokens (max_seq_len)")
        if stride >= room:
            if context_tokens is None:
                context_tokens = len(tokenizer(context, add_special_tokens=False)["input_ids"])
            if context_tokens > room:  # the context needs windows: the tokenizer cannot step back doc_stride
                raise UserError("bad_param", name="doc_stride",
                                detail=f"must be less than the {room} context tokens a window holds beside "
                                       f"{which[0].lower() + which[1:]}, got {stride} (lower doc_stride or raise "
                                       f"max_seq_len)")


def call_of(inputs: dict, params: dict) -> tuple[list[str], str, dict]:
    """(questions, context, answer_questions keyword arguments) for this run (parsed values)."""
    kwargs = dict(params)
    kwargs["doc_stride"] = None if params["doc_stride"] == AUTO_STRIDE else params["doc_stride"]
    kwargs["decoding"] = DECODINGS[params["decoding"]]
    return inputs["question"], inputs["context"], kwargs


QA_WINDOWED = ("ℹ️ The context is longer than one window of {size} tokens: it was read in {count} overlapping "
               "windows (doc_stride={stride}), and the answers are the best spans of all of them.")
QA_CAPPED = "ℹ️ max_seq_len={asked} is more than the {size} tokens the model reads at once: windows of {size} tokens."
NO_ANSWER = "(no answer)"
UI_NOTE = ("transformers 5 removed this pipeline: the app runs AutoModelForQuestionAnswering with the decoding of "
           "transformers 4.57.6's pipeline (4.52's is the decoding option), and the Code panel shows exactly that.")


def request_windows(tokenizer, config, inputs: dict, params: dict):
    """(questions, context, answer_questions kwargs, windows) of one request, its sizes checked first."""
    questions, context, kwargs = call_of(inputs, params)
    size, stride = qa_sizes(tokenizer, config, params)
    check_windows(tokenizer, questions, context, size, stride)
    windows = qa_windows(tokenizer, questions, context, size, stride)
    if len(windows["input_ids"]) > MAX_WINDOWS:
        raise UserError("too_large", what="Context",
                        detail=f"{len(windows['input_ids']):,} windows of {size} tokens for {len(questions)} "
                               f"question(s); at most {MAX_WINDOWS}: shorten the context, ask fewer questions or "
                               "raise max_seq_len")
    return questions, context, kwargs, windows


def batch(bundle, inputs_list: list[dict], params: dict) -> list[Output]:
    """run's result per request; every request's windows go through the model together (batch_size windows per
    request in each forward pass: the memory of the requests run side by side), then each is decoded alone."""
    tokenizer, model = bundle.processor, bundle.model
    if not getattr(tokenizer, "is_fast", False):
        raise UserError("wrong_task", model=getattr(model, "name_or_path", "this model"), task="question-answering")
    jobs = [request_windows(tokenizer, model.config, inputs, params) for inputs in inputs_list]
    names = [name for name in tokenizer.model_input_names if name in jobs[0][3]]
    every = {name: [ids for *_, windows in jobs for ids in windows[name]] for name in names}
    logits = window_logits(model, tokenizer, every, params["batch_size"] * len(jobs))
    size, stride = qa_sizes(tokenizer, model.config, params)
    results, first = [], 0
    for questions, context, kwargs, windows in jobs:
        count = len(windows["input_ids"])
        answers = answer_questions(model, tokenizer, questions, context, **kwargs, windows=windows,
                                   logits=logits[first:first + count])
        first += count
        notes = []
        if size < params["max_seq_len"]:
            notes.append(note(QA_CAPPED, asked=params["max_seq_len"], size=size))
        per_question = windows["overflow_to_sample_mapping"].count(0)  # every question reads the same context
        if per_question > 1:
            notes.append(note(QA_WINDOWED, size=size, count=per_question, stride=stride))
        results.append(Output(answers[0] if len(questions) == 1 else answers, notes=tuple(notes),
                              facts={"context": context}))
    return results


def run(bundle, inputs: dict, params: dict) -> Output:
    """Answers best first ({"score", "start", "end", "answer"}): a list for one question, a list of lists
    for several (one question per line, all asked of the same context); start and end index the context as
    given. Notes when the context took several windows or max_seq_len was above the model's limit."""
    return batch(bundle, [inputs], params)[0]


REMOVED_NOTE = ('transformers 5 removed pipeline("question-answering"): the 4.x one-liner now raises KeyError.\n'
                "This is transformers {release}'s question-answering pipeline{era}, rebuilt on\n"
                "AutoModelForQuestionAnswering: the same answers, starts, ends and scores as the app's raw output.\n"
                "Read main(); the decoding it calls is in the helpers section below it.")
HELPERS_BANNER = ("# ---- helpers " + "-" * 86 + "\n"
                  "# transformers {release}'s question-answering decoding (transformers/pipelines/question_answering.py:\n"
                  "# preprocess, select_starts_ends, decode_spans, get_indices, postprocess), written for transformers 5.")

# read once at import: the running code, even if the file is edited while the server runs
QA_HELPERS_SOURCE = "\n\n\n".join(inspect.getsource(fn).rstrip()
                                  for fn in (qa_windows, window_spans, span_chars, window_logits, answer_questions))


def code(ref, inputs: dict, params: dict, place) -> str:
    questions, context, kwargs = call_of(inputs, params)
    release = RELEASES[kwargs["decoding"]]
    era = " (its decoding before 4.53)" if kwargs["decoding"] == "4.52" else ""
    arguments = textwrap.fill(call_args(**kwargs), width=100, initial_indent=" " * 4, subsequent_indent=" " * 4,
                              break_long_words=False, break_on_hyphens=False)
    main = [
        from_pretrained("AutoTokenizer", ref, var="tokenizer"),
        from_pretrained("AutoModelForQuestionAnswering", ref, place),
        "model.eval()",
        f"questions = {py(questions)}",
        f"context = {py(context)}",
        "result = answer_questions(",
        "    model, tokenizer, questions, context,",
        *arguments.splitlines()[:-1], arguments.splitlines()[-1] + ")",
        "print(result[0])  # one question: its answers, best first" if len(questions) == 1 else "print(result)",
        "return result",
    ]
    lines = [f"# {line}" for line in REMOVED_NOTE.format(release=release, era=era).splitlines()]
    lines += ["from transformers import AutoModelForQuestionAnswering, AutoTokenizer", "", "", "def main():"]
    lines += [textwrap.indent(line, "    ") for line in main]
    lines += ["", "", HELPERS_BANNER.format(release=release), QA_HELPERS_SOURCE, "", "", "result = main()"]
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
            with gr.Row():
                fields |= widgets(ctx, TASK, "decoding", "align_to_words")
            run_button = gr.Button(tr("Run"), variant="primary", elem_id="question_answering_run")
            examples(ctx, EXAMPLES, [fields["question"], fields["context"]])
        with gr.Column(scale=2):
            answer = gr.Textbox(label=tr("Answer"), interactive=False, elem_id="question_answering_answer")
            highlight = gr.HighlightedText(label=tr("Answer in the context"), show_legend=False,
                                           elem_id="question_answering_highlight")
            table = gr.Dataframe(headers=["rank", "answer", "score", "start", "end"], label=tr("Answers"),
                                 interactive=False, wrap=True, column_widths=["12%", "46%", "16%", "13%", "13%"],
                                 elem_id="question_answering_table")
            gr.Markdown(tr(UI_NOTE), elem_classes=["removed-note"])
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
    batch=batch,
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
        Int("doc_stride", AUTO_STRIDE, AUTO_STRIDE, 512,
            help="Tokens shared by neighbouring windows of a long context; -1 = min(max_seq_len // 2, 128)"),
        Bool("align_to_words", True, help="Widen answers to whole words (off: token spans, for text without spaces)"),
        Int("batch_size", 8, 1, 32, help="Windows per forward pass"),
        Choice("decoding", "4.57 (last 4.x)", tuple(DECODINGS),
               synonyms=tuple((short, long) for long, short in DECODINGS.items())
               + tuple((RELEASES[short], long) for long, short in DECODINGS.items()),
               help="Whose answers: 4.53 and later take more candidate spans and add up the scores of the same "
                    "answer text; 4.52 keeps each span apart"),
    ),
    architectures=("ForQuestionAnswering", "ForQuestionAnsweringSimple"),
    fits=reads_plain_text,
    description="The span of a context that answers a question (removed from 5.x pipelines: "
                "AutoModelForQuestionAnswering).",
    build=build,
)
