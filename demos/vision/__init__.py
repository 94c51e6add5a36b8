"""Vision tab: what each vision task makes of a photo (or a clip), drawn on the picture itself: labels,
boxes, coloured masks with a legend, a depth map, an upscaled image, feature vectors and backbone maps,
each with its raw JSON, details and the transformers 5 code.

Task groups live in the submodules; each exports TASKS = ((TaskSpec, build_fn), ...) and KOREAN. Images
are read and drawn with core.images (shared with the multimodal and embedding tabs).
"""

from __future__ import annotations

from core.ui import subtab_spec
from demos.vision import classification, depth, detection, features, segmentation, upscale, video

GROUPS = (classification, detection, segmentation, depth, upscale, features, video)

# Sub-tab order: the study notes' four (classification, detection, segmentation, depth), the zero-shot
# pair, SAM, super-resolution, features, backbone maps, then video.
ORDER = ("image-classification", "object-detection", "image-segmentation", "depth-estimation",
         "zero-shot-image-classification", "zero-shot-object-detection", "mask-generation", "image-to-image",
         "image-feature-extraction", "image-backbone", "video-classification")

_BY_ID = {task.id: (task, build) for group in GROUPS for task, build in group.TASKS}
TASKS = tuple(_BY_ID[task_id] for task_id in ORDER)


SPEC = subtab_spec(id="vision", title="Vision", order=20, tasks=TASKS,
                   korean={"Vision": "비전", **{k: v for group in GROUPS for k, v in group.KOREAN.items()}})
