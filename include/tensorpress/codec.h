// Lossless coding of 8-bit tensor codes: Atalanta and the baselines it is
// measured against.
//
// ---- Design ----
// Every codec works on *codes*: one unsigned byte per value. Unsigned 8-bit
// tensors are their own codes; a signed int8 tensor is mapped to codes by
// adding 128 (code = value + 128, i.e. value ^ 0x80; SignedToCodes), so that
// value order is code order and the contiguous ranges of Atalanta stay
// contiguous. Codecs that care about "zero" (zero-RLE, ZVC, CSR, CSC) use the
// code of the real value zero, `zero_code`: 128 for signed tensors, the zero
// point for asymmetric activations.
//
// A codec turns n codes into one self-describing stream: a small header
// (codec, format version, value count, chunk size), the codec's tables, a
// chunk index (the byte size of every chunk) and the chunks. Chunks of
// `chunk_values` codes are coded independently with the tensor's one table,
// so chunks decode in parallel and any chunk can be decoded alone. CSR and
// CSC code the whole tensor as one matrix and one chunk.
//
// Two sizes are reported per stream: `payload_bits` counts the coded data
// only (symbols, offsets, indices: no tables, headers or chunk index), and
// the stream's byte size counts everything a decoder needs.
//
// Atalanta (ASPLOS 2024): the 256 codes are cut into at most K contiguous
// ranges; a value is sent as its range's symbol (arithmetic-coded with a
// static P-bit table, integer coder with W-bit registers) followed by its
// offset in the range, raw, in ceil(log2(size)) bits. ProfileAtalanta picks
// the ranges by dynamic programming so that symbols + offsets + table bits
// are minimal. `atalanta-rans` codes the same kind of model with interleaved
// rANS, each offset folded into the rANS state after its symbol (same w bits
// per offset), which limits its ranges to 2^(16-P) codes and may lower P
// (docs/lossless.md); `atalanta-order0` gives each of the 256 codes its own
// symbol.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "tensorpress/quant.h"
#include "tensorpress/status.h"
#include "tensorpress/tensor.h"

namespace tp {

enum class Codec : uint8_t {
  kAtalanta = 1,
  kAtalantaOrder0 = 2,
  kAtalantaRans = 3,
  kHuffman = 4,
  kZeroRle = 5,
  kZvc = 6,
  kCsr = 7,
  kCsc = 8,
  kBpc = 9,
  kZstd3 = 10,
  kZstd19 = 11,
  kLz4 = 12,
  kRans = 13,  // order-0 interleaved rANS over the 256 byte values (byte and float-field planes)
};

// Every codec, in report order.
std::span<const Codec> AllCodecs();
// "atalanta", "atalanta-order0", "atalanta-rans", "huffman", "zero_rle",
// "zvc", "csr", "csc", "bpc", "zstd-3", "zstd-19", "lz4", "rans".
std::string_view CodecName(Codec codec);
std::optional<Codec> CodecFromName(std::string_view name);

struct CodecOptions {
  int atalanta_ranges = 16;       // K, 1..64 (8 as in the paper's slides, 16 by default)
  int precision_bits = 10;        // P of Atalanta's table, 8..15 (atalanta-rans: at most 16 - log2(256/K))
  int register_bits = 16;         // W of the arithmetic coder, P+2..32
  uint32_t chunk_values = 32768;  // codes per independent chunk, >= 1
  bool signed_codes = false;      // codes are int8 values + 128 (BPC codes the signed values)
  int zero_code = -1;             // code of real zero; -1: 128 if signed_codes, else 0
  uint64_t rows = 0;              // CSR/CSC: rows of the matrix (0: one row)
  int threads = 1;                // chunks coded in parallel (0: all cores)
};
// The defaults above (astc-encoder's *_init idiom).
CodecOptions DefaultCodecOptions();
Status ValidateCodecOptions(const CodecOptions& options);

struct EncodedStream {
  Codec codec = Codec::kAtalanta;
  std::vector<uint8_t> bytes;  // the whole stream: header, tables, chunk index, chunks
  uint64_t payload_bits = 0;   // coded data only
};

StatusOr<EncodedStream> EncodeCodes(Codec codec, std::span<const uint8_t> codes,
                                    const CodecOptions& options);

// Decodes a stream of any codec. The stream must hold exactly
// `expected_values` codes (the caller's bound on memory); corrupt or
// truncated streams give CorruptDataError, never wrong data from a stream
// whose structure fails its checks. threads: 0 = all cores.
Status DecodeCodes(std::span<const uint8_t> stream, std::span<uint8_t> codes, int threads = 1);

// Decodes only codes [begin, begin + codes.size()) of a stream, decoding just
// the chunks they touch (a partly covered chunk is decoded whole into scratch
// memory). A range past the stream's end is CorruptDataError.
Status DecodeCodeRange(std::span<const uint8_t> stream, uint64_t begin, std::span<uint8_t> codes,
                       int threads = 1);

// The codec a stream was written with (its first byte), without decoding.
StatusOr<Codec> StreamCodec(std::span<const uint8_t> stream);

// A stream's value count and chunking, from its checked header and chunk index.
struct StreamInfo {
  Codec codec = Codec::kAtalanta;
  uint64_t values = 0;
  uint32_t chunk_values = 0;
  uint32_t chunks = 0;
};
StatusOr<StreamInfo> GetStreamInfo(std::span<const uint8_t> stream);

// Where a stream's parts lie, after checking its header and chunk index:
// the first span is the header (with tables and chunk index), then one span
// per chunk, in order. Containers checksum these.
struct StreamSpan {
  uint64_t offset = 0, size = 0;
};
StatusOr<std::vector<StreamSpan>> StreamChunkSpans(std::span<const uint8_t> stream);

// Atalanta's table for these codes, as the profiler chooses it.
struct AtalantaTable {
  std::vector<uint16_t> range_start;  // first code of each range; ranges tile range_start[0]..end_code-1
  int end_code = 256;                 // one past the last range (codes outside the ranges never occur)
  std::vector<uint8_t> offset_bits;   // ceil(log2(size)) per range
  std::vector<uint32_t> frequency;    // P-bit frequencies, sum 2^P
  int precision_bits = 0;
  double estimated_bits = 0;          // profiler's cost: symbols (ideal) + offsets + table
  uint64_t table_bits = 0;            // the table's share of it
};
StatusOr<AtalantaTable> ProfileAtalanta(std::span<const uint8_t> codes, const CodecOptions& options);

// code = value + 128.
void SignedToCodes(std::span<const int8_t> values, std::span<uint8_t> codes);
// Order-0 empirical entropy of the codes, in bits per value.
double EntropyBitsPerValue(std::span<const uint8_t> codes);

// ---- Choosing a codec from a histogram ----
// A container that cuts tensors into byte-plane chunks picks each chunk's
// codec from its 256-bin histogram alone, without trial encodes.

// histogram[v] = number of bytes equal to v (overwritten, not added to).
// Several counting tables, so repeated bytes do not serialise on one counter.
void Histogram256(std::span<const uint8_t> bytes, std::span<uint64_t, 256> histogram);

// The byte size of EncodeCodes(codec, codes, options).bytes for codes with
// this histogram, without encoding (microseconds: the codec's table is built
// from the histogram, nothing is coded). Supported: rans, huffman,
// atalanta-rans, atalanta-order0; other codecs are kUnsupported.
//   huffman: an upper bound, over by at most one padding byte per stream
//     of every chunk (eight streams from 16384 values a chunk, four below;
//     chunk-index varints bounded).
//   rans, atalanta-rans, atalanta-order0: every header, table and state byte
//     exactly, plus the ideal coded size under the stream's own quantised
//     table (sum of count * (P - log2 freq), plus raw offset bits), rounded
//     up. The coders' real output stays at or below it: rANS's final states
//     carry up to 16 bits of the data per lane (so the real size is up to
//     64 bytes lower per chunk), the arithmetic coder's flush is counted as
//     4 bytes. codec/rans_codec_test.cc checks real <= estimate <= real +
//     0.02% + 64 bytes on real and adversarial planes.
//   With several chunks (chunk_values < values) every chunk's states and
//   word rounding and a bound on each chunk-index varint are added: still an
//   upper bound, looser by up to ~72 bytes per chunk.
StatusOr<uint64_t> EstimateStreamBytes(Codec codec, std::span<const uint64_t, 256> histogram,
                                       const CodecOptions& options);


// ---- From tensors to codes ----

struct PrepareOptions {
  // Quantize float tensors to 8 bits first (otherwise they are rejected):
  // weights symmetric int8 per output channel, activations asymmetric uint8
  // per tensor (min/max of the tensor itself). See tensorpress/quant.h.
  bool quantize_int8 = false;
  // Treat every float tensor as an activation (else only names ending ".input").
  bool all_activations = false;
  // The file is a Keras-layout safetensors file: 2-D/4-D tensors named
  // "*kernel*" keep output channels on their last axis.
  bool keras_safetensors = false;
  // Weight scales per output channel (default) or one per tensor.
  WeightGranularity weight_granularity = WeightGranularity::kChannel;
};

// A tensor's values as codes, with what the codecs need to know about them.
struct TensorCodes {
  std::vector<uint8_t> codes;
  bool signed_codes = false;  // code = value + 128
  int zero_code = 0;          // code of real zero
  uint64_t rows = 1;          // CSR/CSC view: shape[0] x (the rest); 1 row below rank 2
  std::string coded_dtype;    // "i8" or "u8"
  bool quantized = false;     // a lossy quantization step produced the codes
  std::string plane_name;     // PrepareBlockFieldPlanes: the block field ("d.hi", "qs", ...)
};

// Integer tensors of any width whose values fit in int8 (signed codes) or
// uint8 are taken as they are; bool as 0/1; float tensors only with
// quantize_int8. Anything else is kUnsupported, naming the tensor.
StatusOr<TensorCodes> PrepareCodes(const Tensor& tensor, const PrepareOptions& options);

// The quantization PrepareCodes applies to a float tensor (the lossy step),
// as a tensor carrying its QuantParams.
StatusOr<Tensor> QuantizeForCoding(const Tensor& tensor, const PrepareOptions& options);

// Lossless coding of float tensors (f64, f32, f16, bf16): byte plane k holds
// byte k (little-endian) of every element, so the last plane carries the sign
// and the high exponent bits, where trained weights are most redundant. Each
// plane is coded on its own as unsigned codes.
StatusOr<std::vector<TensorCodes>> PrepareBytePlanes(const Tensor& tensor);

// Lossless coding of GGUF block-quantized tensors (q4_k, q6_k, iq2_xs, ...):
// one plane per block field (fp16 scale low/high bytes, packed sub-scales,
// nibbles, high bits, signs; src/codec/block_fields.h), each gathered over
// all blocks and coded on its own as unsigned codes; `plane_name` names the
// field. The planes are a permutation of the tensor's bytes.
StatusOr<std::vector<TensorCodes>> PrepareBlockFieldPlanes(const Tensor& tensor);

}  // namespace tp
