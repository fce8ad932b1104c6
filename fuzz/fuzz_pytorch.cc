// Fuzzes the PyTorch checkpoint reader and its restricted unpickler.
//
// An input that is already a checkpoint (a ZIP, or the legacy stream) is
// read as it is. Anything else is taken as the pickle itself and wrapped
// here into a torch.save-like ZIP (archive/data.pkl plus storages "0".."3"
// of 64 bytes), so that mutations exercise the unpickler instead of dying
// on the ZIP's CRC-32.
#include <zlib.h>

#include <string>

#include "fuzz_model_reader.h"

namespace {

void Put(std::vector<uint8_t>& b, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) b.push_back(uint8_t(v >> (8 * i)));
}

std::vector<uint8_t> StoredZip(const std::vector<std::pair<std::string, std::vector<uint8_t>>>& members) {
  std::vector<uint8_t> zip, central;
  for (const auto& [name, data] : members) {
    const uint32_t crc = uint32_t(crc32(0, data.data(), uInt(data.size())));
    const uint64_t offset = zip.size();
    Put(zip, 0x04034b50, 4);
    Put(zip, 20, 2), Put(zip, 0, 2), Put(zip, 0, 2), Put(zip, 0, 4);
    Put(zip, crc, 4), Put(zip, data.size(), 4), Put(zip, data.size(), 4);
    Put(zip, name.size(), 2), Put(zip, 0, 2);
    zip.insert(zip.end(), name.begin(), name.end());
    zip.insert(zip.end(), data.begin(), data.end());
    Put(central, 0x02014b50, 4);
    Put(central, 20, 2), Put(central, 20, 2), Put(central, 0, 2), Put(central, 0, 2), Put(central, 0, 4);
    Put(central, crc, 4), Put(central, data.size(), 4), Put(central, data.size(), 4);
    Put(central, name.size(), 2), Put(central, 0, 2), Put(central, 0, 2), Put(central, 0, 2), Put(central, 0, 2);
    Put(central, 0, 4), Put(central, offset, 4);
    central.insert(central.end(), name.begin(), name.end());
  }
  const uint64_t directory = zip.size();
  zip.insert(zip.end(), central.begin(), central.end());
  Put(zip, 0x06054b50, 4);
  Put(zip, 0, 2), Put(zip, 0, 2), Put(zip, members.size(), 2), Put(zip, members.size(), 2);
  Put(zip, central.size(), 4), Put(zip, directory, 4), Put(zip, 0, 2);
  return zip;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const bool whole_file = (size >= 2 && data[0] == 'P' && data[1] == 'K') ||
                          (size >= 4 && data[0] == 0x80 && data[1] == 0x02 && data[2] == 0x8a && data[3] == 0x0a);
  if (whole_file || size > (1u << 20))
    return tp::fuzz::FuzzModelReader(data, size, tp::fuzz::As(tp::ModelFormat::kPytorch), "fuzz.pt");
  std::vector<std::pair<std::string, std::vector<uint8_t>>> members;
  members.emplace_back("archive/data.pkl", std::vector<uint8_t>(data, data + size));
  for (int i = 0; i < 4; ++i) {
    std::vector<uint8_t> storage(64);
    for (size_t k = 0; k < storage.size(); ++k) storage[k] = uint8_t(k * 37 + i);
    members.emplace_back("archive/data/" + std::to_string(i), std::move(storage));
  }
  const std::vector<uint8_t> zip = StoredZip(members);
  return tp::fuzz::FuzzModelReader(zip.data(), zip.size(), tp::fuzz::As(tp::ModelFormat::kPytorch), "fuzz.pt");
}
