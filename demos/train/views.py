"""What the Train tab draws from a training job's status (core.train_worker's status dict), without gradio:
the live figure (loss per step, eval metrics per epoch), the confusion matrix, the progress line, the final
summary and the rows it got wrong. Figures are plotly JSON written by hand (no plotly import: a figure is
redrawn every second while a job runs)."""

from __future__ import annotations

import json
import re
from typing import Any

from core.i18n import say

FONT = dict(family="Pretendard, 'Noto Sans CJK KR', 'Noto Sans KR', 'Malgun Gothic', sans-serif", size=13)
LOSS, ACCURACY, F1, EVAL_LOSS = "#4C78A8", "#54A24B", "#F58518", "#E45756"
GRID = "#e5e7eb"
BLUES = [[0, "#f7fbff"], [0.5, "#6baed6"], [1, "#08306b"]]  # few (light) to many (dark)
WRONG_HEADERS = ("text", "label", "predicted", "score")


def _axis(title: str, **extra) -> dict:
    return {"title": {"text": title}, "gridcolor": GRID, "zeroline": False, "automargin": True, **extra}


def _layout(height: int) -> dict:
    """The layout both figures share (their titles are the gr.Plot labels)."""
    return {"font": dict(FONT), "height": height, "margin": {"l": 10, "r": 10, "t": 36, "b": 10},
            "paper_bgcolor": "white", "plot_bgcolor": "white",
            "legend": {"orientation": "h", "x": 1, "xanchor": "right", "y": 1.02, "yanchor": "bottom"}}


def as_json(figure: dict) -> str:
    return json.dumps(figure, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def curves(status: dict) -> dict:
    """Training loss by step (left) and eval accuracy / macro-F1 by epoch (right), as a plotly figure dict."""
    loss = [(int(s), float(v)) for s, v in status.get("loss") or () if v == v]
    evals = [e for e in status.get("eval") or () if "epoch" in e]
    data: list[dict] = [{
        "type": "scatter", "mode": "lines+markers" if len(loss) < 30 else "lines", "name": say("training loss"),
        "x": [s for s, _ in loss], "y": [v for _, v in loss], "line": {"color": LOSS}, "xaxis": "x", "yaxis": "y",
    }]
    for key, name, color in (("eval_accuracy", "eval accuracy", ACCURACY), ("eval_f1", "eval macro-F1", F1)):
        points = [(float(e["epoch"]), float(e[key])) for e in evals if e.get(key) is not None]
        data.append({"type": "scatter", "mode": "lines+markers", "name": say(name), "x": [x for x, _ in points],
                     "y": [y for _, y in points], "line": {"color": color}, "xaxis": "x2", "yaxis": "y2"})
    layout = _layout(320)
    layout.update(
        xaxis=_axis(say("step"), domain=[0, 0.55], rangemode="tozero"),
        yaxis=_axis(say("loss"), rangemode="tozero"),
        xaxis2=_axis(say("epoch"), domain=[0.68, 1], anchor="y2", rangemode="tozero", dtick=1),
        yaxis2=_axis(say("score"), anchor="x2", range=[0, 1.02]),
    )
    return {"data": data, "layout": layout}


def confusion(labels: list[str], matrix: list[list[int]]) -> dict:
    """A heatmap of true (rows) against predicted (columns) labels, each cell with its count."""
    n = len(labels)
    z = [[int(v) for v in row] for row in matrix]
    peak = max((v for row in z for v in row), default=0) or 1
    notes = [{"x": labels[j], "y": labels[i], "text": str(z[i][j]), "showarrow": False,
              "font": {"color": "white" if z[i][j] > peak / 2 else "#111827"}}
             for i in range(n) for j in range(n)] if n <= 20 else []
    layout = _layout(max(280, 90 + 40 * n))
    layout.update(
        xaxis=_axis(say("predicted"), type="category", side="bottom"),
        yaxis=_axis(say("true label"), type="category", autorange="reversed"),
        annotations=notes,
    )
    data = [{"type": "heatmap", "z": z, "x": list(labels), "y": list(labels), "colorscale": BLUES,
             "showscale": False, "hovertemplate": say("true %{y}, predicted %{x}: %{z}") + "<extra></extra>"}]
    return {"data": data, "layout": layout}


def _clock(seconds: float | None) -> str:
    if seconds is None or seconds != seconds:
        return "…"
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else say("{seconds} s", seconds=seconds)


def progress(status: dict) -> str:
    """One line (markdown) for where a job is: queued at a position, running with epoch, step and ETA, or its end."""
    state = status.get("state", "")
    if state == "queued":
        return say("⏳ Waiting in the queue: {ahead} training run(s) ahead of yours.", ahead=int(status.get("position") or 0))
    if state in ("done", "finished"):
        return say("✅ Finished in {time}.", time=_clock((status.get("result") or {}).get("train_seconds")))
    if state in ("cancelled", "canceled"):
        return say("⏹ Cancelled.")
    if state in ("failed", "error"):
        return say("❌ Training failed: {error}", error=status.get("error") or "")
    total, step = int(status.get("total_steps") or 0), int(status.get("step") or 0)
    if not total:
        return say("⚙️ Preparing: loading the model and tokenizing the data…")
    share = min(1.0, step / total)
    bar = "█" * round(share * 20) + "░" * (20 - round(share * 20))
    return say("⚙️ Training: epoch {epoch:.2f}, step {step} of {total} `{bar}` {percent:.0f}% · about {eta} left",
               epoch=float(status.get("epoch") or 0), step=step, total=total, bar=bar, percent=100 * share,
               eta=_clock(status.get("eta_s")))


def summary(result: dict) -> str:
    """The finished run in a few lines (markdown): accuracy, macro-F1, time, labels and the saved folder."""
    lines = [
        say("**Eval accuracy {accuracy:.1%}** · **macro-F1 {f1:.3f}** · trained in {seconds:.1f} s",
            accuracy=float(result.get("eval_accuracy") or 0), f1=float(result.get("eval_f1") or 0),
            seconds=float(result.get("train_seconds") or 0)),
        say("Labels: {labels}", labels=", ".join(str(x) for x in result.get("labels") or ())),
    ]
    if result.get("output_dir"):
        folder = str(result["output_dir"]).rstrip("/").rsplit("/", 1)[-1]
        lines.append(say("Saved as `{folder}` in the trained-models folder: pick **{label}** in Text → Text "
                         "classification.", folder=folder, label=f"{folder} (local)"))
    return "\n\n".join(lines)


# ---- what a page may show of the server's disk: nothing --------------------------------------------------
_STOP = "\\s'\"`<>|,;()\\[\\]{}"


def private(value: Any, roots: list[str], keep: tuple[str, ...] = ()) -> Any:
    """value (a text, or JSON-ready lists and dicts of them) with every path under one of roots (the model
    folders, the trained-models folder, gradio's uploads) given by its last part only: `/srv/models/bert` ->
    `bert`. Dict keys in keep are left as they are."""
    roots = sorted({r.rstrip("/") for r in roots if r and r.rstrip("/")}, key=len, reverse=True)
    if not roots:
        return value
    pattern = re.compile("(?:" + "|".join(map(re.escape, roots)) + f")(?=[/{_STOP}]|$)[^{_STOP}]*")

    def name(match: re.Match) -> str:
        path = match.group(0)
        stripped = path.rstrip(".:")
        return stripped.rstrip("/").rsplit("/", 1)[-1] + path[len(stripped):]

    def walk(v: Any) -> Any:
        if isinstance(v, str):
            return pattern.sub(name, v)
        if isinstance(v, dict):
            return {k: (x if k in keep else walk(x)) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [walk(x) for x in v]
        return v

    return walk(value)


def wrong_rows(result: dict) -> list[list[Any]]:
    """The eval rows the model got wrong: [text, label, predicted, score] each (score of the prediction)."""
    rows = []
    for row in result.get("wrong") or ():
        if isinstance(row, dict):
            text = row.get("text", "")
            if row.get("text_pair"):
                text = f"{text} ‖ {row['text_pair']}"
            score = row.get("score")
            rows.append([text, str(row.get("label", "")), str(row.get("predicted", "")),
                         round(float(score), 4) if score is not None else None])
        else:
            rows.append(list(row))
    return rows
