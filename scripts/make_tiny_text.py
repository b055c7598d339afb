#!/usr/bin/env python3
"""Generate the text side of the tiny test models, in the Hugging Face ONNX layout, with Python
onnxruntime's outputs as references:

- testdata/models/tiny-siglip gains onnx/text_model.onnx (input_ids only, fixed length 64,
  pooled from the last position like SigLIP), tokenizer.json (WordLevel, lowercase, `</s>`
  appended; `<pad>` id 0, `</s>` id 1) and text_config/logit_scale/logit_bias in config.json.
- testdata/models/tiny-clip: a CLIP-shaped pair. text_model.onnx takes input_ids and
  attention_mask (length 77), runs causal masked attention, takes the state at the end-of-text
  token (argmax of the ids, as CLIP does) and projects it to `text_embeds`; vision_model.onnx is
  the tiny ViT with a projection to `image_embeds`. tokenizer.json wraps texts in
  <|startoftext|> ... <|endoftext|> (the two highest ids).

Usage: make_tiny_text.py TESTDATA_MODELS_DIR   (needs numpy, onnx, onnxruntime, tokenizers)
       make_tiny_text.py --base OUT_DIR        a SigLIP-base-shaped text tower (12 layers, 768
                                               wide, 12 heads, MLP 3072, 32k vocabulary, random
                                               weights, ~450 MB) for throughput benches
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

import make_tiny_vit as vit

WORDS = ("a photo of the an cat dog car tree red blue green sneakers beach at sunset espresso cup coffee "
         "bird horse rocket astronaut helmet eagle kite mountain city street house food apple banana").split()
HIDDEN, PROJECTION = vit.HIDDEN, 24


def reset():
    vit.nodes.clear()
    vit.inits.clear()


def tokenizer_json(vocab, family):
    """A WordLevel tokenizer.json: lowercase, split on whitespace and punctuation."""
    unk = "<unk>"
    if family == "siglip":
        post = {"type": "TemplateProcessing", "single": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
                "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
                "special_tokens": {"</s>": {"id": "</s>", "ids": [vocab["</s>"]], "tokens": ["</s>"]}}}
    else:
        bos, eos = "<|startoftext|>", "<|endoftext|>"
        post = {"type": "TemplateProcessing",
                "single": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": eos, "type_id": 0}}],
                "pair": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": eos, "type_id": 0}}],
                "special_tokens": {bos: {"id": bos, "ids": [vocab[bos]], "tokens": [bos]}, eos: {"id": eos, "ids": [vocab[eos]], "tokens": [eos]}}}
    specials = [t for t in vocab if t.startswith("<")]
    return {"version": "1.0", "truncation": None, "padding": None,
            "added_tokens": [{"id": vocab[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                              "normalized": False, "special": True} for t in specials],
            "normalizer": {"type": "Lowercase"},
            "pre_tokenizer": {"type": "BertPreTokenizer"},
            "post_processor": post, "decoder": None,
            "model": {"type": "WordLevel", "vocab": vocab, "unk_token": unk}}


def text_model(family, vocab_size, length, layers=1):
    reset()
    ids = "input_ids"
    x = vit.op("Gather", [vit.weight(vocab_size, HIDDEN, scale=0.5), ids], axis=0)
    x = vit.op("Add", [x, vit.weight(1, length, HIDDEN, scale=0.1)])
    inputs = [helper.make_tensor_value_info(ids, TensorProto.INT64, ["batch_size", length])]
    # Additive attention bias [N or 1, 1, L, L]: causal, and padding for CLIP.
    if family == "clip":
        causal = np.triu(np.full((length, length), -1e4, dtype=np.float32), 1)[None, None]
        mask = vit.op("Cast", ["attention_mask"], to=TensorProto.FLOAT)
        pad_bias = vit.op("Mul", [vit.op("Sub", [vit.const("one", 1.0), mask]), vit.const("neg", -1e4)])
        pad_bias = vit.op("Unsqueeze", [pad_bias, vit.const("axes", [1, 2], np.int64)])
        bias = vit.op("Add", [vit.const("causal", causal), pad_bias])
        inputs.append(helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch_size", length]))
    else:
        bias = None
    for _ in range(layers):
        h = vit.layer_norm(x)
        x = vit.op("Add", [x, attention_with_bias(h, bias)])
        x = vit.op("Add", [x, vit.linear(vit.gelu(vit.linear(vit.layer_norm(x), HIDDEN, vit.MLP)), vit.MLP, HIDDEN)])
    x = vit.layer_norm(x)
    if family == "siglip":
        last = vit.op("Gather", [x, vit.const("last", length - 1, np.int64)], axis=1)
        out_name, out = "pooler_output", vit.linear(last, HIDDEN, HIDDEN)
        dim = HIDDEN
    else:
        eos_at = vit.op("ArgMax", [ids], axis=1, keepdims=0)
        positions = vit.op("Unsqueeze", [vit.const("range", np.arange(length), np.int64), vit.const("axes", [0], np.int64)])
        onehot = vit.op("Cast", [vit.op("Equal", [positions, vit.op("Unsqueeze", [eos_at, vit.const("axes", [1], np.int64)])])], to=TensorProto.FLOAT)
        pooled = vit.op("MatMul", [vit.op("Unsqueeze", [onehot, vit.const("axes", [1], np.int64)]), x])
        pooled = vit.op("Reshape", [pooled, vit.const("shape", [-1, HIDDEN], np.int64)])
        out_name, out = "text_embeds", vit.op("MatMul", [pooled, vit.weight(HIDDEN, PROJECTION, scale=HIDDEN ** -0.5)])
        dim = PROJECTION
    vit.nodes.append(helper.make_node("Identity", [out], [out_name]))
    graph = helper.make_graph(vit.nodes, f"tiny-{family}-text", inputs,
                              [helper.make_tensor_value_info(out_name, TensorProto.FLOAT, ["batch_size", dim])], vit.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)], producer_name="photon")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def attention_with_bias(x, bias):
    heads = vit.HEADS
    q, k, v = (vit.split_heads(vit.linear(x, HIDDEN, HIDDEN)) for _ in range(3))
    scores = vit.op("Div", [vit.op("MatMul", [q, vit.op("Transpose", [k], perm=[0, 1, 3, 2])]), vit.const("scale", np.sqrt(HIDDEN // heads))])
    if bias is not None:
        scores = vit.op("Add", [scores, bias])
    context = vit.op("MatMul", [vit.op("Softmax", [scores], axis=-1), v])
    merged = vit.op("Reshape", [vit.op("Transpose", [context], perm=[0, 2, 1, 3]), vit.const("shape", [0, -1, HIDDEN], np.int64)])
    return vit.linear(merged, HIDDEN, HIDDEN)


def clip_vision():
    """The tiny ViT with CLIP's projection to image_embeds."""
    reset()
    model = vit.build()
    graph = model.graph
    graph.node[-1].output[0] = "pooled"
    proj = vit.weight(HIDDEN, PROJECTION, scale=HIDDEN ** -0.5)
    graph.initializer.extend([i for i in vit.inits if i.name == proj])
    graph.node.append(helper.make_node("MatMul", ["pooled", proj], ["image_embeds"]))
    del graph.output[:]
    graph.output.append(helper.make_tensor_value_info("image_embeds", TensorProto.FLOAT, ["batch_size", PROJECTION]))
    onnx.checker.check_model(model)
    return model


def base(out):
    """SigLIP base text tower shape; only the tokenizer is small (its ids stay in range)."""
    global HIDDEN
    HIDDEN = vit.HIDDEN = 768
    vit.HEADS, vit.HEAD_DIM, vit.MLP = 12, 64, 3072
    vocab = {w: i for i, w in enumerate(["<pad>", "</s>", "<unk>"] + WORDS)}
    os.makedirs(os.path.join(out, "onnx"), exist_ok=True)
    onnx.save(text_model("siglip", 32000, 64, layers=12), os.path.join(out, "onnx", "text_model.onnx"))
    with open(os.path.join(out, "tokenizer.json"), "w") as f:
        json.dump(tokenizer_json(vocab, "siglip"), f)
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump({"model_type": "siglip", "text_config": {"hidden_size": 768, "max_position_embeddings": 64,
                                                          "pad_token_id": 0, "eos_token_id": 1}}, f)
    print(f"wrote {out}")


def main():
    if sys.argv[1] == "--base":
        return base(sys.argv[2])
    import onnxruntime as ort
    from tokenizers import Tokenizer
    root = sys.argv[1]
    prompts = ["a photo of a cat", "a photo of a dog", "Red sneakers!", "beach at sunset", "zebra unknownword"]
    references = {}
    for family, length, specials in (("siglip", 64, ["<pad>", "</s>", "<unk>"]), ("clip", 77, ["<unk>"])):
        out = os.path.join(root, f"tiny-{family}")
        os.makedirs(os.path.join(out, "onnx"), exist_ok=True)
        words = specials + WORDS + (["<|startoftext|>", "<|endoftext|>"] if family == "clip" else [])
        vocab = {w: i for i, w in enumerate(words)}
        with open(os.path.join(out, "tokenizer.json"), "w") as f:
            json.dump(tokenizer_json(vocab, family), f, indent=1)
        path = os.path.join(out, "onnx", "text_model.onnx")
        onnx.save(text_model(family, len(vocab), length), path)
        config_path = os.path.join(out, "config.json")
        config = json.load(open(config_path)) if os.path.exists(config_path) else {}
        if family == "siglip":
            config.update({"model_type": "siglip", "logit_scale": 2.3, "logit_bias": -1.5,
                           "text_config": {"hidden_size": HIDDEN, "max_position_embeddings": length,
                                           "pad_token_id": vocab["<pad>"], "eos_token_id": vocab["</s>"]}})
        else:
            onnx.save(clip_vision(), os.path.join(out, "onnx", "vision_model.onnx"))
            config = {"model_type": "clip", "projection_dim": PROJECTION, "logit_scale": float(np.log(100.0)),
                      "text_config": {"hidden_size": HIDDEN, "max_position_embeddings": length,
                                      "pad_token_id": vocab["<|endoftext|>"], "bos_token_id": vocab["<|startoftext|>"],
                                      "eos_token_id": vocab["<|endoftext|>"]},
                      "vision_config": {"hidden_size": HIDDEN, "image_size": vit.IMAGE, "patch_size": vit.PATCH}}
            with open(os.path.join(out, "preprocessor_config.json"), "w") as f:
                json.dump({"size": {"shortest_edge": vit.IMAGE}, "crop_size": {"height": vit.IMAGE, "width": vit.IMAGE},
                           "do_center_crop": True, "resample": 3, "image_mean": [0.48145466, 0.4578275, 0.40821073],
                           "image_std": [0.26862954, 0.26130258, 0.27577711]}, f, indent=2)
        with open(config_path, "w") as f:
            json.dump(config, f, indent=2)
        # Reference: the family's rules applied in Python, then onnxruntime.
        tok = Tokenizer.from_file(os.path.join(out, "tokenizer.json"))
        pad = config["text_config"]["pad_token_id"]
        ids, mask = [], []
        for p in prompts:
            e = tok.encode(p).ids[:length]
            if family == "clip" and len(e) == length:
                e[-1] = config["text_config"]["eos_token_id"]
            mask.append([1] * len(e) + [0] * (length - len(e)))
            ids.append(e + [pad] * (length - len(e)))
        feeds = {"input_ids": np.array(ids, dtype=np.int64)}
        if family == "clip":
            feeds["attention_mask"] = np.array(mask, dtype=np.int64)
        session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        (emb,) = session.run(None, feeds)
        references[family] = {"prompts": prompts, "input_ids": ids, "embeddings": emb.tolist()}
        with open(os.path.join(out, "text_reference.json"), "w") as f:
            json.dump(references[family], f)
        print(f"wrote {out}: text {os.path.getsize(path)} bytes, embeddings {emb.shape}")


if __name__ == "__main__":
    main()
