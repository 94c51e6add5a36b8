"""video-classification: a tiny VideoMAE on clips written at test time (MP4 stores its frame count, WebM
does not: the app counts), the frames sampled as transformers samples them, the shown code sampling the
same frames; clear errors; the API's gallery of the frames seen and the fields' bounds."""

from __future__ import annotations

import pytest

from core.errors import UserError
from demos.vision.common import make_video
from demos.vision.video_classification import TASK, read_frames
from tests.test_vision_common import bad, close, run, snippet, value_of, write_clip


@pytest.fixture(scope="module")
def clip_file(tmp_path_factory):
    return write_clip(tmp_path_factory.mktemp("video"))


@pytest.mark.parametrize("suffix", [".mp4", ".webm"])  # WebM stores no frame count: the app counts them
def test_video_classification(manager, tiny, tmp_path, suffix):
    clip = str(make_video(tmp_path / f"clip{suffix}"))
    result = run(manager, tiny["videomae"], TASK, {"video": clip}, top_k=3)
    out = result.output
    assert len(out["labels"]) == 3 and {d["label"] for d in out["labels"]} <= {
        "running", "jumping", "cooking", "swimming", "dancing"}
    assert out["total_frames"] == 48 and out["frame_indices"] == [0, 12, 24, 36] and out["fps"] == 24.0
    assert read_frames(clip, out["frame_indices"], max_side=80).shape == (4, 60, 80, 3)
    assert [f.size for f in result.facts["frames"]] == [(160, 120)] * 4  # the frames the model got, once decoded
    ns = snippet(result.code)
    assert ns["indices"] == out["frame_indices"]
    assert close(ns["result"], out["labels"])


def test_video_errors(manager, tiny, clip_file, tmp_path):
    with pytest.raises(UserError) as err:
        run(manager, tiny["videomae"], TASK, {"video": clip_file}, num_frames=8)
    assert err.value.key == "bad_param" and "exactly 4 frames" in str(err.value)
    with pytest.raises(UserError) as err:
        run(manager, tiny["videomae"], TASK, {"video": clip_file}, num_frames=64)
    assert err.value.key == "bad_param" and "only 48 frames" in str(err.value)
    text = tmp_path / "notes.mp4"
    text.write_text("not a video")
    with pytest.raises(UserError) as err:
        run(manager, tiny["videomae"], TASK, {"video": str(text)})
    assert err.value.key == "bad_file"


def test_a_clip_too_long_to_decode_is_refused_before_decoding():
    from demos.vision.video_classification import MAX_DECODED_PIXELS, check_work

    hd = {"width": 1920, "height": 1080}
    check_work(hd, [0, 5000, 9000])  # five minutes of 1080p at 30 fps: decoded
    with pytest.raises(UserError) as err:
        check_work({"width": 3840, "height": 2160}, [0, 9000, 17999])  # ten minutes of 4K
    assert err.value.key == "too_large" and "18,000 frames of 3840×2160" in str(err.value)
    assert MAX_DECODED_PIXELS // (1920 * 1080) >= 9001


def test_fields_are_bounded(clip_file):
    bad(TASK, "empty_input")
    bad(TASK, video=clip_file, num_frames=65)
    bad(TASK, video=clip_file, num_frames=-1)
    bad(TASK, video=clip_file, top_k=101)
    bad(TASK, video=clip_file, top_k="nan")


def test_api(client, tiny, clip_file):
    from gradio_client import handle_file

    label, frames, notes, raw, code, details = map(value_of, client.predict(
        video=handle_file(clip_file), num_frames=0, top_k=2, model=str(tiny["videomae"]),
        api_name="/video_classification"))
    assert len(raw["labels"]) == 2 and len(frames) == 4 and frames[1]["caption"] == "frame 12 · 0.50 s"
