#!/usr/bin/env python3
"""Generate small face models with the exact signatures of insightface's SCRFD and ArcFace
exports, random weights, for the face tests (Photon ships no face weights: insightface's packs
are licensed for non-commercial research only).

det_10g.onnx: input `input.1` [1, 3, H, W] (H, W dynamic, multiples of 32); nine outputs named as
buffalo_l's det_10g (`448` `471` `494` scores [cells x 2, 1]; `451` `474` `497` box distances
[cells x 2, 4]; `454` `477` `500` landmark distances [cells x 2, 10]) for strides 8, 16 and 32,
two anchors per cell, rows in (row, column, anchor) order, as SCRFD's export lays them out.
Scores are sigmoids, distances non-negative (boxes) or signed (landmarks), in units of the stride.

w600k_r50.onnx: input `input.1` [N, 3, 112, 112], output `683` [N, 512] (not normalised), as
buffalo_l's recognition model.

With --full, graphs of the real models' size and cost for the speed figures, same signatures:
det_10g.onnx a plain convolutional backbone of about 10 G multiply-adds at 640x640 (SCRFD-10G's
budget; the real one is a ResNet with a feature pyramid), w600k_r50.onnx an IResNet-50 (the
real one's four stages of 3, 4, 14 and 3 residual blocks, 64 to 512 channels, and its 25088 x
512 fully-connected layer: about 6.3 G multiply-adds a face, 44 M weights). The detector's score
bias is set, by running it once on each PHOTO with ONNX Runtime, so that the photos have on
average twice --faces anchors scoring above 0.7 (about --faces faces once overlapping anchors
are merged): random weights find "faces" anywhere, and this keeps their number what a photo of
a few people gives.

Usage: make_face_models.py OUT_DIR      (needs numpy, onnx; writes OUT_DIR/det_10g.onnx and
                                         OUT_DIR/w600k_r50.onnx, insightface's pack layout)
       make_face_models.py --full OUT_DIR PHOTO... [--faces N]   (also needs onnxruntime, Pillow)
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.RandomState(20261206)


class Graph:
    def __init__(self):
        self.nodes, self.inits, self.count = [], [], 0

    def name(self, base):
        self.count += 1
        return f"{base}_{self.count}"

    def const(self, base, array):
        n = self.name(base)
        self.inits.append(numpy_helper.from_array(np.asarray(array, dtype=np.float32), n))
        return n

    def op(self, kind, inputs, out=None, **attrs):
        out = out or self.name(kind.lower())
        self.nodes.append(helper.make_node(kind, inputs, [out], **attrs))
        return out

    def conv(self, x, cin, cout, kernel, stride, scale, bias=0.0):
        w = self.const("w", rng.randn(cout, cin, kernel, kernel) * scale)
        b = self.const("b", bias + 0.1 * rng.randn(cout))
        pad = kernel // 2
        return self.op("Conv", [x, w, b], kernel_shape=[kernel, kernel], strides=[stride, stride], pads=[pad] * 4)

    def rows(self, x, width, out):
        """[1, A*width, H, W] -> [H*W*A, width], rows in (row, column, anchor) order."""
        t = self.op("Transpose", [x], perm=[0, 2, 3, 1])
        shape = self.name("shape")
        self.inits.append(numpy_helper.from_array(np.array([-1, width], dtype=np.int64), shape))
        return self.op("Reshape", [t, shape], out=out)


def scrfd_model(g, names, title):
    """The graph `g` as a model with SCRFD's input and its nine outputs named `names`."""
    widths = {"scores": 1, "boxes": 4, "marks": 10}
    outputs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, [f"rows_{n}", widths[k]])
               for k in ("scores", "boxes", "marks") for n in names[k]]
    graph = helper.make_graph(
        g.nodes, title,
        [helper.make_tensor_value_info("input.1", TensorProto.FLOAT, [1, 3, "height", "width"])],
        outputs, g.inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)], ir_version=7)


def scrfd():
    g = Graph()
    x, channels = "input.1", 3
    features = []
    for level in range(5):  # strides 2, 4, 8, 16, 32
        x = g.op("Relu", [g.conv(x, channels, 8, 3, 2, 0.35)])
        channels = 8
        if level >= 2:
            features.append(x)
    names = {"scores": ["448", "471", "494"], "boxes": ["451", "474", "497"], "marks": ["454", "477", "500"]}
    outputs = {key: [] for key in names}
    for i, f in enumerate(features):
        score = g.op("Sigmoid", [g.conv(f, 8, 2, 1, 1, 0.15, bias=-1.0)])
        outputs["scores"].append(g.rows(score, 1, names["scores"][i]))
        boxes = g.op("Add", [g.op("Abs", [g.conv(f, 8, 8, 1, 1, 0.4)]), g.const("min", 0.8)])
        outputs["boxes"].append(g.rows(boxes, 4, names["boxes"][i]))
        marks = g.conv(f, 8, 20, 1, 1, 0.4)
        outputs["marks"].append(g.rows(marks, 10, names["marks"][i]))
    return scrfd_model(g, names, "scrfd_shaped")


def arcface():
    g = Graph()
    x = g.op("Relu", [g.conv("input.1", 3, 8, 3, 2, 0.3)])  # 56
    x = g.op("Relu", [g.conv(x, 8, 8, 3, 2, 0.3)])  # 28
    x = g.op("Relu", [g.conv(x, 8, 4, 3, 4, 0.3)])  # 7
    flat = g.op("Flatten", [x], axis=1)
    w = g.const("fc", rng.randn(4 * 7 * 7, 512) * 0.1)
    b = g.const("fcb", 0.01 * rng.randn(512))
    g.op("Gemm", [flat, w, b], out="683")
    graph = helper.make_graph(
        g.nodes, "arcface_shaped",
        [helper.make_tensor_value_info("input.1", TensorProto.FLOAT, ["None", 3, 112, 112])],
        [helper.make_tensor_value_info("683", TensorProto.FLOAT, ["None", 512])], g.inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)], ir_version=7)


def he(g, x, cin, cout, kernel, stride):
    """A convolution scaled as He's initialisation, so activations keep their size layer after
    layer, and a ReLU."""
    return g.op("Relu", [g.conv(x, cin, cout, kernel, stride, np.sqrt(2.0 / (cin * kernel * kernel)))])


# (channels, convolutions) after each stride-2 step of the full detector: 320, 160, 80, 40, 20.
FULL_DETECTOR = [(32, 1), (64, 2), (128, 3), (256, 3), (256, 1)]


def scrfd_full(score_bias, raw_scores=False):
    g = Graph()
    x, channels, features = "input.1", 3, []
    for level, (width, repeats) in enumerate(FULL_DETECTOR):
        x = he(g, x, channels, width, 3, 2)
        for _ in range(repeats - 1):
            x = he(g, x, width, width, 3, 1)
        channels = width
        if level >= 2:
            features.append((x, width))
    names = {"scores": ["448", "471", "494"], "boxes": ["451", "474", "497"], "marks": ["454", "477", "500"]}
    for i, (f, width) in enumerate(features):
        head = he(g, f, width, 64, 3, 1)
        logits = g.conv(head, 64, 2, 1, 1, np.sqrt(1.0 / 64), bias=score_bias)
        score = logits if raw_scores else g.op("Sigmoid", [logits])
        g.rows(score, 1, names["scores"][i])
        boxes = g.op("Add", [g.op("Abs", [g.conv(head, 64, 8, 1, 1, 0.1)]), g.const("min", 0.8)])
        g.rows(boxes, 4, names["boxes"][i])
        g.rows(g.conv(head, 64, 20, 1, 1, 0.1), 10, names["marks"][i])
    return scrfd_model(g, names, "scrfd_10g_shaped")


def arcface_full():
    g = Graph()
    x = g.op("Relu", [g.conv("input.1", 3, 64, 3, 1, np.sqrt(2.0 / 27))])  # 112
    channels = 64
    for width, blocks in ((64, 3), (128, 4), (256, 14), (512, 3)):
        for block in range(blocks):
            stride = 2 if block == 0 else 1
            y = he(g, x, channels, width, 3, 1)
            y = g.conv(y, width, width, 3, stride, 0.3 * np.sqrt(1.0 / (width * 9)))
            shortcut = x if block else g.conv(x, channels, width, 1, stride, np.sqrt(1.0 / channels))
            x, channels = g.op("Add", [y, shortcut]), width
    flat = g.op("Flatten", [x], axis=1)
    w = g.const("fc", rng.randn(512 * 7 * 7, 512) * np.sqrt(1.0 / (512 * 49)))
    g.op("Gemm", [flat, w, g.const("fcb", np.zeros(512))], out="683")
    graph = helper.make_graph(
        g.nodes, "arcface_r50_shaped",
        [helper.make_tensor_value_info("input.1", TensorProto.FLOAT, ["None", 3, 112, 112])],
        [helper.make_tensor_value_info("683", TensorProto.FLOAT, ["None", 512])], g.inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)], ir_version=7)


def letterboxed(photo):
    from PIL import Image

    image = Image.open(photo).convert("RGB")
    scale = 640 / max(image.size)
    image = image.resize((round(image.width * scale), round(image.height * scale)))
    tensor = np.zeros((1, 3, 640, 640), np.float32)
    pixels = (np.asarray(image, np.float32) - 127.5) / 128.0
    tensor[0, :, : image.height, : image.width] = pixels.transpose(2, 0, 1)
    return tensor


def calibrated_score_bias(photos, faces):
    """The bias that puts on average 2 * `faces` anchors of each photo (letterboxed to 640)
    above 0.7."""
    import onnxruntime

    global rng
    state = rng.get_state()
    session = onnxruntime.InferenceSession(scrfd_full(0.0, raw_scores=True).SerializeToString())
    rng.set_state(state)  # the final graph gets the same weights
    logits = np.concatenate([
        o.ravel()
        for photo in photos
        for o in session.run(["448", "471", "494"], {"input.1": letterboxed(photo)})
    ])
    kth = np.sort(logits)[-2 * faces * len(photos)]
    return float(np.log(0.7 / 0.3) - kth + 1e-3)


def main():
    args = sys.argv[1:]
    full = "--full" in args
    faces = 4
    if "--faces" in args:
        faces = int(args[args.index("--faces") + 1])
        del args[args.index("--faces"): args.index("--faces") + 2]
    args = [a for a in args if a != "--full"]
    out = args[0]
    os.makedirs(out, exist_ok=True)
    if full:
        models = ((scrfd_full(calibrated_score_bias(args[1:], faces)), "det_10g.onnx"),
                  (arcface_full(), "w600k_r50.onnx"))
    else:
        models = ((scrfd(), "det_10g.onnx"), (arcface(), "w600k_r50.onnx"))
    for model, file in models:
        onnx.checker.check_model(model)
        onnx.save(model, os.path.join(out, file))


if __name__ == "__main__":
    main()
