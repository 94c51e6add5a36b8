"""`python app.py` serves the page before torch is even imported, says so when --share cannot work,
then warms up in the background; auth and upload limits hold."""

from __future__ import annotations

import time

from gradio_client import Client

from core.settings import Settings
from tests.conftest import free_port


def torch_loaded(pid: int) -> bool:
    with open(f"/proc/{pid}/maps") as maps:
        return "libtorch" in maps.read()


def test_page_is_served_without_torch_and_share_failure_is_one_line(spawn_app):
    proc, url = spawn_app("--offline", "--share", "--no-warmup")
    assert not torch_loaded(proc.pid), "torch must not be imported before the page is served"
    Client(url, verbose=False)  # the API answers too
    assert not torch_loaded(proc.pid)
    proc.terminate()
    output = proc.communicate(timeout=20)[0]
    assert f"Serving at http://localhost:{url.rsplit(':', 1)[1].strip('/')}" in output
    assert "Could not create a public link" in output and "keeps serving locally" in output


def test_torch_is_warmed_up_after_serving(spawn_app):
    proc, _ = spawn_app("--offline")
    deadline = time.monotonic() + 60
    while not torch_loaded(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert torch_loaded(proc.pid), "the background warm-up imports torch once the page is up"


def test_auth_and_upload_limit(tiny_root):
    import httpx

    from app import build_app

    settings = Settings(offline=True, models_dirs=(tiny_root,), port=free_port(), auth=("ann", "pw"),
                        max_file_mb=1, warmup=False)
    built = build_app(settings)
    built.launch(server_name="127.0.0.1", server_port=settings.port, quiet=True)
    url = f"http://127.0.0.1:{settings.port}"
    try:
        with httpx.Client(base_url=url) as http:
            assert http.post("/gradio_api/upload", files={"files": ("a.txt", b"hi")}).status_code == 401
            assert http.post("/login", data={"username": "ann", "password": "wrong"}).status_code == 400
            assert http.post("/login", data={"username": "ann", "password": "pw"}).status_code == 200
            small = http.post("/gradio_api/upload", files={"files": ("a.txt", b"hi")})
            assert small.status_code == 200
            big = http.post("/gradio_api/upload", files={"files": ("big.bin", b"\0" * (2 * 1024 * 1024))})
            assert big.status_code == 413 and "maximum allowed size" in big.text
        Client(url + "/", auth=("ann", "pw"), verbose=False)
    finally:
        built.demo.close()


RACE = """
import sys, threading, time
from core.models import ModelManager
from core.registry import all_tasks, discover
from core.settings import Settings

root = sys.argv[1]
table = all_tasks(discover())
jobs = [("text-classification", "bert-seqcls", {"text": "hi"}), ("token-classification", "bert-tokcls", {"text": "hi"}),
        ("fill-mask", "roberta-mlm", {"text": "hi <mask>"}), ("text-generation", "gpt2", {"text": "hi"}),
        ("question-answering", "bert-qa", {"question": "who?", "context": "me"}),
        ("tokenize", "bert-base", {"text": "hi"}), ("embed", "bert-base", {"text": "hi"}),
        ("zero-shot-classification", "bert-nli", {"text": "hi", "candidate_labels": "a,b"})]
manager = ModelManager(Settings(device="cpu", offline=True, models_dirs=(root,)))
manager.warmup()
errors = []

def hit(delay, task_id, model, inputs):
    time.sleep(delay)
    task = table[task_id][1]
    try:
        manager.run(task, f"{root}/{model}", inputs, task.defaults())
    except Exception as exc:
        errors.append(f"{task_id}: {exc}")

threads = [threading.Thread(target=hit, args=(0.4 * i, *job)) for i, job in enumerate(jobs)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("\\n".join(errors) or "ok")
"""


def test_first_requests_race_neither_the_warm_up_nor_each_other(tiny_root):
    """The first clicks after the page is up arrive while the warm-up is still importing transformers, and
    load different models at once: each must load and run (transformers' lazy import and from_pretrained's
    meta-device init are not thread-safe on their own)."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    done = subprocess.run([sys.executable, "-c", RACE, str(tiny_root)], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.stdout.strip().splitlines()[-1:] == ["ok"], done.stdout + done.stderr[-2000:]
