"""The figures (map, heatmap, norms, attention) are written as plotly JSON without plotly's figure objects: each is a valid plotly
figure already in the form plotly itself writes (plotly reads it back to the same JSON), and gr.Plot sends it
as a plotly plot."""

from __future__ import annotations

import json

import pytest

from core.i18n import speaking
from demos.embeddings import plots
from demos.embeddings.rows import Row


def rows(n: int, labels: bool = True) -> list[Row]:
    return [Row(f"sentence {i} " + "word " * (i % 13), ("cats", "money", "")[i % 3] if labels else "",
                "image" if i % 4 == 0 else "text") for i in range(n)]


def plotly_reads_it_back(figure: plots.Figure) -> dict:
    import plotly.graph_objects as go

    ours = json.loads(figure.to_json())
    assert json.loads(go.Figure(ours).to_json()) == ours  # validates every property; coerces nothing
    return ours


@pytest.mark.parametrize("n,dims,method", [(5, 2, "pca"), (21, 2, "tsne"), (120, 2, "umap"), (6, 3, "pca"),
                                           (150, 3, "tsne")])
def test_the_map_is_plotly_json(n, dims, method):
    points = [[(i * 7 % 11) / 3 - j for j in range(dims)] for i in range(n)]
    output = {"method": method, "dimensions": dims, "points": points}
    if method == "pca":
        output["explained_variance_ratio"] = [0.5, 0.25, 0.125][:dims]
    for lang in ("en", "ko"):
        with speaking(lang):
            figure = plotly_reads_it_back(plots.scatter(output, rows(n), f"{method} map"))
        traces = figure["data"]
        assert {t["type"] for t in traces} == {"scatter3d" if dims == 3 else "scatter"}
        assert sum(len(t["x"]) for t in traces) == n and len(traces) == 3  # one trace per label
        assert ("text" in traces[0]) == (dims == 2 and n <= plots.CAPTION_UP_TO)
        assert figure["layout"]["template"]["layout"]["paper_bgcolor"] == "white"  # plotly_white
        if lang == "ko":
            assert figure["layout"]["legend"]["title"]["text"] == "레이블"
            assert "(레이블 없음)" in [t["name"] for t in traces]


@pytest.mark.parametrize("n", [2, 16, 17, 81])
def test_the_heatmap_is_plotly_json(n):
    matrix = [[1.0 if i == j else round(((i + j) % 7) / 7 - 0.5, 6) for j in range(n)] for i in range(n)]
    figure = plotly_reads_it_back(plots.heatmap(matrix, rows(n), "similarity"))
    (trace,) = figure["data"]
    assert trace["type"] == "heatmap" and trace["z"] == matrix and trace["colorscale"][0] == [0.0, "rgb(103,0,31)"]
    assert ("texttemplate" in trace) == (n <= plots.ANNOTATE_UP_TO)
    assert ("hovertext" in trace) == (n <= plots.FULL_HOVER_UP_TO)


@pytest.mark.parametrize("tokens,heads", [(5, 1), (13, 4), (9, 6)])
def test_norms_and_attention_are_plotly_json(tokens, heads):
    layers = 2
    output = {"tokens": [f"t{i}" if i % 4 else " " for i in range(tokens)], "layers": layers, "heads": heads,
              "attentions": [[[[((q + k + h) % 5) / 5 for k in range(tokens)] for q in range(tokens)]
                              for h in range(heads)] for _ in range(layers)],
              "hidden_norms": [[float(i + j) for j in range(tokens)] for i in range(layers + 1)]}
    norms = plotly_reads_it_back(plots.norms(output, "norms"))
    assert norms["data"][0]["y"][0] == "embeddings" and len(norms["data"][0]["y"]) == layers + 1
    every = plotly_reads_it_back(plots.attention(output, 2, "all", "all heads"))
    assert len(every["data"]) == heads and [a["text"] for a in every["layout"]["annotations"]] == \
        [f"head {h}" for h in range(heads)]
    assert {t["yaxis"] for t in every["data"]} == {"y"} | {f"y{h + 1}" for h in range(1, heads)}
    for head in ("mean", "0"):
        (trace,) = plotly_reads_it_back(plots.attention(output, 1, head, head))["data"]
        assert len(trace["z"]) == tokens and ("texttemplate" in trace) == (tokens <= 12)


def test_gradio_sends_it_as_a_plotly_plot():
    import gradio as gr

    figure = plots.heatmap([[1.0, 0.5], [0.5, 1.0]], rows(2), "similarity")
    sent = gr.Plot().postprocess(figure)
    assert sent.type == "plotly" and json.loads(sent.plot) == figure.to_dict()
