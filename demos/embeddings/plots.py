"""Plotly figures for the embedding views: the map (2D/3D scatter coloured by label, hover shows the text), the
cosine similarity heatmap, the hidden-state norms per layer and token, and attention weights per layer and head.
Plotly's own toolbar downloads each figure as a PNG. plotly is imported when a figure is drawn."""

from __future__ import annotations

import functools
from typing import Any

from core.i18n import say
from demos.embeddings.rows import Row

TEMPLATE = "plotly_white"
FONT = dict(family="Pretendard, 'Noto Sans CJK KR', 'Noto Sans KR', 'Malgun Gothic', sans-serif", size=13)
PALETTE = ("#4C78A8", "#F58518", "#54A24B", "#E45756", "#72B7B2", "#B279A2", "#FF9DA6", "#9D755D", "#BAB0AC",
           "#EECA3B", "#1F77B4", "#D62728", "#2CA02C", "#9467BD", "#8C564B", "#17BECF")
ANNOTATE_UP_TO = 16  # heatmap cells: up to this many rows, each cell shows its value
CAPTION_UP_TO = 20  # map: up to this many points, each is captioned with its (short) text
FULL_HOVER_UP_TO = 80  # heatmap rows: up to this many, hovering a cell shows both whole texts


def short(text: str, width: int = 28) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _wrap(text: str, width: int = 60) -> str:
    """Text with <br> every ~width characters (hover boxes)."""
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return "<br>".join(lines) if words else text


# ---- figures as plotly JSON ----------------------------------------------------------------------------------
# Every run draws its figures: they are written as the JSON plotly would make of them,
# without plotly's figure objects (which validate every property and copy the whole template on each figure,
# about 100 ms a figure here). Plot and browser get the same JSON as from go.Figure(...).to_json().
class Figure:
    """A plotly figure as plain data (data, layout): what gr.Plot draws (it calls to_json())."""

    def __init__(self, data: list[dict], layout: dict):
        self.data, self.layout = data, layout

    def to_dict(self) -> dict:
        return {"data": self.data, "layout": {"template": template_json(), **self.layout}}

    def to_json(self) -> str:
        import json

        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"), allow_nan=False)


@functools.cache
def template_json() -> dict:
    """TEMPLATE as plotly writes it into a figure's layout."""
    import plotly.io as pio

    return pio.templates[TEMPLATE].to_plotly_json()


@functools.cache
def colorscale(name: str) -> list:
    """A named colorscale as plotly writes it: [[position, color], ...]."""
    import plotly.graph_objects as go

    return go.Heatmap(colorscale=name).to_plotly_json()["colorscale"]


def _text(text: str) -> dict:
    return {"text": text}


def _layout_of(title: str, height: int = 560) -> dict:
    """The layout every figure shares: font, title, height and margins."""
    return {"font": dict(FONT), "title": {"text": title, "x": 0.01, "font": {"size": 15}}, "height": height,
            "margin": {"l": 10, "r": 10, "t": 50 + 22 * title.count("<br>"), "b": 10},
            "hoverlabel": {"font": dict(FONT)}}


def axis_names(output: dict) -> list[str]:
    """'PC1 (42.0%)' for PCA, 't-SNE 1' / 'UMAP 1' otherwise."""
    dims = int(output.get("dimensions") or 2)
    ratios = output.get("explained_variance_ratio")
    if ratios:
        return [f"PC{i + 1} ({100 * r:.1f}%)" for i, r in enumerate(ratios[:dims])]
    name = {"pca": "PC", "tsne": "t-SNE ", "umap": "UMAP "}.get(output.get("method", ""), "dim ")
    return [f"{name}{i + 1}" for i in range(dims)]


def _padded(values: list[float], share: float) -> list[float]:
    """[low, high] of values widened by share of their span on each side."""
    low, high = min(values), max(values)
    pad = (high - low) * share or 1.0
    return [low - pad, high + pad]


def scatter(output: dict, rows: list[Row], title: str) -> Figure:
    """The projected points: one trace per label (legend), images drawn as squares, hover = text + label."""
    points = output["points"]
    dims = int(output.get("dimensions") or len(points[0]))
    labels = [r.label or say("(no label)") for r in rows]
    order = list(dict.fromkeys(labels))
    names = axis_names(output)
    captioned = dims == 2 and len(rows) <= CAPTION_UP_TO  # (a 3D scene turns: its captions would pile up)
    data = []
    for i, label in enumerate(order):
        idx = [j for j, lab in enumerate(labels) if lab == label]
        color = PALETTE[i % len(PALETTE)]
        hover = [f"<b>{_wrap(rows[j].text)}</b><br>{rows[j].label or ''}  #{j}" for j in idx]
        size = (11 if len(rows) <= 100 else 7) if dims == 2 else (6 if len(rows) <= 100 else 3)
        marker = {"size": size, "color": color, "line": {"width": 0.5, "color": "white"}, "opacity": 0.9,
                  "symbol": ["square" if rows[j].kind == "image" else "circle" for j in idx]}
        trace = {"name": label, "mode": "markers", "marker": marker, "hovertext": hover, "hoverinfo": "text"}
        if captioned:  # few points: read them without hovering (above and below in turn: close points overlap less)
            trace.update(mode="markers+text", text=[short(rows[j].text, 24) for j in idx],
                         textposition=["top center" if j % 2 == 0 else "bottom center" for j in idx],
                         textfont={"size": 11, "color": color})
        trace |= {"x": [points[j][0] for j in idx], "y": [points[j][1] for j in idx]}
        if dims == 3:
            trace |= {"z": [points[j][2] for j in idx], "type": "scatter3d"}
        else:
            trace["type"] = "scatter"
        data.append(trace)
    layout = _layout_of(title, height=620)
    if dims == 3:  # the camera lower and further out than plotly's default: the axis titles stay in view
        layout["scene"] = {"xaxis": {"title": _text(names[0])}, "yaxis": {"title": _text(names[1])},
                           "zaxis": {"title": _text(names[2])}, "aspectmode": "cube",
                           "camera": {"eye": {"x": 1.4, "y": 1.4, "z": 0.9}, "center": {"x": 0, "y": 0, "z": -0.25}}}
        layout["margin"] = {"l": 0, "r": 0, "t": 50, "b": 0}
    else:
        layout["xaxis"] = {"title": _text(names[0]), "zeroline": False}
        layout["yaxis"] = {"title": _text(names[1]), "zeroline": False}
        if captioned:  # room for the captions: plotly's autorange makes room for markers, not text
            layout["xaxis"]["range"] = _padded([p[0] for p in points], 0.12)
            layout["yaxis"]["range"] = _padded([p[1] for p in points], 0.08)
    layout["legend"] = {"title": _text(say("label")), "itemsizing": "constant"}
    layout["showlegend"] = len(order) > 1 or any(r.label for r in rows)
    return Figure(data, layout)


def _ticks(rows: list[Row]) -> list[str]:
    return [f"{i}· {'[' + r.label + '] ' if r.label else ''}{short(r.text, 26)}" for i, r in enumerate(rows)]


def heatmap(matrix: list[list[float]], rows: list[Row], title: str) -> Figure:
    """Cosine similarity of every pair: red = similar, white = unrelated, blue = opposite. Up to
    FULL_HOVER_UP_TO rows the hover shows both whole texts; above, their short labels."""
    n = len(rows)
    ticks = _ticks(rows)
    trace: dict = {"z": matrix, "x": ticks, "y": ticks, "zmin": -1, "zmax": 1, "colorscale": colorscale("RdBu"),
                   "reversescale": True, "colorbar": {"title": _text(say("cosine"))}, "textfont": {"size": 11},
                   "type": "heatmap"}
    if n <= ANNOTATE_UP_TO:
        trace["texttemplate"] = "%{z:.2f}"
    if n <= FULL_HOVER_UP_TO:
        trace["hovertext"] = [[f"<b>{_wrap(rows[i].text, 50)}</b><br>vs<br><b>{_wrap(rows[j].text, 50)}</b>"
                               f"<br>cosine {matrix[i][j]:.3f}" for j in range(n)] for i in range(n)]
        trace["hoverinfo"] = "text"
    else:
        trace["hovertemplate"] = "%{y}<br>vs %{x}<br>cosine %{z:.3f}<extra></extra>"
    step = max(1, n // 40)
    shown = ticks[::step]
    layout = _layout_of(title, height=max(420, min(900, 140 + 28 * n)))
    layout["xaxis"] = {"tickvals": shown, "ticktext": [t.split("·")[0] for t in shown], "side": "top",
                       "title": _text(""), "scaleanchor": "y", "constrain": "domain"}
    layout["yaxis"] = {"tickvals": shown, "ticktext": shown, "autorange": "reversed"}
    return Figure([trace], layout)


def _token_ticks(tokens: list[str]) -> list[str]:
    """Unique axis labels for tokens ('3·boy'): plotly merges equal category names."""
    return [f"{i}·{t if t.strip() else repr(t)}" for i, t in enumerate(tokens)]


def norms(output: dict, title: str) -> Figure:
    """Each token's hidden-state norm after each layer (row 0 = the embedding layer)."""
    values = output["hidden_norms"]
    tokens = _token_ticks(output["tokens"])
    layers = [(say("embeddings") if i == 0 else say("layer {i}", i=i)) for i in range(len(values))]
    trace = {"z": values, "x": tokens, "y": layers, "colorscale": colorscale("Viridis"), "colorbar": {"title": _text("‖h‖")},
             "hovertemplate": "%{y} · " + say("token") + " %{x}<br>" + say("norm") + " %{z:.2f}<extra></extra>",
             "type": "heatmap"}
    layout = _layout_of(title, height=max(300, 120 + 34 * len(values)))
    layout["xaxis"] = {"tickangle": -45 if len(tokens) > 12 else 0}
    layout["yaxis"] = {"autorange": "reversed"}
    return Figure([trace], layout)


def head_choices(heads: int) -> list[tuple[str, str]]:
    return [(say("all heads"), "all"), (say("mean of heads"), "mean")] + [(say("head {head}", head=h), str(h)) for h in range(heads)]


def attention(output: dict, layer: int, head: Any, title: str):
    """Attention weights of one layer (1-based): one head (query rows x key columns), the mean of the heads,
    or every head as small multiples."""
    weights = output["attentions"][max(1, min(int(layer), output["layers"])) - 1]
    tokens = _token_ticks(output["tokens"])
    n = len(tokens)
    axis = list(range(n))
    hover = "%{y} → %{x}<br>" + say("weight") + " %{z:.3f}<extra></extra>"

    if str(head) == "all":
        heads = len(weights)
        cols = min(4, heads)
        rows = -(-heads // cols)
        layout = dict(_grid(rows, cols, tuple(say("head {head}", head=h) for h in range(heads))))
        data = []
        for h, matrix in enumerate(weights):
            k = "" if h == 0 else str(h + 1)
            data.append({"colorbar": {"title": _text(say("weight"))}, "colorscale": colorscale("Blues"),
                         "hovertemplate": hover, "showscale": h == 0, "x": tokens, "y": tokens, "z": matrix,
                         "zmax": 1, "zmin": 0, "type": "heatmap", "xaxis": f"x{k}", "yaxis": f"y{k}"})
        for name, axis_layout in list(layout.items()):
            if name.startswith("xaxis"):
                layout[name] = {**axis_layout, "showticklabels": False}
            elif name.startswith("yaxis"):
                layout[name] = {**axis_layout, "showticklabels": False, "autorange": "reversed"}
        layout |= _layout_of(title, height=60 + 230 * rows)
        return Figure(data, layout)
    if str(head) == "mean":
        matrix = [[sum(w[q][k] for w in weights) / len(weights) for k in axis] for q in axis]
    else:
        matrix = weights[max(0, min(int(head), len(weights) - 1))]
    trace = {"z": matrix, "x": tokens, "y": tokens, "zmin": 0, "zmax": 1, "colorscale": colorscale("Blues"),
             "hovertemplate": hover, "colorbar": {"title": _text(say("weight"))}, "textfont": {"size": 10},
             "type": "heatmap"}
    if n <= 12:
        trace["texttemplate"] = "%{z:.2f}"
    layout = _layout_of(title, height=max(480, min(900, 200 + 34 * n)))
    layout["xaxis"] = {"side": "top", "title": _text(say("key (attended to)")), "tickangle": -45 if n > 12 else 0,
                       "scaleanchor": "y", "constrain": "domain"}
    layout["yaxis"] = {"autorange": "reversed", "title": _text(say("query (attending)"))}
    return Figure([trace], layout)


@functools.lru_cache(maxsize=64)
def _grid(rows: int, cols: int, titles: tuple[str, ...]) -> dict:
    """The layout of a rows x cols grid of small plots (axes' domains and anchors, the titles as annotations),
    as plotly.subplots.make_subplots writes it."""
    from plotly.subplots import make_subplots

    grid = make_subplots(rows=rows, cols=cols, subplot_titles=list(titles), horizontal_spacing=0.03,
                         vertical_spacing=0.08 if rows > 1 else 0.1)
    layout = grid.to_plotly_json()["layout"]
    layout.pop("template", None)
    return layout
