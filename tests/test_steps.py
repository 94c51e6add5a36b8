"""Under the hood (core/steps.py): a traced run's stages hold the real tensors (the tokenizer's own input_ids,
the logits whose softmax is the shown scores, the boxes kept by the threshold, the ids that decode to the
transcript), every task's traced run shows its preprocess / forward / postprocess stages and gives the same
result as its normal run, previews stay within the policy's cap, and `--show steps` prints them as JSON."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core import limits
from core.i18n import catalog
from core.registry import all_tasks, discover
from core.steps import describe, page, traced_run

ROOT = Path(__file__).resolve().parent.parent
TASKS = {name: task for name, (_, task) in all_tasks(discover()).items()}


def steps_of(result) -> list[dict]:
    return result.facts["steps"]


def stage(steps: list[dict], name: str) -> dict:
    found = [s for s in steps if s["stage"] == name]
    assert found, f"no stage {name!r} in {[s['stage'] for s in steps]}"
    return found[0]


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, str]:
    """A photo, a tone and a clip made here."""
    import soundfile as sf
    from PIL import Image

    from demos.vision.common import make_video, sample

    d = tmp_path_factory.mktemp("steps")
    out = {"image": d / "cat.png", "audio": d / "tone.wav", "video": d / "clip.webm"}
    Image.open(sample("chelsea")).resize((64, 48)).save(out["image"])
    t = np.arange(16000) / 16000
    sf.write(str(out["audio"]), (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 16000)
    make_video(out["video"], frames=16)
    return {k: str(v) for k, v in out.items()}


@pytest.fixture(scope="module")
def big_previews():
    """Previews of every value, so the tests can recompute the postprocessing from what is shown."""
    with limits.active(limits.Limits(step_values=100_000)):
        yield


# ---- the tensors are the real ones -------------------------------------------------------------------------
def test_text_classification_shows_the_tokenizers_ids_and_the_logits_whose_softmax_is_the_scores(manager, tiny):
    task = TASKS["text-classification"]
    text = "Hugging Face is the best thing since sliced bread!"
    result = traced_run(manager, task, str(tiny["bert-seqcls"]), {"text": text}, {})
    steps = steps_of(result)
    assert [s["step"] for s in steps][:3] == ["preprocess", "forward", "postprocess"]
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny["bert-seqcls"])
    ids = stage(steps, "preprocess")["tensors"]["input_ids"]
    assert ids["values"] == [tokenizer(text)["input_ids"]]
    assert ids["tokens"] == [tokenizer.convert_ids_to_tokens(tokenizer(text)["input_ids"])]
    assert ids["dtype"] == "torch.int64" and ids["shape"] == [1, len(ids["values"][0])]
    logits = np.array(stage(steps, "_forward")["tensors"]["logits"]["values"][0])
    scores = np.exp(logits) / np.exp(logits).sum()
    shown = {row[0]: row[2] for row in stage(steps, "softmax")["table"]["rows"]}
    labels = tokenizer and manager.get(task.loader, str(tiny["bert-seqcls"]))[0].obj.model.config.id2label
    for answer in result.output:
        i = next(k for k, v in labels.items() if v == answer["label"])
        assert math.isclose(scores[i], answer["score"], abs_tol=1e-5)
        assert math.isclose(shown[answer["label"]], answer["score"], abs_tol=1e-5)
    assert result.output == manager.run(task, str(tiny["bert-seqcls"]), {"text": text}, {}).output
    pipe = manager.get(task.loader, str(tiny["bert-seqcls"]))[0].obj  # the traced run left nothing behind
    assert not {"preprocess", "_forward", "postprocess"} & set(vars(pipe)) and "generate" not in vars(pipe.model)
    assert type(pipe.tokenizer).__call__ is type(tokenizer).__call__


def test_object_detection_keeps_the_boxes_the_shown_logits_pass_the_threshold_with(manager, tiny, files, big_previews):
    from core.steps import detr_boxes

    task = TASKS["object-detection"]
    for threshold in (0.0, 0.2):
        result = traced_run(manager, task, str(tiny["detr"]), {"image": files["image"]}, {"threshold": threshold})
        forward = stage(steps_of(result), "_forward")["tensors"]
        import torch

        shown = [torch.tensor(forward[name]["values"][0]) for name in ("logits", "pred_boxes", "target_size")]
        queries = detr_boxes(*shown, threshold)
        config = manager.get(task.loader, str(tiny["detr"]))[0].obj.model.config
        kept = sorted((config.id2label[q["label"]], round(q["score"], 4), tuple(q["box"].values()))
                      for q in queries if q["kept"])
        got = sorted((d["label"], round(d["score"], 4), tuple(d["box"].values())) for d in result.output)
        assert kept == got
        explained = stage(steps_of(result), "threshold")
        assert explained["args"]["kept"] == len(result.output) and explained["args"]["threshold"] == threshold
        assert sum(1 for row in explained["table"]["rows"] if row[3]) == min(len(got), explained["table"]["total"], 12)
    assert stage(steps_of(result), "preprocess")["info"]["image_mean"] == [0.485, 0.456, 0.406]


def speech_recognition(manager, folder, audio) -> None:
    """A traced run shows the features, the ids, and those ids decode to the transcript."""
    from transformers import AutoTokenizer

    task = TASKS["automatic-speech-recognition"]
    result = traced_run(manager, task, str(folder), {"audio": audio}, {})
    steps = steps_of(result)
    features = stage(steps, "preprocess")["tensors"]
    whisper = "input_features" in features
    assert whisper or "input_values" in features
    ids = stage(steps, "_forward")["tensors"]["tokens"]["values"][0]
    tokenizer = AutoTokenizer.from_pretrained(folder)
    assert tokenizer.decode(ids, skip_special_tokens=True).strip() == result.output["text"].strip()
    explained = stage(steps, "decode" if whisper else "CTC decode")
    assert explained["table"]["rows"][0][0].strip() == result.output["text"].strip()
    if whisper:
        generate = stage(steps, "generate")
        assert generate["info"]["forward passes"] >= len(ids) and generate["tensors"]["sequences"]["values"][0] == ids
    return result


def test_ctc_speech_recognition_ids_decode_to_the_transcript(manager, tiny, files, big_previews):
    assert speech_recognition(manager, tiny["wav2vec2-ctc"], files["audio"]).output["text"]


@pytest.mark.slow
def test_whisper_features_then_generated_ids_that_decode_to_the_transcript(manager, pack_dir, tmp_path, big_previews):
    from demos.audio.clips import speak

    audio = speak("The quick brown fox jumps over the lazy dog.", tmp_path / "speech.wav")
    result = speech_recognition(manager, pack_dir / "whisper-tiny.en", str(audio))
    assert "quick brown" in result.output["text"].lower()


def test_question_answering_and_ner_explain_their_span_search_and_aggregation(manager, tiny):
    qa = traced_run(manager, TASKS["question-answering"], str(tiny["bert-qa"]),
                    {"question": "Where is it?", "context": "It is in Paris, the capital of France."}, {})
    steps = steps_of(qa)
    assert {"start_logits", "end_logits"} <= set(stage(steps, "model")["tensors"])
    assert stage(steps, "span search")["args"]["answer"] == qa.output[0]["answer"]
    ner = traced_run(manager, TASKS["token-classification"], str(tiny["bert-tokcls"]),
                     {"text": "Hugging Face is based in New York City."}, {})
    explained = stage(steps_of(ner), "aggregation")
    tokens = stage(steps_of(ner), "preprocess")["tensors"]["input_ids"]["tokens"][0]
    assert [row[0] for row in explained["table"]["rows"]] == tokens[:12]
    assert explained["args"]["count"] == len(ner.output)


def test_previews_are_capped_and_big_tensors_summarised():
    import torch

    big = torch.arange(5 * 768, dtype=torch.float32).reshape(1, 5, 768)
    with limits.active(limits.Limits(step_values=64)):
        shown = describe(big, "last_hidden_state")
    flat = np.array(shown["values"]).ravel()
    assert shown["shape"] == [1, 5, 768] and shown["dtype"] == "torch.float32" and shown["truncated"]
    assert 0 < flat.size <= 64 and np.array(shown["values"]).shape[:2] == (1, 5)
    assert shown["summary"] == {"min": 0.0, "max": 3839.0, "mean": 1919.5}
    small = describe(torch.tensor([[1, 2, 3]]), "attention_mask")
    assert small == {"shape": [1, 3], "dtype": "torch.int64", "values": [[1, 2, 3]]}


# ---- every task -----------------------------------------------------------------------------------------------
def calls(tiny, files, pack_dir) -> dict[str, tuple[str, dict, dict]]:
    """task id -> (model, inputs, params): one cheap run of every task on a tiny model."""
    t = {name: str(path) for name, path in tiny.items()}
    words = str(pack_dir / "all-MiniLM-L6-v2")
    chat = str(pack_dir / "SmolLM2-135M-Instruct")
    img, audio = files["image"], files["audio"]
    return {
        "automatic-speech-recognition": (t["wav2vec2-ctc"], {"audio": audio}, {}),  # whisper: its own test
        "audio-classification": (t["wav2vec2-audiocls"], {"audio": audio}, {}),
        "zero-shot-audio-classification": (t["clap"], {"audio": audio, "candidate_labels": "speech, music"}, {}),
        "text-to-audio": (t["vits"], {"text": "hello world"}, {}),
        "image-classification": (t["vit-imgcls"], {"image": img}, {}),
        "object-detection": (t["detr"], {"image": img}, {"threshold": 0.0}),
        "image-segmentation": (t["detr-panoptic"], {"image": img}, {"subtask": "panoptic", "threshold": 0.0}),
        "depth-estimation": (t["dpt"], {"image": img}, {}),
        "zero-shot-image-classification": (t["clip"], {"image": img, "candidate_labels": "cat, dog"}, {}),
        "zero-shot-object-detection": (t["owlvit"], {"image": img, "candidate_labels": "a cat"}, {"threshold": 0.1}),
        "mask-generation": (t["sam"], {"image": img, "point": "40, 30"}, {}),
        "image-to-image": (t["swin2sr"], {"image": img}, {"max_input_pixels": 65536}),
        "image-feature-extraction": (t["dinov2"], {"image": img}, {"pooling": "none"}),
        "image-backbone": (t["swin-backbone"], {"image": img}, {"out_indices": "1, 2", "out_features": ""}),
        "video-classification": (t["videomae"], {"video": files["video"]}, {"num_frames": 0, "top_k": 2}),
        "text-classification": (t["bert-seqcls"], {"text": "a good day"}, {}),
        "token-classification": (t["bert-tokcls"], {"text": "Hugging Face is in New York."}, {}),
        "question-answering": (t["bert-qa"], {"question": "Where?", "context": "It is in Paris."}, {}),
        "zero-shot-classification": (t["bert-nli"], {"text": "I love it.", "candidate_labels": "good, bad"}, {}),
        "table-question-answering": (t["tapas"], {"query": "How many stars?", "table": "a,b\n1,2\n3,4\n"}, {}),
        "fill-mask": (t["roberta-mlm"], {"text": "Paris is the <mask> of France."}, {"top_k": 2}),
        "summarization": (t["bart-seq2seq"], {"text": "A long text about many things."}, {"max_new_tokens": 3}),
        "translation": (t["marian-seq2seq"], {"text": "Hello world."}, {"max_new_tokens": 3}),
        "text2text-generation": (t["t5-seq2seq"], {"text": "question: why?"}, {"max_new_tokens": 3}),
        "text-generation": (t["gpt2"], {"text": "Once upon"}, {"max_new_tokens": 3}),
        "document-question-answering": (t["layoutlm-docqa"], {"image": None, "question": "What is the total?",
                                                              "word_boxes": [["Total:", [565, 604, 642, 626]],
                                                                             ["$150.00", [652, 604, 768, 626]]]},
                                        {"top_k": 1}),  # the given word boxes: no OCR
        "visual-question-answering": (t["vilt-vqa"], {"image": img, "question": "What is it?"}, {"top_k": 1}),
        "image-to-text": (t["blip-caption"], {"image": img}, {"max_new_tokens": 3}),
        "image-text-to-text": (t["vlm-chat"], {"image": img, "message": {"text": "What is it?", "files": []}},
                               {"max_new_tokens": 2}),
        "tokenize": (words, {"text": "I am a boy."}, {}),
        "tokenizer-compare": ([words, chat], {"text": "I am a boy."}, {}),
        "decode": (words, {"ids": "[101, 1045, 2572, 102]"}, {}),
        "token-lookup": (words, {"tokens": "I am a boy"}, {}),
        "add-tokens": (words, {"new_tokens": "[A], [B]", "text": "[A] and [B]"}, {}),
        "chat-template": (chat, {"messages": "user: hi"}, {}),
        "embed": (t["bert-base"], {"text": "a red car\na blue bus"}, {}),
        "similarity": (t["bert-base"], {"text": "a red car\na blue bus"}, {}),
        "neighbors": (t["bert-base"], {"text": "a red car\na blue bus\na cat", "query": "a car"}, {}),
        "project": (t["bert-base"], {"text": "a red car\na blue bus\na cat\na dog"}, {"method": "pca"}),
        "attention": (t["bert-base"], {"sentence": "a red car"}, {}),
    }


def test_every_task_is_traced_here(tiny, files, pack_dir):
    ids = {task.id for task in TASKS.values()}
    assert ids == set(calls(tiny, files, pack_dir))


@pytest.mark.parametrize("task_id", sorted({t.id for t in TASKS.values()}))
def test_every_traced_run_shows_its_stages_with_tensors_and_gives_the_runs_result(manager, tiny, files, pack_dir, task_id):
    task = TASKS[task_id]
    model, inputs, params = calls(tiny, files, pack_dir)[task_id]
    params = {**params, **({"seed": 0} if "seed" in task.params else {})}
    result = traced_run(manager, task, model, inputs, params)
    steps = steps_of(result)
    kinds = {s["step"] for s in steps}
    with_tensors = {s["step"] for s in steps if s["tensors"]}
    assert "postprocess" in kinds and with_tensors, [s["stage"] for s in steps]
    if task.loader.model_class or task.loader.kind == "pipeline":  # not a tokenizer alone
        assert {"preprocess", "forward"} <= with_tensors, [s["stage"] for s in steps]
    for s in steps:
        for t in s["tensors"].values():
            assert isinstance(t["shape"], list) and isinstance(t["dtype"], str)
            assert np.array(t["values"], dtype=object).size <= max(64, 1)
    json.dumps(steps)  # plain data
    korean = catalog("ko")
    for s in steps:  # every text the page shows has its Korean
        assert s.get("template", "x") == "x" or s["template"] in korean, s["template"]
        assert all(h in korean for h in s.get("table", {}).get("headers", [])), s["table"]["headers"]
    assert page(steps).count("<section") == len(steps)
    plain = manager.run(task, model, inputs, params).output
    assert without_timings(result.output) == without_timings(plain)


def without_timings(value):
    """value without the seconds a run measures (a projection's) and the files it writes (speech)."""
    if isinstance(value, dict):
        value = {k: without_timings(v) for k, v in value.items() if not k.endswith(("seconds", "_file"))}
    elif isinstance(value, list):
        value = [without_timings(v) for v in value]
    return json.dumps(value, default=str, sort_keys=True) if not isinstance(value, (dict, list)) else value


# ---- the CLI contract -------------------------------------------------------------------------------------------
def test_cli_show_steps_prints_the_stages_as_json_on_stderr(tiny, tiny_root):
    proc = subprocess.run([sys.executable, "app.py", "run", "text-classification", "a good day", "--model",
                           str(tiny["bert-seqcls"]), "--models-dir", str(tiny_root), "--offline", "--show", "steps"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    answer = json.loads(proc.stdout)
    start = ("\n" + proc.stderr).rfind("\n[\n")  # the stages come last, as one indented JSON list
    assert start >= 0, proc.stderr
    steps = json.loads(proc.stderr[start:])
    assert isinstance(steps, list) and all({"stage", "tensors"} <= set(s) for s in steps)
    tensors = {name: t for s in steps for name, t in s["tensors"].items()}
    assert {"input_ids", "logits"} <= set(tensors)
    for t in tensors.values():
        assert set(t) >= {"shape", "dtype", "values"}
    assert tensors["logits"]["shape"] == [1, 2] and len(answer) == 2
