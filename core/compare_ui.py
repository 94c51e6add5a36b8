"""The page's side of comparing models (core.compare): a "Compare models" switch under a single-model task's
picker with a second and third picker shown while it is on, and ONE gr.HTML per sub-tab that draws the whole
comparison: each model's result as the task's own render draws it (label bars, entities, images, audio...),
its timings and parameter count, then what differs (labels and scores, entities, answers, boxes, word diffs).

Few blocks on purpose (start-up is measured): no per-model copy of a task's widgets; the pickers show and
hide by CSS on the switch's state (app.py's CSS), and turning the switch off empties them in the browser.
"""

from __future__ import annotations

import base64
import html
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from core.compare import Compared, differences, summary
from core.i18n import translate
from core.registry import TaskSpec

SLOTS = ("model_2", "model_3")


@dataclass(frozen=True)
class Switch:
    """A picker's compare switch and its extra pickers (the API's model_2 and model_3)."""

    box: Any
    pickers: tuple


def switch(ctx, task: TaskSpec, picker: gr.Dropdown) -> None:
    """Under a single-model task's picker: the switch and two more pickers (empty; the second offered the
    first other model of the list when the switch turns on). Kept in ctx.compare by the picker's id."""
    from core.ui import model_picker

    api = task.api_name
    box = gr.Checkbox(False, label=ctx.tr("Compare models"), elem_id=f"{api}_compare_switch",
                      elem_classes=["compare-switch"], container=False)
    others = []
    for slot, label in ((1, "Model 2"), (2, "Model 3")):
        other = model_picker(ctx, task, label, slot=slot)
        other.info = None
        other.elem_classes = ["compare-picker"]
        others.append(other)
    choices = [value for _, value in (picker.choices or [])]
    offer = next((v for v in choices if v != picker.value), None)
    # the browser alone: no request to the server to show, hide or empty the pickers
    box.change(None, [box, *others], others, js=f"(on, a, b) => on ? [a || {json.dumps(offer)}, b] : [null, null]",
               api_name=f"{api}_compare_switch", api_visibility="private", queue=False, show_progress="hidden")
    ctx.compare[picker._id] = Switch(box, tuple(others))


def view(ctx, task: TaskSpec) -> None:
    """The one HTML block a comparison is drawn in (hidden until one runs), for a task with a switch."""
    if task.multi_model != 1:
        return
    ctx.compare[("view", task.id)] = gr.HTML(visible=False, elem_id=f"{task.api_name}_compare",
                                             elem_classes=["compare-view"])


def attached(ctx, task: TaskSpec, pickers: list) -> tuple[Switch, Any] | None:
    """(switch, view) of a single-model task whose picker has a switch and whose panels have a view."""
    if task.multi_model != 1 or len(pickers) != 1:
        return None
    found, shown = ctx.compare.get(pickers[0]._id), ctx.compare.get(("view", task.id))
    return (found, shown) if found is not None and shown is not None else None


def maker(compared: list[Compared] | None, render: Callable, lang: str, shown: Callable[[dict], Any]) -> Callable:
    """The view's value, made when asked: the comparison drawn, or (no comparison) the view hidden. shown(update)
    remembers whether this page's view is shown (an update that hides a hidden view is not sent)."""
    if not compared:
        return lambda: shown(gr.update(value="", visible=False))
    return lambda: shown(gr.update(value=draw(compared, render, lang), visible=True))


# ---- drawing ------------------------------------------------------------------------------------------------
STYLE = """<style>
.cmp { display: flex; flex-direction: column; gap: 12px; }
.cmp-grid { display: grid; gap: 12px; }
.cmp-card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px; min-width: 0; }
.cmp-card h4 { margin: 0 0 2px 0; font-size: 0.95em; word-break: break-all; }
.cmp-meta { color: var(--body-text-color-subdued); font-size: 0.8em; margin-bottom: 8px; }
.cmp-card img { max-width: 100%; height: auto; border-radius: 4px; }
.cmp-card audio { width: 100%; }
.cmp-bar { display: grid; grid-template-columns: minmax(0, 1fr) 3.5em; gap: 4px; font-size: 0.85em; margin: 2px 0; }
.cmp-bar .fill { border-radius: 3px; padding: 1px 4px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.cmp-bar.top .fill { font-weight: 600; }
.cmp-text { white-space: pre-wrap; overflow-wrap: anywhere; font-size: 0.9em; }
.cmp-card pre { white-space: pre-wrap; font-size: 0.75em; max-height: 240px; overflow: auto; }
.cmp mark.ent { background: var(--color-accent-soft); border-radius: 3px; padding: 0 2px; }
.cmp mark.ent small { opacity: 0.7; margin-left: 2px; }
.cmp table { border-collapse: collapse; font-size: 0.85em; width: 100%; }
.cmp td, .cmp th { border-bottom: 1px solid var(--border-color-primary); padding: 2px 6px; text-align: left; }
.cmp tr.differ td { background: rgba(255, 170, 0, 0.15); }
.cmp .agree { color: #16a34a; font-weight: 600; }
.cmp .disagree { color: #d97706; font-weight: 600; }
.cmp del { background: rgba(239, 68, 68, 0.25); text-decoration: line-through; }
.cmp ins { background: rgba(34, 197, 94, 0.3); text-decoration: none; }
.cmp-diffs h4 { margin: 6px 0; }
</style>"""
MAX_SIDE = 480  # pixels: images of a comparison are drawn small, several side by side
MAX_AUDIO_BYTES = 8 * 2**20
MAX_ROWS = 12


def _e(value: Any) -> str:
    return html.escape(str(value))


def short(model: str) -> str:
    """A model as a heading: a Hub id as is, a folder by its name."""
    return Path(model).name if model.startswith(("/", ".", "~")) else model


def count(n: Any) -> str:
    if not isinstance(n, (int, float)):
        return "?"
    for size, unit in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if n >= size:
            return f"{n / size:.1f}{unit}"
    return str(int(n))


def _image_uri(value: Any) -> str | None:
    from PIL import Image

    try:
        if isinstance(value, (str, Path)):
            image = Image.open(value)
        elif isinstance(value, Image.Image):
            image = value
        else:
            import numpy as np

            array = np.asarray(value)
            if array.dtype != np.uint8:
                array = (255 * (array - array.min()) / max(float(array.max() - array.min()), 1e-9)).astype(np.uint8)
            image = Image.fromarray(array)
    except Exception:
        return None
    image = image.copy()
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    buffer = io.BytesIO()
    if image.mode in ("RGBA", "LA", "P"):
        image.convert("RGBA").save(buffer, "PNG")
        mime = "png"
    else:
        image.convert("RGB").save(buffer, "JPEG", quality=85)
        mime = "jpeg"
    return f"data:image/{mime};base64," + base64.b64encode(buffer.getvalue()).decode()


def _audio_uri(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("path") or value.get("value")
    if isinstance(value, (str, Path)):
        path = Path(value)
        if not path.is_file() or path.stat().st_size > MAX_AUDIO_BYTES:
            return None
        mime = {".wav": "wav", ".mp3": "mpeg", ".flac": "flac", ".ogg": "ogg"}.get(path.suffix.lower(), "wav")
        return f"data:audio/{mime};base64," + base64.b64encode(path.read_bytes()).decode()
    if isinstance(value, tuple) and len(value) == 2:
        import soundfile

        buffer = io.BytesIO()
        soundfile.write(buffer, value[1], int(value[0]), format="WAV")
        return "data:audio/wav;base64," + base64.b64encode(buffer.getvalue()).decode()
    return None


def _table(headers: list, rows: list) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>" for row in rows[:MAX_ROWS])
    more = f"<tr><td colspan='{len(headers)}'>… {len(rows) - MAX_ROWS}</td></tr>" if len(rows) > MAX_ROWS else ""
    return f"<table><tr>{head}</tr>{body}{more}</table>"


def _markdown(text: str) -> str:
    """A result line's Markdown (bold, code) as HTML, everything else escaped."""
    out = html.escape(str(text))
    out = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", out)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    return out.replace("\n", "<br>")


PLOT_W, PLOT_H, PLOT_PAD = 300, 200, 12
MAX_POINTS = 2000  # per trace, in a comparison's small plot


def _figure(value: Any) -> dict | None:
    """A plot value (a plotly figure, core's plain Figure or its dict) as {"data": [...], ...}, or None."""
    for attr in ("to_dict", "to_plotly_json"):
        if hasattr(value, attr):
            value = getattr(value, attr)()
            break
    return value if isinstance(value, dict) and isinstance(value.get("data"), list) else None


def plot_svg(value: Any) -> str:
    """A small SVG of a figure's 2D scatter traces (one colour per trace, its name in the legend) or of its
    heatmap; "" for other plots (the first model's plot is drawn in the sub-tab's own widget)."""
    figure = _figure(value)
    if figure is None:
        return ""
    traces = figure["data"]
    z = next((t["z"] for t in traces if t.get("type") == "heatmap" and t.get("z")), None)
    if z is not None:
        n, m = len(z), max(len(row) for row in z)
        w, h = PLOT_W / m, PLOT_H / n
        cells = []
        for i, row in enumerate(z):
            for j, v in enumerate(row):
                v = max(-1.0, min(1.0, float(v if v is not None else 0)))
                colour = f"rgba(178,24,43,{v:.2f})" if v >= 0 else f"rgba(33,102,172,{-v:.2f})"
                cells.append(f"<rect x='{j * w:.1f}' y='{i * h:.1f}' width='{w:.1f}' height='{h:.1f}' "
                             f"fill='{colour}'><title>{i}, {j}: {v:.2f}</title></rect>")
        return f"<svg class='cmp-plot' viewBox='0 0 {PLOT_W} {PLOT_H}' width='100%'>{''.join(cells)}</svg>"
    flat = [t for t in traces if t.get("type", "scatter") == "scatter" and t.get("x") and t.get("y")]
    xs = [float(x) for t in flat for x in t["x"]]
    ys = [float(y) for t in flat for y in t["y"]]
    if not xs:
        return ""
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    sx = (PLOT_W - 2 * PLOT_PAD) / ((x1 - x0) or 1)
    sy = (PLOT_H - 2 * PLOT_PAD) / ((y1 - y0) or 1)
    dots, legend = [], []
    for t in flat:
        colour = (t.get("marker") or {}).get("color") or "#6366f1"
        colour = colour if isinstance(colour, str) else "#6366f1"
        texts = t.get("text") or t.get("hovertext") or []
        for i, (x, y) in enumerate(zip(t["x"][:MAX_POINTS], t["y"][:MAX_POINTS])):
            tip = f"<title>{_e(re.sub('<[^>]+>', ' ', str(texts[i])))}</title>" if i < len(texts) else ""
            cx, cy = PLOT_PAD + (float(x) - x0) * sx, PLOT_H - PLOT_PAD - (float(y) - y0) * sy
            dots.append(f"<circle cx='{cx:.1f}' cy='{cy:.1f}' r='4' fill='{_e(colour)}'>{tip}</circle>")
            if t.get("text") and i < len(t["text"]):  # few points: the figure captions them, so does this
                anchor = "end" if cx > PLOT_W / 2 else "start"
                dots.append(f"<text x='{cx + (-6 if anchor == 'end' else 6):.1f}' y='{cy + 3:.1f}' font-size='8' "
                            f"text-anchor='{anchor}' fill='{_e(colour)}'>{_e(t['text'][i])}</text>")
        if t.get("name"):
            legend.append(f"<span style='color:{_e(colour)}'>● {_e(t['name'])}</span>")
    return (f"<svg class='cmp-plot' viewBox='0 0 {PLOT_W} {PLOT_H}' width='100%' "
            f"style='border:1px solid var(--border-color-primary)'>{''.join(dots)}</svg>"
            f"<div class='cmp-meta'>{' '.join(legend)}</div>")


def drawn_html(component: Any, value: Any) -> str:
    """One output widget's value (as the task's render gave it) as HTML; "" for what is not drawn here (and
    for hidden outputs, such as the full output kept for API clients)."""
    if isinstance(component, gr.JSON) and component.visible is False and not (
            isinstance(value, dict) and value.get("visible") is True):
        return ""
    if isinstance(value, dict) and value.get("__type__") == "update":
        if value.get("visible") is False or "value" not in value:
            return ""
        value = value["value"]
    if value is None or callable(value):
        return ""
    if isinstance(component, gr.Label):
        scores = value if isinstance(value, dict) else {}
        if "confidences" in scores:
            scores = {c["label"]: c["confidence"] for c in scores["confidences"]}
        ordered = sorted(scores.items(), key=lambda kv: -float(kv[1]))[:5]
        return "".join(
            f"<div class='cmp-bar{' top' if i == 0 else ''}'><div class='fill' style='background: linear-gradient(90deg, "
            f"rgba(99, 102, 241, {0.5 if i == 0 else 0.25}) {min(max(float(s), 0), 1) * 100:.0f}%, transparent 0)'>"
            f"{_e(label)}</div><span>{float(s):.3f}</span></div>" for i, (label, s) in enumerate(ordered))
    if isinstance(component, gr.HighlightedText):
        if isinstance(value, dict):  # {"text", "entities"}
            text, spans, at = value.get("text", ""), [], 0
            for ent in sorted(value.get("entities", []), key=lambda e: e["start"]):
                spans += [(text[at:ent["start"]], None), (text[ent["start"]:ent["end"]], ent.get("entity"))]
                at = ent["end"]
            value = spans + [(text[at:], None)]
        return "<div class='cmp-text'>" + "".join(
            f"<mark class='ent'>{_e(t)}<small>{_e(label)}</small></mark>" if label else _e(t)
            for t, label in value) + "</div>"
    if isinstance(component, gr.ImageSlider):
        value = value[-1] if isinstance(value, (tuple, list)) else value
        uri = _image_uri(value)
        return f"<img src='{uri}'>" if uri else ""
    if isinstance(component, gr.Image):
        uri = _image_uri(value)
        return f"<img src='{uri}'>" if uri else ""
    if isinstance(component, gr.Gallery):
        items = [i[0] if isinstance(i, (tuple, list)) else i for i in list(value)[:6]]
        uris = [u for u in map(_image_uri, items) if u]
        return "".join(f"<img src='{u}' style='width:32%;margin:1px'>" for u in uris)
    if isinstance(component, gr.Audio):
        uri = _audio_uri(value)
        return f"<audio controls src='{uri}'></audio>" if uri else ""
    if isinstance(component, gr.Dataframe):
        if isinstance(value, dict) and "data" in value:
            return _table(value.get("headers") or component.headers or [], value["data"])
        if hasattr(value, "columns"):
            return _table(list(value.columns), value.values.tolist())
        if isinstance(value, list) and value:
            return _table(component.headers or [], value)
        return ""
    if isinstance(component, gr.Chatbot):
        last = value[-1] if isinstance(value, list) and value else None
        text = last.get("content") if isinstance(last, dict) else last[-1] if isinstance(last, (list, tuple)) else ""
        return f"<div class='cmp-text'>{_e(text)}</div>" if text else ""
    if isinstance(component, gr.HTML):
        return str(value)
    if isinstance(component, gr.Markdown):
        return f"<div class='cmp-text'>{_markdown(value)}</div>" if str(value).strip() else ""
    if isinstance(component, gr.Textbox):
        return f"<div class='cmp-text'>{_e(value)}</div>" if str(value).strip() else ""
    if isinstance(component, gr.JSON):
        text = json.dumps(value, ensure_ascii=False, indent=1, default=str)
        return f"<pre>{_e(text[:2000])}</pre>"
    if isinstance(component, gr.Plot):
        return plot_svg(value)
    return ""  # files, states: the first model's are in the sub-tab's own widgets


def _card(c: Compared, render: Callable, lang: str, meta: dict) -> str:
    try:
        drawn = render(c.result)
    except Exception:  # a render that needs more than the result gives: the raw output instead
        drawn = {}
    parts = [(isinstance(component, gr.Dataframe), drawn_html(component, value)) for component, value in drawn.items()]
    # tables only when nothing else is drawn: what they list (entities, boxes...) is in the differences below
    drawings = [p for table, p in parts if p and not table]
    body = "".join(drawings or [p for _, p in parts if p])
    if not body:
        from core.jsonable import jsonable

        body = f"<pre>{_e(json.dumps(jsonable(c.result.output), ensure_ascii=False, indent=1)[:2000])}</pre>"
    notes = "".join(f"<div class='cmp-meta'>{_e(n.text(lang))}</div>" for n in c.result.notes)
    line = translate("{parameters} parameters · load {load} · inference {seconds} s", lang).format(
        parameters=count(meta["parameters"]), load=translate(str(meta["load"]), lang),
        seconds=meta["inference_seconds"])
    return (f"<div class='cmp-card'><h4 title='{_e(short(c.model))}'>{_e(short(c.model))}</h4>"
            f"<div class='cmp-meta'>{_e(line)}</div>{body}{notes}</div>")


def _verdict(agree: bool, lang: str) -> str:
    return (f"<span class='agree'>{_e(translate('The models agree', lang))}</span>" if agree
            else f"<span class='disagree'>{_e(translate('The models differ', lang))}</span>")


def _diff_html(ops: list[dict]) -> str:
    out = []
    for op in ops:
        if op["op"] == "equal":
            out.append(_e(op["a"]))
        if op["op"] in ("delete", "replace"):
            out.append(f"<del>{_e(op['a'])}</del>")
        if op["op"] in ("insert", "replace"):
            out.append(f"<ins>{_e(op['b'])}</ins>")
    return "<div class='cmp-text'>" + " ".join(out) + "</div>"


def _row_html(kind: str, row: dict, names: list[str], lang: str) -> str:
    t = lambda s: _e(translate(s, lang))  # noqa: E731
    if kind == "labels":
        head = "".join(f"<th>{_e(n)}</th>" for n in names)
        body = ""
        for label, scores in list(zip(row["labels"], row["scores"]))[:MAX_ROWS]:
            cells = "".join(
                "<td>—</td>" if s is None else f"<td>{'<b>' if row['top'][i] == label else ''}{s:.3f}"
                f"{'</b>' if row['top'][i] == label else ''}</td>" for i, s in enumerate(scores))
            differ = len({row["top"][i] == label for i in range(len(names))}) > 1
            body += f"<tr class='{'differ' if differ else ''}'><td>{_e(label)}</td>{cells}</tr>"
        return f"<table><tr><th>{t('Label')}</th>{head}</tr>{body}</table>"
    if kind == "entities":
        head = "".join(f"<th>{_e(n)}</th>" for n in names)
        body = "".join(
            f"<tr class='{'' if all(r['found_by']) else 'differ'}'><td>{_e(r['word'])}</td><td>{_e(r['label'])}</td>"
            + "".join(f"<td>{'✓ ' + format(s, '.2f') if f and s is not None else '✓' if f else '—'}</td>"
                      for f, s in zip(r["found_by"], r["scores"])) + "</tr>"
            for r in row["entities"][:MAX_ROWS * 2])
        return f"<table><tr><th>{t('Entity')}</th><th>{t('Label')}</th>{head}</tr>{body}</table>"
    if kind == "answers":
        top = row["top"][0]
        body = "".join(
            f"<tr class='{'' if str(a[0]['answer'] if a else None).strip() == str(top).strip() else 'differ'}'>"
            f"<td>{_e(n)}</td><td>{_e(a[0]['answer']) if a else '—'}</td>"
            f"<td>{format(a[0]['score'], '.3f') if a and isinstance(a[0]['score'], (int, float)) else ''}</td></tr>"
            for n, a in zip(names, row["answers"]))
        return f"<table><tr><th>{t('Model')}</th><th>{t('Answer')}</th><th>{t('Score')}</th></tr>{body}</table>"
    if kind == "boxes":
        first = row["counts"][0]
        body = "".join(f"<tr><td>{_e(n)}</td><td>{c}</td><td>{len(m)} / {first}</td></tr>"
                       for n, c, m in zip(names, row["counts"], row["matched_with_first"]))
        return (f"<table><tr><th>{t('Model')}</th><th>{t('Boxes')}</th>"
                f"<th>{t('Match the first model (same label, IoU ≥ 0.5)')}</th></tr>{body}</table>")
    if kind == "text":
        return "".join(f"<div><b>{_e(n)}</b> {t('against')} <b>{_e(names[0])}</b>{_diff_html(d)}</div>"
                       for n, d in list(zip(names, row["diffs"]))[1:])
    return ""


def draw(compared: list[Compared], render: Callable, lang: str) -> str:
    """The whole comparison as one HTML string: a card per model, then the differences."""
    metas = summary(compared)
    cards = "".join(_card(c, render, lang, m) for c, m in zip(compared, metas))
    grid = f"<div class='cmp-grid' style='grid-template-columns: repeat({len(compared)}, minmax(0, 1fr))'>{cards}</div>"
    found = differences([c.result.output for c in compared])
    names = [short(c.model) for c in compared]
    parts = []
    rows = found["rows"]
    for i, row in enumerate(rows[:5]):
        heading = translate("Line {n}", lang).format(n=i + 1) + ": " if len(rows) > 1 else ""
        parts.append(f"<h4>{_e(heading)}{_verdict(row['agree'], lang)}</h4>{_row_html(found['kind'], row, names, lang)}")
    diffs = (f"<div class='cmp-diffs'><h4>{_e(translate('What differs', lang))}</h4>{''.join(parts)}</div>"
             if parts else "")
    return f"{STYLE}<div class='cmp'>{grid}{diffs}</div>"
