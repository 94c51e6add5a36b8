"""Cross-request batching (core.batching): concurrent requests answered by one batched call give each request
what it gets alone; a bad input fails alone; different settings do not merge; loads happen once and a slow
download does not hold up another model's load."""

from __future__ import annotations

import dataclasses
import math
import threading
import time

import numpy as np
import pytest
from PIL import Image

from core.errors import UserError
from core.models import ModelManager
from core.settings import Settings
from demos.audio.audio_classification import TASK as AUDIO_CLS
from demos.audio.automatic_speech_recognition import TASK as ASR
from demos.audio.zero_shot_audio_classification import TASK as ZS_AUDIO
from demos.text.fill_mask import TASK as FILL
from demos.text.text_classification import TASK as TEXT_CLS
from demos.text.token_classification import TASK as NER
from demos.text.zero_shot_classification import TASK as ZS_TEXT
from demos.vision.common import sample
from demos.vision.depth_estimation import TASK as DEPTH
from demos.vision.image_classification import TASK as IMAGE_CLS
from demos.vision.image_feature_extraction import TASK as IMAGE_FEATURES
from demos.vision.image_segmentation import TASK as SEGMENT
from demos.vision.object_detection import TASK as DETECT
from demos.vision.zero_shot_image_classification import TASK as ZS_IMAGE
from demos.vision.zero_shot_object_detection import TASK as ZS_DETECT
from tests.audio_files import shared_speech_files
from tests.concurrency import meet, together

WINDOW_MS = 300  # long enough that requests started together surely meet


def settings_for(tiny_root, pack_dir, **values) -> Settings:
    return Settings(offline=True, device="cpu", models_dirs=(tiny_root, pack_dir), warmup=False, **values)


@pytest.fixture(scope="module")
def batching(tiny_root, pack_dir):
    return ModelManager(settings_for(tiny_root, pack_dir, batch_window_ms=WINDOW_MS, max_batch=16))


@pytest.fixture(scope="module")
def alone(tiny_root, pack_dir):
    """The same models with batching off (--max-batch 1): each request runs by itself."""
    return ModelManager(settings_for(tiny_root, pack_dir, max_batch=1))


@pytest.fixture(scope="module")
def pictures(tmp_path_factory) -> dict[str, str]:
    """Photos and noise pictures: three of one size, others of other sizes."""
    folder = tmp_path_factory.mktemp("pictures")
    rng = np.random.default_rng(0)
    out = {"cat": sample("chelsea"), "coffee": sample("coffee")}
    for name, (w, h) in {"a": (96, 64), "b": (96, 64), "c": (96, 64), "tall": (50, 120), "wide": (200, 70)}.items():
        path = folder / f"{name}.png"
        Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(path)
        out[name] = str(path)
    return out


def same(a, b, path="") -> None:
    """a equals b: exactly for labels, texts, ints, shapes; floats within float noise of a batched forward."""
    import torch

    if isinstance(a, torch.Tensor):
        a, b = a.float().numpy(), b.float().numpy()
    if isinstance(a, np.ndarray):
        assert a.shape == b.shape, path
        assert np.allclose(a, b, rtol=1e-4, atol=1e-5), path
    elif isinstance(a, (float, np.floating)) or isinstance(b, (float, np.floating)):
        assert math.isclose(a, b, rel_tol=1e-4, abs_tol=1e-5), f"{path}: {a} != {b}"
    elif isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), f"{path}: {a.keys()} != {getattr(b, 'keys', None)}"
        for k in a:
            same(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), f"{path}: {a!r} != {b!r}"
        for i, (x, y) in enumerate(zip(a, b)):
            same(x, y, f"{path}[{i}]")
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


def stats_after(manager, work) -> tuple[object, dict]:
    """(work's result, how the batcher's counters moved while it ran)."""
    before = manager.batcher.stats()
    result = work()
    after = manager.batcher.stats()
    return result, {k: after[k] - before[k] if k != "largest" else after[k] for k in after}


def noise(seconds: float, seed: int, rate: int = 16000) -> tuple[int, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rate, (0.1 * rng.standard_normal(int(seconds * rate))).astype(np.float32)


# id -> (task, tiny or pack model, the requests' inputs, params, how many of them must share one call)
TEXTS = ["I loved this film.", "A much longer review that goes on and on about the plot, the actors and the music.",
         "Bad.\nNot bad at all, actually quite good.", "ok"]


def cases(pictures, speech) -> dict[str, tuple]:
    cat, coffee, a, b, c, tall, wide = (pictures[k] for k in ("cat", "coffee", "a", "b", "c", "tall", "wide"))
    mixed = [{"image": p} for p in (cat, a, tall, wide)]
    same_size = [{"image": p} for p in (a, b, c)] + [{"image": tall}]
    return {
        "text-classification": (TEXT_CLS, "bert-seqcls", [{"text": t} for t in TEXTS], {}, 4),
        "text-classification-top1": (TEXT_CLS, "bert-seqcls", [{"text": t} for t in TEXTS], {"top_k": 1}, 4),
        "token-classification": (NER, "bert-tokcls", [
            {"text": "Hugging Face is in New York City."}, {"text": "Sarah lives in Paris\nJohn works at Google"},
            {"text": "x"}], {"aggregation_strategy": "simple"}, 3),
        "token-classification-none": (NER, "bert-tokcls", [{"text": t} for t in TEXTS],
                                      {"aggregation_strategy": "none"}, 4),
        "zero-shot-classification": (ZS_TEXT, "bert-nli", [
            {"text": t, "candidate_labels": "sports, politics, food"} for t in TEXTS], {}, 4),
        "fill-mask": (FILL, "roberta-mlm", [
            {"text": "The capital of France is <mask>."}, {"text": "<mask> and <mask> went up the hill."},
            {"text": "One <mask>.\nLine <mask> two is longer than the first."}, {"text": "<mask>"}], {"top_k": 3}, 4),
        "image-classification": (IMAGE_CLS, "vit-imgcls", mixed, {"top_k": 3}, 4),
        "image-classification-efficientnet": (IMAGE_CLS, "efficientnet_lite0", mixed + [{"image": coffee}],
                                              {"top_k": 5}, 5),
        # DETR pads images to the batch's size, so only pictures of one size share a call
        "object-detection": (DETECT, "detr", same_size, {"threshold": 0.0}, 3),
        "zero-shot-object-detection": (ZS_DETECT, "owlvit", [
            dict(i, candidate_labels="a cat, a cup") for i in mixed], {"threshold": 0.0}, 4),
        "image-segmentation": (SEGMENT, "segformer", mixed, {}, 4),
        "image-segmentation-panoptic": (SEGMENT, "detr-panoptic", same_size, {"threshold": 0.0}, 3),
        "depth-estimation": (DEPTH, "dpt", same_size, {}, 3),
        "image-feature-extraction": (IMAGE_FEATURES, "vit-imgcls", mixed, {"pooling": "mean"}, 4),
        "image-feature-extraction-tokens": (IMAGE_FEATURES, "dinov2", mixed, {"pooling": "none"}, 4),
        "zero-shot-image-classification": (ZS_IMAGE, "clip", [
            dict(i, candidate_labels="cat, dog, cup") for i in mixed], {}, 4),
        # wav2vec2 reads padding as sound: clips of one length share a call, the longer one runs alone
        "audio-classification": (AUDIO_CLS, "wav2vec2-audiocls", [
            {"audio": noise(1.0, 1)}, {"audio": noise(1.0, 2)}, {"audio": noise(1.0, 3)}, {"audio": noise(1.7, 4)}],
            {"top_k": 2}, 3),
        "zero-shot-audio-classification": (ZS_AUDIO, "clap", [
            {"audio": noise(1.0, s), "candidate_labels": "a dog, rain"} for s in (1, 2, 3)], {}, 3),
        # speech, not noise: on noise (and with random weights) Whisper babbles up to its length limit
        "automatic-speech-recognition-pack": (ASR, "whisper-tiny.en", [
            {"audio": str(speech[k])} for k in ("wav16", "mp3")], {"return_timestamps": "segments"}, 2),
        "automatic-speech-recognition-ctc": (ASR, "wav2vec2-ctc", [
            {"audio": noise(1.0, 1)}, {"audio": noise(1.0, 2)}], {"return_timestamps": "words"}, 2),
    }


CASE_IDS = list(cases({k: "" for k in ("cat", "coffee", "a", "b", "c", "tall", "wide")}, {"wav16": "", "stereo44": "", "mp3": ""}))


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    return shared_speech_files(tmp_path_factory)


def model_path(name: str, tiny, pack_dir) -> str:
    return str(tiny[name]) if name in tiny else str(pack_dir / name)


@pytest.mark.parametrize("case", CASE_IDS)
def test_concurrent_requests_get_what_they_get_alone(case, batching, alone, tiny, pack_dir, pictures, speech):
    task, name, inputs, params, merged = cases(pictures, speech)[case]
    model = model_path(name, tiny, pack_dir)
    expected = [alone.run(task, model, i, {**task.defaults(), **params}) for i in inputs]
    assert alone.batcher.stats()["batches"] == 0  # --max-batch 1: nothing goes through the batcher
    batching.run(task, model, inputs[0], {**task.defaults(), **params})  # loaded before the requests meet
    results, moved = stats_after(batching, lambda: together(batching, [(task, model, i, params) for i in inputs]))
    for result, want in zip(results, expected):
        assert not isinstance(result, Exception), result
        same(result.output, want.output)
        assert [n.text() for n in result.notes] == [n.text() for n in want.notes]
        assert "batched_requests" not in want.details
    shared = sorted(r.details.get("batched_requests", 1) for r in results)
    assert moved["merged"] >= 1 and shared[-1] >= merged, (moved, shared)
    assert moved["items"] == len(inputs)


def test_a_bad_request_fails_alone(batching, tiny, pictures, tmp_path):
    """A text without the mask token and a text file named .png fail with their own line, before any batch;
    the requests beside them answer."""
    model = str(tiny["roberta-mlm"])
    texts = ["Paris is the <mask> of France.", "no mask here", "A <mask> day."]
    results = together(batching, [(FILL, model, {"text": t}, {}) for t in texts])
    assert isinstance(results[1], UserError) and "<mask>" in results[1].text()
    assert [r.output for r in (results[0], results[2])] == \
        [batching.run(FILL, model, {"text": t}, FILL.defaults()).output for t in (texts[0], texts[2])]

    fake = tmp_path / "photo.png"
    fake.write_text("not a picture\n" * 10)
    images = [pictures["a"], str(fake), pictures["b"]]
    results = together(batching, [(IMAGE_CLS, str(tiny["vit-imgcls"]), {"image": p}, {}) for p in images])
    assert isinstance(results[1], UserError)
    assert all(not isinstance(results[i], Exception) and results[i].output for i in (0, 2))


def test_an_input_the_pipeline_rejects_inside_a_batch_fails_alone(batching, tiny):
    """A run that hands its pipeline a malformed input (a dict without "text") joins a batch of good ones: the
    batched call raises, each request runs again by itself, and only the bad one fails."""
    model = str(tiny["bert-seqcls"])

    def run(pipe, inputs, params):
        text = inputs["text"][0]
        return pipe({"txt": text} if text == "broken" else text)

    task = dataclasses.replace(TEXT_CLS, run=run)
    texts = ["fine", "broken", "also fine", "a fourth one"]
    batching.run(task, model, {"text": "warm"}, task.defaults())
    results, moved = stats_after(batching, lambda: together(batching, [(task, model, {"text": t}, {}) for t in texts]))
    assert moved["retried"] == 1, moved
    assert isinstance(results[1], UserError)
    for i in (0, 2, 3):
        assert results[i].output == batching.run(task, model, {"text": texts[i]}, task.defaults()).output
        assert "batched_requests" not in results[i].details  # each answered by its own call


def test_different_params_do_not_merge(batching, tiny):
    model = str(tiny["bert-seqcls"])
    batching.run(TEXT_CLS, model, {"text": "warm"}, TEXT_CLS.defaults())
    requests = [(TEXT_CLS, model, {"text": "same text"}, {"top_k": k}) for k in (1, 2)] + \
        [(TEXT_CLS, model, {"text": "same text"}, {"function_to_apply": "sigmoid"})]
    results, moved = stats_after(batching, lambda: together(batching, requests))
    assert moved == {**moved, "batches": 3, "merged": 0, "items": 3}
    assert len(results[0].output) == 1 and len(results[1].output) == 2
    assert results[2].output != results[1].output  # sigmoid scores, not softmax


def test_batch_tasks_merge_equal_params_and_retry_alone(batching, alone, tiny):
    """A task with a `batch` function: concurrent requests with equal params go to one batch call (under the
    model's lock); when it raises, each request runs through `run`, so only the bad one fails."""
    model = str(tiny["bert-seqcls"])
    calls: list[int] = []

    def run(pipe, inputs, params):
        if inputs["text"] == ["boom"]:
            raise UserError("bad_param", name="text", detail="boom")
        return TEXT_CLS.run(pipe, inputs, params)

    def batch(pipe, many, params):
        calls.append(len(many))
        if any(i["text"] == ["boom"] for i in many):
            raise ValueError("one bad input spoils the batch")
        return [TEXT_CLS.run(pipe, i, params) for i in many]

    task = dataclasses.replace(TEXT_CLS, batched=False, batch=batch, run=run)
    batching.run(task, model, {"text": "warm"}, task.defaults())
    texts = ["one", "two", "three"]
    results = together(batching, [(task, model, {"text": t}, {}) for t in texts])
    assert calls == [3] and [r.details["batched_requests"] for r in results] == [3, 3, 3]
    assert [r.output for r in results] == [alone.run(TEXT_CLS, model, {"text": t}, TEXT_CLS.defaults()).output
                                           for t in texts]
    calls.clear()
    results = together(batching, [(task, model, {"text": t}, {}) for t in ("one", "boom", "two")])
    assert calls == [3] and isinstance(results[1], UserError) and "boom" in results[1].text()
    assert results[0].output and results[2].output and "batched_requests" not in results[0].details


def test_concurrent_first_requests_load_once(tiny_root, pack_dir, tiny):
    manager = ModelManager(settings_for(tiny_root, pack_dir, batch_window_ms=50))
    results = together(manager, [(TEXT_CLS, str(tiny["bert-seqcls"]), {"text": f"text {i}"}, {}) for i in range(6)])
    assert all(not isinstance(r, Exception) for r in results)
    assert manager.loads == 1 and sum(r.details["load"] != "cached" for r in results) == 1


def test_a_request_that_comes_alone_does_not_wait_for_the_window(tiny_root, pack_dir, tiny):
    """The window is for requests in flight to meet: with nobody else on the model, a request runs at once
    (a window of 8 s would show in its time), and requests that meet still merge."""
    manager = ModelManager(settings_for(tiny_root, pack_dir, batch_window_ms=8000))
    cases = ((TEXT_CLS, str(tiny["bert-seqcls"]), {"text": "alone"}),
             (FILL, str(tiny["roberta-mlm"]), {"text": "paris is the <mask> of france."}))
    for task, model, inputs in cases:
        manager.run(task, model, inputs, task.defaults())  # loaded
        start = time.monotonic()
        manager.run(task, model, inputs, task.defaults())
        assert time.monotonic() - start < 4
    model = cases[0][1]
    results, moved = stats_after(manager, lambda: together(manager, [(TEXT_CLS, model, {"text": f"t {i}"}, {})
                                                                     for i in range(3)]))
    assert moved["merged"] == 1 and all(r.details["batched_requests"] == 3 for r in results)


def test_a_slow_download_does_not_hold_up_a_load_of_a_local_model(tiny_root, pack_dir, tiny, monkeypatch):
    """Model X's files take 4 s to come from the Hub (the Hub is unreachable here: download is slowed in
    place of it); a load of local model Y meanwhile ends in its own time."""
    import core.models

    started, finished = threading.Event(), threading.Event()

    def slow_download(repo, revision, report):
        started.set()
        time.sleep(4)
        finished.set()

    import huggingface_hub.constants

    monkeypatch.setattr(core.models, "hub_reachable", lambda: True)
    # after its download, X's from_pretrained fails at once instead of retrying an unreachable Hub
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(core.models, "download", slow_download)
    manager = ModelManager(dataclasses.replace(settings_for(tiny_root, pack_dir), offline=False))
    errors: list = []

    def load_x():
        try:
            manager.run(TEXT_CLS, "someone/slow-model", {"text": "hi"}, TEXT_CLS.defaults())
        except Exception as exc:  # noqa: BLE001 - X cannot really load without the Hub
            errors.append(exc)

    x = threading.Thread(target=load_x)
    x.start()
    assert started.wait(10)
    result = manager.run(TEXT_CLS, str(tiny["bert-seqcls"]), {"text": "hi"}, TEXT_CLS.defaults())
    assert result.details["load"] != "cached" and not finished.is_set()
    x.join(30)
    assert finished.is_set() and errors  # X's own load went on after its download


def test_batching_flags_and_their_bounds(monkeypatch):
    import argparse

    from core.settings import add_model_options, settings_from_args

    def settings(*argv):
        parser = argparse.ArgumentParser()
        add_model_options(parser)
        return settings_from_args(parser.parse_args(list(argv)))

    default = settings()
    assert (default.batch_window_ms, default.max_batch, default.cache_models) == (5.0, 16, 0)
    assert ModelManager(settings("--max-batch", "1")).batcher.enabled is False
    assert settings("--batch-window-ms", "0", "--max-batch", "64").max_batch == 64
    for bad in (("--max-batch", "0"), ("--batch-window-ms", "-1"), ("--batch-window-ms", "nan")):
        with pytest.raises(SystemExit, match=bad[0]):
            settings(*bad)
    monkeypatch.setenv("PLAYGROUND_BATCH_WINDOW_MS", "20")
    monkeypatch.setenv("PLAYGROUND_MAX_BATCH", "4")
    assert (settings().batch_window_ms, settings().max_batch) == (20.0, 4)


@pytest.fixture(scope="module")
def batching_app(tiny_root, pack_dir):
    """The whole app over a manager with a wide window, served on a free port."""
    from app import build_app
    from tests.conftest import free_port

    settings = settings_for(tiny_root, pack_dir, batch_window_ms=WINDOW_MS, port=free_port())
    built = build_app(settings)
    built.launch(server_name="127.0.0.1", server_port=settings.port, quiet=True)
    yield built
    built.demo.close()


def test_eight_api_clients_at_once_get_their_own_answers_from_shared_batches(batching_app, alone, tiny):
    from gradio_client import Client

    from tests.audio_files import value_of

    url = f"http://127.0.0.1:{batching_app.ctx.settings.port}/"
    model = str(tiny["bert-seqcls"])
    texts = [f"sentence number {i} " + "more words " * i for i in range(8)]
    clients = [Client(url, verbose=False) for _ in texts]
    out: list = [None] * len(texts)
    start = threading.Barrier(len(texts))

    def ask(i):
        start.wait()
        out[i] = clients[i].predict(text=texts[i], text_pair="", top_k=2, function_to_apply="default", batch_size=1,
                                    model=model, api_name="/text_classification")

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(texts))]
    with batching_app.ctx.models.batcher.held():
        for t in threads:
            t.start()
        meet(batching_app.ctx.models, threads, timeout=60)
    for t in threads:
        t.join(timeout=120)
    for text, answer in zip(texts, out):
        label, table, notes, raw, code, details = map(value_of, answer)
        same(raw, alone.run(TEXT_CLS, model, {"text": text}, {**TEXT_CLS.defaults(), "top_k": 2}).output)
    stats = batching_app.ctx.models.batcher.stats()
    assert stats["merged"] >= 1 and stats["largest"] >= 2, stats


def test_the_queue_lets_a_full_batch_through(batching_app):
    """Events of tasks that batch take --max-batch requests at once; the others keep a small limit, and the
    queue's threads are not the bottleneck."""
    events = {fn.api_name: fn for fn in batching_app.demo.fns.values()}
    for api in ("text_classification", "image_classification", "automatic_speech_recognition"):
        assert events[api].concurrency_limit >= batching_app.ctx.settings.max_batch == 16
    assert events["text_generation"].concurrency_limit == 2  # streamed, one at a time per model anyway
    assert batching_app.demo.max_threads >= 3 * 16
