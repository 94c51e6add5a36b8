"""Input handling shared by the text tasks."""

from __future__ import annotations

import json
from pathlib import Path

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


def config_labels(models, model_id: str, known: dict[str, tuple[str, ...]] | None = None) -> tuple[str, ...]:
    """A model's labels (config.id2label in id order) without loading it: a local folder's or a cached Hub
    model's config, else `known[model_id]`; () when unknown."""
    model_id = (model_id or "").strip()
    for local in models.local_models():
        if model_id in (local.value, str(local.path)):
            return local.labels
    try:
        from huggingface_hub import try_to_load_from_cache

        path = try_to_load_from_cache(model_id.split("@")[0], "config.json")
        if isinstance(path, str):
            id2label = json.loads(Path(path).read_text(encoding="utf-8")).get("id2label") or {}
            return tuple(str(id2label[k]) for k in sorted(id2label, key=int))
    except (OSError, ValueError, TypeError, KeyError):
        pass
    return (known or {}).get(model_id, ())
