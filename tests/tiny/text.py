"""Tiny random-weight text models: BERT heads, RoBERTa MLM, BART / T5 / Marian seq2seq, GPT-2, a Llama chat
model and TAPAS.

All use tokenizers trained offline on `common.CORPUS` (a few hundred tokens) and configs with hidden size 32,
1-2 layers, 2 heads; position limits are >= 512 so truncation to 512 tokens works. Each folder loads with
`AutoConfig` / `AutoTokenizer` / the task's AutoModel class and (where 5.x still has one) `pipeline(task)`.

Facts the tests rely on (random weights, so they are structural):
- `bert-seqcls`: labels NEGATIVE / POSITIVE. `bert-reranker`: one logit (num_labels=1, label "LABEL_0").
- `bert-nli`: labels contradiction / neutral / entailment (zero-shot-classification needs "entailment").
- `bert-tokcls`: CoNLL labels O, B-PER ... I-MISC.
- `gpt2`: like the real one, the tokenizer has NO pad token (bos = eos = unk = "<|endoftext|>").
- `llama-chat`: ChatML chat template (SmolLM2 style), eos and pad "<|im_end|>", bos "<|im_start|>".
- `tapas`: TapasForQuestionAnswering with a 4-way aggregation head (NONE, SUM, AVERAGE, COUNT).
- `marian-seq2seq`: MarianTokenizer over two SentencePiece models trained offline (source.spm = target.spm).
- `t5-seq2seq` has t5-small's task_specific_params (prefixes; en->de/fr/ro); `bart-seq2seq`'s generation config
  sets max_length 24, min_length 3, 2 beams (like bart-large-cnn's), `marian-seq2seq`'s max_length 32 (opus-mt
  models set 512): without parameters only T5 generates 4.57.6's 256 new tokens. Their weights are scaled (`_sharpen`) so
  outputs depend on the input.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.tiny import tiny
from tests.tiny.common import (
    CORPUS,
    bpe_tokenizer,
    bpe_vocab_merges,
    labels,
    seed,
    unigram_tokenizer,
    wordpiece_tokenizer,
    wordpiece_vocab,
)

NER_LABELS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]
NLI_LABELS = ["contradiction", "neutral", "entailment"]
SENTIMENT_LABELS = ["NEGATIVE", "POSITIVE"]
TAPAS_AGGREGATIONS = ["NONE", "SUM", "AVERAGE", "COUNT"]

# google-t5/t5-small's task parameters (the 4.x pipelines' prefixes and generation defaults), smaller lengths;
# greedy for summarization and en->fr: 4.57.6 then generates 256 new tokens, and over that many steps a beam
# search of random weights meets near-ties that float noise between 4.x and 5.x decides differently
T5_TASK_PARAMS = {
    "summarization": {"early_stopping": True, "length_penalty": 2.0, "max_length": 40, "min_length": 5,
                      "no_repeat_ngram_size": 3, "num_beams": 1, "prefix": "summarize: "},
    "translation_en_to_de": {"early_stopping": True, "max_length": 30, "num_beams": 3,
                             "prefix": "translate English to German: "},
    "translation_en_to_fr": {"early_stopping": True, "max_length": 30, "num_beams": 1,
                             "prefix": "translate English to French: "},
    "translation_en_to_ro": {"early_stopping": True, "max_length": 30, "num_beams": 3,
                             "prefix": "translate English to Romanian: "},
}

# SmolLM2-Instruct's ChatML template (a default system prompt when none is given).
CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}"
    "{% endif %}"
    "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def _bert_config(tokenizer, **kwargs):
    from transformers import BertConfig

    return BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
        max_position_embeddings=512,
        type_vocab_size=2,
        pad_token_id=tokenizer.pad_token_id,
        **kwargs,
    )


def _save(folder: Path, model, *processors) -> None:
    model.eval()
    model.save_pretrained(folder)
    for p in processors:
        p.save_pretrained(folder)


def _bert(folder: Path, model_class: str, **config_kwargs) -> None:
    import transformers

    seed()
    tokenizer = wordpiece_tokenizer(lowercase=True)
    model = getattr(transformers, model_class)(_bert_config(tokenizer, **config_kwargs))
    _save(folder, model, tokenizer)


@tiny("bert-seqcls", "text-classification")
def build_bert_seqcls(folder: Path) -> None:
    _bert(folder, "BertForSequenceClassification", **labels(SENTIMENT_LABELS))


@tiny("bert-reranker", "text-classification")
def build_bert_reranker(folder: Path) -> None:
    # a cross-encoder: one relevance logit for a (query, passage) pair
    _bert(folder, "BertForSequenceClassification", num_labels=1)


@tiny("bert-nli", "zero-shot-classification")
def build_bert_nli(folder: Path) -> None:
    _bert(folder, "BertForSequenceClassification", **labels(NLI_LABELS))


@tiny("bert-tokcls", "token-classification")
def build_bert_tokcls(folder: Path) -> None:
    _bert(folder, "BertForTokenClassification", **labels(NER_LABELS))


@tiny("bert-qa", "question-answering")
def build_bert_qa(folder: Path) -> None:
    _bert(folder, "BertForQuestionAnswering")


@tiny("bert-base", "feature-extraction")
def build_bert_base(folder: Path) -> None:
    # plain encoder with pooler; eager attention so output_attentions=True works without a fallback
    _bert(folder, "BertModel", attn_implementation="eager")


@tiny("roberta-mlm", "fill-mask")
def build_roberta_mlm(folder: Path) -> None:
    from transformers import RobertaConfig, RobertaForMaskedLM

    seed()
    tokenizer = bpe_tokenizer("roberta")
    config = RobertaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
        max_position_embeddings=514,  # RoBERTa positions start at pad_token_id + 1
        type_vocab_size=1,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    _save(folder, RobertaForMaskedLM(config), tokenizer)


def _sharpen(model, embeddings: float, cross: float, encoder: float, decoder: float) -> None:
    """Multiply the 2-D weight matrices by these factors, by group: at initialisation scale a random seq2seq
    model writes "" or one token whatever the input, which would make comparisons blind (the factors were
    picked per model so that six different inputs give six different outputs)."""
    import torch

    with torch.no_grad():
        for name, weight in model.named_parameters():
            if weight.dim() != 2 or "embed_positions" in name:  # Marian's sinusoids are rebuilt on load
                continue
            if "shared" in name or "embed_tokens" in name or "lm_head" in name:
                weight.mul_(embeddings)
            elif "encoder_attn" in name or "EncDecAttention" in name:
                weight.mul_(cross)
            else:
                weight.mul_(encoder if "encoder" in name else decoder)


def _generation_config(model, **kwargs) -> None:
    from transformers import GenerationConfig

    model.generation_config = GenerationConfig.from_model_config(model.config)
    for k, v in kwargs.items():
        setattr(model.generation_config, k, v)


@tiny("bart-seq2seq", "summarization")
def build_bart_seq2seq(folder: Path) -> None:
    from transformers import BartConfig, BartForConditionalGeneration

    seed()
    tokenizer = bpe_tokenizer("bart")
    config = BartConfig(
        vocab_size=len(tokenizer),
        d_model=32,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=37,
        decoder_ffn_dim=37,
        max_position_embeddings=1024,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.eos_token_id,
        forced_bos_token_id=tokenizer.bos_token_id,
        forced_eos_token_id=tokenizer.eos_token_id,
    )
    model = BartForConditionalGeneration(config)
    _sharpen(model, 8, 16, 8, 16)
    # like facebook/bart-large-cnn's: a max_length of its own (so 4.57.6's pipelines keep it, not their 256 new
    # tokens), a min_length, beams, no repeated trigrams
    _generation_config(model, num_beams=2, max_length=24, min_length=3, no_repeat_ngram_size=3,
                       length_penalty=2.0, early_stopping=True)
    _save(folder, model, tokenizer)


@tiny("t5-seq2seq", "translation", "text2text-generation", "summarization")
def build_t5_seq2seq(folder: Path) -> None:
    from transformers import T5Config, T5ForConditionalGeneration

    seed()
    tokenizer = unigram_tokenizer()
    config = T5Config(
        vocab_size=len(tokenizer),
        d_model=32,
        d_kv=16,
        d_ff=37,
        num_layers=1,
        num_decoder_layers=1,
        num_heads=2,
        relative_attention_num_buckets=8,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.pad_token_id,
        n_positions=512,
        task_specific_params=T5_TASK_PARAMS,
    )
    model = T5ForConditionalGeneration(config)
    _sharpen(model, 16, 16, 4, 16)
    _generation_config(model)
    _save(folder, model, tokenizer)


def _marian_tokenizer(folder: Path):
    """MarianTokenizer over a SentencePiece model trained on CORPUS; writes source.spm, target.spm, vocab.json."""
    import io

    import sentencepiece as spm
    from transformers import MarianTokenizer

    buf = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(CORPUS * 4),
        model_writer=buf,
        vocab_size=200,
        model_type="unigram",
        character_coverage=1.0,
        pad_id=-1,
        bos_id=-1,
        eos_id=1,
        unk_id=0,
        hard_vocab_limit=False,
        normalization_rule_name="identity",  # no NFKC table: keeps each .spm file ~4 KB instead of ~240 KB
        minloglevel=2,
    )
    for name in ("source.spm", "target.spm"):
        (folder / name).write_bytes(buf.getvalue())
    sp = spm.SentencePieceProcessor(model_proto=buf.getvalue())
    # Marian's vocab.json: the SentencePiece pieces, then <pad> last (as in opus-mt models)
    vocab = {sp.id_to_piece(i): i for i in range(sp.get_piece_size())}
    vocab["<pad>"] = len(vocab)
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    return MarianTokenizer(
        str(folder / "source.spm"), str(folder / "target.spm"), str(folder / "vocab.json"),
        source_lang="en", target_lang="de",
    )


@tiny("marian-seq2seq", "translation")
def build_marian_seq2seq(folder: Path) -> None:
    from transformers import MarianConfig, MarianMTModel

    seed()
    tokenizer = _marian_tokenizer(folder)
    config = MarianConfig(
        vocab_size=len(tokenizer),
        d_model=32,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=37,
        decoder_ffn_dim=37,
        max_position_embeddings=512,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.pad_token_id,
        forced_eos_token_id=tokenizer.eos_token_id,
    )
    model = MarianMTModel(config)
    _sharpen(model, 16, 16, 4, 16)
    # like the opus-mt models' (max_length 512 there): 4.57.6's pipelines then keep the model's max_length
    _generation_config(model, num_beams=1, max_length=32, bad_words_ids=[[tokenizer.pad_token_id]])
    _save(folder, model, tokenizer)


@tiny("gpt2", "text-generation")
def build_gpt2(folder: Path) -> None:
    from transformers import GPT2Config, GPT2LMHeadModel

    seed()
    tokenizer = bpe_tokenizer("gpt2")  # no pad token, like openai-community/gpt2
    config = GPT2Config(
        vocab_size=len(tokenizer),
        n_positions=1024,
        n_embd=32,
        n_layer=2,
        n_head=2,
        n_inner=37,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    model = GPT2LMHeadModel(config)
    _generation_config(model)
    _save(folder, model, tokenizer)


@tiny("llama-chat", "text-generation")
def build_llama_chat(folder: Path) -> None:
    from transformers import GPT2Tokenizer, LlamaConfig, LlamaForCausalLM

    seed()
    vocab, merges = bpe_vocab_merges()
    # SmolLM2-Instruct's tokenizer setup: a GPT-2 style byte-level BPE with ChatML specials
    tokenizer = GPT2Tokenizer(
        vocab=vocab,
        merges=merges,
        bos_token="<|im_start|>",
        eos_token="<|im_end|>",
        unk_token="<|endoftext|>",
        pad_token="<|im_end|>",
        model_max_length=2048,
        chat_template=CHATML_TEMPLATE,
    )
    tokenizer.add_special_tokens({"additional_special_tokens": ["<|im_start|>", "<|im_end|>"]})
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=2048,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=True,
    )
    model = LlamaForCausalLM(config)
    _generation_config(model)
    _save(folder, model, tokenizer)


@tiny("tapas", "table-question-answering")
def build_tapas(folder: Path) -> None:
    from transformers import TapasConfig, TapasForQuestionAnswering, TapasTokenizer

    seed()
    # TapasTokenizer (python, no fast version) needs a vocab.txt file; "[EMPTY]" is added as a special token
    vocab = wordpiece_vocab(lowercase=True, extra_words=("[EMPTY]",))
    vocab_file = folder / "vocab.txt"
    vocab_file.write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = TapasTokenizer(str(vocab_file), do_lower_case=True, model_max_length=512)
    config = TapasConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
        max_position_embeddings=512,
        num_aggregation_labels=len(TAPAS_AGGREGATIONS),
        aggregation_labels=dict(enumerate(TAPAS_AGGREGATIONS)),
        use_answer_as_supervision=True,
        select_one_column=True,
        allow_empty_column_selection=False,
        cell_selection_preference=0.207951,
        answer_loss_cutoff=0.664694,
        huber_loss_delta=0.121194,
        init_cell_selection_weights_to_zero=False,
        temperature=0.0352513,
    )
    model = TapasForQuestionAnswering(config)
    # random cell logits hover around 0 (probability 0.5, the pipeline's threshold), so no cell would be
    # selected; a positive bias makes the tiny model answer with some cells of one column
    model.output_bias.data.fill_(0.1)
    _save(folder, model, tokenizer)
