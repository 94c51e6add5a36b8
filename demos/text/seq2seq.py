"""Summarization, translation and text2text-generation: the encoder-decoder tasks whose pipelines
transformers 5 removed (`pipeline("summarization")` etc. now raise KeyError).

All three run through one helper, `seq2seq_generate`: AutoModelForSeq2SeqLM + AutoTokenizer, the 4.x
pipelines' prefix and generation defaults from `config.task_specific_params` (T5: "summarize: ",
"translate English to French: "), inputs truncated to the model's limit (flagged "truncated" in the
output), one padded `model.generate` call per batch of `batch_size` lines. The Code panel shows that
same AutoClass code, built by `seq2seq_code`.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from core.codegen import from_pretrained, py
from core.errors import UserError
from core.i18n import say
from core.registry import Loader, TaskSpec
from core.ui import Context, examples, model_picker, result_panels, wire
from demos.text.common import (
    GENERATION_KOREAN,
    WHICH_KOREAN,
    batch_size_of,
    generation_controls,
    generation_kwargs,
    lines_of,
    token_limit,
    which_lines,
)

LOADER = Loader.auto("AutoModelForSeq2SeqLM", "AutoTokenizer")
ARCHITECTURES = (
    "BartForConditionalGeneration", "T5ForConditionalGeneration", "MarianMTModel", "PegasusForConditionalGeneration",
    "M2M100ForConditionalGeneration", "LEDForConditionalGeneration", "FSMTForConditionalGeneration",
    "BigBirdPegasusForConditionalGeneration", "ProphetNetForConditionalGeneration", "EncoderDecoderModel",
)
MODEL_TYPES = ("bart", "mbart", "t5", "mt5", "umt5", "longt5", "marian", "pegasus", "pegasus_x", "m2m_100", "led",
               "fsmt", "bigbird_pegasus", "prophetnet", "plbart", "encoder-decoder")


# ---- the shared runner ------------------------------------------------------------------------------
def task_params_of(config, key: str) -> tuple[str, dict]:
    """(prefix, generation defaults) from config.task_specific_params[key], as the 4.x pipelines used them."""
    params = dict((getattr(config, "task_specific_params", None) or {}).get(key, {}))
    return params.pop("prefix", ""), params


def seq2seq_generate(bundle, texts: list[str], *, output_key: str, prefix: str = "", defaults: dict | None = None,
                     gen_kwargs: dict | None = None, batch_size: int = 1) -> list[dict]:
    """Generate one text per input with `bundle.model.generate`, `batch_size` inputs per padded call.

    prefix is put before every input that does not already start with it; defaults (the model's task
    parameters) are overridden by gen_kwargs (the user's). Inputs longer than `token_limit` are cut.
    Returns [{output_key: text, "truncated": bool}, ...], one per input, in order.
    """
    tokenizer, model = bundle.processor, bundle.model
    texts = [t if t.startswith(prefix) else prefix + t for t in texts]
    limit = token_limit(tokenizer, model.config)
    kwargs = {**(defaults or {}), **(gen_kwargs or {})}
    results: list[dict] = []
    for start in range(0, len(texts), batch_size):
        batch = texts[start:start + batch_size]
        lengths = [len(ids) for ids in tokenizer(batch)["input_ids"]]
        inputs = tokenizer(batch, padding=True, truncation=True, max_length=limit, return_tensors="pt").to(model.device)
        outputs = model.generate(**inputs, **kwargs)
        for text, length in zip(tokenizer.batch_decode(outputs, skip_special_tokens=True), lengths):
            results.append({output_key: text, "truncated": length > limit})
    return results


REMOVED_NOTE = ('transformers 5 removed pipeline("{task}"): the 4.x one-liner now raises KeyError.\n'
                "This is the AutoClass code the app runs instead (same result as the app's raw output).")


def seq2seq_code(task: str, ref, place, texts: list[str], *, output_key: str, prefix_lines: list[str] | None,
                 gen_kwargs: dict, batch_size: int) -> str:
    """The snippet for seq2seq_generate: load, prefix, truncate, generate (batched when needed), print.

    prefix_lines (None: no prefix) must set `prefix` and `task_params` (the model's generation defaults).
    """
    if prefix_lines:  # the model's task defaults first, the user's values over them
        items = "".join(f", {py(k)}: {py(v)}" for k, v in gen_kwargs.items())
        prefix_lines = [*prefix_lines, "texts = [t if t.startswith(prefix) else prefix + t for t in texts]",
                        f"generate_kwargs = {{**task_params{items}}}"]
        generate_args = "**inputs, **generate_kwargs"
    else:
        generate_args = ", ".join(["**inputs", *(f"{k}={py(v)}" for k, v in gen_kwargs.items())])
    lines = [f"# {line}" for line in REMOVED_NOTE.format(task=task).splitlines()]
    lines += [
        "from transformers import AutoModelForSeq2SeqLM, AutoTokenizer",
        "",
        from_pretrained("AutoTokenizer", ref, var="tokenizer"),
        from_pretrained("AutoModelForSeq2SeqLM", ref, place),
        "",
        f"texts = {py(texts)}",
        *(prefix_lines or []),
        "# inputs longer than the model takes are cut to its limit, and flagged",
        "limit = min(tokenizer.model_max_length, getattr(model.config, 'max_position_embeddings', None)"
        " or tokenizer.model_max_length)",
    ]

    def body(batch: str) -> list[str]:
        return [
            f"lengths = [len(ids) for ids in tokenizer({batch})['input_ids']]",
            f"inputs = tokenizer({batch}, padding=True, truncation=True, max_length=limit, return_tensors='pt')"
            ".to(model.device)",
            f"outputs = model.generate({generate_args})",
            "for text, length in zip(tokenizer.batch_decode(outputs, skip_special_tokens=True), lengths):",
            f"    result.append({{{py(output_key)}: text, 'truncated': length > limit}})",
        ]

    lines.append("result = []")
    if len(texts) <= batch_size:
        lines += body("texts")
    else:
        lines.append(f"for start in range(0, len(texts), {batch_size}):  # batch_size={batch_size}")
        lines.append(f"    batch = texts[start:start + {batch_size}]")
        lines += ["    " + line for line in body("batch")]
    lines.append("print(result)")
    return "\n".join(lines) + "\n"


def _task_prefix_lines(key: str, why: str) -> list[str]:
    return [
        f"# {why}",
        f"task_params = dict((getattr(model.config, 'task_specific_params', None) or {{}}).get({py(key)}, {{}}))",
        "prefix = task_params.pop('prefix', '')",
    ]


# ---- summarization -------------------------------------------------------------------------------------
SUMMARY_PARAMS = {"min_length": 0, "max_length": 0, "num_beams": 0, "batch_size": 1}


def run_summarization(bundle, inputs: dict, params: dict) -> list[dict]:
    """[{"summary_text": str, "truncated": bool}] per input line."""
    texts = lines_of(inputs.get("text"))
    prefix, defaults = task_params_of(bundle.config, "summarization")
    return seq2seq_generate(bundle, texts, output_key="summary_text", prefix=prefix, defaults=defaults,
                            gen_kwargs=generation_kwargs(params), batch_size=batch_size_of(params))


def code_summarization(ref, inputs: dict, params: dict, place) -> str:
    prefix = _task_prefix_lines("summarization", "the 4.x pipeline's prefix and generation defaults "
                                                  "(T5: \"summarize: \"; BART: beams and lengths)")
    return seq2seq_code("summarization", ref, place, lines_of(inputs.get("text")), output_key="summary_text",
                        prefix_lines=prefix, gen_kwargs=generation_kwargs(params), batch_size=batch_size_of(params))


SUMMARIZATION = TaskSpec(
    id="summarization",
    title="Summarization",
    loader=LOADER,
    default_model="sshleifer/distilbart-cnn-12-6",
    models=("facebook/bart-large-cnn", "google-t5/t5-small", "gogamza/kobart-summarization"),
    run=run_summarization,
    code=code_summarization,
    inputs=("text",),
    params=dict(SUMMARY_PARAMS),
    architectures=ARCHITECTURES,
    model_types=MODEL_TYPES,
    description="An abstractive summary of each text (removed from 5.x pipelines: AutoModelForSeq2SeqLM).",
)


# ---- translation ---------------------------------------------------------------------------------------
TRANSLATION_PARAMS = {"src_lang": "en", "tgt_lang": "fr", "max_length": 0, "num_beams": 0, "batch_size": 1}
LANGUAGES = ["en", "fr", "de", "ro", "ko"]


def translation_prefix(tokenizer, config, src_lang: str, tgt_lang: str) -> tuple[str, dict]:
    """(prefix, generation defaults) for translating src_lang -> tgt_lang with this model.

    T5 names its pairs in config.task_specific_params ("translation_en_to_fr" -> "translate English to
    French: "); multi-target opus-mt models want a ">>lang<<" token first; single-pair models (opus-mt-ko-en)
    need neither and ignore the languages. A pair the model does not offer is a UserError.
    """
    key = f"translation_{src_lang}_to_{tgt_lang}"
    pairs = [k for k in (getattr(config, "task_specific_params", None) or {}) if k.startswith("translation_")]
    if pairs and key not in pairs:
        offered = ", ".join(sorted(k.removeprefix("translation_").replace("_to_", "→") for k in pairs))
        raise UserError("bad_param", name="src_lang/tgt_lang",
                        detail=f"this model translates {offered}; for {src_lang}→{tgt_lang} pick a model made for it "
                               "(e.g. Helsinki-NLP/opus-mt-ko-en for ko→en)")
    prefix, defaults = task_params_of(config, key)
    vocab = tokenizer.get_vocab()
    codes = sorted(t[2:-2] for t in vocab if t.startswith(">>") and t.endswith("<<"))
    if f">>{tgt_lang}<<" in vocab:
        prefix = f">>{tgt_lang}<< "
    elif len(codes) > 1:
        raise UserError("bad_param", name="tgt_lang",
                        detail=f"this model translates into several languages; choose one of: {', '.join(codes[:40])}")
    return prefix, defaults


def _languages(params: dict) -> tuple[str, str]:
    src = str(params.get("src_lang") or "").strip()
    tgt = str(params.get("tgt_lang") or "").strip()
    if not src or not tgt:
        raise UserError("bad_param", name="src_lang/tgt_lang", detail="give both languages (e.g. en and fr)")
    return src, tgt


def run_translation(bundle, inputs: dict, params: dict) -> list[dict]:
    """[{"translation_text": str, "truncated": bool}] per input line."""
    texts = lines_of(inputs.get("text"))
    src, tgt = _languages(params)
    prefix, defaults = translation_prefix(bundle.processor, bundle.config, src, tgt)
    kwargs = generation_kwargs({k: v for k, v in params.items() if k not in ("src_lang", "tgt_lang")})
    return seq2seq_generate(bundle, texts, output_key="translation_text", prefix=prefix, defaults=defaults,
                            gen_kwargs=kwargs, batch_size=batch_size_of(params))


def code_translation(ref, inputs: dict, params: dict, place) -> str:
    src, tgt = _languages(params)
    prefix = [
        f"src_lang, tgt_lang = {py(src)}, {py(tgt)}",
        "# T5 keeps its pairs in config.task_specific_params (\"translate English to French: \");",
        "# multi-target opus-mt models want a >>lang<< token first; single-pair models need neither.",
        "task_params = dict((getattr(model.config, 'task_specific_params', None) or {})"
        ".get(f'translation_{src_lang}_to_{tgt_lang}', {}))",
        "prefix = task_params.pop('prefix', '')",
        "if f'>>{tgt_lang}<<' in tokenizer.get_vocab():",
        "    prefix = f'>>{tgt_lang}<< '",
    ]
    kwargs = generation_kwargs({k: v for k, v in params.items() if k not in ("src_lang", "tgt_lang")})
    return seq2seq_code("translation", ref, place, lines_of(inputs.get("text")), output_key="translation_text",
                        prefix_lines=prefix, gen_kwargs=kwargs, batch_size=batch_size_of(params))


TRANSLATION = TaskSpec(
    id="translation",
    title="Translation",
    loader=LOADER,
    default_model="google-t5/t5-small",
    models=("Helsinki-NLP/opus-mt-ko-en", "Helsinki-NLP/opus-mt-tc-big-en-ko", "google-t5/t5-base"),
    run=run_translation,
    code=code_translation,
    inputs=("text",),
    params=dict(TRANSLATION_PARAMS),
    architectures=ARCHITECTURES,
    model_types=MODEL_TYPES,
    description="Translate each line (removed from 5.x pipelines: AutoModelForSeq2SeqLM).",
)


# ---- text2text-generation ------------------------------------------------------------------------------
TEXT2TEXT_PARAMS = {"max_new_tokens": 64, "num_beams": 0, "repetition_penalty": 1.0, "batch_size": 1,
                    "do_sample": False, "temperature": 0.7, "top_k": 50, "top_p": 1.0, "seed": 42}


def run_text2text_generation(bundle, inputs: dict, params: dict) -> list[dict]:
    """[{"generated_text": str, "truncated": bool}] per input line."""
    from transformers import set_seed

    texts = lines_of(inputs.get("text"))
    kwargs = generation_kwargs(params)
    if kwargs.get("do_sample"):
        set_seed(int(params.get("seed") or 0))
    return seq2seq_generate(bundle, texts, output_key="generated_text", gen_kwargs=kwargs,
                            batch_size=batch_size_of(params))


def code_text2text_generation(ref, inputs: dict, params: dict, place) -> str:
    kwargs = generation_kwargs(params)
    code = seq2seq_code("text2text-generation", ref, place, lines_of(inputs.get("text")), output_key="generated_text",
                        prefix_lines=None,
                        gen_kwargs=kwargs, batch_size=batch_size_of(params))
    if kwargs.get("do_sample"):
        seed = int(params.get("seed") or 0)
        code = code.replace("from transformers import AutoModelForSeq2SeqLM, AutoTokenizer\n",
                            "from transformers import AutoModelForSeq2SeqLM, AutoTokenizer, set_seed\n")
        code = code.replace("result = []\n", f"set_seed({seed})  # sampling is random: the seed makes it repeatable\n"
                                             "result = []\n", 1)
    return code


TEXT2TEXT = TaskSpec(
    id="text2text-generation",
    title="Text2Text generation",
    loader=LOADER,
    default_model="google/flan-t5-base",
    models=("google/flan-t5-small", "google/flan-t5-large"),
    run=run_text2text_generation,
    code=code_text2text_generation,
    inputs=("text",),
    params=dict(TEXT2TEXT_PARAMS),
    architectures=ARCHITECTURES,
    model_types=MODEL_TYPES,
    description="An instruction in, a text out (FLAN-T5): removed from 5.x pipelines, AutoModelForSeq2SeqLM.",
)


# ---- the three sub-tabs ----------------------------------------------------------------------------------
TRUNCATED = ("⚠️ {which} was longer than the model takes and was truncated to its limit: "
             "the result covers only the beginning (\"truncated\": true in the raw output).")


def render_seq2seq(components: dict, output_key: str):
    """render(output, inputs, params) for the result text, the truncation note and the per-line table."""

    def render(output: list[dict], inputs: dict, params: dict) -> dict:
        texts = lines_of(inputs.get("text"))
        cut = [i + 1 for i, item in enumerate(output) if item.get("truncated")]
        note = ""
        if cut:
            note = say(TRUNCATED, which=which_lines(cut, len(output), plural=False))
        table = [[text, item[output_key], bool(item.get("truncated"))] for text, item in zip(texts, output)]
        return {
            components["result"]: "\n".join(item[output_key] for item in output),
            components["note"]: gr.update(value=note, visible=bool(note)),
            components["table"]: gr.update(value=table, visible=len(output) > 1),
        }

    return render


def _build(ctx: Context, task: TaskSpec, *, result_label: str, output_key: str, rows: list[list],
           controls: dict, languages: bool = False) -> None:
    """One seq2seq sub-tab: text, model, (languages), generation controls, examples, result, panels."""
    tr = ctx.tr
    name = task.api_name
    with gr.Row():
        with gr.Column(scale=3):
            text = gr.Textbox(label=tr("Input text"), lines=6, elem_id=f"{name}_text",
                              info=tr("One text per line runs them as one batch"))
            model = model_picker(ctx, task)
            fields: dict[str, Any] = {"text": text}
            example_inputs = [text]
            if languages:
                with gr.Group():
                    with gr.Row():
                        fields["src_lang"] = gr.Dropdown(LANGUAGES, value="en", label=tr("Source language (src_lang)"),
                                                         allow_custom_value=True, elem_id=f"{name}_src")
                        fields["tgt_lang"] = gr.Dropdown(LANGUAGES, value="fr", label=tr("Target language (tgt_lang)"),
                                                         allow_custom_value=True, elem_id=f"{name}_tgt")
                    gr.Markdown(tr("Used by models with several pairs: T5 (en → fr/de/ro) and multi-target opus-mt "
                                   "(>>lang<< codes); single-pair models such as opus-mt-ko-en ignore it"),
                                elem_classes=["lang-note"], padding=True)
                example_inputs += [fields["src_lang"], fields["tgt_lang"]]
            fields.update(generation_controls(ctx, controls))
            run = gr.Button(tr("Run"), variant="primary", elem_id=f"{name}_run")
            examples(ctx, rows, example_inputs)
        with gr.Column(scale=2):
            result = gr.Textbox(label=tr(result_label), lines=6, interactive=False, buttons=["copy"],
                                elem_id=f"{name}_result")
            note = gr.Markdown(visible=False, elem_id=f"{name}_note")
            table = gr.Dataframe(headers=["input", output_key, "truncated"], label=tr("Per line"), visible=False,
                                 interactive=False, wrap=True, elem_id=f"{name}_table")
            gr.Markdown(tr("transformers 5 removed this pipeline: the app runs AutoModelForSeq2SeqLM + "
                           "model.generate, and the Code panel shows exactly that."), elem_classes=["removed-note"])
    panels = result_panels(ctx, task)
    components = {"result": result, "note": note, "table": table}
    wire(ctx, task, run.click, fields, model, render_seq2seq(components, output_key), panels,
         [result, note, table])


TRANSFORMER_ABSTRACT = (
    "The dominant sequence transduction models are based on complex recurrent or convolutional neural networks "
    "in an encoder-decoder configuration. The best performing models also connect the encoder and decoder through "
    "an attention mechanism. We propose a new simple network architecture, the Transformer, based solely on "
    "attention mechanisms, dispensing with recurrence and convolutions entirely. Experiments on two machine "
    "translation tasks show these models to be superior in quality while being more parallelizable and requiring "
    "significantly less time to train. Our model achieves 28.4 BLEU on the WMT 2014 English-to-German translation "
    "task, improving over the existing best results, including ensembles, by over 2 BLEU. On the WMT 2014 "
    "English-to-French translation task, our model establishes a new single-model state-of-the-art BLEU score of "
    "41.8 after training for 3.5 days on eight GPUs, a small fraction of the training costs of the best models "
    "from the literature."
)
NOTES_CONCLUSION = (
    "In this work, we presented the Transformer, the first sequence transduction model based entirely on "
    "attention, replacing the recurrent layers most commonly used in encoder-decoder architectures with "
    "multi-headed self-attention. For translation tasks, the Transformer can be trained significantly faster "
    "than architectures based on recurrent or convolutional layers. On both WMT 2014 English-to-German and WMT "
    "2014 English-to-French translation tasks, we achieve a new state of the art. In the former task our best "
    "model outperforms even all previously reported ensembles."
)
KOREAN_NEWS = (
    "허깅페이스는 머신러닝 모델과 데이터셋을 공유하는 오픈소스 플랫폼이다. 개발자들은 트랜스포머 라이브러리를 이용해 "
    "몇 줄의 코드만으로 사전 학습된 모델을 내려받고 텍스트 분류, 요약, 번역 같은 작업을 수행할 수 있다. "
    "최근에는 이미지와 음성까지 다루는 모델이 늘어나면서 연구자뿐 아니라 학생들도 이 플랫폼을 활발히 사용하고 있다."
)


def build_summarization(ctx: Context) -> None:
    _build(ctx, SUMMARIZATION, result_label="Summary", output_key="summary_text",
           rows=[[TRANSFORMER_ABSTRACT], [NOTES_CONCLUSION], [KOREAN_NEWS]],
           controls={k: v for k, v in SUMMARY_PARAMS.items()})


def build_translation(ctx: Context) -> None:
    _build(ctx, TRANSLATION, result_label="Translation", output_key="translation_text", languages=True,
           rows=[
               ["translate English to French: Hugging Face is a community-based open-source platform for "
                "machine learning.", "en", "fr"],
               ["The house is wonderful.\nI like to read books in the evening.", "en", "de"],
               ["허깅페이스는 머신러닝을 위한 커뮤니티 기반 오픈소스 플랫폼입니다.", "ko", "en"],
               ["Hugging Face is a community-based open-source platform for machine learning.", "en", "ko"],
           ],
           controls={k: v for k, v in TRANSLATION_PARAMS.items() if k not in ("src_lang", "tgt_lang")})


def build_text2text_generation(ctx: Context) -> None:
    _build(ctx, TEXT2TEXT, result_label="Generated text", output_key="generated_text",
           rows=[
               ["Translate English to German: How old are you?"],
               ["Answer the following question. What is the capital of France?"],
               ["Summarize: The Transformer is a sequence transduction model based entirely on attention. "
                "It replaces the recurrent layers of encoder-decoder models with multi-headed self-attention "
                "and trains much faster."],
               ["Q: Can a dog fly? Give the rationale before answering."],
           ],
           controls=dict(TEXT2TEXT_PARAMS))


TASKS = (
    (SUMMARIZATION, build_summarization),
    (TRANSLATION, build_translation),
    (TEXT2TEXT, build_text2text_generation),
)

KOREAN = {
    "Summarization": "요약",
    "Translation": "번역",
    "Text2Text generation": "Text2Text 생성",
    "Input text": "입력 텍스트",
    "One text per line runs them as one batch": "한 줄에 한 문장씩 쓰면 한 번에 배치로 실행합니다",
    "Summary": "요약문",
    "Generated text": "생성된 텍스트",
    "Per line": "줄별 결과",
    "Source language (src_lang)": "원본 언어 (src_lang)",
    "Target language (tgt_lang)": "대상 언어 (tgt_lang)",
    "Used by models with several pairs: T5 (en → fr/de/ro) and multi-target opus-mt (>>lang<< codes); "
    "single-pair models such as opus-mt-ko-en ignore it":
        "여러 언어 쌍을 지원하는 모델에서만 쓰입니다: T5 (en → fr/de/ro), 다중 대상 opus-mt (>>lang<< 코드); "
        "opus-mt-ko-en 같은 단일 쌍 모델은 무시합니다",
    "transformers 5 removed this pipeline: the app runs AutoModelForSeq2SeqLM + model.generate, and the Code "
    "panel shows exactly that.":
        "transformers 5에서 이 파이프라인이 제거되었습니다: 앱은 AutoModelForSeq2SeqLM + model.generate로 실행하며, "
        "코드 패널에 바로 그 코드가 나옵니다.",
    **GENERATION_KOREAN,
    # notes made when a result is shown (core.i18n.say)
    **WHICH_KOREAN,
    TRUNCATED: "⚠️ {which}의 길이가 모델이 받는 한도를 넘어 한도까지 잘렸습니다: 결과는 앞부분만 담고 있습니다 "
               "(원시 출력에서 \"truncated\": true).",
}
