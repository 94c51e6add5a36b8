"""`python app.py` serves the page before torch is even imported, says so when --share cannot work,
then warms up in the background; auth and upload limits hold."""

from __future__ import annotations

import time

import pytest
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


BUILD = """
import json, sys
started = []
sys.addaudithook(lambda event, args: started.append([str(a) for a in args[1]]) if event == "subprocess.Popen" else None)
from app import build_app
from core.settings import Settings
built = build_app(Settings(offline=True, warmup=False))
tables = [len(dataset.samples) for dataset, _ in built.ctx.example_tables]
print(json.dumps({"started": started, "tables": tables}))
"""


def test_build_starts_no_process():
    """Building the page runs no process: no ffprobe of the audio examples (gradio probes every example file
    it prepares for its input: that waits for the click), no tesseract (asked when Document QA is opened). The
    one exception is the video example's thumbnail in its table, which gradio probes to draw. Every table still
    has its rows."""
    import json
    import subprocess
    import sys

    from tests.conftest import ROOT

    done = subprocess.run([sys.executable, "-c", BUILD], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert [cmd for cmd in found["started"] if not (cmd[0] == "ffprobe" and cmd[-1].endswith((".mp4", ".webm")))] == []
    assert len(found["tables"]) > 30 and all(found["tables"]), found["tables"]


@pytest.mark.browser
@pytest.mark.parametrize("tab, title, field, media", [
    ("Audio", "Speech recognition", "automatic_speech_recognition_audio", "audio"),
    ("Audio", "Zero-shot audio classification", "zero_shot_audio_classification_audio", "audio"),
    ("Vision", "Video classification", "video_classification_video", "video"),
])
def test_a_clicked_media_example_fills_its_input(page, base_url, tab, title, field, media):
    """An example prepared on click (not at build) still lands in its input, playable."""
    from playwright.sync_api import expect

    page.goto(base_url)
    page.get_by_role("tab", name=tab, exact=True).click()
    page.get_by_role("tab", name=title, exact=True).click()
    panel = page.locator(f"#task_{field.rsplit('_', 1)[0]}")
    rows = panel.locator(".gallery-item, tr.tr-body")
    expect(rows.first).to_be_visible()
    expect(page.locator(f"#{field} [href*='/gradio_api/file='], #{field} [src*='/gradio_api/file='], "
                        f"#{field} {media}")).to_have_count(0)
    rows.first.click()
    served = page.locator(f"#{field} [href*='/gradio_api/file='], #{field} [src*='/gradio_api/file=']").first
    expect(served).to_be_attached(timeout=20_000)  # the file gradio prepared for the input, served
    expect(page.locator(f"#{field} {media}, #{field} .waveform-container").first).to_be_attached()


def _tabs_of(config: dict) -> dict[int, list[str]]:
    """component id -> the elem_ids of the tabs it is in, outermost first (from the page's layout)."""
    elem = {c["id"]: c["props"].get("elem_id") or "" for c in config["components"]}
    found: dict[int, list[str]] = {}

    def walk(node: dict, tabs: list[str]) -> None:
        found[node["id"]] = tabs
        own = elem.get(node["id"], "")
        inner = tabs + [own] if own.startswith(("tab_", "task_")) else tabs
        for child in node.get("children", []):
            walk(child, inner)

    walk(config["layout"], [])
    return found


@pytest.mark.browser
@pytest.mark.parametrize("locale", ["en-US", "ko-KR"])
def test_every_sub_tab_shows_its_examples(browser, app, base_url, locale, shoot):
    """Examples stay in the page (only their files wait for a click): each sub-tab with an Examples table
    shows all of its rows when opened. Screenshots: screenshots/startup_examples_*.png."""
    from playwright.sync_api import expect

    expected: dict[str, tuple[str, int]] = {}  # task tab elem_id -> (top tab elem_id, rows on its first page)
    tabs = _tabs_of(app.demo.config)
    for dataset, _ in app.ctx.example_tables:
        if len(tabs[dataset._id]) < 2:  # the Embeddings tab's shared rows, above its sub-tabs
            continue
        top, task = tabs[dataset._id][:2]
        rows = expected.get(task, (top, 0))[1] + min(len(dataset.samples), dataset.samples_per_page)
        expected[task] = (top, rows)
    assert len(expected) > 30
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    try:
        page.goto(base_url)
        shot_tabs = set()
        for task_id, (top_id, rows) in expected.items():
            page.locator(f"#{top_id}-button").click()
            page.locator(f"#{task_id}-button").click()
            cells = page.locator(f"#{task_id} .gallery-item, #{task_id} tr.tr-body")  # gradio's example rows
            expect(cells.first).to_be_visible()
            assert cells.filter(visible=True).count() >= rows, task_id
            if top_id not in shot_tabs or task_id in ("task_video_classification", "task_document_question_answering"):
                shot_tabs.add(top_id)
                shoot(page, f"startup_examples_{task_id.removeprefix('task_')}_{locale[:2]}")
    finally:
        context.close()


def test_every_declared_example_loads_into_its_inputs(app):
    """Each example row, clicked, gives its inputs their values (examples are prepared at click time, from
    rows that may hold DataFrames, files or None): the page's own click handler, called as gradio calls it."""
    loaders = [fn for fn in app.demo.fns.values() if fn.name == "load_example"]
    assert len(loaders) >= 30
    for fn in loaders:
        dataset = fn.inputs[0]
        for i in range(len(dataset.samples)):
            out = fn.fn(dataset.preprocess(i))  # the page sends the row's index
            updates = out if isinstance(out, list) else [out]
            assert len(updates) == len(fn.outputs), (dataset.elem_id, i)
            assert any(isinstance(u, dict) and u.get("value") not in (None, "") for u in updates), (dataset.elem_id, i)
