"""A hostile caller on the public link: bad, abusive and malformed inputs to every tab's API, each answered
with its own one-line message of the right kind, and each followed by a good request that is answered. The
server's resident memory is checked after the lot.

Cases go through the real live app (gradio_client -> gradio -> the fields -> the model manager -> the
readers), on tiny models and files the tests make."""

from __future__ import annotations

import os
import struct
import zlib

import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from core.registry import all_tasks, discover

TASKS = {task.api_name: task for _, task in all_tasks(discover()).values()}

# the kind of each message, by a phrase of its English template (core/i18n.py)
KINDS = {
    "bad_param": "Invalid value for",
    "too_large": "is too large",
    "limit": "is more than this server allows",
    "empty_input": "Please give some input first",
    "bad_file": "could not be read",
    "not_local": "is not a model folder this server offers",
    "unknown_model": "is not a model on the Hugging Face Hub",
    "misfit": "model.",
    "not_available": "is not available offline",
}


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, str]:
    """Bad files of every kind, made here."""
    from PIL import Image

    d = tmp_path_factory.mktemp("hostile")
    (d / "text.png").write_text("hello, I am text")
    (d / "empty.png").write_bytes(b"")
    Image.new("RGB", (20000, 1), "white").save(d / "strip.png")
    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    (d / "bomb.png").write_bytes(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
                                 + _chunk(b"IDAT", zlib.compress(b"\0" * 301, 9)) + _chunk(b"IEND", b""))
    Image.new("RGB", (64, 64), "red").save(d / "ok.jpg")
    (d / "trunc.jpg").write_bytes((d / "ok.jpg").read_bytes()[:300])
    (d / "ok.png").write_bytes((d / "ok.jpg").read_bytes())
    Image.new("RGB", (64, 64), "red").save(d / "small.png")
    (d / "empty.wav").write_bytes(b"")
    (d / "text.wav").write_text("not audio at all")
    (d / "garbage.mp4").write_bytes(os.urandom(2048))
    (d / "text.pdf").write_text("%PDF-1.4 but not really")
    return {p.name: str(p) for p in d.iterdir()}


def call(client, api: str, **values):
    """client.predict for the task's endpoint; file inputs not given are sent as None."""
    task = TASKS[api]
    for name in task.file_inputs:
        values.setdefault(name, None)
    for name, value in list(values.items()):
        if isinstance(value, str) and value.startswith("file:"):
            values[name] = handle_file(value.removeprefix("file:"))
    return client.predict(**values, api_name="/" + api)


def expect(client, kind: str, api: str, **values) -> str:
    with pytest.raises(AppError) as err:
        call(client, api, **values)
    text = str(err.value).strip()
    assert KINDS[kind] in text, (kind, text)
    assert "\n" not in text and "Traceback" not in text, text
    return text


def resolved(values: dict, files: dict, tiny: dict) -> dict:
    """values with "file:<name>" as the path of that bad file and "tiny:<model>[/rest]" as a tiny model's folder."""
    out = {}
    for name, value in values.items():
        if isinstance(value, str) and value.startswith("file:"):
            value = "file:" + files[value.removeprefix("file:")]
        elif isinstance(value, str) and value.startswith("tiny:"):
            model, _, rest = value.removeprefix("tiny:").partition("/")
            value = str(tiny[model]) + (f"/{rest}" if rest else "")
        out[name] = value
    return out


def good(client, tiny) -> None:
    answer = call(client, "text_classification", text="a good request", model=str(tiny["bert-seqcls"]))
    assert answer[0]["label"] in {"NEGATIVE", "POSITIVE"}


LONG = "word " * 12_000  # 60,000 characters: over the server's 50,000 per text
HUGE = "x" * 300_000
MANY_LINES = "\n".join(f"line {i}" for i in range(300))
MANY_LABELS = ",".join(f"label{i}" for i in range(60))

# (id, kind, api, values): values naming "file:<name>" send that bad file; "tiny:<name>" a tiny model
CASES = [
    # numbers: junk, NaN, infinities, huge, out of range, fractions, booleans
    ("top_k-word", "bad_param", "text_classification", {"text": "x", "top_k": "many"}),
    ("top_k-nan", "bad_param", "text_classification", {"text": "x", "top_k": "nan"}),
    ("top_k-inf", "bad_param", "text_classification", {"text": "x", "top_k": "inf"}),
    ("top_k-2^70", "bad_param", "text_classification", {"text": "x", "top_k": 2**70}),
    ("top_k-1e308", "bad_param", "text_classification", {"text": "x", "top_k": 1e308}),
    ("top_k-negative", "bad_param", "text_classification", {"text": "x", "top_k": -3}),
    ("top_k-fraction", "bad_param", "text_classification", {"text": "x", "top_k": 2.5}),
    ("top_k-bool", "bad_param", "text_classification", {"text": "x", "top_k": True}),
    ("batch-0", "bad_param", "text_classification", {"text": "x", "batch_size": 0}),
    ("threshold-2", "bad_param", "object_detection", {"image": "file:ok.jpg", "threshold": 2}),
    ("threshold-nan", "bad_param", "object_detection", {"image": "file:ok.jpg", "threshold": "NaN"}),
    ("mask-threshold-neg", "bad_param", "image_segmentation", {"image": "file:ok.jpg", "mask_threshold": -0.5}),
    ("stride-huge", "bad_param", "token_classification", {"text": "x", "stride": 10**6}),
    ("doc-stride-huge", "bad_param", "question_answering", {"question": "q", "context": "c", "doc_stride": 10**9}),
    ("max-seq-len-0", "bad_param", "question_answering", {"question": "q", "context": "c", "max_seq_len": 0}),
    ("max-new-tokens-huge", "bad_param", "text_generation", {"text": "hi", "max_new_tokens": 10**7}),
    ("num-beams-99", "bad_param", "summarization", {"text": "hi", "num_beams": 99}),
    ("temperature-0", "bad_param", "text_generation", {"text": "hi", "temperature": 0}),
    ("tokenize-max-length", "bad_param", "tokenize", {"text": "hi", "max_length": 10**9}),
    ("tokenize-max-length-str", "bad_param", "tokenize", {"text": "hi", "max_length": "lots"}),
    ("asr-chunk-huge", "bad_param", "automatic_speech_recognition", {"audio": "file:text.wav", "chunk_length_s": 1e9}),
    ("tts-seed-negative", "bad_param", "text_to_audio", {"text": "hi", "seed": -1}),
    ("tts-rate-inf", "bad_param", "text_to_audio", {"text": "hi", "speaking_rate": "inf"}),
    ("embed-batch-huge", "bad_param", "embed", {"text": "a\nb", "batch_size": 10**6}),
    ("project-perplexity", "bad_param", "project", {"text": "a\nb\nc", "perplexity": 10**4}),
    ("neighbors-top-k", "bad_param", "neighbors", {"text": "a\nb", "query": "a", "top_k": 10**5}),
    ("image-top-k", "bad_param", "image_classification", {"image": "file:ok.jpg", "top_k": 10**5}),
    ("video-frames", "bad_param", "video_classification", {"video": "file:garbage.mp4", "num_frames": 10**4}),
    ("sam-points", "bad_param", "mask_generation", {"image": "file:ok.jpg", "points_per_batch": 10**6}),
    ("upscale-pixels", "bad_param", "image_to_image", {"image": "file:ok.jpg", "max_input_pixels": 10**9}),
    ("docqa-top-k", "bad_param", "document_question_answering", {"question": "q", "top_k": 10**3}),
    ("vqa-top-k", "bad_param", "visual_question_answering", {"image": "file:ok.jpg", "question": "q", "top_k": -1}),
    ("caption-tokens", "bad_param", "image_to_text", {"image": "file:ok.jpg", "max_new_tokens": 10**6}),
    # choices and wrong types
    ("function-bogus", "bad_param", "text_classification", {"text": "x", "function_to_apply": "bogus"}),
    ("aggregation-bogus", "bad_param", "token_classification", {"text": "x", "aggregation_strategy": "sum"}),
    ("padding-bogus", "bad_param", "tokenize", {"text": "x", "padding": "always"}),
    ("timestamps-bogus", "bad_param", "automatic_speech_recognition", {"audio": "file:text.wav", "return_timestamps": "sometimes"}),
    ("segment-subtask", "bad_param", "image_segmentation", {"image": "file:ok.jpg", "subtask": "everything"}),
    ("depth-colormap", "bad_param", "depth_estimation", {"image": "file:ok.jpg", "colormap": "rainbow-unicorn"}),
    ("project-method", "bad_param", "project", {"text": "a\nb", "method": "magic"}),
    ("pooling-bogus", "bad_param", "embed", {"text": "a", "pooling": "median"}),
    ("text-as-dict", "bad_param", "text_classification", {"text": {"evil": True}}),
    ("text-as-list-of-dicts", "bad_param", "fill_mask", {"text": [{"a": 1}], "top_k": "x"}),
    ("bool-junk", "bad_param", "zero_shot_classification", {"text": "x", "candidate_labels": "a,b", "multi_label": "maybe"}),
    ("template-no-braces", "bad_param", "zero_shot_classification", {"text": "x", "candidate_labels": "a,b", "hypothesis_template": "no slot"}),
    ("image-template-no-braces", "bad_param", "zero_shot_image_classification", {"image": "file:ok.jpg", "candidate_labels": "a", "hypothesis_template": "none"}),
    # sizes: text, lines, labels, tables
    ("text-60k-classify", "too_large", "text_classification", {"text": LONG}),
    ("text-60k-qa", "too_large", "question_answering", {"question": "q", "context": LONG}),
    ("text-300k", "too_large", "text_classification", {"text": HUGE}),
    ("lines-300", "too_large", "text_classification", {"text": MANY_LINES}),
    ("qa-context-huge", "too_large", "question_answering", {"question": "q", "context": HUGE}),
    ("ner-text-huge", "too_large", "token_classification", {"text": HUGE}),
    ("fill-mask-huge", "too_large", "fill_mask", {"text": HUGE}),
    ("summarize-huge", "too_large", "summarization", {"text": HUGE}),
    ("translate-huge", "too_large", "translation", {"text": HUGE}),
    ("generate-huge", "too_large", "text_generation", {"text": HUGE}),
    ("labels-60", "too_large", "zero_shot_classification", {"text": "x", "candidate_labels": MANY_LABELS}),
    ("label-long", "too_large", "zero_shot_classification", {"text": "x", "candidate_labels": "a," + "b" * 5000}),
    ("image-labels-60", "too_large", "zero_shot_image_classification", {"image": "file:ok.jpg", "candidate_labels": MANY_LABELS}),
    ("audio-labels-60", "too_large", "zero_shot_audio_classification", {"audio": "file:text.wav", "candidate_labels": MANY_LABELS}),
    ("tokenize-huge", "too_large", "tokenize", {"text": HUGE}),
    ("decode-ids-huge", "too_large", "decode", {"ids": ",".join(["1"] * 60_000)}),
    ("tts-text-huge", "too_large", "text_to_audio", {"text": "x" * 5000}),
    ("embed-rows-huge", "too_large", "embed", {"text": HUGE}),
    ("table-huge", "too_large", "table_question_answering",
     {"query": "q", "table": {"headers": ["a", "b"], "data": [["1", "2"]] * 5000, "metadata": None}}),
    ("chat-message-huge", "too_large", "image_text_to_text", {"message": {"text": HUGE, "files": []}}),
    ("docqa-question-huge", "too_large", "document_question_answering", {"question": HUGE}),
    # empty inputs
    ("text-empty", "empty_input", "text_classification", {"text": "  \n "}),
    ("qa-no-context", "empty_input", "question_answering", {"question": "who?", "context": ""}),
    ("ner-empty", "empty_input", "token_classification", {"text": ""}),
    ("zero-shot-no-labels", "empty_input", "zero_shot_classification", {"text": "x", "candidate_labels": " , "}),
    ("image-missing", "empty_input", "image_classification", {}),
    ("audio-missing", "empty_input", "automatic_speech_recognition", {}),
    ("video-missing", "empty_input", "video_classification", {}),
    ("vqa-no-question", "empty_input", "visual_question_answering", {"image": "file:ok.jpg", "question": ""}),
    ("tokenize-empty", "empty_input", "tokenize", {"text": ""}),
    ("tts-empty", "empty_input", "text_to_audio", {"text": ""}),
    # files the app reads itself
    ("png-is-text", "bad_file", "image_classification", {"image": "file:text.png", "model": "tiny:vit-imgcls"}),
    ("png-empty", "bad_file", "image_classification", {"image": "file:empty.png", "model": "tiny:vit-imgcls"}),
    ("png-bomb", "too_large", "image_classification", {"image": "file:bomb.png", "model": "tiny:vit-imgcls"}),
    ("png-strip", "limit", "object_detection", {"image": "file:strip.png", "model": "tiny:detr"}),
    ("jpg-truncated", "bad_file", "depth_estimation", {"image": "file:trunc.jpg", "model": "tiny:dpt"}),
    ("detect-text-png", "bad_file", "object_detection", {"image": "file:text.png", "model": "tiny:detr"}),
    ("segment-bomb", "too_large", "image_segmentation", {"image": "file:bomb.png", "model": "tiny:segformer"}),
    ("vqa-text-png", "bad_file", "visual_question_answering", {"image": "file:text.png", "question": "q", "model": "tiny:vilt-vqa"}),
    ("caption-empty-png", "bad_file", "image_to_text", {"image": "file:empty.png", "model": "tiny:blip-caption"}),
    ("wav-empty", "bad_file", "automatic_speech_recognition", {"audio": "file:empty.wav", "model": "tiny:wav2vec2-ctc"}),
    ("wav-is-text", "bad_file", "automatic_speech_recognition", {"audio": "file:text.wav", "model": "tiny:wav2vec2-ctc"}),
    ("audiocls-text", "bad_file", "audio_classification", {"audio": "file:text.wav", "model": "tiny:wav2vec2-audiocls"}),
    ("video-garbage", "bad_file", "video_classification", {"video": "file:garbage.mp4", "model": "tiny:videomae"}),
    ("docqa-fake-pdf", "bad_file", "document_question_answering", {"image": "file:text.pdf", "question": "q", "model": "tiny:layoutlm-docqa"}),
    # model boxes: paths outside the allowed folders, odd names
    ("model-etc", "not_local", "text_classification", {"text": "x", "model": "/etc"}),
    ("model-traversal", "not_local", "text_classification", {"text": "x", "model": "tiny:bert-seqcls/../../../../etc"}),
    ("model-missing-dir", "not_local", "text_classification", {"text": "x", "model": "/no/such/folder"}),
    ("model-gradio-tmp", "not_local", "text_classification", {"text": "x", "model": "/tmp/gradio"}),
    ("model-home", "not_local", "text_classification", {"text": "x", "model": "~/.ssh"}),
    ("model-nul", "not_local", "text_classification", {"text": "x", "model": "a/b\x00c"}),
    ("model-huge-name", "not_local", "text_classification", {"text": "x", "model": "a/" + "b" * 5000}),
    ("model-bad-id", "unknown_model", "text_classification", {"text": "x", "model": "not a model id!"}),
    ("model-wrong-task", "misfit", "text_classification", {"text": "x", "model": "tiny:vit-imgcls"}),
    ("model-gpt2-classify", "misfit", "text_classification", {"text": "x", "model": "tiny:gpt2"}),
    ("model-bert-generate", "misfit", "text_generation", {"text": "x", "model": "tiny:bert-seqcls"}),
    ("model-whisper-ner", "misfit", "token_classification", {"text": "x", "model": "tiny:whisper"}),
    ("model-offline", "not_available", "text_classification", {"text": "x", "model": "someone/not-downloaded"}),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input_gets_its_one_line_and_the_server_serves_on(client, tiny, files, case):
    _, kind, api, values = case
    expect(client, kind, api, **resolved(values, files, tiny))
    good(client, tiny)


def test_not_allowed_and_missing_folders_answer_alike(client, tiny_root):
    """The model box must not map the server's disk: an existing folder outside the allowed ones and a
    missing folder get the same message (but for the name typed)."""
    there = expect(client, "not_local", "text_classification", text="x", model="/usr/lib")
    missing = expect(client, "not_local", "text_classification", text="x", model="/usr/lob")
    assert there.replace("/usr/lib", "X") == missing.replace("/usr/lob", "X")


def test_limits_name_their_flag(client, settings, tiny, files, capsys):
    """The server-wide ceilings: the aspect ratio by default; the others once an operator lowers them, for every
    task at once, through the CLI's flags or the manager's settings."""
    from dataclasses import replace

    import app
    from core.limits import Limits
    from core.models import ModelManager

    assert "--max-aspect" in expect(client, "limit", "image_classification", image="file:" + files["strip.png"])
    dirs = [arg for d in settings.models_dirs for arg in ("--models-dir", str(d))]
    assert app.main(["run", "tokenize", "x" * 2000, "--max-text-chars", "1000", "--offline", *dirs,
                     "--model", str(tiny["bert-base"])]) == 2
    err = capsys.readouterr().err
    assert KINDS["limit"] in err and "--max-text-chars" in err and "2,000" in err
    tight = ModelManager(replace(settings, limits=replace(Limits(), lines=3, labels=2, new_tokens=5)))
    for task_id, inputs, params, flag in (
            ("text-classification", {"text": "a\nb\nc\nd"}, {}, "--max-lines"),
            ("zero-shot-classification", {"text": "x", "candidate_labels": "a,b,c"}, {}, "--max-labels"),
            ("text-generation", {"text": "x"}, {"max_new_tokens": 6}, "--max-new-tokens")):
        task = all_tasks(discover())[task_id][1]
        with pytest.raises(Exception) as failed:
            tight.run(task, str(tiny["bert-seqcls"]), inputs, params)
        assert getattr(failed.value, "key", None) == "limit" and flag in str(failed.value), task_id


def test_korean_browsers_get_korean_lines(base_url, files):
    from gradio_client import Client

    korean = Client(base_url, verbose=False, headers={"Accept-Language": "ko-KR,ko;q=0.9"})
    with pytest.raises(AppError) as err:
        call(korean, "image_classification", image="file:" + files["text.png"])
    assert "읽을 수 없습니다" in str(err.value)
    with pytest.raises(AppError) as err:
        call(korean, "text_classification", text="x", top_k=99)
    assert "잘못되었습니다" in str(err.value)


def test_resident_memory_stays_flat_after_the_hostile_cases(client, tiny, files):
    """Run the abusive cases again and compare the server's RSS (it runs in this process): no case may leave
    hundreds of MB behind."""
    import gc

    import psutil

    process = psutil.Process()
    def abuse():
        for _, _, api, values in CASES[:60]:  # the number, text and size cases: the cheap abusive ones
            with pytest.raises(AppError):
                call(client, api, **resolved(values, files, tiny))
        gc.collect()

    abuse()
    before = process.memory_info().rss
    abuse()
    grown = (process.memory_info().rss - before) / 2**20
    assert grown < 200, f"RSS grew by {grown:.0f} MB over 60 rejected requests"
    good(client, tiny)


def test_rejections_write_no_traceback(client, tiny, files, capfd):
    """Rejected requests are logged as one line at most, never as a traceback (the server runs in this process)."""
    capfd.readouterr()
    for _, _, api, values in CASES[::7]:
        with pytest.raises(AppError):
            call(client, api, **resolved(values, files, tiny))
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err


def test_a_truncated_mp3_decodes_to_what_it_holds_every_time(tmp_path):
    """libsndfile's header of a cut MP3 promises the whole song; the app returns only the decoded samples, the
    same ones on every read (a reused buffer used to hand back its stale tail)."""
    import hashlib

    import numpy as np
    import soundfile as sf

    from core.audio import load_audio
    from tests.conftest import ROOT

    cut = tmp_path / "cut.mp3"
    cut.write_bytes((ROOT / "demos/audio/clips/dream.mp3").read_bytes()[:1200])
    promised = sf.info(str(cut)).frames / sf.info(str(cut)).samplerate
    reads = [load_audio(str(cut), 16000) for _ in range(3)]
    assert len({hashlib.md5(np.asarray(a.samples).tobytes()).hexdigest() for a in reads}) == 1
    assert len(reads[0].samples) / 16000 < promised / 10, "only the decoded part, not the header's length"


def test_a_decoder_that_runs_on_is_stopped_by_the_time_limit(tmp_path):
    from core import deadline
    from core.audio import load_audio
    from tests.conftest import ROOT

    with deadline.within(1e-9), pytest.raises(deadline.RunTimeout):
        load_audio(str(ROOT / "demos/audio/clips/korean.ogg"), 16000)


def test_the_cache_budget_follows_the_machines_memory():
    import psutil

    from core.models import ModelManager
    from core.settings import Settings

    manager = ModelManager(Settings(device="cpu"))
    assert manager.budget_bytes == int(psutil.virtual_memory().total * 0.5)
    assert ModelManager(Settings(device="cpu", cache_gib=1.5)).budget_bytes == int(1.5 * 2**30)
