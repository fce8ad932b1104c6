"""Driver of scripts/bench-peers: builds the input files, runs every tool on
every file in interleaved rounds and writes the markdown table."""
import argparse, hashlib, json, os, shutil, statistics, struct, subprocess, sys, threading, time

def rss_anon_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0

def run(cmd, stdin=None, stdout=None):
    """Runs cmd, returns (seconds, peak RssAnon MiB). A command that prints
    "seconds=S" (the ZipNN driver) is timed by what it prints."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = 0
    while p.poll() is None:
        peak = max(peak, rss_anon_kib(p.pid))
        time.sleep(0.005)
    secs = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr.read().decode()}")
    for line in p.stdout.read().decode().splitlines():
        if line.startswith("seconds="):
            secs = float(line.split("=")[1])
    return secs, peak / 1024

ZIPNN_DRIVER = r'''
import sys, time, resource
from zipnn import ZipNN
mode, dtype, threads, src, dst = sys.argv[1:6]
data = open(src, "rb").read()
z = ZipNN(input_format="byte", bytearray_dtype=dtype, threads=int(threads))
buf = bytearray(data) if mode == "c" else data  # zipnn changes its input buffer: a copy
t0 = time.perf_counter()
out = z.compress(buf) if mode == "c" else z.decompress(buf)
t1 = time.perf_counter()
open(dst, "wb").write(out)
# Only the call is timed (no interpreter start, import or file I/O): ZipNN's
# best case, while the other tools are timed file to file.
print(f"seconds={t1 - t0}")
'''

def sha(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tensorpress", required=True)
    ap.add_argument("--minilm", required=True)
    ap.add_argument("--shared", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--big", type=float, default=0, help="also a generated bf16 model of this many GB")
    ap.add_argument("--out", default="docs/engine-bench.md")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    tp = a.tensorpress
    files = []  # (label, path, zipnn dtype)
    f32 = os.path.join(a.work, "minilm-f32.safetensors")
    if not os.path.exists(f32):
        shutil.copy(a.minilm, f32)
    files.append(("MiniLM f32", f32, "float32"))
    for cast in ("bf16", "f16"):
        path = os.path.join(a.work, f"minilm-{cast}.safetensors")
        if not os.path.exists(path):
            tmp = os.path.join(a.work, f"cast-{cast}.tpz")
            subprocess.run([tp, "compress", "-q", "-f", a.minilm, "--cast", cast, "-o", tmp], check=True)
            subprocess.run([tp, "decompress", "-q", "-f", tmp, "-o", path], check=True)
            os.remove(tmp)
        files.append((f"MiniLM {cast}", path, "bfloat16" if cast == "bf16" else "float16"))
    # Captured activations: ReLU outputs, 78-81% zeros (the sparse layout).
    files.append(("MNIST CNN activations f32", os.path.join(a.shared, "data/models/mnist-cnn/activations_first64.safetensors"), "float32"))
    files.append(("ResNet-8 int8 TFLite", os.path.join(a.shared, "data/models/mlperf-tiny/resnet8_cifar10_int8.tflite"), "float32"))
    # A real GGUF (scripts/fetch-gguf keeps it in the cache) when present.
    gguf = os.path.join(os.path.dirname(a.work), "gguf", "SmolLM2-135M-Instruct.Q4_1.gguf")
    if os.path.exists(gguf):
        files.append(("SmolLM2-135M Q4_1 GGUF", gguf, "float32"))
    if a.big > 0:
        big = os.path.join(a.work, f"generated-bf16-{a.big:g}GB.safetensors")
        if not os.path.exists(big):
            subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), "make_big_model.py"),
                            a.minilm, str(a.big), big], check=True)
        files.append((f"generated bf16 {a.big:g} GB", big, "bfloat16"))
    have_zipnn = subprocess.run([sys.executable, "-c", "import zipnn"], capture_output=True).returncode == 0
    drv = os.path.join(a.work, "zipnn_driver.py")
    open(drv, "w").write(ZIPNN_DRIVER)
    ncores = os.cpu_count()
    tools = {
        "tensorpress -T1": (lambda s, d: [tp, "compress", "-q", "-f", "-T1", s, "-o", d],
                            lambda s, d: [tp, "decompress", "-q", "-f", "-T1", s, "-o", d], ".tpz"),
        f"tensorpress -T0": (lambda s, d: [tp, "compress", "-q", "-f", s, "-o", d],
                             lambda s, d: [tp, "decompress", "-q", "-f", s, "-o", d], ".tpz"),
        "zstd -3 -T1": (lambda s, d: ["zstd", "-q", "-f", "-3", "-T1", s, "-o", d],
                        lambda s, d: ["zstd", "-q", "-f", "-d", s, "-o", d], ".zst"),
        "zstd -3 -T0": (lambda s, d: ["zstd", "-q", "-f", "-3", "-T0", s, "-o", d],
                        lambda s, d: ["zstd", "-q", "-f", "-d", s, "-o", d], ".zst"),
        "zstd -19 -T0": (lambda s, d: ["zstd", "-q", "-f", "-19", "-T0", s, "-o", d],
                         lambda s, d: ["zstd", "-q", "-f", "-d", s, "-o", d], ".zst"),
    }
    if have_zipnn:
        for th in (1, ncores):
            tools[f"ZipNN threads={th}"] = (
                lambda s, d, th=th, dt=None: None, None, ".znn")
    rows = []
    for label, path, zdtype in files:
        size = os.path.getsize(path)
        want = sha(path)
        res = {}
        for r in range(a.rounds):
            for name, spec in tools.items():
                if name.startswith("zstd -19") and size > 200e6:
                    continue  # hours on two cores
                out = os.path.join(a.work, "out" + spec[2])
                back = os.path.join(a.work, "back.bin")
                if name.startswith("ZipNN"):
                    th = name.split("=")[1]
                    c = [sys.executable, drv, "c", zdtype, th, path, out]
                    d = [sys.executable, drv, "d", zdtype, th, out, back]
                else:
                    c, d = spec[0](path, out), spec[1](out, back)
                ct, cm = run(c)
                dt, dm = run(d)
                if sha(back) != want:
                    sys.exit(f"{name} did not restore {label} byte for byte")
                e = res.setdefault(name, {"c": [], "d": [], "cm": [], "dm": []})
                e["c"].append(ct); e["d"].append(dt); e["cm"].append(cm); e["dm"].append(dm)
                e["size"] = os.path.getsize(out)
        for name, e in res.items():
            rows.append((label, size, name, size / e["size"], size / 1e6 / statistics.median(e["c"]),
                         size / 1e6 / statistics.median(e["d"]), max(e["cm"]), max(e["dm"]),
                         (max(e["c"]) - min(e["c"])) / statistics.median(e["c"])))
        print(f"{label}: done", file=sys.stderr)
    lines = ["| file | bytes | tool | ratio | compress MB/s | decompress MB/s | peak anon MiB (c / d) | spread |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r[0]} | {r[1]:,} | {r[2]} | {r[3]:.4f} | {r[4]:.0f} | {r[5]:.0f} | {r[6]:.0f} / {r[7]:.0f} | {100*r[8]:.0f}% |")
    table = "\n".join(lines)
    print(table)
    if a.out:
        with open(a.out, "w") as f:
            f.write("# Whole-file compression against peers\n\n"
                    f"Generated by `scripts/bench-peers --rounds {a.rounds}` on a {ncores}-core machine: every tool "
                    "compresses the file and decompresses it again, file to file, in interleaved rounds; the table "
                    "gives the median speed (input bytes per second), the spread of the compress times "
                    "((max - min) / median) and the peak anonymous memory (RssAnon) of the process. Every "
                    "decompressed file is checked to have the original SHA-256. ZipNN (a Python package) is timed "
                    "around its compress/decompress call only, without interpreter start, import or file I/O: its best case; its memory figure includes the interpreter and torch.\n\n" + table + "\n")

if __name__ == "__main__":
    main()
