#!/usr/bin/env python3
"""Independent references for photon-cli/tests/references.rs, from the Python libraries people
compare Photon with. Each command prints one JSON document.

  phash FILE...                         imagehash.phash of each file (PIL decode, RGB)
  preprocess FAMILY CONFIG_JSON IMAGE   transformers' CLIP/SigLIP image processor output
  tokens TOKENIZER_JSON MAX_LEN PAD TEXT...
                                        transformers' fast tokenizer over tokenizer.json with
                                        padding to MAX_LEN and truncation, as the processors use it
"""
import json
import sys


def phash(files):
    import imagehash
    from PIL import Image
    print(json.dumps({f: str(imagehash.phash(Image.open(f).convert("RGB"))) for f in files}))


def preprocess(family, config, image):
    from PIL import Image
    from transformers import CLIPImageProcessorPil, SiglipImageProcessorPil
    cls = CLIPImageProcessorPil if family == "clip" else SiglipImageProcessorPil
    processor = cls(**json.loads(config))
    pixels = processor(images=Image.open(image).convert("RGB"), return_tensors="np")["pixel_values"][0]
    print(json.dumps({"shape": list(pixels.shape), "values": pixels.astype(float).ravel().tolist()}))


def tokens(tokenizer_json, max_len, pad, texts):
    from transformers import PreTrainedTokenizerFast
    tokenizer = PreTrainedTokenizerFast(tokenizer_file=tokenizer_json, pad_token=pad)
    encoded = tokenizer(texts, padding="max_length", truncation=True, max_length=int(max_len))
    print(json.dumps({"ids": encoded["input_ids"], "mask": encoded["attention_mask"]}))


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    if command == "phash":
        phash(args)
    elif command == "preprocess":
        preprocess(*args)
    elif command == "tokens":
        tokens(args[0], args[1], args[2], args[3:])
    else:
        sys.exit(f"unknown command {command}")
