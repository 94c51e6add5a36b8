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
