// The `rans` codec through the public API, Histogram256, and
// EstimateStreamBytes against real encodes, on real planes (the shared MNIST
// CNN's weights as int8 codes and as bf16 exponent / mantissa planes) and
// adversarial ones.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "tensorpress/codec.h"
#include "tensorpress/model.h"
#include "testing/test_util.h"

namespace tp {
namespace {

struct Plane {
  std::string name;
  std::vector<uint8_t> codes;
  bool signed_codes = false;
};

// The MNIST CNN's dense_1 kernel (1.18 M weights): int8 codes, and its bf16
// planes (exponent = bits 7..14 of the bf16, mantissa = sign | 7 bits).
const std::vector<Plane>& RealPlanes() {
  static const std::vector<Plane> planes = [] {
    std::vector<Plane> out;
    auto t = testing::SharedTensor("mnist-cnn/mnist_cnn.safetensors", "dense_1.kernel");
    if (!t.ok()) return out;
    PrepareOptions p;
    p.quantize_int8 = true;
    p.keras_safetensors = true;
    auto c = PrepareCodes(*t, p);
    if (c.ok()) out.push_back({"dense_1 int8", c->codes, c->signed_codes});
    const auto bytes = t->bytes();
    const size_t n = bytes.size() / 4;
    Plane exponent{"dense_1 bf16 exponent", std::vector<uint8_t>(n)}, mantissa{"dense_1 bf16 mantissa", std::vector<uint8_t>(n)};
    for (size_t i = 0; i < n; ++i) {
      uint32_t f;
      std::memcpy(&f, bytes.data() + 4 * i, 4);
      const uint16_t b = static_cast<uint16_t>(f >> 16);
      exponent.codes[i] = static_cast<uint8_t>(b >> 7);
      mantissa.codes[i] = static_cast<uint8_t>((b & 0x7f) | (b >> 15) << 7);
    }
    out.push_back(std::move(exponent));
    out.push_back(std::move(mantissa));
    return out;
  }();
  return planes;
}

std::vector<Plane> AdversarialPlanes() {
  std::vector<Plane> out;
  out.push_back({"empty", {}});
  out.push_back({"one value", {42}});
  out.push_back({"one symbol", std::vector<uint8_t>(100000, 7)});
  std::vector<uint8_t> all(256 * 300);
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<uint8_t>(i * 31);
  out.push_back({"all 256 uniform", all});
  std::mt19937 rng(3);
  std::vector<uint8_t> random(1 << 20);
  for (auto& x : random) x = static_cast<uint8_t>(rng());
  out.push_back({"random bytes", random});
  std::vector<uint8_t> skew(1 << 18, 0);
  for (int s = 0; s < 256; ++s) skew[size_t(s) * 777] = static_cast<uint8_t>(s);
  out.push_back({"one dominant + 255 rare", skew});
  for (size_t n : {31u, 32u, 33u, 129u, 4097u}) {
    std::vector<uint8_t> v(n);
    for (auto& x : v) x = static_cast<uint8_t>(rng() % 5 * (rng() % 3));
    out.push_back({"short " + std::to_string(n), v});
  }
  return out;
}

TEST(Histogram256, MatchesNaiveCount) {
  std::mt19937 rng(1);
  // Every length up to 70 (the two halves' tails), a few large ones; bytes
  // from few values and bytes that depend on their position.
  std::vector<size_t> sizes;
  for (size_t n = 0; n <= 70; ++n) sizes.push_back(n);
  for (size_t n : {1000u, 100003u, 100008u}) sizes.push_back(n);
  for (size_t n : sizes) {
    std::vector<uint8_t> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(n % 2 ? rng() % (n % 7 + 1) * 37 : i * 13 + (i >> 8));
    std::array<uint64_t, 256> h, naive{};
    h.fill(99);  // overwritten, not added to
    Histogram256(v, h);
    for (uint8_t x : v) ++naive[x];
    EXPECT_EQ(h, naive) << n;
  }
}

TEST(RansCodec, RoundTripsRealAndAdversarialPlanes) {
  std::vector<Plane> planes = AdversarialPlanes();
  for (const Plane& p : RealPlanes()) planes.push_back(p);
  for (const Plane& p : planes) {
    for (uint32_t chunk : {uint32_t(1) << 30, 65536u, 1000u}) {
      CodecOptions o;
      o.chunk_values = chunk;
      o.signed_codes = p.signed_codes;
      auto e = EncodeCodes(Codec::kRans, p.codes, o);
      ASSERT_TRUE(e.ok()) << p.name << ": " << e.status().message();
      std::vector<uint8_t> back(p.codes.size(), 0xEE);
      Status st = DecodeCodes(e->bytes, back, 2);
      ASSERT_TRUE(st.ok()) << p.name << ": " << st.message();
      ASSERT_EQ(back, p.codes) << p.name << " chunk " << chunk;
      if (p.codes.size() > 10) {
        const uint64_t begin = p.codes.size() / 3, len = p.codes.size() / 2;
        std::vector<uint8_t> part(len);
        ASSERT_TRUE(DecodeCodeRange(e->bytes, begin, part).ok());
        EXPECT_TRUE(std::equal(part.begin(), part.end(), p.codes.begin() + std::ptrdiff_t(begin))) << p.name;
      }
    }
  }
}

TEST(RansCodec, CodedSizeWithinATenthOfAPercentOfEntropyOnRealPlanes) {
  const auto& planes = RealPlanes();
  if (planes.empty()) GTEST_SKIP() << "shared MNIST model not found";
  for (const Plane& p : planes) {
    CodecOptions o;
    o.chunk_values = uint32_t(1) << 30;
    auto e = EncodeCodes(Codec::kRans, p.codes, o);
    ASSERT_TRUE(e.ok());
    const double entropy_bytes = EntropyBitsPerValue(p.codes) * double(p.codes.size()) / 8;
    // Everything: header, table, states.
    EXPECT_LT(double(e->bytes.size()), entropy_bytes * 1.003) << p.name << " entropy " << entropy_bytes;
  }
}

TEST(RansCodec, CorruptTableIsRejected) {
  std::vector<uint8_t> codes(5000);
  for (size_t i = 0; i < codes.size(); ++i) codes[i] = static_cast<uint8_t>(i % 17);
  auto e = EncodeCodes(Codec::kRans, codes, CodecOptions{});
  ASSERT_TRUE(e.ok());
  std::mt19937 rng(2);
  for (int trial = 0; trial < 300; ++trial) {
    std::vector<uint8_t> bad = e->bytes;
    bad[3 + rng() % std::min<size_t>(bad.size() - 3, 60)] ^= static_cast<uint8_t>(1 + rng() % 255);
    std::vector<uint8_t> out(codes.size());
    Status st = DecodeCodes(bad, out);
    if (!st.ok()) EXPECT_EQ(st.code(), StatusCode::kCorruptData) << st.message();
  }
}

// EstimateStreamBytes against the real encode: an upper bound within 8 bytes
// for huffman with one chunk, within 64 bytes for the rANS and arithmetic
// coders.
TEST(EstimateStreamBytes, TracksRealEncodes) {
  std::vector<Plane> planes = AdversarialPlanes();
  for (const Plane& p : RealPlanes()) planes.push_back(p);
  for (Codec codec : {Codec::kRans, Codec::kHuffman, Codec::kAtalantaRans, Codec::kAtalantaOrder0}) {
    for (const Plane& p : planes) {
      CodecOptions o;
      o.chunk_values = uint32_t(1) << 30;
      o.signed_codes = p.signed_codes;
      std::array<uint64_t, 256> h;
      Histogram256(p.codes, h);
      auto est = EstimateStreamBytes(codec, h, o);
      ASSERT_TRUE(est.ok()) << est.status().message();
      auto e = EncodeCodes(codec, p.codes, o);
      ASSERT_TRUE(e.ok());
      const double real = double(e->bytes.size());
      const std::string what = std::string(CodecName(codec)) + " on " + p.name + ": estimate " +
                               std::to_string(*est) + ", real " + std::to_string(e->bytes.size());
      if (codec == Codec::kHuffman) {
        // Eight streams (four below kHuffmanInterleavedMinSymbols values)
        // each pad to a byte: over by at most 8 bytes.
        EXPECT_LE(e->bytes.size(), *est) << what;
        EXPECT_LE(*est, e->bytes.size() + 8) << what;
      } else {
        // An upper bound, over by at most the final states' information
        // (rANS: up to 16 bits per lane) or the coder's flush.
        EXPECT_LE(real, double(*est)) << what;
        EXPECT_LE(double(*est) - real, 0.0002 * real + 64) << what;
      }
    }
  }
  std::array<uint64_t, 256> h{};
  EXPECT_EQ(EstimateStreamBytes(Codec::kZstd3, h, CodecOptions{}).status().code(), StatusCode::kUnsupported);
  // Several chunks: still an upper bound, within the per-chunk slack.
  for (Codec codec : {Codec::kRans, Codec::kHuffman, Codec::kAtalantaRans, Codec::kAtalantaOrder0})
    for (const Plane& p : RealPlanes()) {
      CodecOptions o;
      o.chunk_values = 65536;
      o.signed_codes = p.signed_codes;
      Histogram256(p.codes, h);
      auto est = EstimateStreamBytes(codec, h, o);
      auto e = EncodeCodes(codec, p.codes, o);
      ASSERT_TRUE(est.ok() && e.ok());
      const uint64_t chunks = (p.codes.size() + 65535) / 65536;
      EXPECT_LE(e->bytes.size(), *est) << CodecName(codec) << " " << p.name;
      EXPECT_LE(*est, e->bytes.size() + 0.0002 * double(e->bytes.size()) + 72 * chunks) << CodecName(codec) << " " << p.name;
    }
}

}  // namespace
}  // namespace tp
