// Encoders of every codec in include/tensorpress/codec.h. The stream layout is
// in codec_format.h; decoders are in dec_codec.cc.
#include <lz4.h>
#include <zstd.h>

#include <bit>
#include <cmath>
#include <memory>
#include <string>

#include "codec/atalanta_table.h"
#include "codec/codec_format.h"
#include "codec/enc_bpc.h"
#include "tensorpress/parallel.h"
#include "codec/profiler.h"
#include "entropy/bit_io.h"
#include "entropy/enc_arith.h"
#include "entropy/enc_huffman.h"
#include "entropy/enc_rans.h"
#include "entropy/enc_rans_fast.h"
#include "entropy/frequency.h"
#include "tensorpress/codec.h"

namespace tp {
namespace {

using codec::PutLE;
using entropy::BitWriter;

std::vector<uint64_t> Histogram(std::span<const uint8_t> codes) {
  std::vector<uint64_t> h(256, 0);
  Histogram256(codes, std::span<uint64_t, 256>(h.data(), 256));
  return h;
}

int ZeroCode(const CodecOptions& o) { return o.zero_code >= 0 ? o.zero_code : (o.signed_codes ? 128 : 0); }

// Everything the chunk encoders share, computed once per tensor.
struct Model {
  Codec codec;
  CodecOptions options;
  int zero_code = 0;
  // Atalanta: code -> (symbol, offset), the range table and coder settings.
  std::vector<uint8_t> symbol_of, offset_of, offset_bits;
  std::vector<uint32_t> freqs;
  entropy::ArithConfig arith;
  // atalanta-rans and rans: the rANS encoder's per-code table.
  entropy::RansCodeEncoder rans;
  // Huffman.
  std::vector<uint8_t> lengths;
  // CSR/CSC.
  uint64_t rows = 0, cols = 0;
};

// The profiler's table in both forms: the public one and the stream's fields.
struct BuiltTable {
  AtalantaTable table;
  codec::AtalantaTableFields fields;
};

// `precision_bits` and `max_offset_bits` default to Atalanta's own (P from
// the options, offsets up to 8 bits); atalanta-rans passes its own. Fails
// only if no cut into non-empty ranges obeys the offset cap.
StatusOr<BuiltTable> BuildAtalantaTable(std::span<const uint64_t> hist_in, uint64_t values, const CodecOptions& o,
                                        int precision_bits = 0, int max_offset_bits = 8) {
  if (precision_bits == 0) precision_bits = o.precision_bits;
  std::vector<uint64_t> hist(hist_in.begin(), hist_in.end());
  bool empty = true;
  for (uint64_t c : hist) empty = empty && c == 0;
  if (empty) hist[0] = 1;  // an empty tensor still gets a valid table
  const int table_precision = codec::AtalantaTablePrecision(precision_bits, values);
  // Two candidates, each optimal for its own table cost: ranges tiling all
  // 256 codes, or only the codes from the first to the last that occur
  // (16 bits more of table, and no range spent on empty edges).
  int first = 0, last = 255;
  while (hist[first] == 0) ++first;
  while (hist[last] == 0) --last;
  // (One cost table serves both programmes: profiler.h.)
  auto [part, part_used] = codec::OptimalPartitionsAllAndUsed(
      hist, first, last, o.atalanta_ranges,
      codec::SerializedTableCost(table_precision, codec::AtalantaFixedBits(precision_bits, o.register_bits, true)),
      codec::SerializedTableCost(table_precision, codec::AtalantaFixedBits(precision_bits, o.register_bits, false)),
      max_offset_bits);
  int base = 0, end = 256;
  if (part.starts.empty() && part_used.starts.empty()) return InternalError("Atalanta profiler found no partition");
  if (part_used.cost_bits < part.cost_bits || part.starts.empty()) {
    part = std::move(part_used);
    base = first;
    end = last + 1;
  }
  BuiltTable b;
  AtalantaTable& t = b.table;
  codec::AtalantaTableFields& f = b.fields;
  t.precision_bits = f.precision_bits = precision_bits;
  f.register_bits = o.register_bits;
  f.first_code = base;
  t.end_code = end;
  std::vector<uint64_t> counts;
  for (size_t r = 0; r < part.starts.size(); ++r) {
    const int begin = base + part.starts[r];
    const int stop = r + 1 < part.starts.size() ? base + part.starts[r + 1] : end;
    uint64_t c = 0;
    for (int v = begin; v < stop; ++v) c += hist[v];
    counts.push_back(c);
    t.range_start.push_back(static_cast<uint16_t>(begin));
    t.offset_bits.push_back(static_cast<uint8_t>(codec::OffsetBits(static_cast<uint32_t>(stop - begin))));
    f.sizes.push_back(static_cast<uint16_t>(stop - begin));
  }
  TP_ASSIGN_OR_RETURN(t.frequency, entropy::NormalizeFrequencies(counts, table_precision));
  // The implied frequency is the one that would cost most to store.
  int implied_bits = -1;
  for (size_t r = 0; r < t.frequency.size(); ++r) {
    const int bits = codec::GammaBits(t.frequency[r]);
    if (bits > implied_bits) {
      implied_bits = bits;
      f.implied = static_cast<int>(r);
    }
    t.frequency[r] <<= precision_bits - table_precision;
  }
  f.frequency = t.frequency;
  t.table_bits = codec::AtalantaTableBits(f, values);
  // The partition's cost with the table's real size (the profiler estimated
  // each frequency before normalisation).
  std::vector<int> starts;
  for (uint16_t s : t.range_start) starts.push_back(s);
  t.estimated_bits = double(t.table_bits);
  if (!empty) {
    const std::span<const uint64_t> covered(hist.data() + base, size_t(end - base));
    for (int& s : starts) s -= base;
    t.estimated_bits += codec::PartitionCost(covered, starts, codec::FlatTableCost(0));
  }
  return b;
}

// atalanta-rans: offsets ride in the rANS state (P + width <= 16): start
// from the largest P at which K capped ranges can tile the alphabet, and
// lower it further in the rare case that gaps of unused codes leave no cut
// into non-empty capped ranges (P = 8 always has one: one range).
StatusOr<BuiltTable> BuildAtalantaRansTable(std::span<const uint64_t> hist, uint64_t values, const CodecOptions& o) {
  for (int p = codec::AtalantaRansPrecision(o.precision_bits, o.atalanta_ranges);; --p) {
    StatusOr<BuiltTable> b = BuildAtalantaTable(hist, values, o, p, codec::AtalantaRansMaxOffsetBits(p));
    if (b.ok() || p <= entropy::kMinPrecisionBits) return b;
  }
}

// rans: the precision (8..12) that minimises ideal coded bits + table bits.
// Large planes take P = 12 directly (a finer table always pays there, and
// each normalisation costs time every call).
struct RansTable {
  int precision_bits = 0;
  std::vector<uint32_t> freqs;
  double coded_bits = 0;  // ideal coded bits under freqs
};
StatusOr<RansTable> ChooseRansTable(std::vector<uint64_t> hist) {
  uint64_t values = 0;
  for (uint64_t c : hist) values += c;
  if (values == 0) hist[0] = 1;  // an empty plane still gets a valid table
  RansTable best;
  double best_bits = INFINITY;
  const int lowest = values >= (uint64_t(1) << 16) ? entropy::kRansByteMaxPrecisionBits : entropy::kMinPrecisionBits;
  for (int p = entropy::kRansByteMaxPrecisionBits; p >= lowest; --p) {
    TP_ASSIGN_OR_RETURN(std::vector<uint32_t> f, entropy::NormalizeFrequencies(hist, p));
    const double coded = entropy::IdealCodedBits(hist, f, p);
    const double bits = coded + double(codec::Order0TableBits(f));
    if (bits < best_bits) {
      best_bits = bits;
      best = {p, std::move(f), coded};
    }
  }
  return best;
}

// --- Chunk encoders: each appends its chunk to `out` and adds its payload bits. ---

// One bit stream: the coder's bits, flushed so that any bits may follow, then
// the offsets; the decoder finds the boundary itself.
Status EncodeAtalantaChunk(const Model& m, std::span<const uint8_t> codes, std::vector<uint8_t>& out,
                           uint64_t& payload_bits) {
  std::vector<uint8_t> symbols(codes.size());
  for (size_t i = 0; i < codes.size(); ++i) symbols[i] = m.symbol_of[codes[i]];
  BitWriter w;
  TP_RETURN_IF_ERROR(entropy::ArithEncodeBits(symbols, m.freqs, m.arith, entropy::ArithTail::kAnyBits, w));
  for (size_t i = 0; i < codes.size(); ++i) w.Write(m.offset_of[codes[i]], m.offset_bits[symbols[i]]);
  payload_bits += w.bit_count();
  std::vector<uint8_t> bytes = w.Finish();
  out.insert(out.end(), bytes.begin(), bytes.end());
  return Status::Ok();
}

// atalanta-rans and rans: the chunk is one rANS stream (entropy/enc_rans.cc);
// atalanta-rans folds each offset into the state after its symbol, through
// the per-code table built once per tensor.
Status EncodeRansChunk(const Model& m, std::span<const uint8_t> codes, std::vector<uint8_t>& out,
                       uint64_t& payload_bits) {
  const size_t before = out.size();
  TP_RETURN_IF_ERROR(entropy::RansEncodeCodes(m.rans, codes, out));
  payload_bits += 8 * (out.size() - before);
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
  // The eight-stream layout from kHuffmanInterleavedMinSymbols on (huffman_common.h).
  if (codes.size() >= entropy::kHuffmanInterleavedMinSymbols)
    return entropy::HuffmanEncode8(codes, m.lengths, out, &payload_bits);
  return entropy::HuffmanEncode4(codes, m.lengths, out, &payload_bits);
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
    case Codec::kAtalantaRans:
    case Codec::kRans: return EncodeRansChunk(m, codes, out, payload_bits);
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
      const std::vector<uint64_t> hist = Histogram(codes);
      BuiltTable built;
      if (m.codec == Codec::kAtalantaRans) {
        TP_ASSIGN_OR_RETURN(built, BuildAtalantaRansTable(hist, codes.size(), o));
      } else {
        TP_ASSIGN_OR_RETURN(built, BuildAtalantaTable(hist, codes.size(), o));
      }
      const AtalantaTable& t = built.table;
      m.arith = {o.register_bits, t.precision_bits};
      m.freqs = t.frequency;
      m.offset_bits = t.offset_bits;
      m.symbol_of.resize(256);
      m.offset_of.resize(256);
      for (size_t r = 0; r < t.range_start.size(); ++r) {
        const int end = r + 1 < t.range_start.size() ? t.range_start[r + 1] : t.end_code;
        for (int v = t.range_start[r]; v < end; ++v) {
          m.symbol_of[v] = static_cast<uint8_t>(r);
          m.offset_of[v] = static_cast<uint8_t>(v - t.range_start[r]);
        }
      }
      if (m.codec == Codec::kAtalantaRans)
        TP_RETURN_IF_ERROR(entropy::BuildRansCodeEncoder(m.freqs, t.precision_bits, &m.rans, m.symbol_of,
                                                         m.offset_of, m.offset_bits));
      BitWriter w;
      codec::WriteAtalantaTable(built.fields, codes.size(), w);
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
        const double bits = entropy::IdealCodedBits(hist, f, p) + double(codec::Order0TableBits(f));
        if (bits < best_bits) {
          best_bits = bits;
          m.freqs = std::move(f);
          m.arith = {32, p};
        }
      }
      BitWriter w;
      codec::WriteOrder0Table(m.arith.precision_bits, m.arith.register_bits, m.freqs, w);
      std::vector<uint8_t> bits = w.Finish();
      params.insert(params.end(), bits.begin(), bits.end());
      return Status::Ok();
    }
    case Codec::kRans: {
      TP_ASSIGN_OR_RETURN(const RansTable t, ChooseRansTable(Histogram(codes)));
      m.freqs = t.freqs;
      TP_RETURN_IF_ERROR(entropy::BuildRansCodeEncoder(m.freqs, t.precision_bits, &m.rans));
      BitWriter w;
      codec::WriteOrder0Table(t.precision_bits, 32, m.freqs, w);
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

// The stream's header and parameters (codec_format.h).
void WriteStreamHeader(Codec codec, const CodecOptions& options, uint64_t values, uint64_t chunk_values,
                       std::span<const uint8_t> params, std::vector<uint8_t>& out) {
  const int zero_code = ZeroCode(options);
  out.push_back(static_cast<uint8_t>(codec));
  out.push_back(codec::StreamVersionOf(codec));
  const bool default_zero = zero_code == (options.signed_codes ? 128 : 0);
  const bool one_chunk = chunk_values == std::max<uint64_t>(values, 1);
  out.push_back(static_cast<uint8_t>((options.signed_codes ? codec::kFlagSignedCodes : 0) |
                                     (default_zero ? 0 : codec::kFlagZeroCode) |
                                     (one_chunk ? codec::kFlagOneChunk : 0)));
  if (!default_zero) out.push_back(static_cast<uint8_t>(zero_code));
  codec::PutVarint(out, values);
  if (!one_chunk) codec::PutVarint(out, chunk_values);
  codec::PutVarint(out, params.size());
  out.insert(out.end(), params.begin(), params.end());
}

uint64_t VarintBytes(uint64_t v) {
  uint64_t n = 1;
  while (v >= 0x80) v >>= 7, ++n;
  return n;
}

}  // namespace

StatusOr<uint64_t> EstimateStreamBytes(Codec codec, std::span<const uint64_t, 256> histogram,
                                       const CodecOptions& options) {
  TP_RETURN_IF_ERROR(ValidateCodecOptions(options));
  std::vector<uint64_t> hist(histogram.begin(), histogram.end());
  uint64_t values = 0;
  for (uint64_t c : hist) values += c;
  const uint64_t chunk_values = std::max<uint64_t>(1, std::min<uint64_t>(options.chunk_values, values));
  const uint64_t chunks = (values + chunk_values - 1) / chunk_values;
  std::vector<uint8_t> params;
  // Payload: ideal bits of the symbols (and raw bits) under the stream's own table.
  double coded_bits = 0;
  uint64_t per_chunk_bytes = 0;
  switch (codec) {
    case Codec::kRans: {
      TP_ASSIGN_OR_RETURN(const RansTable t, ChooseRansTable(hist));
      BitWriter w;
      codec::WriteOrder0Table(t.precision_bits, 32, t.freqs, w);
      params = w.Finish();
      coded_bits = t.coded_bits;
      per_chunk_bytes = 4 * entropy::kRansLanes;  // the final states
      break;
    }
    case Codec::kAtalantaRans: {
      TP_ASSIGN_OR_RETURN(const BuiltTable built, BuildAtalantaRansTable(hist, values, options));
      BitWriter w;
      codec::WriteAtalantaTable(built.fields, values, w);
      params = w.Finish();
      const AtalantaTable& t = built.table;
      for (size_t r = 0; r < t.range_start.size(); ++r) {
        const int end = r + 1 < t.range_start.size() ? t.range_start[r + 1] : t.end_code;
        uint64_t count = 0;
        for (int v = t.range_start[r]; v < end; ++v) count += hist[v];
        if (count == 0) continue;
        coded_bits += double(count) * (t.precision_bits - std::log2(double(t.frequency[r])) + t.offset_bits[r]);
      }
      per_chunk_bytes = 4 * entropy::kRansLanes;
      break;
    }
    case Codec::kAtalantaOrder0: {
      if (values == 0) hist[0] = 1;
      double best_bits = INFINITY;
      int best_p = 0;
      std::vector<uint32_t> best_f;
      for (int p = entropy::kMinPrecisionBits; p <= entropy::kMaxPrecisionBits; ++p) {
        TP_ASSIGN_OR_RETURN(std::vector<uint32_t> f, entropy::NormalizeFrequencies(hist, p));
        const double ideal = entropy::IdealCodedBits(hist, f, p);
        const double bits = ideal + double(codec::Order0TableBits(f));
        if (bits < best_bits) {
          best_bits = bits;
          best_p = p;
          best_f = std::move(f);
          coded_bits = ideal;
        }
      }
      if (values == 0) coded_bits = 0;
      BitWriter w;
      codec::WriteOrder0Table(best_p, 32, best_f, w);
      params = w.Finish();
      per_chunk_bytes = 4;  // the arithmetic coder's flush (32-bit register)
      break;
    }
    case Codec::kHuffman: {
      std::vector<uint64_t> h = hist;
      if (values == 0) h[0] = 1;
      TP_ASSIGN_OR_RETURN(std::vector<uint8_t> lengths, entropy::HuffmanCodeLengths(h));
      for (int s = 0; s < 256; s += 2) params.push_back(static_cast<uint8_t>(lengths[s] | lengths[s + 1] << 4));
      uint64_t bits = 0;
      for (int s = 0; s < 256; ++s) bits += hist[s] * lengths[s];
      // Every chunk holds its stream sizes and pads each of its streams to a
      // byte (eight streams from kHuffmanInterleavedMinSymbols on, else
      // four): an upper bound, over by less than 8 bytes a chunk.
      std::vector<uint8_t> header;
      WriteStreamHeader(codec, options, values, chunk_values, params, header);
      uint64_t index = 0;
      if (chunks > 1) index = (chunks - 1) * VarintBytes(std::max<uint64_t>(1, (chunk_values * 15 + 7) / 8));
      return header.size() + index + bits / 8 + chunks * (chunk_values >= entropy::kHuffmanInterleavedMinSymbols
                                              ? entropy::kHuffmanInterleavedSizesBytes + entropy::kHuffmanInterleavedStreams
                                              : entropy::kHuffmanStreamSizesBytes + entropy::kHuffmanStreams);
    }
    default:
      return UnsupportedError(std::string(CodecName(codec)) + " has no size estimate from a histogram");
  }
  std::vector<uint8_t> header;
  WriteStreamHeader(codec, options, values, chunk_values, params, header);
  // Several chunks share the table, so their ideal bits add up; each rounds
  // up to whole 16-bit words (or bytes), and each index entry but the last
  // is a varint no longer than that of a chunk's largest possible size.
  uint64_t payload = static_cast<uint64_t>(std::ceil(coded_bits / 8)) + chunks * per_chunk_bytes;
  uint64_t index = 0;
  if (chunks > 1) {
    payload += 2 * chunks;
    index = (chunks - 1) * VarintBytes(2 * chunk_values + per_chunk_bytes + 8);
  }
  return header.size() + index + payload;
}

StatusOr<AtalantaTable> ProfileAtalanta(std::span<const uint8_t> codes, const CodecOptions& options) {
  TP_RETURN_IF_ERROR(ValidateCodecOptions(options));
  TP_ASSIGN_OR_RETURN(BuiltTable built, BuildAtalantaTable(Histogram(codes), codes.size(), options));
  return built.table;
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
  // A tensor that fits one chunk declares its own size (a shorter varint).
  uint64_t chunk_values = std::max<uint64_t>(1, whole ? codes.size() : std::min<uint64_t>(options.chunk_values, codes.size()));
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
  size_t total = 0;
  for (const auto& b : chunk_bytes) total += b.size();
  out.reserve(32 + params.size() + 3 * chunks + total);
  WriteStreamHeader(codec, options, codes.size(), chunk_values, params, out);
  for (uint64_t c = 0; c < chunks; ++c) {
    TP_RETURN_IF_ERROR(chunk_status[c]);
    if (c + 1 < chunks) codec::PutVarint(out, chunk_bytes[c].size());
    s.payload_bits += chunk_payload[c];
  }
  for (const auto& b : chunk_bytes) out.insert(out.end(), b.begin(), b.end());
  return s;
}

}  // namespace tp
