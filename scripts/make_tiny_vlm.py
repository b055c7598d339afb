#!/usr/bin/env python3
"""Write a tiny vision-language model in GGUF, as llama.cpp loads a LLaVA-1.5 model: a
language model (`lm.gguf`, architecture llama) and its image encoder (`mmproj.gguf`, a CLIP
ViT with LLaVA's two-layer MLP projector, `clip.projector_type` "mlp").

The weights are random except where the describe stage's end-to-end test needs an answer it
can check: every layer's output projections are zero and every token embeds alike, so whatever
the prompt and the image, the next token is always WORD (the output matrix's one non-zero
row). The image still travels the whole way: the server decodes the JPEG, resizes it to the
encoder's size, runs the ViT and the projector and feeds the image's embeddings to the model.

Usage: make_tiny_vlm.py OUT_DIR   (needs numpy and gguf; writes OUT_DIR/lm.gguf and
                                   OUT_DIR/mmproj.gguf, a few hundred kB)
"""
import os
import sys

import gguf
import numpy as np

WORD = "\u2581photo"  # SentencePiece's word start, then the word: decodes as " photo"
N_EMBD, N_FF, N_HEAD, N_LAYER, N_CTX = 64, 160, 4, 2, 2048
V_EMBD, V_FF, V_HEAD, V_LAYER, IMAGE, PATCH = 32, 96, 2, 2, 64, 16
RNG = np.random.default_rng(25)


def random(*shape, scale=0.02):
    return (RNG.standard_normal(shape) * scale).astype(np.float32)


def vocabulary():
    """SentencePiece pieces: the three specials, the 256 byte pieces llama.cpp falls back on for
    text it has no piece for, and a few words."""
    tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)]
    types = [gguf.TokenType.UNKNOWN, gguf.TokenType.CONTROL, gguf.TokenType.CONTROL]
    types += [gguf.TokenType.BYTE] * 256
    words = [WORD, "\u2581a", "\u2581of", "\u2581the", "\u2581cat", "\u2581USER", "\u2581ASSISTANT", ":"]
    tokens += words
    types += [gguf.TokenType.NORMAL] * len(words)
    scores = [0.0] * 259 + [-float(i) for i in range(len(words))]
    return tokens, scores, types


def write_language_model(path):
    tokens, scores, types = vocabulary()
    writer = gguf.GGUFWriter(path, "llama")
    writer.add_name("photon tiny vlm")
    writer.add_context_length(N_CTX)
    writer.add_embedding_length(N_EMBD)
    writer.add_block_count(N_LAYER)
    writer.add_feed_forward_length(N_FF)
    writer.add_head_count(N_HEAD)
    writer.add_head_count_kv(N_HEAD)
    writer.add_rope_dimension_count(N_EMBD // N_HEAD)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores(scores)
    writer.add_token_types(types)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_unk_token_id(0)
    writer.add_add_bos_token(True)
    writer.add_add_eos_token(False)

    n_vocab = len(tokens)
    # Every token embeds alike and no layer adds to the residual stream, so the last hidden
    # state is the same for every prompt and image, and the output matrix scores WORD alone.
    writer.add_tensor("token_embd.weight", np.ones((n_vocab, N_EMBD), np.float32))
    output = np.zeros((n_vocab, N_EMBD), np.float32)
    output[tokens.index(WORD)] = 1.0
    writer.add_tensor("output.weight", output)
    writer.add_tensor("output_norm.weight", np.ones(N_EMBD, np.float32))
    for i in range(N_LAYER):
        block = f"blk.{i}"
        writer.add_tensor(f"{block}.attn_norm.weight", np.ones(N_EMBD, np.float32))
        for name in ("attn_q", "attn_k", "attn_v"):
            writer.add_tensor(f"{block}.{name}.weight", random(N_EMBD, N_EMBD))
        writer.add_tensor(f"{block}.attn_output.weight", np.zeros((N_EMBD, N_EMBD), np.float32))
        writer.add_tensor(f"{block}.ffn_norm.weight", np.ones(N_EMBD, np.float32))
        writer.add_tensor(f"{block}.ffn_gate.weight", random(N_FF, N_EMBD))
        writer.add_tensor(f"{block}.ffn_up.weight", random(N_FF, N_EMBD))
        writer.add_tensor(f"{block}.ffn_down.weight", np.zeros((N_EMBD, N_FF), np.float32))
    finish(writer)


def write_image_encoder(path):
    writer = gguf.GGUFWriter(path, "clip")
    writer.add_name("photon tiny vlm image encoder")
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_bool("clip.has_text_encoder", False)
    writer.add_bool("clip.has_vision_encoder", True)
    writer.add_bool("clip.has_llava_projector", True)
    writer.add_string("clip.projector_type", "mlp")
    writer.add_bool("clip.use_gelu", True)
    writer.add_uint32("clip.vision.image_size", IMAGE)
    writer.add_uint32("clip.vision.patch_size", PATCH)
    writer.add_uint32("clip.vision.embedding_length", V_EMBD)
    writer.add_uint32("clip.vision.feed_forward_length", V_FF)
    writer.add_uint32("clip.vision.projection_dim", N_EMBD)
    writer.add_uint32("clip.vision.attention.head_count", V_HEAD)
    writer.add_float32("clip.vision.attention.layer_norm_epsilon", 1e-5)
    writer.add_uint32("clip.vision.block_count", V_LAYER)
    writer.add_array("clip.vision.image_mean", [0.48145466, 0.4578275, 0.40821073])
    writer.add_array("clip.vision.image_std", [0.26862954, 0.26130258, 0.27577711])

    patches = (IMAGE // PATCH) ** 2
    writer.add_tensor("v.patch_embd.weight", random(V_EMBD, 3, PATCH, PATCH))
    writer.add_tensor("v.class_embd", random(V_EMBD))
    writer.add_tensor("v.position_embd.weight", random(patches + 1, V_EMBD))
    writer.add_tensor("v.pre_ln.weight", np.ones(V_EMBD, np.float32))
    writer.add_tensor("v.pre_ln.bias", np.zeros(V_EMBD, np.float32))
    for i in range(V_LAYER):
        block = f"v.blk.{i}"
        for name in ("attn_q", "attn_k", "attn_v", "attn_out"):
            writer.add_tensor(f"{block}.{name}.weight", random(V_EMBD, V_EMBD))
            writer.add_tensor(f"{block}.{name}.bias", np.zeros(V_EMBD, np.float32))
        for norm in ("ln1", "ln2"):
            writer.add_tensor(f"{block}.{norm}.weight", np.ones(V_EMBD, np.float32))
            writer.add_tensor(f"{block}.{norm}.bias", np.zeros(V_EMBD, np.float32))
        writer.add_tensor(f"{block}.ffn_up.weight", random(V_FF, V_EMBD))
        writer.add_tensor(f"{block}.ffn_up.bias", np.zeros(V_FF, np.float32))
        writer.add_tensor(f"{block}.ffn_down.weight", random(V_EMBD, V_FF))
        writer.add_tensor(f"{block}.ffn_down.bias", np.zeros(V_EMBD, np.float32))
    writer.add_tensor("v.post_ln.weight", np.ones(V_EMBD, np.float32))
    writer.add_tensor("v.post_ln.bias", np.zeros(V_EMBD, np.float32))
    # LLaVA's projector: linear, GELU, linear, into the language model's width.
    writer.add_tensor("mm.0.weight", random(N_EMBD, V_EMBD))
    writer.add_tensor("mm.0.bias", np.zeros(N_EMBD, np.float32))
    writer.add_tensor("mm.2.weight", random(N_EMBD, N_EMBD))
    writer.add_tensor("mm.2.bias", np.zeros(N_EMBD, np.float32))
    finish(writer)


def finish(writer):
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    write_language_model(os.path.join(out, "lm.gguf"))
    write_image_encoder(os.path.join(out, "mmproj.gguf"))


if __name__ == "__main__":
    main()
