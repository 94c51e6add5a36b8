"""Text generation: streamed output, batching without a pad token, chat templates; tiny random models for
structure, the offline pack's SmolLM2-135M-Instruct for a real answer."""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys

import pytest

from core.errors import UserError
from demos.text import generation
from tests.conftest import ROOT

TASK = generation.TEXT_GENERATION
GREEDY = {"do_sample": False, "max_new_tokens": 6}
RINGS = "Three Rings for the Elven-kings under the sky"


def params(**overrides):
    return {**TASK.params, **overrides}


def run(manager, model, text, system_prompt="", **overrides):
    return manager.run(TASK, str(model), {"text": text, "system_prompt": system_prompt}, params(**overrides))


def stream(manager, model, text, system_prompt="", **overrides):
    return [r.output for r in manager.stream(TASK, str(model), {"text": text, "system_prompt": system_prompt},
                                             params(**overrides))]


def printed_by(code: str):
    namespace: dict = {}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(code, "<snippet>", "exec"), namespace)
    return namespace["result"]


def test_one_prompt_gives_the_pipeline_output(manager, tiny):
    out = run(manager, tiny["gpt2"], RINGS, **GREEDY).output
    assert isinstance(out, list) and len(out) == 1
    assert set(out[0]) == {"generated_text"} and out[0]["generated_text"].startswith(RINGS)
    assert out == TASK.run(manager.get(TASK.loader, str(tiny["gpt2"]))[0].obj, {"text": RINGS}, params(**GREEDY))


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
    plain = run(manager, tiny["llama-chat"], "What is", use_chat_template=False, **GREEDY).output
    assert isinstance(plain[0]["generated_text"], str), "template off: the raw prompt is continued"


def test_render_shows_the_reply_or_the_continuation():
    components = {"text": "text", "note": "note", "table": "table"}
    render = generation.render_text_generation(components)
    chat = [{"generated_text": [{"role": "user", "content": "Q?"}, {"role": "assistant", "content": "Paris."}]}]
    shown = render(chat, {"text": "Q?"}, params())
    assert shown["text"] == [("Paris.", "reply")] and "chat template" in shown["note"]["value"]
    plain = [[{"generated_text": "Hello world!"}], [{"generated_text": "Bye now"}]]
    shown = render(plain, {"text": "Hello\nBye", "system_prompt": "x"}, params())
    assert shown["text"] == [("Hello", None), (" world!", "generated")]
    assert "system prompt was not used" in shown["note"]["value"] and "no streaming" in shown["note"]["value"]
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
    shown, note, table, raw, code, details = client.predict(
        text=RINGS, system_prompt="", **kwargs, model=str(tiny["gpt2"]), api_name="/text_generation")
    assert raw[0]["generated_text"].startswith(RINGS)
    assert "pipeline('text-generation'" in code and details["pipeline_class"] == "TextGenerationPipeline"


def test_notes_follow_the_browsers_language(base_url, tiny):
    """The result notes are made per request: a Korean browser reads them in Korean, an English one in English."""
    from gradio_client import Client

    kwargs = {k: v for k, v in params(**GREEDY).items()}
    call = dict(text="안녕하세요", system_prompt="", **kwargs, model=str(tiny["llama-chat"]), api_name="/text_generation")
    korean = Client(base_url, verbose=False, headers={"Accept-Language": "ko-KR,ko;q=0.9"})
    note = korean.predict(**call)[1]["value"]  # the note is a gr.update (value + visible)
    assert "채팅 모델" in note and "chat template" not in note
    english = Client(base_url, verbose=False, headers={"Accept-Language": "en-US,en;q=0.9"})
    assert "Chat model" in english.predict(**call)[1]["value"]


def test_cli_bad_parameter_exits_2(tiny):
    env = dict(os.environ, PLAYGROUND_NO_WARMUP="1")
    out = subprocess.run([sys.executable, "app.py", "run", "text-generation", RINGS, "--model", str(tiny["gpt2"]),
                          "--offline", "--param", "do_sample=false", "--param", "num_return_sequences=2"],
                         cwd=ROOT, capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 2 and out.stdout == ""
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "num_return_sequences" in lines[0] and "Traceback" not in out.stderr


def open_task(page, title: str) -> None:
    """Open the Text tab, then the task's sub-tab (from the "More tabs" menu when the row overflows)."""
    page.get_by_role("tab", name="Text", exact=True).click()
    tab = page.get_by_role("tab", name=title, exact=True)
    if tab.count() and tab.is_visible():
        tab.click()
        return
    page.locator("#tab_text").get_by_role("button", name="More tabs").click()
    page.locator("#tab_text .overflow-dropdown").get_by_role("button", name=title, exact=True).click()


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
    expect(page.locator("#text_generation_note")).to_contain_text("chat template")
    expect(output).not_to_contain_text("<|im_start|>")
    expect(page.locator("#text_generation_code")).to_contain_text(re.compile("messages = "))
    shoot(page, "text_text_generation")
