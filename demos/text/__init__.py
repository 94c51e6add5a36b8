"""Text tab: every text task of the study notes, each a sub-tab with examples, parameters, the drawn
result, raw JSON, details and the transformers 5 code.

Task groups live in the submodules; each exports TASKS = ((TaskSpec, build_fn), ...) and KOREAN.
"""

from __future__ import annotations

from core.ui import subtab_spec
from demos.text import classification, extraction, generation, seq2seq

GROUPS = (classification, extraction, seq2seq, generation)


SPEC = subtab_spec(id="text", title="Text", order=30,
                   tasks=[pair for group in GROUPS for pair in group.TASKS],
                   korean={"Text": "텍스트", **{k: v for group in GROUPS for k, v in group.KOREAN.items()}})
