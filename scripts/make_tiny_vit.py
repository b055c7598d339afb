#!/usr/bin/env python3
"""Generate the tiny SigLIP-shaped vision transformer the backend tests use, in the Hugging Face
ONNX layout, with Python onnxruntime's outputs as the reference.

patch conv -> + position embedding -> 2 pre-norm encoder layers (multi-head attention, erf GELU
MLP, LayerNorm written out as primitives the way opset-14 exports do) -> post LayerNorm ->
attention-pooling head with a learned probe (SigLIP's MAP head) -> `pooler_output`.
Input `pixel_values` [N,3,32,32], output `pooler_output` [N,32], dynamic batch.

Usage: make_tiny_vit.py OUT_DIR          (needs numpy, onnx, onnxruntime)
       make_tiny_vit.py --base OUT_DIR   the same graph at SigLIP base patch16-224's size (224 px,
                                         16 px patches, 768 wide, 12 layers of 12 heads, MLP
                                         3072: 86M parameters, ~345 MB) for the throughput bench;
                                         random weights, no reference outputs (needs numpy, onnx)
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

BASE = "--base" in sys.argv[1:]
IMAGE, PATCH, HIDDEN, HEADS, LAYERS, MLP = (224, 16, 768, 12, 12, 3072) if BASE else (32, 8, 32, 2, 2, 64)
TOKENS = (IMAGE // PATCH) ** 2
HEAD_DIM = HIDDEN // HEADS
rng = np.random.RandomState(20261126)
nodes, inits = [], []
counter = [0]


def name(base):
    counter[0] += 1
    return f"{base}_{counter[0]}"


def const(base, array, dtype=np.float32):
    n = name(base)
    inits.append(numpy_helper.from_array(np.asarray(array, dtype=dtype), n))
    return n


def op(kind, inputs, **attrs):
    out = name(kind.lower())
    nodes.append(helper.make_node(kind, inputs, [out], **attrs))
    return out


def weight(*shape, scale=0.2):
    return const("w", rng.randn(*shape) * scale)


def layer_norm(x):
    mean = op("ReduceMean", [x], axes=[-1])
    centred = op("Sub", [x, mean])
    var = op("ReduceMean", [op("Pow", [centred, const("two", 2.0)])], axes=[-1])
    normed = op("Div", [centred, op("Sqrt", [op("Add", [var, const("eps", 1e-6)])])])
    return op("Add", [op("Mul", [normed, const("gamma", 1 + 0.1 * rng.randn(HIDDEN))]), const("beta", 0.1 * rng.randn(HIDDEN))])


def linear(x, fan_in, fan_out):
    return op("Add", [op("MatMul", [x, weight(fan_in, fan_out, scale=fan_in ** -0.5)]), const("bias", 0.05 * rng.randn(fan_out))])


def gelu(x):
    erf = op("Erf", [op("Div", [x, const("sqrt2", np.sqrt(2.0))])])
    return op("Mul", [op("Mul", [x, op("Add", [erf, const("one", 1.0)])]), const("half", 0.5)])


def split_heads(x):
    # [N, T, HIDDEN] -> [N, HEADS, T, HEAD_DIM]
    shaped = op("Reshape", [x, const("shape", [0, -1, HEADS, HEAD_DIM], np.int64)])
    return op("Transpose", [shaped], perm=[0, 2, 1, 3])


def attention(q_in, kv_in):
    q, k, v = (split_heads(linear(t, HIDDEN, HIDDEN)) for t in (q_in, kv_in, kv_in))
    scores = op("Div", [op("MatMul", [q, op("Transpose", [k], perm=[0, 1, 3, 2])]), const("scale", np.sqrt(HEAD_DIM))])
    context = op("MatMul", [op("Softmax", [scores], axis=-1), v])
    merged = op("Reshape", [op("Transpose", [context], perm=[0, 2, 1, 3]), const("shape", [0, -1, HIDDEN], np.int64)])
    return linear(merged, HIDDEN, HIDDEN)


def build():
    patches = op("Conv", ["pixel_values", weight(HIDDEN, 3, PATCH, PATCH, scale=0.1), const("b", 0.01 * rng.randn(HIDDEN))],
                 kernel_shape=[PATCH, PATCH], strides=[PATCH, PATCH])
    flat = op("Reshape", [patches, const("shape", [0, HIDDEN, -1], np.int64)])
    x = op("Add", [op("Transpose", [flat], perm=[0, 2, 1]), weight(1, TOKENS, HIDDEN, scale=0.1)])
    for _ in range(LAYERS):
        x = op("Add", [x, attention(layer_norm(x), layer_norm(x))])
        x = op("Add", [x, linear(gelu(linear(layer_norm(x), HIDDEN, MLP)), MLP, HIDDEN)])
    x = layer_norm(x)
    # MAP head: a learned probe attends over the tokens, then an MLP with a residual.
    batch_probe = op("Expand", [weight(1, 1, HIDDEN, scale=0.5),
                                op("Concat", [op("Slice", [op("Shape", [x]), const("s", [0], np.int64), const("e", [1], np.int64)]),
                                              const("rest", [1, HIDDEN], np.int64)], axis=0)])
    pooled = attention(batch_probe, x)
    pooled = op("Add", [pooled, linear(gelu(linear(layer_norm(pooled), HIDDEN, MLP)), MLP, HIDDEN)])
    out = op("Reshape", [pooled, const("shape", [-1, HIDDEN], np.int64)])
    nodes.append(helper.make_node("Identity", [out], ["pooler_output"]))
    graph = helper.make_graph(
        nodes, "tiny-siglip-vision",
        [helper.make_tensor_value_info("pixel_values", TensorProto.FLOAT, ["batch_size", 3, IMAGE, IMAGE])],
        [helper.make_tensor_value_info("pooler_output", TensorProto.FLOAT, ["batch_size", HIDDEN])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)], producer_name="photon")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def test_input(n):
    """Deterministic input the Rust tests rebuild: sin(0.1(n+1)(c+1) + 0.05h - 0.03w)."""
    idx = np.indices((n, 3, IMAGE, IMAGE)).astype(np.float64)
    return np.sin(0.1 * (idx[0] + 1) * (idx[1] + 1) + 0.05 * idx[2] - 0.03 * idx[3]).astype(np.float32)


def main():
    out = [a for a in sys.argv[1:] if a != "--base"][0]
    os.makedirs(os.path.join(out, "onnx"), exist_ok=True)
    path = os.path.join(out, "onnx", "vision_model.onnx")
    onnx.save(build(), path)
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump({"model_type": "siglip", "vision_config": {"hidden_size": HIDDEN, "image_size": IMAGE, "patch_size": PATCH,
                                                               "num_hidden_layers": LAYERS, "num_attention_heads": HEADS}}, f, indent=2)
    with open(os.path.join(out, "preprocessor_config.json"), "w") as f:
        json.dump({"do_resize": True, "size": {"height": IMAGE, "width": IMAGE}, "resample": 2, "do_rescale": True,
                   "rescale_factor": 1 / 255, "do_normalize": True, "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5]}, f, indent=2)
    if BASE:
        params = sum(int(np.prod(t.dims)) for t in onnx.load(path, load_external_data=False).graph.initializer)
        print(f"wrote {out}: {os.path.getsize(path)} bytes, {params} parameters")
        return
    import onnxruntime as ort
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    x = test_input(3)
    (pooled,) = session.run(None, {"pixel_values": x})
    with open(os.path.join(out, "reference.json"), "w") as f:
        json.dump({"input": "sin(0.1*(n+1)*(c+1) + 0.05*h - 0.03*w), shape [3,3,32,32]",
                   "onnxruntime": ort.__version__, "pooler_output": pooled.tolist()}, f)
    print(f"wrote {out}: {os.path.getsize(path)} bytes, pooler_output {pooled.shape}")


if __name__ == "__main__":
    main()
