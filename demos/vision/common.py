"""What every vision task shares: the image input, example files shipped by installed packages, the
pipeline snippet with the app's own image loading, and mapping model-size results back onto the picture.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from pathlib import Path
from typing import Any

import gradio as gr

from core import images
from core.codegen import call_args, place_kwargs, py, source_kwargs
from core.errors import UserError
from core.registry import TaskSpec
from core.ui import Context

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


# ---- widgets -------------------------------------------------------------------------------------------
def image_input(ctx: Context, task: TaskSpec, label: str = IMAGE, **kwargs) -> gr.Image:
    """The image input: a file path handed over unchanged (no conversion by gradio: the app's own
    load_image applies EXIF rotation, RGB and downscaling), from upload, webcam or clipboard."""
    return gr.Image(label=ctx.tr(label), type="filepath", image_mode=None, sources=["upload", "webcam", "clipboard"],
                    height=320, elem_id=f"{task.api_name}_image", **kwargs)


def image_output(ctx: Context, task: TaskSpec, label: str, what: str = "result", **kwargs) -> gr.Image:
    return gr.Image(label=ctx.tr(label), type="pil", format="png", interactive=False, height=420,
                    elem_id=f"{task.api_name}_{what}", **kwargs)


# ---- run helpers ---------------------------------------------------------------------------------------
def model_image(inputs: dict, name: str = "image", max_pixels: int | None = images.MAX_PIXELS):
    """The RGB image the model gets (downscaled above max_pixels); UserError when missing or unreadable."""
    return images.load_image(inputs.get(name), IMAGE, max_pixels=max_pixels)


def original_image(inputs: dict, name: str = "image"):
    """The user's picture at its own (upright) size: what drawings are made on."""
    return images.load_image(inputs.get(name), IMAGE, max_pixels=None)


def scale_to_original(inputs: dict, name: str = "image", max_pixels: int | None = images.MAX_PIXELS) -> float:
    """original width / model width (1.0 unless the image was downscaled for the model)."""
    original, fitted = images.model_size(inputs.get(name), max_pixels)
    return original[0] / fitted[0] if fitted[0] else 1.0


def labels_of(value: Any, what: str) -> list[str]:
    """Candidate labels from "a, b, c" / one per line / a list; UserError when none."""
    if isinstance(value, (list, tuple)):
        items = [str(v) for v in value]
    else:
        lines = [line for line in str(value or "").splitlines() if line.strip()]
        items = lines if len(lines) > 1 else ",".join(lines).split(",")  # one per line, else comma-separated
    items = list(dict.fromkeys(s.strip() for s in items if s and s.strip()))
    if not items:
        raise UserError("empty_input", what=what)
    return items


def ints_of(value: Any, name: str) -> list[int]:
    """[1, 2] from "1, 2", "(1, 2)", "[1,2]", 1 or a list; UserError for anything else."""
    if value is None or value == "":
        return []
    if isinstance(value, (int, float)):
        return [int(value)]
    items = value if isinstance(value, (list, tuple)) else str(value).strip("()[] ").split(",")
    try:
        return [int(str(v).strip()) for v in items if str(v).strip()]
    except ValueError:
        raise UserError("bad_param", name=name, detail=f"expected whole numbers like 1, 2, 3; got {value!r}") from None


def number(params: dict, name: str, default: float, lo: float | None = None, hi: float | None = None) -> float:
    """params[name] as a float within [lo, hi]; UserError otherwise."""
    value = params.get(name, default)
    try:
        value = float(default if value is None or value == "" else value)
    except (TypeError, ValueError):
        raise UserError("bad_param", name=name, detail=f"expected a number, got {value!r}") from None
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise UserError("bad_param", name=name, detail=f"expected a value from {lo} to {hi}, got {value:g}")
    return value


# ---- code snippets -------------------------------------------------------------------------------------
def pipeline_snippet(task_id: str, ref, place, image_value: Any, kwargs: dict, *, extra: tuple = (),
                     note: str = "", var: str = "pipe", after: str = "print(result)",
                     max_pixels: int | None = images.MAX_PIXELS, imports: tuple[str, ...] = ()) -> str:
    """`pipe = pipeline(task, model=...)` then `result = pipe(<image>, *extra, **kwargs)` and `after`,
    with the lines that load the image exactly as the app did (a bare path when nothing more is needed)."""
    expr, lines = images.loading_code(image_value, max_pixels)
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
    expr, lines = images.loading_code(image_value, max_pixels)
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
