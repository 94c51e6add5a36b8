"""Audio tab: speech recognition, audio classification, zero-shot audio classification and text to
speech, each a sub-tab with examples, parameters, the drawn result, raw JSON, details and the
transformers 5 code.

Every audio input (any common file, any rate, mono or stereo, or a microphone recording) is decoded by
core.audio to mono float32 at the model's sampling rate before the pipeline sees it.
"""

from __future__ import annotations

from core.registry import subtabs, task_modules

# sub-tab order (a task file not named here comes last)
ORDER = ("automatic-speech-recognition", "audio-classification", "zero-shot-audio-classification", "text-to-audio")

SPEC = subtabs(id="audio", title="Audio", order=10, tasks=task_modules(__name__, ORDER))
