"""Multimodal tab: questions about documents (OCR + LayoutLM) and photos (ViLT, BLIP), captions, and a chat
about images with a small vision-language model; each a sub-tab with examples, parameters, the drawn
result, raw JSON, details and the transformers 5 code.

One file per task, named by its id (document_question_answering.py, ...); common.py and ocr.py hold what
they share. Importing the package imports neither gradio nor torch.
"""

from __future__ import annotations

from core.registry import subtabs, task_modules

# sub-tab order (a task file not named here comes last)
ORDER = ("document-question-answering", "visual-question-answering", "image-to-text", "image-text-to-text")

SPEC = subtabs(id="multimodal", title="Multimodal", order=40, tasks=task_modules(__name__, ORDER))
