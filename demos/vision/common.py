"""What every vision task shares: the image field, example files shipped by installed packages, decoding an
upload once per run (the model's copy and the picture drawings are made on), fields for points and stage
numbers, and the pipeline / AutoClass snippets with the app's own image loading.

Importing this module imports neither gradio nor torch: the widget helpers import gradio when called (from
build functions only).
"""

from __future__ import annotations

import importlib.util
import math
import os
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core import images
from core.codegen import call_args, place_kwargs, py, source_kwargs
from core.errors import UserError
from core.params import File, Text

IMAGE = "Image"  # the image input's label and the `what` of its messages


# ---- example files (never downloaded: found inside installed packages) --------------------------------
def package_file(package: str, *parts: str) -> str | None:
    """Path of a data file shipped inside an installed package (found without importing it), or None."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin:
        return None
    path = Path(spec.origin).parent.joinpath(*parts)
    return str(path) if path.is_file() else None


SAMPLES = {
    # gradio's media assets
    "cheetah": ("gradio", "media_assets", "images", "cheetah.jpg"),
    "lion": ("gradio", "media_assets", "images", "lion.jpg"),
    "tower": ("gradio", "media_assets", "images", "tower.jpg"),
    "bus": ("gradio", "media_assets", "images", "bus.png"),
    # scikit-image's data: chelsea the cat stands in for the study notes' cat photo (web only)
    "chelsea": ("skimage", "data", "chelsea.png"),
    "astronaut": ("skimage", "data", "astronaut.png"),
    "coffee": ("skimage", "data", "coffee.png"),
    "motorcycle": ("skimage", "data", "motorcycle_left.png"),
}


def sample(name: str) -> str | None:
    """Path of a named sample image (SAMPLES), or None when its package is not installed."""
    return package_file(*SAMPLES[name])


def example_rows(*rows: list) -> list[list]:
    """Example rows whose first item names a sample image; rows whose image is missing are dropped."""
    out = []
    for row in rows:
        path = sample(row[0])
        if path:
            out.append([path, *row[1:]])
    return out


def example_video() -> str | None:
    """A short video for the examples: gradio's b.mp4 (5 s) when shipped, else one generated once into a
    cache folder (2 s of moving shapes, made with PyAV)."""
    shipped = package_file("gradio", "media_assets", "videos", "b.mp4")
    if shipped:
        return shipped
    folder = Path(os.environ.get("GRADIO_TEMP_DIR") or tempfile.gettempdir()) / "playground-examples"
    path = folder / "moving-shapes.webm"
    if not path.exists():
        try:
            folder.mkdir(parents=True, exist_ok=True)
            make_video(path)
        except Exception:  # no encoder: the video task simply has no example
            return None
    return str(path)


def make_video(path: str | Path, frames: int = 48, size: tuple[int, int] = (160, 120), fps: int = 24) -> Path:
    """Write a small clip of a square crossing a gradient (for examples and tests): VP8 in .webm (plays in
    every browser; WebM does not store a frame count), H.264 (or MPEG-4 part 2) in .mp4."""
    import av
    import numpy as np

    path = Path(path)
    w, h = size
    codec = "libvpx" if path.suffix.lower() == ".webm" else "libx264"
    try:
        av.codec.Codec(codec, "w")
    except Exception:  # an FFmpeg build without that encoder
        codec = "mpeg4"
    tmp = path.with_name(path.stem + ".part" + path.suffix)
    with av.open(str(tmp), "w", format=path.suffix.lstrip(".").lower() or None) as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        ramp = np.linspace(0, 255, w, dtype=np.uint8)
        for i in range(frames):
            frame = np.zeros((h, w, 3), np.uint8)
            frame[..., 2] = ramp
            frame[..., 1] = (i * 255) // max(1, frames - 1)
            x = (i * (w - h // 3)) // max(1, frames - 1)
            frame[h // 3: 2 * h // 3, x: x + h // 3] = 255
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    tmp.replace(path)
    return path


# ---- fields --------------------------------------------------------------------------------------------
# upload, webcam or clipboard; the path is handed over unchanged (no conversion by gradio: the app's own
# load_image applies EXIF rotation, RGB and downscaling)
IMAGE_WIDGET = (("image_mode", None), ("sources", ("upload", "webcam", "clipboard")), ("height", 320))


def image_field(name: str = "image", label: str = IMAGE) -> File:
    """The image input of a vision task (elem_id "<api_name>_image")."""
    return File(name, label=label, media="image", widget=IMAGE_WIDGET)


MAX_COORDINATE = 100_000.0  # a point beyond this is outside any image the app accepts


@dataclass(frozen=True)
class Point(Text):
    """A point (x, y) in pixels: "x, y" / "(x, y)" as text, [x, y], or {"x":, "y":}; empty: None."""

    max_chars: int = 64
    kind = "point"

    def parse(self, value: Any) -> tuple[float, float] | None:
        if isinstance(value, dict):
            value = [value.get("x"), value.get("y")]
        if isinstance(value, (list, tuple)):
            parts = list(value)
        else:
            text = super().parse(value).strip().strip("()[] ")
            if not text:
                return None
            parts = text.split(",")
        if not parts:
            return None
        try:
            x, y = (float(str(v).strip()) for v in parts)
        except (TypeError, ValueError):
            raise self.bad(f"expected 'x, y' in pixels, got {str(value)[:40]!r}") from None
        if not all(math.isfinite(v) and 0 <= v <= MAX_COORDINATE for v in (x, y)):
            raise self.bad(f"x and y must be pixels from 0 to {MAX_COORDINATE:g}, got {str(value)[:40]!r}")
        return x, y


@dataclass(frozen=True)
class Ints(Text):
    """Whole numbers in [minimum, maximum], at most max_items: "1, 2" / "(1, 2)" / "[1,2]" / 1 / a list;
    parses to the sorted distinct numbers."""

    max_chars: int = 200
    minimum: int = -64
    maximum: int = 64
    max_items: int = 16
    kind = "ints"

    def parse(self, value: Any) -> list[int]:
        if isinstance(value, bool):
            raise self.bad(f"expected whole numbers like 1, 2, 3; got {value!r}")
        if isinstance(value, (int, float)):
            items: list = [value]
        elif isinstance(value, (list, tuple)):
            items = list(value)
        else:
            items = super().parse(value).strip().strip("()[] ").split(",")
        numbers = []
        for item in items:
            text = str(item).strip()
            if not text:
                continue
            try:
                number = float(text)
            except ValueError:
                number = math.nan
            if not math.isfinite(number) or not number.is_integer():
                raise self.bad(f"expected whole numbers like 1, 2, 3; got {str(value)[:40]!r}")
            if not self.minimum <= number <= self.maximum:
                raise self.bad(f"each must be between {self.minimum} and {self.maximum}, got {text[:24]}")
            numbers.append(int(number))
        if len(numbers) > self.max_items:
            raise UserError("too_large", what=self.title, detail=f"{len(numbers)} numbers; at most {self.max_items}")
        return sorted(set(numbers))


# ---- widgets (gradio is imported when they are built) --------------------------------------------------
def image_output(ctx, task, label: str, what: str = "result", **kwargs):
    """The drawn result (a PNG, never re-encoded as WebP), elem_id "<api_name>_<what>"."""
    import gradio as gr

    return gr.Image(label=ctx.tr(label), type="pil", format="png", interactive=False, height=420,
                    elem_id=f"{task.api_name}_{what}", **kwargs)


# ---- decoding an upload once per run -------------------------------------------------------------------
def fitted(picture, max_pixels: int | None = images.MAX_PIXELS):
    """The copy of a loaded picture the model gets: downscaled (LANCZOS) to at most max_pixels, exactly as
    core.images.load_image(..., max_pixels=max_pixels) makes it; the picture itself when it fits."""
    from PIL import Image

    size = images.fit_size(picture.size, max_pixels)
    if size == picture.size:
        return picture
    copy = picture.resize(size, Image.Resampling.LANCZOS)
    original = picture.info["original_size"]
    copy.info = {**picture.info, "scale": size[0] / original[0] if original[0] else 1.0,
                 "steps": [*picture.info["steps"], "resize"]}
    return copy


def decode(inputs: dict, name: str = "image", max_pixels: int | None = images.MAX_PIXELS):
    """(the user's picture, upright RGB at its own size; the copy the model gets) from ONE decode of the
    upload. The copy is remembered (by path and file stamp) so that the Code panel's snippet is written
    without decoding the file again."""
    value = inputs.get(name)
    picture = images.load_image(value, IMAGE, max_pixels=None)
    model = fitted(picture, max_pixels)
    _LOADED.put(value, max_pixels, model)
    return picture, model


class _Loaded:
    """The last few model images decoded by runs, by (path, size, mtime, max_pixels): a run's snippet is
    written right after it from the same upload."""

    def __init__(self, size: int = 4):
        self.size = size
        self.items: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    @staticmethod
    def key(value: Any, max_pixels: int | None):
        if not isinstance(value, (str, Path)):
            return None
        try:
            stat = os.stat(value)
        except OSError:
            return None
        return str(value), stat.st_size, stat.st_mtime_ns, max_pixels

    def put(self, value: Any, max_pixels: int | None, image) -> None:
        key = self.key(value, max_pixels)
        if key is None:
            return
        with self.lock:
            self.items[key] = image
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)

    def get(self, value: Any, max_pixels: int | None):
        key = self.key(value, max_pixels)
        with self.lock:
            return self.items.get(key) if key else None


_LOADED = _Loaded()


def stacked_by_size(encoded: list, device, dtype):
    """(indices, stacked pixel_values on device/dtype) per group of processed images of one size, in first-seen
    order: images the processor made one size share a forward pass; another size runs apart (padding one
    image to another's size would change its output)."""
    import torch

    groups: dict[tuple, list[int]] = {}
    for i, features in enumerate(encoded):
        groups.setdefault(tuple(features["pixel_values"].shape[1:]), []).append(i)
    for members in groups.values():
        yield members, torch.cat([encoded[i]["pixel_values"] for i in members]).to(device, dtype)


def loading_code(value: Any, max_pixels: int | None = images.MAX_PIXELS) -> tuple[str, list[str]]:
    """core.images.loading_code for the upload, from the model image the run decoded when remembered."""
    return images.loading_code(value, max_pixels, loaded=_LOADED.get(value, max_pixels))


# ---- code snippets -------------------------------------------------------------------------------------
def pipeline_snippet(task_id: str, ref, place, image_value: Any, kwargs: dict, *, extra: tuple = (),
                     note: str = "", var: str = "pipe", after: str = "print(result)",
                     max_pixels: int | None = images.MAX_PIXELS, imports: tuple[str, ...] = ()) -> str:
    """`pipe = pipeline(task, model=...)` then `result = pipe(<image>, *extra, **kwargs)` and `after`,
    with the lines that load the image exactly as the app did (a bare path when nothing more is needed)."""
    expr, lines = loading_code(image_value, max_pixels)
    load = call_args(task_id, model=ref.source, **source_kwargs(ref), **place_kwargs(place))
    call = ", ".join([expr, *[py(a) for a in extra], *(f"{k}={py(v)}" for k, v in kwargs.items())])
    head = {"from transformers import pipeline", *imports}
    body: list[str] = []
    if lines:
        blank = lines.index("")
        head.update(lines[:blank])
        body = lines[blank + 1:]
    out = [f"# {line}" for line in note.splitlines()] if note else []
    out += sorted(_merge_pil(head), key=lambda s: (not s.startswith("import "), s))
    out += ["", f"{var} = pipeline({load})"]
    out += body
    out += [f"result = {var}({call})", *after.splitlines()]
    return "\n".join(out) + "\n"


def autoclass_snippet(ref, place, image_value: Any, *, imports: tuple[str, ...], load: list[str], body: list[str],
                      note: str = "", max_pixels: int | None = images.MAX_PIXELS) -> str:
    """A snippet for tasks run through AutoClasses: imports, `load` (from_pretrained lines), the image as
    the app loaded it (always a PIL image in `image`), then `body`."""
    expr, lines = loading_code(image_value, max_pixels)
    head = set(imports)
    if lines:
        blank = lines.index("")
        head.update(lines[:blank])
        image_lines = lines[blank + 1:]
    else:
        head.add("from transformers.image_utils import load_image")
        image_lines = [f"image = load_image({expr})  # EXIF rotation + RGB, as the pipelines do"]
    out = [f"# {line}" for line in note.splitlines()] if note else []
    out += sorted(_merge_pil(head), key=lambda s: (not s.startswith("import "), s))
    out += ["", *load, *image_lines, *body]
    return "\n".join(out) + "\n"


def _merge_pil(lines: set[str]) -> set[str]:
    """One `from PIL import ...` line for all PIL names."""
    names = set()
    rest = set()
    for line in lines:
        if line.startswith("from PIL import "):
            names.update(n.strip() for n in line.removeprefix("from PIL import ").split(","))
        else:
            rest.add(line)
    if names:
        rest.add("from PIL import " + ", ".join(sorted(names)))
    return rest
