"""Every failure a user can cause gives one clear line in the UI, and the server answers the next request.

The Hub is unreachable here, so a small fake Hub on localhost answers the way huggingface.co does
(404 RepoNotFound, 403 GatedRepo headers); huggingface_hub and transformers parse those real responses.
"""

from __future__ import annotations

import json
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from gradio_client import Client

from tests.conftest import free_port

SENTENCE = "Hugging Face is the best thing since sliced bread!"


class FakeHub(BaseHTTPRequestHandler):
    """Answers like the Hub: gated-org/* is gated, everything else does not exist."""

    def _answer(self):
        if self.path.startswith(("/gated-org/", "/api/models/gated-org/")):
            self.send_response(403)
            self.send_header("X-Error-Code", "GatedRepo")
            self.send_header("X-Error-Message", "Access to model gated-org/llama is restricted.")
        else:
            self.send_response(404)
            self.send_header("X-Error-Code", "RepoNotFound")
            self.send_header("X-Error-Message", "Repository not found")
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_HEAD = _answer

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def fake_hub():
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), FakeHub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def online(spawn_app, fake_hub):
    """`python app.py` online (not --offline) with the fake Hub as its endpoint (HF_ENDPOINT, as for a mirror)."""
    _, url = spawn_app("--no-warmup", env={"HF_ENDPOINT": fake_hub, "HF_HUB_OFFLINE": "0"})
    return Client(url, verbose=False)


@pytest.fixture(scope="module")
def unreachable(spawn_app):
    """`python app.py` online whose Hub does not answer."""
    _, url = spawn_app("--no-warmup", env={"HF_ENDPOINT": f"http://127.0.0.1:{free_port()}", "HF_HUB_OFFLINE": "0"})
    return Client(url, verbose=False)


def classify(client, model, text=SENTENCE):
    return client.predict(text, "", 2, "default", 1, model, api_name="/text_classification")


def error_of(client, model, text=SENTENCE) -> str:
    with pytest.raises(Exception) as err:
        classify(client, model, text)
    return str(err.value)


def still_serving(client, tiny):
    label = classify(client, str(tiny["bert-seqcls"]))[0]
    assert label["label"] in {"NEGATIVE", "POSITIVE"}


def test_unknown_model_id(online, tiny):
    message = error_of(online, "nobody/no-such-model")
    assert "nobody/no-such-model is not a model on the Hugging Face Hub" in message
    still_serving(online, tiny)


def test_gated_model_without_token(online, tiny):
    message = error_of(online, "gated-org/llama")
    assert "gated model" in message and "accept its license" in message and "HF_TOKEN" in message
    still_serving(online, tiny)


def test_hub_unreachable(unreachable, tiny):
    message = error_of(unreachable, "someone/some-model")
    assert "Could not reach the Hugging Face Hub" in message and "offline-pack" in message
    still_serving(unreachable, tiny)


def test_not_cached_while_offline(client, tiny):
    message = error_of(client, "someone/not-downloaded")
    assert "not available offline" in message and "--models-dir" in message
    still_serving(client, tiny)


def test_model_for_the_wrong_task(client, tiny):
    message = error_of(client, str(tiny["vit-imgcls"]))
    assert "is a ViTForImageClassification, a vision model: pick a text-classification model" in message
    still_serving(client, tiny)


def test_out_of_memory(client, tiny, tiny_root):
    """A config asking for an 8 TiB embedding: the allocation fails like a real OOM does."""
    from safetensors.torch import load_file, save_file

    huge = tiny_root / "huge-bert"  # inside a --models-dir folder: typed paths load only there
    shutil.copytree(tiny["bert-seqcls"], huge)
    config = json.loads((huge / "config.json").read_text())
    config["vocab_size"] = 2**36
    (huge / "config.json").write_text(json.dumps(config))
    weights = {k: v for k, v in load_file(huge / "model.safetensors").items() if "word_embeddings" not in k}
    save_file(weights, huge / "model.safetensors", metadata={"format": "pt"})
    message = error_of(client, str(huge))
    assert "Out of memory" in message and "smaller model" in message and "device-map auto" in message
    still_serving(client, tiny)


def test_remote_code_is_not_run_without_the_flag(client, tiny, tiny_root, tmp_path):
    folder = tiny_root / "custom-code"
    folder.mkdir(exist_ok=True)
    marker = tmp_path / "code-ran"
    (folder / "config.json").write_text(json.dumps({
        "model_type": "custom-thing",
        "auto_map": {"AutoConfig": "configuration_custom.CustomConfig",
                     "AutoModelForSequenceClassification": "modeling_custom.CustomModel"},
    }))
    code = f"open({str(marker)!r}, 'w').write('ran')\nfrom transformers import PretrainedConfig\n" \
           "class CustomConfig(PretrainedConfig):\n    model_type = 'custom-thing'\n"
    (folder / "configuration_custom.py").write_text(code)
    message = error_of(client, str(folder))
    assert "--trust-remote-code" in message
    assert not marker.exists(), "the model's own code must not run"
    still_serving(client, tiny)


def test_empty_input(client, tiny):
    message = error_of(client, str(tiny["bert-seqcls"]), text="  \n ")
    assert "Please give some input first" in message
    still_serving(client, tiny)


def test_messages_follow_the_browser_language(base_url, tiny):
    """A Korean browser (Accept-Language: ko) gets the Korean message."""
    korean = Client(base_url, verbose=False, headers={"Accept-Language": "ko-KR,ko;q=0.9"})
    with pytest.raises(Exception) as err:
        classify(korean, "someone/not-downloaded")
    assert "오프라인" in str(err.value)


def test_error_is_one_line_in_the_browser(page, base_url, tiny, shoot):
    from playwright.sync_api import expect

    page.goto(base_url)
    page.get_by_role("tab", name="Text").first.click()
    page.get_by_label("Input text").first.fill(SENTENCE)
    model = page.locator("#text_classification_model input")
    model.fill("someone/not-downloaded")
    model.press("Enter")
    page.locator("#task_text_classification").get_by_role("button", name="Run").click()
    toast = page.locator(".toast-body").first
    expect(toast).to_contain_text("not available offline", timeout=20_000)
    assert "Traceback" not in toast.inner_text()
    shoot(page, "error_not_available")
