"""python -m tensorpress capture ...   (the Python-only verbs: capture, evaluate)
python -m tensorpress VERB ...      (anything else runs the bundled tensorpress CLI)
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from typing import List, Optional

from ._core import TensorpressError

EXIT_FOR = {  # the CLI's exit statuses (README): 1 bad request, 2 bad input
    "InvalidArgumentError": 1, "AlreadyExistsError": 1,
    "CorruptDataError": 2, "UnsupportedError": 2, "NotFoundError": 2, "IoError": 2,
}


def _capture(argv: List[str]) -> int:
    p = argparse.ArgumentParser(
        prog="python -m tensorpress capture",
        description="Run a model and write every GEMM layer's input as <layer>.input to a safetensors file "
                    "that `tensorpress slices/simulate --activations` read.")
    p.add_argument("model", help="Hugging Face BERT folder (config.json, tokenizer.json, model.safetensors), "
                                 "an .onnx or a .tflite file")
    p.add_argument("-o", "--output", required=True, help="activations .safetensors to write")
    p.add_argument("--text", help="text file whose sentences are the input (default: the shared Moby-Dick)")
    p.add_argument("--sentences", type=int, default=256, help="sentences spread over the text (default 256)")
    p.add_argument("--max-tokens", type=int,
                   help="rows kept per dense layer input, spread evenly over the sentences (default: all)")
    p.add_argument("--max-samples", type=int, default=64,
                   help="ONNX / TFLite image models: MNIST digits fed, one per run (default 64)")
    p.add_argument("--tokenizer", help="ONNX text models: folder holding tokenizer.json")
    p.add_argument("--weights-output", help="ONNX: also write every GEMM weight as <layer>.weight (dense [out, in]) "
                                            "so slices/simulate pair layers from the graph, whatever their names")
    p.add_argument("--force", action="store_true", help="overwrite the output file")
    args = p.parse_args(argv)

    from . import capture

    if args.model.endswith(".onnx"):
        shapes = capture.capture_onnx(args.model, _onnx_feeds(args), args.output, max_tokens=args.max_tokens,
                                      max_samples=args.max_samples, weights_output=args.weights_output,
                                      overwrite=args.force)
    elif args.model.endswith(".tflite"):
        shapes = capture.capture_tflite(args.model, None, args.output, max_tokens=args.max_tokens,
                                        max_samples=args.max_samples, overwrite=args.force)
    elif os.path.isdir(args.model):
        shapes = capture.capture_hf_folder(args.model, args.output, text=args.text, sentences=args.sentences,
                                           max_tokens=args.max_tokens, overwrite=args.force)
    else:
        raise TensorpressError(f"{args.model}: expected a Hugging Face folder, an .onnx or a .tflite file")
    rows = {s[0] for s in shapes.values()}
    print(f"{args.output}: {len(shapes)} layer inputs, {'/'.join(map(str, sorted(rows)))} rows each")
    return 0


def _onnx_feeds(args: argparse.Namespace):
    """Feeds for an ONNX model: token ids of sentences for an input named
    like input_ids (with attention_mask / token_type_ids when asked for),
    else MNIST digits scaled to [0, 1] in the input's 4-D layout."""
    import numpy as np
    import onnxruntime as ort

    from . import datasets

    inputs = ort.InferenceSession(args.model, providers=["CPUExecutionProvider"]).get_inputs()
    names = [i.name for i in inputs]
    if any("input_ids" in n for n in names):
        if not args.tokenizer:
            raise TensorpressError("a text ONNX model needs --tokenizer FOLDER (with tokenizer.json)")
        from .bert import Tokenizer

        tok = Tokenizer(args.tokenizer)
        for text in datasets.sentences(args.text, count=args.sentences):
            ids = np.array([tok.ids(text)], dtype=np.int64)
            feed = {}
            for i in inputs:
                if "input_ids" in i.name:
                    feed[i.name] = ids
                elif "mask" in i.name:
                    feed[i.name] = np.ones_like(ids)
                else:
                    feed[i.name] = np.zeros_like(ids)
            yield feed
        return
    if len(inputs) != 1:
        raise TensorpressError(f"{args.model}: inputs {names}: give text inputs a name containing input_ids")
    images, _ = datasets.mnist(args.max_samples)
    shape = [d if isinstance(d, int) else -1 for d in inputs[0].shape]
    for img in images.astype(np.float32) / 255.0:
        if len(shape) == 4 and shape[1] == 1:
            x = img[None, None]
        elif len(shape) == 4:
            x = img[None, :, :, None]
        elif len(shape) == 2:
            x = img.reshape(1, -1)
        else:
            raise TensorpressError(f"{args.model}: input shape {inputs[0].shape} is not an MNIST digit's")
        yield {inputs[0].name: x}


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        print("\nPython verbs: capture, evaluate (python -m tensorpress VERB --help)")
        return 0 if argv else 1
    if argv[0] == "capture":
        try:
            return _capture(argv[1:])
        except TensorpressError as e:
            print(f"tensorpress: error: {e}", file=sys.stderr)
            return EXIT_FOR.get(type(e).__name__, 3)
    if argv[0] == "evaluate":
        from .evaluate import main as evaluate_main

        try:
            return evaluate_main(argv[1:])
        except TensorpressError as e:
            print(f"tensorpress: error: {e}", file=sys.stderr)
            return EXIT_FOR.get(type(e).__name__, 3)
    from ._cli import cli_path

    return subprocess.call([cli_path()] + argv)


if __name__ == "__main__":
    sys.exit(main())
