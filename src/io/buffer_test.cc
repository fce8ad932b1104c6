#include "tensorpress/buffer.h"

#include <gtest/gtest.h>

#include "testing/test_util.h"

namespace tp {
namespace {

TEST(AtomicFile, UncommittedWriteLeavesNothing) {
  testing::TempDir dir;
  {
    auto f = AtomicFile::Create(dir.File("out.bin"), {});
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->Write("abc", 3).ok());
    // destroyed without Commit: simulates an error mid-write
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(AtomicFile, CommitPublishesAndRespectsExisting) {
  testing::TempDir dir;
  std::string path = dir.File("out.bin");
  std::vector<uint8_t> a = {1, 2, 3}, b = {4, 5};
  ASSERT_TRUE(WriteFileAtomically(path, a, {}).ok());
  EXPECT_EQ(testing::ReadBytes(path), a);
  EXPECT_EQ(WriteFileAtomically(path, b, {}).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(testing::ReadBytes(path), a);  // untouched
  ASSERT_TRUE(WriteFileAtomically(path, b, {.overwrite = true}).ok());
  EXPECT_EQ(testing::ReadBytes(path), b);
}

TEST(MappedFile, MapsAndReportsMissing) {
  testing::TempDir dir;
  std::vector<uint8_t> a = {9, 8, 7};
  testing::WriteBytes(dir.File("x"), a);
  auto m = MappedFile::Open(dir.File("x"));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(std::vector<uint8_t>((*m)->bytes().begin(), (*m)->bytes().end()), a);
  EXPECT_EQ(MappedFile::Open(dir.File("nope")).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(MappedFile::Open(dir.path()).status().code(), StatusCode::kInvalidArgument);
  testing::WriteBytes(dir.File("empty"), {});
  auto e = MappedFile::Open(dir.File("empty"));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)->size(), 0u);
}

}  // namespace
}  // namespace tp
