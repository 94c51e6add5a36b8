"""Screenshots of every tab and sub-tab, in English and Korean, for people to look at (not a test).

    .venv/bin/python scripts/screenshots.py OUT_DIR [--url URL | --models-dir DIR ...] [--lang en,ko]

Without --url it serves the app itself (offline, over the given --models-dir folders) on a free port.
Playwright drives Debian's chromium (/usr/bin/chromium).
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(models_dirs: list[str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    dirs = [a for d in models_dirs for a in ("--models-dir", d)]
    proc = subprocess.Popen([sys.executable, "app.py", "--port", str(port), "--offline", "--no-warmup", *dirs],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    for _ in range(600):
        try:
            with urllib.request.urlopen(url, timeout=1):
                return proc, url
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the app did not start")


def shoot(url: str, out: Path, langs: list[str]) -> None:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for lang in langs:
            page = browser.new_page(viewport={"width": 1280, "height": 1000},
                                    locale="ko-KR" if lang == "ko" else "en-US")
            page.goto(url)
            page.wait_for_selector("#tab_text-button, [role=tab]", timeout=60_000)
            tabs = page.locator(".tab-wrapper").first.get_by_role("tab")
            for i in range(tabs.count()):
                tabs.nth(i).click()
                time.sleep(0.5)
                name = f"{lang}_{i}_{tabs.nth(i).inner_text().strip().split()[0]}"
                page.screenshot(path=str(out / f"{name}.png"), full_page=True)
            page.close()
        browser.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--url")
    ap.add_argument("--models-dir", action="append", default=[])
    ap.add_argument("--lang", default="en,ko")
    args = ap.parse_args()
    proc = None
    url = args.url
    if not url:
        proc, url = serve(args.models_dir)
    try:
        shoot(url, Path(args.out), args.lang.split(","))
    finally:
        if proc:
            proc.terminate()


if __name__ == "__main__":
    main()
