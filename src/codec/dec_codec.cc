// Decoders of every codec stream (layout in codec_format.h). Every count,
// size and index read from the stream is checked before it is used; a chunk
// must be consumed exactly. Never includes an encoder header.
#include <lz4.h>
#include <zstd.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <memory>
#include <string>

#include "codec/codec_format.h"
#include "codec/dec_bpc.h"
#include "codec/dec_rans_simd.h"
#include "tensorpress/parallel.h"
#include "entropy/bit_io.h"
#include "entropy/dec_arith.h"
#include "entropy/dec_huffman.h"
#include "entropy/dec_rans.h"
#include "entropy/frequency.h"
#include "io/byte_reader.h"
#include "tensorpress/codec.h"

namespace tp {
namespace {

using entropy::BitReader;

struct DecodeModel {
  Codec codec;
  bool is_signed = false;
  uint8_t zero_code = 0;
  // Atalanta and order-0.
  entropy::ArithConfig arith;
  entropy::DecodeTable arith_table;
  entropy::RansDecodeTable rans_table;
  codec::RansPackedTable rans_packed;
  bool rans_packed_ok = false;
  std::vector<uint16_t> range_start;
  std::vector<uint8_t> offset_bits;
  // Huffman.
  entropy::HuffmanDecodeTable huffman;
  // CSR/CSC.
  uint64_t rows = 0, cols = 0;
};

Status ParseParams(DecodeModel& m, std::span<const uint8_t> params, uint64_t values) {
  io::ByteReader r(params);
  switch (m.codec) {
    case Codec::kAtalanta:
    case Codec::kAtalantaRans: {
      uint8_t p = 0, w = 0, ranges = 0;
      TP_RETURN_IF_ERROR(r.Read(&p, "Atalanta precision"));
      TP_RETURN_IF_ERROR(r.Read(&w, "Atalanta register width"));
      TP_RETURN_IF_ERROR(r.Read(&ranges, "Atalanta range count"));
      m.arith = {w, p};
      if (!entropy::ValidateArithConfig(m.arith).ok())
        return CorruptDataError("Atalanta table has precision " + std::to_string(p) + " and register width " +
                                std::to_string(w));
      if (ranges < 1 || ranges > codec::kMaxAtalantaRanges)
        return CorruptDataError("Atalanta table has " + std::to_string(ranges) + " ranges");
      const uint64_t table_bits = uint64_t(ranges) * codec::AtalantaTableBitsPerRange(p);
      if (r.remaining() != (table_bits + 7) / 8) return CorruptDataError("Atalanta table size mismatch");
      std::span<const uint8_t> bits;
      TP_RETURN_IF_ERROR(r.ReadSpan(r.remaining(), &bits, "Atalanta table"));
      BitReader br(bits);
      std::vector<uint32_t> freqs(ranges);
      for (int i = 0; i < ranges; ++i) {
        m.range_start.push_back(static_cast<uint16_t>(br.Read(8)));
        freqs[i] = br.Read(codec::AtalantaFrequencyBits(p));
      }
      if (m.range_start[0] != 0) return CorruptDataError("Atalanta ranges do not start at code 0");
      for (int i = 0; i < ranges; ++i) {
        const int end = i + 1 < ranges ? m.range_start[i + 1] : 256;
        if (end <= m.range_start[i]) return CorruptDataError("Atalanta range starts are not increasing");
        m.offset_bits.push_back(static_cast<uint8_t>(codec::OffsetBits(static_cast<uint32_t>(end - m.range_start[i]))));
      }
      if (m.codec == Codec::kAtalantaRans) {
        auto t = entropy::BuildRansDecodeTable(freqs, p);
        if (!t.ok()) return CorruptDataError("Atalanta table: " + t.status().message());
        m.rans_table = std::move(*t);
        for (entropy::RansSlot& slot : m.rans_table.slots) {
          const int r = slot.symbol;
          const int end = r + 1 < ranges ? m.range_start[r + 1] : 256;
          slot.user[0] = static_cast<uint8_t>(m.range_start[r]);
          slot.user[1] = m.offset_bits[r];
          slot.user[2] = static_cast<uint8_t>(end - m.range_start[r] - 1);
        }
        // Building the packed table costs about as much as decoding 2^P
        // values; tiny tensors (biases, norms) stay on the scalar loop.
        m.rans_packed_ok = values >= (uint64_t(4) << p) && codec::HaveRansAvx2() &&
                           codec::BuildRansPackedTable(m.rans_table, &m.rans_packed);
      } else {
        auto t = entropy::BuildDecodeTable(freqs, p);
        if (!t.ok()) return CorruptDataError("Atalanta table: " + t.status().message());
        m.arith_table = std::move(*t);
      }
      return Status::Ok();
    }
    case Codec::kAtalantaOrder0: {
      uint8_t p = 0, w = 0;
      TP_RETURN_IF_ERROR(r.Read(&p, "order-0 precision"));
      TP_RETURN_IF_ERROR(r.Read(&w, "order-0 register width"));
      m.arith = {w, p};
      if (!entropy::ValidateArithConfig(m.arith).ok())
        return CorruptDataError("order-0 table has precision " + std::to_string(p) + " and register width " +
                                std::to_string(w));
      std::span<const uint8_t> bits;
      TP_RETURN_IF_ERROR(r.ReadSpan(r.remaining(), &bits, "order-0 table"));
      BitReader br(bits);
      std::vector<uint32_t> freqs(256);
      for (uint32_t& f : freqs) {
        int zeros = 0;
        while (br.ReadBit() == 0) {
          if (++zeros > 16 || br.overrun()) return CorruptDataError("order-0 table holds a bad frequency");
        }
        const uint32_t x = (uint32_t(1) << zeros) | br.Read(zeros);
        f = x - 1;
      }
      if (br.overrun() || (br.consumed_bits() + 7) / 8 != bits.size())
        return CorruptDataError("order-0 table size mismatch");
      auto t = entropy::BuildDecodeTable(freqs, p);
      if (!t.ok()) return CorruptDataError("order-0 table: " + t.status().message());
      m.arith_table = std::move(*t);
      return Status::Ok();
    }
    case Codec::kHuffman: {
      std::span<const uint8_t> nibbles;
      if (params.size() != 128) return CorruptDataError("Huffman table must be 128 bytes");
      TP_RETURN_IF_ERROR(r.ReadSpan(128, &nibbles, "Huffman table"));
      std::vector<uint8_t> lengths(256);
      for (int s = 0; s < 256; s += 2) {
        lengths[s] = nibbles[s / 2] & 15;
        lengths[s + 1] = nibbles[s / 2] >> 4;
      }
      TP_ASSIGN_OR_RETURN(m.huffman, entropy::BuildHuffmanDecodeTable(lengths));
      return Status::Ok();
    }
    case Codec::kCsr:
    case Codec::kCsc: {
      TP_RETURN_IF_ERROR(r.Read(&m.rows, "matrix rows"));
      TP_RETURN_IF_ERROR(r.Read(&m.cols, "matrix columns"));
      if (r.remaining() != 0) return CorruptDataError("matrix parameters have trailing bytes");
      if (m.rows == 0 || m.rows >= (uint64_t(1) << 31) || m.cols >= (uint64_t(1) << 31) ||
          m.rows * m.cols != values)
        return CorruptDataError("matrix of " + std::to_string(m.rows) + " x " + std::to_string(m.cols) +
                                " does not hold " + std::to_string(values) + " values");
      return Status::Ok();
    }
    default:
      if (!params.empty()) return CorruptDataError("codec takes no parameters but the stream has some");
      return Status::Ok();
  }
}

// Turns the decoded range symbols in `out` into codes by adding each one's
// raw offset. This pass runs once per value, so it keeps its bit buffer in
// registers and refills 8 bytes at a time from a zero-padded copy.
Status AddOffsets(const DecodeModel& m, std::span<const uint8_t> raw, std::span<uint8_t> out) {
  const size_t ranges = m.range_start.size();
  uint16_t start[codec::kMaxAtalantaRanges], size[codec::kMaxAtalantaRanges];
  uint8_t bits[codec::kMaxAtalantaRanges];
  for (size_t r = 0; r < ranges; ++r) {
    start[r] = m.range_start[r];
    size[r] = static_cast<uint16_t>((r + 1 < ranges ? m.range_start[r + 1] : 256) - m.range_start[r]);
    bits[r] = m.offset_bits[r];
  }
  thread_local std::vector<uint8_t> padded;
  padded.assign(raw.begin(), raw.end());
  padded.resize(raw.size() + 16, 0);
  const uint8_t* p = padded.data();
  const uint8_t* const limit = padded.data() + raw.size() + 8;  // last safe 8-byte load
  uint64_t acc = 0, consumed = 0;
  int fill = 0;
  for (uint8_t& v : out) {
    const uint8_t s = v;
    if (s >= ranges) return CorruptDataError("Atalanta symbol outside the table");
    const int b = bits[s];
    if (fill < b) {
      if (p > limit) return CorruptDataError("Atalanta offset stream is truncated");
      uint64_t word;
      std::memcpy(&word, p, 8);
      if constexpr (std::endian::native == std::endian::little) word = __builtin_bswap64(word);
      acc |= word >> fill;
      p += (63 - fill) >> 3;
      fill |= 56;
    }
    const uint32_t off = static_cast<uint32_t>((acc >> 1) >> (63 - b));  // b == 0 gives 0
    acc <<= b;
    fill -= b;
    consumed += static_cast<uint64_t>(b);
    if (off >= size[s]) return CorruptDataError("Atalanta offset outside its range");
    v = static_cast<uint8_t>(start[s] + off);
  }
  if ((consumed + 7) / 8 != raw.size()) return CorruptDataError("Atalanta offset stream size mismatch");
  return Status::Ok();
}

// atalanta-rans in one pass: each rANS slot carries its range's start,
// offset width and size-1 (RansSlot::user), so the value is finished as soon
// as its symbol is known, from a bit buffer kept in registers. Whole groups
// go through the AVX2 loop where the CPU has it; this scalar loop, bit-exact
// with it, finishes the rest.
Status DecodeRansWithOffsets(const DecodeModel& m, std::span<const uint8_t> coded, std::span<const uint8_t> raw,
                             std::span<uint8_t> out) {
  thread_local std::vector<uint8_t> padded;
  padded.assign(raw.begin(), raw.end());
  padded.resize(raw.size() + codec::kRansRawPadding, 0);
  codec::RansOffsetCursor cursor{padded.data(), raw.size(), 0, false};
  uint8_t* __restrict o = out.data();
  auto fast_groups = [&](uint32_t* states, const uint8_t*& p, const uint8_t* end) -> size_t {
    if (!m.rans_packed_ok || !codec::RansSimdEnabled()) return 0;
    return codec::DecodeRansGroupsAvx2(m.rans_packed, states, p, end, cursor, o, out.size());
  };
  // The scalar bit buffer starts where the fast loop left the cursor.
  const uint8_t* p = nullptr;
  const uint8_t* const limit = padded.data() + raw.size() + 8;  // last safe 8-byte load
  uint64_t acc = 0, consumed = 0;
  int fill = 0;
  bool bad = false, started = false;
  // Offsets are at most 8 bits, so one refill to >= 56 bits serves 4 values;
  // (i % 4 == 0) is a constant in the unrolled lane loop, so the refill
  // costs no data-dependent branch.
  static_assert(entropy::kRansLanes % 4 == 0);
  auto refill = [&] {
    if (p > limit) {  // far past the offsets: corrupt; keep going on zeros
      bad = true;
      p = padded.data();
    }
    uint64_t word;
    std::memcpy(&word, p, 8);
    if constexpr (std::endian::native == std::endian::little) word = __builtin_bswap64(word);
    acc |= word >> fill;
    p += (63 - fill) >> 3;
    fill |= 56;
  };
  Status st = entropy::RansDecodeWith(coded, m.rans_table, out.size(), fast_groups,
                                      [&](size_t i, const entropy::RansSlot& e) {
    if (i % 4 == 0) {
      if (!started) [[unlikely]] {
        started = true;
        consumed = cursor.bitpos;
        if ((consumed >> 3) > raw.size()) {  // cannot happen: the fast loop stops first
          bad = true;
          consumed = 0;
        }
        p = padded.data() + (consumed >> 3);
        refill();
        acc <<= consumed & 7;
        fill -= static_cast<int>(consumed & 7);
      }
      refill();
    }
    const int b = e.user[1];
    const uint32_t off = static_cast<uint32_t>((acc >> 1) >> (63 - b));  // b == 0 gives 0
    acc <<= b;
    fill -= b;
    consumed += static_cast<uint64_t>(b);
    bad |= off > e.user[2];
    o[i] = static_cast<uint8_t>(e.user[0] + off);
  });
  TP_RETURN_IF_ERROR(st);
  if (!started) consumed = cursor.bitpos;
  if (bad || cursor.bad) return CorruptDataError("Atalanta offset outside its range");
  if ((consumed + 7) / 8 != raw.size()) return CorruptDataError("Atalanta offset stream size mismatch");
  return Status::Ok();
}

Status DecodeAtalantaChunk(const DecodeModel& m, std::span<const uint8_t> in, std::span<uint8_t> out) {
  io::ByteReader r(in);
  uint32_t coded_size = 0;
  TP_RETURN_IF_ERROR(r.Read(&coded_size, "Atalanta symbol stream size"));
  std::span<const uint8_t> coded, raw;
  TP_RETURN_IF_ERROR(r.ReadSpan(coded_size, &coded, "Atalanta symbol stream"));
  TP_RETURN_IF_ERROR(r.ReadSpan(r.remaining(), &raw, "Atalanta offsets"));
  if (m.codec == Codec::kAtalantaRans) return DecodeRansWithOffsets(m, coded, raw, out);
  TP_RETURN_IF_ERROR(entropy::ArithDecode(coded, m.arith_table, m.arith, out));
  return AddOffsets(m, raw, out);
}

Status DecodeZeroRleChunk(const DecodeModel& m, std::span<const uint8_t> in, std::span<uint8_t> out) {
  size_t o = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != m.zero_code) {
      if (o >= out.size()) return CorruptDataError("zero-RLE chunk decodes to too many values");
      out[o++] = in[i];
      continue;
    }
    if (++i >= in.size()) return CorruptDataError("zero-RLE chunk ends inside a run");
    const size_t run = in[i];
    if (run == 0 || run > out.size() - o) return CorruptDataError("zero-RLE run length out of range");
    std::fill(out.begin() + static_cast<std::ptrdiff_t>(o), out.begin() + static_cast<std::ptrdiff_t>(o + run),
              m.zero_code);
    o += run;
  }
  if (o != out.size()) return CorruptDataError("zero-RLE chunk decodes to too few values");
  return Status::Ok();
}

Status DecodeZvcChunk(const DecodeModel& m, std::span<const uint8_t> in, std::span<uint8_t> out) {
  const size_t mask_bytes = (out.size() + 7) / 8;
  if (in.size() < mask_bytes) return CorruptDataError("ZVC chunk shorter than its mask");
  BitReader mask(in.first(mask_bytes));
  size_t v = mask_bytes;
  for (uint8_t& x : out) {
    if (mask.ReadBit()) {
      if (v >= in.size()) return CorruptDataError("ZVC chunk has fewer values than its mask");
      x = in[v++];
      if (x == m.zero_code) return CorruptDataError("ZVC value marked non-zero is zero");
    } else {
      x = m.zero_code;
    }
  }
  if (v != in.size()) return CorruptDataError("ZVC chunk has trailing bytes");
  return Status::Ok();
}

Status DecodeSparseMatrix(const DecodeModel& m, std::span<const uint8_t> in, std::span<uint8_t> out) {
  io::ByteReader r(in);
  uint64_t nnz = 0;
  TP_RETURN_IF_ERROR(r.Read(&nnz, "non-zero count"));
  if (nnz > out.size()) return CorruptDataError("more non-zeros than values");
  const bool by_row = m.codec == Codec::kCsr;
  const uint64_t outer = by_row ? m.rows : m.cols, inner = by_row ? m.cols : m.rows;
  const int index_bits = codec::OffsetBits(static_cast<uint32_t>(inner));
  const int pointer_bits = std::bit_width(nnz);
  const uint64_t bits = nnz * (8 + uint64_t(index_bits)) + (outer + 1) * uint64_t(pointer_bits);
  if (r.remaining() != (bits + 7) / 8) return CorruptDataError("sparse matrix size mismatch");
  std::span<const uint8_t> body;
  TP_RETURN_IF_ERROR(r.ReadSpan(r.remaining(), &body, "sparse matrix"));
  // Values, indices and pointers are consecutive fields of one bit stream.
  BitReader values(body), indices(body), pointers(body);
  for (uint64_t i = 0; i < nnz; ++i) {
    values.Read(8);
    indices.Read(8);
  }
  for (uint64_t i = 0; i < nnz; ++i) {
    pointers.Read(8);
    pointers.Read(index_bits);
  }
  std::fill(out.begin(), out.end(), m.zero_code);
  uint64_t prev = pointers.Read(pointer_bits);
  if (prev != 0) return CorruptDataError("sparse matrix pointers do not start at 0");
  values = BitReader(body);
  for (uint64_t o = 0; o < outer; ++o) {
    const uint64_t next = pointers.Read(pointer_bits);
    if (next < prev || next > nnz) return CorruptDataError("sparse matrix pointers are not monotone");
    int64_t last = -1;
    for (uint64_t k = prev; k < next; ++k) {
      const uint8_t v = static_cast<uint8_t>(values.Read(8));
      const uint64_t i = indices.Read(index_bits);
      if (static_cast<int64_t>(i) <= last || i >= inner) return CorruptDataError("sparse matrix index out of order");
      last = static_cast<int64_t>(i);
      if (v == m.zero_code) return CorruptDataError("sparse matrix stores a zero");
      out[by_row ? o * m.cols + i : i * m.cols + o] = v;
    }
    prev = next;
  }
  if (prev != nnz) return CorruptDataError("sparse matrix pointers do not end at the non-zero count");
  return Status::Ok();
}

Status DecodeBpcChunk(const DecodeModel& m, std::span<const uint8_t> in, std::span<uint8_t> out) {
  BitReader r(in);
  for (size_t b = 0; b < out.size(); b += codec::kBpcBlockValues) {
    int32_t block[codec::kBpcBlockValues];
    TP_RETURN_IF_ERROR(codec::BpcDecodeBlock(r, m.is_signed, block));
    if (r.overrun()) return CorruptDataError("BPC chunk is truncated");
    for (size_t i = 0; i < codec::kBpcBlockValues && b + i < out.size(); ++i)
      out[b + i] = static_cast<uint8_t>(m.is_signed ? block[i] + 128 : block[i]);
  }
  if ((r.consumed_bits() + 7) / 8 != in.size()) return CorruptDataError("BPC chunk has trailing bytes");
  return Status::Ok();
}

Status DecodeLzChunk(const DecodeModel& m, std::span<const uint8_t> in, std::span<uint8_t> out) {
  if (m.codec == Codec::kLz4) {
    if (in.size() > uint64_t(INT32_MAX)) return CorruptDataError("lz4 chunk too large");
    const int n = LZ4_decompress_safe(reinterpret_cast<const char*>(in.data()), reinterpret_cast<char*>(out.data()),
                                      static_cast<int>(in.size()), static_cast<int>(out.size()));
    if (n < 0 || static_cast<size_t>(n) != out.size()) return CorruptDataError("lz4 chunk is corrupt");
    return Status::Ok();
  }
  thread_local std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> dctx(ZSTD_createDCtx(), ZSTD_freeDCtx);
  if (!dctx) return InternalError("zstd: out of memory");
  const size_t n = ZSTD_decompressDCtx(dctx.get(), out.data(), out.size(), in.data(), in.size());
  if (ZSTD_isError(n)) return CorruptDataError(std::string("zstd chunk is corrupt: ") + ZSTD_getErrorName(n));
  if (n != out.size()) return CorruptDataError("zstd chunk decodes to the wrong size");
  return Status::Ok();
}

Status DecodeChunk(const DecodeModel& m, std::span<const uint8_t> in, std::span<uint8_t> out) {
  switch (m.codec) {
    case Codec::kAtalanta:
    case Codec::kAtalantaRans: return DecodeAtalantaChunk(m, in, out);
    case Codec::kAtalantaOrder0: {
      TP_RETURN_IF_ERROR(entropy::ArithDecode(in, m.arith_table, m.arith, out));
      return Status::Ok();
    }
    case Codec::kHuffman: return entropy::HuffmanDecode(in, m.huffman, out);
    case Codec::kZeroRle: return DecodeZeroRleChunk(m, in, out);
    case Codec::kZvc: return DecodeZvcChunk(m, in, out);
    case Codec::kCsr:
    case Codec::kCsc: return DecodeSparseMatrix(m, in, out);
    case Codec::kBpc: return DecodeBpcChunk(m, in, out);
    case Codec::kZstd3:
    case Codec::kZstd19:
    case Codec::kLz4: return DecodeLzChunk(m, in, out);
  }
  return CorruptDataError("unknown codec");
}

}  // namespace

namespace {

// A stream's header fields and chunk index, checked against each other and
// against the stream's size (but not the codec's parameters).
struct Layout {
  Codec codec;
  uint8_t flags = 0, zero_code = 0;
  uint64_t values = 0;
  uint32_t chunk_values = 0, chunks = 0;
  std::span<const uint8_t> params;
  uint64_t body_offset = 0;
  std::vector<uint64_t> offset;  // chunk c is body[offset[c], offset[c+1])
};

StatusOr<Layout> ParseLayout(std::span<const uint8_t> stream) {
  Layout l;
  TP_ASSIGN_OR_RETURN(l.codec, StreamCodec(stream));
  io::ByteReader r(stream);
  uint8_t id = 0, version = 0;
  uint32_t params_size = 0;
  TP_RETURN_IF_ERROR(r.Read(&id, "codec id"));
  TP_RETURN_IF_ERROR(r.Read(&version, "format version"));
  TP_RETURN_IF_ERROR(r.Read(&l.flags, "flags"));
  TP_RETURN_IF_ERROR(r.Read(&l.zero_code, "zero code"));
  TP_RETURN_IF_ERROR(r.Read(&l.values, "value count"));
  TP_RETURN_IF_ERROR(r.Read(&l.chunk_values, "chunk size"));
  TP_RETURN_IF_ERROR(r.Read(&l.chunks, "chunk count"));
  TP_RETURN_IF_ERROR(r.Read(&params_size, "parameter size"));
  if (version != codec::kStreamVersion)
    return CorruptDataError("codec stream version " + std::to_string(version) + " is not supported");
  if (l.flags & ~codec::kFlagSignedCodes) return CorruptDataError("codec stream has unknown flags");
  if (l.chunk_values == 0 || l.chunk_values > codec::kMaxChunkValues)
    return CorruptDataError("chunk size " + std::to_string(l.chunk_values) + " is out of range");
  if (l.chunks != (l.values + l.chunk_values - 1) / l.chunk_values)
    return CorruptDataError("chunk count " + std::to_string(l.chunks) + " does not match the value count");
  if ((l.codec == Codec::kCsr || l.codec == Codec::kCsc) && l.chunks > 1)
    return CorruptDataError("sparse matrix stream has more than one chunk");
  TP_RETURN_IF_ERROR(r.ReadSpan(params_size, &l.params, "codec parameters"));
  if (r.remaining() / 4 < l.chunks) return CorruptDataError("truncated chunk index");
  l.offset.assign(size_t(l.chunks) + 1, 0);
  for (uint32_t c = 0; c < l.chunks; ++c) {
    uint32_t size = 0;
    TP_RETURN_IF_ERROR(r.Read(&size, "chunk size"));
    l.offset[c + 1] = l.offset[c] + size;
  }
  if (l.offset[l.chunks] != r.remaining())
    return CorruptDataError("chunks hold " + std::to_string(r.remaining()) + " bytes but the index says " +
                            std::to_string(l.offset[l.chunks]));
  l.body_offset = r.offset();
  return l;
}

}  // namespace

StatusOr<std::vector<StreamSpan>> StreamChunkSpans(std::span<const uint8_t> stream) {
  TP_ASSIGN_OR_RETURN(Layout l, ParseLayout(stream));
  std::vector<StreamSpan> spans;
  spans.push_back({0, l.body_offset});
  for (uint32_t c = 0; c < l.chunks; ++c)
    spans.push_back({l.body_offset + l.offset[c], l.offset[c + 1] - l.offset[c]});
  return spans;
}

Status DecodeCodes(std::span<const uint8_t> stream, std::span<uint8_t> codes, int threads) {
  TP_ASSIGN_OR_RETURN(Layout l, ParseLayout(stream));
  if (l.values != codes.size())
    return CorruptDataError("codec stream holds " + std::to_string(l.values) + " values, expected " +
                            std::to_string(codes.size()));
  const uint64_t values = l.values;
  const uint32_t chunks = l.chunks, chunk_values = l.chunk_values;
  const std::vector<uint64_t>& offset = l.offset;
  DecodeModel m;
  m.codec = l.codec;
  m.is_signed = l.flags & codec::kFlagSignedCodes;
  m.zero_code = l.zero_code;
  TP_RETURN_IF_ERROR(ParseParams(m, l.params, values));
  const std::span<const uint8_t> body = stream.subspan(l.body_offset);
  std::vector<Status> status(chunks);
  ParallelFor(chunks, threads, [&](size_t c) {
    const uint64_t begin = c * uint64_t(chunk_values), end = std::min<uint64_t>(begin + chunk_values, values);
    status[c] = DecodeChunk(m, body.subspan(offset[c], offset[c + 1] - offset[c]),
                            codes.subspan(begin, end - begin));
  });
  for (uint32_t c = 0; c < chunks; ++c)
    if (!status[c].ok()) return status[c].WithContext("chunk " + std::to_string(c));
  return Status::Ok();
}

StatusOr<StreamInfo> GetStreamInfo(std::span<const uint8_t> stream) {
  TP_ASSIGN_OR_RETURN(Layout l, ParseLayout(stream));
  return StreamInfo{l.codec, l.values, l.chunk_values, l.chunks};
}

Status DecodeCodeRange(std::span<const uint8_t> stream, uint64_t begin, std::span<uint8_t> codes, int threads) {
  TP_ASSIGN_OR_RETURN(Layout l, ParseLayout(stream));
  if (begin > l.values || codes.size() > l.values - begin)
    return CorruptDataError("values " + std::to_string(begin) + ".." + std::to_string(begin + codes.size()) +
                            " lie outside a stream of " + std::to_string(l.values));
  DecodeModel m;
  m.codec = l.codec;
  m.is_signed = l.flags & codec::kFlagSignedCodes;
  m.zero_code = l.zero_code;
  TP_RETURN_IF_ERROR(ParseParams(m, l.params, l.values));
  if (codes.empty()) return Status::Ok();
  const uint64_t end = begin + codes.size(), cv = l.chunk_values;
  const uint64_t first = begin / cv, last = (end - 1) / cv;
  const std::span<const uint8_t> body = stream.subspan(l.body_offset);
  std::vector<Status> status(last - first + 1);
  ParallelFor(status.size(), threads, [&](size_t i) {
    const uint64_t c = first + i;
    const uint64_t cb = c * cv, ce = std::min<uint64_t>(cb + cv, l.values);
    const auto in = body.subspan(l.offset[c], l.offset[c + 1] - l.offset[c]);
    const uint64_t lo = std::max(cb, begin), hi = std::min(ce, end);
    if (lo == cb && hi == ce) {
      status[i] = DecodeChunk(m, in, codes.subspan(cb - begin, ce - cb));
      return;
    }
    std::vector<uint8_t> scratch(ce - cb);
    status[i] = DecodeChunk(m, in, scratch);
    if (status[i].ok()) std::copy(scratch.begin() + std::ptrdiff_t(lo - cb), scratch.begin() + std::ptrdiff_t(hi - cb),
                                  codes.begin() + std::ptrdiff_t(lo - begin));
  });
  for (size_t i = 0; i < status.size(); ++i)
    if (!status[i].ok()) return status[i].WithContext("chunk " + std::to_string(first + i));
  return Status::Ok();
}

}  // namespace tp
