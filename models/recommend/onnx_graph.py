"""The recommender as one ONNX graph (built with the ``onnx`` package), and its runner.

Inputs: ``history`` float32 (1, n), ``context`` float32 (1, C), ``mask`` bool (1, n) where
True excludes a dish (allergen, dietary rule, sold out, not on this meal period's menu), and
``k`` int64 (1,). Outputs: ``indices`` int64 (1, min(k, n)) and ``scores`` float32, best
first. An excluded dish can never come out: its score is replaced by -inf before TopK, and
after TopK every slot whose dish is masked (or whose score is -inf or NaN) is rewritten to
index -1 (:data:`models.recommend.model.SENTINEL`) with score -inf. So k larger than the
number of allowed dishes gives the allowed ones, then sentinels.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from models.recommend.model import SENTINEL, RecommendModel

OPSET = 17
INPUTS = ("history", "context", "mask", "k")
OUTPUTS = ("indices", "scores")


def build_graph(model: RecommendModel, *, version: int = 0) -> onnx.ModelProto:
    """The scoring, masking and top-k of ``model`` as an ONNX model."""
    n, c = model.n, model.context_table.shape[0]
    inits = [
        numpy_helper.from_array(model.ease.astype(np.float32), "ease"),
        numpy_helper.from_array(model.context_table.astype(np.float32), "context_table"),
        numpy_helper.from_array(np.array(model.w_freq, np.float32), "w_freq"),
        numpy_helper.from_array(np.array(1.0, np.float32), "one"),
        numpy_helper.from_array(np.array(-np.inf, np.float32), "neg_inf"),
        numpy_helper.from_array(np.array([n], np.int64), "n_dishes"),
        numpy_helper.from_array(np.array([0], np.int64), "zero_k"),
        numpy_helper.from_array(np.array(SENTINEL, np.int64), "sentinel"),
        numpy_helper.from_array(np.array([1], np.int64), "axis1"),
    ]
    node = helper.make_node
    nodes = [
        node("ReduceSum", ["history", "axis1"], ["h_sum"], keepdims=1),
        node("Add", ["h_sum", "one"], ["h_den"]),
        node("Div", ["history", "h_den"], ["h_norm"]),
        node("Add", ["history", "one"], ["h_plus"]),
        node("Log", ["h_plus"], ["h_log"]),
        node("Mul", ["h_log", "w_freq"], ["s_freq"]),
        node("MatMul", ["h_norm", "ease"], ["s_ease"]),
        node("MatMul", ["context", "context_table"], ["s_ctx"]),
        node("Add", ["s_freq", "s_ease"], ["s_1"]),
        node("Add", ["s_1", "s_ctx"], ["raw"]),
        # -inf added by Where, never by multiplying (-inf * 0 is NaN)
        node("Where", ["mask", "neg_inf", "raw"], ["masked"]),
        node("Min", ["k", "n_dishes"], ["k_cap"]),
        node("Max", ["k_cap", "zero_k"], ["k_eff"]),
        node("TopK", ["masked", "k_eff"], ["top_val", "top_idx"], axis=-1, largest=1, sorted=1),
        node("GatherElements", ["mask", "top_idx"], ["top_masked"], axis=1),
        node("Not", ["top_masked"], ["top_allowed"]),
        node("Greater", ["top_val", "neg_inf"], ["finite"]),  # False for -inf and NaN
        node("And", ["top_allowed", "finite"], ["valid"]),
        node("Where", ["valid", "top_idx", "sentinel"], ["indices"]),
        node("Where", ["valid", "top_val", "neg_inf"], ["scores"]),
    ]
    graph = helper.make_graph(
        nodes, "canteen_recommend",
        [helper.make_tensor_value_info("history", TensorProto.FLOAT, [1, n]),
         helper.make_tensor_value_info("context", TensorProto.FLOAT, [1, c]),
         helper.make_tensor_value_info("mask", TensorProto.BOOL, [1, n]),
         helper.make_tensor_value_info("k", TensorProto.INT64, [1])],
        [helper.make_tensor_value_info("indices", TensorProto.INT64, [1, None]),
         helper.make_tensor_value_info("scores", TensorProto.FLOAT, [1, None])],
        initializer=inits,
    )
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="canteen-edge")
    proto.ir_version = 8  # onnxruntime >= 1.15 reads IR 8 (opset 17)
    helper.set_model_props(proto, {
        "catalog_version": str(model.catalog_version), "version": str(version),
        "n_dishes": str(n), "context_size": str(c),
        "half_life_days": repr(model.half_life_days),
        "other_period_weight": repr(model.other_period_weight),
    })
    onnx.checker.check_model(proto)
    return proto


def to_bytes(model: RecommendModel, *, version: int = 0) -> bytes:
    """The serialised ONNX file."""
    return build_graph(model, version=version).SerializeToString()


@dataclass
class OnnxRecommender:
    """An onnxruntime session over a recommender graph (one thread: the kiosk's is small)."""

    session: object
    n: int
    context_size: int

    @classmethod
    def load(cls, data: bytes | Path) -> OnnxRecommender:
        """Load from bytes or a file; errors from onnxruntime are raised as they come."""
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        raw = data.read_bytes() if isinstance(data, Path) else data
        sess = ort.InferenceSession(raw, sess_options=opts, providers=["CPUExecutionProvider"])
        shape = {i.name: i.shape for i in sess.get_inputs()}
        if set(shape) != set(INPUTS):
            raise ValueError(f"not a recommender graph: inputs {sorted(shape)}")
        return cls(sess, int(shape["history"][1]), int(shape["context"][1]))

    def top_k(self, history: np.ndarray, context: np.ndarray, mask: np.ndarray,
              k: int) -> tuple[np.ndarray, np.ndarray]:
        """(indices, scores) of one member, sentinels included."""
        idx, val = self.session.run(  # type: ignore[attr-defined]
            list(OUTPUTS),
            {"history": history.astype(np.float32, copy=False),
             "context": context.astype(np.float32, copy=False),
             "mask": mask.astype(bool, copy=False),
             "k": np.array([k], np.int64)})
        return idx, val
