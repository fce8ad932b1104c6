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

#include "codec/atalanta_table.h"
#include "codec/codec_format.h"
#include "codec/dec_bpc.h"
#include "codec/dec_rans_simd.h"
#include "tensorpress/parallel.h"
#include "entropy/bit_io.h"
#include "entropy/dec_arith.h"
#include "entropy/dec_huffman.h"
#include "entropy/dec_rans.h"
#include "entropy/dec_rans_byte.h"
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
  std::vector<uint16_t> range_start, range_size;
  std::vector<uint8_t> offset_bits;
  // rans.
  entropy::RansByteTable rans_bytes;
  // Huffman: bit streams per chunk, by stream version (2: one, 3: four in
  // segments, 4: eight interleaved).
  entropy::HuffmanDecodeTable huffman;
  uint8_t huffman_version = 0;
  // CSR/CSC.
  uint64_t rows = 0, cols = 0;
};

Status ParseParams(DecodeModel& m, std::span<const uint8_t> params, uint64_t values) {
  io::ByteReader r(params);
  switch (m.codec) {
    case Codec::kAtalanta:
    case Codec::kAtalantaRans: {
      codec::AtalantaTableFields table;
      TP_RETURN_IF_ERROR(codec::ReadAtalantaTable(params, values, &table));
      const int p = table.precision_bits;
      m.arith = {table.register_bits, p};
      const std::vector<uint32_t>& freqs = table.frequency;
      uint16_t start = static_cast<uint16_t>(table.first_code);
      for (uint16_t size : table.sizes) {
        m.range_start.push_back(start);
        m.range_size.push_back(size);
        m.offset_bits.push_back(static_cast<uint8_t>(codec::OffsetBits(size)));
        start = static_cast<uint16_t>(start + size);
      }
      if (m.codec == Codec::kAtalantaRans) {
        // The offsets are the rANS raw bits; widths beyond 16 - P fail here.
        auto t = entropy::BuildRansDecodeTable(freqs, p, m.offset_bits);
        if (!t.ok()) return CorruptDataError("Atalanta table: " + t.status().message());
        m.rans_table = std::move(*t);
        for (entropy::RansSlot& slot : m.rans_table.slots) {
          const int r = slot.symbol;
          slot.user[0] = static_cast<uint8_t>(m.range_start[r]);
          slot.user[1] = static_cast<uint8_t>(m.range_size[r] - 1);
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
      int p = 0, w = 0;
      std::vector<uint32_t> freqs;
      TP_RETURN_IF_ERROR(codec::ReadOrder0Table(params, &p, &w, &freqs));
      m.arith = {w, p};
      auto t = entropy::BuildDecodeTable(freqs, p);
      if (!t.ok()) return CorruptDataError("order-0 table: " + t.status().message());
      m.arith_table = std::move(*t);
      return Status::Ok();
    }
    case Codec::kRans: {
      int p = 0, w = 0;
      std::vector<uint32_t> freqs;
      TP_RETURN_IF_ERROR(codec::ReadOrder0Table(params, &p, &w, &freqs));
      if (w != 32) return CorruptDataError("rans table declares " + std::to_string(w) + "-bit states, not 32");
      Status st = entropy::BuildRansByteTable(freqs, p, &m.rans_bytes);
      if (!st.ok()) return CorruptDataError("rans table: " + st.message());
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
// raw offset, read from bit `first_bit` of `raw` on; the offsets must end in
// the last byte. This pass runs once per value, so it keeps its bit buffer in
// registers and refills 8 bytes at a time from a zero-padded copy.
Status AddOffsets(const DecodeModel& m, std::span<const uint8_t> raw, uint64_t first_bit, std::span<uint8_t> out) {
  const size_t ranges = m.range_start.size();
  uint16_t start[codec::kMaxAtalantaRanges], size[codec::kMaxAtalantaRanges];
  uint8_t bits[codec::kMaxAtalantaRanges];
  for (size_t r = 0; r < ranges; ++r) {
    start[r] = m.range_start[r];
    size[r] = m.range_size[r];
    bits[r] = m.offset_bits[r];
  }
  if (first_bit > 8 * uint64_t(raw.size())) return CorruptDataError("Atalanta symbol stream is truncated");
  raw = raw.subspan(first_bit / 8);
  thread_local std::vector<uint8_t> padded;
  padded.assign(raw.begin(), raw.end());
  padded.resize(raw.size() + 16, 0);
  const uint8_t* p = padded.data();
  const uint8_t* const limit = padded.data() + raw.size() + 8;  // last safe 8-byte load
  const int skip = static_cast<int>(first_bit % 8);
  uint64_t acc = 0, consumed = static_cast<uint64_t>(skip);
  int fill = 0;
  if (skip > 0) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    if constexpr (std::endian::native == std::endian::little) word = __builtin_bswap64(word);
    acc = word << skip;
    p += 7;
    fill = 56 - skip;
  }
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

// atalanta-rans in one pass: the rANS loop hands each value's slot (whose
// user bytes are its range's start and size-1) and its offset, the raw bits
// that follow the symbol in the same state. Whole groups go through the SIMD
// loop the CPU has (dec_rans_simd.h); this scalar loop, bit-exact with it,
// finishes the rest and is its reference.
Status DecodeAtalantaRansChunk(const DecodeModel& m, std::span<const uint8_t> in, std::span<uint8_t> out) {
  uint8_t* __restrict o = out.data();
  bool fast_bad = false;
  auto fast_groups = [&](uint32_t* states, const uint8_t*& p, const uint8_t* end) -> size_t {
    if (!m.rans_packed_ok) return 0;
    return codec::DecodeRansGroups(m.rans_packed, states, p, end, o, out.size(), &fast_bad);
  };
  uint32_t bad = 0;
  TP_RETURN_IF_ERROR(entropy::RansDecodeWith(in, m.rans_table, out.size(), fast_groups,
                                             [&](size_t i, const entropy::RansSlot& e, uint32_t offset) {
                                               bad |= offset > e.user[1];
                                               o[i] = static_cast<uint8_t>(e.user[0] + offset);
                                             }));
  if (bad || fast_bad) return CorruptDataError("Atalanta offset outside its range");
  return Status::Ok();
}

// One bit stream: the coder's bits, then the offsets.
Status DecodeAtalantaChunk(const DecodeModel& m, std::span<const uint8_t> in, std::span<uint8_t> out) {
  uint64_t coded_bits = 0;
  TP_RETURN_IF_ERROR(entropy::ArithDecode(in, m.arith_table, m.arith, out, &coded_bits));
  return AddOffsets(m, in, coded_bits, out);
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
    case Codec::kAtalanta: return DecodeAtalantaChunk(m, in, out);
    case Codec::kAtalantaRans: return DecodeAtalantaRansChunk(m, in, out);
    case Codec::kAtalantaOrder0: {
      TP_RETURN_IF_ERROR(entropy::ArithDecode(in, m.arith_table, m.arith, out));
      return Status::Ok();
    }
    case Codec::kHuffman:
      if (m.huffman_version == codec::kHuffmanStreamVersion && out.size() >= entropy::kHuffmanInterleavedMinSymbols)
        return entropy::HuffmanDecode8(in, m.huffman, out);
      if (m.huffman_version == codec::kHuffmanStreamVersion) return entropy::HuffmanDecode4(in, m.huffman, out);
      if (m.huffman_version == codec::kHuffmanFourStreamVersion) return entropy::HuffmanDecode4(in, m.huffman, out);
      return entropy::HuffmanDecode(in, m.huffman, out);
    case Codec::kRans: return entropy::DecodeRansBytes(in, m.rans_bytes, out);
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
  uint8_t flags = 0, zero_code = 0, version = 0;
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
  uint64_t chunk_values = 0, params_size = 0;
  TP_RETURN_IF_ERROR(r.Read(&id, "codec id"));
  TP_RETURN_IF_ERROR(r.Read(&version, "format version"));
  // Version 2 for every codec, and 3 (four-stream chunks) and 4 (eight
  // interleaved streams) for huffman.
  const bool huffman_version = l.codec == Codec::kHuffman && (version == codec::kHuffmanFourStreamVersion ||
                                                             version == codec::kHuffmanStreamVersion);
  if (version != codec::kStreamVersion && !huffman_version)
    return CorruptDataError("codec stream version " + std::to_string(version) + " is not supported for " +
                            std::string(CodecName(l.codec)));
  l.version = version;
  TP_RETURN_IF_ERROR(r.Read(&l.flags, "flags"));
  if (l.flags & ~(codec::kFlagSignedCodes | codec::kFlagZeroCode | codec::kFlagOneChunk))
    return CorruptDataError("codec stream has unknown flags");
  l.zero_code = (l.flags & codec::kFlagSignedCodes) ? 128 : 0;
  if (l.flags & codec::kFlagZeroCode) TP_RETURN_IF_ERROR(r.Read(&l.zero_code, "zero code"));
  TP_RETURN_IF_ERROR(codec::ReadVarint(r, &l.values, "value count"));
  if (l.flags & codec::kFlagOneChunk) {
    chunk_values = std::max<uint64_t>(l.values, 1);
  } else {
    TP_RETURN_IF_ERROR(codec::ReadVarint(r, &chunk_values, "chunk size"));
  }
  if (chunk_values == 0 || chunk_values > codec::kMaxChunkValues)
    return CorruptDataError("chunk size " + std::to_string(chunk_values) + " is out of range");
  l.chunk_values = static_cast<uint32_t>(chunk_values);
  const uint64_t chunks = l.values / chunk_values + (l.values % chunk_values != 0);
  if ((l.codec == Codec::kCsr || l.codec == Codec::kCsc) && chunks > 1)
    return CorruptDataError("sparse matrix stream has more than one chunk");
  TP_RETURN_IF_ERROR(codec::ReadVarint(r, &params_size, "parameter size"));
  TP_RETURN_IF_ERROR(r.ReadSpan(params_size, &l.params, "codec parameters"));
  // Every size in the index takes at least one byte.
  if (chunks > UINT32_MAX || (chunks > 0 && r.remaining() < chunks - 1))
    return CorruptDataError("truncated chunk index");
  l.chunks = static_cast<uint32_t>(chunks);
  l.offset.assign(size_t(l.chunks) + 1, 0);
  for (uint32_t c = 0; c + 1 < l.chunks; ++c) {
    uint64_t size = 0;
    TP_RETURN_IF_ERROR(codec::ReadVarint(r, &size, "chunk size"));
    if (size > r.remaining()) return CorruptDataError("chunk size " + std::to_string(size) + " is past the end");
    l.offset[c + 1] = l.offset[c] + size;
  }
  const uint64_t indexed = l.chunks > 0 ? l.offset[l.chunks - 1] : 0;
  if (indexed > r.remaining() || (l.chunks == 0 && r.remaining() != 0))
    return CorruptDataError("chunks hold " + std::to_string(r.remaining()) + " bytes but the index says " +
                            std::to_string(indexed));
  if (l.chunks > 0) l.offset[l.chunks] = r.remaining();
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
  m.huffman_version = l.codec == Codec::kHuffman ? l.version : 0;
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
  m.huffman_version = l.codec == Codec::kHuffman ? l.version : 0;
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
