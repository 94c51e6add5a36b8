"""HTML for the tokenizer tab: coloured tokens with hover details, the encoding as a table (one column
per token), tokenizer facts, and side-by-side comparisons. Pure string building over the tasks' output;
gradio is imported only inside html_output (called from the tasks' build functions).
"""

from __future__ import annotations

import html
from typing import Any

from core.i18n import say

HTML_LIMIT = 5000  # tokens drawn per sequence at most, whatever view_limit says (browsers slow down beyond)
PALETTE = ("#fde68a", "#bbf7d0", "#bfdbfe", "#fbcfe8", "#ddd6fe", "#fed7aa", "#a5f3fc", "#d9f99d")

# Scoped to each gr.HTML through css_template.
CSS = """
padding-top: 30px;
.tkseq { margin: 0 0 14px 0; }
.tkhead { font-size: 0.95em; margin-bottom: 4px; }
.tklabel { font-size: 0.8em; opacity: 0.75; margin: 6px 0 2px 0; }
.tkrow { display: flex; flex-wrap: wrap; row-gap: 5px; align-items: center; line-height: 1.6; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 0.95em; }
.tk { color: #1f2937; border-radius: 4px; padding: 1px 3px; margin: 0 1px 0 0; white-space: pre; cursor: default;
      border: 1px solid rgba(0,0,0,0.08); }
.tk.gap { margin-left: 7px; }
.tk.sp { background: #e5e7eb !important; color: #4b5563; border: 1px dashed #6b7280; }
.tk.pad { opacity: 0.45; }
.tk.unk { background: #fecaca !important; border: 1px solid #dc2626; }
.tk.new { outline: 2px solid #7c3aed; font-weight: 600; }
.tk:hover { outline: 2px solid #2563eb; }
.tknotes { margin: 4px 0 0 0; padding-left: 18px; font-size: 0.88em; color: #b45309; }
.tkscroll { overflow-x: auto; max-width: 100%; margin-bottom: 12px; }
.tkenc { border-collapse: collapse; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 0.82em; }
.tkenc th { text-align: left; padding: 2px 8px 2px 0; white-space: nowrap; position: sticky; left: 0;
            background: var(--background-fill-primary, #fff); }
.tkenc td { text-align: center; padding: 2px 5px; border-left: 1px solid rgba(128,128,128,0.25); white-space: pre; }
.tkenc td.sp { color: #6b7280; }
.tkenc td.pad { opacity: 0.45; }
.tkgrid { display: grid; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr)); gap: 12px; }
.tkcol { border: 1px solid rgba(128,128,128,0.3); border-radius: 8px; padding: 8px 10px; min-width: 0; }
.tkcol h4 { margin: 0 0 4px 0; font-size: 1em; overflow-wrap: anywhere; }
.tkfacts { border-collapse: collapse; font-size: 0.9em; }
.tkfacts th { text-align: left; padding: 2px 10px 2px 0; vertical-align: top; white-space: nowrap; font-weight: 600; }
.tkfacts td { padding: 2px 0; overflow-wrap: anywhere; }
.chip { display: inline-block; border: 1px dashed #6b7280; border-radius: 4px; padding: 0 4px; margin: 1px 3px 1px 0;
        font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 0.9em; }
.tkstat { font-size: 1.6em; font-weight: 700; }
"""


def esc(text: Any) -> str:
    """HTML-escaped text, also safe inside gradio's JS/Handlebars template ($, braces)."""
    out = html.escape(str(text), quote=True)
    return out.replace("$", "&#36;").replace("{", "&#123;").replace("}", "&#125;")


def visible(text: str) -> str:
    """Whitespace made visible where it would vanish: new lines and tabs as arrows."""
    return text.replace("\r", "␍").replace("\n", "↵").replace("\t", "⇥")


def span(text: str, colour: int, title: str, classes: tuple[str, ...] = ()) -> str:
    cls = " ".join(("tk", *classes))
    return (f'<span class="{cls}" style="background:{PALETTE[colour % len(PALETTE)]}" '
            f'title="{esc(title)}">{esc(visible(text)) or "&nbsp;"}</span>')


def _at(seq: dict, key: str, i: int, default=None):
    values = seq.get(key)
    return values[i] if values is not None and i < len(values) else default


def source_of(seq: dict, i: int, sources: tuple) -> str | None:
    """The text a token's offsets point into: the first text, or the pair for tokens of sequence 1."""
    which = _at(seq, "sequence_ids", i, 0) or 0
    return sources[which] if which < len(sources) else None


def token_title(seq: dict, i: int, sources: tuple, unk_id: int | None) -> str:
    parts = [f"#{i}", f"id {seq['input_ids'][i]}"]
    offsets = _at(seq, "offset_mapping", i)
    if offsets is not None:
        start, end = offsets
        text = source_of(seq, i, sources)
        piece = f" {text[start:end]!r}" if text is not None and end > start else ""
        parts.append(f"chars {start}–{end}{piece}")
    word = _at(seq, "word_ids", i, "n/a")
    parts.append(f"word {word}")
    if _at(seq, "token_type_ids", i) is not None:
        parts.append(f"type {seq['token_type_ids'][i]}")
    if _at(seq, "sequence_ids", i) is not None:
        parts.append(f"text {'AB'[seq['sequence_ids'][i]]}")
    if not _at(seq, "attention_mask", i, 1):
        parts.append("padding")
    elif _at(seq, "special_tokens_mask", i, 0):
        parts.append("special")
    elif unk_id is not None and seq["input_ids"][i] == unk_id:
        parts.append("unknown")
    return " · ".join(parts)


def _classes(seq: dict, i: int, unk_id: int | None, new_ids: set[int] = frozenset()) -> tuple[str, ...]:
    classes = []
    token_id = seq["input_ids"][i]
    special = _at(seq, "special_tokens_mask", i, 0)
    if not _at(seq, "attention_mask", i, 1):
        classes += ["sp", "pad"]
    elif special:
        classes.append("sp")
    elif unk_id is not None and token_id == unk_id:
        classes.append("unk")
    if token_id in new_ids:
        classes.append("new")
    word, previous = _at(seq, "word_ids", i), _at(seq, "word_ids", i - 1) if i else None
    if i and (word is None or word != previous or special):
        classes.append("gap")
    return tuple(classes)


def raw_row(seq: dict, sources: tuple = (), unk_id: int | None = None, new_ids: set[int] = frozenset()) -> str:
    """The tokens as the vocabulary spells them; tokens of one word touch, words are spaced apart."""
    return "".join(span(token, i, token_title(seq, i, sources, unk_id), _classes(seq, i, unk_id, new_ids))
                   for i, token in enumerate(seq["tokens"][:HTML_LIMIT]))


def readable_row(seq: dict, unk_id: int | None = None) -> str:
    """Byte tokens merged back into characters; each piece is coloured like its first token."""
    out = []
    for piece in seq.get("readable") or []:
        first, last = piece["first"], piece["last"]
        if first >= HTML_LIMIT:
            break
        ids = seq["input_ids"][first:last + 1]
        span_text = f"tokens #{first}" + (f"–#{last}" if last > first else "")
        title = f"{span_text} · ids {', '.join(map(str, ids))} · {piece['text']!r}"
        classes = _classes(seq, first, unk_id)
        out.append(span(piece["text"], first, title, tuple(c for c in classes if c != "gap")))
    return "".join(out)


# texts made when a result is shown, in the browser's language (core.i18n.say; Korean in locales/ko/tokenizer.toml)
N_TOKENS = "<b>{n:,}</b> tokens"
N_CHARACTERS = "{n:,} characters"
N_WORDS = "{n:,} words"
PER_WORD = "{n} tokens per word"
N_SPECIAL = "{n:,} special"
N_PADDING = "{n:,} padding"
N_UNKNOWN = "{n:,} unknown"
BYTE_LEVEL = "Tokens as the vocabulary spells them (byte-level: Ġ = space, Korean appears as byte characters)"
READABLE_ROW = "Readable: the same tokens with their bytes merged into characters"
DRAWING_FIRST = "Drawing the first {limit:,} of the {total:,} tokens listed; the raw JSON has them all."
TEXT_N = "Text {n}"
BATCH = "Batch of {n} texts · <b>{total:,}</b> tokens in all"
MORE_HIDDEN = "… {n:,} more tokens not shown"
PYTHON_LISTS = "return_tensors=None → Python lists: {shape}"
LISTS_OF_LENGTHS = "{n} list(s) of lengths {lengths}"
WITH_ADDED = " (len {n:,} with added tokens)"
NO_LIMIT = "no limit set"
YES = "yes"
NO = "no"
TOKENS_WORD = "tokens"
READABLE_PIECES = "Readable: bytes merged into characters"


def counts_line(counts: dict) -> str:
    parts = [say(N_TOKENS, n=counts["tokens"]), say(N_CHARACTERS, n=counts["characters"]),
             say(N_WORDS, n=counts["words"])]
    if counts.get("tokens_per_word") is not None:
        parts.append(say(PER_WORD, n=counts["tokens_per_word"]))
    for key, label in (("special_tokens", N_SPECIAL), ("padding_tokens", N_PADDING), ("unknown_tokens", N_UNKNOWN)):
        if counts.get(key):
            parts.append(say(label, n=counts[key]))
    return " · ".join(parts)


def sequence_html(seq: dict, *, label: str = "", sources: tuple = (), unk_id: int | None = None,
                  new_ids: set[int] = frozenset()) -> str:
    """Header with the counts, the raw tokens and the readable row (byte-level tokenizers)."""
    head = f"<b>{esc(label)}</b> · " if label else ""
    parts = [f'<div class="tkseq"><div class="tkhead">{head}{counts_line(seq["counts"])}</div>']
    if seq.get("readable"):
        parts.append(f'<div class="tklabel">{say(BYTE_LEVEL)}</div>')
    parts.append(f'<div class="tkrow">{raw_row(seq, sources, unk_id, new_ids)}</div>')
    if seq.get("readable"):
        parts.append(f'<div class="tklabel">{say(READABLE_ROW)}</div>')
        parts.append(f'<div class="tkrow">{readable_row(seq, unk_id)}</div>')
    if len(seq["tokens"]) > HTML_LIMIT:  # the run's own notes are shown under the result
        parts.append(f'<ul class="tknotes"><li>{esc(say(DRAWING_FIRST, limit=HTML_LIMIT, total=len(seq["tokens"])))}</li></ul>')
    parts.append("</div>")
    return "".join(parts)


def _sequences(output: dict) -> list[dict]:
    return output["sequences"] if "sequences" in output else [output]


def tokenize_html(output: dict, texts: list[str], pairs: list[str] | None) -> str:
    """Coloured tokens of every text in a tokenize result."""
    unk = (output["tokenizer"]["special_tokens"].get("unk_token") or {}).get("id")
    seqs = _sequences(output)
    parts = []
    for i, seq in enumerate(seqs):
        label = say(TEXT_N, n=i + 1) if len(seqs) > 1 else ""
        sources = (texts[i] if i < len(texts) else None, pairs[i] if pairs and i < len(pairs) else None)
        parts.append(sequence_html(seq, label=label, sources=sources, unk_id=unk))
    if "sequences" in output:
        parts.insert(0, f'<div class="tkhead">{say(BATCH, n=output["batch_size"], total=output["total_tokens"])}</div>')
    return "".join(parts)


ENCODING_ROWS = ("input_ids", "token_type_ids", "attention_mask", "special_tokens_mask", "word_ids", "sequence_ids",
                 "offset_mapping")


def encoding_html(output: dict, texts: list[str], pairs: list[str] | None) -> str:
    """The encoding as the model receives it: one column per token, one row per field, and the tensors."""
    seqs = _sequences(output)
    parts = [f'<div class="tkhead">{tensors_line(output["tensors"])}</div>']
    for b, seq in enumerate(seqs):
        cols = range(min(len(seq["tokens"]), HTML_LIMIT))
        cell_classes = ["pad" if not _at(seq, "attention_mask", i, 1) else "sp" if _at(seq, "special_tokens_mask", i, 0)
                        else "" for i in cols]

        def row(name: str, values: list[str], classes: list[str] = cell_classes) -> str:
            cells = "".join(f'<td class="{c}">{esc(v)}</td>' for c, v in zip(classes, values))
            return f"<tr><th>{esc(name)}</th>{cells}</tr>"

        rows = [row("token", [visible(t) for t in seq["tokens"]])]
        for name in ENCODING_ROWS:
            values = seq.get(name)
            if values is None:
                continue
            if name == "offset_mapping":
                rows.append(row("offset_mapping", [f"{s}:{e}" for s, e in values]))
                if b < len(texts):
                    sources = (texts[b], pairs[b] if pairs else None)
                    rows.append(row("text[start:end]", [visible((source_of(seq, i, sources) or "")[s:e])
                                                        for i, (s, e) in enumerate(values)]))
            else:
                rows.append(row(name, ["·" if v is None else str(v) for v in values]))
        label = f"<div class='tklabel'>{say(TEXT_N, n=b + 1)}</div>" if len(seqs) > 1 else ""
        hidden = seq["view"]["total"] - len(cols)
        more = f"<div class='tklabel'>{say(MORE_HIDDEN, n=hidden)}</div>" if hidden > 0 else ""
        parts.append(f'{label}<div class="tkscroll"><table class="tkenc">{"".join(rows)}</table></div>{more}')
    return "".join(parts)


def tensors_line(tensors: dict) -> str:
    kind = tensors.get("return_tensors")
    if not kind:
        lengths = tensors.get("lengths", [])
        shape = (say(LISTS_OF_LENGTHS, n=len(lengths), lengths=", ".join(map(str, lengths[:16])))
                 + (" …" if len(lengths) > 16 else ""))
        return say(PYTHON_LISTS, shape=esc(shape))
    fields = [f"<code>{esc(k)}</code> {tuple(v['shape'])} {esc(v['dtype'])}" for k, v in tensors.items()
              if isinstance(v, dict)]
    return f"return_tensors={esc(repr(kind))} → " + " · ".join(fields)


def facts_html(facts: dict) -> str:
    """The tokenizer's facts as a two-column table."""
    special = "".join(f'<span class="chip" title="{esc(role)}">{esc(v["token"])} {v["id"]}</span>'
                      for role, v in facts["special_tokens"].items())
    rows = [
        ("class", facts["class"]),
        ("algorithm", facts["algorithm"]),
        ("vocab_size", f"{facts['vocab_size']:,}" + (say(WITH_ADDED, n=facts["len"])
                                                    if facts["len"] != facts["vocab_size"] else "")),
        ("model_max_length", f"{facts['model_max_length']:,}" if facts["model_max_length"] else say(NO_LIMIT)),
        ("padding / truncation side", f"{facts['padding_side']} / {facts['truncation_side']}"),
        ("model_input_names", ", ".join(facts["model_input_names"])),
        ("special tokens", None),
        ("template", f"{facts['template']['single']}   |   pair: {facts['template']['pair']}" if facts.get("template") else None),
        ("normalizer", facts["normalizer"]),
        ("pre_tokenizer", facts["pre_tokenizer"]),
        ("decoder", facts["decoder"]),
        ("chat template", say(YES if facts["chat_template"] else NO)),
    ]
    body = []
    for name, value in rows:
        if name == "special tokens":
            body.append(f"<tr><th>{name}</th><td>{special or '—'}</td></tr>")
        elif value is not None:
            body.append(f"<tr><th>{esc(name)}</th><td>{esc(value)}</td></tr>")
    return f'<table class="tkfacts">{"".join(body)}</table>'


def compare_html(text: str, results: list[dict]) -> str:
    """One column per tokenizer: name, facts in a line, counts, coloured tokens (and readable ones)."""
    cols = []
    for item in results:
        name = f'<span title="{esc(item["model"])}">{esc(short_name(item["model"]))}</span>'
        facts = item["tokenizer"]
        unk = (facts["special_tokens"].get("unk_token") or {}).get("id")
        specials = " ".join(f'<span class="chip">{esc(t)}</span>' for t in unique_specials(facts))
        cols.append(
            f'<div class="tkcol"><h4>{name}</h4>'
            f'<div class="tkstat">{item["counts"]["tokens"]:,} <span style="font-size:0.5em;font-weight:400">{say(TOKENS_WORD)}</span></div>'
            f'<div class="tklabel">{esc(facts["algorithm"])} · {esc(facts["class"])} · {esc(say("vocab"))} {facts["vocab_size"]:,}</div>'
            f'<div class="tklabel">{specials}</div>'
            f'{sequence_html(item, sources=(text,), unk_id=unk)}</div>')
    return f'<div class="tkgrid">{"".join(cols)}</div>'


def compare_rows(results: list[dict]) -> list[list]:
    """The side-by-side table: one row per tokenizer."""
    rows = []
    for item in results:
        facts, counts = item["tokenizer"], item["counts"]
        rows.append([short_name(item["model"]), facts["class"], facts["algorithm"], facts["vocab_size"], counts["tokens"],
                     counts["unknown_tokens"], counts["tokens_per_word"], " ".join(unique_specials(facts))])
    return rows


def short_name(model: str) -> str:
    """A Hub id as is; a local folder by its last part."""
    return model.rstrip("/").rsplit("/", 1)[-1] if model.startswith(("/", "~", ".")) else model


def unique_specials(facts: dict) -> list[str]:
    return list(dict.fromkeys(v["token"] for v in facts["special_tokens"].values()))


def pieces_html(tokens: list[str], ids: list[int], special_mask: list[int] | None, readable: list[dict] | None,
                *, new_ids: set[int] = frozenset(), label_raw: str = "", label_readable: str = "",
                head: str = "") -> str:
    """Tokens (and their readable pieces) for results without offsets: decode, chat template, add tokens."""
    seq = {"tokens": tokens, "input_ids": ids, "special_tokens_mask": special_mask or [0] * len(ids),
           "readable": readable}
    parts = [f'<div class="tkhead">{head}</div>'] if head else []
    if label_raw:
        parts.append(f'<div class="tklabel">{esc(label_raw)}</div>')
    row = "".join(span(t, i, f"#{i} · id {ids[i]}" + (" · special" if seq["special_tokens_mask"][i] else ""),
                       tuple(c for c in _classes(seq, i, None, new_ids) if c != "gap"))
                  for i, t in enumerate(tokens))
    parts.append(f'<div class="tkrow">{row}</div>')
    if readable:
        parts.append(f'<div class="tklabel">{esc(label_readable or say(READABLE_PIECES))}</div>')
        parts.append(f'<div class="tkrow">{readable_row(seq)}</div>')
    return "".join(parts)


def html_output(ctx, label: str, elem_id: str):
    """The gr.HTML every tokenizer result is drawn in (scoped CSS, a label like the other outputs)."""
    import gradio as gr

    return gr.HTML(label=ctx.tr(label), show_label=True, container=True, elem_id=elem_id, css_template=CSS,
                   js_on_load=None, padding=True)
