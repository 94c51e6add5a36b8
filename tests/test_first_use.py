"""A first use without surprises: Code panels name files as the student has them (never the server's upload
paths) and run on the student's machine; a first run shows that the model is loading; the "Use via API" page
reads; details report the real inference time."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.loading import gradio_folders
from demos.vision.common import make_video, sample

ROOT = Path(__file__).resolve().parent.parent
# what a server upload path looks like inside a snippet: gradio's upload folder, or its file address
TEMP_PATH = (*(str(folder) + "/" for folder in gradio_folders()), "gradio_api/file=")


# ---- files with names that are the student's own -------------------------------------------------------------
@pytest.fixture(scope="module")
def uploads(tmp_path_factory) -> dict[str, Path]:
    """Files under names only a student would give them: a photo, a recording, a clip, a CSV, a document."""
    import soundfile as sf

    from demos.multimodal.common import render_invoice

    folder = tmp_path_factory.mktemp("student")
    files = {"image": folder / "my cat (1).png", "audio": folder / "voice memo 3.wav",
             "video": folder / "holiday clip.webm", "csv": folder / "my rows.csv",
             "document": folder / "receipt scan.png", "image2": folder / "other picture.png"}
    shutil.copy(sample("chelsea"), files["image"])
    Image.open(sample("coffee")).resize((96, 64)).save(files["image2"])
    t = np.arange(16000 * 2) / 16000
    sf.write(str(files["audio"]), (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 16000)
    make_video(files["video"], frames=16)
    lines = [f"A cat number {i} sits on the mat.,animals\nStocks fell {i} points today.,money" for i in range(160)]
    files["csv"].write_text("text,label\n" + "\n".join(lines) + "\n", encoding="utf-8")  # read by the code, not listed
    render_invoice(files["document"])
    return files


def file_calls(tiny, uploads) -> dict[str, tuple[dict, list[str]]]:
    """api name -> (the call's arguments, the uploaded names its Code panel must give): every task that reads a
    file, each with an upload."""
    from gradio_client import handle_file

    def f(name):
        return handle_file(str(uploads[name]))

    img, audio = f("image"), f("audio")
    rows = dict(text="", pooling="auto", layer=-1, normalize=False, batch_size=32)
    clip, cat = str(tiny["clip"]), uploads["image"].name
    return {
        "automatic_speech_recognition": (dict(audio=audio, model=str(tiny["wav2vec2-ctc"])), [uploads["audio"].name]),
        "audio_classification": (dict(audio=audio, model=str(tiny["wav2vec2-audiocls"])), [uploads["audio"].name]),
        "zero_shot_audio_classification": (dict(audio=audio, candidate_labels="speech, music", model=str(tiny["clap"])),
                                           [uploads["audio"].name]),
        "image_classification": (dict(image=img, top_k=2, model=str(tiny["vit-imgcls"])), [cat]),
        "object_detection": (dict(image=img, threshold=0.0, model=str(tiny["detr"])), [cat]),
        "image_segmentation": (dict(image=img, subtask="panoptic", threshold=0.0, model=str(tiny["detr-panoptic"])),
                               [cat]),
        "depth_estimation": (dict(image=img, model=str(tiny["dpt"])), [cat]),
        "zero_shot_image_classification": (dict(image=img, candidate_labels="cat, dog", model=clip), [cat]),
        "zero_shot_object_detection": (dict(image=img, candidate_labels="a cat", threshold=0.1,
                                            model=str(tiny["owlvit"])), [cat]),
        "mask_generation": (dict(image=img, point="40, 30", model=str(tiny["sam"])), [cat]),
        "image_to_image": (dict(image=img, max_input_pixels=65536, model=str(tiny["swin2sr"])), [cat]),
        "image_feature_extraction": (dict(image=img, pooling="none", model=str(tiny["dinov2"])), [cat]),
        "image_backbone": (dict(image=img, out_indices="1, 2", out_features="", model=str(tiny["swin-backbone"])),
                           [cat]),
        "video_classification": (dict(video=f("video"), num_frames=0, top_k=2, model=str(tiny["videomae"])),
                                 [uploads["video"].name]),
        "document_question_answering": (dict(image=f("document"), question="What is the total?", word_boxes="",
                                             top_k=1, model=str(tiny["layoutlm-docqa"])),
                                        [uploads["document"].name]),
        "visual_question_answering": (dict(image=img, question="What is it?", top_k=1, model=str(tiny["vilt-vqa"])),
                                      [cat]),
        "image_to_text": (dict(image=img, text="", max_new_tokens=3, model=str(tiny["blip-caption"])), [cat]),
        "image_text_to_text": (dict(message={"text": "And this one?", "files": [f("image2")]}, image=img, history=[],
                                    max_new_tokens=2, model=str(tiny["vlm-chat"])),
                               [uploads["image2"].name, cat]),
        "embed": (dict(rows, file=f("csv"), images=[img, f("image2")], model=clip),
                  [uploads["csv"].name, cat, uploads["image2"].name]),
        "similarity": (dict(rows, file=f("csv"), images=[img], model=clip), [uploads["csv"].name, cat]),
        "neighbors": (dict(rows, file=f("csv"), images=[img], query="a cat", model=clip), [uploads["csv"].name, cat]),
        "project": (dict(rows, file=f("csv"), images=[img, f("image2")], method="pca", dimensions=2, model=clip),
                    [uploads["csv"].name, cat, uploads["image2"].name]),
    }


def test_every_file_task_is_called_here(tiny, uploads):
    """The calls below cover every task that reads a file (a new one must be added to them)."""
    from core.registry import all_tasks, discover

    with_files = {spec.api_name for _, spec in all_tasks(discover()).values() if spec.file_inputs}
    assert with_files == set(file_calls(tiny, uploads))


@pytest.fixture(scope="module")
def code_panels(client, tiny, uploads) -> dict[str, tuple[str, dict]]:
    """api name -> (its Code panel, its raw output) after a run through the gradio API with the uploads."""
    panels = {}
    for api, (call, _) in file_calls(tiny, uploads).items():
        out = client.predict(**call, api_name=f"/{api}")
        raw, code = out[-3], out[-2]
        panels[api] = (code.get("value", code) if isinstance(code, dict) else code, raw)
    return panels


@pytest.mark.parametrize("api", sorted(["automatic_speech_recognition", "audio_classification",
                                        "zero_shot_audio_classification", "image_classification", "object_detection",
                                        "image_segmentation", "depth_estimation", "zero_shot_image_classification",
                                        "zero_shot_object_detection", "mask_generation", "image_to_image",
                                        "image_feature_extraction", "image_backbone", "video_classification",
                                        "document_question_answering", "visual_question_answering", "image_to_text",
                                        "image_text_to_text", "embed", "similarity", "neighbors", "project"]))
def test_code_panels_name_uploads_as_the_student_has_them(api, code_panels, tiny, uploads):
    code, _ = code_panels[api]
    _, names = file_calls(tiny, uploads)[api]
    assert not any(marker in code for marker in TEMP_PATH), code
    assert str(uploads["image"].parent) not in code  # nor the path the client sent it from
    for name in names:
        assert repr(name) in code, (name, code)  # the file as a literal the snippet opens...
        assert f"# {name}: the file you uploaded; put it in the folder you run this from" in code  # ...and where
    compile(code, f"{api}.py", "exec")


def test_an_uploaded_photo_snippet_runs_in_a_fresh_process_and_gives_the_apps_result(code_panels, uploads, tmp_path):
    """The student's copy: the Code panel saved as a script, the photo put beside it under its own name."""
    code, raw = code_panels["image_classification"]
    shutil.copy(uploads["image"], tmp_path / uploads["image"].name)
    (tmp_path / "snippet.py").write_text(code, encoding="utf-8")
    env = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONPATH="")
    done = subprocess.run([sys.executable, "snippet.py"], cwd=tmp_path, capture_output=True, text=True, env=env,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    printed = ast.literal_eval(done.stdout.strip().splitlines()[-1])
    assert [d["label"] for d in printed] == [d["label"] for d in raw]
    assert np.allclose([d["score"] for d in printed], [d["score"] for d in raw], rtol=1e-4, atol=1e-6)


def test_examples_of_the_page_are_named_with_where_to_get_them(client, tiny):
    """A bundled example (gradio's cheetah, sent as the page sends an example) is named by its own name, with
    the address to download it."""
    from gradio_client import handle_file

    out = client.predict(image=handle_file(sample("cheetah")), top_k=1, model=str(tiny["vit-imgcls"]),
                         api_name="/image_classification")
    code = out[-2]
    assert not any(marker in code for marker in TEMP_PATH), code
    assert "'cheetah.jpg'" in code
    url = "https://github.com/gradio-app/gradio/raw/main/gradio/media_assets/images/cheetah.jpg"
    assert f"# cheetah.jpg: gradio's sample {url}; download it into the folder you run this from" in code


def test_cli_snippets_keep_the_students_own_paths(manager, tiny, uploads):
    """On the command line the files are on the student's machine already: the path stays as given."""
    from core.registry import all_tasks, discover

    task = all_tasks(discover())["image-classification"][1]
    result = manager.run(task, str(tiny["vit-imgcls"]), {"image": str(uploads["image"])}, {"top_k": 1})
    assert repr(str(uploads["image"].resolve())) in result.code
    assert "# " + uploads["image"].name not in result.code


def test_two_uploads_of_one_name_get_two_names_in_the_snippet(tmp_path):
    """Two different files sent under one name (two clipboard pastes) do not become one file in the code."""
    from core import codegen

    first, second = tmp_path / "a" / "image.png", tmp_path / "b" / "image.png"
    for path, colour in ((first, "red"), (second, "blue")):
        path.parent.mkdir()
        Image.new("RGB", (4, 4), colour).save(path)
        codegen.uploaded(str(path), "image.png")
    with codegen.naming_files() as named:
        assert codegen.py([str(first), str(second), str(first)]) == "['image.png', 'image-2.png', 'image.png']"
    assert [line.split(":")[0] for line in codegen.file_notes(named)] == ["# image.png", "# image-2.png"]


def test_an_upload_name_cannot_break_out_of_the_comment(tmp_path):
    from core import codegen

    path = tmp_path / "x.png"
    path.write_bytes(b"x")
    codegen.uploaded(str(path), "evil\nimport os; os.system('rm -rf ~')\n../../x.png")
    with codegen.naming_files() as named:
        literal = codegen.path_literal(str(path))
    assert "\n" not in literal and "/" not in literal
    assert all("\n" not in line for line in codegen.file_notes(named))
    json.dumps(literal)


# ---- a first run shows that the model is loading ---------------------------------------------------------------
@pytest.fixture
def fresh_model(tiny_root, pack_dir):
    """fresh_model(tag): a model folder no run has loaded yet (SmolLM2 from the pack, linked file by file into a
    new folder of an offered --models-dir), so its first run loads it, for a second or two."""
    import uuid

    def make(tag: str) -> Path:
        folder = tiny_root / f"fresh-{tag}-{uuid.uuid4().hex[:6]}"
        folder.mkdir()
        for item in (pack_dir / "SmolLM2-135M-Instruct").iterdir():
            (folder / item.name).symlink_to(item)
        return folder

    return make


# records every one of the texts that shows at any moment (a MutationObserver sees each change of the page)
SEEN = """texts => { window.__seen = []; new MutationObserver(() => {
    for (const t of texts) if (document.body.innerText.includes(t) && !window.__seen.includes(t)) window.__seen.push(t); })
    .observe(document.body, {subtree: true, childList: true, characterData: true}); }"""


def run_generation(page, folder: Path, prompt: str, tab: str, subtab: str) -> None:
    page.get_by_role("tab", name=tab, exact=True).click()
    page.locator("#tab_text").get_by_role("tab", name=subtab, exact=True).click()
    page.locator("#text_generation_prompt textarea").fill(prompt)
    model = page.locator("#text_generation_model input")
    model.fill(str(folder))
    model.press("Enter")
    page.locator("#text_generation_run").click()


@pytest.mark.browser
@pytest.mark.parametrize("locale, tab, subtab, loading, loaded", [
    ("en-US", "Text", "Text generation", "Loading model {name}…", "Loaded {name} in"),
    ("ko-KR", "텍스트", "텍스트 생성", "모델 {name} 불러오는 중…", "{name}을(를)"),
])
def test_a_first_run_shows_the_model_loading_and_a_cached_one_does_not(browser, base_url, fresh_model, shoot,
                                                                     locale, tab, subtab, loading, loaded):
    from playwright.sync_api import expect

    folder = fresh_model(locale[:2])
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    try:
        texts = [loading.format(name=folder.name), loaded.format(name=folder.name)]
        page.goto(base_url)
        page.evaluate(SEEN, texts)
        run_generation(page, folder, "The capital of France is", tab, subtab)
        # the stage shows while the model loads (polled every 20 ms, then a screenshot of it in flight)
        page.wait_for_function("text => document.body.innerText.includes(text)",
                               arg=loading.format(name=folder.name), polling=20, timeout=60_000)
        shot = shoot(page, f"first_use_loading_{locale[:2]}")
        expect(page.locator("#text_generation_code")).to_contain_text("The capital of France is", timeout=120_000)
        assert shot.stat().st_size > 10_000
        assert page.evaluate("window.__seen") == texts  # loading, then loaded and running (the watch works)
        # the same model again, from a fresh page: cached, so no loading stage at all
        page.goto(base_url)
        page.evaluate(SEEN, texts)
        run_generation(page, folder, "Two plus two is", tab, subtab)
        expect(page.locator("#text_generation_code")).to_contain_text("Two plus two is", timeout=120_000)
        assert page.evaluate("window.__seen") == []
    finally:
        context.close()


# ---- the "Use via API" page reads -----------------------------------------------------------------------------
def test_api_info_names_parameters_by_their_labels(base_url):
    import urllib.request

    with urllib.request.urlopen(base_url + "gradio_api/info", timeout=30) as response:
        info = json.loads(response.read())
    assert "__i18n__" not in json.dumps(info)
    labels = {p["parameter_name"]: p["label"] for p in info["named_endpoints"]["/image_classification"]["parameters"]}
    # model_2 / model_3: the optional models of a comparison (core.compare)
    assert labels == {"image": "Image", "top_k": "top_k", "model": "Model", "model_2": "Model 2", "model_3": "Model 3"}
    returns = [r["label"] for r in info["named_endpoints"]["/image_classification"]["returns"]]
    assert "Code (transformers 5)" in returns and "Labels" in returns


@pytest.mark.browser
def test_the_api_page_shows_labels_not_object_object(page, base_url, shoot):
    from playwright.sync_api import expect

    page.goto(base_url)
    page.get_by_text("Use via API").first.click()
    expect(page.get_by_text("/image_classification").first).to_be_visible(timeout=30_000)
    page.wait_for_timeout(1000)
    shoot(page, "first_use_api_page")
    text = page.locator("body").inner_text()
    assert "[object Object]" not in text
    assert "/text_generation" in text and "Code (transformers 5)" in text


# ---- honest details: the embedding views report the time their model really ran ---------------------------------
def test_embedding_runs_time_the_model_and_not_the_projection(client, pack_dir):
    rows = dict(text="a cat\na dog\na car\na bus", file=None, images=[], pooling="auto", layer=-1, normalize=False,
                batch_size=32, model=str(pack_dir / "all-MiniLM-L6-v2"))
    for api in ("similarity", "embed", "neighbors"):
        details = client.predict(**rows, **({"query": "cat"} if api == "neighbors" else {}), api_name=f"/{api}")[-1]
        assert details["inference_seconds"] > 0 and "postprocess_seconds" not in details, (api, details)
    details = client.predict(**rows, method="tsne", dimensions=2, perplexity=2, api_name="/project")[-1]
    assert details["inference_seconds"] > 0 and details["postprocess_seconds"] > 0
