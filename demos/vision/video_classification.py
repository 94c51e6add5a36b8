"""video-classification (VideoMAE, TimeSformer, ViViT on Kinetics): labels for a clip, and the frames the
model looked at.

transformers 5.23's video-classification pipeline decodes a file path with torchcodec (not installed with
torch 2.14 here); given the frames as one (frames, height, width, 3) array it works. So the app decodes
with PyAV (the `av` wheel), taking evenly spaced frames exactly as transformers samples them, once per run:
the gallery's thumbnails are made from those same frames.
"""

from __future__ import annotations

from pathlib import Path

from core import deadline
from core.codegen import call_args, place_kwargs, py, source_kwargs
from core.errors import UserError
from core.i18n import say
from core.params import File, Int
from core.registry import Loader, Output, TaskSpec
from demos.vision.common import example_video

VIDEO = "Video"
MAX_SECONDS = 600.0
# frames are decoded in order up to the last one sampled: at most this many pixels (about 10,000 frames of
# 1080p, half a minute of CPU), so a long 4K clip cannot keep the server decoding for minutes
MAX_DECODED_PIXELS = 20_000_000_000
THUMBNAIL = 240
FRAME = "frame {i}"  # a gallery caption (made when the result is shown, in the browser's language)


def video_path(inputs: dict) -> str:
    value = inputs["video"]
    if not value:
        raise UserError("empty_input", what=VIDEO)
    path = Path(str(value)).expanduser()
    if not path.is_file():
        raise UserError("bad_file", what=VIDEO, detail=f"no such file: {path.name}")
    return str(path.resolve())


def probe(path: str) -> dict:
    """{"total_frames", "counted", "fps", "seconds", "width", "height"} of the first video stream."""
    import av

    try:
        container = av.open(path)
    except Exception as exc:
        raise UserError("bad_file", what=VIDEO,
                        detail=f"not a video this app can decode ({_first_line(exc)})") from None
    with container:
        stream = next((s for s in container.streams if s.type == "video"), None)
        if stream is None:
            raise UserError("bad_file", what=VIDEO, detail="the file has no video track")
        seconds = container.duration / 1_000_000 if container.duration else None
        if seconds and seconds > MAX_SECONDS:
            raise UserError("too_large", what=VIDEO,
                            detail=f"it lasts {seconds:.0f} s; the limit is {MAX_SECONDS:.0f} s: cut it shorter")
        total, counted = int(stream.frames or 0), False
        if total <= 0:  # webm/mkv do not store it: count the packets (no decoding)
            total, counted = sum(1 for p in container.demux(stream) if p.size), True
        fps = float(stream.average_rate or 0) or None
        return {"total_frames": total, "counted": counted, "fps": fps, "seconds": seconds,
                "width": stream.width, "height": stream.height}


def sample_indices(total: int, count: int) -> list[int]:
    """`count` evenly spaced frame numbers out of `total`: transformers' default_sample_indices_fn."""
    return [i * total // count for i in range(count)]


def read_frames(path: str, indices: list[int], max_side: int | None = None):
    """The frames at `indices` (decoded in order) as an array (n, height, width, 3) of uint8 RGB."""
    import av
    import numpy as np

    wanted = set(indices)
    frames = []
    with av.open(path) as container:
        stream = container.streams.video[0]
        try:
            for i, frame in enumerate(container.decode(stream)):
                deadline.check()  # a decoder that runs on is stopped with the request
                if i > indices[-1]:
                    break
                if i in wanted:
                    if max_side and max(frame.width, frame.height) > max_side:
                        f = max_side / max(frame.width, frame.height)
                        frame = frame.reformat(width=max(2, int(frame.width * f)), height=max(2, int(frame.height * f)))
                    frames.append(frame.to_ndarray(format="rgb24"))
        except deadline.RunTimeout:
            raise
        except Exception as exc:
            if len(frames) < len(indices):
                raise UserError("bad_file", what=VIDEO, detail=f"the video is damaged ({_first_line(exc)})") from None
    if len(frames) < len(indices):
        raise UserError("bad_file", what=VIDEO,
                        detail=f"only {len(frames)} of the {len(indices)} frames to sample could be decoded")
    return np.stack(frames)


def check_work(info: dict, indices: list[int]) -> None:
    """UserError("too_large") when reaching the last sampled frame means decoding more than MAX_DECODED_PIXELS."""
    decoded = (indices[-1] + 1) * (info["width"] or 0) * (info["height"] or 0)
    if decoded > MAX_DECODED_PIXELS:
        raise UserError("too_large", what=VIDEO,
                        detail=f"sampling it means decoding {indices[-1] + 1:,} frames of {info['width']}×"
                               f"{info['height']}; at most {MAX_DECODED_PIXELS / 1e9:.0f} gigapixels: cut it "
                               "shorter or make it smaller")


def thumbnails(frames, max_side: int = THUMBNAIL) -> list:
    """The decoded frames as PIL images no larger than max_side (for the gallery)."""
    from PIL import Image

    out = []
    for frame in frames:
        picture = Image.fromarray(frame)
        if max(picture.size) > max_side:
            picture.thumbnail((max_side, max_side), Image.Resampling.BILINEAR)
        out.append(picture)
    return out


def frame_count(pipe, params: dict) -> int:
    return params["num_frames"] or int(getattr(pipe.model.config, "num_frames", 16) or 16)


def run(pipe, inputs: dict, params: dict) -> Output:
    """{"labels": [{"score", "label"}, ...] best first, "frame_indices": the frames sampled,
    "total_frames", "fps"}; facts: thumbnails of the sampled frames (decoded once, for the model)."""
    path = video_path(inputs)
    info = probe(path)
    count = frame_count(pipe, params)
    if count > info["total_frames"]:
        raise UserError("bad_param", name="num_frames",
                        detail=f"the video has only {info['total_frames']} frames; the model wants {count}")
    indices = sample_indices(info["total_frames"], count)
    check_work(info, indices)
    frames = read_frames(path, indices)
    try:
        labels = pipe(frames, num_frames=count, top_k=params["top_k"])
    except RuntimeError as exc:
        trained = getattr(pipe.model.config, "num_frames", None)
        if trained and trained != count and "size" in str(exc):
            raise UserError("bad_param", name="num_frames",
                            detail=f"{type(pipe.model).__name__} was built for exactly {trained} frames "
                                   f"(config.num_frames); use {trained} or 0 (the model's own)") from None
        raise
    _PROBED[path] = info
    value = {"labels": labels, "frame_indices": indices, "total_frames": info["total_frames"], "fps": info["fps"]}
    return Output(value, facts={"frames": thumbnails(frames)})


_PROBED: dict[str, dict] = {}  # path -> probe() of the last runs: the snippet is written right after a run


def code(ref, inputs: dict, params: dict, place) -> str:
    path = video_path(inputs)
    info = _PROBED.pop(path, None) or probe(path)
    asked = params["num_frames"]
    count_expr = str(asked) if asked else "classifier.model.config.num_frames"
    load = call_args("video-classification", model=ref.source, **source_kwargs(ref), **place_kwargs(place))
    total = (f"total = {info['total_frames']}  # this file does not store its frame count: the app counted them"
             if info["counted"] else "total = stream.frames")
    lines = [
        "# transformers 5.23's pipeline decodes a video *file* with torchcodec; without it, decode the frames with",
        "# PyAV and pass them as one array (frames, height, width, 3), as the app does.",
        "import av",
        "import numpy as np",
        "from transformers import pipeline",
        "",
        f"classifier = pipeline({load})",
        f"num_frames = {count_expr}",
        f"with av.open({py(path)}) as container:",
        "    stream = container.streams.video[0]",
        f"    {total}",
        "    indices = [i * total // num_frames for i in range(num_frames)]  # evenly spaced, as transformers samples",
        "    frames = [f.to_ndarray(format='rgb24') for i, f in enumerate(container.decode(stream)) if i in indices]",
        "video = np.stack(frames)",
        f"result = classifier(video, num_frames=num_frames, top_k={params['top_k']})",
        "print(result)",
        "print('frames used:', indices)",
    ]
    return "\n".join(lines) + "\n"


def frame_gallery(output: dict, frames: list) -> list[tuple]:
    """(thumbnail, "frame i · t s") for each sampled frame, captions in the browser's language."""
    fps = output.get("fps")
    return [(frame, say(FRAME, i=i) + (f" · {i / fps:.2f} s" if fps else ""))
            for frame, i in zip(frames, output["frame_indices"])]


def build(ctx) -> None:
    """The clip, picker, num_frames and top_k on the left; the label bars and the frames seen on the right."""
    import gradio as gr

    from core.ui import examples, label_scores, model_picker, result_panels, widget, widgets, wire

    tr = ctx.tr
    api = TASK.api_name
    with gr.Row():
        with gr.Column(scale=2):
            fields = {"video": widget(ctx, TASK, "video")}
            model = model_picker(ctx, TASK)
            fields |= widgets(ctx, TASK, "num_frames", "top_k")
            run_button = gr.Button(tr("Run"), variant="primary", elem_id=f"{api}_run")
            clip = example_video()
            if clip:
                examples(ctx, [[clip]], [fields["video"]])
        with gr.Column(scale=3):
            label = gr.Label(label=tr("Labels"), elem_id=f"{api}_label")
            gallery = gr.Gallery(label=tr("Frames the model saw"), columns=4, height="auto", object_fit="contain",
                                 format="png", elem_id=f"{api}_frames")
    panels = result_panels(ctx, TASK)

    def render(result) -> dict:
        return {label: label_scores(result.output["labels"]),
                gallery: frame_gallery(result.output, result.facts["frames"])}

    wire(ctx, TASK, run_button.click, fields, model, render, panels, [label, gallery])


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


TASK = TaskSpec(
    id="video-classification",
    title="Video classification",
    loader=Loader.pipeline("video-classification"),
    default_model="MCG-NJU/videomae-base-finetuned-kinetics",
    models=("MCG-NJU/videomae-small-finetuned-kinetics", "facebook/timesformer-base-finetuned-k400",
            "google/vivit-b-16x2-kinetics400"),
    run=run,
    code=code,
    inputs=(File("video", label=VIDEO, media="video", widget=(("sources", ["upload", "webcam"]), ("height", 300))),),
    params=(
        Int("num_frames", 0, 0, 64, label="num_frames",
            help="0 = the model's own (VideoMAE: 16); most models accept only that"),
        Int("top_k", 5, 1, 100, label="top_k", help="How many labels to show, best first"),
    ),
    architectures=("ForVideoClassification",),
    description="What happens in a clip (Kinetics-400 actions), from a few evenly spaced frames.",
    build=build,
)
