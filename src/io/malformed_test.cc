// Runs every registered malformed file (see src/testing/malformed.h)
// through the library and the CLI.
#include <gtest/gtest.h>

#include "tensorpress/model.h"
#include "testing/malformed.h"
#include "testing/test_util.h"

namespace tp {
namespace {

using testing::MalformedRegistry;

TEST(MalformedFiles, TableIsLargeAndEveryCaseIsRejectedCleanly) {
  testing::TempDir dir;
  size_t total = 0;
  for (const auto& format : MalformedRegistry()) {
    for (const auto& c : format.source()) {
      ++total;
      SCOPED_TRACE(format.format + ": " + c.what);
      std::string path = dir.File(c.file_name);
      testing::WriteBytes(path, c.bytes);
      auto model = ReadModel(path);
      ASSERT_FALSE(model.ok()) << "accepted a malformed file";
      StatusCode code = model.status().code();
      EXPECT_TRUE(code == StatusCode::kCorruptData || code == StatusCode::kUnsupported)
          << StatusCodeName(code) << ": " << model.status().message();
      EXPECT_NE(model.status().message().find(path), std::string::npos)
          << "message does not name the file: " << model.status().message();
      EXPECT_EQ(model.status().message().find('\n'), std::string::npos);
      std::filesystem::remove(path);
    }
  }
  EXPECT_GE(total, 40u) << "the malformed-file table should hold at least 40 cases";
}

// The CLI turns the same failures into one line on stderr and exit status 2.
TEST(MalformedFiles, CliExitsWithStatus2AndOneLine) {
  testing::TempDir dir;
  for (const auto& format : MalformedRegistry()) {
    auto cases = format.source();
    for (size_t i = 0; i < cases.size(); i += 3) {  // a sample keeps this fast
      const auto& c = cases[i];
      SCOPED_TRACE(format.format + ": " + c.what);
      std::string path = dir.File(c.file_name);
      testing::WriteBytes(path, c.bytes);
      auto r = testing::RunCli("inspect '" + path + "'", dir);
      EXPECT_EQ(r.exit_code, 2) << r.err;
      EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
      EXPECT_NE(r.err.find(path), std::string::npos) << r.err;
      std::filesystem::remove(path);
    }
  }
}

}  // namespace
}  // namespace tp
