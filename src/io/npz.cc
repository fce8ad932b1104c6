// .npz reader and writer: a ZIP archive (io/zip.h) of NAME.npy members, as
// np.savez (stored) and np.savez_compressed (deflated) write it. Members not
// ending in .npy are skipped and listed in the metadata; an archive with
// members but no .npy at all (a PyTorch .pt forced to be read as .npz, a
// .docx...) is refused.
#include <set>
#include <string_view>

#include "io/npy.h"
#include "io/readers.h"
#include "io/zip.h"

namespace tp::io {
namespace {

constexpr std::string_view kNpySuffix = ".npy";

bool EndsWithNpy(const std::string& name) {
  return name.size() > kNpySuffix.size() &&
         name.compare(name.size() - kNpySuffix.size(), kNpySuffix.size(), kNpySuffix) == 0;
}

}  // namespace

StatusOr<Model> ReadNpz(std::shared_ptr<const Buffer> buffer, const std::string& path) {
  TP_ASSIGN_OR_RETURN(std::vector<ZipMember> members, ReadZipDirectory(buffer->bytes()));
  Model model;
  std::string skipped;
  for (const ZipMember& m : members) {
    if (!EndsWithNpy(m.name)) {
      skipped += (skipped.empty() ? "" : ", ") + m.name;
      continue;
    }
    TP_ASSIGN_OR_RETURN(ZipMemberData data, ExtractZipMember(buffer, m));
    StatusOr<Tensor> tensor =
        ParseNpy(data.bytes, m.name.substr(0, m.name.size() - kNpySuffix.size()), data.owner);
    if (!tensor.ok()) return tensor.status().WithContext("member '" + m.name + "'");
    model.tensors.push_back(std::move(tensor).value());
  }
  // A ZIP with members but no arrays is some other format: reading it as an
  // empty .npz would silently lose everything in it.
  if (model.tensors.empty() && !members.empty()) {
    for (const ZipMember& m : members)
      if (m.name == "data.pkl" || (m.name.size() > 9 && m.name.ends_with("/data.pkl")))
        return UnsupportedError("a PyTorch checkpoint (ZIP with '" + m.name +
                                "'), not an .npz; read it as a PyTorch file (or re-save the state_dict "
                                "with safetensors.torch.save_file)");
    return UnsupportedError("a ZIP archive without .npy members (" + skipped.substr(0, 200) +
                            "), neither .npz nor a known format");
  }
  if (!skipped.empty()) model.metadata.emplace_back("npz.skipped_members", skipped);
  return model;
}

}  // namespace tp::io

namespace tp {

Status WriteNpz(const std::string& path, std::span<const Tensor> tensors, const WriteOptions& options) {
  // Every header first, so a bad tensor fails before any file is created.
  std::vector<std::string> headers;
  std::set<std::string_view> names;
  for (const Tensor& t : tensors) {
    if (t.name().empty()) return InvalidArgumentError(path + ": a tensor has an empty name");
    if (!names.insert(t.name()).second)
      return InvalidArgumentError(path + ": duplicate tensor name '" + t.name() + "'");
    if (t.name().size() + 4 > 0xFFFF)
      return InvalidArgumentError(path + ": tensor name longer than a ZIP member name can be");
    StatusOr<std::string> header = io::NpyHeader(t);
    if (!header.ok()) return header.status().WithContext(path);
    headers.push_back(std::move(header).value());
  }
  TP_ASSIGN_OR_RETURN(auto file, AtomicFile::Create(path, options));
  io::ZipWriter zip(file.get());
  for (size_t i = 0; i < tensors.size(); ++i) {
    const std::span<const uint8_t> parts[] = {
        {reinterpret_cast<const uint8_t*>(headers[i].data()), headers[i].size()}, tensors[i].bytes()};
    // The .npy header keeps the array 64-byte aligned relative to the
    // member; aligning the member keeps it so in the file.
    TP_RETURN_IF_ERROR(zip.AddStored(tensors[i].name() + ".npy", parts, /*alignment=*/64));
  }
  TP_RETURN_IF_ERROR(zip.Finish());
  return file->Commit();
}

}  // namespace tp
