# Shared by scripts/demo and scripts/test (sourced, not run).
# Installs what the build needs from Debian's packages, skipping what is
# already there, and builds a CMake tree incrementally.

TP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TP_JOBS="${TP_JOBS:-$(nproc)}"
# Clones and worktrees of the project at other paths share ccache hits.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$TP_ROOT}"

# Debian packages the build, tests and fuzzers need.
TP_APT_PACKAGES=(
  cmake ninja-build g++ clang pkg-config python3
  libclang-rt-14-dev                       # libFuzzer and sanitizer runtimes for clang
  libzstd-dev liblz4-dev libxxhash-dev zlib1g-dev
  zstd                                     # the peer in scripts/bench-peers and the demo
  xz-utils                                 # the xz -9 peer in scripts/gguf-table, scripts/pytorch-table
  nlohmann-json3-dev libcli11-dev libfmt-dev libhwy-dev
  libprotobuf-dev protobuf-compiler libonnx-dev
  libflatbuffers-dev flatbuffers-compiler
  libgtest-dev libgmock-dev libbenchmark-dev
  libgemmlowp-dev                          # dense int8 GEMM peer in bench/gemm_bench.cc
  ccache                                   # rebuilds and the ASan build reuse objects
)

tp_log() { printf '\033[1m==>\033[0m %s\n' "$*" >&2; }

tp_install_deps() {
  local missing=()
  for p in "${TP_APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return 0
  fi
  tp_log "installing Debian packages: ${missing[*]}"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  if ! $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/tp-apt.log 2>&1; then
    $sudo apt-get update -q >/tmp/tp-apt.log 2>&1 || true
    $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >>/tmp/tp-apt.log 2>&1 || {
      cat /tmp/tp-apt.log >&2
      echo "error: could not install ${missing[*]}" >&2
      return 1
    }
  fi
}

# tp_build DIR [cmake args...]: configure once, then build incrementally.
tp_build() {
  local dir="$1"; shift
  if [ ! -f "$dir/build.ninja" ]; then
    local launcher=()
    if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
    cmake -S "$TP_ROOT" -B "$dir" -G Ninja "${launcher[@]}" "$@" >/dev/null
  fi
  cmake --build "$dir" -j "$TP_JOBS"
}

# --- The Python package's stage (scripts/test, scripts/demo). The C++ build
# needs none of this. PyTorch comes from Debian (python3-torch 1.13, CPU
# only, ~2 min to install) because the PyPI torch wheels drag several GB of
# CUDA libraries; the venv sees it through --system-site-packages.
# libopenblas0-pthread: Debian's torch calls the libblas.so.3 alternative; the
# reference BLAS it falls back to runs MiniLM 15x slower than OpenBLAS.
TP_PYTHON_APT_PACKAGES=(python3-venv python3-dev python3-torch libopenblas0-pthread)
TP_VENV="${TP_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/tensorpress/venv}"

# Creates the venv (once), installs python/requirements-test.txt into it and
# the package from this tree (an incremental CMake build in build/python/).
tp_python_env() {
  (TP_APT_PACKAGES=("${TP_PYTHON_APT_PACKAGES[@]}"); tp_install_deps)
  if [ ! -x "$TP_VENV/bin/python" ]; then
    tp_log "creating $TP_VENV (Debian python3, system site packages for torch)"
    /usr/bin/python3 -m venv --system-site-packages "$TP_VENV"
  fi
  "$TP_VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$TP_ROOT/python/requirements-test.txt"
  local launcher=""
  if command -v ccache >/dev/null; then launcher="-DCMAKE_CXX_COMPILER_LAUNCHER=ccache"; fi
  CMAKE_ARGS="$launcher ${CMAKE_ARGS:-}" CMAKE_BUILD_PARALLEL_LEVEL="$TP_JOBS" \
    "$TP_VENV/bin/python" -m pip install -q --disable-pip-version-check --no-build-isolation "$TP_ROOT"
}
