"""Shared pieces for the tiny models: a small English + Korean corpus, a seed helper and tokenizers trained
offline (in milliseconds) with the `tokenizers` library, wrapped in transformers tokenizer classes.

Every tokenizer maker returns a NEW transformers tokenizer object on each call (callers may add special
tokens to it); the trained vocabularies are cached, so repeated calls are cheap. Vocabularies are a few
hundred entries so the models built on them stay tiny.

Stable API (imported by tests/tiny/text.py, audio.py, vision.py, multimodal.py):
    CORPUS, seed(n=0), wordpiece_tokenizer(lowercase=True), bpe_tokenizer(), bpe_vocab_merges(),
    unigram_tokenizer(), unigram_vocab(), char_ctc_tokenizer(folder), char_vocab(), labels(names)
"""

from __future__ import annotations

import json
import math
import random
import string
import unicodedata
from functools import cache
from pathlib import Path

CORPUS: list[str] = [
    "Hugging Face is the best thing since sliced bread!",
    "Hugging Face is a French company based in New York City.",
    "안녕하세요 허깅페이스 트랜스포머",
    "허깅페이스는 뉴욕에 있는 회사입니다.",
    "트랜스포머 라이브러리는 정말 좋아요.",
    "오늘 날씨가 좋네요. 커피 한 잔 어때요?",
    "I love this movie, it is wonderful and great.",
    "I hate this film, it was terrible and boring.",
    "This is a sentence. Here is another one.",
    "My name is Sarah and I live in London.",
    "My name is Wolfgang and I live in Berlin.",
    "Paris is the capital of France.",
    "The quick brown fox jumps over the lazy dog.",
    "The goal of life is <mask>.",
    "Where do I live? What is my name? Who are you? How many movies?",
    "Transformers provides thousands of pretrained models to perform tasks on texts, images and audio.",
    "Translate English to German: The house is wonderful.",
    "summarize: The tower is 324 metres tall, about the same height as an 81-storey building.",
    "Once upon a time, there was a little robot who wanted to learn.",
    "Hello, how are you today? I am fine, thank you.",
    "Repository, stars, contributors, programming language, transformers, datasets, tokenizers.",
    "Python Rust 36542 4512 651 1.0 2.5 100 2020 2024",
    "This example is about politics, economics, sports, technology, science and music.",
    "A cat, a dog, a car and a tree in a photo of people.",
    "The weather is sunny, happy, sad, angry, neutral, calm.",
]

SPECIAL_WORDPIECE = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
# Byte-level BPE specials: RoBERTa/BART ones first (ids 0-3 as in roberta-base), then GPT-2 and ChatML.
SPECIAL_BPE = ["<s>", "<pad>", "</s>", "<unk>", "<mask>", "<|endoftext|>", "<|im_start|>", "<|im_end|>"]
SPECIAL_UNIGRAM = ["<pad>", "</s>", "<unk>"]


def seed(n: int = 0) -> None:
    """Seed python, numpy and torch so random weights are reproducible within one version."""
    random.seed(n)
    try:
        import numpy as np

        np.random.seed(n)
    except ImportError:  # pragma: no cover
        pass
    import torch

    torch.manual_seed(n)


def labels(names) -> dict:
    """`id2label` / `label2id` kwargs for a config."""
    id2label = {i: str(name) for i, name in enumerate(names)}
    return {"id2label": id2label, "label2id": {name: i for i, name in id2label.items()}}


def _corpus(extra=()) -> list[str]:
    return CORPUS + [" ".join(extra)] if extra else list(CORPUS)


# --------------------------------------------------------------------------------------------------- WordPiece
@cache
def _wordpiece_vocab(lowercase: bool, vocab_size: int, extra_words: tuple[str, ...]) -> dict[str, int]:
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=lowercase)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    alphabet = list((string.ascii_lowercase if lowercase else string.ascii_letters) + string.digits + string.punctuation)
    trainer = trainers.WordPieceTrainer(
        vocab_size=vocab_size, special_tokens=SPECIAL_WORDPIECE, initial_alphabet=alphabet, show_progress=False
    )
    tok.train_from_iterator(_corpus(extra_words), trainer=trainer)
    vocab = tok.get_vocab()
    # continuation pieces for every single character, so no word falls back to [UNK]
    for c in alphabet:
        vocab.setdefault("##" + c, len(vocab))
    for w in extra_words:
        vocab.setdefault(w.lower() if lowercase and not w.startswith("[") else w, len(vocab))
    return dict(sorted(vocab.items(), key=lambda kv: kv[1]))


def wordpiece_tokenizer(lowercase: bool = True, vocab_size: int = 300, extra_words=(), model_max_length: int = 512):
    """A BERT-style `BertTokenizer` ([PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4) trained on CORPUS."""
    from transformers import BertTokenizer

    vocab = dict(_wordpiece_vocab(lowercase, vocab_size, tuple(extra_words)))
    return BertTokenizer(vocab=vocab, do_lower_case=lowercase, model_max_length=model_max_length)


def wordpiece_vocab(lowercase: bool = True, vocab_size: int = 300, extra_words=()) -> dict[str, int]:
    """The vocabulary of `wordpiece_tokenizer` (token -> id, ids 0..n-1)."""
    return dict(_wordpiece_vocab(lowercase, vocab_size, tuple(extra_words)))


# ------------------------------------------------------------------------------------------- byte-level BPE
@cache
def _bpe(vocab_size: int, extra_words: tuple[str, ...]):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_BPE,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(_corpus(extra_words), trainer=trainer)
    model = json.loads(tok.to_str())["model"]
    # tokenizers 0.23's BPE wants merges as (left, right) tuples, not "left right" strings
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in model["merges"]]
    vocab = sorted(model["vocab"].items(), key=lambda kv: kv[1])
    return tuple(vocab), tuple(merges)


def bpe_vocab_merges(vocab_size: int = 400, extra_words=()) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """(vocab, merges) of a byte-level BPE trained on CORPUS. Specials first: <s>=0 <pad>=1 </s>=2 <unk>=3
    <mask>=4 <|endoftext|>=5 <|im_start|>=6 <|im_end|>=7."""
    vocab, merges = _bpe(vocab_size, tuple(extra_words))
    return dict(vocab), list(merges)


def bpe_tokenizer(kind: str = "gpt2", vocab_size: int = 400, extra_words=(), model_max_length: int = 512):
    """A byte-level BPE tokenizer trained on CORPUS.

    kind="gpt2": `GPT2Tokenizer` with <|endoftext|> as bos/eos/unk and NO pad token (like the real gpt2).
    kind="roberta": `RobertaTokenizer` (<s> </s> <pad> <unk> <mask>), also right for CLAP.
    kind="bart": `BartTokenizer` (same specials as RoBERTa).
    """
    vocab, merges = bpe_vocab_merges(vocab_size, extra_words)
    if kind == "gpt2":
        from transformers import GPT2Tokenizer

        return GPT2Tokenizer(vocab=vocab, merges=merges, model_max_length=model_max_length)
    if kind == "roberta":
        from transformers import RobertaTokenizer

        return RobertaTokenizer(vocab=vocab, merges=merges, model_max_length=model_max_length)
    if kind == "bart":
        from transformers import BartTokenizer

        return BartTokenizer(vocab=vocab, merges=merges, model_max_length=model_max_length)
    raise ValueError(f"unknown BPE tokenizer kind {kind!r}")


# ------------------------------------------------------------------------------------------------- Unigram
@cache
def _unigram(vocab_size: int) -> tuple[tuple[str, float], ...]:
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers

    tok = Tokenizer(models.Unigram())
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    trainer = trainers.UnigramTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_UNIGRAM,
        unk_token="<unk>",
        initial_alphabet=list(string.ascii_letters + string.digits + string.punctuation),
        show_progress=False,
    )
    tok.train_from_iterator(CORPUS, trainer=trainer)
    pieces = [piece for piece, _ in json.loads(tok.to_str())["model"]["vocab"] if piece not in SPECIAL_UNIGRAM]
    # The trainer picks the same pieces every time, but their scores' last digits and the order of equal
    # scores come from Rust hash maps and change from process to process, so ids, and the tiny models' outputs,
    # would differ between test sessions. Each piece is scored by how often it occurs in the corpus instead.
    text = "".join("▁" + unicodedata.normalize("NFKC", line).replace(" ", "▁") for line in CORPUS)
    total = len(text)
    scored = sorted(((piece, round(math.log(max(text.count(piece), 0.5) * len(piece) / total), 6))
                     for piece in pieces), key=lambda item: (-item[1], item[0]))
    return tuple([(special, 0.0) for special in SPECIAL_UNIGRAM] + scored)


def unigram_vocab(vocab_size: int = 300) -> list[tuple[str, float]]:
    """[(piece, score)] of a SentencePiece-like Unigram model: <pad>=0 </s>=1 <unk>=2, pieces use "▁"."""
    return list(_unigram(vocab_size))


def unigram_tokenizer(vocab_size: int = 300, extra_ids: int = 0, model_max_length: int = 512):
    """A `T5Tokenizer` (eos "</s>", pad "<pad>", unk "<unk>"); `extra_ids` sentinel tokens (default none)."""
    from transformers import T5Tokenizer

    return T5Tokenizer(vocab=unigram_vocab(vocab_size), extra_ids=extra_ids, model_max_length=model_max_length)


# ------------------------------------------------------------------------------------------------ CTC chars
def char_vocab() -> dict[str, int]:
    """Character vocabulary for Wav2Vec2 CTC: <pad>=0 <s>=1 </s>=2 <unk>=3, "|" word delimiter, A-Z, "'"."""
    tokens = ["<pad>", "<s>", "</s>", "<unk>", "|", "'"] + list(string.ascii_uppercase)
    return {t: i for i, t in enumerate(tokens)}


def char_ctc_tokenizer(folder):
    """A `Wav2Vec2CTCTokenizer` over `char_vocab()`; writes `vocab.json` into `folder` (it needs a file)."""
    from transformers import Wav2Vec2CTCTokenizer

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    vocab_file = folder / "vocab.json"
    vocab_file.write_text(json.dumps(char_vocab(), ensure_ascii=False), encoding="utf-8")
    return Wav2Vec2CTCTokenizer(
        str(vocab_file),
        unk_token="<unk>",
        pad_token="<pad>",
        word_delimiter_token="|",
        do_lower_case=True,  # upper-cases the input to match the vocab
    )
