"""The transformers 5 code shown in the Code panels of the row tasks: it loads the model, embeds exactly the
rows of the run the way the app did (same pooling, layer, normalisation, truncation and batches); each task's
code then computes its view (similarity, projection, neighbours). Executed as printed, it leaves `embeddings`
(and `similarity`, `points`, `nearest`...) equal to the app's output. It reads the run's parsed rows (an
upload as the field read it, images as decoded), never the files again."""

from __future__ import annotations

from core import images as core_images
from core.codegen import call_args, from_pretrained, py
from demos.embeddings import compute
from demos.embeddings.rows import SEPARATOR, Row, Upload, rows_of

LITERAL_ROWS = 300  # more rows than this from an uploaded file: the code reads the file instead of listing them

# pooling expressions over `hidden` [batch, tokens, dim] and `mask` [batch, tokens, 1] (text models)
TEXT_POOL = {
    "cls": ("hidden[:, 0]", "the first token ([CLS])"),
    "mean": ("(hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)", "mean over the real tokens (attention mask)"),
    "max": ("hidden.masked_fill(mask == 0, -1e9).max(1).values", "max over the real tokens"),
    "last": ("hidden[torch.arange(len(hidden)), last]", "the last real token"),
    "mean_sqrt_len": ("(hidden * mask).sum(1) / mask.sum(1).sqrt()", "sum over real tokens / sqrt(length)"),
    "weightedmean": ("(hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)",
                     "mean weighted by position (1, 2, 3...)"),
    "pooler": ("output.pooler_output.float()", "the model's pooler_output"),
}
IMAGE_POOL = {
    "cls": ("hidden[:, 0]", "the first token ([CLS])"),
    "mean": ("hidden.mean(1)", "mean over all tokens (patches)"),
    "max": ("hidden.max(1).values", "max over all tokens (patches)"),
    "last": ("hidden[:, -1]", "the last token"),
    "pooler": ("output.pooler_output.float()", "the model's pooler_output"),
}


def _pool_lines(plan: compute.Plan) -> list[str]:
    """Lines (inside the batch loop) that append this batch's pooled vectors to `vectors`."""
    table = TEXT_POOL if plan.space == "text" else IMAGE_POOL
    lines = []
    if "last" in plan.modes and plan.space == "text":
        lines.append('last = batch["attention_mask"].shape[1] - 1 - batch["attention_mask"].flip(1).argmax(1)'
                     "  # last real token")
    if "weightedmean" in plan.modes:
        lines.append("weights = torch.arange(1, hidden.shape[1] + 1)[None, :, None] * mask")
    if len(plan.modes) == 1:
        expr, note = table[plan.modes[0]]
        lines.append(f"vectors.append({expr})  # {note}")
    else:
        lines.append("vectors.append(torch.cat([")
        lines += [f"    {table[m][0]},  # {table[m][1]}" for m in plan.modes]
        lines.append("], dim=-1))  # sentence-transformers concatenates its pooling modes")
    return lines


def _hidden_lines(plan: compute.Plan) -> list[str]:
    if plan.modes == ("pooler",):
        return []
    if plan.layer == -1:
        return ["hidden = output.last_hidden_state.float()"]
    where = "the embedding layer" if plan.layer == 0 else (
        f"after layer {plan.layer}" if plan.layer > 0 else f"layer {plan.layer} from the end")
    return [f"hidden = output.hidden_states[{plan.layer}].float()  # {where} (0 = the embedding layer)"]


def _call(plan: compute.Plan) -> str:
    return "model(**batch, output_hidden_states=True)" if plan.layer != -1 else "model(**batch)"


def _text_kwargs(plan: compute.Plan) -> str:
    kwargs = {"padding": True} if plan.batch_size > 1 else {}
    kwargs["truncation"] = True
    if plan.max_length:
        kwargs["max_length"] = plan.max_length
    kwargs["return_tensors"] = "pt"
    return call_args(**kwargs)


def _loop(var: str, body: list[str], size: int) -> list[str]:
    return [
        "    vectors = []",
        "    with torch.no_grad():",
        f"        for start in range(0, len({var}), {size}):",
        *[f"            {line}" for line in body],
        "    return torch.cat(vectors)",
    ]


def embed_text_function(plan: compute.Plan, encoder_decoder: bool) -> list[str]:
    size = plan.batch_size
    call = _call(plan).replace("model(", "model.get_encoder()(") if encoder_decoder else _call(plan)
    if plan.space == "joint":
        body = [f"batch = processor(text=texts[start:start + {size}], {_text_kwargs(plan)}).to(model.device)",
                "vectors.append(model.get_text_features(**batch).pooler_output.float())  # projected: joint space"]
        doc = "Text vectors in the joint text-image space (the text tower's output, projected)."
        return ["def embed_texts(texts):", f'    """{doc}"""', *_loop("texts", body, size)]
    masked = set(plan.modes) & {"mean", "max", "mean_sqrt_len", "weightedmean"}
    body = [f"batch = tokenizer(texts[start:start + {size}], {_text_kwargs(plan)}).to(model.device)",
            f"output = {call}", *_hidden_lines(plan),
            *(['mask = batch["attention_mask"].unsqueeze(-1).float()  # 1 = real token, 0 = padding'] if masked else []),
            *_pool_lines(plan)]
    doc = f"One vector per text: {' + '.join(plan.modes)} pooling."
    return ["def embed(texts):", f'    """{doc}"""', *_loop("texts", body, size)]


def embed_image_function(plan: compute.Plan) -> list[str]:
    size = plan.batch_size
    batch = (f"batch = processor(images=images[start:start + {size}], return_tensors=\"pt\")"
             ".to(model.device, model.dtype)")
    if plan.space == "joint":
        body = [batch, "vectors.append(model.get_image_features(**batch).pooler_output.float())  # projected: joint space"]
        doc = "Image vectors in the joint text-image space (the vision tower's output, projected)."
    else:
        body = [batch, f"output = {_call(plan)}", *_hidden_lines(plan), *_pool_lines(plan)]
        doc = f"One vector per image: {' + '.join(plan.modes)} pooling."
    return ["def embed_images(images):", f'    """{doc}"""', *_loop("images", body, size)]


# ---- the rows -----------------------------------------------------------------------------------------
def _file_lines(upload: Upload) -> list[str]:
    """Lines that read texts (and labels) from the uploaded file exactly as the app did."""
    path, encoding = upload.path, upload.encoding
    if upload.delimiter is not None:
        t, label = upload.text_column, upload.label_column
        header = upload.header
        lines = [f"with open({py(path)}, encoding={py(encoding)}, newline=\"\") as f:",
                 f"    records = list(csv.reader(f, delimiter={py(upload.delimiter)}))[1:]  # after the header row",
                 f"records = [r for r in records if len(r) > {t} and r[{t}].strip()]",
                 f"texts = [r[{t}].strip() for r in records]  # column {py(header[t] if header else t)}"]
        if label is not None:
            lines.append(f"labels = [r[{label}].strip() if len(r) > {label} else \"\" for r in records]")
        return ["import csv", "", *lines]
    return [f"with open({py(path)}, encoding={py(encoding)}) as f:",
            "    lines = [line.strip() for line in f if line.strip()]",
            "texts = []",
            "for line in lines:",
            f"    label, sep, text = line.partition({py(SEPARATOR)})  # 'label | text' (the label is optional)",
            "    texts.append(text.strip() if sep and text.strip() else line)"]


def _image_lines(rows: list[Row]) -> tuple[list[str], list[str]]:
    """(imports, lines) leaving `images`: the images loaded as the app did."""
    imports: set[str] = set()
    lines: list[str] = []
    exprs: list[str] = []
    for i, row in enumerate(r for r in rows if r.kind == "image"):
        expr, more = core_images.loading_code(row.source, max_pixels=core_images.MAX_PIXELS, var=f"image_{i}",
                                              loaded=row.image)
        if more:
            blank = more.index("")
            imports.update(more[:blank])
            lines += more[blank + 1:]
            exprs.append(expr)
        else:
            imports.add("from transformers.image_utils import load_image")
            exprs.append(f"load_image({expr})")
    lines.append(f"images = [{', '.join(exprs)}]")
    return sorted(imports), lines


def rows_lines(inputs: dict, rows: list[Row]) -> tuple[list[str], list[str]]:
    """(imports, lines) that define `texts` (and `images`) as the run read them."""
    imports: list[str] = []
    texts = [r.text for r in rows if r.kind == "text"]
    lines: list[str] = []
    if texts:
        upload = inputs.get("file")
        if upload is not None and len(texts) > LITERAL_ROWS:
            more = _file_lines(upload)
            if more[0] == "import csv":
                imports.append("import csv")
                more = more[2:]
            lines += more
        else:
            lines.append(f"texts = {py(texts)}")
    if any(r.kind == "image" for r in rows):
        more_imports, more = _image_lines(rows)
        imports += more_imports
        lines += more
    return imports, lines


# ---- whole snippets -----------------------------------------------------------------------------------------
def _header(plan: compute.Plan) -> list[str]:
    notes = [f"# pooling: {plan.why}"]
    if plan.max_length:
        notes.append(f"# texts are cut at max_length={plan.max_length} tokens "
                     "(max_seq_length in the model's sentence_bert_config.json)")
    if plan.dense:
        notes.append("# note: this model's sentence-transformers pipeline adds a Dense layer after pooling, "
                     "which is not applied here")
    if plan.space == "text":
        notes.append('# pipeline("feature-extraction") returns one vector per token ([1, tokens, hidden]); '
                     "pooling them into one vector per text is what the lines below do")
    return notes


def preamble(ref, inputs: dict, params: dict, place, *, extra_imports: list[str] = ()) -> tuple[list[str], compute.Plan, list[Row]]:
    """(lines that load the model, define the rows and leave `embeddings`, the plan, the rows)."""
    options = compute.options_of(params)
    plan = compute.plan_of_source(ref.source, ref.revision, options)
    rows = rows_of(inputs)
    config = compute.source_config(ref.source, ref.revision)
    encoder_decoder = bool(config.get("is_encoder_decoder"))
    row_imports, row_lines = rows_lines(inputs, rows)
    imports = ["import torch", *row_imports]
    if plan.space == "text":
        imports.append("from transformers import AutoModel, AutoTokenizer")
        load = [from_pretrained("AutoTokenizer", ref, var="tokenizer")]
    else:
        cls = "AutoProcessor" if plan.space == "joint" else "AutoImageProcessor"
        imports.append(f"from transformers import AutoModel, {cls}")
        load = [from_pretrained(cls, ref, var="processor")]
    load.append(from_pretrained("AutoModel", ref, place))
    functions: list[str] = []
    has_text = any(r.kind == "text" for r in rows)
    has_image = any(r.kind == "image" for r in rows)
    parts = []
    if has_text:
        functions += [*embed_text_function(plan, encoder_decoder), "", ""]
        parts.append("embed_texts(texts)" if plan.space == "joint" else "embed(texts)")
    if has_image:
        functions += [*embed_image_function(plan), "", ""]
        parts.append("embed_images(images)")
    ordered = sorted(set(imports) | set(extra_imports), key=lambda s: (not s.startswith("import "), s))
    lines = [*_header(plan), *ordered, "", *load, "", *row_lines, "", "", *functions]
    if len(parts) == 1:
        lines.append(f"embeddings = {parts[0]}")
    else:
        lines.append(f"embeddings = torch.cat([{', '.join(parts)}])  # texts first, then images")
    if plan.normalize:
        lines.append("embeddings = torch.nn.functional.normalize(embeddings, p=2, dim=-1)  # L2 normalisation")
    return lines, plan, rows


def names_line(rows: list[Row]) -> str:
    """`names = ...`: one name per row (the texts, then the images' file names)."""
    names = []
    if any(r.kind == "text" for r in rows):
        names.append("texts")
    if any(r.kind == "image" for r in rows):
        names.append(py([r.text for r in rows if r.kind == "image"]))
    return f"names = {' + '.join(names)}"


def rounded_line(var: str) -> str:
    return f"[[round(x, 6) for x in row] for row in {var}.tolist()]"
