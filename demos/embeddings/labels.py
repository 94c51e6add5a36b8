"""The Embeddings tab's texts: examples (English, Korean, the study notes' own sentences) and the Korean
translations of every label."""

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

KOREAN: dict[str, str] = {
    "Embeddings": "임베딩",
    INTRO: "문장(또는 이미지)이 벡터가 됩니다: 어디에 놓이는지, 무엇끼리 가까운지, 각 층과 어텐션 헤드가 무엇을 하는지 "
           "봅니다. 한 줄에 한 문장씩 `레이블 | 문장` 형식으로 쓰고(레이블은 선택이며 지도의 색이 됩니다) **실행**을 "
           "누르세요. 한국어는 `beomi/kcbert-base` 또는 `intfloat/multilingual-e5-small`을 고르세요.",
    POOLING_INFO: "auto = 모델의 sentence-transformers 풀링 설정이 있으면 그것, 없으면 mean(텍스트) 또는 cls(이미지); "
                  "mean = 어텐션 마스크 위 평균; cls = 첫 토큰; pooler = pooler_output; max; last = 마지막 실제 토큰",
    "Sentences": "문장",
    "label | text, one per line (the label is optional), e.g.\nanimal | The cat sleeps on the sofa.\n"
    "finance | Stocks fell sharply today.":
        "한 줄에 하나씩 레이블 | 문장 (레이블은 선택), 예:\n동물 | 고양이가 소파에서 잔다.\n경제 | 주가가 크게 떨어졌다.",
    "One per line; 'label | text' colours the points by label": "한 줄에 하나; '레이블 | 문장'으로 쓰면 점이 레이블별로 색칠됩니다",
    "Upload (CSV or TXT)": "업로드 (CSV 또는 TXT)",
    "Images": "이미지",
    "CSV: a header row, a *text* column (or the first column) and an optional *label* column; an upload replaces "
    "the typed lines. Images need an image model or CLIP (CLIP puts texts and images in one space).":
        "CSV: 머리글 행, *text* 열(없으면 첫 열), 선택적인 *label* 열; 업로드하면 입력한 줄 대신 파일을 씁니다. "
        "이미지는 이미지 모델이나 CLIP이 필요합니다 (CLIP은 텍스트와 이미지를 한 공간에 놓습니다).",
    "-1 = last (last_hidden_state), 0 = the embedding layer, k = after layer k":
        "-1 = 마지막 (last_hidden_state), 0 = 임베딩 층, k = k번째 층 다음",
    "Rows per forward pass": "한 번의 순전파에 넣을 행 수",
    "L2 normalisation: every vector gets length 1 (cosine = dot product)":
        "L2 정규화: 모든 벡터의 길이를 1로 (코사인 = 내적)",
    "Map": "지도",
    "Similarity": "유사도",
    "Neighbours": "이웃",
    "Vectors": "벡터",
    "Tokens & attention": "토큰과 어텐션",
    "PCA is instant and linear; t-SNE and UMAP keep neighbours together (slower)":
        "PCA는 즉시 끝나는 선형 투영; t-SNE와 UMAP은 이웃끼리 모아 줍니다 (더 느림)",
    "Same seed, same map": "같은 시드, 같은 지도",
    "t-SNE: about how many neighbours each point cares for (kept below the number of rows)":
        "t-SNE: 각 점이 고려하는 이웃 수 정도 (행 수보다 작게 조정됨)",
    "UMAP: larger = more global structure": "UMAP: 클수록 전체 구조를 더 봅니다",
    "UMAP: how tightly points may pack": "UMAP: 점들이 얼마나 빽빽이 모일 수 있는지",
    "t-SNE and UMAP: distance between vectors": "t-SNE와 UMAP: 벡터 사이 거리",
    "Update map": "지도 다시 그리기",
    "Download the projection (.npy, .csv)": "투영 결과 내려받기 (.npy, .csv)",
    "Cosine similarity of every pair of rows: 1 = same direction, 0 = unrelated. Hover a cell to read both sentences.":
        "모든 행 쌍의 코사인 유사도: 1 = 같은 방향, 0 = 무관. 칸에 마우스를 올리면 두 문장이 보입니다.",
    "Similarity heatmap": "유사도 히트맵",
    "Query": "질의",
    "Its nearest rows (embedded the same way) are listed with their scores":
        "같은 방식으로 임베딩한 뒤 가장 가까운 행을 점수와 함께 보여 줍니다",
    "Find neighbours": "이웃 찾기",
    "Nearest rows": "가장 가까운 행",
    "Vectors (first dimensions)": "벡터 (앞쪽 차원)",
    "Download the embeddings (.npy, .csv)": "임베딩 내려받기 (.npy, .csv)",
    "Sentence": "문장",
    "One sentence; uses the model picked above (a text or CLIP model)": "문장 하나; 위에서 고른 모델을 씁니다 (텍스트 또는 CLIP 모델)",
    "Show tokens": "토큰 보기",
    "Hidden-state norms": "은닉 상태 노름",
    "Layer": "층",
    "Head": "헤드",
    "Attention weights": "어텐션 가중치",
}
