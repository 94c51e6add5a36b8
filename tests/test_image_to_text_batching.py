"""Captioning requests batched across requests (TaskSpec.batch): batch([a, b, c]) equals [run(a), run(b), run(c)]
exactly, on a tiny BLIP whose captions follow the picture, with prompts of several token lengths (only equal
lengths share a pipeline call: padding would change a caption) and pictures of several sizes; through a manager,
concurrent requests share one call."""

from __future__ import annotations

import pytest
from PIL import Image

from core.errors import UserError
from demos.multimodal.common import picture
from demos.multimodal.image_to_text import TASK
from tests.concurrency import together

PROMPTS = ("", "a picture of", "A  Picture of", "what is", "a photography of", "")
PICTURES = ("chelsea", "astronaut", "coffee", "cheetah", "bus", "text.png")


@pytest.fixture(scope="module")
def seeing_blip(tiny, tiny_root):
    """The tiny captioning BLIP with vision weights at a visible scale: its vision config's initializer_range
    (1e-10) makes every picture look alike, so every picture would get the same caption."""
    import torch
    from transformers import AutoProcessor, BlipForConditionalGeneration

    folder = tiny_root / "seeing-blip-caption"  # in a models dir, so the manager serves it
    if (folder / "config.json").exists():
        return folder
    model = BlipForConditionalGeneration.from_pretrained(tiny["blip-caption"])
    torch.manual_seed(0)
    with torch.no_grad():
        for name, weight in model.vision_model.named_parameters():
            if "norm" not in name and "bias" not in name:
                weight.normal_(0, 0.3)
        for name, weight in model.named_parameters():
            if "crossattention.self" in name and weight.ndim == 2:
                weight.mul_(4)
    model.save_pretrained(folder)
    AutoProcessor.from_pretrained(tiny["blip-caption"]).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def pipe(manager, seeing_blip):
    entry, _ = manager.get(TASK.loader, str(seeing_blip))
    return entry.obj


@pytest.fixture(scope="module")
def odd_sizes(tmp_path_factory) -> list[str]:
    folder = tmp_path_factory.mktemp("caption-pictures")
    paths = []
    for i, (size, colour) in enumerate([((20, 70), (200, 10, 10)), ((90, 31), (10, 180, 40))]):
        path = folder / f"p{i}.png"
        Image.new("RGB", size, colour).save(path)
        paths.append(str(path))
    return paths


def check(pipe, raw_inputs: list[dict], **params) -> list:
    parsed = [TASK.parse(inputs, params) for inputs in raw_inputs]
    values = parsed[0][1]
    alone = [TASK.run(pipe, inputs, values) for inputs, _ in parsed]
    together = TASK.batch(pipe, [inputs for inputs, _ in parsed], values)
    assert together == alone
    return together


def generate_calls(pipe, raw_inputs: list[dict], **params) -> int:
    parsed = [TASK.parse(inputs, params) for inputs in raw_inputs]
    calls = []
    original = pipe.model.generate

    def counted(*args, **kwargs):
        calls.append(kwargs.get("pixel_values").shape[0])
        return original(*args, **kwargs)

    pipe.model.generate = counted
    try:
        TASK.batch(pipe, [inputs for inputs, _ in parsed], parsed[0][1])
    finally:
        del pipe.model.generate
    return len(calls)


def test_the_pictures_give_different_captions(pipe):
    """Else a batch that mixed up its pictures would pass."""
    results = check(pipe, [{"image": picture(n), "text": ""} for n in PICTURES], max_new_tokens=12)
    assert len({r[0]["generated_text"] for r in results}) >= 3


@pytest.mark.parametrize("params", [{"max_new_tokens": 12}, {"max_new_tokens": 1}, {}])
def test_mixed_prompts_and_pictures_equal_one_by_one(pipe, odd_sizes, params):
    requests = [{"image": picture(n), "text": p} for n, p in zip(PICTURES, PROMPTS)]
    requests += [{"image": odd_sizes[0], "text": "what is"}, {"image": odd_sizes[1], "text": "a picture of"}]
    if not params:  # the default length: 256 new tokens, slow on a shared CPU
        requests = requests[:3]
    results = check(pipe, requests, **params)
    assert [r[0]["input_text"] for r in results] == [r["text"].strip() for r in requests]


def test_equal_token_lengths_share_a_call_and_others_do_not(pipe):
    same_length = [{"image": picture(n), "text": "a picture of"} for n in PICTURES[:4]]
    same_length.append({"image": picture("bus"), "text": "A  Picture of"})  # the same tokens, typed differently
    assert generate_calls(pipe, same_length, max_new_tokens=4) == 1
    lengths = {"", "what is", "a picture of", "a photography of"}
    requests = [{"image": picture(n), "text": p} for n, p in zip(PICTURES, [*lengths, "", "what is"])]
    assert generate_calls(pipe, requests, max_new_tokens=4) == len(lengths)


def test_padding_would_change_a_caption(pipe):
    """Why prompts of different lengths run apart: padded together, a caption differs from its one-by-one run."""
    from demos.multimodal.common import model_image

    images = [model_image(picture(n)) for n in ("chelsea", "astronaut")]
    prompts = ["", "a picture of"]
    out = pipe(images=images, text=prompts, max_new_tokens=12, return_tensors=True)
    padded = [pipe.tokenizer.decode(o["generated_token_ids"], skip_special_tokens=True) for o in out]
    alone = [TASK.run(pipe, {"image": picture(n), "text": p}, {"max_new_tokens": 12})[0]["generated_text"]
             for n, p in zip(("chelsea", "astronaut"), prompts)]
    assert padded != alone


# ---- through the model manager, from concurrent threads ------------------------------------------------------
@pytest.fixture(scope="module")
def batching_manager(tiny_root, pack_dir):
    """A manager like the session's, with a wide batch window so that concurrent requests surely meet."""
    from core.models import ModelManager
    from core.settings import Settings
    from tests.conftest import free_port

    return ModelManager(Settings(offline=True, device="cpu", models_dirs=(tiny_root, pack_dir), cache_models=8,
                                 port=free_port(), warmup=False, batch_window_ms=300, max_batch=16))


def at_once(manager, model, requests: list[dict], params: dict) -> list:
    """manager.run of every request from its own thread, all started together: RunResults or exceptions."""
    manager.get(TASK.loader, str(model))  # loaded before: the batch is for the requests, not the load
    return together(manager, [(TASK, model, request, params) for request in requests])


def test_concurrent_requests_share_a_call_and_keep_their_captions(batching_manager, manager, seeing_blip):
    requests = [{"image": picture(n), "text": p} for n, p in zip(PICTURES, PROMPTS)]
    requests.append({"image": None, "text": ""})  # fails alone, at parsing
    params = {"max_new_tokens": 8}
    before = batching_manager.batcher.stats()
    results = at_once(batching_manager, seeing_blip, requests, params)
    stats = batching_manager.batcher.stats()
    assert stats["merged"] > before["merged"] and stats["largest"] >= 2
    assert isinstance(results[-1], UserError) and results[-1].key == "empty_input"
    assert max(r.details.get("batched_requests", 1) for r in results[:-1]) >= 2
    for request, result in zip(requests[:-1], results[:-1]):
        alone = manager.run(TASK, str(seeing_blip), request, params)
        assert result.output == alone.output and result.notes == alone.notes
        assert result.code == alone.code
