"""Cross-request batching of the AutoClass tasks (TaskSpec.batch): batch(loaded, [a, b, c], params) equals
[run(a), run(b), run(c)] (exact texts, labels and spans; floats within noise), with inputs of different lengths
(padding must not change an answer) and a multi-line input among single ones, on tiny random models and the
pack's MiniLM; and the model work really is merged (forward passes counted with hooks)."""

from __future__ import annotations

import math
from contextlib import contextmanager

import numpy as np
import pytest
from PIL import Image

from core.errors import UserError
from core.registry import Output
from demos.embeddings.attention import TASK as ATTENTION
from demos.embeddings.embed import TASK as EMBED
from demos.embeddings.neighbors import TASK as NEIGHBORS
from demos.embeddings.similarity import TASK as SIMILARITY
from demos.multimodal.visual_question_answering import TASK as VQA
from demos.text.question_answering import TASK as QA
from demos.text.question_answering import request_windows
from demos.text.summarization import TASK as SUMMARIZATION
from demos.text.text2text_generation import TASK as TEXT2TEXT
from demos.text.translation import TASK as TRANSLATION
from demos.vision.image_backbone import TASK as BACKBONE
from demos.vision.image_to_image import TASK as IMAGE_TO_IMAGE
from tests.concurrency import together
from tests.text_reading import LONG

SENTENCES = ["Hi.", "The stock market crashed today after a long and very nervous week of trading.",
             "허깅페이스는 뉴욕에 있는 회사입니다.", "A cat sleeps.", "Someone is playing the guitar on a big stage.",
             "Prices fell.", "A man is eating a piece of bread with some butter and jam on it.", "Rain.",
             "Share prices fell sharply this morning.", "Dogs bark at night.", "A musician performs a song.",
             "Bread.", "The weather is lovely in spring, warm and bright.", "I like tea.",
             "Stocks rallied in the afternoon.", "Good night."]
MULTI_LINE = "food | A guy eats some bread.\nmoney | Share prices fell sharply.\n\nmusic | A musician plays the guitar."


# ---- comparing results ---------------------------------------------------------------------------------
def same(a, b, where="result") -> None:
    """a equals b: exactly for texts, ints, bools, labels; floats (and arrays) within float noise."""
    if isinstance(a, Output) or isinstance(b, Output):
        assert isinstance(a, Output) and isinstance(b, Output), where
        assert a.notes == b.notes, where
        same(a.value, b.value, f"{where}.value")
        same(a.facts, b.facts, f"{where}.facts")
    elif isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), where
        for key in a:
            same(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            same(x, y, f"{where}[{i}]")
    elif isinstance(a, np.ndarray):
        assert a.shape == b.shape and np.allclose(a, b, rtol=1e-4, atol=1e-5), where
    elif isinstance(a, Image.Image):
        assert a.size == b.size and a.mode == b.mode, where
        assert np.abs(np.asarray(a, dtype=int) - np.asarray(b, dtype=int)).max() <= 1, where
    elif isinstance(a, float) and not isinstance(b, bool):
        # abs 2e-5: values rounded to 5 decimals (attention weights) may differ by one in the last place
        assert isinstance(b, float) and math.isclose(a, b, rel_tol=1e-4, abs_tol=2e-5), (where, a, b)
    else:
        assert a == b, (where, a, b)


def loaded(manager, task, model):
    entry, _ = manager.get(task.loader, str(model))
    return entry.obj


def check(task, bundle, raw_inputs: list[dict], **params) -> list:
    """batch over the parsed inputs equals run on each alone; returns the batch's results."""
    parsed = [task.parse(inputs, params) for inputs in raw_inputs]
    values = parsed[0][1]
    alone = [task.run(bundle, inputs, values) for inputs, _ in parsed]
    together = task.batch(bundle, [inputs for inputs, _ in parsed], values)
    assert len(together) == len(alone)
    for i, (x, y) in enumerate(zip(together, alone)):
        same(x, y, f"request {i}")
    return together


@contextmanager
def forwards(module):
    """Counts the calls of module.forward inside the block."""
    calls = []
    hook = module.register_forward_hook(lambda *_: calls.append(1))
    try:
        yield calls
    finally:
        hook.remove()


def batch_calls(task, bundle, module, raw_inputs: list[dict], **params) -> int:
    parsed = [task.parse(inputs, params) for inputs in raw_inputs]
    with forwards(module) as calls:
        task.batch(bundle, [inputs for inputs, _ in parsed], parsed[0][1])
    return len(calls)


# ---- embeddings -----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def minilm(manager, pack_dir):
    return loaded(manager, EMBED, pack_dir / "all-MiniLM-L6-v2")


@pytest.fixture(scope="module")
def pictures(tmp_path_factory) -> list[str]:
    folder = tmp_path_factory.mktemp("batch-pictures")
    paths = []
    for i, (size, colour) in enumerate([((40, 40), (220, 30, 30)), ((64, 32), (20, 200, 90)), ((30, 50), (9, 9, 9))]):
        path = folder / f"p{i}.png"
        Image.new("RGB", size, colour).save(path)
        paths.append(str(path))
    return paths


def test_sixteen_one_sentence_requests_on_minilm_are_one_forward_pass(minilm):
    requests = [{"text": s} for s in SENTENCES]
    results = check(EMBED, minilm, requests)
    assert [np.array(r.value).shape for r in results] == [(1, 384)] * 16
    assert batch_calls(EMBED, minilm, minilm.model, requests) == 1
    # the model's own recipe normalises: unit vectors, so a padded row would show as a norm off 1
    assert all(abs(float(r.facts["norms"][0]) - 1) < 1e-5 for r in results)


def test_minilm_mixed_lengths_and_a_multi_line_input(minilm):
    requests = [{"text": "Hi."}, {"text": MULTI_LINE}, {"text": SENTENCES[6]}]
    check(EMBED, minilm, requests)
    check(EMBED, minilm, requests, pooling="max", layer=3)
    # batch_size counts rows per forward pass across the requests: 5 rows in passes of 2
    check(EMBED, minilm, requests, pooling="cls", batch_size=2, normalize=True)
    assert batch_calls(EMBED, minilm, minilm.model, requests, batch_size=2) == 3


@pytest.mark.parametrize("params", [{"pooling": "last"}, {"pooling": "mean", "layer": 1}, {"pooling": "max"},
                                    {"pooling": "cls", "batch_size": 1}])
def test_tiny_bert_poolings_and_layers(manager, tiny, params):
    bert = loaded(manager, EMBED, tiny["bert-base"])
    check(EMBED, bert, [{"text": SENTENCES[1]}, {"text": MULTI_LINE}, {"text": "Hi."}], **params)


def test_clip_rows_of_mixed_kinds_stay_in_order(manager, tiny, pictures):
    """A request's texts come before its images; merged requests interleave kinds, and every vector still goes
    back to its own row."""
    clip = loaded(manager, EMBED, tiny["clip"])
    requests = [{"text": "a red square\na green field", "images": pictures[:2]}, {"images": pictures[2:]},
                {"text": "a dark night"}, {"text": "x", "images": pictures}]
    check(EMBED, clip, requests, normalize=True)
    check(EMBED, clip, requests, batch_size=2)


def test_similarity_and_neighbours(manager, tiny):
    bert = loaded(manager, EMBED, tiny["bert-base"])
    requests = [{"text": MULTI_LINE}, {"text": "\n".join(SENTENCES[:5])}, {"text": "Hi.\nBread.\nRain."}]
    check(SIMILARITY, bert, requests)
    queries = [{**r, "query": q} for r, q in zip(requests, ["bread", "A long query about the stock market today.",
                                                            "고양이가 자고 있다."])]
    check(NEIGHBORS, bert, queries, top_k=3)
    check(NEIGHBORS, bert, queries, metric="euclidean", pooling="max", top_k=50)


@pytest.mark.parametrize("model", ["minilm", "clip", "bert-base"])
def test_attention(manager, tiny, minilm, model):
    """Padded on the right in one forward pass, each sentence cut back to its tokens (a long one truncated)."""
    bundle = minilm if model == "minilm" else loaded(manager, ATTENTION, tiny[model])
    requests = [{"sentence": s} for s in ("Hi.", SENTENCES[6], " ".join(SENTENCES), "고양이가 자고 있다.")]
    results = check(ATTENTION, bundle, requests)
    assert results[2]["truncated"] and not results[0]["truncated"]
    encoder = bundle.model.text_model if model == "clip" else bundle.model
    assert batch_calls(ATTENTION, bundle, encoder, requests) == 1


def test_a_request_the_model_cannot_read_raises_for_the_batch(manager, tiny, pictures):
    """The manager then retries the requests one by one, so only that request fails."""
    bert = loaded(manager, EMBED, tiny["bert-base"])
    good, bad = EMBED.parse({"text": "Hi."}, {}), EMBED.parse({"images": pictures[:1]}, {})
    with pytest.raises(UserError):
        EMBED.batch(bert, [good[0], bad[0]], good[1])
    assert np.array(EMBED.run(bert, good[0], good[1]).value).shape == (1, 32)


# ---- seq2seq --------------------------------------------------------------------------------------------
TEXTS = [{"text": "Hello world."}, {"text": "The house is wonderful.\nI like to read books in the evening, "
                                             "after dinner, with a cup of tea.\nGood night."},
         {"text": "Hugging Face is a community-based open-source platform for machine learning."}]


@pytest.mark.parametrize("model", ["bart-seq2seq", "t5-seq2seq", "marian-seq2seq"])
def test_summarization_beams_greedy_and_truncation(manager, tiny, model):
    bundle = loaded(manager, SUMMARIZATION, tiny[model])
    check(SUMMARIZATION, bundle, TEXTS, max_new_tokens=12)  # the 4.57.6 default: 4 beams
    check(SUMMARIZATION, bundle, [*TEXTS, {"text": LONG}], num_beams=1, max_new_tokens=12, batch_size=2)
    results = check(SUMMARIZATION, bundle, [{"text": LONG}, TEXTS[0]], max_length=8, num_beams=2)
    assert results[0].value[0]["truncated"] and results[0].notes  # the long one is cut, and its note says so
    # 5 lines in 3 requests, batch_size 1: 3 lines per generate call (one encoder pass each)
    assert batch_calls(SUMMARIZATION, bundle, bundle.model.get_encoder(), TEXTS, max_new_tokens=4) == 2


def test_summarization_with_the_pipeline_defaults(manager, tiny):
    bundle = loaded(manager, SUMMARIZATION, tiny["bart-seq2seq"])
    check(SUMMARIZATION, bundle, TEXTS[:2])  # 4 beams, up to 256 new tokens


@pytest.mark.parametrize("model, src, tgt", [("t5-seq2seq", "en", "de"), ("t5-seq2seq", "en", "fr"),
                                             ("marian-seq2seq", "en", "fr")])
def test_translation(manager, tiny, model, src, tgt):
    bundle = loaded(manager, TRANSLATION, tiny[model])
    check(TRANSLATION, bundle, TEXTS, src_lang=src, tgt_lang=tgt, max_new_tokens=12)
    check(TRANSLATION, bundle, TEXTS[::-1], src_lang=src, tgt_lang=tgt, num_beams=1, max_length=10, batch_size=3)


def test_text2text_greedy_beams_and_seeded_sampling(manager, tiny):
    bundle = loaded(manager, TEXT2TEXT, tiny["t5-seq2seq"])
    check(TEXT2TEXT, bundle, TEXTS, max_new_tokens=10, num_beams=1)
    check(TEXT2TEXT, bundle, TEXTS, max_new_tokens=10, num_beams=3, repetition_penalty=1.3)
    # sampling: each request alone with its seed (a shared batch would draw other requests' random numbers)
    sampled = check(TEXT2TEXT, bundle, TEXTS, max_new_tokens=10, num_beams=1, do_sample=True, seed=7, top_k=0)
    assert sampled[0].value == check(TEXT2TEXT, bundle, TEXTS[:1], max_new_tokens=10, num_beams=1, do_sample=True,
                                     seed=7, top_k=0)[0].value
    assert batch_calls(TEXT2TEXT, bundle, bundle.model.get_encoder(), TEXTS, max_new_tokens=4, num_beams=1,
                       do_sample=True) == 5


# ---- question answering ---------------------------------------------------------------------------------
QA_REQUESTS = [
    {"question": "Where is Hugging Face based?", "context": "Hugging Face is a French company based in New York."},
    {"question": "Who is John?\nWhere does he live?", "context": LONG},
    {"question": "허깅페이스는 어디에 있나요?", "context": "허깅페이스는 뉴욕에 있는 회사입니다. 트랜스포머 라이브러리는 정말 좋아요."},
]


@pytest.mark.parametrize("params", [{}, {"top_k": 5, "handle_impossible_answer": True},
                                    {"max_seq_len": 48, "doc_stride": 16, "top_k": 3, "batch_size": 3},
                                    {"decoding": "4.52 (before 4.53)", "align_to_words": False, "top_k": 4}])
def test_question_answering(manager, tiny, params):
    bundle = loaded(manager, QA, tiny["bert-qa"])
    results = check(QA, bundle, QA_REQUESTS, **params)
    assert results[1].notes  # the long context took several windows
    windows = [len(request_windows(bundle.processor, bundle.model.config, *QA.parse(r, params))[3]["input_ids"])
               for r in QA_REQUESTS]
    per_pass = QA.parse(QA_REQUESTS[0], params)[1]["batch_size"] * len(QA_REQUESTS)
    assert batch_calls(QA, bundle, bundle.model, QA_REQUESTS, **params) == math.ceil(sum(windows) / per_pass)


# ---- visual question answering ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def photos(pictures) -> list[str]:
    """Sample photos of different sizes and shapes (ViLT pads them to one size, with a pixel_mask)."""
    from demos.multimodal.common import picture

    return [p for p in (picture("chelsea"), picture("bus"), picture("astronaut")) if p] + pictures[1:]


VQA_QUESTIONS = ["What animal is this?", "What color is the bus in the picture on the left?", "cat?",
                 "Is it red?", "How many?"]


@pytest.mark.parametrize("model", ["vilt-vqa", "blip-vqa"])
@pytest.mark.parametrize("top_k", [1, 3])
def test_visual_question_answering(manager, tiny, photos, model, top_k, monkeypatch):
    bundle = loaded(manager, VQA, tiny[model])
    if model == "blip-vqa":  # time: a random BLIP rarely ends, and 256 new tokens is its default answer length
        monkeypatch.setattr(bundle.model.generation_config, "max_new_tokens", 10)
    requests = [{"image": photo, "question": q} for photo, q in zip(photos, VQA_QUESTIONS)]
    requests += [{"image": photos[0], "question": "Is it red?"}, {"image": photos[-1], "question": "Is it red?"}]
    if model == "blip-vqa":  # time: five requests, two of them with questions of one length
        requests = requests[2:]
    check(VQA, bundle, requests, top_k=top_k)
    if model == "vilt-vqa":  # one forward pass for all
        assert batch_calls(VQA, bundle, bundle.model, requests, top_k=top_k) == 1
    else:  # BLIP: one generate per question length (its encoder runs once per generate)
        lengths = {len(bundle.processor.tokenizer(r["question"], truncation=True)["input_ids"]) for r in requests}
        assert len(lengths) < len(requests)
        assert batch_calls(VQA, bundle, bundle.model.vision_model, requests, top_k=top_k) == len(lengths)


# ---- image-to-image and backbone ---------------------------------------------------------------------------
def without_pictures(results: list) -> list:
    """The results with their PNG data URIs left out (their pixels are compared as the facts' images)."""
    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if not (isinstance(v, str) and v.startswith("data:image"))}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return [Output(strip(r.value), r.notes, r.facts) for r in results]


def check_pictures(task, bundle, raw_inputs: list[dict], **params) -> None:
    parsed = [task.parse(inputs, params) for inputs in raw_inputs]
    values = parsed[0][1]
    alone = without_pictures([task.run(bundle, inputs, values) for inputs, _ in parsed])
    together = without_pictures(task.batch(bundle, [inputs for inputs, _ in parsed], values))
    for i, (x, y) in enumerate(zip(together, alone)):
        same(x, y, f"request {i}")


@pytest.mark.parametrize("crop_padding", [True, False])
def test_image_to_image(manager, tiny, photos, crop_padding):
    bundle = loaded(manager, IMAGE_TO_IMAGE, tiny["swin2sr"])
    requests = [{"image": photos[1]}, {"image": photos[3]}, {"image": photos[1]}, {"image": photos[0]}]
    check_pictures(IMAGE_TO_IMAGE, bundle, requests, max_input_pixels=4096, crop_padding=crop_padding)
    # the two same-size images share a forward pass; the others, of other sizes, run apart
    assert batch_calls(IMAGE_TO_IMAGE, bundle, bundle.model, requests, max_input_pixels=4096) == 3


def test_image_backbone(manager, tiny, photos):
    bundle = loaded(manager, BACKBONE, tiny["swin-backbone"])
    requests = [{"image": p} for p in photos]
    check_pictures(BACKBONE, bundle, requests, out_indices="1, 3", channels=3)
    check_pictures(BACKBONE, bundle, requests[:3], out_features="stage2")


# ---- through the model manager, from concurrent threads ------------------------------------------------------
@pytest.fixture(scope="module")
def batching_manager(tiny_root, pack_dir):
    """A manager like the session's, with a wide batch window so that concurrent requests surely meet."""
    from core.models import ModelManager
    from core.settings import Settings
    from tests.conftest import free_port

    return ModelManager(Settings(offline=True, device="cpu", models_dirs=(tiny_root, pack_dir), cache_models=8,
                                 port=free_port(), warmup=False, batch_window_ms=300, max_batch=16))


def at_once(manager, task, model, requests: list[dict], params: dict) -> list:
    """manager.run of every request from its own thread, all started together: RunResults or exceptions."""
    manager.get(task.loader, str(model))  # loaded before: the batch is for the requests, not the load
    return together(manager, [(task, model, request, params) for request in requests])


def test_concurrent_requests_share_one_batch_and_keep_their_answers(batching_manager, manager, pack_dir, tiny,
                                                                    pictures):
    minilm = pack_dir / "all-MiniLM-L6-v2"
    requests = [{"text": s} for s in SENTENCES[:12]] + [{"text": MULTI_LINE}, {"images": pictures[:1]}]
    before = batching_manager.batcher.stats()
    results = at_once(batching_manager, EMBED, minilm, requests, {})
    stats = batching_manager.batcher.stats()
    assert stats["merged"] > before["merged"] and stats["largest"] >= 2
    # the image request fails alone (MiniLM reads text): its batch is retried request by request
    assert isinstance(results[-1], UserError) and "reads text only" in str(results[-1])
    assert stats["retried"] > before["retried"]
    for request, result in zip(requests[:-1], results[:-1]):
        alone = manager.run(EMBED, str(minilm), request, {})
        same(result.output, alone.output)
        assert result.notes == alone.notes

    # a batch without a bad request: shared calls, said in the details
    results = at_once(batching_manager, EMBED, minilm, requests[:-1], {"normalize": True})
    assert max(r.details.get("batched_requests", 1) for r in results) >= 2
    for request, result in zip(requests, results):
        same(result.output, manager.run(EMBED, str(minilm), request, {"normalize": True}).output)


@pytest.mark.parametrize("task, model, requests, params", [
    (SUMMARIZATION, "bart-seq2seq", TEXTS, {"max_new_tokens": 8}),
    (QA, "bert-qa", QA_REQUESTS, {"top_k": 2, "max_seq_len": 64}),
])
def test_concurrent_autoclass_requests(batching_manager, manager, tiny, task, model, requests, params):
    before = batching_manager.batcher.stats()
    results = at_once(batching_manager, task, tiny[model], requests, params)
    assert batching_manager.batcher.stats()["merged"] > before["merged"]
    for request, result in zip(requests, results):
        alone = manager.run(task, str(tiny[model]), request, params)
        same(result.output, alone.output)
        assert result.notes == alone.notes
