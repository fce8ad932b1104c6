// Coding one chunk as a version-3 frame (frame.h): the layout from the
// dtype, then each plane's coding from its histogram.
//
// Choosing a codec never trial-encodes every codec (that made the old
// default 2.3 MB/s): a plane's order-0 entropy bounds what any order-0 coder
// can reach, so a plane within a few percent of 8 bits a byte (low mantissa
// bytes) is stored, and every other plane goes to the order-0 coder that
// decodes fastest; zstd takes the bytes that are not tensors. --max (kMax)
// trial-encodes every codec and both float layouts per chunk instead.
#include <xxhash.h>
#include <zstd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "container/frame.h"
#include "container/gguf_header.h"
#include "container/plane_split.h"
#include "tensorpress/codec.h"

namespace tp::tpz3 {
namespace {

struct Plane {
  uint8_t coding = kCodingStored;
  std::vector<uint8_t> stored;  // empty for kCodingStored: the plane itself is written
  std::span<const uint8_t> raw;
  double entropy_bits = 0;
  bool measured = false;  // hist and entropy_bits hold raw's
  std::array<uint64_t, 256> hist;
};

double EntropyBits(const std::array<uint64_t, 256>& h, uint64_t n) {
  double bits = 0;
  for (uint64_t c : h)
    if (c) bits -= double(c) * std::log2(double(c) / double(n));
  return bits;  // of the whole plane
}

std::vector<uint8_t> ZstdBytes(std::span<const uint8_t> in, int level) {
  // One context per thread, freed when the thread ends.
  struct FreeCCtx {
    void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
  };
  thread_local std::unique_ptr<ZSTD_CCtx, FreeCCtx> owner(ZSTD_createCCtx());
  ZSTD_CCtx* cctx = owner.get();
  std::vector<uint8_t> out(ZSTD_compressBound(in.size()));
  const size_t got = ZSTD_compressCCtx(cctx, out.data(), out.size(), in.data(), in.size(), level);
  if (ZSTD_isError(got)) return {};
  out.resize(got);
  return out;
}

// The order-0 coder of the default level: `rans` decodes fastest of the
// coders that reach a plane's entropy (1.7-1.9 GB/s a core against
// atalanta-rans' 1.2 and huffman's 0.27, docs/lossless.md) and its size is
// known exactly enough from the histogram (EstimateStreamBytes, an upper
// bound within 0.02% + 64 bytes) to decide without encoding.
constexpr Codec kDefaultCoder = Codec::kRans;
// A plane is coded only when that saves at least this fraction: decoding a
// plane that barely shrinks costs more time than its bytes save.
constexpr double kMinSaving = 0.01;
// Other bytes up to this size are coded at zstd -19 by default.
constexpr uint64_t kSmallOtherBytes = 256 * 1024;
// Small planes (block scales) also try zstd, which sees their repeats.
constexpr uint64_t kSmallPlane = 64 * 1024;

void Measure(Plane& p) {
  if (p.measured) return;
  Histogram256(p.raw, p.hist);
  p.entropy_bits = EntropyBits(p.hist, p.raw.size());
  p.measured = true;
}

void CodePlane(Plane& p, DType dtype, const EngineOptions& o) {
  const auto raw = p.raw;
  Measure(p);
  const auto& hist = p.hist;
  p.coding = kCodingStored;
  if (raw.size() < 64) return;
  auto try_codec = [&](Codec c) {
    CodecOptions co = DefaultCodecOptions();
    co.chunk_values = uint32_t(std::max<size_t>(raw.size(), 1));
    co.signed_codes = false;
    co.threads = 1;
    auto e = EncodeCodes(c, raw, co);
    if (!e.ok()) return;
    const size_t best = p.coding == kCodingStored ? raw.size() : p.stored.size();
    if (e->bytes.size() < best) {
      p.coding = uint8_t(c);
      p.stored = std::move(e->bytes);
    }
  };
  if (o.codec) {
    try_codec(*o.codec);
    return;
  }
  if (o.level == EngineLevel::kMax) {
    for (Codec c : AllCodecs()) {
      if (c == Codec::kCsr || c == Codec::kCsc) continue;  // matrices, not planes
      try_codec(c);
    }
    auto z = ZstdBytes(raw, 19);
    const size_t best = p.coding == kCodingStored ? raw.size() : p.stored.size();
    if (!z.empty() && z.size() < best) {
      p.coding = kCodingZstd;
      p.stored = std::move(z);
    }
    return;
  }
  if (p.entropy_bits / 8 >= (1 - kMinSaving) * double(raw.size())) return;
  CodecOptions co = DefaultCodecOptions();
  co.chunk_values = uint32_t(raw.size());
  auto estimate = EstimateStreamBytes(kDefaultCoder, hist, co);
  if (estimate.ok() && double(*estimate) < (1 - kMinSaving) * double(raw.size())) try_codec(kDefaultCoder);
  if (raw.size() <= kSmallPlane) {
    auto z = ZstdBytes(raw, o.level == EngineLevel::kFast ? 1 : 9);
    const size_t best = p.coding == kCodingStored ? raw.size() : p.stored.size();
    if (!z.empty() && double(z.size()) < (1 - kMinSaving) * double(best)) {
      p.coding = kCodingZstd;
      p.stored = std::move(z);
    }
  }
}

std::string CodingName(uint8_t coding) {
  if (coding == kCodingStored) return "stored";
  if (coding == kCodingZstd) return "zstd";
  return std::string(CodecName(Codec(coding)));
}

// The frame's bytes from its planes; `planes` empty means one stored plane.
std::vector<uint8_t> Assemble(const ChunkToCode& chunk, Layout layout, DType dtype, std::vector<Plane>& planes) {
  FrameHeader h;
  h.kind = FrameKind::kData;
  h.layout = layout;
  h.dtype = uint8_t(dtype);
  h.planes = uint8_t(planes.size());
  h.segment = chunk.segment;
  h.raw_bytes = uint32_t(chunk.bytes.size());
  h.offset = chunk.offset;
  h.xxh3 = XXH3_64bits(chunk.bytes.data(), chunk.bytes.size());
  uint64_t payload = planes.size() * kPlaneEntryBytes;
  for (const Plane& p : planes) payload += p.coding == kCodingStored ? p.raw.size() : p.stored.size();
  h.payload_bytes = uint32_t(payload);
  std::vector<uint8_t> out(kFrameHeaderBytes + payload);
  PutFrameHeader(h, out.data());
  uint8_t* table = out.data() + kFrameHeaderBytes;
  uint8_t* data = table + planes.size() * kPlaneEntryBytes;
  for (size_t k = 0; k < planes.size(); ++k) {
    const Plane& p = planes[k];
    const auto bytes = p.coding == kCodingStored ? p.raw : std::span<const uint8_t>(p.stored);
    table[k * kPlaneEntryBytes] = p.coding;
    Put32(table + k * kPlaneEntryBytes + 1, uint32_t(bytes.size()));
    if (!bytes.empty()) std::memcpy(data, bytes.data(), bytes.size());
    data += bytes.size();
  }
  return out;
}

uint64_t CodedSize(const std::vector<Plane>& planes) {
  uint64_t s = planes.size() * kPlaneEntryBytes;
  for (const Plane& p : planes) s += p.coding == kCodingStored ? p.raw.size() : p.stored.size();
  return s;
}

// The layouts a tensor chunk of `dtype` can take; the first is the default.
std::vector<Layout> LayoutsFor(DType dtype, EngineLevel level) {
  const auto& t = Traits(dtype);
  if (t.bits == 8 && PlaneCount(Layout::kFloatFields, dtype) > 0) return {Layout::kCodes, Layout::kFloatFields};
  if (PlaneCount(Layout::kFloatFields, dtype) > 0) {
    if (level == EngineLevel::kMax) return {Layout::kFloatFields, Layout::kBytePlanes};
    return {Layout::kFloatFields};
  }
  if (t.block_elements == 1 && t.bits >= 16 && t.bits % 8 == 0) return {Layout::kBytePlanes};
  if (PlaneCount(Layout::kBlockFields, dtype) > 0) {
    if (level == EngineLevel::kMax) return {Layout::kBlockFields, Layout::kCodes};
    return {Layout::kBlockFields};
  }
  return {Layout::kCodes};  // bytes, int8 codes, packed and block types
}

// Sparse layout when enough elements are zero for the mask to pay; --max
// tries it whenever there is a zero.
constexpr double kSparseMinZeros = 0.10;
bool TrySparse(const ChunkToCode& chunk, EngineLevel level) {
  if (!SparseApplies(chunk.dtype) || chunk.bytes.empty()) return false;
  const uint64_t element = uint64_t(Traits(chunk.dtype).bits / 8);
  if (chunk.bytes.size() % element != 0) return false;
  const uint64_t n = chunk.bytes.size() / element;
  const uint64_t zeros = CountZeroElements(chunk.dtype, chunk.bytes);
  if (level == EngineLevel::kMax) return zeros > 0;
  return double(zeros) >= kSparseMinZeros * double(n);
}

std::vector<Plane> SparsePlanes(const ChunkToCode& chunk, std::vector<uint8_t>& buffer) {
  const DType dtype = chunk.dtype;
  const uint64_t element = uint64_t(Traits(dtype).bits / 8);
  const uint64_t n = chunk.bytes.size() / element;
  const uint64_t mask_bytes = (n + 7) / 8;
  std::vector<uint8_t> compact(n * element);
  std::vector<uint8_t> mask(mask_bytes);
  const uint64_t m = SplitSparse(dtype, chunk.bytes, n, mask.data(), compact.data());
  const Layout inner = SparseInnerLayout(dtype);
  const int count = PlaneCount(Layout::kSparse, dtype);
  uint64_t total = mask_bytes;
  for (int k = 1; k < count; ++k) total += PlaneBytes(Layout::kSparse, dtype, k, m);
  buffer.resize(total);
  std::vector<Plane> planes(size_t(count), Plane{});
  std::copy(mask.begin(), mask.end(), buffer.begin());
  planes[0].raw = {buffer.data(), mask_bytes};
  uint8_t* ptrs[kMaxPlanes];
  uint64_t off = mask_bytes;
  for (int k = 1; k < count; ++k) {
    ptrs[k - 1] = buffer.data() + off;
    planes[size_t(k)].raw = {ptrs[k - 1], PlaneBytes(Layout::kSparse, dtype, k, m)};
    off += PlaneBytes(Layout::kSparse, dtype, k, m);
  }
  SplitPlanes(inner, dtype, {compact.data(), m * element}, m, ptrs);
  return planes;
}

// zstd -1 on up to 128 KiB from the middle of the chunk; the whole chunk
// goes to zstd only when the sample shrinks to under 90% of the best
// layout's ratio. The default level pays ~2% more time for this.
constexpr uint64_t kZstdSampleBytes = 128 * 1024;
bool ZstdMayWin(std::span<const uint8_t> raw, uint64_t best_size, EngineLevel level) {
  if (raw.size() < 4096 || level == EngineLevel::kFast) return false;
  if (level == EngineLevel::kMax) return true;
  const uint64_t take = std::min<uint64_t>(raw.size(), kZstdSampleBytes);
  const auto sample = raw.subspan((raw.size() - take) / 2, take);
  const auto z = ZstdBytes(sample, 1);
  if (z.empty()) return false;
  return double(z.size()) / double(take) < 0.9 * double(best_size) / double(raw.size());
}

// Layout kGgufHeader (gguf_header.h): the header's planes, each coded by the
// order-0 coder or zstd, whichever is smaller. zstd runs at level 9 here
// (19 with --max): the strings plane is a tokenizer's vocabulary, where
// zstd's matches beat any order-0 coder, and level 9 comes within 10% of
// level 19's size in a small part of its time (gemma-3's 2.3 MB of token
// strings, measured by hand: 1.09 MB in 0.15 s against 1.00 MB in 4.4 s).
std::vector<Plane> GgufHeaderPlanes(const ChunkToCode& chunk, const EngineOptions& o,
                                    std::array<std::vector<uint8_t>, kGgufHeaderParts>& parts,
                                    std::vector<uint8_t>& sizes) {
  if (!SplitGgufHeader(chunk.bytes, parts)) return {};
  sizes.assign(kGgufHeaderSizesBytes, 0);
  for (int k = 0; k < kGgufHeaderParts; ++k) Put32(sizes.data() + 4 * k, uint32_t(parts[size_t(k)].size()));
  std::vector<Plane> planes(1 + kGgufHeaderParts);
  planes[0].raw = sizes;  // 16 bytes: stored
  Measure(planes[0]);
  for (int k = 0; k < kGgufHeaderParts; ++k) {
    Plane& p = planes[size_t(k) + 1];
    p.raw = parts[size_t(k)];
    CodePlane(p, DType::kU8, o);
    if (o.level == EngineLevel::kMax || p.raw.size() < 64) continue;  // --max tried zstd -19
    auto z = ZstdBytes(p.raw, o.level == EngineLevel::kFast ? 1 : 9);
    const size_t best = p.coding == kCodingStored ? p.raw.size() : p.stored.size();
    if (!z.empty() && z.size() < best) {
      p.coding = kCodingZstd;
      p.stored = std::move(z);
    }
  }
  return planes;
}

}  // namespace

StatusOr<CodedFrame> EncodeFrame(const ChunkToCode& chunk, const EngineOptions& o) {
  CodedFrame result;
  const auto raw = chunk.bytes;
  std::vector<Plane> best;
  Layout best_layout = Layout::kStored;
  DType best_dtype = DType::kU8;
  std::vector<uint8_t> best_buffer;
  uint64_t best_size = raw.size() + kPlaneEntryBytes;
  std::array<std::vector<uint8_t>, kGgufHeaderParts> gguf_parts;
  std::vector<uint8_t> gguf_sizes;

  if (!chunk.tensor) {
    Plane p;
    p.raw = raw;
    // Small runs of other bytes (a TFLite flatbuffer's tables, a header)
    // take zstd's best level: milliseconds, and they are where a small
    // model's bytes go.
    const int level = o.level == EngineLevel::kMax                 ? 19
                      : o.level == EngineLevel::kFast              ? 1
                      : raw.size() <= kSmallOtherBytes             ? 19
                                                                   : 3;
    p.stored = ZstdBytes(raw, level);
    p.coding = kCodingZstd;
    if (!p.stored.empty() && p.stored.size() < raw.size()) {
      best_size = p.stored.size() + kPlaneEntryBytes;
      best_layout = Layout::kZstd;
      best.push_back(std::move(p));
    }
    if (chunk.gguf_header) {
      std::vector<Plane> planes = GgufHeaderPlanes(chunk, o, gguf_parts, gguf_sizes);
      if (!planes.empty() && CodedSize(planes) < best_size) {
        best_size = CodedSize(planes);
        best = std::move(planes);
        best_layout = Layout::kGgufHeader;
        best_dtype = DType::kU8;
      }
    }
  } else {
    struct Candidate {
      Layout layout;
      std::vector<Plane> planes;
      std::vector<uint8_t> buffer;
    };
    std::vector<Candidate> candidates;
    for (Layout layout : LayoutsFor(chunk.dtype, o.level)) {
      const int count = PlaneCount(layout, chunk.dtype);
      const uint64_t element = layout == Layout::kCodes         ? 1
                               : layout == Layout::kBlockFields ? uint64_t(Traits(chunk.dtype).block_bytes)
                                                                : uint64_t(Traits(chunk.dtype).bits / 8);
      if (count == 0 || element == 0 || raw.size() % element != 0) continue;
      const uint64_t n = raw.size() / element;
      Candidate c{layout, std::vector<Plane>(static_cast<size_t>(count), Plane{}), {}};
      uint8_t* ptrs[kMaxPlanes];
      // A single plane of bytes that need no mapping is coded in place.
      const bool in_place = layout == Layout::kCodes && chunk.dtype != DType::kI8;
      if (in_place) {
        c.planes[0].raw = raw;
      } else {
        uint64_t total = 0;
        for (int k = 0; k < count; ++k) total += PlaneBytes(layout, chunk.dtype, k, n);
        c.buffer.resize(total);
        uint64_t off = 0;
        for (int k = 0; k < count; ++k) {
          ptrs[k] = c.buffer.data() + off;
          c.planes[size_t(k)].raw = {ptrs[k], PlaneBytes(layout, chunk.dtype, k, n)};
          off += PlaneBytes(layout, chunk.dtype, k, n);
        }
        SplitPlanes(layout, chunk.dtype, raw, n, ptrs);
      }
      candidates.push_back(std::move(c));
    }
    if (TrySparse(chunk, o.level)) {
      Candidate c{Layout::kSparse, {}, {}};
      c.planes = SparsePlanes(chunk, c.buffer);
      candidates.push_back(std::move(c));
    }
    // The default level codes one layout: the one whose planes have the
    // least order-0 entropy (what rans reaches within 0.1%). --max codes
    // them all and keeps the smallest.
    if (o.level != EngineLevel::kMax && candidates.size() > 1) {
      size_t pick = 0;
      double pick_bits = 0;
      for (size_t i = 0; i < candidates.size(); ++i) {
        double bits = 0;
        for (Plane& p : candidates[i].planes) {
          Measure(p);
          bits += std::min(p.entropy_bits, 8.0 * double(p.raw.size()));
        }
        if (i == 0 || bits < pick_bits) {
          pick = i;
          pick_bits = bits;
        }
      }
      Candidate chosen = std::move(candidates[pick]);
      candidates.clear();
      candidates.push_back(std::move(chosen));
    }
    for (Candidate& c : candidates) {
      for (Plane& p : c.planes) CodePlane(p, chunk.dtype, o);
      const uint64_t size = CodedSize(c.planes);
      if (size < best_size) {
        best_size = size;
        best = std::move(c.planes);
        best_layout = c.layout;
        best_dtype = chunk.dtype;
        best_buffer = std::move(c.buffer);
      }
    }
    // Order-0 planes miss repeats: activations of a convolution over
    // images with flat regions repeat whole values (the MNIST CNN's conv2
    // input: 1.38 MB under zstd -19, 2.9 MB as order-0 planes). zstd -1 on
    // a sample says cheaply whether the chunk is like that.
    if (ZstdMayWin(raw, best_size, o.level)) {
      auto z = ZstdBytes(raw, o.level == EngineLevel::kMax ? 19 : 3);
      if (!z.empty() && z.size() + kPlaneEntryBytes < best_size) {
        Plane p;
        p.raw = raw;
        p.coding = kCodingZstd;
        p.stored = std::move(z);
        best.clear();
        best.push_back(std::move(p));
        best_size = best[0].stored.size() + kPlaneEntryBytes;
        best_layout = Layout::kZstd;
        best_dtype = chunk.dtype;
      }
    }
  }
  std::vector<Plane> stored(1);
  if (best.empty()) {
    // Nothing pays: the chunk as it is.
    stored[0].raw = raw;
    stored[0].entropy_bits = chunk.tensor ? 0 : 0;
    best_layout = Layout::kStored;
    best_dtype = chunk.tensor ? chunk.dtype : DType::kU8;
    result.bytes = Assemble(chunk, best_layout, best_dtype, stored);
    result.planes.push_back({chunk.tensor ? std::string(DTypeName(chunk.dtype)) + " stored" : "other bytes",
                             raw.size(), raw.size(), 0, "stored"});
  } else {
    result.bytes = Assemble(chunk, best_layout, best_dtype, best);
    for (size_t k = 0; k < best.size(); ++k) {
      const Plane& p = best[k];
      std::string name = chunk.tensor ? std::string(DTypeName(chunk.dtype)) + " " +
                                            PlaneName(best_layout, best_dtype, int(k))
                         : best_layout == Layout::kGgufHeader ? PlaneName(best_layout, best_dtype, int(k))
                                                              : "other bytes";
      result.planes.push_back({std::move(name), p.raw.size(),
                               p.coding == kCodingStored ? p.raw.size() : p.stored.size(), p.entropy_bits,
                               CodingName(p.coding)});
    }
  }
  return result;
}

}  // namespace tp::tpz3
