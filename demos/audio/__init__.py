"""Audio tab: speech recognition, audio classification, zero-shot audio classification and text to
speech, each a sub-tab with examples, parameters, the drawn result, raw JSON, details and the
transformers 5 code.

Every audio input (any common file, any rate, mono or stereo, or a microphone recording) is decoded by
core.audio to mono float32 at the model's sampling rate before the pipeline sees it.
"""

from __future__ import annotations

import gradio as gr

from core.registry import TabSpec
from core.ui import Context
from demos.audio import asr, classify, tts

GROUPS = (asr, classify, tts)


def build(ctx: Context) -> None:
    with gr.Tabs():
        for group in GROUPS:
            for task, build_task in group.TASKS:
                with gr.Tab(ctx.tr(task.title), id=task.id, elem_id=f"task_{task.api_name}"):
                    build_task(ctx)


SPEC = TabSpec(
    id="audio",
    title="Audio",
    order=10,
    tasks=tuple(task for group in GROUPS for task, _ in group.TASKS),
    build=build,
    korean={"Audio": "오디오", **{k: v for group in GROUPS for k, v in group.KOREAN.items()}},
)
