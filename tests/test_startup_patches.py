"""core.gradio_startup's patches give gradio's own results: the served page's config, the API info and the
server's routes of the whole app equal those of an unpatched build; each per-block patch equals the code it
replaces."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT, free_port

DUMP = """
import json, sys
if sys.argv[1] == "gradio":
    import core.gradio_startup
    core.gradio_startup.install = lambda: False
from app import build_app
from core.settings import Settings
import gradio as gr
built = build_app(Settings(offline=True, warmup=False))
exited = built.demo.config  # the config of the `with` (made when read, with the patches)
built.launch(server_name="127.0.0.1", server_port=int(sys.argv[2]), quiet=True, _frontend=False)  # no HEAD wait
demo = built.demo
try:
    def plain(config):
        return {k: v for k, v in config.items() if k != "app_id"}
    import httpx
    url = f"http://127.0.0.1:{sys.argv[2]}/"
    head, page = httpx.head(url, timeout=60), httpx.get(url, timeout=60)
    served = [head.status_code, head.headers["content-type"], page.status_code, "gradio_api_info" in page.text]
    pages = []  # each cached page (made, then served again) next to gradio's own main() for the same request
    cache = getattr(demo.server_app, "page_cache", None)
    if cache is not None:
        from starlette.requests import Request
        def request(headers, root_path):
            headers = [(b"host", b"127.0.0.1:" + sys.argv[2].encode())] + [(k.encode(), v.encode()) for k, v in headers]
            return Request({"type": "http", "method": "GET", "path": "/", "headers": headers, "query_string": b"",
                            "scheme": "http", "server": ("127.0.0.1", int(sys.argv[2])), "root_path": root_path,
                            "app": demo.server_app})
        proxy = (("x-forwarded-host", "example.org"), ("x-forwarded-proto", "https"))
        for headers, root_path, user in (((), "", None), (proxy, "", None), ((), "/sub", "ann")):
            made, again = (cache.get(request(headers, root_path), user, "", "").body for _ in range(2))
            own = cache.original(request(headers, root_path), user, "", "").body
            pages.append([made == own, again == own, made.count(b"https://example.org/"), made.count(b"/sub/")])
        pages.append(httpx.get(url, timeout=60).text == page.text)
    blocks = [(type(b).__name__, b.constructor_args) for b in demo.blocks.values()]
    print(json.dumps({"patched": type(gr.Blocks.__dict__.get("config")).__name__,
                      "exited": plain(exited), "config": plain(demo.config), "api": demo.get_api_info(),
                      "routes": sorted(getattr(r, "path", type(r).__name__) for r in demo.server_app.routes),
                      "blocks": blocks, "served": served, "pages": pages,
                      "styler": "pandas.io.formats.style" in sys.modules}, default=lambda o: type(o).__name__))
finally:
    demo.close()
"""


@pytest.fixture(scope="module")
def builds() -> dict:
    found = {}
    for mode in ("gradio", "patched"):
        done = subprocess.run([sys.executable, "-c", DUMP, mode, str(free_port())], cwd=ROOT, capture_output=True,
                              text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
        found[mode] = json.loads(next(line for line in done.stdout.splitlines() if line.startswith("{")))
    return found


def test_the_app_is_built_and_served_as_gradio_builds_it(builds):
    gradio, patched = builds["gradio"], builds["patched"]
    assert patched["patched"] == "_Lazy" and gradio["patched"] != "_Lazy"  # both modes really ran
    assert len(patched["blocks"]) > 500
    assert patched["blocks"] == gradio["blocks"]  # every component's constructor arguments
    assert patched["config"] == gradio["config"]
    assert patched["exited"] == gradio["exited"]
    assert patched["api"] == gradio["api"]
    assert patched["routes"] == gradio["routes"]
    # GET / served from the page cache: gradio's own page for each root URL (a proxy's, a sub-path) and user
    pages = patched["pages"]
    assert gradio["pages"] == [] and len(pages) == 4 and pages[-1] is True
    assert all(made and again for made, again, *_ in pages[:3]), pages
    assert pages[0][2:] == [0, 0] and pages[1][2] > 10 and pages[2][3] > 10  # file URLs under each root
    assert gradio["styler"] and not patched["styler"]  # its tables built without importing pandas' Styler
    # HEAD / (launch's localhost check) is answered without the page, GET / serves it
    assert patched["served"] == gradio["served"] == [200, "text/html; charset=utf-8", 200, True]


def test_per_block_patches_equal_gradio():
    import os
    import tempfile

    import gradio as gr
    from gradio import blocks, processing_utils, utils

    import core.ui  # noqa: F401  (installs the patches)

    assert blocks.get_upload_folder() == blocks.get_upload_folder.original() == utils.get_upload_folder()
    assert processing_utils.get_upload_folder is blocks.get_upload_folder
    os.environ["GRADIO_TEMP_DIR"] = tempfile.gettempdir() + "/elsewhere"
    try:
        assert blocks.get_upload_folder() == utils.get_upload_folder()
    finally:
        del os.environ["GRADIO_TEMP_DIR"]
    original = gr.components.Component.api_info.original
    makers = [m for m in (gr.Image, gr.Audio, gr.File, gr.Video, gr.Dataframe, gr.JSON, gr.Label, gr.Gallery)
              if m.api_info is gr.components.Component.api_info]  # (the others have their own)
    assert len(makers) >= 4
    for make in makers:
        first, second = make(render=False), make(render=False)
        assert first.api_info() == original(make(render=False))
        first.api_info()["changed"] = True  # a caller's change stays with its component
        assert "changed" not in second.api_info()
    for make in (gr.FileExplorer, gr.Textbox, gr.Image, gr.Dataframe, gr.Chatbot):
        component = make(render=False)  # its @server methods, found as gradio's own loop finds them
        assert component.server_fns == [getattr(component, name) for name in dir(make)
                                        if callable(getattr(component, name))
                                        and getattr(getattr(component, name), "_is_server_fn", False)]
    assert gr.FileExplorer(render=False).server_fns and gr.components.Component.__init__.original
    block_config = gr.blocks.Block.get_config
    with gr.Blocks():  # each block's config as gradio's own Block.get_config makes it (through the subclasses)
        made = [gr.Dataframe(headers=["a"], render=True), gr.Gallery(), gr.Dropdown(["x"], value="x", info="i"),
                gr.Accordion("A", open=False), gr.Button("B", variant="primary"), gr.Code(language="python"),
                gr.Dataset(components=[gr.Textbox(render=False)], samples=[["s"]])]
    for block in made:
        ours = block.get_config()
        gr.blocks.Block.get_config = block_config.original
        try:
            assert ours == block.get_config(), type(block).__name__
        finally:
            gr.blocks.Block.get_config = block_config
    slider = gr.Slider(0, 10, 3, step=1, render=False)  # positional arguments named as gradio names them
    assert slider.constructor_args == {"minimum": 0, "maximum": 10, "value": 3, "step": 1, "render": False}
    assert type(slider).__init__._args_once


def test_dataframe_methods_equal_gradio():
    import numpy as np
    import pandas as pd
    from gradio.components.dataframe import Dataframe

    import core.ui  # noqa: F401

    frame = pd.DataFrame({"n": [1, 2], "s": ["x", "y"], "f": [0.5, 1.5]})
    values = [None, [], [[]], [[1, "a"]], {"data": [[1]], "headers": ["h"]}, {"data": []}, np.array([[1, 2]]),
              np.array([]), frame, frame.iloc[:0], frame.style.highlight_max(color="yellow")]
    def outcome(fn, args, table):
        try:
            result = fn(*args)
        except Exception as exc:  # noqa: BLE001 (gradio's own error is part of its result)
            result = (type(exc).__name__, str(exc))
        return repr(result), table.datatype

    for interactive in (False, True):
        table = Dataframe(headers=["n", "s", "f"], interactive=interactive, render=False)
        for name in ("is_empty", "get_headers", "get_cell_data", "get_metadata", "postprocess", "set_auto_datatype"):
            attr = Dataframe.__dict__[name]
            fn = getattr(attr, "__func__", attr)
            assert fn.original is not fn, name
            for value in values:
                args = (value,) if isinstance(attr, staticmethod) else (table, value)
                assert outcome(fn, args, table) == outcome(fn.original, args, table), (name, value)


def test_a_blocks_config_and_app_are_made_when_read():
    import gradio as gr
    from gradio.routes import App

    import core.ui  # noqa: F401

    with gr.Blocks() as demo:
        box = gr.Textbox(label="In")
        box.submit(lambda x: x, box, box, api_name="echo")
    assert "_lazy_app" in demo.__dict__ and demo.__dict__["_lazy_config"] is not None
    assert demo.config == demo.get_config_file()
    assert isinstance(demo.app, App) and demo.app is demo.app
    fresh = App.create_app(demo, mcp_server=False)
    def paths(app):
        return sorted(getattr(r, "path", type(r).__name__) for r in app.routes)

    assert paths(demo.app) == paths(fresh) and len(paths(fresh)) > 20


def test_few_collections_while_starting_then_the_usual_ones():
    import gc

    from core.gradio_startup import few_collections

    usual, frozen = gc.get_threshold(), gc.get_freeze_count()
    try:
        with few_collections():
            assert gc.get_threshold()[0] > 10 * usual[0]
        assert gc.get_threshold() == usual and gc.get_freeze_count() > frozen  # start-up's objects set aside
        with pytest.raises(KeyError), few_collections(freeze=False):
            raise KeyError("a failed start")
        assert gc.get_threshold() == usual
    finally:
        gc.unfreeze()
