"""Smoke tests for the tiny random-weight models of tests/tiny (the fixtures every other test runs on).

1. Every registered model (text, audio, vision, multimodal) builds offline, loads with AutoConfig, stays
   tiny, and lists only task names transformers 5 (or the app) knows.
2. The text and audio models run through the same code the app uses: `pipeline(task, model=folder)` where
   5.x still has the pipeline, AutoClasses for the removed tasks. Weights are random, so the checks are
   structural (types, shapes, label sets), never specific values.

Models are built lazily, one folder each, in a session-scoped temporary directory: a broken builder fails
only its own tests.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from tests.tiny import TINY, build_all

# MarianTokenizer warns on every load when the optional sacremoses is missing (punctuation normalisation).
pytestmark = pytest.mark.filterwarnings("ignore:Recommended. pip install sacremoses")

# Tasks the app names that are neither 5.x pipelines nor removed ones.
APP_ONLY_TASKS = {"backbone"}

SENTENCE = "Hugging Face is the best thing since sliced bread!"
COMPANY = "Hugging Face is a French company based in New York City."
KOREAN = "안녕하세요 허깅페이스 트랜스포머"
TABLE = {
    "Repository": ["Transformers", "Datasets", "Tokenizers"],
    "Stars": ["36542", "4512", "3934"],
    "Language": ["Python", "Python", "Rust, Python"],
}


def _module(name: str) -> str:
    return TINY[name].build.__module__.rsplit(".", 1)[-1]


def _ids(names):
    # the module in the id lets `-k "not vision and not multimodal"` pick models by family
    return [f"{_module(n)}-{n}" for n in names]


@pytest.fixture(scope="session")
def tiny_models_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("tiny-models")


@pytest.fixture(scope="session")
def built(tiny_models_root):
    """built(name) -> absolute folder of that tiny model, built on first use."""

    def get(name: str) -> Path:
        return build_all(tiny_models_root, [name])[name]

    return get


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny matrices gain nothing from threads, and on a busy 2-core runner OpenMP spinning makes each
    forward pass 10-50x slower."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _pipe(task: str, folder: Path, **kwargs):
    from transformers import pipeline

    return pipeline(task, model=str(folder), **kwargs)


def _is_prob(x) -> bool:
    return isinstance(x, float) and 0.0 <= x <= 1.0


# ----------------------------------------------------------------------------------------------- every model
def _known_tasks() -> set[str]:
    from transformers.pipelines import REMOVED_TASKS, SUPPORTED_TASKS

    return set(SUPPORTED_TASKS) | set(REMOVED_TASKS) | {"image-to-text"} | APP_ONLY_TASKS


@pytest.mark.parametrize("name", sorted(TINY), ids=_ids(sorted(TINY)))
def test_builds_loads_and_lists_known_tasks(name, built):
    from transformers import AutoConfig

    spec = TINY[name]
    assert spec.tasks, f"{name} lists no task"
    unknown = set(spec.tasks) - _known_tasks()
    assert not unknown, f"{name}: unknown task names {unknown}"
    folder = built(name)
    assert folder.is_absolute() and (folder / "config.json").is_file()
    config = AutoConfig.from_pretrained(folder, local_files_only=True)
    assert config.model_type
    size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
    assert size < 5_000_000, f"{name} is {size / 1e6:.1f} MB, not tiny"


# ------------------------------------------------------------------------------------------------------ text
def _check_seqcls(folder):
    pipe = _pipe("text-classification", folder)
    [top] = pipe(SENTENCE)
    assert top["label"] in {"NEGATIVE", "POSITIVE"} and _is_prob(top["score"])
    both = pipe([SENTENCE, KOREAN], top_k=None)
    assert [sorted(d["label"] for d in row) for row in both] == [["NEGATIVE", "POSITIVE"]] * 2
    assert all(math.isclose(sum(d["score"] for d in row), 1.0, abs_tol=1e-4) for row in both)
    [long] = pipe("word " * 1000, truncation=True)  # 512 positions: truncation must work
    assert long["label"] in {"NEGATIVE", "POSITIVE"}


def _check_reranker(folder):
    pipe = _pipe("text-classification", folder)
    assert pipe.model.config.num_labels == 1
    out = pipe({"text": "Where is Hugging Face based?", "text_pair": COMPANY})
    assert out["label"] == "LABEL_0" and _is_prob(out["score"])  # one logit -> sigmoid
    raw = pipe({"text": "q", "text_pair": "p"}, function_to_apply="none")
    assert isinstance(raw["score"], float)


def _check_nli(folder):
    pipe = _pipe("zero-shot-classification", folder)
    assert "entailment" in pipe.model.config.label2id
    labels = ["politics", "sports", "music"]
    out = pipe("This example is about politics", candidate_labels=labels)
    assert sorted(out["labels"]) == sorted(labels)
    assert math.isclose(sum(out["scores"]), 1.0, abs_tol=1e-4)
    multi = pipe(KOREAN, candidate_labels=labels, multi_label=True)
    assert all(_is_prob(s) for s in multi["scores"])


def _check_tokcls(folder):
    from tests.tiny.text import NER_LABELS

    pipe = _pipe("token-classification", folder)
    assert set(pipe.model.config.id2label.values()) == set(NER_LABELS)
    text = "My name is Wolfgang and I live in Berlin."
    raw = pipe(text)
    assert all(t["entity"] in NER_LABELS and t["entity"] != "O" for t in raw)
    groups = pipe(text, aggregation_strategy="simple")
    for g in groups:
        assert g["entity_group"] in {"PER", "ORG", "LOC", "MISC"}
        assert 0 <= g["start"] < g["end"] <= len(text) and isinstance(g["word"], str)


def _check_qa(folder):
    import torch
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForQuestionAnswering.from_pretrained(folder)
    enc = tokenizer("Where is Hugging Face based?", COMPANY, return_tensors="pt", truncation="only_second",
                    max_length=512, return_offsets_mapping=True)
    offsets = enc.pop("offset_mapping")
    with torch.no_grad():
        out = model(**enc)
    assert out.start_logits.shape == out.end_logits.shape == enc["input_ids"].shape
    assert offsets.shape[:2] == enc["input_ids"].shape
    assert set(enc.sequence_ids(0)) == {None, 0, 1}


def _check_fill_mask(folder):
    pipe = _pipe("fill-mask", folder)
    assert pipe.tokenizer.mask_token == "<mask>"
    out = pipe("The goal of life is <mask>.", top_k=3)
    assert len(out) == 3
    for d in out:
        assert _is_prob(d["score"]) and isinstance(d["token"], int) and "<mask>" not in d["sequence"]


def _check_feature_extraction(folder):
    import torch
    from transformers import AutoModel, AutoTokenizer

    features = np.array(_pipe("feature-extraction", folder)("Hello world"))
    assert features.ndim == 3 and features.shape[0] == 1 and features.shape[2] == 32
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModel.from_pretrained(folder, output_hidden_states=True, output_attentions=True)
    enc = tokenizer([SENTENCE, KOREAN], return_tensors="pt", padding=True)
    with torch.no_grad():
        out = model(**enc)
    n, length = enc["input_ids"].shape
    assert len(out.hidden_states) == model.config.num_hidden_layers + 1
    assert out.attentions[0].shape == (n, model.config.num_attention_heads, length, length)
    assert out.pooler_output.shape == (n, 32)


def _check_seq2seq(folder):
    import torch
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForSeq2SeqLM.from_pretrained(folder)
    enc = tokenizer([COMPANY, KOREAN], return_tensors="pt", padding=True, truncation=True)
    with torch.no_grad():
        out = model.generate(**enc, max_new_tokens=4, num_beams=2)
    assert out.shape[0] == 2 and out.shape[1] <= 6
    assert all(isinstance(t, str) for t in tokenizer.batch_decode(out, skip_special_tokens=True))
    long = tokenizer(["word " * 800], return_tensors="pt", truncation=True)
    assert long["input_ids"].shape[1] <= 512
    with torch.no_grad():
        model.generate(**long, max_new_tokens=2)


def _check_gpt2(folder):
    pipe = _pipe("text-generation", folder)
    assert pipe.tokenizer.pad_token is None  # like the real gpt2: batching needs a pad token set first
    [single] = pipe("Once upon a time", max_new_tokens=3, do_sample=False)
    assert single["generated_text"].startswith("Once upon a time")
    pipe.tokenizer.pad_token = pipe.tokenizer.eos_token
    batch = pipe(["Once upon a time", KOREAN], max_new_tokens=3, do_sample=False, batch_size=2)
    assert [len(b) for b in batch] == [1, 1]
    assert batch[1][0]["generated_text"].startswith(KOREAN)


def _check_llama_chat(folder):
    pipe = _pipe("text-generation", folder)
    tokenizer = pipe.tokenizer
    assert tokenizer.eos_token == "<|im_end|>" and tokenizer.chat_template
    messages = [{"role": "user", "content": "Hello! " + KOREAN}]
    prompt = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    assert prompt.startswith("<|im_start|>system\n") and prompt.endswith("<|im_start|>assistant\n")
    assert "<|im_start|>user\nHello! " + KOREAN + "<|im_end|>" in prompt
    ids = tokenizer.apply_chat_template(messages, add_generation_prompt=True)
    ids = ids["input_ids"] if isinstance(ids, dict) or hasattr(ids, "keys") else ids
    assert tokenizer.decode(ids) == prompt
    [out] = pipe(messages, max_new_tokens=3, do_sample=False)
    chat = out["generated_text"]
    assert chat[:-1] == messages and chat[-1]["role"] == "assistant" and isinstance(chat[-1]["content"], str)


def _check_tapas(folder):
    from tests.tiny.text import TAPAS_AGGREGATIONS

    pipe = _pipe("table-question-answering", folder)
    out = pipe(table=TABLE, query="How many stars does the transformers repository have?")
    assert set(out) == {"answer", "coordinates", "cells", "aggregator"}
    assert out["aggregator"] in TAPAS_AGGREGATIONS
    values = [v for column in TABLE.values() for v in column]
    assert all(cell in values for cell in out["cells"]) and len(out["cells"]) == len(out["coordinates"])
    assert len(pipe(table=TABLE, query=["How many stars?", "Which language?"])) == 2


# ----------------------------------------------------------------------------------------------------- audio
def _noise(seconds: float, rate: int) -> np.ndarray:
    return (0.1 * np.random.default_rng(0).standard_normal(int(seconds * rate))).astype(np.float32)


def _check_whisper(folder):
    pipe = _pipe("automatic-speech-recognition", folder)
    assert pipe.feature_extractor.sampling_rate == 16000
    assert pipe.model.config.max_source_positions == 1500
    audio = {"raw": _noise(2, 16000), "sampling_rate": 16000}
    assert isinstance(pipe(dict(audio))["text"], str)
    out = pipe(dict(audio), return_timestamps=True)
    assert isinstance(out["text"], str) and isinstance(out["chunks"], list)
    for chunk in out["chunks"]:
        start, end = chunk["timestamp"]
        assert isinstance(chunk["text"], str) and 0 <= start <= 30 and (end is None or start <= end)
    words = pipe(dict(audio), return_timestamps="word")
    assert all(len(c["timestamp"]) == 2 for c in words["chunks"])


def _check_wav2vec2_ctc(folder):
    pipe = _pipe("automatic-speech-recognition", folder)
    audio = {"raw": _noise(2, 16000), "sampling_rate": 16000}
    assert isinstance(pipe(dict(audio))["text"], str)
    out = pipe(dict(audio), return_timestamps="word")
    for chunk in out["chunks"]:
        start, end = chunk["timestamp"]
        assert 0 <= start <= end <= 2.0 + 1e-6


def _check_audiocls(folder):
    from tests.tiny.audio import EMOTIONS

    pipe = _pipe("audio-classification", folder)
    out = pipe({"raw": _noise(2, 16000), "sampling_rate": 16000}, top_k=len(EMOTIONS))
    assert sorted(d["label"] for d in out) == sorted(EMOTIONS)
    assert math.isclose(sum(d["score"] for d in out), 1.0, abs_tol=1e-4)


def _check_clap(folder):
    pipe = _pipe("zero-shot-audio-classification", folder)
    rate = pipe.feature_extractor.sampling_rate
    assert rate == 48000
    labels = ["dog barking", "vacuum cleaner", "music"]
    out = pipe(_noise(2, rate), candidate_labels=labels)  # a bare array at the model's rate
    assert sorted(d["label"] for d in out) == sorted(labels)
    assert math.isclose(sum(d["score"] for d in out), 1.0, abs_tol=1e-4)


def _check_vits(folder):
    pipe = _pipe("text-to-audio", folder)
    assert pipe.tokenizer.phonemize is False
    speech = pipe("Hello, my dog is cute.")
    audio = np.asarray(speech["audio"]).squeeze()
    assert speech["sampling_rate"] == 16000
    assert audio.ndim == 1 and audio.size > 0 and audio.size % 256 == 0  # 256 samples per frame
    assert np.isfinite(audio).all()
    faster = pipe("Hello", forward_params={"speaking_rate": 2.0})
    assert np.asarray(faster["audio"]).size > 0


CHECKS = {
    "bert-seqcls": _check_seqcls,
    "bert-reranker": _check_reranker,
    "bert-nli": _check_nli,
    "bert-tokcls": _check_tokcls,
    "bert-qa": _check_qa,
    "bert-base": _check_feature_extraction,
    "roberta-mlm": _check_fill_mask,
    "bart-seq2seq": _check_seq2seq,
    "t5-seq2seq": _check_seq2seq,
    "marian-seq2seq": _check_seq2seq,
    "gpt2": _check_gpt2,
    "llama-chat": _check_llama_chat,
    "tapas": _check_tapas,
    "whisper": _check_whisper,
    "wav2vec2-ctc": _check_wav2vec2_ctc,
    "wav2vec2-audiocls": _check_audiocls,
    "clap": _check_clap,
    "vits": _check_vits,
}


@pytest.mark.parametrize("name", sorted(CHECKS), ids=_ids(sorted(CHECKS)))
def test_runs_through_the_app_code_path(name, built):
    CHECKS[name](built(name))


def test_every_text_and_audio_model_has_a_check():
    mine = {n for n in TINY if _module(n) in {"text", "audio"}}
    assert mine == set(CHECKS)
