"""attention: one sentence's tokens, each token's hidden-state norm after every layer, and the attention weights
per layer and head (eager attention returns them). The view draws the norms and the attention of one layer:
every head as small multiples, their mean, or one head; picking another layer or head redraws from the result
(no new run)."""

from __future__ import annotations

from core.codegen import from_pretrained, py
from core.errors import UserError
from core.i18n import say
from core.params import Text
from demos.embeddings.common import spec
from demos.embeddings.compute import rounded, source_config, space_of, tokenizer_of
from demos.embeddings.examples import ATTENTION_EXAMPLES

MAX_TOKENS = 64  # longer sentences are cut (attention is tokens x tokens per head)
MAX_LAYERS, MAX_HEADS = 24, 16  # the largest model the view takes (its JSON grows with layers x heads)
NOTE = "{tokens} tokens · {layers} layers × {heads} heads"
CUT_AT = " · cut at {n} tokens"
NORMS_TITLE = "Hidden-state norm of each token after each layer"
ALL_HEADS = "all heads"
MEAN_HEADS = "mean of heads"
HEAD_N = "head {head}"
TITLE = "Attention weights, layer {layer} ({which})"
ALL_HEADS_HINT = "rows = query token (attending), columns = key token (attended to); pick one head to read the tokens"


def batch(bundle, inputs_list: list[dict], params: dict) -> list[dict]:
    """run's result per request: the sentences padded on the right (real tokens keep their positions, and the
    attention mask keeps the padding out of them) in one forward pass, then each cut back to its own tokens.
    A tokenizer without a padding token (or an attention mask) runs each sentence alone."""
    import torch

    sentences = [inputs["sentence"].strip() for inputs in inputs_list]
    model, processor = bundle.model, bundle.processor
    space = space_of(model.config.to_dict())
    if space == "image":
        raise UserError("bad_param", name="model",
                        detail=f"{type(model).__name__} reads images: the token view needs a text or CLIP model")
    tokenizer = tokenizer_of(processor)
    many = len(sentences) > 1
    if many and (tokenizer.pad_token is None or "attention_mask" not in tokenizer.model_input_names):
        return [batch(bundle, [inputs], params)[0] for inputs in inputs_list]
    encoder = model.text_model if space == "joint" else (
        model.get_encoder() if getattr(model.config, "is_encoder_decoder", False) else model)
    fast = getattr(tokenizer, "is_fast", False)
    full = tokenizer(sentences, truncation=True)
    padding = {"padding": True, "padding_side": "right"} if many else {}
    encoded = tokenizer(sentences, truncation=True, max_length=MAX_TOKENS, return_tensors="pt",
                        return_offsets_mapping=fast, **padding)
    offsets = encoded.pop("offset_mapping").tolist() if "offset_mapping" in encoded else None
    with torch.no_grad():
        output = encoder(**encoded.to(model.device), output_attentions=True, output_hidden_states=True)
    if not output.attentions or output.attentions[0] is None:
        raise UserError("bad_param", name="model", detail=f"{type(model).__name__} does not return attention weights")
    layers, heads = len(output.attentions), int(output.attentions[0].shape[1])
    if layers > MAX_LAYERS or heads > MAX_HEADS:
        raise UserError("too_large", what="Tokens & attention",
                        detail=f"{type(model).__name__} has {layers} layers × {heads} heads; the view takes at most "
                               f"{MAX_LAYERS} layers × {MAX_HEADS} heads")
    hidden, attention = torch.stack(output.hidden_states), torch.stack(output.attentions)
    lengths = encoded["attention_mask"].sum(-1).tolist() if many else [encoded["input_ids"].shape[1]]
    results = []
    for row, (sentence, n) in enumerate(zip(sentences, lengths)):
        ids = encoded["input_ids"][row, :n].tolist()
        pieces = tokenizer.convert_ids_to_tokens(ids)
        shown = ([sentence[s:e] if e > s else piece for piece, (s, e) in zip(pieces, offsets[row][:n])]
                 if offsets else list(pieces))
        results.append({
            "tokens": shown,
            "token_strings": pieces,
            "input_ids": ids,
            "truncated": len(full["input_ids"][row]) > len(ids),
            "layers": layers,
            "heads": heads,
            "hidden_norms": rounded(hidden[:, row, :n].float().norm(dim=-1).cpu().numpy(), 4),
            "attentions": rounded(attention[:, row, :, :n, :n].float().cpu().numpy(), 5),
        })
    return results


def run(bundle, inputs: dict, params: dict) -> dict:
    """{"tokens" (as written in the sentence where offsets allow), "token_strings", "input_ids", "truncated",
    "layers", "heads", "hidden_norms" [layers + 1][tokens] (row 0 = embeddings), "attentions" [layers][heads]
    [query token][key token] (each row sums to 1)}."""
    return batch(bundle, [inputs], params)[0]


def code(ref, inputs: dict, params: dict, place) -> str:
    sentence = inputs["sentence"].strip()
    joint = space_of(source_config(ref.source, ref.revision)) == "joint"
    load_tok = from_pretrained("AutoProcessor" if joint else "AutoTokenizer", ref, var="processor" if joint else "tokenizer")
    lines = ["import torch", f"from transformers import AutoModel, {'AutoProcessor' if joint else 'AutoTokenizer'}", "",
             load_tok]
    if joint:
        lines.append("tokenizer = processor.tokenizer")
    lines += ["# eager attention: the fused kernels (sdpa, flash) do not return the attention weights",
              from_pretrained("AutoModel", ref, place, attn_implementation="eager")]
    encoder = "model.text_model" if joint else "model"
    lines += ["", f"sentence = {py(sentence)}",
              f"batch = tokenizer(sentence, truncation=True, max_length={MAX_TOKENS}, return_tensors=\"pt\")",
              "with torch.no_grad():",
              f"    output = {encoder}(**batch.to(model.device), output_attentions=True, output_hidden_states=True)",
              "tokens = tokenizer.convert_ids_to_tokens(batch[\"input_ids\"][0])",
              "norms = torch.stack(output.hidden_states)[:, 0].float().norm(dim=-1)  # [layers + 1, tokens]; row 0 = embeddings",
              "attentions = torch.stack(output.attentions)[:, 0].float()  # [layers, heads, query token, key token]",
              "print(tokens)",
              "print(norms.round(decimals=4).tolist())",
              "print(attentions.shape, attentions.sum(-1).min().item())  # every row of every head sums to 1",
              "print(attentions[-1, 0].round(decimals=3).tolist())  # the last layer's first head"]
    return "\n".join(lines) + "\n"


def title(layer: int, head) -> str:
    """The attention plot's title (in the browser's language)."""
    which = say({"all": ALL_HEADS, "mean": MEAN_HEADS}.get(str(head), HEAD_N), head=head)
    text = say(TITLE, layer=int(layer), which=which)
    return f"{text}<br><sup>{say(ALL_HEADS_HINT)}</sup>" if str(head) == "all" else text


def build(ctx, shared=None) -> None:
    """The sentence and its button; the norms; a layer slider and a head picker (view controls, bounded by
    what the view takes, set to the model's own layers and heads by each run) over the attention plot."""
    import gradio as gr

    from core.i18n import language_of, speaking
    from core.ui import examples, model_picker, widget, wire
    from demos.embeddings import plots
    from demos.embeddings._widgets import full_output, preview_panels

    model = shared.model if shared is not None else model_picker(ctx, TASK)
    with gr.Row():
        sentence = widget(ctx, TASK, "sentence", scale=4)
        show = gr.Button(ctx.tr("Show tokens"), variant="primary", scale=1, elem_id="attention_run")
    examples(ctx, [[s] for s in ATTENTION_EXAMPLES], [sentence])
    note = gr.Markdown(elem_id="attention_note")
    norms = gr.Plot(label=ctx.tr("Hidden-state norms"), elem_id="attention_norms")
    with gr.Row():
        layer = gr.Slider(1, MAX_LAYERS, value=MAX_LAYERS, step=1, label=ctx.tr("Layer"), interactive=False,
                          elem_id="attention_layer")
        head = gr.Dropdown(plots.head_choices(MAX_HEADS), value="all", label=ctx.tr("Head"), interactive=False,
                           elem_id="attention_head")
    plot = gr.Plot(label=ctx.tr("Attention weights"), elem_id="attention_plot")
    state = gr.State(None)
    data = full_output(TASK)
    panels = preview_panels(ctx, TASK)

    def render(result) -> dict:
        output = result.output
        layers, heads = output["layers"], output["heads"]
        text = say(NOTE, tokens=len(output["tokens"]), layers=layers, heads=heads)
        if output.get("truncated"):
            text += say(CUT_AT, n=MAX_TOKENS)
        return {norms: plots.norms(output, say(NORMS_TITLE)),
                plot: plots.attention(output, layers, "all", title(layers, "all")),
                layer: gr.update(minimum=1, maximum=layers, value=layers, interactive=True),
                head: gr.update(choices=plots.head_choices(heads), value="all", interactive=True),
                state: output, note: text, data: output}

    def redraw(output, chosen_layer, chosen_head, request: gr.Request = None):
        if not output:
            return gr.skip()
        with speaking(language_of(request)):  # the title follows the browser, like the first drawing
            heading = title(chosen_layer, chosen_head)
        return plots.attention(output, int(chosen_layer), chosen_head, heading)

    wire(ctx, TASK, show.click, {"sentence": sentence}, model, render, panels,
         [norms, plot, layer, head, state, note, data], triggers=[sentence.submit])
    for control in (layer, head):
        control.input(redraw, [state, layer, head], [plot], api_visibility="private", show_progress="minimal")


TASK = spec(
    "attention", "Tokens & attention", run, code, build,
    "One sentence: each token's hidden-state norm per layer, attention weights per layer and head.",
    inputs=(Text("sentence", "I am a boy.", label="Sentence", max_chars=10_000, required=True,
                 help="One sentence; uses the model picked above (a text or CLIP model)"),),
    params=(),
    batch=batch,
)
