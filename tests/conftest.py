"""Shared fixtures: tiny random models, the offline pack, one live app server, a gradio client, and
Playwright on Debian's chromium.

Nothing here touches the network: the Hub is unreachable on CI, so the app runs with --offline over
--models-dir folders that hold the tiny models and the offline pack.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
# One torch thread here and in every process the tests start (CLI runs, app servers, snippets, the 4.x driver):
# outputs compared across processes then sum floats in the same order (see one_torch_thread).
os.environ["OMP_NUM_THREADS"] = "1"

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("PLAYGROUND_CHROMIUM", "/usr/bin/chromium")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def tiny_root(tmp_path_factory) -> Path:
    """Folder holding every tiny random-weight model (built once per session, in seconds)."""
    from tests.tiny import build_all

    root = tmp_path_factory.mktemp("tiny")
    build_all(root)
    return root


@pytest.fixture(scope="session")
def tiny(tiny_root) -> dict[str, Path]:
    """name -> folder of each tiny model."""
    from tests.tiny import TINY

    return {name: tiny_root / name for name in TINY}


@pytest.fixture(scope="session")
def pack_dir() -> Path:
    """The offline model pack in ./pack (or PLAYGROUND_PACK_DIR), built once and kept between runs."""
    from core.offline_pack import build_pack

    dest = Path(os.environ.get("PLAYGROUND_PACK_DIR") or ROOT / "pack")
    build_pack(dest, install_missing=False, log=lambda line: None)
    return dest


@pytest.fixture(scope="session")
def settings(tiny_root, pack_dir, tmp_path_factory):
    """Offline settings over the tiny models and the offline pack; models trained in the Train tab go to a
    temporary folder, never the checkout's."""
    from core.settings import Settings

    return Settings(offline=True, device="cpu", models_dirs=(tiny_root, pack_dir), cache_models=8,
                    port=free_port(), warmup=False, trained_dir=tmp_path_factory.mktemp("trained"))


@pytest.fixture(scope="session")
def manager(settings):
    from core.models import ModelManager

    return ModelManager(settings)


@pytest.fixture(scope="session")
def app(settings, manager):
    """The whole app served on a free localhost port for the session."""
    from app import build_app

    built = build_app(settings, manager)
    built.launch(server_name="127.0.0.1", server_port=settings.port, quiet=True)
    yield built
    built.demo.close()


@pytest.fixture(scope="session")
def base_url(app) -> str:
    """URL of the live app (also pytest-playwright's base_url for page.goto('/'))."""
    return f"http://127.0.0.1:{app.ctx.settings.port}/"


@pytest.fixture(scope="session")
def client(base_url):
    """A gradio_client connected to the live app."""
    from gradio_client import Client

    return Client(base_url, verbose=False)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Playwright drives Debian's chromium (it cannot download its own browser here).

    A missing chromium is a failure, not a skip: CI must install it.
    """
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail(f"chromium not found at {CHROMIUM}: install Debian's chromium (see .ci/run)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--disable-quic"],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1280, "height": 1000}, "locale": "en-US"}


SCREENSHOTS = Path(os.environ.get("PLAYGROUND_SCREENSHOTS", ROOT / "screenshots"))


@pytest.fixture
def shoot():
    """shoot(page, name): save a full-page screenshot to screenshots/NAME.png (for people to look at)."""

    def take(page, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def wait_for_page(url: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    """Block until url answers 200; fail with the app's output if it exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"app exited: {proc.stdout.read() if proc.stdout else ''}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} was not served in time")


@pytest.fixture(scope="module")
def spawn_app(tiny_root):
    """spawn_app(*flags, env={...}) -> (process, url): `python app.py` in a subprocess, as users start it."""
    procs = []

    def spawn(*flags, env=None):
        port = free_port()
        full_env = dict(os.environ, PYTHONUNBUFFERED="1", **(env or {}))
        proc = subprocess.Popen(
            [sys.executable, "app.py", "--port", str(port), "--models-dir", str(tiny_root), *flags],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=full_env)
        procs.append(proc)
        url = f"http://127.0.0.1:{port}/"
        wait_for_page(url, proc)
        return proc, url

    yield spawn
    for proc in procs:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(items):
    """Keep each module's tests together, in the order a run of that module alone has. pytest-playwright gives
    every test that names a browser fixture (a `page`, or a QA test's `context` parameter) a session-scoped
    browser_name, and pytest moves all of those to the front of the session: the modules they come from then run
    in two parts, and their module fixtures (v4 oracle calls, servers) are set up twice."""
    modules: dict[str, int] = {}
    for item in items:
        modules.setdefault(item.nodeid.split("::", 1)[0], len(modules))
    result = yield
    position = {id(item): i for i, item in enumerate(items)}
    items.sort(key=lambda item: (modules[item.nodeid.split("::", 1)[0]], position[id(item)]))
    return result


@pytest.fixture(scope="session", autouse=True)
def umap_compiled_on_the_other_core():
    """`import umap` compiles pynndescent's numba functions (15-40 s in a fresh venv) and caches them on disk; a
    process started with the session does that on the second core, idle while tests run one at a time, so the
    UMAP tests later load the cache. What they run and check is unchanged (a cold cache only costs time)."""
    proc = subprocess.Popen([sys.executable, "-c", "import umap"], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    yield
    if proc.poll() is None:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="session", autouse=True)
def v4_driver_started(request):
    """When the session has differential tests, the 4.x driver starts with it (tests/v4.py keeps it), so its
    imports run on the second core before the first v4 test asks."""
    if any(item.get_closest_marker("v4") for item in request.session.items):
        from tests import v4

        v4.start()


@pytest.fixture(scope="session", autouse=True)
def one_torch_thread():
    """The test process runs torch on one thread, as tests/v4_driver.py does, set before any model or batcher
    thread exists (a thread keeps the count it started with): other thread counts sum floats in another order,
    enough to flip a random-weight model's near-tied beams against 4.x."""
    import torch

    torch.set_num_threads(1)
    yield
