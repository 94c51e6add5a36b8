"""Tiny random-weight audio models: Whisper and Wav2Vec2 (speech recognition), Wav2Vec2 (audio
classification), CLAP (zero-shot audio classification) and VITS (text to speech).

Built offline from configs; the feature extractors match the real models' (Whisper: 80 mel bins at 16 kHz,
30 s windows; Wav2Vec2: raw 16 kHz; CLAP: 64 mel bins at 48 kHz, as laion/clap-htsat-unfused).

Facts the tests rely on (random weights, so they are structural):
- `whisper`: English-only layout like openai/whisper-*.en: BPE vocab, then <|endoftext|>-style specials
  ending with <|notimestamps|>, then the 1501 timestamp tokens <|0.00|> ... <|30.00|> (not special), so
  `return_timestamps=True` and `"word"` work through the pipeline. The generation config caps output at
  `max_length=24` tokens so random weights stop quickly (pass max_new_tokens to change it).
- `wav2vec2-ctc`: upper-case letters, "'" and "|" (word delimiter); output text is random letters.
- `wav2vec2-audiocls`: labels neu, hap, ang, sad (as superb/wav2vec2-base-superb-er).
- `clap`: RoBERTa-style BPE tokenizer; feature extractor at 48 kHz.
- `vits`: character vocabulary (lower-case letters, space, punctuation), `phonemize=False`, 16 kHz output.
"""

from __future__ import annotations

import json
import string
from pathlib import Path

from tests.tiny import tiny
from tests.tiny.common import bpe_tokenizer, bpe_vocab_merges, char_ctc_tokenizer, labels, seed

EMOTIONS = ["neu", "hap", "ang", "sad"]

WHISPER_SPECIALS = [
    "<|startoftranscript|>",
    "<|en|>",
    "<|translate|>",
    "<|transcribe|>",
    "<|startoflm|>",
    "<|startofprev|>",
    "<|nocaptions|>",
    "<|notimestamps|>",
]


def _whisper_tokenizer():
    from tokenizers import AddedToken
    from transformers import WhisperTokenizer

    vocab, merges = bpe_vocab_merges()
    tokenizer = WhisperTokenizer(
        vocab=vocab,
        merges=merges,
        unk_token="<|endoftext|>",
        bos_token="<|endoftext|>",
        eos_token="<|endoftext|>",
        pad_token="<|endoftext|>",
        model_max_length=1024,
    )
    tokenizer.add_special_tokens({"additional_special_tokens": WHISPER_SPECIALS})
    # timestamp tokens come right after <|notimestamps|> (the tokenizer's last special id) and are not special
    tokenizer.add_tokens(
        [AddedToken(f"<|{i * 0.02:.2f}|>", lstrip=False, rstrip=False, normalized=False, special=False)
         for i in range(1501)]
    )
    return tokenizer


@tiny("whisper", "automatic-speech-recognition")
def build_whisper(folder: Path) -> None:
    from transformers import (
        GenerationConfig,
        WhisperConfig,
        WhisperFeatureExtractor,
        WhisperForConditionalGeneration,
        WhisperProcessor,
    )

    seed()
    tokenizer = _whisper_tokenizer()
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in ["<|endoftext|>", *WHISPER_SPECIALS]}
    eot = ids["<|endoftext|>"]
    if tokenizer.all_special_ids[-1] != ids["<|notimestamps|>"]:  # decoding with timestamps relies on it
        raise RuntimeError("whisper tokenizer: <|notimestamps|> must be the last special token")
    config = WhisperConfig(
        vocab_size=len(tokenizer),
        num_mel_bins=80,
        d_model=32,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=37,
        decoder_ffn_dim=37,
        max_source_positions=1500,  # 30 s of 10 ms frames, halved by the second conv
        max_target_positions=448,
        pad_token_id=eot,
        bos_token_id=eot,
        eos_token_id=eot,
        decoder_start_token_id=ids["<|startoftranscript|>"],
        begin_suppress_tokens=None,
        suppress_tokens=None,
    )
    model = WhisperForConditionalGeneration(config)
    model.generation_config = GenerationConfig(
        decoder_start_token_id=ids["<|startoftranscript|>"],
        bos_token_id=eot,
        eos_token_id=eot,
        pad_token_id=eot,
        no_timestamps_token_id=ids["<|notimestamps|>"],
        prev_sot_token_id=ids["<|startofprev|>"],
        suppress_tokens=[],
        begin_suppress_tokens=[eot],
        alignment_heads=[[0, 0], [0, 1]],  # needed for return_timestamps="word"
        is_multilingual=False,
        max_initial_timestamp_index=50,
        return_timestamps=False,
        forced_decoder_ids=None,
        max_length=24,
    )
    features = WhisperFeatureExtractor(feature_size=80, sampling_rate=16000, hop_length=160, chunk_length=30,
                                       n_fft=400)
    model.eval()
    model.save_pretrained(folder)
    WhisperProcessor(feature_extractor=features, tokenizer=tokenizer).save_pretrained(folder)


def _wav2vec2_config(**kwargs):
    from transformers import Wav2Vec2Config

    return Wav2Vec2Config(
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
        conv_dim=(16, 16, 16, 16, 16, 16, 16),  # keeps the real 320x down-sampling (20 ms per frame)
        num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=2,
        classifier_proj_size=16,
        mask_time_prob=0.0,
        **kwargs,
    )


def _wav2vec2_features():
    from transformers import Wav2Vec2FeatureExtractor

    return Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=16000, padding_value=0.0, do_normalize=True,
                                    return_attention_mask=False)


@tiny("wav2vec2-ctc", "automatic-speech-recognition")
def build_wav2vec2_ctc(folder: Path) -> None:
    from transformers import Wav2Vec2ForCTC, Wav2Vec2Processor

    seed()
    tokenizer = char_ctc_tokenizer(folder)
    config = _wav2vec2_config(vocab_size=len(tokenizer), pad_token_id=tokenizer.pad_token_id,
                              ctc_loss_reduction="mean")
    model = Wav2Vec2ForCTC(config)
    model.eval()
    model.save_pretrained(folder)
    Wav2Vec2Processor(feature_extractor=_wav2vec2_features(), tokenizer=tokenizer).save_pretrained(folder)


@tiny("wav2vec2-audiocls", "audio-classification")
def build_wav2vec2_audiocls(folder: Path) -> None:
    from transformers import Wav2Vec2ForSequenceClassification

    seed()
    model = Wav2Vec2ForSequenceClassification(_wav2vec2_config(**labels(EMOTIONS)))
    model.eval()
    model.save_pretrained(folder)
    _wav2vec2_features().save_pretrained(folder)


@tiny("clap", "zero-shot-audio-classification")
def build_clap(folder: Path) -> None:
    from transformers import ClapConfig, ClapFeatureExtractor, ClapModel, ClapProcessor

    seed()
    tokenizer = bpe_tokenizer("roberta")
    text_config = dict(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
        max_position_embeddings=514,
        projection_dim=16,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    audio_config = dict(
        spec_size=256,  # 1001 frames x 64 mel bins fold into a 256 x 256 image (as in the real model)
        num_mel_bins=64,
        window_size=8,
        patch_size=4,
        patch_stride=(4, 4),
        patch_embeds_hidden_size=16,
        depths=(1, 1),
        num_attention_heads=(2, 2),
        hidden_size=32,  # patch_embeds_hidden_size * 2 ** (len(depths) - 1)
        projection_dim=16,
        mlp_ratio=2.0,
        enable_fusion=False,
    )
    config = ClapConfig(text_config=text_config, audio_config=audio_config, projection_dim=16)
    model = ClapModel(config)
    model.eval()
    model.save_pretrained(folder)
    features = ClapFeatureExtractor(feature_size=64, sampling_rate=48000, hop_length=480, max_length_s=10,
                                    fft_window_size=1024, truncation="rand_trunc", padding="repeatpad")
    ClapProcessor(feature_extractor=features, tokenizer=tokenizer).save_pretrained(folder)


VITS_CHARS = ["<pad>", " ", "'", "-", ",", ".", "!", "?", *string.ascii_lowercase, *string.digits, "<unk>"]


@tiny("vits", "text-to-audio")
def build_vits(folder: Path) -> None:
    from transformers import VitsConfig, VitsModel, VitsTokenizer

    seed()
    vocab_file = folder / "vocab.json"
    vocab_file.write_text(json.dumps({c: i for i, c in enumerate(VITS_CHARS)}), encoding="utf-8")
    tokenizer = VitsTokenizer(str(vocab_file), pad_token="<pad>", unk_token="<unk>", language="eng",
                              add_blank=True, normalize=True, phonemize=False)
    config = VitsConfig(
        vocab_size=len(VITS_CHARS),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        window_size=4,
        ffn_dim=16,
        flow_size=16,
        spectrogram_bins=33,
        upsample_initial_channel=16,
        upsample_rates=(8, 8, 2, 2),  # 256 samples per frame, as in MMS-TTS
        upsample_kernel_sizes=(16, 16, 4, 4),
        resblock_kernel_sizes=(3,),
        resblock_dilation_sizes=((1, 3),),
        duration_predictor_filter_channels=16,
        duration_predictor_num_flows=2,
        prior_encoder_num_flows=2,
        prior_encoder_num_wavenet_layers=1,
        posterior_encoder_num_wavenet_layers=1,
        depth_separable_num_layers=1,
        sampling_rate=16000,
        pad_token_id=0,
    )
    model = VitsModel(config)
    model.eval()
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
