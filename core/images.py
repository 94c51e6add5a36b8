"""Images in and drawings out, shared by the vision, multimodal and embedding tabs.

In: `load_image(value)` turns whatever a user or gradio hands over (a file path, a PIL image, a numpy array,
gradio's `{"path": ...}`) into an upright RGB PIL image the way transformers' own `load_image` does (EXIF
rotation applied, then RGB), and a little more: transparent pixels land on white instead of black, 16-bit
and float greyscale are scaled to 8 bits, a GIF gives its first frame, a file that is not an image is a
`UserError("bad_file")`, and photos above `max_pixels` are downscaled for the model. The returned image
remembers `info["original_size"]` and `info["scale"]` (model size / original size) so that drawings can be
mapped back onto the picture the user gave; images above `hard_limit` pixels are refused (`too_large`)
before they are decoded. `loading_code(value)` writes the Python lines that repeat exactly these steps.

Out: a colour per label (`label_colors`), boxes with label tags (`draw_boxes`), mask overlays with an
opacity (`overlay_masks`), a legend drawn in a corner (`draw_legend`), clicked points (`draw_points`), colour
maps for depth and feature maps (`colorize`, COLORMAPS), and PNG data URIs (`to_data_uri`/`from_data_uri`,
`mask_summary`) so masks and produced images travel inside a run's JSON-ready output.
"""

from __future__ import annotations

import base64
import io
import math
import zlib
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont, ImageOps, UnidentifiedImageError

from core.errors import UserError

MAX_PIXELS = 1_000_000  # above this the model gets a downscaled copy (drawings are scaled back)
HARD_LIMIT = 50_000_000  # above this the image is refused before decoding (a 50 MP photo is already huge)

# EXIF orientations 5-8 swap width and height.
_SWAPS = {5, 6, 7, 8}
_ORIENTATION = 0x0112


# ---- loading -----------------------------------------------------------------------------------------
def _source(value: Any) -> Any:
    """A gradio FileData dict or ImageEditor value -> the path or image inside it."""
    if isinstance(value, dict):
        for key in ("path", "composite", "background", "image"):
            if value.get(key) is not None:
                return value[key]
        return None
    return value


def open_image(value: Any, what: str = "Image") -> Image.Image:
    """The PIL image for value, opened lazily (files are not decoded yet); UserError when there is none."""
    value = _source(value)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise UserError("empty_input", what=what)
    if isinstance(value, Image.Image):
        return value
    if isinstance(value, np.ndarray):
        return _from_array(value, what)
    if isinstance(value, (bytes, bytearray)):
        value = io.BytesIO(value)
        name = "the data"
    else:
        path = Path(str(value)).expanduser()
        name = path.name
        if not path.is_file():
            raise UserError("bad_file", what=what, detail=f"no such file: {name}")
        if path.stat().st_size == 0:
            raise UserError("bad_file", what=what, detail="the file is empty (0 bytes)")
        if path.suffix.lower() == ".svg":
            raise UserError("bad_file", what=what, detail="SVG is a vector format: export it as PNG or JPEG first")
        value = str(path)
    try:
        return Image.open(value)
    except UnidentifiedImageError:
        raise UserError("bad_file", what=what,
                        detail=f"{name} is not an image (PNG, JPEG, WebP, GIF, BMP, TIFF...)") from None
    except Image.DecompressionBombError as exc:
        raise UserError("too_large", what=what, detail=str(exc).split(".")[0]) from None
    except OSError as exc:
        raise UserError("bad_file", what=what, detail=f"the file is damaged ({_first_line(exc)})") from None


def _from_array(array: np.ndarray, what: str) -> Image.Image:
    """(H, W), (H, W, 1), (H, W, 3) or (H, W, 4) numbers -> a PIL image (floats in [0, 1] are scaled)."""
    a = np.asarray(array)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.size == 0 or not (a.ndim == 2 or (a.ndim == 3 and a.shape[2] in (3, 4))):
        raise UserError("bad_file", what=what, detail=f"an array of shape {a.shape} is not an image")
    if a.dtype == bool:
        a = a.astype(np.uint8) * 255
    elif a.dtype.kind == "f":
        if not np.all(np.isfinite(a)):
            raise UserError("bad_file", what=what, detail="the pixels hold NaN or infinite values")
        a = np.clip(a * 255.0 if a.max() <= 1.0 else a, 0, 255).round().astype(np.uint8)
    elif a.dtype != np.uint8:
        a = np.clip(a, 0, 255).astype(np.uint8)
    return Image.fromarray(a)


def upright_size(image: Image.Image) -> tuple[int, int]:
    """(width, height) once the EXIF orientation is applied (read from the header, no decoding)."""
    w, h = image.size
    return (h, w) if _orientation(image) in _SWAPS else (w, h)


def _orientation(image: Image.Image) -> int:
    try:
        return int(image.getexif().get(_ORIENTATION, 1) or 1)
    except Exception:  # a broken EXIF block: exif_transpose ignores it too
        return 1


def fit_size(size: tuple[int, int], max_pixels: int | None) -> tuple[int, int]:
    """size shrunk (aspect kept) to at most max_pixels pixels; unchanged when it fits or max_pixels is None."""
    w, h = size
    if not max_pixels or w * h <= max_pixels:
        return w, h
    factor = math.sqrt(max_pixels / (w * h))
    return max(1, int(w * factor)), max(1, int(h * factor))


def _check_pixels(size: tuple[int, int], what: str, hard_limit: int | None) -> None:
    w, h = size
    if hard_limit and w * h > hard_limit:
        raise UserError("too_large", what=what,
                        detail=f"it is {w}×{h} ({w * h / 1e6:.0f} megapixels); the limit is "
                               f"{hard_limit / 1e6:.0f} megapixels: make it smaller first")


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or (image.mode in ("P", "L", "RGB")
                                                                and "transparency" in image.info)


def _wide_grey(image: Image.Image) -> bool:
    """16-bit or float greyscale, which convert("RGB") would clip to white."""
    return image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F")


def load_image(value: Any, what: str = "Image", *, max_pixels: int | None = MAX_PIXELS,
               hard_limit: int | None = HARD_LIMIT) -> Image.Image:
    """An upright RGB PIL image for the model.

    value: a file path (str or Path), a PIL image, a numpy array (H, W[, 1|3|4]; floats in [0, 1]),
    bytes, or gradio's {"path": ...}.
    Steps, in the order `loading_code` writes them: an animation's first frame; EXIF rotation; 16-bit or
    float greyscale scaled to 0-255; transparency composited on white; RGB; downscaled (LANCZOS) to at
    most max_pixels. `info["original_size"]` is the upright size before downscaling, `info["scale"]` the
    factor applied (1.0 when none), `info["steps"]` the names of the steps that changed something.
    Raises UserError: empty_input, bad_file (missing, empty, damaged, not an image), too_large (> hard_limit).
    """
    image = open_image(value, what)
    original = upright_size(image)
    _check_pixels(original, what, hard_limit)
    steps: list[str] = []
    try:
        if getattr(image, "n_frames", 1) > 1:
            image.seek(0)
            steps.append("first_frame")
        image.load()
        if _orientation(image) != 1:
            image = ImageOps.exif_transpose(image)
            steps.append("exif")
    except Exception as exc:  # truncated or corrupt pixel data
        raise UserError("bad_file", what=what, detail=f"the image is damaged ({_first_line(exc)})") from None
    image, more = to_rgb(image)
    steps += more
    if image is _source(value):  # never write into the caller's own PIL image
        image = image.copy()
    size = fit_size(image.size, max_pixels)
    if size != image.size:
        image = image.resize(size, Image.Resampling.LANCZOS)
        steps.append("resize")
    image.info["original_size"] = original
    image.info["scale"] = image.size[0] / original[0] if original[0] else 1.0
    image.info["steps"] = steps
    return image


def to_rgb(image: Image.Image) -> tuple[Image.Image, list[str]]:
    """(RGB image, steps taken): wide greyscale scaled to 8 bits, transparency put on white, else convert."""
    steps: list[str] = []
    if _wide_grey(image):
        a = np.asarray(image, dtype=np.float64)
        span = float(a.max() - a.min()) or 1.0
        image = Image.fromarray(np.uint8(np.round(255 * (a - a.min()) / span)))
        steps.append("scale_grey")
    if _has_alpha(image):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat, [*steps, "alpha"]
    if image.mode != "RGB":
        return image.convert("RGB"), [*steps, "rgb"]
    return image, steps


def check_image(value: Any, what: str = "Image", hard_limit: int | None = HARD_LIMIT) -> tuple[int, int]:
    """The upright (width, height) of value read from its header, nothing decoded: for inputs a pipeline
    decodes itself. UserError as load_image gives: empty_input, bad_file (not an image), too_large."""
    image = open_image(value, what)
    try:
        size = upright_size(image)
        _check_pixels(size, what, hard_limit)
    finally:
        if image is not _source(value):
            image.close()
    return size


def model_size(value: Any, max_pixels: int | None = MAX_PIXELS) -> tuple[tuple[int, int], tuple[int, int]]:
    """(original upright size, size the model gets) read from the header only."""
    image = open_image(value)
    original = upright_size(image)
    return original, fit_size(original, max_pixels)


def loading_code(value: Any, max_pixels: int | None = MAX_PIXELS, var: str = "image", *,
                 loaded: Image.Image | None = None) -> tuple[str, list[str]]:
    """(expression to hand to a pipeline, lines that prepare it) repeating `load_image(value)`.

    When the app does nothing beyond transformers' own load_image (EXIF rotation and RGB), the expression is
    the file's path (pipelines open files that same way) and there are no lines. Otherwise the lines open
    the file, add the app's extra steps (first frame, 16-bit greyscale, transparency on white, downscaling)
    and the expression is `var`. The lines start with their imports. loaded: what
    `load_image(value, max_pixels=max_pixels)` returned, when the caller has it (the file is not decoded again).
    """
    source = _source(value)
    is_path = isinstance(source, (str, Path))
    path = str(Path(str(source)).expanduser().resolve()) if is_path else "your_image.png"
    image = loaded if loaded is not None else load_image(value, max_pixels=max_pixels)
    steps = image.info["steps"]
    if is_path and not set(steps) - {"exif", "rgb"}:
        return repr(path), []
    imports = {"from PIL import Image"}
    if not is_path:
        lines = [f"{var} = Image.open({path!r})  # the app got this image as pixels, not as a file"]
    elif set(steps) & {"scale_grey", "alpha"}:
        if "exif" in steps:
            imports.add("from PIL import Image, ImageOps")
        lines = [f"{var} = Image.open({path!r})"]
        if "first_frame" in steps:
            lines[0] += "  # an animation opens at its first frame"
        if "exif" in steps:
            lines.append(f"{var} = ImageOps.exif_transpose({var})")
    else:
        imports.add("from transformers.image_utils import load_image")
        lines = [f"{var} = load_image({path!r})  # EXIF rotation + RGB, as the pipelines do"]
        if "first_frame" in steps:
            lines[0] += "; first frame of an animation"
    if "scale_grey" in steps:
        imports.add("import numpy as np")
        lines += [f"pixels = np.asarray({var}, dtype=np.float64)  # 16-bit or float greyscale -> 0..255",
                  f"{var} = Image.fromarray(np.uint8(np.round(255 * (pixels - pixels.min())"
                  f" / (float(pixels.max() - pixels.min()) or 1.0))))"]
    if "alpha" in steps:
        lines += [f"rgba = {var}.convert('RGBA')  # transparent pixels go on white, not black",
                  f"{var} = Image.new('RGB', rgba.size, 'white')",
                  f"{var}.paste(rgba, mask=rgba.getchannel('A'))"]
    elif (not is_path or "scale_grey" in steps) and ("rgb" in steps or "scale_grey" in steps):
        lines.append(f"{var} = {var}.convert('RGB')")
    if "resize" in steps:
        w, h = image.info["original_size"]
        lines.append(f"{var} = {var}.resize({image.size!r}, Image.Resampling.LANCZOS)"
                     f"  # the app downscales {w}x{h} to at most {max_pixels:,} pixels")
    if "from PIL import Image, ImageOps" in imports:
        imports.discard("from PIL import Image")
    ordered = sorted(imports, key=lambda line: (not line.startswith("import "), line))
    return var, [*ordered, "", *lines]


# ---- encoding ----------------------------------------------------------------------------------------
def to_data_uri(image: Image.Image | np.ndarray) -> str:
    """A PNG data URI (lossless) for an image or an array (bool masks become 1-bit PNGs)."""
    if isinstance(image, np.ndarray):
        image = Image.fromarray(image.astype(np.uint8) * 255).convert("1") if image.dtype == bool \
            else Image.fromarray(image)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=6)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def from_data_uri(uri: str) -> Image.Image:
    """The image inside a data URI made by to_data_uri (or any base64 image data URI)."""
    _, _, data = uri.partition(",")
    image = Image.open(io.BytesIO(base64.b64decode(data)))
    image.load()
    return image


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


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]
