// Encoders of every codec in include/tensorpress/codec.h. The stream layout is
// in codec_format.h; decoders are in dec_codec.cc.
#include <lz4.h>
#include <zstd.h>

#include <bit>
#include <cmath>
#include <memory>
#include <string>

#include "codec/codec_format.h"
#include "codec/enc_bpc.h"
#include "tensorpress/parallel.h"
#include "codec/profiler.h"
#include "entropy/bit_io.h"
#include "entropy/enc_arith.h"
#include "entropy/enc_huffman.h"
#include "entropy/enc_rans.h"
#include "entropy/frequency.h"
#include "tensorpress/codec.h"

namespace tp {
namespace {

using codec::PutLE;
using entropy::BitWriter;

std::vector<uint64_t> Histogram(std::span<const uint8_t> codes) {
  std::vector<uint64_t> h(256, 0);
  for (uint8_t c : codes) ++h[c];
  return h;
}

int ZeroCode(const CodecOptions& o) { return o.zero_code >= 0 ? o.zero_code : (o.signed_codes ? 128 : 0); }

// Elias gamma code of x >= 1: floor(log2 x) zeros, then x in binary.
void WriteGamma(BitWriter& w, uint32_t x) {
  const int n = std::bit_width(x);
  w.Write(0, n - 1);
  w.Write(x, n);
}
int GammaBits(uint32_t x) { return 2 * std::bit_width(x) - 1; }

// Everything the chunk encoders share, computed once per tensor.
struct Model {
  Codec codec;
  CodecOptions options;
  int zero_code = 0;
  // Atalanta: code -> (symbol, offset), the range table and coder settings.
  std::vector<uint8_t> symbol_of, offset_of, offset_bits;
  std::vector<uint32_t> freqs;
  entropy::ArithConfig arith;
  // Huffman.
  std::vector<uint8_t> lengths;
  // CSR/CSC.
  uint64_t rows = 0, cols = 0;
};

// `precision_bits` and `max_offset_bits` default to Atalanta's own (P from
// the options, offsets up to 8 bits); atalanta-rans passes its own.
StatusOr<AtalantaTable> BuildAtalantaTable(std::span<const uint64_t> hist_in, const CodecOptions& o,
                                           int precision_bits = 0, int max_offset_bits = 8) {
  if (precision_bits == 0) precision_bits = o.precision_bits;
  std::vector<uint64_t> hist(hist_in.begin(), hist_in.end());
  bool empty = true;
  for (uint64_t c : hist) empty = empty && c == 0;
  if (empty) hist[0] = 1;  // an empty tensor still gets a valid table
  const int table_bits = codec::AtalantaTableBitsPerRange(precision_bits);
  codec::Partition part = codec::OptimalPartition(hist, o.atalanta_ranges, table_bits, max_offset_bits);
  if (part.starts.empty()) return InternalError("Atalanta profiler found no partition");
  AtalantaTable t;
  t.precision_bits = precision_bits;
  std::vector<uint64_t> counts;
  for (size_t r = 0; r < part.starts.size(); ++r) {
    const int begin = part.starts[r];
    const int end = r + 1 < part.starts.size() ? part.starts[r + 1] : 256;
    uint64_t c = 0;
    for (int v = begin; v < end; ++v) c += hist[v];
    counts.push_back(c);
    t.range_start.push_back(static_cast<uint16_t>(begin));
    t.offset_bits.push_back(static_cast<uint8_t>(codec::OffsetBits(static_cast<uint32_t>(end - begin))));
  }
  TP_ASSIGN_OR_RETURN(t.frequency, entropy::NormalizeFrequencies(counts, precision_bits));
  t.table_bits = uint64_t(table_bits) * part.starts.size();
  t.estimated_bits = empty ? double(t.table_bits) : part.cost_bits;
  return t;
}

// --- Chunk encoders: each appends its chunk to `out` and adds its payload bits. ---

Status EncodeAtalantaChunk(const Model& m, std::span<const uint8_t> codes, std::vector<uint8_t>& out,
                           uint64_t& payload_bits) {
  std::vector<uint8_t> symbols(codes.size());
  BitWriter offsets;
  for (size_t i = 0; i < codes.size(); ++i) {
    const uint8_t s = m.symbol_of[codes[i]];
    symbols[i] = s;
    offsets.Write(m.offset_of[codes[i]], m.offset_bits[s]);
  }
  const uint64_t offset_bits = offsets.bit_count();
  TP_ASSIGN_OR_RETURN(std::vector<uint8_t> coded, entropy::ArithEncode(symbols, m.freqs, m.arith));
  PutLE<uint32_t>(out, static_cast<uint32_t>(coded.size()));
  out.insert(out.end(), coded.begin(), coded.end());
  std::vector<uint8_t> raw = offsets.Finish();
  out.insert(out.end(), raw.begin(), raw.end());
  payload_bits += 8 * coded.size() + offset_bits;
  return Status::Ok();
}

// atalanta-rans: the chunk is one rANS stream, each offset folded into the
// state after its symbol (entropy/enc_rans.cc).
Status EncodeAtalantaRansChunk(const Model& m, std::span<const uint8_t> codes, std::vector<uint8_t>& out,
                               uint64_t& payload_bits) {
  std::vector<uint8_t> symbols(codes.size()), offsets(codes.size());
  for (size_t i = 0; i < codes.size(); ++i) {
    symbols[i] = m.symbol_of[codes[i]];
    offsets[i] = m.offset_of[codes[i]];
  }
  TP_ASSIGN_OR_RETURN(std::vector<uint8_t> coded, entropy::RansEncode(symbols, m.freqs, m.arith.precision_bits,
                                                                      offsets, m.offset_bits));
  out.insert(out.end(), coded.begin(), coded.end());
  payload_bits += 8 * coded.size();
  return Status::Ok();
}

Status EncodeOrder0Chunk(const Model& m, std::span<const uint8_t> codes, std::vector<uint8_t>& out,
                         uint64_t& payload_bits) {
  TP_ASSIGN_OR_RETURN(std::vector<uint8_t> coded, entropy::ArithEncode(codes, m.freqs, m.arith));
  out.insert(out.end(), coded.begin(), coded.end());
  payload_bits += 8 * coded.size();
  return Status::Ok();
}

Status EncodeHuffmanChunk(const Model& m, std::span<const uint8_t> codes, std::vector<uint8_t>& out,
                          uint64_t& payload_bits) {
  TP_ASSIGN_OR_RETURN(std::vector<uint8_t> coded, entropy::HuffmanEncode(codes, m.lengths));
  out.insert(out.end(), coded.begin(), coded.end());
  for (uint8_t c : codes) payload_bits += m.lengths[c];
  return Status::Ok();
}

void EncodeZeroRleChunk(const Model& m, std::span<const uint8_t> codes, std::vector<uint8_t>& out,
                        uint64_t& payload_bits) {
  const size_t before = out.size();
  for (size_t i = 0; i < codes.size();) {
    if (codes[i] != m.zero_code) {
      out.push_back(codes[i++]);
      continue;
    }
    size_t run = 0;
    while (i < codes.size() && codes[i] == m.zero_code && run < 255) ++run, ++i;
    out.push_back(static_cast<uint8_t>(m.zero_code));
    out.push_back(static_cast<uint8_t>(run));
  }
  payload_bits += 8 * (out.size() - before);
}

void EncodeZvcChunk(const Model& m, std::span<const uint8_t> codes, std::vector<uint8_t>& out,
                    uint64_t& payload_bits) {
  BitWriter mask;
  uint64_t nonzero = 0;
  for (uint8_t c : codes) {
    mask.WriteBit(c != m.zero_code);
    nonzero += c != m.zero_code;
  }
  std::vector<uint8_t> bytes = mask.Finish();
  out.insert(out.end(), bytes.begin(), bytes.end());
  for (uint8_t c : codes)
    if (c != m.zero_code) out.push_back(c);
  payload_bits += codes.size() + 8 * nonzero;
}

void EncodeSparseMatrix(const Model& m, std::span<const uint8_t> codes, std::vector<uint8_t>& out,
                        uint64_t& payload_bits) {
  // CSR walks rows of the rows x cols matrix; CSC walks its columns.
  const bool by_row = m.codec == Codec::kCsr;
  const uint64_t outer = by_row ? m.rows : m.cols, inner = by_row ? m.cols : m.rows;
  std::vector<uint8_t> values;
  std::vector<uint64_t> index, pointer = {0};
  for (uint64_t o = 0; o < outer; ++o) {
    for (uint64_t i = 0; i < inner; ++i) {
      const uint8_t c = codes[by_row ? o * m.cols + i : i * m.cols + o];
      if (c == m.zero_code) continue;
      values.push_back(c);
      index.push_back(i);
    }
    pointer.push_back(values.size());
  }
  const int index_bits = codec::OffsetBits(static_cast<uint32_t>(std::min<uint64_t>(inner, 1u << 31)));
  const int pointer_bits = std::bit_width(static_cast<uint64_t>(values.size()));
  PutLE<uint64_t>(out, values.size());
  BitWriter w;
  for (uint8_t v : values) w.Write(v, 8);
  for (uint64_t i : index) w.Write(static_cast<uint32_t>(i), index_bits);
  for (uint64_t p : pointer) w.Write(static_cast<uint32_t>(p), pointer_bits);
  payload_bits += w.bit_count();
  std::vector<uint8_t> bytes = w.Finish();
  out.insert(out.end(), bytes.begin(), bytes.end());
}

void EncodeBpcChunk(const Model& m, std::span<const uint8_t> codes, std::vector<uint8_t>& out,
                    uint64_t& payload_bits) {
  BitWriter w;
  const bool is_signed = m.options.signed_codes;
  for (size_t b = 0; b < codes.size(); b += codec::kBpcBlock) {
    int32_t block[codec::kBpcBlock];
    for (size_t i = 0; i < codec::kBpcBlock; ++i) {
      const uint8_t c = codes[std::min(b + i, codes.size() - 1)];  // pad with the last value
      block[i] = is_signed ? int32_t(c) - 128 : int32_t(c);
    }
    codec::BpcEncodeBlock(block, is_signed, w);
  }
  payload_bits += w.bit_count();
  std::vector<uint8_t> bytes = w.Finish();
  out.insert(out.end(), bytes.begin(), bytes.end());
}

Status EncodeLzChunk(const Model& m, std::span<const uint8_t> codes, std::vector<uint8_t>& out,
                     uint64_t& payload_bits) {
  std::vector<uint8_t> buf;
  if (m.codec == Codec::kLz4) {
    if (codes.size() > uint64_t(LZ4_MAX_INPUT_SIZE)) return InvalidArgumentError("chunk too large for lz4");
    buf.resize(static_cast<size_t>(LZ4_compressBound(static_cast<int>(codes.size()))));
    const int n = LZ4_compress_default(reinterpret_cast<const char*>(codes.data()),
                                       reinterpret_cast<char*>(buf.data()), static_cast<int>(codes.size()),
                                       static_cast<int>(buf.size()));
    if (n <= 0 && !codes.empty()) return InternalError("lz4 compression failed");
    buf.resize(static_cast<size_t>(std::max(n, 0)));
  } else {
    buf.resize(ZSTD_compressBound(codes.size()));
    // One context per thread: creating one per chunk costs more than level 3 coding.
    thread_local std::unique_ptr<ZSTD_CCtx, size_t (*)(ZSTD_CCtx*)> cctx(ZSTD_createCCtx(), ZSTD_freeCCtx);
    if (!cctx) return InternalError("zstd: out of memory");
    const size_t n = ZSTD_compressCCtx(cctx.get(), buf.data(), buf.size(), codes.data(), codes.size(),
                                       m.codec == Codec::kZstd3 ? 3 : 19);
    if (ZSTD_isError(n)) return InternalError(std::string("zstd: ") + ZSTD_getErrorName(n));
    buf.resize(n);
  }
  out.insert(out.end(), buf.begin(), buf.end());
  payload_bits += 8 * buf.size();
  return Status::Ok();
}

Status EncodeChunk(const Model& m, std::span<const uint8_t> codes, std::vector<uint8_t>& out,
                   uint64_t& payload_bits) {
  switch (m.codec) {
    case Codec::kAtalanta: return EncodeAtalantaChunk(m, codes, out, payload_bits);
    case Codec::kAtalantaRans: return EncodeAtalantaRansChunk(m, codes, out, payload_bits);
    case Codec::kAtalantaOrder0: return EncodeOrder0Chunk(m, codes, out, payload_bits);
    case Codec::kHuffman: return EncodeHuffmanChunk(m, codes, out, payload_bits);
    case Codec::kZeroRle: EncodeZeroRleChunk(m, codes, out, payload_bits); return Status::Ok();
    case Codec::kZvc: EncodeZvcChunk(m, codes, out, payload_bits); return Status::Ok();
    case Codec::kCsr:
    case Codec::kCsc: EncodeSparseMatrix(m, codes, out, payload_bits); return Status::Ok();
    case Codec::kBpc: EncodeBpcChunk(m, codes, out, payload_bits); return Status::Ok();
    case Codec::kZstd3:
    case Codec::kZstd19:
    case Codec::kLz4: return EncodeLzChunk(m, codes, out, payload_bits);
  }
  return InternalError("unknown codec");
}

// Builds the per-tensor model and writes the codec's parameters.
Status BuildModel(Model& m, std::span<const uint8_t> codes, std::vector<uint8_t>& params) {
  const CodecOptions& o = m.options;
  switch (m.codec) {
    case Codec::kAtalanta:
    case Codec::kAtalantaRans: {
      AtalantaTable t;
      if (m.codec == Codec::kAtalantaRans) {
        const int p = codec::AtalantaRansPrecision(o.precision_bits, o.atalanta_ranges);
        TP_ASSIGN_OR_RETURN(t, BuildAtalantaTable(Histogram(codes), o, p, codec::AtalantaRansMaxOffsetBits(p)));
      } else {
        TP_ASSIGN_OR_RETURN(t, BuildAtalantaTable(Histogram(codes), o));
      }
      m.arith = {o.register_bits, t.precision_bits};
      m.freqs = t.frequency;
      m.offset_bits = t.offset_bits;
      m.symbol_of.resize(256);
      m.offset_of.resize(256);
      for (size_t r = 0; r < t.range_start.size(); ++r) {
        const int end = r + 1 < t.range_start.size() ? t.range_start[r + 1] : 256;
        for (int v = t.range_start[r]; v < end; ++v) {
          m.symbol_of[v] = static_cast<uint8_t>(r);
          m.offset_of[v] = static_cast<uint8_t>(v - t.range_start[r]);
        }
      }
      params.push_back(static_cast<uint8_t>(t.precision_bits));
      params.push_back(static_cast<uint8_t>(o.register_bits));
      params.push_back(static_cast<uint8_t>(t.range_start.size()));
      BitWriter w;
      for (size_t r = 0; r < t.range_start.size(); ++r) {
        w.Write(t.range_start[r], 8);
        w.Write(t.frequency[r], codec::AtalantaFrequencyBits(t.precision_bits));
      }
      std::vector<uint8_t> bits = w.Finish();
      params.insert(params.end(), bits.begin(), bits.end());
      return Status::Ok();
    }
    case Codec::kAtalantaOrder0: {
      // Beyond the hardware constraint: 256 symbols, 32-bit registers, and the
      // precision that minimises coded symbols + table.
      std::vector<uint64_t> hist = Histogram(codes);
      if (codes.empty()) hist[0] = 1;
      double best_bits = INFINITY;
      for (int p = entropy::kMinPrecisionBits; p <= entropy::kMaxPrecisionBits; ++p) {
        TP_ASSIGN_OR_RETURN(std::vector<uint32_t> f, entropy::NormalizeFrequencies(hist, p));
        double bits = entropy::IdealCodedBits(hist, f, p);
        for (uint32_t x : f) bits += GammaBits(x + 1);
        if (bits < best_bits) {
          best_bits = bits;
          m.freqs = std::move(f);
          m.arith = {32, p};
        }
      }
      params.push_back(static_cast<uint8_t>(m.arith.precision_bits));
      params.push_back(static_cast<uint8_t>(m.arith.register_bits));
      BitWriter w;
      for (uint32_t x : m.freqs) WriteGamma(w, x + 1);
      std::vector<uint8_t> bits = w.Finish();
      params.insert(params.end(), bits.begin(), bits.end());
      return Status::Ok();
    }
    case Codec::kHuffman: {
      std::vector<uint64_t> hist = Histogram(codes);
      if (codes.empty()) hist[0] = 1;
      TP_ASSIGN_OR_RETURN(m.lengths, entropy::HuffmanCodeLengths(hist));
      for (int s = 0; s < 256; s += 2) params.push_back(static_cast<uint8_t>(m.lengths[s] | m.lengths[s + 1] << 4));
      return Status::Ok();
    }
    case Codec::kCsr:
    case Codec::kCsc: {
      m.rows = o.rows ? o.rows : 1;
      if (codes.size() % m.rows != 0)
        return InvalidArgumentError(std::to_string(codes.size()) + " values do not fill " +
                                    std::to_string(m.rows) + " rows");
      m.cols = codes.size() / m.rows;
      if (m.rows >= (uint64_t(1) << 31) || m.cols >= (uint64_t(1) << 31))
        return InvalidArgumentError("CSR/CSC matrix dimensions must be below 2^31");
      PutLE<uint64_t>(params, m.rows);
      PutLE<uint64_t>(params, m.cols);
      return Status::Ok();
    }
    default:
      return Status::Ok();
  }
}

}  // namespace

StatusOr<AtalantaTable> ProfileAtalanta(std::span<const uint8_t> codes, const CodecOptions& options) {
  TP_RETURN_IF_ERROR(ValidateCodecOptions(options));
  return BuildAtalantaTable(Histogram(codes), options);
}

StatusOr<EncodedStream> EncodeCodes(Codec codec, std::span<const uint8_t> codes, const CodecOptions& options) {
  TP_RETURN_IF_ERROR(ValidateCodecOptions(options));
  if (CodecName(codec) == "unknown") return InvalidArgumentError("unknown codec");
  Model m;
  m.codec = codec;
  m.options = options;
  m.zero_code = ZeroCode(options);
  std::vector<uint8_t> params;
  TP_RETURN_IF_ERROR(BuildModel(m, codes, params));

  const bool whole = codec == Codec::kCsr || codec == Codec::kCsc;
  uint64_t chunk_values = whole ? std::max<uint64_t>(codes.size(), 1) : options.chunk_values;
  if (chunk_values > codec::kMaxChunkValues)
    return InvalidArgumentError("tensor of " + std::to_string(codes.size()) + " values is too large for " +
                                std::string(CodecName(codec)));
  const uint64_t chunks = (codes.size() + chunk_values - 1) / chunk_values;
  if (chunks > UINT32_MAX) return InvalidArgumentError("too many chunks");
  std::vector<std::vector<uint8_t>> chunk_bytes(chunks);
  std::vector<uint64_t> chunk_payload(chunks, 0);
  std::vector<Status> chunk_status(chunks);
  ParallelFor(chunks, options.threads, [&](size_t c) {
    const uint64_t begin = c * chunk_values, end = std::min<uint64_t>(begin + chunk_values, codes.size());
    chunk_status[c] = EncodeChunk(m, codes.subspan(begin, end - begin), chunk_bytes[c], chunk_payload[c]);
  });
  EncodedStream s;
  s.codec = codec;
  std::vector<uint8_t>& out = s.bytes;
  out.push_back(static_cast<uint8_t>(codec));
  out.push_back(codec == Codec::kAtalantaRans ? codec::kRansStreamVersion : codec::kStreamVersion);
  out.push_back(options.signed_codes ? codec::kFlagSignedCodes : 0);
  out.push_back(static_cast<uint8_t>(m.zero_code));
  PutLE<uint64_t>(out, codes.size());
  PutLE<uint32_t>(out, static_cast<uint32_t>(chunk_values));
  PutLE<uint32_t>(out, static_cast<uint32_t>(chunks));
  PutLE<uint32_t>(out, static_cast<uint32_t>(params.size()));
  out.insert(out.end(), params.begin(), params.end());
  for (uint64_t c = 0; c < chunks; ++c) {
    TP_RETURN_IF_ERROR(chunk_status[c]);
    if (chunk_bytes[c].size() > UINT32_MAX) return InternalError("chunk above 4 GiB");
    PutLE<uint32_t>(out, static_cast<uint32_t>(chunk_bytes[c].size()));
    s.payload_bits += chunk_payload[c];
  }
  for (const auto& b : chunk_bytes) out.insert(out.end(), b.begin(), b.end());
  return s;
}

}  // namespace tp
