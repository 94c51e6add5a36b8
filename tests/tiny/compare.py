"""Second checkpoints of tasks that have one tiny model, for comparing models (core.compare): the same
architecture with its weights moved by seeded noise, so the two models answer differently."""

from __future__ import annotations

from pathlib import Path

from tests.tiny import text as text_models
from tests.tiny import tiny
from tests.tiny import vision as vision_models


def _reseeded(folder: Path, build, model_class: str, seed: int, scale: float = 0.5) -> None:
    """build's model, saved again with every weight matrix moved by scale x its std of seeded noise."""
    import torch
    import transformers

    build(folder)
    model = getattr(transformers, model_class).from_pretrained(folder)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() > 1:
                p.add_(torch.randn(p.shape, generator=generator) * scale * float(p.std()))
    model.save_pretrained(folder)


@tiny("bert-seqcls-b", "text-classification")
def build_bert_seqcls_b(folder: Path) -> None:
    _reseeded(folder, text_models.build_bert_seqcls, "BertForSequenceClassification", 1)


@tiny("bert-tokcls-b", "token-classification")
def build_bert_tokcls_b(folder: Path) -> None:
    _reseeded(folder, text_models.build_bert_tokcls, "BertForTokenClassification", 2)


@tiny("detr-b", "object-detection")
def build_detr_b(folder: Path) -> None:
    _reseeded(folder, vision_models.build_detr, "DetrForObjectDetection", 3, scale=0.3)
