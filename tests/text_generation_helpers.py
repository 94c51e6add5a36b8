"""Helpers shared by the generating text tasks' tests (summarization, translation, text2text-generation,
text-generation): running a Code panel snippet, opening a Text sub-tab, an API result's value."""

from __future__ import annotations

import contextlib
import io


def printed_by(code: str):
    """Execute a Code panel snippet in a fresh namespace; returns its `result`."""
    namespace: dict = {}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(code, "<snippet>", "exec"), namespace)
    return namespace["result"]


def value_of(output):
    """An output's value: components updated with gr.update(...) come back as {"value": ..., other props}."""
    return output["value"] if isinstance(output, dict) and "value" in output else output


def notes_text(result) -> str:
    """A RunResult's notes, in English, one text."""
    return "\n\n".join(n.text() for n in result.notes)


def open_task(page, title: str) -> None:
    """Open the Text tab, then the task's sub-tab (every sub-tab is in sight: the row wraps)."""
    page.get_by_role("tab", name="Text", exact=True).click()
    page.get_by_role("tab", name=title, exact=True).click()


def browser_example_run(page, base_url, model_path: str, *, api_name: str, title: str, example: str,
                        length: str, key: str) -> None:
    """Pick an example of a seq2seq sub-tab, a tiny model and a short output length, run, and check the code,
    the result and the raw JSON (with its "truncated" flags)."""
    import re

    from playwright.sync_api import expect

    page.goto(base_url)
    open_task(page, title)
    tab = page.locator(f"#task_{api_name}")
    tab.get_by_text(example).first.click()
    expect(page.locator(f"#{api_name}_text textarea")).to_have_value(re.compile(re.escape(example)))
    model = page.locator(f"#{api_name}_model input")
    model.fill(model_path)
    model.press("Enter")
    tab.get_by_label(length).first.fill("8")
    tab.get_by_label(length).first.press("Enter")
    tab.get_by_role("button", name="Run").click()
    expect(page.locator(f"#{api_name}_code")).to_contain_text("AutoModelForSeq2SeqLM", timeout=60_000)
    expect(page.locator(f"#{api_name}_code")).to_contain_text("raises KeyError")
    expect(page.locator(f"#{api_name}_result textarea")).to_be_visible()
    tab.get_by_text("Raw output (JSON)").click()
    expect(page.locator(f"#{api_name}_raw")).to_contain_text(key)
    expect(page.locator(f"#{api_name}_raw")).to_contain_text("truncated")


def eos_at_once_model(src, dest):
    """A copy of a tiny GPT-2 whose first new token is always end-of-text: the final layer norm outputs one
    constant vector b (weight 0, bias b) and eos's (tied) embedding is 10 b, so eos has the largest logit for
    every input. Generation then ends at once with an empty text."""
    import shutil

    import torch
    from transformers import AutoModelForCausalLM

    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(src, dest)
    model = AutoModelForCausalLM.from_pretrained(src)
    with torch.no_grad():
        b = torch.randn(model.config.n_embd, generator=torch.Generator().manual_seed(0))
        model.transformer.ln_f.weight.zero_()
        model.transformer.ln_f.bias.copy_(b)
        model.transformer.wte.weight[model.config.eos_token_id] = 10 * b
    model.save_pretrained(dest)
    return dest
