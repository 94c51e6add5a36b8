"""chat-template: apply_chat_template of the pack's chat tokenizer (text and ids), one readable error for a
tokenizer without a template; the bounds; the shown code and the API."""

from __future__ import annotations

import json

import pytest

from core.errors import UserError
from core.models import ModelRef
from demos.tokenizer.chat_template import MAX_MESSAGES, TASK
from tests.test_tokenizer import BPE, WORDPIECE, direct, exec_code, run


@pytest.fixture(scope="module")
def folder(pack_dir):
    return lambda name: str(pack_dir / name)


@pytest.fixture(scope="module")
def reference(pack_dir):
    return lambda name: direct(str(pack_dir / name))


def test_chat_template_is_the_tokenizers(manager, folder, reference):
    tok = reference(BPE)
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "안녕하세요!"}]
    out = run(manager, folder, TASK, BPE, {"messages": "system: Be brief.\nuser: 안녕하세요!"})
    assert out["messages"] == messages
    assert out["text"] == tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    assert out["input_ids"] == tok(out["text"], add_special_tokens=False)["input_ids"]
    assert out["tokens"][0] == "<|im_start|>" and out["special_tokens_mask"][0] == 1
    assert "안녕하세요" in "".join(p["text"] for p in out["readable"])
    with pytest.raises(UserError, match="no chat template"):
        run(manager, folder, TASK, WORDPIECE, {"messages": "user: hi"})
    # the same conversation as JSON (text, or a list from an API client), without the generation prompt
    for given in (json.dumps(messages), messages):
        plain = run(manager, folder, TASK, BPE, {"messages": given}, {"add_generation_prompt": False})
        assert plain["text"] == tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=False)


def test_bounds(manager, folder):
    many = "\n".join(f"user: {i}" for i in range(MAX_MESSAGES + 1))
    for messages, key in ((many, "too_large"), ([{"role": "user", "content": "x"}] * (MAX_MESSAGES + 1), "too_large"),
                          ("user: " + "x" * 50_000, "too_large"), ("", "empty_input"), ('[{"role": "user"}]', "bad_param")):
        with pytest.raises(UserError) as err:
            run(manager, folder, TASK, BPE, {"messages": messages})
        assert err.value.key == key, str(messages)[:40]


def test_the_shown_code_reproduces_the_run(manager, folder):
    bpe = ModelRef.parse(folder(BPE))
    chat = manager.run(TASK, bpe.source, {"messages": "user: 안녕!"}, TASK.defaults())
    ns, _ = exec_code(chat.code)
    assert ns["text"] == chat.output["text"] and ns["ids"] == chat.output["input_ids"]


def test_endpoint(client, folder):
    res = client.predict(messages="user: 안녕!", add_generation_prompt=True, model=folder(BPE), api_name="/chat_template")
    assert res[0].startswith("<|im_start|>") and "안녕!" in res[0]

    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="no chat template"):
        client.predict(messages="user: hi", add_generation_prompt=True, model=folder(WORDPIECE),
                       api_name="/chat_template")
