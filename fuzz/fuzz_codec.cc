// Fuzzes the codec stream decoder (every codec; atalanta-rans with each of
// its group loops): any bytes decode or fail with a clean error, and so does any slice of it (DecodeCodeRange); and
// any codes round-trip through any codec.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "codec/dec_rans_simd.h"
#include "tensorpress/codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // 1. The input as a stream; the value count it declares (a varint after
  // the flags and the optional zero code), capped.
  uint64_t values = 0;
  size_t at = size >= 3 && (data[2] & 2) ? 4 : 3;
  for (int shift = 0; at < size && shift < 64; shift += 7, ++at) {
    values |= uint64_t(data[at] & 0x7f) << shift;
    if (!(data[at] & 0x80)) break;
  }
  if (values <= (1u << 20)) {
    std::vector<uint8_t> out(values);
    tp::Status st = tp::DecodeCodes({data, size}, out);
    if (!st.ok() && st.code() != tp::StatusCode::kCorruptData) abort();
    // atalanta-rans: every group loop this CPU has gives the scalar loop's
    // verdict and codes (other codecs ignore the choice).
    for (tp::codec::RansKernel k : tp::codec::SupportedRansKernels()) {
      std::vector<uint8_t> other(values);
      tp::codec::SetRansKernelForTesting(k);
      const tp::Status sk = tp::DecodeCodes({data, size}, other);
      tp::codec::SetRansKernelForTesting(tp::codec::RansKernel::kBest);
      if (sk.ok() != st.ok() || (st.ok() && other != out)) abort();
    }
    // A slice decodes to the same codes as the whole, or fails cleanly.
    const uint64_t begin = values / 3, count = values / 2;
    std::vector<uint8_t> part(count);
    tp::Status sp = tp::DecodeCodeRange({data, size}, begin, part);
    if (!sp.ok() && sp.code() != tp::StatusCode::kCorruptData) abort();
    if (st.ok() && (!sp.ok() || !std::equal(part.begin(), part.end(), out.begin() + std::ptrdiff_t(begin)))) abort();
  }
  // 2. Round trip: first byte picks the codec and options, the rest are codes.
  if (size < 2) return 0;
  const auto codecs = tp::AllCodecs();
  const tp::Codec codec = codecs[data[0] % codecs.size()];
  tp::CodecOptions o;
  o.signed_codes = data[1] & 1;
  o.atalanta_ranges = (data[1] & 2) ? 8 : 16;
  o.chunk_values = (data[1] & 4) ? 64 : 32768;
  std::vector<uint8_t> codes(data + 2, data + size);
  o.rows = codes.size() % 4 == 0 && !codes.empty() ? 4 : 1;
  auto enc = tp::EncodeCodes(codec, codes, o);
  if (!enc.ok()) abort();
  std::vector<uint8_t> back(codes.size());
  if (!tp::DecodeCodes(enc->bytes, back).ok() || back != codes) abort();
  return 0;
}
