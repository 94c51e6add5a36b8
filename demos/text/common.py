"""Input handling shared by the text tasks."""

from __future__ import annotations

from core.errors import UserError
from core.i18n import say


def lines_of(text: str | list[str] | None, what: str = "Input text") -> list[str]:
    """Non-empty lines of text (a list is taken as given); UserError when there are none."""
    items = text if isinstance(text, list) else (text or "").splitlines()
    items = [t.strip() for t in items if t and t.strip()]
    if not items:
        raise UserError("empty_input", what=what)
    return items


def one_or_many(items: list[str]) -> str | list[str]:
    """A single input stays a string (the pipeline then returns one result), several become a batch."""
    return items[0] if len(items) == 1 else items


# ---- generation controls (text2text-generation, text-generation, summarization, translation) ------
# name -> (minimum, maximum, step, info); 0 for a length or num_beams means "the model's default"
# (its generation_config), so the code only passes what the user changed.
GENERATION_SLIDERS: dict[str, tuple[float, float, float, str]] = {
    "max_new_tokens": (1, 1024, 1, "Tokens to generate at most"),
    "max_length": (0, 1024, 1, "Output tokens at most; 0 = the model's default"),
    "min_length": (0, 512, 1, "Output tokens at least; 0 = the model's default"),
    "num_beams": (0, 8, 1, "Beam search width; 0 = the model's default, 1 = greedy"),
    "num_return_sequences": (1, 5, 1, "Texts per prompt (needs do_sample or num_beams)"),
    "temperature": (0.05, 2.0, 0.05, "Sampling only: lower = safer, higher = more varied"),
    "top_k": (0, 200, 1, "Sampling only: keep the k likeliest tokens; 0 = off"),
    "top_p": (0.05, 1.0, 0.05, "Sampling only: keep the smallest set with this probability"),
    "repetition_penalty": (1.0, 2.0, 0.05, "Above 1 discourages repeating tokens"),
    "batch_size": (1, 32, 1, "Lines per generate call (several lines run as batches)"),
}
SAMPLING = ("temperature", "top_k", "top_p")

# which lines of the input a note is about ("The input" for a single text); say() makes them Korean
THE_INPUT = "The input"
LINE = "Line {lines}"
LINES = "Lines {lines}"
WHICH_KOREAN = {THE_INPUT: "입력", LINE: "{lines}번째 줄", LINES: "{lines}번째 줄"}


def token_limit(tokenizer, config) -> int:
    """Tokens the model reads at once: the tokenizer's model_max_length, capped by the model's position
    embeddings when it has them (T5's relative positions have none)."""
    positions = getattr(config, "max_position_embeddings", None)
    return min(tokenizer.model_max_length, positions or tokenizer.model_max_length)


def which_lines(lines: list[int], total: int, *, plural: bool = True) -> str:
    """"The input" when there is one text, else "Line 3" / "Lines 2, 5" (in the request's language).
    plural=False keeps "Line" for several lines too."""
    if total == 1:
        return say(THE_INPUT)
    return say(LINES if plural and len(lines) > 1 else LINE, lines=", ".join(map(str, lines)))


GENERATION_KOREAN = {
    "Tokens to generate at most": "생성할 최대 토큰 수",
    "Output tokens at most; 0 = the model's default": "출력 최대 토큰 수; 0 = 모델 기본값",
    "Output tokens at least; 0 = the model's default": "출력 최소 토큰 수; 0 = 모델 기본값",
    "Beam search width; 0 = the model's default, 1 = greedy": "빔 서치 너비; 0 = 모델 기본값, 1 = 탐욕적(greedy)",
    "Texts per prompt (needs do_sample or num_beams)": "프롬프트당 생성할 텍스트 수 (do_sample 또는 num_beams 필요)",
    "Sampling only: lower = safer, higher = more varied": "샘플링 전용: 낮을수록 안정적, 높을수록 다양함",
    "Sampling only: keep the k likeliest tokens; 0 = off": "샘플링 전용: 확률 상위 k개 토큰만 사용; 0 = 끔",
    "Sampling only: keep the smallest set with this probability": "샘플링 전용: 누적 확률이 이 값이 되는 최소 토큰 집합만 사용",
    "Above 1 discourages repeating tokens": "1보다 크면 같은 토큰의 반복을 억제합니다",
    "Lines per generate call (several lines run as batches)": "generate 한 번에 처리할 줄 수 (여러 줄은 배치로 실행)",
    "Off: greedy (always the likeliest token); on: random choice among likely tokens, repeatable with the seed":
        "끄면 탐욕적 디코딩(항상 가장 확률 높은 토큰), 켜면 확률 높은 토큰 중 무작위 선택(seed로 재현 가능)",
    "Seed for sampling (set_seed)": "샘플링 시드 (set_seed)",
}


def generation_controls(ctx, defaults: dict, per_row: int = 4) -> dict:
    """Widgets for the generation parameters named in defaults, in that order, `per_row` to a row; then
    do_sample with seed, then the sampling knobs (temperature, top_k, top_p), each pair in its own row.

    Labels are the transformers argument names (also the API's parameter names). Returns name ->
    component, ready to merge into wire()'s fields.
    """
    import gradio as gr

    sampling = ("do_sample", *SAMPLING, "seed")
    names = [n for n in defaults if n not in sampling]
    rows = [names[i:i + per_row] for i in range(0, len(names), per_row)]
    rows.append([n for n in defaults if n in ("do_sample", "seed")])
    rows.append([n for n in defaults if n in SAMPLING])
    components: dict = {}
    for row in filter(None, rows):
        with gr.Row():
            for name in row:
                value = defaults[name]
                if name == "do_sample":
                    components[name] = gr.Checkbox(
                        value=bool(value), label="do_sample",
                        info=ctx.tr("Off: greedy (always the likeliest token); on: random choice among likely "
                                    "tokens, repeatable with the seed"))
                elif name == "seed":
                    components[name] = gr.Number(value=int(value), precision=0, label="seed",
                                                 info=ctx.tr("Seed for sampling (set_seed)"))
                else:
                    low, high, step, info = GENERATION_SLIDERS[name]
                    components[name] = gr.Slider(low, high, value=value, step=step, label=name, info=ctx.tr(info))
    return components


def generation_kwargs(params: dict) -> dict:
    """generate() keyword arguments for the generation parameters in params, leaving out what keeps the
    model's own default: 0 lengths / num_beams, num_return_sequences 1, repetition_penalty 1.0, and the
    sampling knobs unless do_sample is on (greedy decoding ignores them, and generate warns about them).
    Raises UserError("bad_param") for values generate would reject."""
    kwargs: dict = {}
    for name in ("max_new_tokens", "max_length", "min_length", "num_beams"):
        if name in params:
            value = _number(params, name, int)
            if value < 0:
                raise UserError("bad_param", name=name, detail="must be 0 or more")
            if value > 0:
                kwargs[name] = value
    if kwargs.get("min_length") and kwargs.get("max_length") and kwargs["min_length"] > kwargs["max_length"]:
        raise UserError("bad_param", name="min_length", detail="must not exceed max_length")
    if "do_sample" in params:
        kwargs["do_sample"] = bool(params["do_sample"])
    sequences = _number(params, "num_return_sequences", int, 1)
    if sequences > 1:
        if not kwargs.get("do_sample") and kwargs.get("num_beams", 1) < sequences:
            raise UserError("bad_param", name="num_return_sequences",
                            detail="greedy decoding gives one text: turn on do_sample (or use num_beams >= it)")
        kwargs["num_return_sequences"] = sequences
    if kwargs.get("do_sample"):
        temperature = _number(params, "temperature", float, 1.0)
        top_p = _number(params, "top_p", float, 1.0)
        if temperature <= 0:
            raise UserError("bad_param", name="temperature", detail="must be above 0 when sampling")
        if not 0 < top_p <= 1:
            raise UserError("bad_param", name="top_p", detail="must be in (0, 1]")
        kwargs.update(temperature=temperature, top_k=_number(params, "top_k", int, 50), top_p=top_p)
    penalty = _number(params, "repetition_penalty", float, 1.0)
    if penalty <= 0:
        raise UserError("bad_param", name="repetition_penalty", detail="must be above 0")
    if penalty != 1.0:
        kwargs["repetition_penalty"] = penalty
    return kwargs


def batch_size_of(params: dict) -> int:
    """params["batch_size"] as a positive int (1 when absent)."""
    size = _number(params, "batch_size", int, 1)
    if size < 1:
        raise UserError("bad_param", name="batch_size", detail="must be 1 or more")
    return size


def _number(params: dict, name: str, kind, default=0):
    value = params.get(name)
    if value is None or value == "":
        return default
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise UserError("bad_param", name=name, detail=f"expected a number, got {value!r}") from None


# model types whose ...ForQuestionAnswering / ...ForSequenceClassification also read page layout, pixels,
# tables or HTML: they have their own tabs (document QA, visual QA, table QA)
NOT_PLAIN_TEXT = frozenset({"layoutlm", "layoutlmv2", "layoutlmv3", "layoutxlm", "lilt", "udop", "vilt", "blip",
                            "blip-2", "tapas", "lxmert", "visual_bert", "markuplm"})


def reads_plain_text(model) -> bool:
    """Whether a local model (core.local_models.LocalModel) takes plain text: it has a tokenizer (audio
    classifiers, which share the ForSequenceClassification suffix, have none) and is no layout/vision model."""
    return model.has_tokenizer and model.model_type not in NOT_PLAIN_TEXT


def has_entailment(model) -> bool:
    """A plain-text NLI model: zero-shot classification needs an 'entailment' label, as the pipeline does."""
    return reads_plain_text(model) and any(label.lower().startswith("entail") for label in model.labels)
