#!/usr/bin/env python3
"""Generate testdata/models/immich-siglip and immich-clip: the tiny SigLIP and CLIP of
testdata/models laid out as immich lays out its OpenCLIP exports, so Photon's immich reader is
tested on the same weights whose Hugging Face layout it already reads. immich-siglip:

- config.json: OpenCLIP's (embed_dim, init_logit_bias, vision_cfg, text_cfg with context_length,
  an hf_tokenizer_name naming SigLIP and the `canonicalize` cleaning);
- visual/model.onnx: the vision tower with immich's names (input `image`, output `embedding`),
  and visual/preprocess_cfg.json (OpenCLIP's PreprocessCfg: squash to 32, bilinear, mean/std 0.5);
- textual/model.onnx: the text tower taking int32 `text` (cast to int64 inside) with output
  `embedding`, and textual/tokenizer.json plus tokenizer_config.json naming the pad token.

immich-clip: the same for tiny-clip, whose text tower then takes the ids alone (its attention
mask computed inside from the first end-of-text token, as OpenCLIP's towers need none), OpenAI
preprocessing (shorter side, centre crop, bicubic), and `<|endoftext|>` as pad and end token.

Usage: make_immich_fixtures.py TESTDATA_MODELS_DIR   (needs onnx)
"""
import json
import os
import shutil
import sys

import onnx
from onnx import TensorProto, helper


def rename_io(model, renames):
    """Renames graph inputs/outputs and every node edge that uses them."""
    graph = model.graph
    for value in list(graph.input) + list(graph.output):
        if value.name in renames:
            value.name = renames[value.name]
    for node in graph.node:
        node.input[:] = [renames.get(n, n) for n in node.input]
        node.output[:] = [renames.get(n, n) for n in node.output]
    return model


def keep_outputs(model, names):
    kept = [o for o in model.graph.output if o.name in names]
    del model.graph.output[:]
    model.graph.output.extend(kept)
    return model


def int32_tokens(model, old_input, new_input):
    """Makes the token input int32 (as immich feeds it), cast to int64 for the original graph."""
    graph = model.graph
    original = next(i for i in graph.input if i.name == old_input)
    dims = [d.dim_value if d.HasField("dim_value") else d.dim_param for d in original.type.tensor_type.shape.dim]
    graph.input.remove(original)
    graph.input.insert(0, helper.make_tensor_value_info(new_input, TensorProto.INT32, dims))
    graph.node.insert(0, helper.make_node("Cast", [new_input], [old_input], to=TensorProto.INT64))
    return model


def export_towers(source, out, image_output, text_output, adapt_text):
    """Writes out/visual/model.onnx and out/textual/model.onnx from the Hugging Face towers in
    source: immich's names (`image`, `text`, `embedding`), one output each, int32 token ids;
    `adapt_text` reshapes the text graph first."""
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(os.path.join(out, "visual"))
    os.makedirs(os.path.join(out, "textual"))
    vision = onnx.load(os.path.join(source, "onnx/vision_model.onnx"))
    vision = keep_outputs(vision, {image_output})
    vision = rename_io(vision, {"pixel_values": "image", image_output: "embedding"})
    onnx.checker.check_model(vision)
    onnx.save(vision, os.path.join(out, "visual/model.onnx"))
    text = onnx.load(os.path.join(source, "onnx/text_model.onnx"))
    text = keep_outputs(text, {text_output})
    text = rename_io(text, {text_output: "embedding"})
    text = int32_tokens(adapt_text(text), "input_ids", "text")
    onnx.checker.check_model(text)
    onnx.save(text, os.path.join(out, "textual/model.onnx"))


def mask_from_ids(model, ids, eos_id):
    """Replaces the graph input `attention_mask` by one computed from the ids: 1 up to and
    including the first end-of-text token, 0 after it. OpenCLIP's text towers take the ids alone
    (a causal mask inside); this makes the tiny CLIP tower one of them."""
    graph = model.graph
    mask = next(i for i in graph.input if i.name == "attention_mask")
    graph.input.remove(mask)
    eos = helper.make_tensor("eos_id", TensorProto.INT64, [], [eos_id])
    zero = helper.make_tensor("zero", TensorProto.INT64, [], [0])
    axis = helper.make_tensor("axis_one", TensorProto.INT64, [], [1])
    graph.initializer.extend([eos, zero, axis])
    nodes = [
        helper.make_node("Equal", [ids, "eos_id"], ["is_eos"]),
        helper.make_node("Cast", ["is_eos"], ["is_eos_int"], to=TensorProto.INT64),
        helper.make_node("CumSum", ["is_eos_int", "axis_one"], ["eos_seen"]),
        helper.make_node("Sub", ["eos_seen", "is_eos_int"], ["eos_before"]),
        helper.make_node("Equal", ["eos_before", "zero"], ["kept"]),
        helper.make_node("Cast", ["kept"], ["attention_mask"], to=TensorProto.INT64),
    ]
    for i, node in enumerate(nodes):
        graph.node.insert(i, node)
    return model


def immich_clip(models):
    """testdata/models/immich-clip: tiny-clip as immich keeps openai's CLIP."""
    source = os.path.join(models, "tiny-clip")
    out = os.path.join(models, "immich-clip")
    hf = json.load(open(os.path.join(source, "config.json")))
    eos_id = hf["text_config"]["eos_token_id"]
    export_towers(source, out, "image_embeds", "text_embeds",
                  lambda text: mask_from_ids(text, "input_ids", eos_id))

    vocab = json.load(open(os.path.join(source, "tokenizer.json")))["model"]["vocab"]
    config = {
        "embed_dim": hf["projection_dim"],
        "vision_cfg": {"image_size": hf["vision_config"]["image_size"], "layers": 2, "width": 32, "patch_size": 8},
        "text_cfg": {"context_length": hf["text_config"]["max_position_embeddings"], "vocab_size": len(vocab),
                     "width": hf["text_config"]["hidden_size"], "heads": 2, "layers": 2},
    }
    json.dump(config, open(os.path.join(out, "config.json"), "w"), indent=2)
    # OpenCLIP's OpenAI preprocessing: shorter side, centre crop, bicubic, OpenAI mean/std.
    preprocess = {"size": 32, "mode": "RGB", "mean": [0.48145466, 0.4578275, 0.40821073],
                  "std": [0.26862954, 0.26130258, 0.27577711], "interpolation": "bicubic",
                  "resize_mode": "shortest", "fill_color": 0}
    json.dump(preprocess, open(os.path.join(out, "visual/preprocess_cfg.json"), "w"), indent=2)
    shutil.copy(os.path.join(source, "tokenizer.json"), os.path.join(out, "textual/tokenizer.json"))
    json.dump({"bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>",
               "unk_token": "<|endoftext|>"},
              open(os.path.join(out, "textual/tokenizer_config.json"), "w"), indent=2)


def main(models):
    immich_siglip(models)
    immich_clip(models)


def immich_siglip(models):
    """testdata/models/immich-siglip: tiny-siglip as immich keeps OpenCLIP's SigLIP."""
    source = os.path.join(models, "tiny-siglip")
    out = os.path.join(models, "immich-siglip")
    hf = json.load(open(os.path.join(source, "config.json")))
    export_towers(source, out, "pooler_output", "pooler_output", lambda text: text)

    vocab = json.load(open(os.path.join(source, "tokenizer.json")))["model"]["vocab"]
    config = {
        "embed_dim": hf["vision_config"]["hidden_size"],
        "init_logit_bias": -10,
        "custom_text": True,
        "vision_cfg": {"image_size": hf["vision_config"]["image_size"], "timm_model_name": "vit_tiny_patch8_siglip_32"},
        "text_cfg": {"context_length": hf["text_config"]["max_position_embeddings"], "vocab_size": len(vocab),
                     "hf_tokenizer_name": "timm/ViT-Tiny-SigLIP", "tokenizer_kwargs": {"clean": "canonicalize"},
                     "width": hf["text_config"]["hidden_size"]},
    }
    json.dump(config, open(os.path.join(out, "config.json"), "w"), indent=2)
    preprocess = {"size": [32, 32], "mode": "RGB", "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5],
                  "interpolation": "bilinear", "resize_mode": "squash", "fill_color": 0}
    json.dump(preprocess, open(os.path.join(out, "visual/preprocess_cfg.json"), "w"), indent=2)
    shutil.copy(os.path.join(source, "tokenizer.json"), os.path.join(out, "textual/tokenizer.json"))
    json.dump({"pad_token": "<pad>", "eos_token": "</s>", "unk_token": "<unk>"},
              open(os.path.join(out, "textual/tokenizer_config.json"), "w"), indent=2)


if __name__ == "__main__":
    main(sys.argv[1])
