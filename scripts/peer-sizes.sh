# Sourced by scripts/gguf-table and scripts/pytorch-table.
#
# peer_size zstd|xz FILE: the size of FILE coded by `zstd -19 -T1` or
# `xz -9 -T1`. Both are deterministic, and xz -9 takes minutes on a few
# hundred MB, so sizes are cached under the user cache by file name, size
# and modification time. With TP_SKIP_XZ=1, an xz size not in the cache is
# not measured and printed as "-" (for a quick run on a busy machine).
peer_size() {
  local tool="$1" f="$2"
  local dir="${TENSORPRESS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tensorpress}/peer-sizes"
  local key="$dir/$(basename "$f").$(stat -c %s.%Y "$f").$tool"
  mkdir -p "$dir"
  if [ ! -s "$key" ] && [ "$tool" = xz ] && [ "${TP_SKIP_XZ:-0}" = 1 ]; then
    echo -n -; return 0
  fi
  if [ ! -s "$key" ]; then
    case "$tool" in
      zstd) zstd -19 -T1 -q -c "$f" | wc -c > "$key.tmp" ;;
      xz) xz -9 -T1 -c "$f" | wc -c > "$key.tmp" ;;
    esac
    mv "$key.tmp" "$key"
  fi
  tr -d ' \n' < "$key"
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
