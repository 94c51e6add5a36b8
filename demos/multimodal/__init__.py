"""Multimodal tab: questions about documents (OCR + LayoutLM) and photos (ViLT, BLIP), captions, and a chat
about images with a small vision-language model; each a sub-tab with examples, parameters, the drawn
result, raw JSON, details and the transformers 5 code.

Task groups live in the submodules; each exports TASKS = ((TaskSpec, build_fn), ...) and KOREAN.
"""

from __future__ import annotations

import gradio as gr

from core.registry import TabSpec
from core.ui import Context
from demos.multimodal import captioning, chat, document_qa, vqa

GROUPS = (document_qa, vqa, captioning, chat)


def build(ctx: Context) -> None:
    with gr.Tabs():
        for group in GROUPS:
            for task, build_task in group.TASKS:
                with gr.Tab(ctx.tr(task.title), id=task.id, elem_id=f"task_{task.api_name}"):
                    build_task(ctx)


SPEC = TabSpec(
    id="multimodal",
    title="Multimodal",
    order=40,
    tasks=tuple(task for group in GROUPS for task, _ in group.TASKS),
    build=build,
    korean={"Multimodal": "멀티모달", **{k: v for group in GROUPS for k, v in group.KOREAN.items()}},
)
