// Fuzzes the streaming container's two readers: the front-to-back restore
// (pipes) and the index-first archive with its tensor and slice reads. Any
// bytes must give the original file or a clean CorruptDataError.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "tensorpress/container.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tp::EngineOptions o = tp::DefaultEngineOptions();
  o.threads = 1;
  std::vector<uint8_t> streamed;
  {
    auto sink = tp::SinkForVector(streamed);
    auto source = tp::SourceForBytes({data, size});
    tp::Status s = tp::DecompressStream(*source, "fuzz.tpz", *sink, o);
    if (!s.ok() && s.code() != tp::StatusCode::kCorruptData) abort();
    if (!s.ok()) streamed.clear();
  }
  auto archive = tp::TpzArchive::Open(tp::MakeOwnedBuffer({data, data + size}), "fuzz.tpz");
  if (!archive.ok()) {
    if (archive.status().code() != tp::StatusCode::kCorruptData) abort();
    return 0;
  }
  std::vector<uint8_t> restored;
  auto sink = tp::SinkForVector(restored);
  tp::Status s = archive->Restore(*sink, o);
  if (!s.ok() && s.code() != tp::StatusCode::kCorruptData) abort();
  // Both readers accept the same files and restore the same bytes.
  if (s.ok() && !streamed.empty() && streamed != restored) abort();
  for (size_t i = 0; i < archive->info().tensors.size() && i < 8; ++i) {
    // A tensor's size is what its (checked) index says; a real one of any
    // size may be coded in a few bytes, so only plausible sizes are read whole.
    if (archive->info().tensors[i].bytes > (uint64_t(64) << 20)) continue;
    auto t = archive->ReadTensor(i, 1);
    if (!t.ok() && t.status().code() != tp::StatusCode::kCorruptData) abort();
    auto part = archive->ReadElements(i, 0, 1, 1);
    if (!part.ok() && part.status().code() != tp::StatusCode::kCorruptData &&
        part.status().code() != tp::StatusCode::kInvalidArgument)
      abort();
  }
  return 0;
}
