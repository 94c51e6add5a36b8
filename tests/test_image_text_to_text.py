"""The image chat on a tiny random vision-language model (structure only): streamed over several turns,
the shown code executed and compared (greedy and sampled), the errors and bounds, transformers' argument
names (`text`, `images`) in a run, the API and the CLI."""

from __future__ import annotations

import ast
import contextlib
import io
import json
import os
import subprocess
import sys

import pytest

from core.errors import UserError
from core.ui import jsonable
from demos.multimodal.common import picture, render_invoice
from demos.multimodal.image_text_to_text import TASK, chatbot_messages

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHAT = TASK
CAT = picture("chelsea")


@pytest.fixture(scope="module")
def invoice(tmp_path_factory) -> dict[str, str]:
    return {"png": str(render_invoice(tmp_path_factory.mktemp("invoice") / "invoice.png"))}


def value_of(output):
    """An output's value: components updated with gr.update(...) come back as {"value": ..., other props}."""
    return output["value"] if isinstance(output, dict) and "value" in output else output


def run_code(code: str) -> object:
    """Execute a Code panel snippet in a fresh namespace; returns what it printed, parsed back."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<snippet>", "exec"), {"__name__": "__snippet__"})
    return ast.literal_eval(out.getvalue().strip())


def test_chat_streams_over_several_turns(manager, tiny, invoice):
    model = str(tiny["vlm-chat"])
    params = {**CHAT.defaults(), "max_new_tokens": 6}
    first = {"message": {"text": "What is this?", "files": [CAT]}}
    parts = [r.output for r in manager.stream(CHAT, model, first, params)]
    final = parts[-1][0]
    assert final["input_text"] == [{"role": "user", "content": [{"type": "image", "image": CAT},
                                                                {"type": "text", "text": "What is this?"}]}]
    assert isinstance(final["generated_text"], str)
    assert all(p[0]["generated_text"] for p in parts[:-1])  # partial replies grow before the final output
    assert manager.run(CHAT, model, first, params).output == parts[-1]  # greedy: streaming changes nothing
    # the browser sends the history as gr.Chatbot messages: an image bubble, a text bubble, the reply
    history = chatbot_messages(final["input_text"], final["generated_text"])
    shown = [{"role": m["role"], "content": [{"type": "file", "file": c} if "path" in c else c for c in m["content"]]}
             if isinstance(m["content"], list) else {"role": m["role"], "content": [{"type": "text", "text": m["content"]}]}
             for m in history]
    second = {"message": {"text": "And this one?", "files": [invoice["png"]]}, "history": shown}
    result = manager.run(CHAT, model, second, params)
    messages = result.output[0]["input_text"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    assert messages[1]["content"] == [{"type": "text", "text": final["generated_text"]}]
    assert messages[2]["content"][0] == {"type": "image", "image": invoice["png"]}
    assert jsonable(run_code(result.code)) == jsonable(result.output)
    sampled = manager.run(CHAT, model, second, {**params, "do_sample": True, "seed": 3})
    assert "set_seed(3)" in sampled.code and "generate_kwargs={'do_sample': True" in sampled.code
    assert jsonable(run_code(sampled.code)) == jsonable(sampled.output)


def test_transformers_names_text_and_images(manager, tiny):
    """The pipeline's own names: text= for the message, images= for the image (as the CLI passes them)."""
    out = manager.run(CHAT, str(tiny["vlm-chat"]), {"images": CAT, "text": "Describe the image"},
                      {"max_new_tokens": 3}).output
    assert out[0]["input_text"] == [{"role": "user", "content": [{"type": "image", "image": CAT},
                                                                 {"type": "text", "text": "Describe the image"}]}]


def test_chat_errors(manager, tiny, tmp_path):
    params = {**CHAT.defaults(), "max_new_tokens": 3}
    with pytest.raises(UserError) as err:
        manager.run(CHAT, str(tiny["vlm-chat"]), {"message": {"text": " ", "files": []}}, params)
    assert err.value.key == "empty_input"
    text_file = tmp_path / "notes.txt"
    text_file.write_text("not an image")
    with pytest.raises(UserError) as err:
        manager.run(CHAT, str(tiny["vlm-chat"]), {"message": "hi", "image": str(text_file)}, params)
    assert err.value.key == "bad_file"
    with pytest.raises(UserError) as err:  # a captioner is no chat model: refused before it loads
        manager.run(CHAT, str(tiny["blip-caption"]), {"message": "hi"}, params)
    assert err.value.key == "misfit" and "BlipForConditionalGeneration" in err.value.text()


def test_bounds_are_one_line_errors(manager, tiny):
    """Generation settings, the text, the images and the history are bounded before the model runs."""
    many = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}] * 33
    for inputs, params, key in (
        ({"message": "hi"}, {"max_new_tokens": 1025}, "bad_param"),
        ({"message": "hi"}, {"seed": -1}, "bad_param"),
        ({"message": "hi"}, {"temperature": 0}, "bad_param"),
        ({"message": "hi"}, {"top_p": "inf"}, "bad_param"),
        ({"message": "hi"}, {"do_sample": "maybe"}, "bad_param"),
        ({"message": "x" * 20_001}, {}, "too_large"),
        ({"message": {"text": "x" * 20_001, "files": []}}, {}, "too_large"),
        ({"message": {"text": "hi", "files": [CAT] * 9}}, {}, "too_large"),
        ({"message": "hi", "history": many}, {}, "too_large"),
        ({"message": "hi", "history": [{"role": "user", "content": [{"type": "image", "image": CAT}]}] * 8,
          "image": CAT}, {}, "too_large"),
    ):
        with pytest.raises(UserError) as err:
            manager.run(CHAT, str(tiny["vlm-chat"]), inputs, params)
        assert err.value.key == key, (str(inputs)[:80], params)


def test_api_chat_about_a_photo(client, tiny):
    from gradio_client import handle_file

    conversation, message, notes, raw, code, details = map(value_of, client.predict(
        message={"text": "What is this?", "files": [handle_file(CAT)]}, image=None, history=[], max_new_tokens=4,
        do_sample=False, temperature=0.7, top_p=0.95, top_k=50, seed=42, model=str(tiny["vlm-chat"]),
        api_name="/image_text_to_text"))
    assert [m["role"] for m in conversation][-1] == "assistant" and raw[0]["input_text"][0]["role"] == "user"
    assert conversation[-1]["content"][0]["text"] == raw[0]["generated_text"].strip()
    # the image as its own parameter (as the CLI gives it), the message as plain text
    *_, raw, code, details = client.predict(
        message={"text": "Describe the image", "files": []}, image=handle_file(CAT), history=[], max_new_tokens=3,
        do_sample=False, temperature=0.7, top_p=0.95, top_k=50, seed=42, model=str(tiny["vlm-chat"]),
        api_name="/image_text_to_text")
    assert [item["type"] for item in raw[0]["input_text"][0]["content"]] == ["image", "text"]


def test_cli_describes_an_image(tiny, tiny_root):
    env = {**os.environ, "PLAYGROUND_NO_WARMUP": "1"}
    out = subprocess.run([sys.executable, "app.py", "run", "image-text-to-text", CAT, "--model", str(tiny["vlm-chat"]),
                          "--offline", "--models-dir", str(tiny_root), "--param", "text=Describe the image", "--param", "max_new_tokens=3"],
                         cwd=ROOT, capture_output=True, text=True, env=env, timeout=180)
    assert out.returncode == 0, out.stderr
    [result] = json.loads(out.stdout)
    assert result["input_text"] == [{"role": "user", "content": [{"type": "image", "image": CAT},
                                                                 {"type": "text", "text": "Describe the image"}]}]
    assert isinstance(result["generated_text"], str)
