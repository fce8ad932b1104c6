"""Writes a large bf16 safetensors model whose tensors follow MiniLM's
weight distribution (not uniform noise), for scripts/bench-peers --big and
the memory-bound check of the streaming engine.

    python make_big_model.py MINILM.safetensors SIZE_GB OUT.safetensors

Each tensor draws its values from MiniLM's f32 weights at a per-tensor
random stride and offset, with random signs and a per-tensor scale, then
rounds them to bf16 (nearest even); tensors are written chunk by chunk, so
memory stays small whatever the size."""
import json, struct, sys
import numpy as np

def main():
    src, gb, out = sys.argv[1], float(sys.argv[2]), sys.argv[3]
    with open(src, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    pool = []
    for name, e in header.items():
        if name == "__metadata__" or e["dtype"] != "F32":
            continue
        a, b = e["data_offsets"]
        pool.append(np.frombuffer(data[a:b], dtype=np.float32))
    base = np.concatenate(pool)
    rows, cols = 4096, 4096  # 32 MiB of bf16 a tensor
    per = rows * cols
    count = max(1, -int(-gb * 1e9 // (per * 2)))  # at least gb * 1e9 bytes
    hdr, off = {}, 0
    for k in range(count):
        hdr[f"layers.{k}.weight"] = {"dtype": "BF16", "shape": [rows, cols], "data_offsets": [off, off + per * 2]}
        off += per * 2
    hdr["__metadata__"] = {"generator": "tensorpress scripts/make_big_model.py", "source": "all-MiniLM-L6-v2"}
    h = json.dumps(hdr, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    rng = np.random.default_rng(1234)
    with open(out, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for k in range(count):
            stride = int(rng.integers(1, 1 << 20)) * 2 + 1
            start = int(rng.integers(0, len(base)))
            idx = (start + stride * np.arange(per, dtype=np.int64)) % len(base)
            x = base[idx] * np.float32(rng.uniform(0.5, 2.0))
            x = np.where(rng.random(per) < 0.5, -x, x).astype(np.float32)
            u = x.view(np.uint32)
            bf = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
            f.write(bf.tobytes())
            print(f"\r{k + 1}/{count} tensors", end="", file=sys.stderr)
    print(file=sys.stderr)

if __name__ == "__main__":
    main()
