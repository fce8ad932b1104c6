// Codec names, options and the small helpers of include/tensorpress/codec.h.
#include <array>
#include <cmath>
#include <string>

#include "codec/codec_format.h"
#include "entropy/frequency.h"
#include "tensorpress/codec.h"

namespace tp {
namespace {

constexpr std::array<Codec, 13> kAllCodecs = {
    Codec::kAtalanta, Codec::kAtalantaOrder0, Codec::kAtalantaRans, Codec::kHuffman,
    Codec::kZeroRle,  Codec::kZvc,            Codec::kCsr,          Codec::kCsc,
    Codec::kBpc,      Codec::kZstd3,          Codec::kZstd19,       Codec::kLz4,
    Codec::kRans};

}  // namespace

std::span<const Codec> AllCodecs() { return kAllCodecs; }

std::string_view CodecName(Codec codec) {
  switch (codec) {
    case Codec::kAtalanta: return "atalanta";
    case Codec::kAtalantaOrder0: return "atalanta-order0";
    case Codec::kAtalantaRans: return "atalanta-rans";
    case Codec::kHuffman: return "huffman";
    case Codec::kZeroRle: return "zero_rle";
    case Codec::kZvc: return "zvc";
    case Codec::kCsr: return "csr";
    case Codec::kCsc: return "csc";
    case Codec::kBpc: return "bpc";
    case Codec::kZstd3: return "zstd-3";
    case Codec::kZstd19: return "zstd-19";
    case Codec::kLz4: return "lz4";
    case Codec::kRans: return "rans";
  }
  return "unknown";
}

std::optional<Codec> CodecFromName(std::string_view name) {
  for (Codec c : kAllCodecs)
    if (CodecName(c) == name) return c;
  return std::nullopt;
}

CodecOptions DefaultCodecOptions() { return CodecOptions{}; }

Status ValidateCodecOptions(const CodecOptions& o) {
  if (o.atalanta_ranges < 1 || o.atalanta_ranges > codec::kMaxAtalantaRanges)
    return InvalidArgumentError("Atalanta ranges must be 1.." + std::to_string(codec::kMaxAtalantaRanges) +
                                ", got " + std::to_string(o.atalanta_ranges));
  if (o.precision_bits < entropy::kMinPrecisionBits || o.precision_bits > entropy::kMaxPrecisionBits)
    return InvalidArgumentError("precision bits must be 8..15, got " + std::to_string(o.precision_bits));
  if (o.register_bits < o.precision_bits + 2 || o.register_bits > 32)
    return InvalidArgumentError("register bits must be " + std::to_string(o.precision_bits + 2) +
                                "..32 for " + std::to_string(o.precision_bits) +
                                "-bit frequencies, got " + std::to_string(o.register_bits));
  if (o.chunk_values < 1 || o.chunk_values > codec::kMaxChunkValues)
    return InvalidArgumentError("chunk values must be 1..2^30, got " + std::to_string(o.chunk_values));
  if (o.zero_code < -1 || o.zero_code > 255)
    return InvalidArgumentError("zero code must be -1 (automatic) or 0..255");
  if (o.threads < 0) return InvalidArgumentError("threads must be >= 0");
  return Status::Ok();
}

StatusOr<Codec> StreamCodec(std::span<const uint8_t> stream) {
  if (stream.empty()) return CorruptDataError("codec stream is empty");
  for (Codec c : kAllCodecs)
    if (static_cast<uint8_t>(c) == stream[0]) return c;
  return CorruptDataError("unknown codec id " + std::to_string(stream[0]));
}

void SignedToCodes(std::span<const int8_t> values, std::span<uint8_t> codes) {
  for (size_t i = 0; i < values.size() && i < codes.size(); ++i)
    codes[i] = static_cast<uint8_t>(static_cast<uint8_t>(values[i]) ^ 0x80u);
}

double EntropyBitsPerValue(std::span<const uint8_t> codes) {
  if (codes.empty()) return 0;
  std::array<uint64_t, 256> hist;
  Histogram256(codes, hist);
  return entropy::EntropyBits(hist) / double(codes.size());
}

}  // namespace tp
