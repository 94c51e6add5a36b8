"""The Embeddings tab's texts: its introduction, the pooling help and the examples (English, Korean, the study
notes' own sentences). Korean for every label is in locales/ko/embeddings.toml."""

from __future__ import annotations

INTRO = ("Sentences (or images) become vectors: see where they land, which are close, and what each layer and "
         "attention head does. Type one sentence per line as `label | text` (the label is optional and colours "
         "the map), then **Run**. For Korean pick `beomi/kcbert-base` or `intfloat/multilingual-e5-small`.")

POOLING_INFO = ("auto = the model's own sentence-transformers pooling when it has one, else mean (text) or cls "
                "(images); mean = average over the attention mask; cls = first token; pooler = pooler_output; "
                "max; last = last real token")

EXAMPLE_ENGLISH = """animal | The cat sleeps on the warm sofa.
animal | A kitten is napping on the couch.
animal | Dogs love to play fetch in the park.
finance | The stock market fell sharply today.
finance | Investors sold shares as prices dropped.
finance | The central bank raised interest rates.
food | I baked fresh bread this morning.
food | This pasta with tomato sauce is delicious.
food | We had pizza for dinner last night."""

EXAMPLE_KOREAN = """동물 | 고양이가 따뜻한 소파 위에서 자고 있다.
동물 | 새끼 고양이가 소파에서 낮잠을 잔다.
동물 | 강아지는 공원에서 공놀이하는 것을 좋아한다.
경제 | 오늘 주식 시장이 크게 하락했다.
경제 | 가격이 떨어지자 투자자들이 주식을 팔았다.
경제 | 중앙은행이 기준 금리를 인상했다.
음식 | 오늘 아침에 빵을 직접 구웠다.
음식 | 토마토 소스 파스타가 정말 맛있다.
음식 | 어젯밤 저녁으로 피자를 먹었다."""

# the study notes (004: BERT backbone) embed these with bert-base-uncased and beomi/kcbert-base
EXAMPLE_NOTES = """english | I am a boy.
korean | 안녕
korean | Hugging Face는 인공지능(AI)과 자연어 처리(NLP) 분야에서 혁신적인 도구와 모델을 제공하는 AI 스타트업이다.
korean | 2016년에 설립된 이 회사는 주로 오픈소스 라이브러리와 사전 학습된 NLP 모델을 제공을 제공한다."""

EXAMPLE_PARAPHRASES = """I love this movie.
This film is wonderful.
The stock market crashed today.
A man is eating pasta.
A man is eating food.
Someone is playing a guitar."""

ATTENTION_EXAMPLES = ("I am a boy.", "The cat sat on the mat because it was tired.",
                      "고양이가 따뜻한 소파 위에서 자고 있다.")
