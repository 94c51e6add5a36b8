"""tokenize: tokenizer(text) made visible: tokens, ids, offsets, word ids and the whole encoding of a text or a
batch (one text per line), with padding, truncation, text pairs, the tensors' shape/dtype and the
tokenizer's facts."""

from __future__ import annotations

from typing import Any

from core.codegen import call_args, py
from core.errors import UserError
from core.i18n import note
from core.params import Bool, Choice, Int, Text
from core.registry import Output, TaskSpec
from demos.tokenizer.anatomy import max_length_of, tokenizer_facts
from demos.tokenizer.common import (
    ADD_SPECIAL_TOKENS,
    CURATED,
    DEFAULT,
    LOADER,
    VIEW,
    flag,
    load_lines,
    sequence_view,
    text_literal,
    tokenizer_of,
)

PADDING = ("False", "True", "longest", "max_length")
TRUNCATION = ("False", "True", "longest_first", "only_first", "only_second")
TENSORS = ("list", "pt", "np")
MAX_TEXTS = 256          # lines of a batch
MAX_LENGTH = 8192        # max_length, and what max_length padding may pad to
MAX_CELLS = 1_048_576    # texts x padded length: what padding may allocate at most
MAX_SEQUENCES = 32       # sequences listed at most; counts cover all of them


# ---- the run -----------------------------------------------------------------------------------
def texts_of(inputs: dict, params: dict) -> tuple[list[str], list[str] | None, bool]:
    """(texts, pairs or None, batched) from the text and text_pair inputs.

    With split_lines (the default) each non-empty line is one text of a batch; text_pair lines pair with
    the text lines in order (one pair line pairs with every text)."""
    text, pair, split = inputs["text"], inputs["text_pair"], params["split_lines"]
    texts = [t for t in text.splitlines() if t.strip()] if split else [text]
    if len(texts) > MAX_TEXTS:
        raise UserError("too_large", what="Text", detail=f"{len(texts):,} lines; at most {MAX_TEXTS} texts in a batch")
    pairs = None
    if pair.strip():
        pairs = [p for p in pair.splitlines() if p.strip()] if split else [pair]
        if len(pairs) == 1 and len(texts) > 1:
            pairs = pairs * len(texts)
        if len(pairs) != len(texts):
            raise UserError("bad_param", name="text_pair",
                            detail=f"{len(pairs)} lines for {len(texts)} texts: give one line, or one per text")
    return texts, pairs, len(texts) > 1


def encode_kwargs(params: dict) -> dict:
    """tokenizer(...) keyword arguments the user chose (defaults left out, as in the code panel)."""
    kwargs: dict[str, Any] = {}
    if not params["add_special_tokens"]:
        kwargs["add_special_tokens"] = False
    if params["padding"] != "False":
        kwargs["padding"] = flag(params["padding"])
    if params["truncation"] != "False":
        kwargs["truncation"] = flag(params["truncation"])
    if params["max_length"]:
        kwargs["max_length"] = params["max_length"]
    return kwargs


def _check_lengths(tokenizer, kwargs: dict, pairs: list[str] | None) -> None:
    """Clear errors where transformers would only warn and silently do nothing, or fail obscurely."""
    truncation = kwargs.get("truncation")
    if truncation == "only_second" and not pairs:
        raise UserError("bad_param", name="truncation", detail="only_second cuts the second text: give a text_pair")
    special = tokenizer.num_special_tokens_to_add(pair=bool(pairs)) if kwargs.get("add_special_tokens", True) else 0
    if truncation and kwargs.get("max_length") and kwargs["max_length"] <= special:
        raise UserError("bad_param", name="max_length",
                        detail=f"leave room for text: this tokenizer adds {special} special tokens by itself")
    if kwargs.get("max_length") or max_length_of(tokenizer):
        return
    if kwargs.get("padding") == "max_length":
        raise UserError("bad_param", name="padding",
                        detail="max_length padding needs a max_length: this tokenizer has no model_max_length")
    if kwargs.get("truncation"):
        raise UserError("bad_param", name="truncation",
                        detail="truncation needs a max_length: this tokenizer has no model_max_length")


def _call(tokenizer, texts: list[str], pairs: list[str] | None, batched: bool, kwargs: dict):
    first = texts if batched else texts[0]
    if pairs is None:
        return tokenizer(first, **kwargs)
    return tokenizer(first, text_pair=pairs if batched else pairs[0], **kwargs)


def _check_padding(tokenizer, texts, pairs, batched: bool, kwargs: dict) -> None:
    """What padding would allocate stays bounded: max_length padding to at most MAX_LENGTH tokens, and
    texts x padded length at most MAX_CELLS (a public link must not be made to allocate gigabytes)."""
    padding = kwargs.get("padding")
    if not padding:
        return
    if padding == "max_length":
        target = kwargs.get("max_length") or max_length_of(tokenizer)
        if target > MAX_LENGTH:
            raise UserError("too_large", what="padding", detail=f"max_length padding to this tokenizer's model_max_length "
                                                              f"({target:,} tokens); set max_length (at most {MAX_LENGTH:,})")
        longest = target
    elif not batched:
        return  # padding one text to the longest pads nothing
    else:
        unpadded = {k: v for k, v in kwargs.items() if k != "padding"}
        longest = max(len(ids) for ids in _call(tokenizer, texts, pairs, batched, unpadded)["input_ids"])
    if len(texts) * longest > MAX_CELLS:
        raise UserError("too_large", what="padding", detail=f"{len(texts)} texts padded to {longest:,} tokens; at most "
                                                          f"{MAX_CELLS:,} tokens in all")


def _rows(value: Any, batched: bool) -> list:
    return list(value) if batched else [value]


def _tensor_info(tokenizer, texts, pairs, batched, kwargs, return_tensors: str, lengths: list[int]) -> dict:
    """Shape and dtype of each field with return_tensors (computed for real), or the list lengths."""
    if return_tensors == "list":
        return {"return_tensors": None, "lengths": lengths}
    try:
        tensors = _call(tokenizer, texts, pairs, batched, {**kwargs, "return_tensors": return_tensors})
    except ValueError as exc:
        if len(set(lengths)) > 1:
            raise UserError("bad_param", name="return_tensors",
                            detail=f"the texts have different lengths ({', '.join(map(str, lengths[:8]))} tokens) and "
                                   "a tensor must be rectangular: choose padding True, longest or max_length") from None
        raise UserError("bad_param", name="return_tensors", detail=str(exc).splitlines()[0][:200]) from None
    info: dict[str, Any] = {"return_tensors": return_tensors}
    for name, value in tensors.items():
        info[name] = {"shape": list(value.shape), "dtype": str(value.dtype)}
    return info


def run(loaded, inputs: dict, params: dict) -> Output:
    """The encoding of one text (flat lists) or of a batch (one entry per text in "sequences"), with
    tokens, word ids, offsets, exact counts, the tensors' shape/dtype and the tokenizer's facts."""
    tokenizer = tokenizer_of(loaded)
    texts, pairs, batched = texts_of(inputs, params)
    kwargs = encode_kwargs(params)
    _check_lengths(tokenizer, kwargs, pairs)
    _check_padding(tokenizer, texts, pairs, batched, kwargs)
    view = dict(kwargs, return_special_tokens_mask=True)
    if tokenizer.is_fast:
        view["return_offsets_mapping"] = True
    try:
        enc = _call(tokenizer, texts, pairs, batched, view)
    except Exception as exc:  # the tokenizers library's own refusal, e.g. only_first on a too short text
        if "Truncation error" not in str(exc):
            raise
        raise UserError("bad_param", name="truncation", detail=str(exc).replace("Truncation error: ", "")) from None
    names = list(enc.keys())
    columns = {name: _rows(enc[name], batched) for name in names}
    sequences, notes = [], []
    for i in range(min(len(texts), MAX_SEQUENCES)):
        row = {name: columns[name][i] for name in names}
        seq, seq_notes = sequence_view(tokenizer, enc, i, row, texts[i], pairs[i] if pairs else None,
                                       params["view_limit"])
        sequences.append(seq)
        notes += [note("Text {n}: {note}", n=i + 1, note=n) for n in seq_notes] if batched else seq_notes
    lengths = [len(ids) for ids in columns["input_ids"]]
    out: dict[str, Any]
    if batched:
        out = {"sequences": sequences, "batch_size": len(texts), "lengths": lengths, "total_tokens": sum(lengths)}
        if len(texts) > MAX_SEQUENCES:
            notes.append(note("Showing the first {shown} of {n} texts; the lengths cover all.",
                              shown=MAX_SEQUENCES, n=len(texts)))
    else:
        out = sequences[0]
    out["tensors"] = _tensor_info(tokenizer, texts, pairs, batched, kwargs, params["return_tensors"], lengths)
    out["tokenizer"] = tokenizer_facts(tokenizer)
    return Output(out, notes=tuple(notes), facts={"texts": texts, "pairs": pairs})


def code(ref, inputs: dict, params: dict, place=None) -> str:
    texts, pairs, batched = texts_of(inputs, params)
    kwargs = encode_kwargs(params)
    return_tensors = params["return_tensors"]
    lines = load_lines(ref)
    if batched:
        lines.append(f"texts = {py(texts)}")
        args = "texts"
        if pairs:
            lines.append(f"pairs = {py(pairs)}")
            args += ", text_pair=pairs"
    else:
        lines.append(f"text = {text_literal(texts[0])}")
        args = "text"
        if pairs:
            lines.append(f"pair = {text_literal(pairs[0])}")
            args += ", text_pair=pair"
    extra = call_args(**kwargs)
    call = f"{args}, {extra}" if extra else args
    lines += [
        f"encoding = tokenizer({call}, return_special_tokens_mask=True, return_offsets_mapping=True)",
        "print(encoding)  # input_ids, token_type_ids, attention_mask, special_tokens_mask, offset_mapping",
    ]
    if batched:
        lines += ["for i in range(len(texts)):",
                  "    print(encoding.tokens(i))    # the coloured tokens",
                  "    print(encoding.word_ids(i))  # the word of each token (None: a special token)"]
    else:
        lines += ["print(encoding.tokens())    # the coloured tokens",
                  "print(encoding.word_ids())  # the word of each token (None: a special token)"]
    if return_tensors != "list":
        lines += ["",
                  "# What a model takes: tensors (every row must have the same length)",
                  f"tensors = tokenizer({call}, return_tensors={return_tensors!r})",
                  "print({name: (tuple(value.shape), value.dtype) for name, value in tensors.items()})"]
    return "\n".join(lines) + "\n"


# ---- the sub-tab -------------------------------------------------------------------------------
EXAMPLES = [
    ["In a hole in the ground there lived a hobbit.", "", "False", "list"],
    ["I am a boy.", "", "False", "pt"],
    ["But what about second breakfast?\nDon't think he knows about second breakfast, Pip.\nWhat about elevensies?",
     "", "True", "pt"],
    ["Hugging Face는 인공지능(AI)과 자연어 처리(NLP) 분야에서 혁신적인 도구와 모델을 제공하는 AI 스타트업이다.", "", "False", "list"],
    ["What is a tokenizer?", "A tokenizer splits text into tokens and maps each token to an id.", "False", "list"],
]


def build(ctx) -> None:
    """Texts, the picker and the parameters on the left, the tokenizer's facts on the right; the coloured
    tokens and the encoding table below."""
    import gradio as gr

    from core.ui import examples, model_picker, result_panels, widgets, wire
    from demos.tokenizer import view

    with gr.Row():
        with gr.Column(scale=3):
            fields = widgets(ctx, TASK, "text", "text_pair")
            model = model_picker(ctx, TASK)
            with gr.Row():
                fields |= widgets(ctx, TASK, "padding", "truncation", "max_length", "return_tensors")
            with gr.Row():
                fields |= widgets(ctx, TASK, "add_special_tokens", "split_lines", "view_limit")
            run_button = gr.Button(ctx.tr("Run"), variant="primary")
            examples(ctx, EXAMPLES, [fields[n] for n in ("text", "text_pair", "padding", "return_tensors")])
        with gr.Column(scale=2):
            facts = view.html_output(ctx, "Tokenizer facts", "tokenize_facts")
    tokens = view.html_output(ctx, "Tokens (hover one for its id, characters, word)", "tokenize_tokens")
    encoding = view.html_output(ctx, "Encoding: what the model receives (one column per token)", "tokenize_encoding")
    panels = result_panels(ctx, TASK)

    def render(result) -> dict:
        texts, pairs = result.facts["texts"], result.facts["pairs"]
        return {tokens: view.tokenize_html(result.output, texts, pairs),
                encoding: view.encoding_html(result.output, texts, pairs),
                facts: view.facts_html(result.output["tokenizer"])}

    wire(ctx, TASK, run_button.click, fields, model, render, panels, [tokens, encoding, facts],
         triggers=[fields["text"].submit])


TASK = TaskSpec(
    id="tokenize",
    title="Tokenize",
    loader=LOADER,
    default_model=DEFAULT,
    models=CURATED,
    run=run,
    code=code,
    inputs=(
        Text("text", label="Text", help="One text per line makes a batch (then padding matters)", lines=4,
             max_chars=100_000, required=True),
        Text("text_pair", label="Second text (text_pair)", max_chars=50_000,
             help="Question + context: token_type_ids become 0 for the first text and 1 for this one"),
    ),
    params=(
        Choice("padding", "False", PADDING, synonyms=(("do_not_pad", "False"),),
               help="Pad shorter texts: True/longest = to the longest, max_length = to max_length"),
        Choice("truncation", "False", TRUNCATION, synonyms=(("do_not_truncate", "False"),),
               help="Cut longer texts to max_length (or the model's maximum)"),
        Int("max_length", 0, 0, MAX_LENGTH, limit="tokens", widget=(("component", "number"),),
            help="0 = not set (the model's maximum)"),
        Choice("return_tensors", "list", TENSORS, synonyms=(("none", "list"), ("python", "list")),
               widget=(("component", "radio"),), help="list = Python lists, pt = PyTorch, np = NumPy"),
        ADD_SPECIAL_TOKENS,
        Bool("split_lines", True, help="Each line is one text of a batch"),
        VIEW,
    ),
    architectures=(),
    description="Tokens, ids, offsets and the whole encoding of a text or a batch, with the tokenizer's facts.",
    build=build,
)
