// DecodeCodeRange: any slice of a stream decodes to the same codes as the
// whole stream, touching only its chunks.
#include <gtest/gtest.h>

#include <random>

#include "tensorpress/codec.h"

namespace tp {
namespace {

TEST(DecodeCodeRange, EveryCodecMatchesTheWholeDecodeAcrossChunkEdges) {
  std::mt19937 rng(5);
  std::vector<uint8_t> codes(10007);
  for (auto& c : codes) c = uint8_t(128 + int(rng() % 9) - 4 + (rng() % 50 == 0 ? 60 : 0));
  CodecOptions o = DefaultCodecOptions();
  o.chunk_values = 1000;
  o.signed_codes = true;
  o.rows = 1;
  for (Codec codec : AllCodecs()) {
    SCOPED_TRACE(std::string(CodecName(codec)));
    auto enc = EncodeCodes(codec, codes, o);
    ASSERT_TRUE(enc.ok()) << enc.status().message();
    auto info = GetStreamInfo(enc->bytes);
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(info->values, codes.size());
    struct Range {
      uint64_t begin, count;
    };
    for (Range r : std::initializer_list<Range>{{0, 0}, {0, 10007}, {999, 2}, {1000, 1000}, {1500, 3000},
                                                {10000, 7}, {10006, 1}, {10007, 0}, {3, 1}}) {
      std::vector<uint8_t> out(r.count, 0xEE);
      Status st = DecodeCodeRange(enc->bytes, r.begin, out);
      ASSERT_TRUE(st.ok()) << r.begin << "+" << r.count << ": " << st.message();
      ASSERT_TRUE(std::equal(out.begin(), out.end(), codes.begin() + std::ptrdiff_t(r.begin))) << r.begin;
    }
    std::vector<uint8_t> out(2);
    EXPECT_EQ(DecodeCodeRange(enc->bytes, 10006, out).code(), StatusCode::kCorruptData);
    EXPECT_EQ(DecodeCodeRange(enc->bytes, uint64_t(1) << 63, out).code(), StatusCode::kCorruptData);
  }
}

TEST(DecodeCodeRange, ACorruptChunkFailsOnlyTheRangesThatTouchIt) {
  std::vector<uint8_t> codes(4000);
  std::mt19937 rng(9);
  for (auto& c : codes) c = uint8_t(rng() % 7);
  CodecOptions o = DefaultCodecOptions();
  o.chunk_values = 1000;
  auto enc = EncodeCodes(Codec::kZstd3, codes, o);
  ASSERT_TRUE(enc.ok());
  auto spans = StreamChunkSpans(enc->bytes);
  ASSERT_TRUE(spans.ok());
  std::vector<uint8_t> bad = enc->bytes;
  const StreamSpan chunk3 = (*spans)[4];  // spans[0] is the header
  bad[chunk3.offset] ^= 0xFF;  // the zstd frame magic
  std::vector<uint8_t> out(1000);
  EXPECT_TRUE(DecodeCodeRange(bad, 0, out).ok());
  EXPECT_EQ(out, std::vector<uint8_t>(codes.begin(), codes.begin() + 1000));
  Status st = DecodeCodeRange(bad, 2500, out);
  EXPECT_EQ(st.code(), StatusCode::kCorruptData);
  EXPECT_NE(st.message().find("chunk 3"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace tp
