"""Audio tab: speech recognition, audio classification, zero-shot audio classification and text to
speech, each a sub-tab with examples, parameters, the drawn result, raw JSON, details and the
transformers 5 code.

Every audio input (any common file, any rate, mono or stereo, or a microphone recording) is decoded by
core.audio to mono float32 at the model's sampling rate before the pipeline sees it.
"""

from __future__ import annotations

from core.ui import subtab_spec
from demos.audio import asr, classify, tts

GROUPS = (asr, classify, tts)


SPEC = subtab_spec(id="audio", title="Audio", order=10,
                   tasks=[pair for group in GROUPS for pair in group.TASKS],
                   korean={"Audio": "오디오", **{k: v for group in GROUPS for k, v in group.KOREAN.items()}})
