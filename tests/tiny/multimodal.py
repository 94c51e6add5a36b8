"""Tiny random-weight multimodal models: document QA (LayoutLM), visual QA (ViLT, BLIP), captioning (BLIP) and
an image-text-to-text chat model (LLaVA: CLIP vision tower + Llama text model).

How the app calls them (checked on transformers 5.23):
- `layoutlm-docqa`: `pipeline("document-question-answering", model=folder)(image=pil, question="...")` runs
  Tesseract OCR (pytesseract); pass `word_boxes=[(word, [x0, y0, x1, y1]), ...]` (boxes on a 0-1000 scale) to
  skip OCR.
- `vilt-vqa` / `blip-vqa`: the visual-question-answering pipeline is gone in 5.x; use
  `ViltForQuestionAnswering` + `ViltProcessor` (logits over `id2label`) and `BlipForQuestionAnswering.generate`.
- `blip-caption`: `pipeline("image-text-to-text", model=folder)(images=pil, text="")` (the pipeline raises
  "You must provide text" without `text`; "" captions unconditionally, "a picture of" is continued) or
  `BlipForConditionalGeneration.generate(**processor(images=pil, return_tensors="pt"))`. `pipeline("image-to-text")`
  is redirected to image-text-to-text (logging a harmless "--- Logging error ---") and needs `text` too.
- `vlm-chat`: `pipeline("image-text-to-text", model=folder)(text=[{"role": "user", "content": [{"type": "image",
  "image": pil}, {"type": "text", "text": "What is this?"}]}], max_new_tokens=5)`.
"""

from __future__ import annotations

from pathlib import Path

from tests.tiny import tiny
from tests.tiny.common import bpe_tokenizer, wordpiece_tokenizer
from tests.tiny.vision import _clip_image_processor, _save, _seed, labels

# Words that the documents, questions and captions in the tests use, so that they tokenize to whole words.
WORDS = """the a an of to and is in on what who where when which how many much this that it with for from by
at as are be was photo picture image cat cats dog dogs car cars tree person people man woman red blue green
yes no one two three invoice total date number amount due paid bill customer item items price quantity tax
name address company order receipt question answer color colour sky road building""".split()


def _wordpiece(model_max_length: int = 512):
    """A BertTokenizer (WordPiece, lower-cased) trained on the shared corpus plus WORDS as whole words."""
    return wordpiece_tokenizer(lowercase=True, extra_words=WORDS, model_max_length=model_max_length)


@tiny("layoutlm-docqa", "document-question-answering")
def build_layoutlm_docqa(folder: Path) -> None:
    from transformers import LayoutLMConfig, LayoutLMForQuestionAnswering

    _seed()
    tokenizer = _wordpiece(512)
    config = LayoutLMConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                            intermediate_size=37, max_position_embeddings=512, max_2d_position_embeddings=1024,
                            pad_token_id=tokenizer.pad_token_id)
    _save(folder, LayoutLMForQuestionAnswering(config), tokenizer)


VQA_ANSWERS = ["yes", "no", "2", "cat", "red"]


@tiny("vilt-vqa", "visual-question-answering")
def build_vilt_vqa(folder: Path) -> None:
    from transformers import ViltConfig, ViltForQuestionAnswering, ViltImageProcessor, ViltProcessor

    _seed()
    tokenizer = _wordpiece(40)
    config = ViltConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=37, image_size=32, patch_size=8, max_position_embeddings=40,
                        pad_token_id=tokenizer.pad_token_id, **labels(VQA_ANSWERS))
    image_processor = ViltImageProcessor(size={"shortest_edge": 32}, size_divisor=8)
    _save(folder, ViltForQuestionAnswering(config), ViltProcessor(image_processor=image_processor,
                                                                    tokenizer=tokenizer))


def _blip_config(tokenizer):
    """BLIP's text decoder with 512 positions, as the real ones: the pipelines' default answer length is 256 new
    tokens, which a random model uses up."""
    from transformers import BlipConfig

    text = dict(vocab_size=len(tokenizer), hidden_size=32, encoder_hidden_size=32, intermediate_size=37,
                num_hidden_layers=2, num_attention_heads=2, max_position_embeddings=512,
                bos_token_id=tokenizer.convert_tokens_to_ids("[DEC]"), pad_token_id=tokenizer.pad_token_id,
                sep_token_id=tokenizer.sep_token_id, eos_token_id=tokenizer.sep_token_id)
    vision = dict(hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=2, image_size=32,
                  patch_size=8)
    return BlipConfig(text_config=text, vision_config=vision, projection_dim=16, image_text_hidden_size=32)


def _blip_processor(tokenizer):
    from transformers import BlipImageProcessor, BlipProcessor

    return BlipProcessor(image_processor=BlipImageProcessor(size={"height": 32, "width": 32}), tokenizer=tokenizer)


def _blip_tokenizer():
    # BLIP's tokenizer is BERT's with "[DEC]" as the decoder's start token (bos) and "[ENC]" for the encoder
    tokenizer = _wordpiece(64)
    tokenizer.add_special_tokens({"bos_token": "[DEC]", "additional_special_tokens": ["[ENC]"]})
    return tokenizer


def _fix_generation(model, tokenizer, max_length: int = 20) -> None:
    gen = model.generation_config
    gen.bos_token_id = model.config.text_config.bos_token_id
    gen.decoder_start_token_id = model.config.text_config.bos_token_id
    gen.eos_token_id = tokenizer.sep_token_id
    gen.pad_token_id = tokenizer.pad_token_id
    gen.max_length = max_length


@tiny("blip-vqa", "visual-question-answering")
def build_blip_vqa(folder: Path) -> None:
    import torch
    from transformers import BlipForQuestionAnswering

    _seed()
    tokenizer = _blip_tokenizer()
    model = BlipForQuestionAnswering(_blip_config(tokenizer))
    # at init scale a random BLIP answers every question alike; x4 makes answers follow the input (and often end)
    with torch.no_grad():
        for name, weight in model.named_parameters():
            if weight.ndim == 2 and "embeddings" not in name:
                weight.mul_(4)
    _fix_generation(model, tokenizer)
    _save(folder, model, _blip_processor(tokenizer))


@tiny("blip-caption", "image-to-text", "image-text-to-text")
def build_blip_caption(folder: Path) -> None:
    from transformers import BlipForConditionalGeneration

    _seed()
    tokenizer = _blip_tokenizer()
    model = BlipForConditionalGeneration(_blip_config(tokenizer))
    _fix_generation(model, tokenizer)
    _save(folder, model, _blip_processor(tokenizer))


# A chat template in LLaVA-1.5's style ("USER: <image>\n... ASSISTANT:"): image items become the processor's
# image token, which the processor expands to one token per image patch.
LLAVA_CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ message['role'] | upper }}: "
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for item in message['content'] %}"
    "{% if item['type'] == 'image' %}<image>\n"
    "{% elif item['type'] == 'text' %}{{ item['text'] }}{% endif %}"
    "{% endfor %}{% endif %}"
    "{% if message['role'] == 'assistant' %}{{ eos_token }}{% endif %}\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}ASSISTANT:{% endif %}"
)


def _chat_tokenizer():
    """GPT-2 style byte-level BPE (<|endoftext|> is bos/eos/unk, used as pad too) plus the `<image>` token."""
    tok = bpe_tokenizer("gpt2", extra_words=WORDS)
    tok.pad_token = tok.eos_token
    tok.add_special_tokens({"additional_special_tokens": ["<image>"]})
    return tok


@tiny("vlm-chat", "image-text-to-text")
def build_vlm_chat(folder: Path) -> None:
    from transformers import LlavaConfig, LlavaForConditionalGeneration, LlavaProcessor

    _seed()
    tokenizer = _chat_tokenizer()
    image_token_id = tokenizer.convert_tokens_to_ids("<image>")
    vision = dict(model_type="clip_vision_model", hidden_size=32, intermediate_size=37, num_hidden_layers=2,
                  num_attention_heads=2, image_size=32, patch_size=8, projection_dim=32)
    text = dict(model_type="llama", vocab_size=len(tokenizer), hidden_size=32, intermediate_size=37,
                num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=512,
                bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                pad_token_id=tokenizer.pad_token_id)
    config = LlavaConfig(vision_config=vision, text_config=text, image_token_id=image_token_id,
                         vision_feature_layer=-1, vision_feature_select_strategy="default",
                         projector_hidden_act="gelu")
    model = LlavaForConditionalGeneration(config)
    gen = model.generation_config
    gen.eos_token_id = tokenizer.eos_token_id
    gen.pad_token_id = tokenizer.pad_token_id
    gen.bos_token_id = tokenizer.bos_token_id
    gen.max_new_tokens = 10
    processor = LlavaProcessor(image_processor=_clip_image_processor(32), tokenizer=tokenizer, patch_size=8,
                               vision_feature_select_strategy="default", num_additional_image_tokens=1,
                               chat_template=LLAVA_CHAT_TEMPLATE, image_token="<image>")
    _save(folder, model, processor)
