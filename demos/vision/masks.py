"""What the two mask tasks share: coloured masks (made on the model's copy) drawn over the user's picture
with a legend, and the drawn-result layout.

Masks travel in the JSON output as `core.drawing.mask_summary` dicts: area, fraction, bounding box and the
mask as a 1-bit PNG data URI, in the pixels of the image the model got.
"""

from __future__ import annotations

from collections import Counter

from core import drawing


def draw_masks(picture, masks: list, labels: list[str], opacity: float, *, scale: float = 1.0,
               colors: dict | None = None, legend: list | None = None, points: list | None = None):
    """The user's picture with the masks drawn over it (stretched to its size), the points (model-copy
    pixels times scale) and a legend (by default each label in its colour, with a count when it covers
    several segments)."""
    colors = colors or drawing.label_colors(labels)
    drawn = drawing.overlay_masks(picture, masks, labels, opacity=opacity, colors=colors)
    if points:
        drawn = drawing.draw_points(drawn, [(x * scale, y * scale) for x, y in points])
    if legend is None:
        counts = Counter(labels)
        legend = [(f"{label} ×{counts[label]}" if counts[label] > 1 else label, color)
                  for label, color in colors.items()]
    return drawing.draw_legend(drawn, legend)


def share(mask: dict) -> float:
    """The mask's share of the image, in percent (for the tables)."""
    return round(100 * mask["fraction"], 2)
