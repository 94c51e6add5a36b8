"""summarization: an abstractive summary of each text. transformers 5 removed pipeline("summarization"), so it
runs AutoModelForSeq2SeqLM + generate with transformers 4.57.6's summarization pipeline settings (its defaults,
then the prefix and generation defaults of config.task_specific_params: T5's "summarize: "), see seq2seq_common."""

from __future__ import annotations

from core.registry import TaskSpec
from demos.text.generation_fields import generation_fields, generation_kwargs
from demos.text.seq2seq_common import (
    ARCHITECTURES,
    LOADER,
    MODEL_TYPES,
    build_seq2seq,
    max_length_notes,
    max_new_tokens_field,
    num_beams_field,
    pipeline_kwargs,
    seq2seq_code,
    seq2seq_requests,
    text_input,
    with_notes,
)


def batch(bundle, inputs_list: list[dict], params: dict) -> list:
    """run's result per request, every request's lines generated together (seq2seq_requests)."""
    user = generation_kwargs(params)
    prefix, kwargs = pipeline_kwargs(bundle, "summarization", user)
    notes = max_length_notes(bundle, user)
    return [with_notes(results, notes) for results in seq2seq_requests(
        bundle, [inputs["text"] for inputs in inputs_list], output_key="summary_text", prefix=prefix, kwargs=kwargs,
        batch_size=params["batch_size"])]


def run(bundle, inputs: dict, params: dict):
    """[{"summary_text": str, "truncated": bool}] per input line, with a note on the lines that were cut."""
    return batch(bundle, [inputs], params)[0]


def code(ref, inputs: dict, params: dict, place) -> str:
    return seq2seq_code("summarization", "summarization", ref, place, inputs["text"], output_key="summary_text",
                        user=generation_kwargs(params), batch_size=params["batch_size"])


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


def build(ctx) -> None:
    build_seq2seq(ctx, TASK, result_label="Summary", output_key="summary_text",
                  rows=[[TRANSFORMER_ABSTRACT], [NOTES_CONCLUSION], [KOREAN_NEWS]])


TASK = TaskSpec(
    id="summarization",
    title="Summarization",
    loader=LOADER,
    default_model="sshleifer/distilbart-cnn-12-6",
    models=("facebook/bart-large-cnn", "google-t5/t5-small", "gogamza/kobart-summarization"),
    run=run,
    batch=batch,
    code=code,
    inputs=(text_input(),),
    params=(*generation_fields("min_length", "max_length"), max_new_tokens_field(),
            num_beams_field(), *generation_fields("batch_size")),
    architectures=ARCHITECTURES,
    model_types=MODEL_TYPES,
    description="An abstractive summary of each text (removed from 5.x pipelines: AutoModelForSeq2SeqLM).",
    build=build,
)
