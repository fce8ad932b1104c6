# Sourced by scripts/gguf-table and scripts/pytorch-table.
#
# peer_size zstd|xz FILE: the size of FILE coded by `zstd -19 -T1` or
# `xz -9 -T1`, and peer_seconds zstd|xz FILE: the wall-clock seconds that
# took. Both are deterministic in size, and xz -9 takes minutes on a few
# hundred MB, so "size seconds" is cached under the user cache by file name,
# size and SHA-256 (the seconds are those of the run that filled the
# cache). With TP_SKIP_XZ=1, an xz size not in the cache is not measured and
# printed as "-" (for a quick run on a busy machine). Both run under
# nice: the machine is a shared 2-core box, so their seconds are an upper
# bound on what a quiet core takes.
peer_key() {
  local dir="${TENSORPRESS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tensorpress}/peer-sizes"
  mkdir -p "$dir/hash"
  # By content, not modification time: the test-written files are written
  # anew, byte for byte the same, on every run. The hash of a file is kept
  # by name, size and modification time (one sha256sum per file, not one
  # per call; these functions run in command substitutions).
  local memo="$dir/hash/$(basename "$2").$(stat -c %s.%Y "$2")" hash
  if [ -s "$memo" ]; then hash="$(cat "$memo")"; else
    hash="$(sha256sum "$2" | cut -c1-16)"
    echo "$hash" > "$memo"
  fi
  echo "$dir/$(basename "$2").$(stat -c %s "$2").$hash.$1"
}

peer_measure() {
  local tool="$1" f="$2" key
  key="$(peer_key "$tool" "$f")"
  [ -s "$key" ] && return 0
  [ "$tool" = xz ] && [ "${TP_SKIP_XZ:-0}" = 1 ] && return 0
  local start end size
  start="$(date +%s.%N)"
  case "$tool" in
    zstd) size="$(nice zstd -19 -T1 -q -c "$f" | wc -c)" ;;
    xz) size="$(nice xz -9 -T1 -c "$f" | wc -c)" ;;
  esac
  end="$(date +%s.%N)"
  echo "$size $(python3 -c "print(f'{$end - $start:.2f}')")" > "$key.tmp"
  mv "$key.tmp" "$key"
}

peer_size() {
  local key
  peer_measure "$1" "$2"
  key="$(peer_key "$1" "$2")"
  if [ -s "$key" ]; then awk '{printf "%s", $1}' "$key"; else echo -n -; fi
}

peer_seconds() {
  local key
  peer_measure "$1" "$2"
  key="$(peer_key "$1" "$2")"
  if [ -s "$key" ]; then awk '{printf "%s", (NF > 1 ? $2 : "-")}' "$key"; else echo -n -; fi
}

# tp_replace_between FILE NAME TEXT: replaces what lies between the lines
# "<!-- NAME: begin -->" and "<!-- NAME: end -->" of FILE with TEXT.
tp_replace_between() {
  python3 - "$1" "$2" "$3" <<'PY'
import sys
path, name, text = sys.argv[1:]
doc = open(path).read()
begin, end = f"<!-- {name}: begin -->", f"<!-- {name}: end -->"
i, j = doc.index(begin) + len(begin), doc.index(end)
open(path, "w").write(doc[:i] + "\n" + text.strip("\n") + "\n" + doc[j:])
PY
}
