"""Write minilm_reference.json: sentence-transformers' vectors of a few texts.

Not part of the suite: tests/test_encoder.py compares forum/search/encoder.py
with the vectors this wrote. Run it in a throw-away virtualenv outside the
repository that has torch and sentence-transformers (never the project's):

    python -m venv /tmp/refvenv
    /tmp/refvenv/bin/pip install torch==2.13.0 sentence-transformers==6.3.0
    /tmp/refvenv/bin/python tests/data/make_minilm_reference.py \
        instance/models/all-MiniLM-L6-v2

The argument is the folder `flask --app forum search model install` unpacked.
"""

import json
import sys
from pathlib import Path

import sentence_transformers
import torch
from sentence_transformers import SentenceTransformer

LONG = " ".join(
    f"Paragraph {i}: the rear derailleur skips under load when the chain is worn,"
    " the cassette cogs are hooked, or the cable tension drifts after a cold night."
    for i in range(12)
)

TEXTS = [
    "How do I reset my password?",
    "Wi-Fi keeps dropping after sleep",
    LONG,  # well over 256 tokens: exercises truncation
    "Crème brûlée à l'érable, naïve façade, Ünïcödé — 東京 and emoji 🚲",
    "",
    "def f(x):\n    return {k: v for k, v in x.items() if v is not None}  # py3.11",
    "SELECT id, title FROM post WHERE score > 10 ORDER BY created_at DESC;",
]


def main() -> None:
    """Encode TEXTS with the model in argv[1] and write the JSON beside this file."""
    torch.set_num_threads(1)
    model = SentenceTransformer(sys.argv[1], device="cpu")
    vectors = model.encode(TEXTS, convert_to_numpy=True, normalize_embeddings=False)
    tokenizer, limit = model.tokenizer, model.max_seq_length
    tokens = [
        len(tokenizer(t, truncation=True, max_length=limit)["input_ids"]) for t in TEXTS
    ]
    out = {
        "model": Path(sys.argv[1]).name,
        "produced_by": {
            "torch": torch.__version__,
            "sentence_transformers": sentence_transformers.__version__,
        },
        "texts": TEXTS,
        "token_counts": tokens,
        "vectors": [[float(x) for x in row] for row in vectors],
    }
    target = Path(__file__).with_name("minilm_reference.json")
    target.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {target}: {len(TEXTS)} texts, token counts {tokens}")


if __name__ == "__main__":
    main()
