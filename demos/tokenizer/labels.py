"""Korean text for the tab's labels (English text -> Korean), kept apart from the gradio code."""

KOREAN = {
    "Tokenizer": "토크나이저",
    "Tokenize": "토큰화",
    "Compare tokenizers": "토크나이저 비교",
    "Decode": "디코딩",
    "Look up tokens": "토큰 조회",
    "Add tokens": "토큰 추가",
    "Chat template": "채팅 템플릿",
    "How text becomes the numbers a model reads. Works with any tokenizer: a Hub id or a local folder with tokenizer "
    "files (only the tokenizer is loaded, never the model).":
        "텍스트가 모델이 읽는 숫자로 바뀌는 과정을 봅니다. Hub id나 토크나이저 파일이 있는 로컬 폴더면 어떤 토크나이저든 "
        "됩니다 (모델은 불러오지 않고 토크나이저만 불러옵니다).",
    "Text": "텍스트",
    "One text per line makes a batch (then padding matters)": "한 줄에 한 문장씩 쓰면 배치가 됩니다 (이때 패딩이 중요해집니다)",
    "Second text (text_pair)": "두 번째 텍스트 (text_pair)",
    "Question + context: token_type_ids become 0 for the first text and 1 for this one":
        "질문 + 문맥: token_type_ids가 첫 번째 텍스트는 0, 이 텍스트는 1이 됩니다",
    "Pad shorter texts: True/longest = to the longest, max_length = to max_length":
        "짧은 문장에 패딩 추가: True/longest = 가장 긴 문장에 맞춤, max_length = max_length에 맞춤",
    "Cut longer texts to max_length (or the model's maximum)": "긴 문장을 max_length(또는 모델의 최대 길이)로 자릅니다",
    "0 = not set (the model's maximum)": "0 = 지정 안 함 (모델의 최대 길이)",
    "list = Python lists, pt = PyTorch, np = NumPy": "list = 파이썬 리스트, pt = PyTorch 텐서, np = NumPy 배열",
    "Add [CLS]/[SEP], <s>/</s>... as the model expects": "모델이 기대하는 [CLS]/[SEP], <s>/</s> 등을 추가합니다",
    "Each line is one text of a batch": "각 줄을 배치의 한 문장으로 처리",
    "Tokens listed per text (0 = all); the counts are always exact":
        "문장마다 보여 줄 토큰 수 (0 = 전부); 개수 통계는 항상 정확합니다",
    "Tokenizer facts": "토크나이저 정보",
    "Tokens (hover one for its id, characters, word)": "토큰 (마우스를 올리면 id, 문자 위치, 단어 번호가 보입니다)",
    "Encoding: what the model receives (one column per token)": "인코딩: 모델이 받는 입력 (열 하나가 토큰 하나)",
    "Tokenizers (2-4)": "토크나이저 (2-4개)",
    "Pick or type 2 to 4 Hub ids or local folders": "Hub id나 로컬 폴더를 2~4개 고르거나 입력하세요",
    "Side by side": "나란히 비교",
    "Tokens of each tokenizer": "토크나이저별 토큰",
    "Token ids": "토큰 id",
    "e.g. 101, 1045, 2572 or a pasted [101, 1045, 2572]; leave empty to encode the text":
        "예: 101, 1045, 2572 또는 붙여 넣은 [101, 1045, 2572]; 비워 두면 텍스트를 인코딩합니다",
    "Text (round trip)": "텍스트 (왕복 확인)",
    "Encoded (when no ids are given), decoded again and compared": "(id가 없으면) 인코딩한 뒤 다시 디코딩해 원문과 비교합니다",
    "Remove spaces before punctuation when decoding": "디코딩할 때 문장 부호 앞의 공백을 없앱니다",
    "Tokens of these ids": "이 id들의 토큰",
    "Tokens": "토큰",
    "Separated by spaces, spelled as in the vocabulary (##ing, Ġhello, ▁안녕)":
        "공백으로 구분, 어휘집에 적힌 그대로 (##ing, Ġhello, ▁안녕)",
    "e.g. 2572, 1037": "예: 2572, 1037",
    "New tokens": "새 토큰",
    "Separated by spaces or commas": "공백이나 쉼표로 구분",
    "Tokenized before and after adding": "추가 전과 후의 토큰화를 비교합니다",
    "Add as special tokens (never split, skipped by decode(skip_special_tokens=True))":
        "특수 토큰으로 추가 (나뉘지 않고, decode(skip_special_tokens=True)에서 빠집니다)",
    "Added tokens": "추가된 토큰",
    "Tokens before and after": "추가 전후의 토큰",
    "Conversation": "대화",
    "One message per line as role: content (system, user, assistant), or a JSON list of messages":
        "한 줄에 메시지 하나씩 role: content 형식 (system, user, assistant), 또는 메시지의 JSON 리스트",
    "End with the assistant's turn opener, so a model writes the answer": "assistant 차례의 시작 부분으로 끝내서 모델이 답을 쓰게 합니다",
    "Prompt text (apply_chat_template with tokenize=False)": "프롬프트 텍스트 (apply_chat_template, tokenize=False)",
    "Prompt tokens (special tokens in grey)": "프롬프트 토큰 (특수 토큰은 회색)",
}
