"""The "Under the hood" accordion of every sub-tab (gradio side of core/steps.py): one HTML component that
draws the stages of the session's last run of that sub-tab. Its stages are made only when someone looks:
opening the accordion re-runs that request traced (a private event), and while it is open each Run refreshes
it after the answer. The normal run never pays for it."""

from __future__ import annotations

import html
from typing import Any

import gradio as gr

from core.errors import UserError
from core.i18n import language_of
from core.ui import _Kept

TITLE = "Under the hood"


_CALLS = _Kept(2048)  # (session, task id) -> (model, inputs, params) of its last run
_OPEN = _Kept(2048)   # (session, task id) -> True while that sub-tab's accordion is open


def remember(session: str | None, task, model: Any, inputs: dict, params: dict) -> None:
    """Keep a run's request (as sent: the fields parse it again) for the accordion's traced re-run."""
    if session is not None:
        _CALLS.put((session, task.id), (model, dict(inputs), dict(params)))


def panel(ctx, task) -> tuple[gr.Accordion, gr.HTML]:
    """The accordion (closed) and the one HTML component inside it."""
    with gr.Accordion(ctx.tr(TITLE), open=False, elem_id=f"{task.api_name}_hood") as box:
        shown = gr.HTML(elem_id=f"{task.api_name}_steps", elem_classes=["steps-panel"])
    return box, shown


def attach(ctx, task, event, hood: tuple[gr.Accordion, gr.HTML] | None) -> None:
    """Opening the accordion draws the last run's stages; a Run refreshes them while it is open."""
    if hood is None:
        return
    from core import steps
    from core.ui import error_text, takes_request

    box, shown = hood

    def draw(request) -> str:
        lang = language_of(request)
        call = _CALLS.get((getattr(request, "session_hash", None), task.id))
        if call is None:
            return steps.page(None, lang)
        model, inputs, params = call
        try:
            result = steps.traced_run(ctx.models, task, model, inputs, params)
        except UserError as err:
            ctx.models.log_user_error(task, err)
            return f'<p class="steps-error">{html.escape(error_text(task, err, lang))}</p>'
        return steps.page(result.facts["steps"], lang)

    def opened(request):
        _OPEN.put((getattr(request, "session_hash", None), task.id), True)
        return draw(request)

    def closed(request):
        _OPEN.pop((getattr(request, "session_hash", None), task.id))

    def refresh(request):
        if not _OPEN.get((getattr(request, "session_hash", None), task.id)):
            return gr.skip()
        return draw(request)

    for fn in (opened, closed, refresh):
        takes_request(fn, [])
    private = dict(api_visibility="private")
    box.expand(opened, None, [shown], show_progress="minimal", **private)
    box.collapse(closed, None, None, queue=False, show_progress="hidden", **private)
    event.success(refresh, None, [shown], show_progress="minimal", **private)
