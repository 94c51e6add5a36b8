"""text2text-generation: an instruction in, a text out (FLAN-T5). transformers 5 removed
pipeline("text2text-generation"), so it runs AutoModelForSeq2SeqLM + generate (see seq2seq_common) with
transformers 4.57.6's text2text-generation pipeline settings under the user's; sampling is made repeatable by
the seed."""

from __future__ import annotations

from core.registry import TaskSpec
from demos.text.generation_fields import generation_fields, generation_kwargs
from demos.text.seq2seq_common import (
    ARCHITECTURES,
    LOADER,
    MODEL_TYPES,
    build_seq2seq,
    max_new_tokens_field,
    num_beams_field,
    pipeline_kwargs,
    seq2seq_code,
    seq2seq_requests,
    text_input,
    with_notes,
)


def batch(bundle, inputs_list: list[dict], params: dict) -> list:
    """run's result per request, every request's lines generated together (seq2seq_requests); with do_sample
    each request runs alone: one random stream is drawn through a whole batch, so a request's sampled text would
    depend on the requests beside it instead of on its seed."""
    from transformers import set_seed

    kwargs = generation_kwargs(params)
    if kwargs.get("do_sample") and len(inputs_list) > 1:
        return [run(bundle, inputs, params) for inputs in inputs_list]
    if kwargs.get("do_sample"):
        set_seed(params["seed"])
    prefix, kwargs = pipeline_kwargs(bundle, "text2text-generation", kwargs)
    return [with_notes(results) for results in seq2seq_requests(
        bundle, [inputs["text"] for inputs in inputs_list], output_key="generated_text", prefix=prefix,
        kwargs=kwargs, batch_size=params["batch_size"])]


def run(bundle, inputs: dict, params: dict):
    """[{"generated_text": str, "truncated": bool}] per input line, with a note on the lines that were cut."""
    return batch(bundle, [inputs], params)[0]


def code(ref, inputs: dict, params: dict, place) -> str:
    kwargs = generation_kwargs(params)
    snippet = seq2seq_code("text2text-generation", "text2text-generation", ref, place, inputs["text"],
                           output_key="generated_text", user=kwargs, batch_size=params["batch_size"])
    if kwargs.get("do_sample"):
        snippet = snippet.replace("from transformers import AutoModelForSeq2SeqLM, AutoTokenizer\n",
                                  "from transformers import AutoModelForSeq2SeqLM, AutoTokenizer, set_seed\n")
        snippet = snippet.replace("result = []\n", f"set_seed({params['seed']})  # sampling is random: the seed "
                                                   "makes it repeatable\nresult = []\n", 1)
    return snippet


EXAMPLES = [
    ["Translate English to German: How old are you?"],
    ["Answer the following question. What is the capital of France?"],
    ["Summarize: The Transformer is a sequence transduction model based entirely on attention. It replaces the "
     "recurrent layers of encoder-decoder models with multi-headed self-attention and trains much faster."],
    ["Q: Can a dog fly? Give the rationale before answering."],
]


def build(ctx) -> None:
    build_seq2seq(ctx, TASK, result_label="Generated text", output_key="generated_text", rows=EXAMPLES)


TASK = TaskSpec(
    id="text2text-generation",
    title="Text2Text generation",
    loader=LOADER,
    default_model="google/flan-t5-base",
    models=("google/flan-t5-small", "google/flan-t5-large"),
    run=run,
    batch=batch,
    code=code,
    inputs=(text_input(),),
    params=(max_new_tokens_field(), num_beams_field(),
            *generation_fields("repetition_penalty", "batch_size", "do_sample", "temperature", "top_k", "top_p",
                               "seed", top_p=1.0)),
    architectures=ARCHITECTURES,
    model_types=MODEL_TYPES,
    description="An instruction in, a text out (FLAN-T5): removed from 5.x pipelines, AutoModelForSeq2SeqLM.",
    build=build,
)
