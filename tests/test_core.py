"""The foundation without a server: settings, model references, CLI coercion, local model discovery,
and the model manager (lazy, cached once under concurrency, LRU within budget, timed) on tiny models."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from core.cli import build_call
from core.errors import UserError, explain
from core.local_models import describe, fits, scan_models_dirs
from core.models import ModelManager, ModelRef
from core.params import Bool, Float, Int, Labels, Text
from core.registry import all_tasks, discover
from core.settings import Settings, settings_from_args


def parse_settings(argv, monkeypatch=None, env=None):
    for key, value in (env or {}).items():
        monkeypatch.setenv(key, value)
    from app import parser

    return settings_from_args(parser().parse_args(argv))


def text_classification():
    return all_tasks(discover())["text-classification"][1]


# ---- settings --------------------------------------------------------------------------------------
def test_defaults_serve_on_7860_locally(monkeypatch):
    import os

    # CI machines and earlier tests may export these; the defaults are what a bare `python app.py` gets
    for key in [k for k in os.environ if k.startswith(("PLAYGROUND_", "GRADIO_SERVER_"))] + ["HF_HUB_OFFLINE"]:
        monkeypatch.delenv(key, raising=False)
    s = parse_settings([])
    assert (s.host, s.port, s.share, s.auth, s.offline, s.trust_remote_code) == ("127.0.0.1", 7860, False, None, False, False)


def test_flags_and_environment(monkeypatch, tmp_path):
    s = parse_settings(["--port", "8000", "--auth", "ann:secret:x", "--device", "cpu", "--dtype", "bfloat16",
                        "--models-dir", str(tmp_path), "--offline", "--cache-models", "2", "--cache-gib", "1.5"])
    assert s.port == 8000 and s.auth == ("ann", "secret:x") and s.device == "cpu" and s.dtype == "bfloat16"
    assert s.models_dirs == (tmp_path.resolve(),) and s.offline and s.cache_models == 2 and s.cache_gib == 1.5
    env = parse_settings([], monkeypatch, {"PLAYGROUND_PORT": "9000", "PLAYGROUND_SHARE": "1",
                                           "PLAYGROUND_MODELS_DIR": f"{tmp_path}:{tmp_path}/b",
                                           "PLAYGROUND_TRUST_REMOTE_CODE": "true", "GRADIO_SERVER_NAME": "0.0.0.0"})
    assert env.port == 9000 and env.share and env.trust_remote_code and env.host == "0.0.0.0"
    assert env.models_dirs == (tmp_path.resolve(), (tmp_path / "b").resolve())


def test_auth_needs_user_and_password():
    with pytest.raises(SystemExit):
        parse_settings(["--auth", "nopassword"])


# ---- model references --------------------------------------------------------------------------
def test_model_refs(tmp_path, monkeypatch):
    assert ModelRef.parse("openai/whisper-small") == ModelRef("openai/whisper-small", None, False)
    assert ModelRef.parse(" gpt2@v1.0 ") == ModelRef("gpt2", "v1.0", False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine").mkdir()
    # a relative folder becomes absolute (transformers would take "mine" for a Hub id)
    assert ModelRef.parse("mine") == ModelRef(str(tmp_path / "mine"), None, True)
    with pytest.raises(UserError) as err:
        ModelRef.parse("./missing/folder")
    assert err.value.key == "unknown_model"
    with pytest.raises(UserError) as err:
        ModelRef.parse("  ")
    assert err.value.key == "no_model"


# ---- CLI parameters ------------------------------------------------------------------------------
def test_fields_parse_cli_text_by_their_type():
    assert Int("top_k", 5, 1, 20).parse("3") == 3
    assert Float("temperature", 1.0, 0.05, 2.0).parse("0.5") == 0.5
    assert Bool("multi_label", False).parse("true") is True
    assert Labels("candidate_labels").parse("a, b") == ["a", "b"]
    assert Labels("candidate_labels").parse('["x y", "z"]') == ["x y", "z"]
    assert Text("hypothesis_template", "x").parse("This is {}.") == "This is {}."
    with pytest.raises(UserError) as err:
        Int("top_k", 5, 1, 20).parse("many")
    assert err.value.key == "bad_param"


def test_build_call_routes_inputs_and_params():
    task = text_classification()
    inputs, params = task.parse(*build_call(task, "first", ["text_pair=second", "top_k=2"]))
    assert inputs == {"text": ["first"], "text_pair": "second"}
    assert params["top_k"] == 2 and params["function_to_apply"] == "default"
    with pytest.raises(UserError) as err:
        build_call(task, "x", ["nonsense=1"])
    assert "text_pair" in str(err.value)


# ---- error mapping -------------------------------------------------------------------------------
def test_explain_keeps_messages_to_one_clear_line():
    oom = RuntimeError("[enforce fail at alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator: can't allocate memory: "
                       "you tried to allocate 8796093022208 bytes.")
    assert explain(oom, model="m").key == "oom"
    assert explain(ValueError("ffmpeg was not found but is required to load audio files from filename")).key == "no_ffmpeg"
    other = explain(KeyError("boom"))
    assert other.key == "failed" and "\n" not in other.text()
    assert "HF_TOKEN" in UserError("gated", model="meta-llama/Llama-3.1-8B").text()
    assert "라이선스" in UserError("gated", model="m").text("ko")


# ---- local models ----------------------------------------------------------------------------------
def test_local_models_fit_their_tasks(tiny_root, tiny):
    found = {m.name: m for m in scan_models_dirs([tiny_root])}
    assert "bert-seqcls" in found and found["bert-seqcls"].path == tiny["bert-seqcls"].resolve()
    task = text_classification()
    assert fits(task, found["bert-seqcls"])
    assert not fits(task, found["gpt2"])
    pack_like = tiny_root.parent / "packlike"
    pack_like.mkdir(exist_ok=True)
    (pack_like / "pack.json").write_text(json.dumps({"tasks": ["text-classification"]}))
    assert fits(task, describe(pack_like))


def test_shared_architecture_suffixes_stay_in_their_own_tab(tiny_root, tiny):
    """...ForQuestionAnswering and ...ForSequenceClassification are also layout, vision, table and audio
    models: each picker offers only the ones its task can run."""
    found = {m.name: m for m in scan_models_dirs([tiny_root])}
    table = all_tasks(discover())
    offered = {task_id: {name for name, m in found.items() if fits(table[task_id][1], m)}
               for task_id in ("text-classification", "zero-shot-classification", "question-answering",
                               "audio-classification", "document-question-answering", "visual-question-answering")}
    assert {"bert-qa"} <= offered["question-answering"]
    assert not offered["question-answering"] & {"layoutlm-docqa", "vilt-vqa", "tapas", "blip-vqa"}
    assert "layoutlm-docqa" in offered["document-question-answering"] and "vilt-vqa" in offered["visual-question-answering"]
    assert "bert-nli" in offered["zero-shot-classification"] and "bert-seqcls" not in offered["zero-shot-classification"]
    assert "wav2vec2-audiocls" in offered["audio-classification"]
    assert "wav2vec2-audiocls" not in offered["text-classification"] | offered["zero-shot-classification"]
    assert found["bert-nli"].labels == ("contradiction", "neutral", "entailment")


def test_offline_choices_fall_back_to_a_local_model(tiny_root):
    task = text_classification()
    offline = ModelManager(Settings(offline=True, models_dirs=(tiny_root,)))
    choices, default = offline.choices(task)
    values = [v for _, v in choices]
    assert task.default_model not in values, "offline pickers offer only local models"
    assert default in values and Path(default).is_dir()
    online = ModelManager(Settings(models_dirs=(tiny_root,)))
    choices, default = online.choices(task)
    assert default == task.default_model and choices[0] == (task.default_model, task.default_model)
    assert str(tiny_root / "bert-seqcls") in [v for _, v in choices]


# ---- model manager -------------------------------------------------------------------------------
def test_concurrent_requests_load_a_model_once(tiny, tiny_root):
    manager = ModelManager(Settings(device="cpu", offline=True, models_dirs=(tiny_root,)))
    task = text_classification()
    results, errors = [], []

    def call():
        try:
            results.append(manager.run(task, str(tiny["bert-seqcls"]), {"text": "hello world"}, task.defaults()))
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 4
    assert manager.loads == 1
    loads = [r.details["load"] for r in results]
    assert loads.count("cached") == 3
    assert {d["label"] for d in results[0].output} == {"NEGATIVE", "POSITIVE"}
    details = results[0].details
    assert details["model_class"] == "BertForSequenceClassification" and details["parameters"] > 0
    assert details["device"] == "cpu" and details["dtype"] == "float32" and details["inference_seconds"] >= 0


def test_lru_eviction_by_count_and_by_size(tiny, tiny_root):
    task = text_classification()
    inputs = {"text": "hi"}
    by_count = ModelManager(Settings(device="cpu", offline=True, cache_models=1, models_dirs=(tiny_root,)))
    by_count.run(task, str(tiny["bert-seqcls"]), inputs, task.defaults())
    by_count.run(task, str(tiny["bert-reranker"]), inputs, task.defaults())
    assert [c["model"] for c in by_count.cached()] == [str(tiny["bert-reranker"])]
    again = by_count.run(task, str(tiny["bert-seqcls"]), inputs, task.defaults())
    assert again.details["load"] != "cached" and by_count.loads == 3
    by_size = ModelManager(Settings(device="cpu", offline=True, cache_models=10, cache_gib=1e-9,
                                    models_dirs=(tiny_root,)))
    by_size.run(task, str(tiny["bert-seqcls"]), inputs, task.defaults())
    by_size.run(task, str(tiny["bert-reranker"]), inputs, task.defaults())
    assert len(by_size.cached()) == 1, "over the GiB budget only the newest model stays"


def test_nothing_loads_until_asked(tiny_root):
    manager = ModelManager(Settings(offline=True, models_dirs=(tiny_root,)))
    manager.choices(text_classification())
    assert manager.cached() == [] and manager.loads == 0


def test_weights_the_checkpoint_lacks_are_noted(manager, tiny, tiny_root):
    """A bare BertModel checkpoint whose config names no architecture loads for token classification with a
    random classifier: the run says so (transformers' load report, caught by the manager)."""
    import shutil

    from demos.text.token_classification import TASK

    folder = tiny_root / "bert-base-noarch"
    if not folder.exists():
        shutil.copytree(tiny["bert-base"], folder)
        config = json.loads((folder / "config.json").read_text())
        config.pop("architectures", None)
        (folder / "config.json").write_text(json.dumps(config))
    result = manager.run(TASK, str(folder), {"text": "hello world"}, {})
    texts = [n.text() for n in result.notes]
    assert any("classifier.weight" in t and "newly initialised" in t for t in texts), texts
    assert any("새로 초기화" in n.text("ko") for n in result.notes)
    plain = manager.run(TASK, str(tiny["bert-tokcls"]), {"text": "hello world"}, {})
    assert not [n for n in plain.notes if "newly initialised" in n.text()]


def test_a_run_past_its_time_limit_is_stopped_and_the_model_serves_on(tiny, tiny_root):
    from dataclasses import replace

    from demos.text.text_classification import TASK

    base = Settings(device="cpu", offline=True, models_dirs=(tiny_root,))
    hurried = ModelManager(replace(base, timeout=1e-6))
    with pytest.raises(UserError) as err:
        hurried.run(TASK, str(tiny["bert-seqcls"]), {"text": "hello"}, {})
    assert err.value.key == "timeout" and "--timeout" in err.value.text()
    assert ModelManager(base).run(TASK, str(tiny["bert-seqcls"]), {"text": "hello"}, {}).output


def test_typed_paths_load_only_inside_the_allowed_folders(tiny, tiny_root, tmp_path):
    from dataclasses import replace

    base = Settings(device="cpu", offline=True, models_dirs=(tiny_root,))
    manager = ModelManager(base)
    assert manager.resolve(str(tiny["gpt2"])).local
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    messages = []
    for path in (str(outside), str(tmp_path / "missing"), f"{tiny_root}/../{tmp_path.name}", "/etc"):
        with pytest.raises(UserError) as err:
            manager.resolve(path)
        assert err.value.key == "not_local"
        messages.append(err.value.text().replace(path, "X"))
    assert len(set(messages)) == 1, "allowed-but-missing and not-allowed read the same"
    assert ModelManager(replace(base, any_local_path=True)).resolve(str(outside)).local
    assert manager.resolve("openai/whisper-tiny@main") == ModelRef("openai/whisper-tiny", "main", False)


def test_translator_keeps_texts_that_slug_alike_apart():
    """"Segments" (segmentation's table) and "segments" (a speech-recognition choice) have their own keys,
    English texts and Korean translations; before, the later one's text showed for both."""
    from core.i18n import Translator

    tr = Translator()
    upper, lower = tr("Segments"), tr("segments")
    assert upper.key != lower.key
    assert (tr.text(upper), tr.text(lower)) == ("Segments", "segments")
    assert tr.ko[upper.key] != tr.ko[lower.key]
