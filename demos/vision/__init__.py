"""Vision tab: what each vision task makes of a photo (or a clip), drawn on the picture itself: labels,
boxes, coloured masks with a legend, a depth map, an upscaled image, feature vectors and backbone maps,
each with its raw JSON, details and the transformers 5 code.

One file per task, named by its id (image_classification.py, ...), each ending in its TASK; shared pieces in
common.py (the image field, decoding an upload once, snippets), boxes.py and masks.py (drawings). Images are
read and drawn with core.images (shared with the multimodal and embedding tabs). Korean: locales/ko/vision.toml.
"""

from __future__ import annotations

from core.registry import subtabs, task_modules

# sub-tab order (a task file not named here comes last)
ORDER = ("image-classification", "object-detection", "image-segmentation", "depth-estimation",
         "zero-shot-image-classification", "zero-shot-object-detection", "mask-generation", "image-to-image",
         "image-feature-extraction", "image-backbone", "video-classification")

SPEC = subtabs(id="vision", title="Vision", order=20, tasks=task_modules(__name__, ORDER))
