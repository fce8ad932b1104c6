// GGUF header planes: the split is a permutation of the header's bytes that
// the merge undoes exactly; the engine codes a tokenizer-sized header by
// them and restores the file byte for byte; damaged planes are refused.
#include "container/gguf_header.h"

#include <gtest/gtest.h>
#include <zstd.h>

#include <cstring>
#include <random>
#include <string>

#include "container/frame.h"
#include "container/tpz3_format.h"
#include "tensorpress/container.h"
#include "tensorpress/model.h"
#include "testing/test_util.h"

namespace tp::tpz3 {
namespace {

// A GGUF v3 file written byte by byte as llama.cpp's converter lays one
// out: a tokenizer (token strings, f32 scores, i32 types), scalar keys, and
// `tensors` f32 tensors of 64 values each, data aligned to 32.
struct Built {
  std::vector<uint8_t> bytes;
  uint64_t header = 0;  // bytes before the data section
  std::string strings;  // every string's bytes, in file order
  uint64_t string_count = 0, array_bytes = 0;
};

Built BuildGguf(int vocab, int tensors) {
  Built b;
  auto& out = b.bytes;
  auto u32 = [&](uint32_t v) { out.insert(out.end(), (uint8_t*)&v, (uint8_t*)&v + 4); };
  auto u64 = [&](uint64_t v) { out.insert(out.end(), (uint8_t*)&v, (uint8_t*)&v + 8); };
  auto str = [&](const std::string& s) {
    u64(s.size());
    out.insert(out.end(), s.begin(), s.end());
    b.strings += s;
    ++b.string_count;
  };
  for (char c : {'G', 'G', 'U', 'F'}) out.push_back(uint8_t(c));
  u32(3);
  u64(uint64_t(tensors));
  u64(5);
  str("general.architecture");
  u32(8);
  str("llama");
  str("llama.context_length");
  u32(4);
  u32(2048);
  str("tokenizer.ggml.tokens");
  u32(9);
  u32(8);
  u64(uint64_t(vocab));
  std::mt19937 rng(5);
  const char* pieces[] = {"▁the", "ing", "▁a", "ed", "tion", "▁of", "er", "s", "▁to", "re"};
  for (int i = 0; i < vocab; ++i) {
    std::string t = i < 256 ? "<0x" + std::to_string(i) + ">" : pieces[rng() % 10];
    if (i >= 256) t += pieces[rng() % 10];
    if (i == 300) t.assign(300, 'x');  // a length past one byte
    str(t);
  }
  str("tokenizer.ggml.scores");
  u32(9);
  u32(6);
  u64(uint64_t(vocab));
  for (int i = 0; i < vocab; ++i) {
    const float s = -float(i);
    uint32_t v;
    std::memcpy(&v, &s, 4);
    u32(v);
  }
  b.array_bytes += uint64_t(vocab) * 4;
  str("tokenizer.ggml.token_type");
  u32(9);
  u32(5);
  u64(uint64_t(vocab));
  for (int i = 0; i < vocab; ++i) u32(i < 256 ? 6 : 1);
  b.array_bytes += uint64_t(vocab) * 4;
  for (int t = 0; t < tensors; ++t) {
    str("blk." + std::to_string(t) + ".attn_norm.weight");
    u32(1);
    u64(64);
    u32(0);  // F32
    u64(uint64_t(t) * 256);
  }
  while (out.size() % 32) out.push_back(0);
  b.header = out.size();
  std::normal_distribution<float> normal(1.f, 0.1f);
  for (int i = 0; i < tensors * 64; ++i) {
    const float v = normal(rng);
    uint32_t x;
    std::memcpy(&x, &v, 4);
    u32(x);
  }
  return b;
}

std::array<std::span<const uint8_t>, kGgufHeaderParts> Spans(
    const std::array<std::vector<uint8_t>, kGgufHeaderParts>& parts) {
  std::array<std::span<const uint8_t>, kGgufHeaderParts> s;
  for (int k = 0; k < kGgufHeaderParts; ++k) s[size_t(k)] = parts[size_t(k)];
  return s;
}

TEST(GgufHeader, SplitIsAPermutationThatMergeUndoes) {
  const Built b = BuildGguf(3000, 3);
  const std::span<const uint8_t> header(b.bytes.data(), b.header);
  std::array<std::vector<uint8_t>, kGgufHeaderParts> parts;
  ASSERT_TRUE(SplitGgufHeader(header, parts));
  // Each plane holds what it says.
  EXPECT_EQ(parts[1].size(), b.string_count);
  EXPECT_EQ(std::string(parts[2].begin(), parts[2].end()), b.strings);
  EXPECT_EQ(parts[3].size(), b.array_bytes);
  uint64_t total = 0;
  for (const auto& p : parts) total += p.size();
  EXPECT_EQ(total, header.size());
  std::vector<uint8_t> back(header.size());
  ASSERT_TRUE(MergeGgufHeader(Spans(parts), back).ok());
  EXPECT_TRUE(std::equal(back.begin(), back.end(), header.begin()));
  // The whole file splits too (the data is what follows the tensor infos),
  // and so does the header of a file gguf's own writer made.
  for (const std::vector<uint8_t>& file :
       {b.bytes, testing::ReadBytes(testing::SourceDir() + "/src/io/testdata/ggml_dequant/every_type.gguf")}) {
    ASSERT_TRUE(SplitGgufHeader(file, parts));
    std::vector<uint8_t> whole(file.size());
    ASSERT_TRUE(MergeGgufHeader(Spans(parts), whole).ok());
    EXPECT_TRUE(whole == file);
  }
}

TEST(GgufHeader, WhatIsNotAWholeHeaderIsNotSplit) {
  const Built b = BuildGguf(500, 2);
  std::array<std::vector<uint8_t>, kGgufHeaderParts> parts;
  auto bad = b.bytes;
  bad[0] = 'X';  // magic
  EXPECT_FALSE(SplitGgufHeader(bad, parts));
  bad = b.bytes;
  bad[4] = 1;  // version 1: u32 lengths
  EXPECT_FALSE(SplitGgufHeader(bad, parts));
  // Cut anywhere before the end of the tensor infos.
  for (uint64_t len = 0; len + 32 < b.header; len += 97)
    EXPECT_FALSE(SplitGgufHeader(std::span(b.bytes).first(len), parts)) << len;
  bad = b.bytes;
  bad[16] = 0xff;  // a huge key/value count runs out of bytes
  EXPECT_FALSE(SplitGgufHeader(std::span(bad).first(b.header), parts));
}

TEST(GgufHeader, DamagedPlanesAreRefusedOrWalkWithinBounds) {
  const Built b = BuildGguf(400, 2);
  const std::span<const uint8_t> header(b.bytes.data(), b.header);
  std::array<std::vector<uint8_t>, kGgufHeaderParts> parts;
  ASSERT_TRUE(SplitGgufHeader(header, parts));
  std::vector<uint8_t> out(header.size());
  std::mt19937 rng(1);
  int refused = 0;
  for (int trial = 0; trial < 4000; ++trial) {
    auto bad = parts;
    auto& p = bad[size_t(trial % kGgufHeaderParts)];
    if (p.empty()) continue;
    switch (trial / kGgufHeaderParts % 3) {
      case 0: p[rng() % p.size()] ^= uint8_t(1 + rng() % 255); break;
      case 1: p.resize(rng() % p.size()); break;
      default: p.push_back(uint8_t(rng())); break;
    }
    const Status st = MergeGgufHeader(Spans(bad), out);
    if (!st.ok()) {
      EXPECT_EQ(st.code(), StatusCode::kCorruptData);
      ++refused;
    }
  }
  // Changed lengths and counts, truncations and extra bytes cannot walk to
  // the same size using every byte; flipped string bytes can (the frame's
  // XXH3 catches those).
  EXPECT_GT(refused, 2000);
}

TEST(GgufHeader, EngineCodesATokenizerHeaderByPlanesAndRestoresTheFile) {
  const Built b = BuildGguf(20000, 4);
  testing::TempDir dir;
  const std::string path = dir.File("tok.gguf");
  testing::WriteBytes(path, b.bytes);
  for (EngineLevel level : {EngineLevel::kFast, EngineLevel::kDefault, EngineLevel::kMax}) {
    auto in = OpenEngineInput(path, false);
    ASSERT_TRUE(in.ok()) << in.status().message();
    EngineOptions o = DefaultEngineOptions();
    o.level = level;
    o.whole_file_zstd = false;
    std::vector<uint8_t> tpz;
    auto sink = SinkForVector(tpz);
    EngineStats stats;
    ASSERT_TRUE(CompressStream(*in, *sink, o, &stats).ok());
    bool strings = false;
    uint64_t header_coded = 0;
    for (const auto& p : stats.planes) {
      strings = strings || p.name == "gguf strings";
      if (p.name.rfind("gguf ", 0) == 0) header_coded += p.coded_bytes;
    }
    EXPECT_TRUE(strings) << int(level);
    // Smaller than zstd -19 on the header bytes as they lie.
    std::vector<uint8_t> z(ZSTD_compressBound(b.header));
    const size_t zsize = ZSTD_compress(z.data(), z.size(), b.bytes.data(), b.header, 19);
    if (level != EngineLevel::kFast) {
      EXPECT_LT(header_coded, zsize) << int(level);
    }
    std::vector<uint8_t> back;
    auto out = SinkForVector(back);
    auto source = SourceForBytes(tpz);
    ASSERT_TRUE(DecompressStream(*source, "tok.tpz", *out, o).ok());
    EXPECT_TRUE(back == b.bytes);
  }
}

// Every byte of a header frame flipped: refused as corrupt data, or (a bit
// nothing reads) the same file back; never anything else.
TEST(GgufHeader, EveryByteFlipInAHeaderFrameIsCaught) {
  const Built b = BuildGguf(1500, 1);
  testing::TempDir dir;
  const std::string path = dir.File("tok.gguf");
  testing::WriteBytes(path, b.bytes);
  auto in = OpenEngineInput(path, false);
  ASSERT_TRUE(in.ok()) << in.status().message();
  EngineOptions o = DefaultEngineOptions();
  o.whole_file_zstd = false;
  std::vector<uint8_t> tpz;
  auto sink = SinkForVector(tpz);
  EngineStats stats;
  ASSERT_TRUE(CompressStream(*in, *sink, o, &stats).ok());
  bool strings = false;
  for (const auto& p : stats.planes) strings = strings || p.name == "gguf strings";
  ASSERT_TRUE(strings);
  // The header frame is the first: from the prelude to the second frame.
  uint64_t header_frame_end = kPreludeBytes;
  FrameHeader h;
  ASSERT_TRUE(ParseFrameHeader(tpz.data() + kPreludeBytes, h));
  EXPECT_EQ(h.layout, Layout::kGgufHeader);
  header_frame_end += kFrameHeaderBytes + h.payload_bytes;
  for (uint64_t at = kPreludeBytes; at < header_frame_end; ++at) {
    auto bad = tpz;
    bad[at] ^= 0x21;
    std::vector<uint8_t> back;
    auto out = SinkForVector(back);
    auto source = SourceForBytes(bad);
    const Status st = DecompressStream(*source, "tok.tpz", *out, o);
    if (st.ok()) {
      EXPECT_TRUE(back == b.bytes) << at;
    } else {
      EXPECT_EQ(st.code(), StatusCode::kCorruptData) << at << ": " << st.message();
    }
  }
}

}  // namespace
}  // namespace tp::tpz3
