"""Drawing on images: masks and their summaries, label colours, colour maps, boxes with captions, mask
overlays, legends and points (PIL and numpy only)."""

from __future__ import annotations

import math
import zlib
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

from core.errors import UserError
from core.images import from_data_uri, to_data_uri


def mask_array(mask: Any) -> np.ndarray:
    """A boolean (H, W) array from a PIL mask (mode L/1: >0 inside), a torch tensor or a numpy array."""
    if isinstance(mask, str):
        mask = from_data_uri(mask)
    if isinstance(mask, Image.Image):
        return np.asarray(mask.convert("L")) > 127
    if hasattr(mask, "detach"):
        mask = mask.detach().cpu().numpy()
    a = np.asarray(mask)
    while a.ndim > 2 and a.shape[0] == 1:
        a = a[0]
    return a > 0.5 if a.dtype.kind == "f" else a.astype(bool)


def mask_summary(mask: Any) -> dict:
    """JSON-ready description of a mask: pixel area, its share of the image, bounding box, and the mask
    itself as a 1-bit PNG data URI (decode with from_data_uri)."""
    m = mask_array(mask)
    area = int(m.sum())
    summary: dict[str, Any] = {"size": [int(m.shape[1]), int(m.shape[0])], "area": area,
                               "fraction": round(area / m.size, 6) if m.size else 0.0}
    if area:
        ys, xs = np.nonzero(m)
        summary["box"] = {"xmin": int(xs.min()), "ymin": int(ys.min()), "xmax": int(xs.max()), "ymax": int(ys.max())}
    else:
        summary["box"] = None
    summary["png"] = to_data_uri(m)
    return summary


# ---- colours -----------------------------------------------------------------------------------------
# Well-separated colours (Tableau 10 then lighter companions), readable under white text.
PALETTE: tuple[tuple[int, int, int], ...] = (
    (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75),
    (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207), (57, 59, 121), (173, 73, 74),
    (99, 121, 57), (206, 109, 189), (140, 162, 82), (231, 186, 82), (82, 84, 163), (214, 97, 107),
    (107, 174, 214), (49, 163, 84),
)


def label_colors(labels) -> dict[str, tuple[int, int, int]]:
    """A colour per distinct label, in order of first appearance (the same label always gets one colour);
    beyond the palette, colours come from the label's hash."""
    colors: dict[str, tuple[int, int, int]] = {}
    for label in labels:
        if label in colors:
            continue
        n = len(colors)
        if n < len(PALETTE):
            colors[label] = PALETTE[n]
        else:
            h = zlib.crc32(str(label).encode("utf-8"))
            colors[label] = (64 + h % 160, 64 + (h >> 8) % 160, 64 + (h >> 16) % 160)
    return colors


def text_color(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    """Black or white, whichever reads better on rgb."""
    r, g, b = rgb[:3]
    return (0, 0, 0) if 0.299 * r + 0.587 * g + 0.114 * b > 160 else (255, 255, 255)


# Colour maps as evenly spaced anchors (from matplotlib's and Google's published tables), interpolated.
COLORMAPS: dict[str, tuple[tuple[int, int, int], ...]] = {
    "magma": ((0, 0, 4), (28, 16, 68), (79, 18, 123), (129, 37, 129), (181, 54, 122), (229, 80, 100),
              (251, 135, 97), (254, 194, 135), (252, 253, 191)),
    "viridis": ((68, 1, 84), (71, 44, 122), (59, 81, 139), (44, 113, 142), (33, 144, 141), (39, 173, 129),
                (92, 200, 99), (170, 220, 50), (253, 231, 37)),
    "inferno": ((0, 0, 4), (31, 12, 72), (85, 15, 109), (136, 34, 106), (186, 54, 85), (227, 89, 51),
                (249, 140, 10), (249, 201, 50), (252, 255, 164)),
    "plasma": ((13, 8, 135), (84, 2, 163), (139, 10, 165), (185, 50, 137), (219, 92, 104), (244, 136, 73),
               (254, 188, 43), (240, 249, 33)),
    "turbo": ((48, 18, 59), (70, 107, 227), (40, 188, 235), (50, 241, 152), (164, 252, 60), (237, 208, 58),
              (251, 128, 34), (215, 51, 6), (122, 4, 3)),
    "gray": ((0, 0, 0), (255, 255, 255)),
}


@lru_cache(maxsize=16)
def _lut(name: str) -> np.ndarray:
    anchors = np.asarray(COLORMAPS[name], dtype=np.float64)
    positions = np.linspace(0.0, 1.0, len(anchors))
    x = np.linspace(0.0, 1.0, 256)
    return np.stack([np.interp(x, positions, anchors[:, c]) for c in range(3)], axis=1).round().astype(np.uint8)


def colorize(values: Any, cmap: str = "magma", vmin: float | None = None, vmax: float | None = None) -> Image.Image:
    """An RGB image of a 2-D array through a colour map (low values -> the map's first colour).

    Values are scaled from [vmin, vmax] (the array's own range by default); a flat array maps to the middle.
    """
    if cmap not in COLORMAPS:
        raise UserError("bad_param", name="colormap", detail=f"choose one of {', '.join(COLORMAPS)}")
    if hasattr(values, "detach"):
        values = values.detach().float().cpu().numpy()
    if isinstance(values, Image.Image):
        values = values.convert("L")
    a = np.asarray(values, dtype=np.float64)
    while a.ndim > 2 and a.shape[0] == 1:  # (1, H, W) -> (H, W)
        a = a[0]
    if a.ndim < 2:  # a vector is one row, a number one pixel
        a = a.reshape(1, -1)
    if a.ndim != 2:
        raise ValueError(f"colorize needs a 2-D array, got shape {a.shape}")
    a = np.nan_to_num(a)
    lo = float(a.min()) if vmin is None else vmin
    hi = float(a.max()) if vmax is None else vmax
    scaled = np.full(a.shape, 0.5) if hi <= lo else np.clip((a - lo) / (hi - lo), 0.0, 1.0)
    return Image.fromarray(_lut(cmap)[(scaled * 255).round().astype(np.uint8)])


# ---- drawing -----------------------------------------------------------------------------------------
_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",  # Korean and other CJK labels
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
)


@lru_cache(maxsize=32)
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A bold sans font of `size` pixels (a CJK-capable one when installed; Pillow's own otherwise)."""
    for path in _FONTS:
        if Path(path).exists():
            try:
                return ImageFont.truetype(path, size)
            except OSError:
                continue
    return ImageFont.load_default(size=size)


def _font_size(image: Image.Image) -> int:
    """Text that reads about the same once the picture is fitted to a ~500-pixel panel."""
    return max(14, round(max(image.size) / 30))


def _text_box(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, fnt, fill, pad: int,
              bounds: tuple[int, int]) -> tuple[int, int, int, int]:
    """Draw text on a filled tag at xy (top-left), kept inside bounds; returns the tag's box."""
    left, top, right, bottom = draw.textbbox((0, 0), text, font=fnt)
    w, h = right - left + 2 * pad, bottom - top + 2 * pad
    x = int(min(max(0, xy[0]), max(0, bounds[0] - w)))
    y = int(min(max(0, xy[1]), max(0, bounds[1] - h)))
    draw.rectangle((x, y, x + w, y + h), fill=fill)
    draw.text((x + pad - left, y + pad - top), text, font=fnt, fill=text_color(fill))
    return x, y, x + w, y + h


def box_of(item: dict, scale: float = 1.0) -> tuple[float, float, float, float]:
    """(xmin, ymin, xmax, ymax) of a pipeline box dict ({"box": {...}} or the box itself), times scale."""
    box = item.get("box", item)
    return (box["xmin"] * scale, box["ymin"] * scale, box["xmax"] * scale, box["ymax"] * scale)


def draw_boxes(image: Image.Image, detections: list[dict], *, scale: float = 1.0,
               colors: dict | None = None, show_score: bool = True) -> Image.Image:
    """A copy of image with each detection's box and a "label 0.97" tag in the label's colour.

    detections: pipeline-style dicts {"label", "score", "box": {"xmin", "ymin", "xmax", "ymax"}} in the
    coordinates of the image the model saw; scale maps them onto `image` (original / model size).
    Boxes are clipped to the image.
    """
    out = image.convert("RGB").copy()
    colors = colors or label_colors(d["label"] for d in detections)
    draw = ImageDraw.Draw(out)
    fnt = font(_font_size(out))
    width = max(2, round(max(out.size) / 250))
    W, H = out.size
    for d in sorted(detections, key=lambda d: d.get("score") or 0):  # best drawn last, on top
        x0, y0, x1, y1 = box_of(d, scale)
        x0, x1 = sorted((min(max(x0, 0), W - 1), min(max(x1, 0), W - 1)))
        y0, y1 = sorted((min(max(y0, 0), H - 1), min(max(y1, 0), H - 1)))
        color = colors.get(d["label"], PALETTE[0])
        draw.rectangle((x0, y0, x1, y1), outline=color, width=width)
        text = f"{d['label']} {d['score']:.2f}" if show_score and d.get("score") is not None else str(d["label"])
        tag_h = draw.textbbox((0, 0), text, font=fnt)[3] + width * 2
        _text_box(draw, (x0, y0 - tag_h if y0 - tag_h >= 0 else y0), text, fnt, color, max(2, width), (W, H))
    return out


def overlay_masks(image: Image.Image, masks: list, labels: list[str], *, opacity: float = 0.5,
                  colors: dict | None = None, outline: bool = True) -> Image.Image:
    """A copy of image with each mask filled in its label's colour at `opacity` (0-1), outlined.

    masks: PIL masks, arrays, tensors or data URIs, of the image's size or of a downscaled copy's (they
    are stretched with nearest neighbour). Later masks are drawn over earlier ones. Work is done by PIL
    (blend, paste through the mask, a 3×3 min filter for the outline) inside each mask's bounding box,
    so many masks on a large photo stay quick.
    """
    out = image.convert("RGB").copy()
    colors = colors or label_colors(labels)
    W, H = out.size
    alpha = float(min(max(opacity, 0.0), 1.0))
    for mask, label in zip(masks, labels):
        m = mask_array(mask)
        if not m.any():
            continue
        h, w = m.shape
        sy, sx = H / h, W / w
        ys, xs = np.nonzero(m)
        y0, y1 = max(0, int(ys.min() * sy) - 1), min(H, int(math.ceil((ys.max() + 1) * sy)) + 1)
        x0, x1 = max(0, int(xs.min() * sx) - 1), min(W, int(math.ceil((xs.max() + 1) * sx)) + 1)
        source = Image.fromarray(m.astype(np.uint8) * 255)
        crop = source.resize((x1 - x0, y1 - y0), Image.Resampling.NEAREST, box=(x0 / sx, y0 / sy, x1 / sx, y1 / sy))
        color = tuple(int(c) for c in colors.get(label, PALETTE[0]))
        region = out.crop((x0, y0, x1, y1))
        out.paste(Image.blend(region, Image.new("RGB", region.size, color), alpha), (x0, y0), crop)
        if outline:
            edge = ImageChops.subtract(crop, crop.filter(ImageFilter.MinFilter(3)))
            out.paste(color, (x0, y0, x1, y1), edge)
    return out


def draw_legend(image: Image.Image, items: list[tuple[str, tuple[int, int, int]]], *,
                corner: str = "top-right", max_items: int = 12) -> Image.Image:
    """A copy of image with a legend box (colour swatch + text per item) in a corner; beyond max_items the
    last line says how many more there are."""
    out = image.convert("RGB").copy()
    if not items:
        return out
    shown = list(items[:max_items])
    extra = len(items) - len(shown)
    fnt = font(max(11, round(_font_size(out) * 0.85)))
    draw = ImageDraw.Draw(out, "RGBA")
    lines = [text for text, _ in shown] + ([f"+{extra} more"] if extra > 0 else [])
    sizes = [draw.textbbox((0, 0), t, font=fnt) for t in lines]
    line_h = max(b[3] - b[1] for b in sizes) + 4
    swatch = line_h - 4
    pad = max(4, line_h // 3)
    w = max(b[2] - b[0] for b in sizes) + swatch + 3 * pad
    h = line_h * len(lines) + 2 * pad
    W, H = out.size
    x = W - w - pad if "right" in corner else pad
    y = H - h - pad if "bottom" in corner else pad
    x, y = max(0, x), max(0, y)
    draw.rectangle((x, y, x + w, y + h), fill=(255, 255, 255, 215), outline=(60, 60, 60, 255))
    for i, text in enumerate(lines):
        top = y + pad + i * line_h
        if i < len(shown):
            draw.rectangle((x + pad, top + 2, x + pad + swatch, top + 2 + swatch), fill=tuple(shown[i][1]),
                           outline=(40, 40, 40, 255))
        b = sizes[i]
        draw.text((x + 2 * pad + swatch - b[0], top + (line_h - (b[3] - b[1])) / 2 - b[1]), text, font=fnt,
                  fill=(20, 20, 20, 255))
    return out


def draw_points(image: Image.Image, points: list[tuple[float, float]], *, color=(255, 255, 255),
                ring=(220, 20, 60)) -> Image.Image:
    """A copy of image with a ringed dot at each (x, y) point (e.g. a clicked prompt)."""
    out = image.convert("RGB").copy()
    draw = ImageDraw.Draw(out)
    r = max(5, round(min(out.size) / 60))
    for x, y in points:
        draw.ellipse((x - r, y - r, x + r, y + r), fill=ring, outline=color, width=max(2, r // 3))
    return out
