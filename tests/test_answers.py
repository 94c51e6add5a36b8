"""What an answer carries and what it leaves to later (issue 14): downloads are written on the page's follow-up
event, never in the API's answer; a run without notes sends the notes' value, not an update; Code panel
snippets that name no file are kept and given again."""

from __future__ import annotations

import csv
import io

import httpx
import numpy as np

from demos.embeddings.embed import TASK as EMBED
from tests.test_embeddings_common import COMMON, minilm  # noqa: F401


def follow_up(app, elem_ids: list[str]) -> int:
    """The fn index of the private event that fills exactly these components."""
    return next(i for i, fn in app.demo.fns.items() if [c.elem_id for c in fn.outputs] == elem_ids)


def test_downloads_come_with_the_pages_follow_up_not_in_the_api(app, client, base_url, minilm):  # noqa: F811
    api = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    for name in ("/embed", "/project"):
        assert not [r for r in api[name]["returns"] if r["component"] == "File"], name
    vectors = np.array(client.predict(**COMMON, model=minilm, api_name="/embed")[-3])

    def ask() -> list:
        answer = httpx.post(f"{base_url}gradio_api/run/predict", timeout=60,
                            json={"fn_index": follow_up(app, ["embed_files"]), "data": [], "event_data": None,
                                  "session_hash": client.session_hash, "trigger_id": None})
        answer.raise_for_status()
        return answer.json()["data"]

    files = {f["orig_name"]: f["url"] for f in ask()[0]}
    assert sorted(files) == ["embeddings.csv", "embeddings.npy"]
    saved = np.load(io.BytesIO(httpx.get(files["embeddings.npy"], timeout=30).content))
    assert saved.dtype == np.float32 and saved.shape == vectors.shape
    assert np.abs(saved - vectors).max() < 6e-7  # the JSON's are rounded to 6 decimals
    table = list(csv.reader(io.StringIO(httpx.get(files["embeddings.csv"], timeout=30).content.decode("utf-8-sig"))))
    assert table[0][:4] == ["text", "label", "kind", "d0"] and len(table) == len(vectors) + 1
    assert np.allclose(np.array(table[1:], dtype=object)[:, 3:].astype(float), vectors, atol=1e-5)
    assert not isinstance(ask()[0], list)  # asked twice: nothing new to make, the page keeps what it has


def test_notes_are_updated_only_when_they_come_or_go(base_url, minilm):  # noqa: F811
    from gradio_client import Client

    page = Client(base_url, verbose=False)  # one session, as a page is

    def notes(text: str):
        return page.predict(text=text, model=minilm, api_name="/tokenize")[-4]

    assert notes("I love cats.") == ""  # hidden as the page built it: the value alone
    shown = notes("I love 🦜 cats.")
    assert shown["visible"] is True and "unknown" in shown["value"]
    hidden = notes("I love cats.")
    assert hidden["visible"] is False and hidden["value"] == ""
    assert notes("I love dogs.") == ""
    assert Client(base_url, verbose=False).predict(text="I love 🦜 cats.", model=minilm,
                                                  api_name="/tokenize")[-4]["visible"] is True


def test_snippets_that_name_no_file_are_kept(manager, minilm, tiny):  # noqa: F811
    from core import models
    from demos.vision.common import sample
    from demos.vision.image_classification import TASK as CLASSIFY

    first = manager.run(EMBED, minilm, {"text": "A cat sleeps."}, {"normalize": True})
    again = manager.run(EMBED, minilm, {"text": "A cat sleeps."}, {"normalize": True})
    assert again.code is first.code
    models._SNIPPETS.items.clear()
    assert manager.run(EMBED, minilm, {"text": "A cat sleeps."}, {"normalize": True}).code == first.code
    other = manager.run(EMBED, minilm, {"text": "A dog barks."}, {"normalize": True}).code
    assert "A dog barks." in other and "A cat sleeps." not in other
    cls = manager.run(EMBED, minilm, {"text": "A cat sleeps."}, {"normalize": True, "pooling": "cls"}).code
    assert cls != first.code and "hidden[:, 0]" in cls

    photo = {"image": sample("cheetah")}
    one = manager.run(CLASSIFY, str(tiny["vit-imgcls"]), photo, {"top_k": 2}).code
    two = manager.run(CLASSIFY, str(tiny["vit-imgcls"]), photo, {"top_k": 2}).code
    assert one == two and one is not two  # it names a file: written again each time
    assert not [key for key in models._SNIPPETS.items if key[0] == CLASSIFY.id]
