"""The tokenizer tab's widgets: one sub-tab per task, each with examples, the drawn result, and the shared
code / raw JSON / details panels. Compare runs one task per selected tokenizer through the model manager.
"""

from __future__ import annotations

import gradio as gr

from core.errors import UserError
from core.i18n import language_of, say, speaking
from core.models import ModelRef
from core.ui import Context, examples, jsonable, model_picker, result_panels, takes_request, wire
from demos.tokenizer import tasks as T
from demos.tokenizer import view


def html_output(ctx: Context, label: str, elem_id: str) -> gr.HTML:
    return gr.HTML(label=ctx.tr(label), show_label=True, container=True, elem_id=elem_id, css_template=view.CSS,
                   js_on_load=None, padding=True)


def params_row(ctx: Context, spec: dict, defaults: dict) -> dict:
    """name -> component for a row of parameters; labels are transformers' argument names.

    spec: name -> (kind, info, choices) with kind "check", "choice", "radio" or "number"."""
    out = {}
    with gr.Row():
        for name, (kind, info, choices) in spec.items():
            value, info = defaults[name], ctx.tr(info)
            if kind == "check":
                out[name] = gr.Checkbox(value=bool(value), label=name, info=info)
            elif kind == "choice":
                out[name] = gr.Dropdown(choices=list(choices), value=value, label=name, info=info)
            elif kind == "radio":
                out[name] = gr.Radio(choices=list(choices), value=value, label=name, info=info)
            else:
                out[name] = gr.Number(value=value, precision=0, minimum=0, label=name, info=info)
    return out


# ---- tokenize ----------------------------------------------------------------------------------
def build_tokenize(ctx: Context) -> None:
    task, tr = T.TOKENIZE, ctx.tr
    with gr.Row():
        with gr.Column(scale=3):
            text = gr.Textbox(label=tr("Text"), lines=4, elem_id="tokenize_text",
                              info=tr("One text per line makes a batch (then padding matters)"))
            pair = gr.Textbox(label=tr("Second text (text_pair)"), lines=1, elem_id="tokenize_text_pair",
                              info=tr("Question + context: token_type_ids become 0 for the first text and 1 for this one"))
            model = model_picker(ctx, task)
            controls = params_row(ctx, {
                "padding": ("choice", "Pad shorter texts: True/longest = to the longest, max_length = to max_length",
                            T.PADDING),
                "truncation": ("choice", "Cut longer texts to max_length (or the model's maximum)", T.TRUNCATION),
                "max_length": ("number", "0 = not set (the model's maximum)", None),
                "return_tensors": ("radio", "list = Python lists, pt = PyTorch, np = NumPy", T.TENSORS),
            }, task.defaults())
            controls |= params_row(ctx, {
                "add_special_tokens": ("check", "Add [CLS]/[SEP], <s>/</s>... as the model expects", None),
                "split_lines": ("check", "Each line is one text of a batch", None),
                "view_limit": ("number", "Tokens listed per text (0 = all); the counts are always exact", None),
            }, task.defaults())
            run = gr.Button(tr("Run"), variant="primary")
            examples(ctx, [
                ["In a hole in the ground there lived a hobbit.", "", "False", "list"],
                ["I am a boy.", "", "False", "pt"],
                ["But what about second breakfast?\nDon't think he knows about second breakfast, Pip.\n"
                 "What about elevensies?", "", "True", "pt"],
                ["Hugging Face는 인공지능(AI)과 자연어 처리(NLP) 분야에서 혁신적인 도구와 모델을 제공하는 AI 스타트업이다.",
                 "", "False", "list"],
                ["What is a tokenizer?", "A tokenizer splits text into tokens and maps each token to an id.", "False",
                 "list"],
            ], [text, pair, controls["padding"], controls["return_tensors"]])
        with gr.Column(scale=2):
            facts = html_output(ctx, "Tokenizer facts", "tokenize_facts")
    tokens = html_output(ctx, "Tokens (hover one for its id, characters, word)", "tokenize_tokens")
    encoding = html_output(ctx, "Encoding: what the model receives (one column per token)", "tokenize_encoding")
    panels = result_panels(ctx, task)

    def render(output, inputs, params):
        texts, pairs, _ = T.texts_of(inputs, params)
        return {tokens: view.tokenize_html(output, texts, pairs), encoding: view.encoding_html(output, texts, pairs),
                facts: view.facts_html(output["tokenizer"])}

    wire(ctx, task, run.click, {"text": text, "text_pair": pair, **controls}, model, render, panels,
         [tokens, encoding, facts], triggers=[text.submit])


# ---- compare -----------------------------------------------------------------------------------
def compare_defaults(ctx: Context) -> tuple[list, list[str]]:
    choices, default = ctx.models.choices(T.COMPARE)
    values = [v for _, v in choices]
    preferred = [m for m in ("google-bert/bert-base-uncased", "beomi/kcbert-base") if m in values]
    return choices, (preferred if len(preferred) == 2 else values[:2])


def compare_rows(results: list[dict]) -> list[list]:
    rows = []
    for item in results:
        if "error" in item:
            rows.append([view.short_name(item["model"]), "", "", None, None, None, None, item["error"]])
            continue
        facts, counts = item["tokenizer"], item["counts"]
        specials = " ".join(view.unique_specials(facts))
        rows.append([view.short_name(item["model"]), facts["class"], facts["algorithm"], facts["vocab_size"], counts["tokens"],
                     counts["unknown_tokens"], counts["tokens_per_word"], specials])
    return rows


def run_compare(ctx: Context, text: str, models: list[str] | str | None, params: dict) -> tuple[dict, str, list]:
    """Run the compare task once per model; returns (output, code, details). A model that fails becomes an
    error column; when every model fails, the first error is raised."""
    names = [models] if isinstance(models, str) else list(models or [])
    names = list(dict.fromkeys(m.strip() for m in names if m and m.strip()))
    if not (text or "").strip():
        raise UserError("empty_input", what="Text")
    if not 2 <= len(names) <= 4:
        raise UserError("bad_param", name="models", detail=f"pick 2 to 4 tokenizers to compare (got {len(names)})")
    results, details, errors = [], [], []
    for name in names:
        try:
            result = ctx.models.run(T.COMPARE, name, {"text": text}, params)
        except UserError as err:
            errors.append(err)
            results.append({"model": name, "error": err.text()})
            continue
        results.append({"model": name, **result.output})
        details.append(result.details)
    if len(errors) == len(names):
        raise errors[0]
    refs = [ModelRef.parse(r["model"]) for r in results if "error" not in r]
    return {"text": text, "results": results}, T.code_compare(refs, {"text": text}, params), details


def build_compare(ctx: Context) -> None:
    task, tr = T.COMPARE, ctx.tr
    choices, value = compare_defaults(ctx)
    with gr.Row():
        with gr.Column(scale=3):
            text = gr.Textbox(label=tr("Text"), lines=3, elem_id="tokenizer_compare_text",
                              value="Hugging Face는 인공지능(AI)과 자연어 처리(NLP) 분야의 AI 스타트업이다.")
        with gr.Column(scale=2):
            models = gr.Dropdown(choices=choices, value=value, multiselect=True, allow_custom_value=True, filterable=True,
                                 max_choices=4, label=tr("Tokenizers (2-4)"), elem_id="tokenizer_compare_models",
                                 info=tr("Pick or type 2 to 4 Hub ids or local folders"))
            special = gr.Checkbox(value=True, label="add_special_tokens",
                                  info=tr("Add [CLS]/[SEP], <s>/</s>... as the model expects"))
    run = gr.Button(tr("Run"), variant="primary")
    examples(ctx, [["Hugging Face는 인공지능(AI)과 자연어 처리(NLP) 분야의 AI 스타트업이다."],
                   ["Do not meddle in the affairs of wizards, for they are subtle and quick to anger."],
                   ["안녕하세요! 토크나이저는 문장을 토큰으로 나눕니다. 🤗"]], [text])
    table = gr.Dataframe(headers=["model", "class", "algorithm", "vocab_size", "tokens", "unknown", "tokens/word",
                                  "special tokens"], label=tr("Side by side"), interactive=False, wrap=True,
                         elem_id="tokenizer_compare_table",
                         column_widths=["22%", "14%", "12%", "9%", "7%", "8%", "9%", "19%"])
    grid = html_output(ctx, "Tokens of each tokenizer", "tokenizer_compare_tokens")
    panels = result_panels(ctx, task)

    def handler(text, models, add_special_tokens, request: gr.Request = None):
        lang = language_of(request)
        try:
            output, code, details = run_compare(ctx, text, models, {"add_special_tokens": add_special_tokens})
        except UserError as err:
            raise gr.Error(err.text(lang), print_exception=False) from None
        with speaking(lang, ctx.tr.korean):  # the drawn tokens' texts follow the browser (core.i18n.say)
            drawn = view.compare_html(text, output["results"])
        return {grid: drawn, table: compare_rows(output["results"]),
                panels.raw: jsonable(output), panels.code: code, panels.details: details}

    takes_request(handler, ["text", "models", "add_special_tokens"])
    gr.on(triggers=[run.click], fn=handler, inputs=[text, models, special],
          outputs=[grid, table, panels.raw, panels.code, panels.details], api_name=task.api_name, concurrency_limit=2)


# ---- decode ------------------------------------------------------------------------------------
# texts made when a result is shown, in the browser's language (core.i18n.say; Korean in KOREAN at the end)
ROUND_TRIP_OK = "✅ `decode(ids, skip_special_tokens=True) == text`: the round trip gives the text back exactly."
ROUND_TRIP_BAD = "❌ The round trip does not give the text back."
DIFFER_FROM = " They differ from character {where}: {back} instead of {text}."
CASE_AND_SPACES = " Only case and spacing differ (the tokenizer lowercases or normalises spaces)."
TEXT_CHANGED = " Some text was lost or changed (unknown tokens, normalisation, or characters the vocabulary lacks)."
N_IDS = "<b>{n}</b> ids: <code>{ids}</code>"


def round_trip_markdown(output: dict) -> str:
    trip = output.get("round_trip")
    if not trip:
        return ""
    if trip["equal"]:
        return say(ROUND_TRIP_OK)
    where = trip["first_difference"]
    back = output["decoded_skip_special_tokens"]
    detail = say(DIFFER_FROM, where=where, back=repr(back[where:where + 12]), text=repr(trip["text"][where:where + 12]))
    why = say(CASE_AND_SPACES if trip["equal_ignoring_case_and_spaces"] else TEXT_CHANGED)
    return say(ROUND_TRIP_BAD) + detail + why


def build_decode(ctx: Context) -> None:
    task, tr = T.DECODE, ctx.tr
    with gr.Row():
        with gr.Column(scale=3):
            ids = gr.Textbox(label=tr("Token ids"), lines=2, elem_id="decode_ids",
                             info=tr("e.g. 101, 1045, 2572 or a pasted [101, 1045, 2572]; leave empty to encode the text"))
            text = gr.Textbox(label=tr("Text (round trip)"), lines=2, elem_id="decode_text",
                              info=tr("Encoded (when no ids are given), decoded again and compared"))
            model = model_picker(ctx, task)
            cleanup = gr.Dropdown(["default", "True", "False"], value="default", label="clean_up_tokenization_spaces",
                                  info=tr("Remove spaces before punctuation when decoding"))
            run = gr.Button(tr("Run"), variant="primary")
            examples(ctx, [["101, 1045, 2572, 1037, 2879, 1012, 102", ""], ["", "I am a boy."],
                           ["", "안녕하세요, 토크나이저!"], ["", "Don't think he knows about second breakfast, Pip."]],
                     [ids, text])
        with gr.Column(scale=2):
            decoded = gr.Textbox(label="tokenizer.decode(ids)", lines=2, interactive=False, elem_id="decode_decoded",
                                 buttons=["copy"])
            skipped = gr.Textbox(label="tokenizer.decode(ids, skip_special_tokens=True)", lines=2, interactive=False,
                                 elem_id="decode_skip_special", buttons=["copy"])
            trip = gr.Markdown(elem_id="decode_round_trip")
    tokens = html_output(ctx, "Tokens of these ids", "decode_tokens")
    panels = result_panels(ctx, task)

    def render(output, inputs, params):
        ids_text = ", ".join(map(str, output["ids"][:64])) + (" …" if len(output["ids"]) > 64 else "")
        html = view.pieces_html(output["tokens"], output["ids"], output["special_tokens_mask"], output.get("readable"),
                                head=say(N_IDS, n=len(output["ids"]), ids=view.esc(ids_text)))
        return {tokens: html, decoded: output["decoded"], skipped: output["decoded_skip_special_tokens"],
                trip: round_trip_markdown(output)}

    wire(ctx, task, run.click, {"ids": ids, "text": text, "clean_up_tokenization_spaces": cleanup}, model, render,
         panels, [tokens, decoded, skipped, trip])


# ---- token lookup ------------------------------------------------------------------------------
def build_token_lookup(ctx: Context) -> None:
    task, tr = T.TOKEN_LOOKUP, ctx.tr
    with gr.Row():
        with gr.Column(scale=3):
            tokens = gr.Textbox(label=tr("Tokens"), lines=1, elem_id="token_lookup_tokens",
                                info=tr("Separated by spaces, spelled as in the vocabulary (##ing, Ġhello, ▁안녕)"))
            ids = gr.Textbox(label=tr("Token ids"), lines=1, elem_id="token_lookup_ids", info=tr("e.g. 2572, 1037"))
            model = model_picker(ctx, task)
            run = gr.Button(tr("Run"), variant="primary")
            examples(ctx, [["I am a boy", "2572"], ["[CLS] [SEP] [PAD] [UNK] [MASK]", "101, 102"],
                           ["안녕 ▁안녕 Ġhello", "0, 1, 2"]], [tokens, ids])
        with gr.Column(scale=2):
            to_ids = gr.Dataframe(headers=["token", "id", "in vocabulary", "tokenize() instead"], interactive=False,
                                  label="convert_tokens_to_ids", elem_id="token_lookup_to_ids", wrap=True)
            to_tokens = gr.Dataframe(headers=["id", "token", "readable", "bytes", "special"], interactive=False,
                                     label="convert_ids_to_tokens", elem_id="token_lookup_to_tokens", wrap=True)
    panels = result_panels(ctx, task)

    def render(output, inputs, params):
        forward = output.get("tokens_to_ids", {}).get("details", [])
        backward = output.get("ids_to_tokens", {}).get("details", [])
        return {
            to_ids: [[r["token"], r["id"], say(view.YES) if r["in_vocabulary"] else f"{say(view.NO)} → {output['unk_token']}",
                      " ".join(r.get("tokenized_as", [])) + (f"  {r['tokenized_ids']}" if r.get("tokenized_ids") else "")]
                     for r in forward],
            to_tokens: [[r["id"], r["token"], r["readable"], r["bytes"], say(view.YES) if r["special"] else ""]
                        for r in backward],
        }

    wire(ctx, task, run.click, {"tokens": tokens, "ids": ids}, model, render, panels, [to_ids, to_tokens],
         triggers=[tokens.submit, ids.submit])


# ---- add tokens --------------------------------------------------------------------------------
BEFORE = "Before: {n} tokens"
AFTER = "After: {n} tokens"
READABLE = "Readable"
ADDED = "`add_tokens` returned **{added}**: `len(tokenizer)` {before:,} → **{after:,}**."
KNOWN = " {n} of the tokens were already in the vocabulary: they keep their id."
KNOWN_SPECIAL = " {n} of the tokens were already in the vocabulary: they keep their id and are now special tokens."
RESIZE = ("The model's embedding matrix must grow to match: `model.resize_token_embeddings({size})` (see the code "
          "below); the new rows start untrained.")


def build_add_tokens(ctx: Context) -> None:
    task, tr = T.ADD_TOKENS, ctx.tr
    with gr.Row():
        with gr.Column(scale=3):
            new = gr.Textbox(label=tr("New tokens"), lines=1, elem_id="add_tokens_new",
                             info=tr("Separated by spaces or commas"))
            text = gr.Textbox(label=tr("Text"), lines=2, elem_id="add_tokens_text",
                              info=tr("Tokenized before and after adding"))
            special = gr.Checkbox(value=False, label="special_tokens",
                                  info=tr("Add as special tokens (never split, skipped by decode(skip_special_tokens=True))"))
            model = model_picker(ctx, task)
            run = gr.Button(tr("Run"), variant="primary")
            examples(ctx, [["허깅페이스 트랜스포머", "허깅페이스의 트랜스포머 라이브러리로 모델을 불러온다.", False],
                           ["covid19 mRNA", "The covid19 mRNA vaccine", False],
                           ["[NEW_TOKEN]", "[NEW_TOKEN] marks a new kind of input", True]], [new, text, special])
        with gr.Column(scale=2):
            summary = gr.Markdown(elem_id="add_tokens_summary")
            table = gr.Dataframe(headers=["token", "new id", "was in vocabulary"], interactive=False,
                                 label=tr("Added tokens"), elem_id="add_tokens_table")
    tokens = html_output(ctx, "Tokens before and after", "add_tokens_tokens")
    panels = result_panels(ctx, task)

    def render(output, inputs, params):
        new_ids = {r["id"] for r in output["new_tokens"] if not r["was_in_vocabulary"]}
        html = ""
        if "before" in output:
            html = "".join(
                view.pieces_html(output[when]["tokens"], output[when]["input_ids"], None, output[when].get("readable"),
                                 new_ids=new_ids if when == "after" else frozenset(),
                                 label_raw=say(BEFORE if when == "before" else AFTER, n=len(output[when]["input_ids"])),
                                 label_readable=say(READABLE))
                for when in ("before", "after"))
        known = sum(r["was_in_vocabulary"] for r in output["new_tokens"])
        md = say(ADDED, added=output["added"], before=output["len_before"], after=output["len_after"])
        if known:
            md += say(KNOWN_SPECIAL if output["special_tokens"] else KNOWN, n=known)
        if output["len_after"] != output["len_before"]:
            md += "\n\n" + say(RESIZE, size=output["resize_token_embeddings"])
        rows = [[r["token"], r["id"], say(view.YES if r["was_in_vocabulary"] else view.NO)] for r in output["new_tokens"]]
        return {summary: md, table: rows, tokens: html}

    wire(ctx, task, run.click, {"new_tokens": new, "text": text, "special_tokens": special}, model, render, panels,
         [summary, table, tokens])


# ---- chat template -----------------------------------------------------------------------------
CHAT_COUNTS = ("<b>{tokens:,}</b> tokens; the messages alone are {content:,} tokens, the template adds the other "
               "{added:,}")


def build_chat_template(ctx: Context) -> None:
    task, tr = T.CHAT_TEMPLATE, ctx.tr
    with gr.Row():
        with gr.Column(scale=3):
            messages = gr.Textbox(label=tr("Conversation"), lines=5, elem_id="chat_template_messages",
                                  info=tr("One message per line as role: content (system, user, assistant), "
                                          "or a JSON list of messages"))
            generation = gr.Checkbox(value=True, label="add_generation_prompt",
                                     info=tr("End with the assistant's turn opener, so a model writes the answer"))
            model = model_picker(ctx, task)
            run = gr.Button(tr("Run"), variant="primary")
            examples(ctx, [["system: You are a helpful assistant.\nuser: What is the capital of France?"],
                           ["user: 안녕하세요! 토크나이저가 뭐예요?"],
                           ["user: Hi!\nassistant: Hello! How can I help?\nuser: Tell me a joke."]], [messages])
        with gr.Column(scale=2):
            prompt = gr.Textbox(label=tr("Prompt text (apply_chat_template with tokenize=False)"), lines=9,
                                interactive=False, elem_id="chat_template_text", buttons=["copy"])
    tokens = html_output(ctx, "Prompt tokens (special tokens in grey)", "chat_template_tokens")
    panels = result_panels(ctx, task)

    def render(output, inputs, params):
        counts = output["counts"]
        head = say(CHAT_COUNTS, tokens=counts["tokens"], content=counts["content_tokens"],
                   added=counts["tokens"] - counts["content_tokens"])
        html = view.pieces_html(output["tokens"], output["input_ids"], output["special_tokens_mask"],
                                output.get("readable"), head=head)
        return {prompt: output["text"], tokens: html}

    wire(ctx, task, run.click, {"messages": messages, "add_generation_prompt": generation}, model, render, panels,
         [prompt, tokens])


BUILDERS = {
    T.TOKENIZE.id: build_tokenize,
    T.COMPARE.id: build_compare,
    T.DECODE.id: build_decode,
    T.TOKEN_LOOKUP.id: build_token_lookup,
    T.ADD_TOKENS.id: build_add_tokens,
    T.CHAT_TEMPLATE.id: build_chat_template,
}


def build(ctx: Context) -> None:
    gr.Markdown(ctx.tr("How text becomes the numbers a model reads. Works with any tokenizer: a Hub id or a local "
                       "folder with tokenizer files (only the tokenizer is loaded, never the model)."))
    with gr.Tabs():
        for task in T.TASKS:
            with gr.Tab(ctx.tr(task.title), id=task.id, elem_id=f"task_{task.api_name}"):
                BUILDERS[task.id](ctx)


KOREAN = {
    **view.KOREAN,
    ROUND_TRIP_OK: "✅ `decode(ids, skip_special_tokens=True) == text`: 왕복하면 원래 텍스트가 정확히 돌아옵니다.",
    ROUND_TRIP_BAD: "❌ 왕복해도 원래 텍스트가 돌아오지 않습니다.",
    DIFFER_FROM: " {where}번째 글자부터 다릅니다: {text} 대신 {back}.",
    CASE_AND_SPACES: " 대소문자와 공백만 다릅니다 (토크나이저가 소문자로 바꾸거나 공백을 정규화합니다).",
    TEXT_CHANGED: " 일부 텍스트가 없어지거나 바뀌었습니다 (알 수 없는 토큰, 정규화, 또는 어휘에 없는 글자).",
    N_IDS: "id <b>{n}</b>개: <code>{ids}</code>",
    BEFORE: "추가 전: 토큰 {n}개",
    AFTER: "추가 후: 토큰 {n}개",
    READABLE: "읽기 쉽게",
    ADDED: "`add_tokens`의 반환값 **{added}**: `len(tokenizer)` {before:,} → **{after:,}**.",
    KNOWN: " 그중 {n}개는 이미 어휘에 있던 토큰이라 원래 id를 유지합니다.",
    KNOWN_SPECIAL: " 그중 {n}개는 이미 어휘에 있던 토큰이라 원래 id를 유지하고, 이제 특수 토큰이 되었습니다.",
    RESIZE: "모델의 임베딩 행렬도 그만큼 늘려야 합니다: `model.resize_token_embeddings({size})` (아래 코드 참고); "
            "새 행은 학습되지 않은 상태로 시작합니다.",
    CHAT_COUNTS: "토큰 <b>{tokens:,}</b>개; 메시지만으로는 {content:,}개이고, 나머지 {added:,}개는 템플릿이 더합니다",
}
