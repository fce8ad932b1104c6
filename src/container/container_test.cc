// The streaming container: whole files back byte for byte, through memory,
// pipes and the CLI; and every kind of damage refused with the place named.
#include <zstd.h>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <cmath>
#include <fstream>

#include "container/plane_split.h"
#include "container/tpz3_format.h"
#include "codec/float_fields.h"
#include "tensorpress/container.h"
#include "tensorpress/fp8.h"
#include "tensorpress/model.h"
#include "tensorpress/tpz.h"
#include "testing/test_util.h"

namespace tp {
namespace {

std::vector<uint8_t> FileBytes(const std::string& path) { return testing::ReadBytes(path); }

StatusOr<std::vector<uint8_t>> Compress(const std::string& path, EngineOptions o = DefaultEngineOptions(),
                                        EngineStats* stats = nullptr) {
  TP_ASSIGN_OR_RETURN(EngineInput in, OpenEngineInput(path, false));
  std::vector<uint8_t> out;
  auto sink = SinkForVector(out);
  TP_RETURN_IF_ERROR(CompressStream(in, *sink, o, stats));
  return out;
}

StatusOr<std::vector<uint8_t>> Streamed(std::span<const uint8_t> tpz, int threads = 1) {
  std::vector<uint8_t> out;
  auto sink = SinkForVector(out);
  auto source = SourceForBytes(tpz);
  EngineOptions o = DefaultEngineOptions();
  o.threads = threads;
  TP_RETURN_IF_ERROR(DecompressStream(*source, "test.tpz", *sink, o));
  return out;
}

StatusOr<std::vector<uint8_t>> Restored(const std::vector<uint8_t>& tpz, int threads = 1) {
  TP_ASSIGN_OR_RETURN(TpzArchive a, TpzArchive::Open(MakeOwnedBuffer(tpz), "test.tpz"));
  std::vector<uint8_t> out;
  auto sink = SinkForVector(out);
  EngineOptions o = DefaultEngineOptions();
  o.threads = threads;
  TP_RETURN_IF_ERROR(a.Restore(*sink, o));
  return out;
}

// The front-to-back and the index-first reader both give `original` back.
void ExpectBothReadersRestore(const std::vector<uint8_t>& tpz, const std::vector<uint8_t>& original) {
  auto a = Streamed(tpz, 2);
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_TRUE(*a == original);
  auto b = Restored(tpz, 2);
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_TRUE(*b == original);
}

const char* kShared[] = {"mnist-cnn/mnist_cnn.safetensors",           "stories260k/stories260K.bin",
                         "mlperf-tiny/resnet8_cifar10_int8.tflite",   "mlperf-tiny/dscnn_kws_float32.tflite",
                         "mlperf-tiny/autoencoder_ad01.safetensors", "mlperf-tiny/mobilenet_vww96.safetensors"};

TEST(Container, SharedModelsComeBackByteForByteAtEveryLevel) {
  for (const char* rel : kShared) {
    const std::string path = testing::SharedModel(rel);
    const auto original = FileBytes(path);
    for (EngineLevel level : {EngineLevel::kFast, EngineLevel::kDefault, EngineLevel::kMax}) {
      if (level == EngineLevel::kMax && original.size() > 200'000) continue;  // slow by design
      EngineOptions o = DefaultEngineOptions();
      o.level = level;
      o.chunk_bytes = 1 << 16;  // many chunks, tensors split across them
      o.threads = 2;
      EngineStats stats;
      auto tpz = Compress(path, o, &stats);
      ASSERT_TRUE(tpz.ok()) << rel << ": " << tpz.status().message();
      EXPECT_EQ(stats.output_bytes, tpz->size());
      EXPECT_GT(stats.tensors, 0u) << rel;
      EXPECT_LT(tpz->size(), original.size()) << rel;  // every shared model has float or int8 redundancy
      auto a = Streamed(*tpz, 2);
      ASSERT_TRUE(a.ok()) << rel << ": " << a.status().message();
      EXPECT_TRUE(*a == original) << rel;
      auto b = Restored(*tpz, 3);
      ASSERT_TRUE(b.ok()) << rel << ": " << b.status().message();
      EXPECT_TRUE(*b == original) << rel;
    }
  }
}

TEST(Container, OneThreadAndManyThreadsWriteTheSameBytes) {
  const std::string path = testing::SharedModel("mnist-cnn/mnist_cnn.safetensors");
  EngineOptions o = DefaultEngineOptions();
  o.chunk_bytes = 1 << 16;
  o.threads = 1;
  auto one = Compress(path, o);
  o.threads = 4;
  auto four = Compress(path, o);
  ASSERT_TRUE(one.ok() && four.ok());
  EXPECT_TRUE(*one == *four);
}

TEST(Container, ArchiveReadsTensorsAndSlicesLikeTheReader) {
  const std::string path = testing::SharedModel("mnist-cnn/mnist_cnn.safetensors");
  auto model = ReadModel(path);
  ASSERT_TRUE(model.ok());
  EngineOptions o = DefaultEngineOptions();
  o.chunk_bytes = 1 << 16;
  auto tpz = Compress(path, o);
  ASSERT_TRUE(tpz.ok());
  auto a = TpzArchive::Open(MakeOwnedBuffer(*tpz), "m.tpz");
  ASSERT_TRUE(a.ok()) << a.status().message();
  ASSERT_EQ(a->info().tensors.size(), model->tensors.size());
  for (size_t i = 0; i < model->tensors.size(); ++i) {
    const Tensor& t = model->tensors[i];
    EXPECT_EQ(a->info().tensors[i].name, t.name());
    auto back = a->ReadTensor(i, 2);
    ASSERT_TRUE(back.ok());
    EXPECT_TRUE(std::equal(t.bytes().begin(), t.bytes().end(), back->bytes().begin(), back->bytes().end()));
    const uint64_t n = t.elements(), begin = n / 3, count = std::min<uint64_t>(n - begin, 40000);
    auto part = a->ReadElements(i, begin, count, 2);
    ASSERT_TRUE(part.ok());
    const auto want = t.bytes().subspan(begin * 4, count * 4);
    EXPECT_TRUE(std::equal(want.begin(), want.end(), part->bytes().begin(), part->bytes().end())) << t.name();
  }
  EXPECT_FALSE(a->ReadElements(0, 1, model->tensors[0].elements(), 1).ok());
  // The version-2 reader API opens version-3 files too.
  auto r = TpzReader::FromBytes(*tpz, "m.tpz");
  ASSERT_TRUE(r.ok()) << r.status().message();
  auto all = r->ReadAll(2);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->tensors.size(), model->tensors.size());
}

// Damage anywhere: a clean CorruptDataError, never a crash or a wrong file.
TEST(Container, EveryByteFlipAndTruncationIsCaught) {
  // A small file keeps this exhaustive over frame headers and the index.
  std::vector<float> w(3000);
  for (size_t i = 0; i < w.size(); ++i) w[i] = std::sin(float(i) * 0.37f) * 0.05f;
  auto t = Tensor::FromValues<float>("w", DType::kF32, {30, 100}, w);
  ASSERT_TRUE(t.ok());
  // A mostly-zero tensor puts a sparse-layout frame in the container too.
  std::vector<float> z(2001, 0.0f);
  uint32_t seed = 7;
  for (size_t i = 0; i < z.size(); i += 5) {
    seed = seed * 1664525u + 1013904223u;
    z[i] = float(int32_t(seed) >> 8) * 1e-6f;
  }
  auto sparse = Tensor::FromValues<float>("z", DType::kF32, {2001}, z);
  ASSERT_TRUE(sparse.ok());
  // A copy of w: only zstd over the whole file sees it repeat, so the
  // whole-file form wins when it is allowed.
  auto copy = Tensor::FromValues<float>("w_copy", DType::kF32, {30, 100}, w);
  ASSERT_TRUE(copy.ok());
  testing::TempDir dir;
  ASSERT_TRUE(WriteSafetensors(dir.File("m.safetensors"), std::vector<Tensor>{*t, *sparse, *copy}, {}, {}).ok());
  const auto original = FileBytes(dir.File("m.safetensors"));
  // Frames and index, then the whole-file zstd form of the same file.
  for (bool whole : {false, true}) {
  EngineOptions o = DefaultEngineOptions();
  o.chunk_bytes = 1 << 16;
  o.whole_file_zstd = whole;
  EngineStats stats;
  auto tpz = Compress(dir.File("m.safetensors"), o, &stats);
  ASSERT_TRUE(tpz.ok());
  bool mask = false, whole_zstd = false;
  for (const auto& p : stats.planes) {
    mask = mask || p.name.find("non-zero mask") != std::string::npos;
    whole_zstd = whole_zstd || p.name.find("whole file") != std::string::npos;
  }
  EXPECT_EQ(mask, !whole);
  EXPECT_EQ(whole_zstd, whole);
  for (size_t at = 0; at < tpz->size(); at += (at < 200 || at + 300 > tpz->size()) ? 1 : 7) {
    auto bad = *tpz;
    bad[at] ^= 0x5a;
    auto a = Streamed(bad);
    if (a.ok()) EXPECT_TRUE(*a == original) << at;  // a flip that changes nothing restored is harmless
    if (!a.ok()) EXPECT_EQ(a.status().code(), StatusCode::kCorruptData) << at << ": " << a.status().message();
    auto b = Restored(bad);
    if (b.ok()) EXPECT_TRUE(*b == original) << at;
    if (!b.ok()) EXPECT_EQ(b.status().code(), StatusCode::kCorruptData) << at << ": " << b.status().message();
  }
  for (size_t len = 0; len < tpz->size(); len += 13) {
    std::vector<uint8_t> cut(tpz->begin(), tpz->begin() + long(len));
    EXPECT_FALSE(Streamed(cut).ok()) << len;
    EXPECT_FALSE(Restored(cut).ok()) << len;
  }
  }
}

// Mostly-zero tensors of every whole-byte dtype take the sparse layout (a
// mask, then the non-zero elements) and come back bit for bit, -0.0 and a
// length that is not a multiple of 8 included.
TEST(Container, SparseTensorsTakeTheMaskLayoutAndRestoreExactly) {
  std::vector<Tensor> tensors;
  const DType types[] = {DType::kF32, DType::kBF16, DType::kF16, DType::kI8, DType::kU8, DType::kI16, DType::kI32, DType::kF64};
  uint32_t seed = 12345;
  auto next = [&] {
    seed = seed * 1664525u + 1013904223u;
    return seed >> 8;
  };
  for (DType d : types) {
    const size_t element = size_t(Traits(d).bits / 8), n = 300'001;
    std::vector<uint8_t> bytes(n * element, 0);
    for (size_t i = 0; i < n; ++i) {
      if (next() % 10 >= 2) continue;  // 80% zeros
      for (size_t b = 0; b < element; ++b) bytes[i * element + b] = uint8_t(next());
      if (i % 11 == 0) bytes[i * element + element - 1] = 0x80;  // -0.0 and friends: not zero
    }
    auto t = Tensor::FromBytes(std::string("t_") + std::string(DTypeName(d)), d, {int64_t(n)}, std::move(bytes));
    ASSERT_TRUE(t.ok()) << t.status().message();
    tensors.push_back(std::move(*t));
  }
  testing::TempDir dir;
  ASSERT_TRUE(WriteSafetensors(dir.File("s.safetensors"), tensors, {}, {}).ok());
  const auto original = FileBytes(dir.File("s.safetensors"));
  EngineOptions o = DefaultEngineOptions();
  o.chunk_bytes = 1 << 16;
  o.threads = 2;
  EngineStats stats;
  auto tpz = Compress(dir.File("s.safetensors"), o, &stats);
  ASSERT_TRUE(tpz.ok()) << tpz.status().message();
  size_t masks = 0;
  for (const auto& p : stats.planes)
    if (p.name.find("non-zero mask") != std::string::npos) ++masks;
  EXPECT_EQ(masks, std::size(types));
  // Random non-zero bytes: the saving is the zeros, ~80% of the file.
  EXPECT_LT(tpz->size(), original.size() * 3 / 10);
  ExpectBothReadersRestore(*tpz, original);
  auto archive = TpzArchive::Open(MakeOwnedBuffer(*tpz), "s.tpz");
  ASSERT_TRUE(archive.ok());
  for (size_t i = 0; i < tensors.size(); ++i) {
    auto part = archive->ReadElements(i, 70'000, 100'003, 1);
    ASSERT_TRUE(part.ok()) << part.status().message();
    const size_t element = size_t(Traits(tensors[i].dtype()).bits / 8);
    const auto want = tensors[i].bytes().subspan(70'000 * element, 100'003 * element);
    EXPECT_TRUE(std::equal(want.begin(), want.end(), part->bytes().begin(), part->bytes().end()));
  }
}

// Small files never come out larger than zstd -19 makes them (+32 bytes):
// the whole-file form takes over where frames and index cost more. Their
// tensors are still listed and read.
TEST(Container, SmallFilesNeverLoseToZstd19) {
  for (const char* rel : kShared) {
    const std::string path = testing::SharedModel(rel);
    const auto original = FileBytes(path);
    if (original.size() > (1u << 20)) continue;
    std::vector<uint8_t> z(ZSTD_compressBound(original.size()));
    const size_t zsize = ZSTD_compress(z.data(), z.size(), original.data(), original.size(), 19);
    ASSERT_FALSE(ZSTD_isError(zsize));
    auto tpz = Compress(path);
    ASSERT_TRUE(tpz.ok()) << rel;
    EXPECT_LE(tpz->size(), zsize + 32) << rel;
    auto model = ReadModel(path);
    ASSERT_TRUE(model.ok());
    auto archive = TpzArchive::Open(MakeOwnedBuffer(*tpz), "m.tpz");
    ASSERT_TRUE(archive.ok()) << archive.status().message();
    ASSERT_EQ(archive->info().tensors.size(), model->tensors.size()) << rel;
    for (size_t i = 0; i < model->tensors.size(); ++i) {
      auto t = archive->ReadTensor(i, 1);
      ASSERT_TRUE(t.ok());
      EXPECT_EQ(t->name(), model->tensors[i].name());
      EXPECT_TRUE(std::equal(t->bytes().begin(), t->bytes().end(), model->tensors[i].bytes().begin(),
                             model->tensors[i].bytes().end()));
    }
    auto a = Streamed(*tpz, 2);
    ASSERT_TRUE(a.ok());
    EXPECT_TRUE(*a == original) << rel;
  }
}

TEST(Container, ASplicedFrameIsNamed) {
  const std::string path = testing::SharedModel("mnist-cnn/mnist_cnn.safetensors");
  EngineOptions o = DefaultEngineOptions();
  o.chunk_bytes = 1 << 16;
  auto tpz = Compress(path, o);
  ASSERT_TRUE(tpz.ok());
  auto a = TpzArchive::Open(MakeOwnedBuffer(*tpz), "m.tpz");
  ASSERT_TRUE(a.ok());
  // Swap two equal-sized middle frames of the big dense kernel: each frame's
  // checksum still holds, its place does not.
  auto x = *tpz;
  size_t f1 = tpz3::kPreludeBytes, f2 = 0;
  std::vector<std::pair<size_t, size_t>> frames;
  for (size_t at = tpz3::kPreludeBytes; at < x.size();) {
    tpz3::FrameHeader h;
    if (!tpz3::ParseFrameHeader(x.data() + at, h) || h.kind != tpz3::FrameKind::kData) break;
    frames.push_back({at, tpz3::kFrameHeaderBytes + h.payload_bytes});
    at += tpz3::kFrameHeaderBytes + h.payload_bytes;
  }
  for (size_t i = 0; i + 1 < frames.size() && !f2; ++i)
    for (size_t j = i + 1; j < frames.size(); ++j)
      if (frames[i].second == frames[j].second) {
        f1 = frames[i].first;
        f2 = frames[j].first;
        break;
      }
  ASSERT_NE(f2, 0u);
  const size_t n = frames[0].second;
  (void)n;
  size_t size = 0;
  for (auto& f : frames)
    if (f.first == f1) size = f.second;
  std::vector<uint8_t> tmp(x.begin() + long(f1), x.begin() + long(f1 + size));
  std::copy(x.begin() + long(f2), x.begin() + long(f2 + size), x.begin() + long(f1));
  std::copy(tmp.begin(), tmp.end(), x.begin() + long(f2));
  auto r = Restored(x);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("spliced"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("tensor '"), std::string::npos) << r.status().message();
  EXPECT_FALSE(Streamed(x).ok());
}

TEST(Container, FilesWithoutTensorsAreRefusedUnlessRaw) {
  testing::TempDir dir;
  testing::WriteBytes(dir.File("notes.txt"), std::vector<uint8_t>(5000, 'a'));
  auto in = OpenEngineInput(dir.File("notes.txt"), false);
  ASSERT_FALSE(in.ok());
  EXPECT_NE(in.status().message().find("--raw"), std::string::npos) << in.status().message();
  auto raw = OpenEngineInput(dir.File("notes.txt"), true);
  ASSERT_TRUE(raw.ok());
  std::vector<uint8_t> out;
  auto sink = SinkForVector(out);
  ASSERT_TRUE(CompressStream(*raw, *sink, DefaultEngineOptions()).ok());
  EXPECT_LT(out.size(), 400u);
  auto back = Streamed(out);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, std::vector<uint8_t>(5000, 'a'));
  // A safetensors file with no tensor is an error, not a verified success.
  const char header[] = "{}";
  std::vector<uint8_t> empty(8 + 2);
  empty[0] = 2;
  std::memcpy(empty.data() + 8, header, 2);
  testing::WriteBytes(dir.File("empty.safetensors"), empty);
  EXPECT_FALSE(OpenEngineInput(dir.File("empty.safetensors"), false).ok());
}

// A file that coding would grow is stored with 32 bytes of framing.
TEST(Container, IncompressibleFilesGrowByAtMost32Bytes) {
  testing::TempDir dir;
  std::vector<uint8_t> noise(3000 * 4);
  uint64_t s = 99;
  for (auto& b : noise) b = uint8_t((s = s * 6364136223846793005ull + 1442695040888963407ull) >> 56);
  auto t = Tensor::FromBytes("noise", DType::kF32, {3000}, noise);
  ASSERT_TRUE(t.ok());
  ASSERT_TRUE(WriteSafetensors(dir.File("n.safetensors"), std::vector<Tensor>{*t}, {}, {}).ok());
  const auto original = FileBytes(dir.File("n.safetensors"));
  EngineStats stats;
  auto tpz = Compress(dir.File("n.safetensors"), DefaultEngineOptions(), &stats);
  ASSERT_TRUE(tpz.ok());
  EXPECT_LE(tpz->size(), original.size() + 32);
  EXPECT_EQ(stats.output_bytes, tpz->size());
  auto a = Streamed(*tpz);
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_TRUE(*a == original);
  auto b = Restored(*tpz);
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_TRUE(*b == original);
  for (size_t at : {size_t(9), size_t(20), size_t(28), tpz->size() - 1}) {
    auto bad = *tpz;
    bad[at] ^= 1;
    EXPECT_FALSE(Streamed(bad).ok()) << at;
    EXPECT_FALSE(Restored(bad).ok()) << at;
  }
  std::vector<uint8_t> cut(tpz->begin(), tpz->end() - 1);
  EXPECT_FALSE(Streamed(cut).ok());
  EXPECT_FALSE(Restored(cut).ok());
}

// The fast plane split is the reference field split, bit for bit.
TEST(Container, PlaneSplitMatchesTheReferenceFieldSplit) {
  for (DType d : {DType::kF32, DType::kBF16, DType::kF16}) {
    const auto f = *tpz::FieldFormatOf(d);
    for (uint64_t n : {0u, 1u, 7u, 8u, 9u, 1000u, 4099u}) {
      std::vector<uint8_t> in(n * uint64_t(f.bytes));
      uint32_t s = 12345 + uint32_t(n);
      for (auto& b : in) b = uint8_t((s = s * 1664525u + 1013904223u) >> 24);
      std::vector<std::vector<uint8_t>> ref;
      tpz::SplitFloatFields(f, in, n, ref);
      const int count = tpz3::PlaneCount(tpz3::Layout::kFloatFields, d);
      ASSERT_EQ(count, f.PlaneCount());
      std::vector<std::vector<uint8_t>> mine(static_cast<size_t>(count));
      uint8_t* ptrs[tpz3::kMaxPlanes];
      for (int k = 0; k < count; ++k) {
        mine[size_t(k)].assign(tpz3::PlaneBytes(tpz3::Layout::kFloatFields, d, k, n) + 1, 0xee);
        ptrs[k] = mine[size_t(k)].data();
      }
      tpz3::SplitPlanes(tpz3::Layout::kFloatFields, d, in, n, ptrs);
      for (int k = 0; k < count; ++k) {
        mine[size_t(k)].pop_back();
        EXPECT_EQ(mine[size_t(k)], ref[size_t(k)]) << DTypeName(d) << " n=" << n << " plane " << k;
      }
      std::vector<uint8_t> back(in.size());
      ASSERT_TRUE(tpz3::MergePlanes(tpz3::Layout::kFloatFields, d, ptrs, n, back));
      EXPECT_EQ(back, in);
      if (n > 0 && d != DType::kF32) {
        mine[1][0] = 0xff;  // an exponent that does not fit f16/bf16's field
        if (d == DType::kF16) EXPECT_FALSE(tpz3::MergePlanes(tpz3::Layout::kFloatFields, d, ptrs, n, back));
      }
    }
  }
}

// FP8's field split, checked against the OCP bit layout written out by hand:
// S.EEEE.MMM (E4M3) and S.EEEEE.MM (E5M2), over all 256 codes.
TEST(Container, Fp8FieldsFollowTheOcpBitLayoutAndComeBack) {
  for (auto [d, e_bits] : {std::pair{DType::kF8E4M3, 4}, std::pair{DType::kF8E5M2, 5}}) {
    ASSERT_EQ(tpz3::PlaneCount(tpz3::Layout::kFloatFields, d), 3);
    const uint64_t n = 256;
    std::vector<uint8_t> in(n);
    for (uint64_t i = 0; i < n; ++i) in[i] = uint8_t(i * 37 + 11);  // every code once, shuffled
    std::vector<std::vector<uint8_t>> planes(3);
    uint8_t* ptrs[tpz3::kMaxPlanes];
    for (int k = 0; k < 3; ++k) {
      planes[size_t(k)].assign(tpz3::PlaneBytes(tpz3::Layout::kFloatFields, d, k, n), 0xee);
      ptrs[k] = planes[size_t(k)].data();
    }
    ASSERT_EQ(planes[0].size(), n / 8);
    tpz3::SplitPlanes(tpz3::Layout::kFloatFields, d, in, n, ptrs);
    const int m_bits = 7 - e_bits;
    for (uint64_t i = 0; i < n; ++i) {
      EXPECT_EQ((planes[0][i / 8] >> (i % 8)) & 1, in[i] >> 7) << i;
      EXPECT_EQ(planes[1][i], (in[i] >> m_bits) & ((1 << e_bits) - 1)) << i;
      EXPECT_EQ(planes[2][i], in[i] & ((1 << m_bits) - 1)) << i;
    }
    std::vector<uint8_t> back(n);
    ASSERT_TRUE(tpz3::MergePlanes(tpz3::Layout::kFloatFields, d, ptrs, n, back));
    EXPECT_EQ(back, in);
    planes[2][5] = uint8_t(1 << m_bits);  // a mantissa wider than the field
    EXPECT_FALSE(tpz3::MergePlanes(tpz3::Layout::kFloatFields, d, ptrs, n, back));
    planes[2][5] = 0;
    planes[1][9] = uint8_t(1 << e_bits);  // an exponent wider than the field
    EXPECT_FALSE(tpz3::MergePlanes(tpz3::Layout::kFloatFields, d, ptrs, n, back));
  }
}

// FP8 tensors through the engine at both levels: the smaller of the byte
// plane and the field split, back byte for byte; sparse FP8 keeps its
// compacted bytes as one plane.
TEST(Container, Fp8TensorsRestoreExactlyAtEveryLevel) {
  std::vector<Tensor> tensors;
  uint32_t seed = 777;
  auto next = [&] { return (seed = seed * 1664525u + 1013904223u) >> 8; };
  for (DType d : {DType::kF8E4M3, DType::kF8E5M2}) {
    for (bool sparse : {false, true}) {
      const size_t n = 200'003;
      std::vector<float> x(n);
      for (auto& v : x) {
        // A bell of magnitudes over a few octaves, like cast weights.
        const float u = float(next() % 65536) / 65536.0f - 0.5f, w = float(next() % 65536) / 65536.0f - 0.5f;
        v = (sparse && next() % 4 != 0) ? 0.0f : 0.05f * (u + w) * (1.0f + float(next() % 4));
      }
      std::vector<uint8_t> codes(n);
      CastToFp8(x, d == DType::kF8E4M3 ? Fp8Format::kE4M3 : Fp8Format::kE5M2, /*saturate=*/true, codes);
      auto t = Tensor::FromBytes(std::string(DTypeName(d)) + (sparse ? "_sparse" : "_dense"), d, {int64_t(n)},
                                 std::move(codes));
      ASSERT_TRUE(t.ok()) << t.status().message();
      tensors.push_back(std::move(*t));
    }
  }
  testing::TempDir dir;
  ASSERT_TRUE(WriteSafetensors(dir.File("f8.safetensors"), tensors, {}, {}).ok());
  const auto original = FileBytes(dir.File("f8.safetensors"));
  for (EngineLevel level : {EngineLevel::kFast, EngineLevel::kDefault, EngineLevel::kMax}) {
    EngineOptions o = DefaultEngineOptions();
    o.level = level;
    o.chunk_bytes = 1 << 16;
    EngineStats stats;
    auto tpz = Compress(dir.File("f8.safetensors"), o, &stats);
    ASSERT_TRUE(tpz.ok()) << tpz.status().message();
    EXPECT_LT(tpz->size(), original.size() * 3 / 4);
    ExpectBothReadersRestore(*tpz, original);
  }
}

TEST(Container, CliRoundTripsFilesPipesAndFolders) {
  testing::TempDir dir;
  const std::string src = testing::SharedModel("stories260k/stories260K.bin");
  const auto original = FileBytes(src);
  testing::WriteBytes(dir.File("s.bin"), original);
  auto r = testing::RunCli("compress -q " + dir.File("s.bin"), dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(FileBytes(dir.File("s.bin")) == original);  // -k is the default
  r = testing::RunCli("compress " + dir.File("s.bin"), dir);
  EXPECT_NE(r.exit_code, 0);  // exists, no -f
  r = testing::RunCli("decompress " + dir.File("s.bin.tpz") + " -o " + dir.File("back.bin"), dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(FileBytes(dir.File("back.bin")) == original);
  // Pipes both ways, and -d at the top level.
  r = testing::RunCli("compress -c - < " + src + " > " + dir.File("p.tpz") + " && " + std::string(TP_CLI_PATH) +
                          " -d - -c < " + dir.File("p.tpz") + " > " + dir.File("piped") + " && true",
                      dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(FileBytes(dir.File("piped")) == original);
  // Output equal to the input is refused; --rm removes the input.
  r = testing::RunCli("decompress " + dir.File("s.bin.tpz") + " -o " + dir.File("s.bin.tpz"), dir);
  EXPECT_NE(r.exit_code, 0);
  std::filesystem::remove(dir.File("s.bin"));
  r = testing::RunCli("decompress --rm " + dir.File("s.bin.tpz"), dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(FileBytes(dir.File("s.bin")) == original);
  EXPECT_FALSE(std::filesystem::exists(dir.File("s.bin.tpz")));
  // A corrupt container: exit 2, one line naming the file, no output left.
  auto tpz = FileBytes(testing::SharedModel("mnist-cnn/mnist_cnn.safetensors"));
  r = testing::RunCli("compress -q " + testing::SharedModel("mnist-cnn/mnist_cnn.safetensors") + " -o " +
                          dir.File("m.tpz"),
                      dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto bytes = FileBytes(dir.File("m.tpz"));
  bytes[bytes.size() / 2] ^= 1;
  testing::WriteBytes(dir.File("bad.tpz"), bytes);
  r = testing::RunCli("decompress " + dir.File("bad.tpz"), dir);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("bad.tpz"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.File("bad")));
  // Unknown codecs list the valid ones; a text file needs --raw.
  r = testing::RunCli("compress --codec nope " + src + " -c", dir);
  EXPECT_NE(r.err.find("valid: atalanta"), std::string::npos) << r.err;
  testing::WriteBytes(dir.File("t.txt"), std::vector<uint8_t>(100, 'x'));
  r = testing::RunCli("compress " + dir.File("t.txt"), dir);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  r = testing::RunCli("compress --raw -q " + dir.File("t.txt"), dir);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // --to safetensors converts instead of restoring.
  r = testing::RunCli("decompress --to safetensors " + dir.File("m.tpz") + " -o " + dir.File("m2.safetensors"), dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto m2 = ReadModel(dir.File("m2.safetensors"));
  ASSERT_TRUE(m2.ok());
  EXPECT_EQ(m2->tensors.size(), 8u);
}

// Every ggml block type is coded by field and restored to the same file.
TEST(Container, GgufBlockTypesAreCodedByFieldAndRestoredExactly) {
  auto src = ReadModel(testing::SourceDir() + "/src/io/testdata/ggml_dequant/every_type.gguf");
  ASSERT_TRUE(src.ok()) << src.status().message();
  // Random blocks do not compress; repeat each tensor's first blocks with
  // a drifting scale so that fields have something to find.
  std::vector<Tensor> tensors;
  size_t block_types = 0;
  for (const Tensor& t : src->tensors) {
    const auto& tr = Traits(t.dtype());
    if (!tr.is_quantized_block) continue;
    const size_t blocks = t.nbytes() / size_t(tr.block_bytes), copies = 96;
    std::vector<uint8_t> bytes;
    for (size_t c = 0; c < copies; ++c)
      for (size_t b = 0; b < std::min<size_t>(blocks, 4); ++b) {
        const uint8_t* p = t.bytes().data() + b * size_t(tr.block_bytes);
        bytes.insert(bytes.end(), p, p + tr.block_bytes);
        bytes[bytes.size() - size_t(tr.block_bytes)] ^= uint8_t(c & 3);
      }
    const int64_t n = int64_t(bytes.size() / size_t(tr.block_bytes)) * tr.block_elements;
    auto r = Tensor::FromBytes(t.name(), t.dtype(), {n}, std::move(bytes));
    ASSERT_TRUE(r.ok()) << t.name() << ": " << r.status().message();
    tensors.push_back(std::move(*r));
    ++block_types;
  }
  ASSERT_GE(block_types, 20u);
  testing::TempDir dir;
  ASSERT_TRUE(WriteGguf(dir.File("m.gguf"), tensors, {}, {}).ok());
  const auto original = FileBytes(dir.File("m.gguf"));
  for (EngineLevel level : {EngineLevel::kFast, EngineLevel::kDefault, EngineLevel::kMax}) {
    EngineOptions o = DefaultEngineOptions();
    o.level = level;
    o.chunk_bytes = 1 << 16;
    o.whole_file_zstd = false;  // this small repetitive file would go to zstd -19 whole
    EngineStats stats;
    auto tpz = Compress(dir.File("m.gguf"), o, &stats);
    ASSERT_TRUE(tpz.ok()) << tpz.status().message();
    EXPECT_LT(tpz->size(), original.size() / 2);
    size_t field_planes = 0;
    for (const auto& p : stats.planes) field_planes += p.name.find(" d.hi") != std::string::npos;
    // (--max may prefer zstd-19 on the whole blocks of this repetitive file.)
    if (level == EngineLevel::kDefault) EXPECT_GE(field_planes, 15u);
    ExpectBothReadersRestore(*tpz, original);
  }
}

// A killed run leaves no temporary file behind: decompress from a pipe that
// never ends is waiting in a read, with its output's temporary file open.
TEST(Container, AKilledRunLeavesNoPartialOutput) {
  testing::TempDir dir;
  const std::string fifo = dir.File("in.fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const int keep_open = ::open(fifo.c_str(), O_RDWR);  // a writer that never closes: no end of input
  ASSERT_GE(keep_open, 0);
  auto r = testing::RunCli("decompress - -o " + dir.File("out") + " < " + fifo + " & pid=$!; sleep 1; kill -TERM $pid; "
                           "wait $pid; echo $? > " + dir.File("rc") + "; true",
                           dir);
  ::close(keep_open);
  auto rc = testing::ReadBytes(dir.File("rc"));
  EXPECT_EQ(std::string(rc.begin(), rc.end()), "143\n");  // died of SIGTERM
  for (const auto& e : std::filesystem::directory_iterator(dir.path()))
    EXPECT_EQ(e.path().filename().string().find(".out.tmp"), std::string::npos) << e.path();
  EXPECT_FALSE(std::filesystem::exists(dir.File("out")));
}

}  // namespace
}  // namespace tp
