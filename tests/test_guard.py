"""The guard in front of the gradio server (core/guard.py), on the real app launched with --auth: the login
page shows no API or paths, failed logins are throttled per client, large bodies are refused in one line."""

from __future__ import annotations

import httpx
import pytest

from core.guard import LoginThrottle
from tests.conftest import free_port


@pytest.fixture(scope="module")
def guarded(settings, manager):
    """The whole app with a login, on its own port."""
    from dataclasses import replace

    from app import build_app

    s = replace(settings, port=free_port(), auth=("ann", "right-password"), max_body_mb=0.25)
    built = build_app(s, manager)
    built.launch(server_name="127.0.0.1", server_port=s.port, quiet=True)
    yield f"http://127.0.0.1:{s.port}"
    built.demo.close()


def test_login_page_reveals_no_api_and_no_paths(guarded, tiny_root, pack_dir):
    page = httpx.get(guarded + "/").text
    assert "window.gradio_api_info = null" in page
    for secret in (str(tiny_root), str(pack_dir), "text_classification", "/gradio_api/info"):
        assert secret not in page, secret
    for route in ("/config", "/gradio_api/info", "/gradio_api/openapi.json"):
        assert httpx.get(guarded + route).status_code == 401, route


def test_failed_logins_are_throttled_then_the_right_one_works_later(guarded):
    headers = {"X-Forwarded-For": "203.0.113.7"}
    codes = [httpx.post(guarded + "/login", data={"username": "ann", "password": f"wrong{i}"}, headers=headers).status_code
             for i in range(8)]
    assert codes[:5] == [400] * 5 and set(codes[5:]) == {429}
    right = httpx.post(guarded + "/login", data={"username": "ann", "password": "right-password"}, headers=headers)
    assert right.status_code == 429 and "Too many failed logins" in right.json()["detail"]
    other = httpx.post(guarded + "/login", data={"username": "ann", "password": "right-password"},
                       headers={"X-Forwarded-For": "198.51.100.2"})
    assert other.status_code == 200, "another client is not locked out"
    with httpx.Client(base_url=guarded) as browser:
        browser.post("/login", data={"username": "ann", "password": "right-password"},
                     headers={"X-Forwarded-For": "198.51.100.3"})
        page = browser.get("/").text
        assert "text_classification" in page, "after login the page is whole"


def test_a_large_body_is_refused_in_one_line(guarded):
    big = "x" * 400_000
    answer = httpx.post(guarded + "/gradio_api/queue/join", json={"data": [big], "fn_index": 0}, timeout=30)
    assert answer.status_code == 413
    assert answer.json()["detail"].startswith("The request is too large") and "--max-body-mb" in answer.json()["detail"]


def test_throttle_backs_off_and_forgets_on_success():
    throttle = LoginThrottle(allowed=2, window=60, base=10, longest=100)
    for t in (0, 1):
        assert throttle.wait_for("a", now=t) == 0
        throttle.failed("a", now=t)
    assert throttle.wait_for("a", now=2) == pytest.approx(9)
    throttle.failed("a", now=12)
    assert throttle.wait_for("a", now=13) == pytest.approx(19)  # doubled
    assert throttle.wait_for("b", now=13) == 0
    throttle.succeeded("a")
    assert throttle.wait_for("a", now=14) == 0
