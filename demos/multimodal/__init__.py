"""Multimodal tab: questions about documents (OCR + LayoutLM) and photos (ViLT, BLIP), captions, and a chat
about images with a small vision-language model; each a sub-tab with examples, parameters, the drawn
result, raw JSON, details and the transformers 5 code.

Task groups live in the submodules; each exports TASKS = ((TaskSpec, build_fn), ...) and KOREAN.
"""

from __future__ import annotations

from core.ui import subtab_spec
from demos.multimodal import captioning, chat, document_qa, vqa

GROUPS = (document_qa, vqa, captioning, chat)


SPEC = subtab_spec(id="multimodal", title="Multimodal", order=40,
                   tasks=[pair for group in GROUPS for pair in group.TASKS],
                   korean={"Multimodal": "멀티모달", **{k: v for group in GROUPS for k, v in group.KOREAN.items()}})
