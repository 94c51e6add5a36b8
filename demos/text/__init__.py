"""Text tab: every text task of the study notes, each a sub-tab (one file per task, named by its id) with
examples, parameters, the drawn result, notes, raw JSON, details and the transformers 5 code."""

from __future__ import annotations

from core.registry import subtabs, task_modules

# sub-tab order (a task file not named here comes last)
ORDER = ("text-classification", "token-classification", "question-answering", "zero-shot-classification",
         "table-question-answering", "fill-mask", "summarization", "translation", "text2text-generation",
         "text-generation")

SPEC = subtabs(id="text", title="Text", order=30, tasks=task_modules(__name__, ORDER))
