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
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from core import codegen, limits
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
    """The image's size against its caller's hard limit and the server's pixel and aspect limits
    (core.limits), from the header, before anything is decoded."""
    w, h = size
    if w <= 0 or h <= 0:
        raise UserError("bad_file", what=what, detail=f"it is {w}×{h} pixels")
    if hard_limit and w * h > hard_limit:
        raise UserError("too_large", what=what,
                        detail=f"it is {w}×{h} ({w * h / 1e6:.0f} megapixels); the limit is "
                               f"{hard_limit / 1e6:.0f} megapixels: make it smaller first")
    limits.check("pixels", w * h, what)
    # a 20000x1 strip is cheap to upload and decode, but processors that resize the short side up blow it into
    # gigabytes
    limits.check("aspect", max(w, h) / min(w, h), what)


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
    path = codegen.file_name(source) if is_path else "your_image.png"  # as the student has the file
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


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]
