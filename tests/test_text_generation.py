"""Text generation: streamed output, batching without a pad token, chat templates; tiny random models for
structure, the offline pack's SmolLM2-135M-Instruct for a real answer; the shared generation fields' rules."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from core.errors import UserError
from core.models import RunResult
from demos.text import text_generation
from demos.text.generation_fields import generation_fields, generation_kwargs
from demos.text.text_generation import TASK
from tests.conftest import ROOT
from tests.text_generation_helpers import eos_at_once_model, notes_text, open_task, printed_by, value_of

GREEDY = {"do_sample": False, "max_new_tokens": 6}
RINGS = "Three Rings for the Elven-kings under the sky"


def params(**overrides):
    return {**TASK.defaults(), **overrides}


def run(manager, model, text, system_prompt="", **overrides):
    return manager.run(TASK, str(model), {"text": text, "system_prompt": system_prompt}, params(**overrides))


def stream(manager, model, text, system_prompt="", **overrides):
    return [r.output for r in manager.stream(TASK, str(model), {"text": text, "system_prompt": system_prompt},
                                             params(**overrides))]


def test_one_prompt_gives_the_pipeline_output(manager, tiny):
    out = run(manager, tiny["gpt2"], RINGS, **GREEDY).output
    assert isinstance(out, list) and len(out) == 1
    assert set(out[0]) == {"generated_text"} and out[0]["generated_text"].startswith(RINGS)
    pipe = manager.get(TASK.loader, str(tiny["gpt2"]))[0].obj
    assert out == TASK.run(pipe, *TASK.parse({"text": RINGS}, params(**GREEDY))).value


def test_batch_size_2_works_without_a_pad_token(manager, tiny):
    """The notes' unexplained batch_size=2 error: GPT-2 has no pad token. The plain pipeline raises; the app
    (and its shown code) sets pad = eos and runs one batch."""
    from transformers import pipeline

    plain = pipeline("text-generation", model=str(tiny["gpt2"]), device="cpu")
    assert plain.tokenizer.pad_token is None
    with pytest.raises(ValueError, match="pad_token"):
        plain([RINGS, "Nine for Mortal Men"], batch_size=2, max_new_tokens=2)
    result = run(manager, tiny["gpt2"], f"{RINGS}\nNine for Mortal Men", batch_size=2, **GREEDY)
    assert len(result.output) == 2 and all(len(seqs) == 1 for seqs in result.output)
    assert result.output[1][0]["generated_text"].startswith("Nine for Mortal Men")
    assert "pipe.tokenizer.pad_token = pipe.tokenizer.eos_token" in result.code
    assert printed_by(result.code) == result.output


def test_a_prompt_longer_than_the_context_loses_its_beginning(manager, tiny):
    """GPT-2 style: without handle_long_generation="hole" the pipeline fails with "index out of range"."""
    long = "The Transformer is based on attention. " * 300
    out = run(manager, tiny["gpt2"], long, **GREEDY).output
    assert out[0]["generated_text"].startswith(long.strip())


def test_several_sequences_need_sampling(manager, tiny):
    out = run(manager, tiny["gpt2"], RINGS, num_return_sequences=3, max_new_tokens=4, do_sample=True).output
    assert len(out) == 3 and all(s["generated_text"].startswith(RINGS) for s in out)
    with pytest.raises(UserError, match="num_return_sequences"):
        run(manager, tiny["gpt2"], RINGS, num_return_sequences=2, **GREEDY)


def test_stream_grows_and_ends_with_the_run_output(manager, tiny):
    """Partial outputs have the final shape, each extends the previous, the last is the pipeline's own output
    (with sampling and a seed: the streamed run and a plain run agree)."""
    outputs = stream(manager, tiny["gpt2"], RINGS, max_new_tokens=12, do_sample=True, temperature=1.5)
    texts = [o[0]["generated_text"] for o in outputs]
    assert all(t.startswith(RINGS) for t in texts)
    assert all(b.startswith(a) for a, b in zip(texts, texts[1:]))
    assert outputs[-1] == run(manager, tiny["gpt2"], RINGS, max_new_tokens=12, do_sample=True, temperature=1.5).output


def test_stream_falls_back_to_one_result_for_batches(manager, tiny):
    outputs = stream(manager, tiny["gpt2"], f"{RINGS}\nNine", batch_size=2, **GREEDY)
    assert len(outputs) == 1 and len(outputs[0]) == 2


def test_closing_the_stream_stops_generation(manager, tiny):
    gen = manager.stream(TASK, str(tiny["gpt2"]), {"text": RINGS}, params(max_new_tokens=60))
    next(gen)
    gen.close()  # the browser left: generation must stop and release the model
    entry, _ = manager.get(TASK.loader, str(tiny["gpt2"]))
    assert entry.lock.acquire(timeout=5)
    entry.lock.release()


def test_chat_model_gets_a_conversation(manager, tiny):
    result = run(manager, tiny["llama-chat"], "What is the capital of France?", "Answer in one word.", **GREEDY)
    chat = result.output[0]["generated_text"]
    assert [m["role"] for m in chat] == ["system", "user", "assistant"]
    assert chat[0]["content"] == "Answer in one word." and isinstance(chat[-1]["content"], str)
    assert "messages = [" in result.code and printed_by(result.code) == result.output
    assert "chat template" in notes_text(result)
    if not chat[-1]["content"].strip():  # the tiny chat model may reply nothing: the note then says why
        assert "∅ The model generated" in notes_text(result)
    plain = run(manager, tiny["llama-chat"], "What is", use_chat_template=False, **GREEDY).output
    assert isinstance(plain[0]["generated_text"], str), "template off: the raw prompt is continued"


def outcome(output, text: str, system_prompt: str = "") -> RunResult:
    """The RunResult a run with this output would give (notes made as the run makes them)."""
    inputs, parsed = TASK.parse({"text": text, "system_prompt": system_prompt}, params())
    return RunResult(output, "", {}, inputs, parsed, text_generation.notes_for(output, inputs, parsed))


@pytest.fixture(scope="module")
def eos_model(tiny, tiny_root):
    """In a --models-dir folder, so the app (and its browser test) may load it."""
    return eos_at_once_model(tiny["gpt2"], tiny_root / "gpt2-eos-at-once")


def test_an_empty_generation_says_why(manager, eos_model):
    result = run(manager, eos_model, RINGS, **GREEDY)
    assert result.output == [{"generated_text": RINGS}]
    assert "first new token was the end-of-text token '<|endoftext|>'" in notes_text(result)
    assert "텍스트 끝 토큰 '<|endoftext|>'" in result.notes[-1].text("ko")
    streamed = list(manager.stream(TASK, str(eos_model), {"text": RINGS, "system_prompt": ""}, params(**GREEDY)))
    assert [r.output for r in streamed] == [result.output]
    assert "end-of-text token" in notes_text(streamed[-1])
    several = run(manager, eos_model, f"{RINGS}\nNine for Mortal Men", **GREEDY)
    assert "for prompt(s) 1, 2" in notes_text(several)


def test_a_text_generated_says_nothing_about_emptiness(manager, tiny):
    assert "∅" not in notes_text(run(manager, tiny["gpt2"], RINGS, **GREEDY))


def test_empty_generation_reasons():
    """Every reason, from the ids generated after the prompt (a real tokenizer: the pack's SmolLM2)."""
    from transformers import AutoTokenizer

    from demos.text.generation_fields import empty_generation_note
    tok = AutoTokenizer.from_pretrained(str(ROOT / "pack" / "SmolLM2-135M-Instruct"))
    special = tok.convert_tokens_to_ids("<|im_start|>")
    assert "no tokens" in empty_generation_note(tok, []).text()
    assert "'<|im_end|>'" in empty_generation_note(tok, [tok.eos_token_id, 5]).text()
    assert "are all special tokens" in empty_generation_note(tok, [special, special]).text()
    blank = tok(" \n\n")["input_ids"]
    assert f"only spaces or line breaks ({len(blank)} token(s): ' \\n\\n')" in empty_generation_note(tok, blank).text()


def test_render_shows_the_reply_or_the_continuation():
    components = {"text": "text", "table": "table"}
    render = text_generation.render_text_generation(components)
    chat = [{"generated_text": [{"role": "user", "content": "Q?"}, {"role": "assistant", "content": "Paris."}]}]
    result = outcome(chat, "Q?")
    shown = render(result)
    assert shown["text"] == [("Paris.", "reply")] and "chat template" in notes_text(result)
    plain = [[{"generated_text": "Hello world!"}], [{"generated_text": "Bye now"}]]
    result = outcome(plain, "Hello\nBye", "x")
    shown = render(result)
    assert shown["text"] == [("Hello", None), (" world!", "generated")]
    assert "system prompt was not used" in notes_text(result) and "no streaming" in notes_text(result)
    assert shown["table"]["visible"] and len(shown["table"]["value"]) == 2


@pytest.mark.slow
def test_smollm2_answers_paris(manager, pack_dir):
    """The real model: streamed through the app and printed by the shown code, greedy, the same answer."""
    model = pack_dir / "SmolLM2-135M-Instruct"
    question = "What is the capital of France?"
    outputs = stream(manager, model, question, do_sample=False, max_new_tokens=24)
    assert len(outputs) > 3, "the answer streams in pieces"
    reply = outputs[-1][0]["generated_text"][-1]["content"]
    assert "Paris" in reply
    code = run(manager, model, question, do_sample=False, max_new_tokens=24).code
    assert printed_by(code)[0]["generated_text"][-1]["content"] == reply


def test_api_endpoint(client, tiny):
    kwargs = {k: v for k, v in params(**GREEDY).items()}
    shown, table, notes, raw, code, details = map(value_of, client.predict(
        text=RINGS, system_prompt="", **kwargs, model=str(tiny["gpt2"]), api_name="/text_generation"))
    assert raw[0]["generated_text"].startswith(RINGS)
    assert "pipeline('text-generation'" in code and details["pipeline_class"] == "TextGenerationPipeline"


def test_notes_follow_the_browsers_language(base_url, tiny):
    """The result notes are made per request: a Korean browser reads them in Korean, an English one in English."""
    from gradio_client import Client

    kwargs = {k: v for k, v in params(**GREEDY).items()}
    call = dict(text="안녕하세요", system_prompt="", **kwargs, model=str(tiny["llama-chat"]), api_name="/text_generation")
    korean = Client(base_url, verbose=False, headers={"Accept-Language": "ko-KR,ko;q=0.9"})
    note = korean.predict(**call)[2]["value"]  # the notes panel is a gr.update (value + visible)
    assert "채팅 모델" in note and "chat template" not in note
    english = Client(base_url, verbose=False, headers={"Accept-Language": "en-US,en;q=0.9"})
    assert "Chat model" in english.predict(**call)[2]["value"]


def test_cli_bad_parameter_exits_2(tiny, tiny_root):
    env = dict(os.environ, PLAYGROUND_NO_WARMUP="1")
    out = subprocess.run([sys.executable, "app.py", "run", "text-generation", RINGS, "--model", str(tiny["gpt2"]),
                          "--offline", "--models-dir", str(tiny_root), "--param", "do_sample=false",
                          "--param", "num_return_sequences=2"],
                         cwd=ROOT, capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 2 and out.stdout == ""
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "num_return_sequences" in lines[0] and "Traceback" not in out.stderr


def test_cli_takes_transformers_names(tiny, tiny_root):
    """text_inputs (the pipeline's own name for the prompt) and generate's names work with --param."""
    env = dict(os.environ, PLAYGROUND_NO_WARMUP="1")
    out = subprocess.run([sys.executable, "app.py", "run", "text-generation", "--model", str(tiny["gpt2"]),
                          "--offline", "--models-dir", str(tiny_root), "--param", f"text_inputs={RINGS}",
                          "--param", "max_new_tokens=3",
                          "--param", "do_sample=true", "--param", "top_k=5", "--show", "code"],
                         cwd=ROOT, capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    assert RINGS in out.stdout and "top_k=5" in out.stderr and "max_new_tokens=3" in out.stderr


@pytest.mark.parametrize(("name", "value", "key"), [
    ("max_new_tokens", 1025, "bad_param"), ("max_new_tokens", "1e9", "bad_param"),
    ("num_return_sequences", 6, "bad_param"), ("num_return_sequences", 0, "bad_param"),
    ("batch_size", 33, "bad_param"), ("temperature", float("inf"), "bad_param"), ("top_p", 1.5, "bad_param"),
    ("top_k", -1, "bad_param"), ("seed", 1.5, "bad_param"), ("use_chat_template", "sometimes", "bad_param"),
    ("text", "x" * 20_001, "too_large"), ("text", "a\n" * 33, "too_large"), ("system_prompt", "x" * 4001, "too_large"),
])
def test_bounds(name, value, key):
    inputs, given = ({"text": RINGS, name: value}, {}) if name in TASK.inputs else ({"text": RINGS}, {name: value})
    with pytest.raises(UserError) as err:
        TASK.parse(inputs, given)
    assert err.value.key == key


def test_an_empty_prompt_is_named():
    with pytest.raises(UserError, match="Prompt is empty"):
        TASK.parse({"text": " \n "}, {})


def test_generation_kwargs_leave_out_the_models_defaults():
    """Only what differs from the model's generation_config goes to generate; the cross-field rules hold."""
    fields = generation_fields("max_length", "min_length", "num_beams", "num_return_sequences", "do_sample",
                               "temperature", "top_k", "top_p", "repetition_penalty", top_p=1.0)
    assert [f.name for f in fields] == ["max_length", "min_length", "num_beams", "num_return_sequences",
                                        "do_sample", "temperature", "top_k", "top_p", "repetition_penalty"]
    assert fields[7].default == 1.0 and generation_fields("top_p")[0].default == 0.95
    defaults = {f.name: f.default for f in fields}
    assert generation_kwargs(defaults) == {"do_sample": False}
    assert generation_kwargs({**defaults, "do_sample": True, "repetition_penalty": 1.2}) == {
        "do_sample": True, "temperature": 0.7, "top_k": 50, "top_p": 1.0, "repetition_penalty": 1.2}
    assert generation_kwargs({**defaults, "num_beams": 3, "num_return_sequences": 3})["num_return_sequences"] == 3
    with pytest.raises(UserError, match="num_return_sequences") as err:
        generation_kwargs({**defaults, "num_beams": 2, "num_return_sequences": 3})
    assert err.value.key == "bad_param"
    with pytest.raises(UserError, match="must not exceed max_length") as err:
        generation_kwargs({**defaults, "min_length": 9, "max_length": 8})
    assert err.value.key == "bad_param"
    with pytest.raises(ValueError):
        generation_fields("top_p", top_k=3)


@pytest.mark.browser
def test_browser_streams_a_chat_answer(page, base_url, pack_dir, shoot):
    from playwright.sync_api import expect

    page.goto(base_url)
    open_task(page, "Text generation")
    tab = page.locator("#task_text_generation")
    tab.get_by_text("What is the capital of France?").first.click()
    expect(page.locator("#text_generation_prompt textarea")).to_have_value("What is the capital of France?")
    model = page.locator("#text_generation_model input")
    model.fill(str(pack_dir / "SmolLM2-135M-Instruct"))
    model.press("Enter")
    tab.get_by_role("button", name="Run").click()
    output = page.locator("#text_generation_output")
    expect(output).to_contain_text("Paris", timeout=60_000)
    expect(page.locator("#text_generation_notes")).to_contain_text("chat template")
    expect(output).not_to_contain_text("<|im_start|>")
    expect(page.locator("#text_generation_code")).to_contain_text(re.compile("messages = "))
    shoot(page, "text_text_generation")


def test_an_empty_seq2seq_output_gets_a_note():
    from demos.text.seq2seq_common import with_notes

    out = with_notes([{"summary_text": "A text.", "truncated": False}, {"summary_text": " ", "truncated": False}])
    assert [n.text() for n in out.notes] == [
        "∅ Line 2 gave no text: the model generated its end-of-text token at once (or only special tokens, which "
        "decoding skips). Random or untrained models often do; try another model, or min_length."]
    assert out.notes[0].text("ko").startswith("∅ 2번째 줄에서 텍스트가 나오지 않았습니다")
    assert not with_notes([{"translation_text": "Hallo", "truncated": False}]).notes
