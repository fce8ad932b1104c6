// .npy/.npz: golden files written by real NumPy (tests/data/npy/, see its
// README and make_fixtures.py), writer/reader round trips, and the
// malformed-file table.
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "io/npy.h"
#include "io/zip.h"
#include "tensorpress/model.h"
#include "testing/malformed.h"
#include "testing/test_util.h"

namespace tp {
namespace {

std::string Fixture(const std::string& name) { return testing::SourceDir() + "/tests/data/npy/" + name; }

template <typename T>
std::vector<T> ValuesOf(const Tensor& t) {
  std::vector<T> v(t.nbytes() / sizeof(T));
  if (!v.empty()) std::memcpy(v.data(), t.bytes().data(), t.nbytes());
  return v;
}

const Tensor* Find(const Model& m, const std::string& name) {
  for (const Tensor& t : m.tensors)
    if (t.name() == name) return &t;
  return nullptr;
}

// --- Golden files from NumPy ---

TEST(Npy, ReadsNumpySavedFiles) {
  auto f4 = ReadModel(Fixture("f4_2x3.npy"));
  ASSERT_TRUE(f4.ok()) << f4.status().message();
  EXPECT_EQ(f4->format, ModelFormat::kNpy);
  ASSERT_EQ(f4->tensors.size(), 1u);
  EXPECT_EQ(f4->tensors[0].name(), "f4_2x3");  // the file's stem
  EXPECT_EQ(f4->tensors[0].dtype(), DType::kF32);
  EXPECT_EQ(f4->tensors[0].shape(), (Shape{2, 3}));
  EXPECT_EQ(ValuesOf<float>(f4->tensors[0]), (std::vector<float>{1.0f, -2.5f, 3.25f, 0.0f, 1e-7f, -65504.0f}));

  auto scalar = ReadModel(Fixture("scalar_f8.npy"));
  ASSERT_TRUE(scalar.ok()) << scalar.status().message();
  EXPECT_EQ(scalar->tensors[0].shape(), Shape{});
  EXPECT_EQ(ValuesOf<double>(scalar->tensors[0]), std::vector<double>{3.5});

  auto empty = ReadModel(Fixture("empty_i4.npy"));
  ASSERT_TRUE(empty.ok()) << empty.status().message();
  EXPECT_EQ(empty->tensors[0].dtype(), DType::kI32);
  EXPECT_EQ(empty->tensors[0].shape(), (Shape{0, 3}));
  EXPECT_EQ(empty->tensors[0].nbytes(), 0u);

  // fortran_order True is harmless for one dimension.
  auto fortran = ReadModel(Fixture("fortran_1d.npy"));
  ASSERT_TRUE(fortran.ok()) << fortran.status().message();
  EXPECT_EQ(ValuesOf<int16_t>(fortran->tensors[0]), (std::vector<int16_t>{1, 2, 3}));

  auto u1 = ReadModel(Fixture("u1_2x2x3.npy"));
  ASSERT_TRUE(u1.ok()) << u1.status().message();
  EXPECT_EQ(u1->tensors[0].shape(), (Shape{2, 2, 3}));
  EXPECT_EQ(ValuesOf<uint8_t>(u1->tensors[0]), (std::vector<uint8_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}));

  auto v2 = ReadModel(Fixture("v2_i8.npy"));  // format 2.0: u32 header length
  ASSERT_TRUE(v2.ok()) << v2.status().message();
  EXPECT_EQ(ValuesOf<int64_t>(v2->tensors[0]),
            (std::vector<int64_t>{std::numeric_limits<int64_t>::min(), -1, 0, std::numeric_limits<int64_t>::max()}));
}

TEST(Npy, RefusesFortranOrderAndBigEndianAsUnsupported) {
  auto fortran = ReadModel(Fixture("fortran_2x3.npy"));
  EXPECT_EQ(fortran.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(fortran.status().message().find("Fortran"), std::string::npos) << fortran.status().message();
  auto big = ReadModel(Fixture("big_endian_i4.npy"));
  EXPECT_EQ(big.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(big.status().message().find("big-endian"), std::string::npos) << big.status().message();
}

// The arrays of make_fixtures.py's arrays(), checked value by value.
void ExpectAllDtypes(const Model& m) {
  ASSERT_EQ(m.tensors.size(), 12u);
  auto get = [&](const char* name, DType dtype, Shape shape) -> const Tensor& {
    const Tensor* t = Find(m, name);
    EXPECT_NE(t, nullptr) << name;
    static const Tensor kNone;
    if (t == nullptr) return kNone;
    EXPECT_EQ(t->dtype(), dtype) << name;
    EXPECT_EQ(t->shape(), shape) << name;
    return *t;
  };
  using L64 = std::numeric_limits<int64_t>;
  EXPECT_EQ(ValuesOf<double>(get("f8", DType::kF64, {2, 3})),
            (std::vector<double>{-1.5, 0.0, 2.25, 1e300, -1e-300, 3.0}));
  EXPECT_EQ(ValuesOf<float>(get("f4", DType::kF32, {2, 3})),
            (std::vector<float>{1.0f, -2.5f, 3.25f, 0.0f, 1e-7f, -65504.0f}));
  // IEEE half bits of 1, -2, 0.5, 65504.
  EXPECT_EQ(ValuesOf<uint16_t>(get("f2", DType::kF16, {4})), (std::vector<uint16_t>{0x3C00, 0xC000, 0x3800, 0x7BFF}));
  EXPECT_EQ(ValuesOf<int64_t>(get("i8", DType::kI64, {4})), (std::vector<int64_t>{L64::min(), -1, 0, L64::max()}));
  EXPECT_EQ(ValuesOf<int32_t>(get("i4", DType::kI32, {2, 2})),
            (std::vector<int32_t>{std::numeric_limits<int32_t>::min(), -7, 0, std::numeric_limits<int32_t>::max()}));
  EXPECT_EQ(ValuesOf<int16_t>(get("i2", DType::kI16, {4})), (std::vector<int16_t>{-32768, -1, 1, 32767}));
  EXPECT_EQ(ValuesOf<int8_t>(get("i1", DType::kI8, {4})), (std::vector<int8_t>{-128, -1, 0, 127}));
  EXPECT_EQ(ValuesOf<uint64_t>(get("u8", DType::kU64, {3})), (std::vector<uint64_t>{0, 1, UINT64_MAX}));
  EXPECT_EQ(ValuesOf<uint32_t>(get("u4", DType::kU32, {3})), (std::vector<uint32_t>{0, 7, UINT32_MAX}));
  EXPECT_EQ(ValuesOf<uint16_t>(get("u2", DType::kU16, {3})), (std::vector<uint16_t>{0, 300, 65535}));
  EXPECT_EQ(ValuesOf<uint8_t>(get("u1", DType::kU8, {2, 3})), (std::vector<uint8_t>{0, 1, 2, 253, 254, 255}));
  EXPECT_EQ(ValuesOf<uint8_t>(get("b1", DType::kBool, {5})), (std::vector<uint8_t>{1, 0, 1, 1, 0}));
}

TEST(Npz, ReadsNumpySavez) {
  auto m = ReadModel(Fixture("all_dtypes.npz"));
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->format, ModelFormat::kNpz);
  ExpectAllDtypes(*m);
}

TEST(Npz, ReadsNumpySavezCompressed) {
  auto m = ReadModel(Fixture("all_dtypes_deflated.npz"));
  ASSERT_TRUE(m.ok()) << m.status().message();
  ExpectAllDtypes(*m);
}

TEST(Npz, ReadsZip64RecordsWrittenByPythonZipfile) {
  auto m = ReadModel(Fixture("zip64.npz"));
  ASSERT_TRUE(m.ok()) << m.status().message();
  ASSERT_EQ(m->tensors.size(), 2u);
  EXPECT_EQ(m->tensors[0].name(), "first");
  EXPECT_EQ(ValuesOf<float>(m->tensors[0]), (std::vector<float>{1.0f, -2.5f, 3.25f, 0.0f, 1e-7f, -65504.0f}));
  EXPECT_EQ(m->tensors[1].name(), "second");
  EXPECT_EQ(ValuesOf<int16_t>(m->tensors[1]), (std::vector<int16_t>{-32768, -1, 1, 32767}));
}

TEST(Npy, ReaderViewsAlignedDataWithoutCopying) {
  auto buffer = MakeOwnedBuffer(testing::ReadBytes(Fixture("f4_2x3.npy")));
  auto m = ReadModelFromBuffer(buffer, "x.npy");
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->tensors[0].name(), "x");
  EXPECT_EQ(m->tensors[0].bytes().data(), buffer->data() + 128);  // numpy's 64-aligned header
}

TEST(Npy, InspectWorksOnNumpyFiles) {
  testing::TempDir dir;
  auto r = testing::RunCli("inspect '" + Fixture("all_dtypes_deflated.npz") + "'", dir);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("npz, 12 tensors"), std::string::npos) << r.out;
  r = testing::RunCli("inspect '" + Fixture("f4_2x3.npy") + "'", dir);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("f4_2x3"), std::string::npos) << r.out;
}

// --- Writers ---

// np.save's exact bytes: same dict text, growth-axis spaces, 64-byte padding.
TEST(Npy, WriterReproducesNumpyBytesExactly) {
  testing::TempDir dir;
  std::vector<float> f4 = {1.0f, -2.5f, 3.25f, 0.0f, 1e-7f, -65504.0f};
  std::vector<double> scalar = {3.5};
  std::vector<uint8_t> u1(12);
  for (int i = 0; i < 12; ++i) u1[i] = static_cast<uint8_t>(i);
  struct Case {
    std::string fixture;
    Tensor tensor;
  } cases[] = {
      {"f4_2x3.npy", *Tensor::FromValues<float>("a", DType::kF32, {2, 3}, f4)},
      {"scalar_f8.npy", *Tensor::FromValues<double>("a", DType::kF64, {}, scalar)},
      {"empty_i4.npy", *Tensor::FromBytes("a", DType::kI32, {0, 3}, {})},
      {"u1_2x2x3.npy", *Tensor::FromBytes("a", DType::kU8, {2, 2, 3}, u1)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.fixture);
    std::string path = dir.File(c.fixture);
    ASSERT_TRUE(WriteNpy(path, c.tensor).ok());
    EXPECT_EQ(testing::ReadBytes(path), testing::ReadBytes(Fixture(c.fixture)));
  }
}

std::vector<Tensor> EveryDtypeAndOddShapes() {
  const DType dtypes[] = {DType::kF64, DType::kF32, DType::kF16, DType::kI64, DType::kI32, DType::kI16,
                          DType::kI8,  DType::kU64, DType::kU32, DType::kU16, DType::kU8,  DType::kBool};
  const Shape shapes[] = {{}, {0}, {1}, {5}, {3, 0, 2}, {2, 3, 4}, {1, 1, 1, 7}};
  std::vector<Tensor> out;
  for (DType d : dtypes) {
    for (size_t s = 0; s < std::size(shapes); ++s) {
      uint64_t n = *StorageBytes(d, *ElementCount(shapes[s]));
      std::vector<uint8_t> bytes(n);
      for (uint64_t i = 0; i < n; ++i)
        bytes[i] = d == DType::kBool ? (i % 3 == 0) : static_cast<uint8_t>(i * 37 + 11 + s);
      out.push_back(*Tensor::FromBytes(std::string(DTypeName(d)) + "_" + std::to_string(s), d,
                                       shapes[s], bytes));
    }
  }
  return out;
}

void ExpectSameTensor(const Tensor& got, const Tensor& want) {
  EXPECT_EQ(got.name(), want.name());
  EXPECT_EQ(got.dtype(), want.dtype());
  EXPECT_EQ(got.shape(), want.shape());
  EXPECT_TRUE(std::equal(got.bytes().begin(), got.bytes().end(), want.bytes().begin(), want.bytes().end()));
}

TEST(Npy, RoundTripsEveryNumpyDtypeAndOddShapes) {
  testing::TempDir dir;
  for (const Tensor& t : EveryDtypeAndOddShapes()) {
    SCOPED_TRACE(t.name());
    std::string path = dir.File(t.name() + ".npy");
    ASSERT_TRUE(WriteNpy(path, t).ok());
    EXPECT_EQ((std::filesystem::file_size(path) - t.nbytes()) % 64, 0u);  // data 64-byte aligned
    auto m = ReadModel(path);
    ASSERT_TRUE(m.ok()) << m.status().message();
    ASSERT_EQ(m->tensors.size(), 1u);
    ExpectSameTensor(m->tensors[0], t);
  }
}

TEST(Npz, RoundTripsEveryNumpyDtypeAndOddShapes) {
  testing::TempDir dir;
  std::vector<Tensor> tensors = EveryDtypeAndOddShapes();
  tensors.push_back(*Tensor::FromBytes("layer/0/weight", DType::kU8, {2}, {7, 9}));  // '/' as savez allows
  std::string path = dir.File("all.npz");
  ASSERT_TRUE(WriteNpz(path, tensors).ok());
  auto m = ReadModel(path);
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->format, ModelFormat::kNpz);
  ASSERT_EQ(m->tensors.size(), tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) ExpectSameTensor(m->tensors[i], tensors[i]);
  // Members are aligned in the file, so every array is a view, not a copy.
  auto buffer = MakeOwnedBuffer(testing::ReadBytes(path));
  auto viewed = ReadModelFromBuffer(buffer, path);
  ASSERT_TRUE(viewed.ok()) << viewed.status().message();
  for (const Tensor& t : viewed->tensors) {
    if (t.nbytes() == 0) continue;
    EXPECT_GE(t.bytes().data(), buffer->data()) << t.name();
    EXPECT_LE(t.bytes().data() + t.nbytes(), buffer->data() + buffer->size()) << t.name();
    EXPECT_EQ((t.bytes().data() - buffer->data()) % 64, 0) << t.name();
  }
}

TEST(Npz, EmptyArchiveRoundTrips) {
  testing::TempDir dir;
  ASSERT_TRUE(WriteNpz(dir.File("e.npz"), {}).ok());
  auto m = ReadModel(dir.File("e.npz"));
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->format, ModelFormat::kNpz);
  EXPECT_TRUE(m->tensors.empty());
}

// Writes members through the internal ZIP writer, optionally all-ZIP64.
void WriteZip(const std::string& path, const std::vector<std::pair<std::string, std::vector<uint8_t>>>& members,
              bool force_zip64) {
  auto file = AtomicFile::Create(path, {});
  ASSERT_TRUE(file.ok());
  io::ZipWriter zip(file->get(), force_zip64);
  for (const auto& [name, bytes] : members) {
    const std::span<const uint8_t> parts[] = {bytes};
    ASSERT_TRUE(zip.AddStored(name, parts).ok());
  }
  ASSERT_TRUE(zip.Finish().ok());
  ASSERT_TRUE((*file)->Commit().ok());
}

std::vector<uint8_t> NpyImage(const Tensor& t) {
  std::string h = *io::NpyHeader(t);
  std::vector<uint8_t> b(h.begin(), h.end());
  b.insert(b.end(), t.bytes().begin(), t.bytes().end());
  return b;
}

TEST(Npz, WriterZip64RecordsReadBack) {
  testing::TempDir dir;
  std::vector<float> a = {1, 2, 3};
  Tensor t = *Tensor::FromValues<float>("a", DType::kF32, {3}, a);
  Tensor u = *Tensor::FromBytes("b", DType::kI8, {2}, {0xFF, 0x01});
  std::string path = dir.File("z64.npz");
  WriteZip(path, {{"a.npy", NpyImage(t)}, {"b.npy", NpyImage(u)}}, /*force_zip64=*/true);
  auto raw = testing::ReadBytes(path);
  const uint8_t zip64_end[] = {'P', 'K', 6, 6};
  EXPECT_NE(std::search(raw.begin(), raw.end(), std::begin(zip64_end), std::end(zip64_end)), raw.end());
  auto m = ReadModel(path);
  ASSERT_TRUE(m.ok()) << m.status().message();
  ASSERT_EQ(m->tensors.size(), 2u);
  ExpectSameTensor(m->tensors[0], t);
  ExpectSameTensor(m->tensors[1], u);
}

// A PyTorch .pt (ZIP of archive/data.pkl + archive/data/N) used to read as
// an empty .npz; any ZIP with members but no .npy is refused, with a hint.
TEST(Npz, RefusesZipsWithoutArraysNamingPyTorch) {
  testing::TempDir dir;
  std::string pkl = "\x80\x02}q\x00.";
  WriteZip(dir.File("model.pt"),
           {{"archive/data.pkl", {pkl.begin(), pkl.end()}}, {"archive/data/0", std::vector<uint8_t>(16)}}, false);
  auto pt = ReadModel(dir.File("model.pt"), ReadOptions{ModelFormat::kNpz});
  ASSERT_FALSE(pt.ok());
  EXPECT_EQ(pt.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(pt.status().message().find("PyTorch checkpoint"), std::string::npos) << pt.status().message();
  EXPECT_NE(pt.status().message().find("safetensors"), std::string::npos) << pt.status().message();
  std::string text = "hello";
  WriteZip(dir.File("docs.zip"), {{"readme.txt", {text.begin(), text.end()}}}, false);
  auto other = ReadModel(dir.File("docs.zip"), ReadOptions{ModelFormat::kNpz});
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.status().message().find("without .npy members (readme.txt)"), std::string::npos)
      << other.status().message();
}

TEST(Npz, SkipsMembersThatAreNotNpy) {
  testing::TempDir dir;
  Tensor t = *Tensor::FromBytes("w", DType::kU8, {1}, {5});
  std::string text = "not an array";
  WriteZip(dir.File("mixed.npz"), {{"notes.txt", {text.begin(), text.end()}}, {"w.npy", NpyImage(t)}}, false);
  auto m = ReadModel(dir.File("mixed.npz"));
  ASSERT_TRUE(m.ok()) << m.status().message();
  ASSERT_EQ(m->tensors.size(), 1u);
  EXPECT_EQ(m->tensors[0].name(), "w");
  EXPECT_EQ(m->metadata, (Metadata{{"npz.skipped_members", "notes.txt"}}));
}

TEST(Npy, WritersRejectDtypesWithoutNumpyEquivalent) {
  testing::TempDir dir;
  std::vector<Tensor> bad = {*Tensor::FromBytes("bf", DType::kBF16, {1}, {0, 0}),
                             *Tensor::FromBytes("nib", DType::kI4, {2}, {0x21}),
                             *Tensor::FromBytes("q", DType::kQ8_0, {32}, std::vector<uint8_t>(34))};
  for (const Tensor& t : bad) {
    SCOPED_TRACE(t.name());
    EXPECT_EQ(WriteNpy(dir.File("x.npy"), t).code(), StatusCode::kInvalidArgument);
    std::vector<Tensor> one = {t};
    EXPECT_EQ(WriteNpz(dir.File("x.npz"), one).code(), StatusCode::kInvalidArgument);
  }
  EXPECT_FALSE(std::filesystem::exists(dir.File("x.npy")));
  EXPECT_FALSE(std::filesystem::exists(dir.File("x.npz")));
}

TEST(Npz, WriterRejectsDuplicateAndEmptyNamesAndRespectsOverwrite) {
  testing::TempDir dir;
  Tensor a = *Tensor::FromBytes("a", DType::kU8, {1}, {1});
  Tensor unnamed = *Tensor::FromBytes("", DType::kU8, {1}, {1});
  std::vector<Tensor> dup = {a, a}, empty = {unnamed}, one = {a};
  EXPECT_EQ(WriteNpz(dir.File("d.npz"), dup).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(WriteNpz(dir.File("e.npz"), empty).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(WriteNpz(dir.File("o.npz"), one).ok());
  EXPECT_EQ(WriteNpz(dir.File("o.npz"), one).code(), StatusCode::kAlreadyExists);
  EXPECT_TRUE(WriteNpz(dir.File("o.npz"), one, WriteOptions{.overwrite = true}).ok());
  ASSERT_TRUE(WriteNpy(dir.File("o.npy"), a).ok());
  EXPECT_EQ(WriteNpy(dir.File("o.npy"), a).code(), StatusCode::kAlreadyExists);
}

// --- Malformed files ---

// An .npy image with `dict` as its header text, padded like numpy's.
std::vector<uint8_t> Npy(const std::string& dict, size_t data_bytes, int major = 1) {
  std::string text = dict;
  size_t prefix = major == 1 ? 10 : 12;
  text.append(63 - (prefix + text.size()) % 64, ' ');
  text += '\n';
  std::vector<uint8_t> b = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<uint8_t>(major), 0};
  for (size_t i = 0; i < prefix - 8; ++i) b.push_back(static_cast<uint8_t>(text.size() >> (8 * i)));
  b.insert(b.end(), text.begin(), text.end());
  b.resize(b.size() + data_bytes, 0x3F);
  return b;
}

std::string Dict(const std::string& descr, const std::string& shape, const std::string& fortran = "False") {
  return "{'descr': '" + descr + "', 'fortran_order': " + fortran + ", 'shape': " + shape + ", }";
}

// Header spellings numpy accepts and other writers (or Python 2) produce.
TEST(Npy, AcceptsHeaderVariantsOfOtherWriters) {
  struct Variant {
    std::string dict;
    int major;
    Shape shape;
  } ok[] = {
      {R"({"descr": "<f4", "fortran_order": False, "shape": (2,)})", 1, {2}},       // double quotes, no trailing comma
      {"{'shape': (1L, 2L), 'fortran_order': False, 'descr': '<f4'}", 1, {1, 2}},   // Python 2 longs, any key order
      {Dict("=f4", "(2, )"), 2, {2}},                                               // native order mark, v2.0
      {Dict("<f4", "(1, 1, 2)"), 3, {1, 1, 2}},                                     // v3.0
      {"  {'descr':'<f4','fortran_order':True,'shape':(2,)}", 1, {2}},              // fortran 1-d, no spaces
  };
  for (const Variant& v : ok) {
    SCOPED_TRACE(v.dict);
    auto m = ReadModelFromBuffer(MakeOwnedBuffer(Npy(v.dict, 8, v.major)), "v.npy");
    ASSERT_TRUE(m.ok()) << m.status().message();
    EXPECT_EQ(m->tensors[0].shape(), v.shape);
    EXPECT_EQ(m->tensors[0].dtype(), DType::kF32);
  }
  for (std::string descr : {">u1", "<u1", "|u1", "=u1"}) {
    auto m = ReadModelFromBuffer(MakeOwnedBuffer(Npy(Dict(descr, "(3,)"), 3)), "v.npy");
    EXPECT_TRUE(m.ok()) << descr << ": " << m.status().message();
  }
  // 'L' suffixes come only from Python 2, which never wrote version 3.0.
  auto v3_long = ReadModelFromBuffer(MakeOwnedBuffer(Npy(Dict("<f4", "(2L,)"), 8, 3)), "v.npy");
  EXPECT_EQ(v3_long.status().code(), StatusCode::kCorruptData);
}

void Put16(std::vector<uint8_t>& b, size_t at, uint16_t v) { std::memcpy(b.data() + at, &v, 2); }
void Put32(std::vector<uint8_t>& b, size_t at, uint32_t v) { std::memcpy(b.data() + at, &v, 4); }
void Put64(std::vector<uint8_t>& b, size_t at, uint64_t v) { std::memcpy(b.data() + at, &v, 8); }
uint32_t Get32(const std::vector<uint8_t>& b, size_t at) {
  uint32_t v;
  std::memcpy(&v, b.data() + at, 4);
  return v;
}
void Append16(std::vector<uint8_t>& b, uint16_t v) { b.resize(b.size() + 2); Put16(b, b.size() - 2, v); }
void Append32(std::vector<uint8_t>& b, uint32_t v) { b.resize(b.size() + 4); Put32(b, b.size() - 4, v); }

// The numpy fixtures carry no archive comment: the end record is the last
// 22 bytes and points at the central directory.
size_t EndRecord(const std::vector<uint8_t>& z) { return z.size() - 22; }
size_t CentralDirectory(const std::vector<uint8_t>& z) { return Get32(z, EndRecord(z) + 16); }
size_t SecondLocalHeader(const std::vector<uint8_t>& z) {
  const uint8_t sig[] = {'P', 'K', 3, 4};
  return static_cast<size_t>(std::search(z.begin() + 4, z.end(), std::begin(sig), std::end(sig)) - z.begin());
}

// A hand-built archive of one member with the given header fields (the
// same in local and central headers), for cases the writer cannot make.
struct RawMember {
  std::string name;
  uint16_t method = 0;
  uint16_t flags = 0;
  uint32_t crc = 0;
  uint32_t compressed = 0;
  uint32_t uncompressed = 0;
  std::vector<uint8_t> data;
};

void AppendHeader(std::vector<uint8_t>& b, const RawMember& m, bool central, uint32_t offset) {
  Append32(b, central ? 0x02014b50 : 0x04034b50);
  if (central) Append16(b, 20);
  for (uint16_t v : {uint16_t{20}, m.flags, m.method, uint16_t{0}, uint16_t{0x21}}) Append16(b, v);
  for (uint32_t v : {m.crc, m.compressed, m.uncompressed}) Append32(b, v);
  Append16(b, static_cast<uint16_t>(m.name.size()));
  Append16(b, 0);
  if (central) {
    for (int i = 0; i < 4; ++i) Append16(b, 0);  // comment, disk, internal, external (low)
    Append16(b, 0);                                // external (high)
    Append32(b, offset);
  }
  b.insert(b.end(), m.name.begin(), m.name.end());
}

std::vector<uint8_t> RawZip(const std::vector<RawMember>& members) {
  std::vector<uint8_t> b;
  std::vector<uint32_t> offsets;
  for (const RawMember& m : members) {
    offsets.push_back(static_cast<uint32_t>(b.size()));
    AppendHeader(b, m, false, 0);
    b.insert(b.end(), m.data.begin(), m.data.end());
  }
  uint32_t cd = static_cast<uint32_t>(b.size());
  for (size_t i = 0; i < members.size(); ++i) AppendHeader(b, members[i], true, offsets[i]);
  uint32_t cd_size = static_cast<uint32_t>(b.size()) - cd;
  Append32(b, 0x06054b50);
  for (uint16_t v : {uint16_t{0}, uint16_t{0}, uint16_t(members.size()), uint16_t(members.size())}) Append16(b, v);
  Append32(b, cd_size);
  Append32(b, cd);
  Append16(b, 0);
  return b;
}

RawMember Stored(const std::string& name, std::vector<uint8_t> data) {
  RawMember m;
  m.name = name;
  m.crc = static_cast<uint32_t>(crc32_z(0, data.data(), data.size()));
  m.compressed = m.uncompressed = static_cast<uint32_t>(data.size());
  m.data = std::move(data);
  return m;
}

std::vector<uint8_t> RawDeflate(const std::vector<uint8_t>& in) {
  z_stream zs{};
  deflateInit2(&zs, 9, Z_DEFLATED, -MAX_WBITS, 9, Z_DEFAULT_STRATEGY);
  std::vector<uint8_t> out(deflateBound(&zs, in.size()));
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

// 4 MiB of zeros as a u1 array, deflated ~1000:1; `declared` is what the
// headers claim it inflates to.
std::vector<uint8_t> Bomb(uint64_t declared_extra_ratio, bool understate) {
  std::vector<uint8_t> image = Npy(Dict("|u1", "(4194304,)"), 0);
  image.resize(image.size() + (4u << 20), 0);
  RawMember m;
  m.name = "bomb.npy";
  m.method = 8;
  m.data = RawDeflate(image);
  m.crc = static_cast<uint32_t>(crc32_z(0, image.data(), image.size()));
  m.compressed = static_cast<uint32_t>(m.data.size());
  m.uncompressed = understate ? 1000 : static_cast<uint32_t>(m.data.size() * declared_extra_ratio + 4096);
  return RawZip({m});
}

testing::MalformedRegistrar kNpyCases("npy", [] {
  using testing::MalformedCase;
  auto truncated = Npy(Dict("<f4", "(4,)"), 16);
  truncated.resize(truncated.size() - 3);
  auto version_two_huge = Npy(Dict("<f4", "(1,)"), 4, 2);
  Put32(version_two_huge, 8, 0xFFFFFFF0u);
  auto no_newline = Npy(Dict("<f4", "(1,)"), 4);
  no_newline[no_newline.size() - 5] = ' ';  // the newline before the 4 data bytes
  return std::vector<MalformedCase>{
      {"file shorter than magic", "a.npy", {0x93, 'N', 'U', 'M'}},
      {"bad magic after a valid prefix", "b.npy", [] { auto b = Npy(Dict("<f4", "(1,)"), 4); b[5] = 'Z'; return b; }()},
      {"unknown format version", "c.npy", [] { auto b = Npy(Dict("<f4", "(1,)"), 4); b[6] = 9; return b; }()},
      {"header length past end of file", "d.npy", [] { auto b = Npy(Dict("<f4", "(1,)"), 4); Put16(b, 8, 4000); return b; }()},
      {"v2 header length near 4 GiB", "e.npy", version_two_huge},
      {"header without final newline", "f.npy", no_newline},
      {"header is not a dict", "g.npy", Npy("[1, 2, 3]", 0)},
      {"header dict missing shape", "h.npy", Npy("{'descr': '<f4', 'fortran_order': False}", 4)},
      {"header dict with a duplicate key", "i.npy", Npy("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,)}", 4)},
      {"header dict with an extra key", "j.npy", Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}", 4)},
      {"unterminated header dict", "k.npy", Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,", 4)},
      {"unknown descr", "l.npy", Npy(Dict("<c8", "(1,)"), 8)},
      {"structured descr", "m.npy", Npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", 4)},
      {"big-endian descr", "n.npy", Npy(Dict(">f4", "(1,)"), 4)},
      {"fortran order rank 2", "o.npy", Npy(Dict("<f4", "(2, 2)", "True"), 16)},
      {"fortran_order not a bool", "p.npy", Npy(Dict("<f4", "(1,)", "'yes'"), 4)},
      {"negative dimension", "q.npy", Npy(Dict("<f4", "(-1,)"), 4)},
      {"fractional dimension", "r.npy", Npy(Dict("<f4", "(2.5,)"), 4)},
      {"shape not a tuple", "s.npy", Npy(Dict("<f4", "(1)"), 4)},
      {"dimension beyond int64", "t.npy", Npy(Dict("<f4", "(99999999999999999999,)"), 4)},
      {"huge dimensions overflow", "u.npy", Npy(Dict("<f4", "(4294967296, 4294967296, 4294967296)"), 4)},
      {"byte size overflows", "v.npy", Npy(Dict("<f8", "(4611686018427387904,)"), 8)},
      {"huge dimension, little data", "w.npy", Npy(Dict("<f4", "(1000000000000,)"), 4)},
      {"data truncated", "x.npy", truncated},
      {"trailing bytes after data", "y.npy", Npy(Dict("<f4", "(2,)"), 12)},
      {"more than 64 dimensions", "z.npy", Npy(Dict("|u1", "(" + [] { std::string s; for (int i = 0; i < 65; ++i) s += "1, "; return s; }() + ")"), 1)},
  };
});

testing::MalformedRegistrar kNpzCases("npz", [] {
  using testing::MalformedCase;
  const auto stored = testing::ReadBytes(Fixture("all_dtypes.npz"));
  const auto deflated = testing::ReadBytes(Fixture("all_dtypes_deflated.npz"));
  const auto zip64 = testing::ReadBytes(Fixture("zip64.npz"));
  auto edit = [](std::vector<uint8_t> b, auto&& f) { f(b); return b; };
  const std::vector<uint8_t> small = Npy(Dict("<f4", "(1,)"), 4);
  RawMember two = Stored("a.npy", small);
  return std::vector<MalformedCase>{
      {"end of central directory missing", "a.npz", edit(stored, [](auto& b) { b.resize(b.size() - 22); })},
      {"archive cut in half", "b.npz", edit(stored, [](auto& b) { b.resize(b.size() / 2); })},
      {"central directory offset past end of file", "c.npz",
       edit(stored, [](auto& b) { Put32(b, EndRecord(b) + 16, static_cast<uint32_t>(b.size() + 100)); })},
      {"central directory size past its end", "d.npz",
       edit(stored, [](auto& b) { Put32(b, EndRecord(b) + 12, Get32(b, EndRecord(b) + 12) + 1); })},
      {"more entries than the directory holds", "e.npz",
       edit(stored, [](auto& b) { Put16(b, EndRecord(b) + 8, 1000); Put16(b, EndRecord(b) + 10, 1000); })},
      {"multi-disk archive", "f.npz", edit(stored, [](auto& b) { Put16(b, EndRecord(b) + 4, 1); })},
      {"bad central directory signature", "g.npz", edit(stored, [](auto& b) { b[CentralDirectory(b)] = 'X'; })},
      {"local header names another member", "h.npz", edit(stored, [](auto& b) { b[30] = 'g'; })},
      {"local header offset past the directory", "i.npz",
       edit(stored, [](auto& b) { Put32(b, CentralDirectory(b) + 42, CentralDirectory(b) - 10); })},
      {"local header size differs from central", "j.npz",
       edit(deflated, [](auto& b) { Put32(b, CentralDirectory(b) + 20, Get32(b, CentralDirectory(b) + 20) - 1); })},
      {"stored data corrupted (bad CRC)", "k.npz", edit(stored, [](auto& b) { b[SecondLocalHeader(b) - 1] ^= 0x40; })},
      {"deflated member with bad CRC", "l.npz",
       edit(deflated, [](auto& b) { b[14] ^= 1; b[CentralDirectory(b) + 16] ^= 1; })},
      {"deflate stream corrupted", "m.npz", edit(deflated, [](auto& b) { for (int i = 60; i < 90; ++i) b[i] = 0xFF; })},
      {"zip64 locator points past the file", "n.npz",
       edit(zip64, [](auto& b) { Put64(b, EndRecord(b) - 20 + 8, 1ull << 40); })},
      {"zip64 record signature wrong", "o.npz",
       edit(zip64, [](auto& b) { uint64_t at; std::memcpy(&at, b.data() + EndRecord(b) - 12, 8); b[at] = 'X'; })},
      {"deflate bomb beyond the deflate ratio", "p.npz", Bomb(1040, false)},
      {"deflate bomb understating its size", "q.npz", Bomb(0, true)},
      {"encrypted member", "r.npz", [&] { RawMember m = two; m.flags = 1; return RawZip({m}); }()},
      {"unsupported compression method", "s.npz", [&] { RawMember m = two; m.method = 12; return RawZip({m}); }()},
      {"stored sizes disagree", "t.npz", [&] { RawMember m = two; m.compressed -= 1; return RawZip({m}); }()},
      {"overlapping members", "u.npz",
       [&] {
         // Member "a" claims the whole of member "b" (header and data) as
         // its own data: the classic overlapping-entries bomb.
         std::vector<uint8_t> inner;
         AppendHeader(inner, Stored("b.npy", small), false, 0);
         inner.insert(inner.end(), small.begin(), small.end());
         std::vector<uint8_t> outer_data = small;
         outer_data.insert(outer_data.end(), inner.begin(), inner.end());
         RawMember a = Stored("a.npy", outer_data), b = Stored("b.npy", small);
         std::vector<uint8_t> z;
         AppendHeader(z, a, false, 0);
         uint32_t b_offset = static_cast<uint32_t>(z.size() + small.size());
         z.insert(z.end(), outer_data.begin(), outer_data.end());
         uint32_t cd = static_cast<uint32_t>(z.size());
         AppendHeader(z, a, true, 0);
         AppendHeader(z, b, true, b_offset);
         uint32_t cd_size = static_cast<uint32_t>(z.size()) - cd;
         Append32(z, 0x06054b50);
         for (uint16_t v : {0, 0, 2, 2}) Append16(z, v);
         Append32(z, cd_size);
         Append32(z, cd);
         Append16(z, 0);
         return z;
       }()},
      {"member is not a valid npy", "v.npz", RawZip({Stored("x.npy", {'h', 'e', 'l', 'l', 'o'})})},
      {"duplicate member names", "w.npz", RawZip({two, two})},
  };
});

}  // namespace
}  // namespace tp
