// The .astc container: a 16-byte header and the blocks, row by row.
#include <string>

#include "tensorpress/astc.h"

namespace tp::astc {
namespace {

constexpr uint32_t kMagic = 0x5ca1ab13;

uint32_t Read24(const uint8_t* p) { return p[0] | p[1] << 8 | static_cast<uint32_t>(p[2]) << 16; }
void Write24(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
  p[2] = static_cast<uint8_t>(v >> 16);
}

}  // namespace

StatusOr<AstcImage> ParseAstcFile(std::span<const uint8_t> bytes) {
  if (bytes.size() < 16)
    return CorruptDataError("truncated ASTC header: " + std::to_string(bytes.size()) + " of 16 bytes");
  uint32_t magic = bytes[0] | bytes[1] << 8 | bytes[2] << 16 | static_cast<uint32_t>(bytes[3]) << 24;
  if (magic != kMagic) return CorruptDataError("not an ASTC file (bad magic)");
  int bx = bytes[4], by = bytes[5], bz = bytes[6];
  uint32_t w = Read24(&bytes[7]), h = Read24(&bytes[10]), d = Read24(&bytes[13]);
  if (bz != 1 || d != 1) {
    if (bz == 0 || d == 0) return CorruptDataError("ASTC header has a zero depth");
    return UnsupportedError("3-D ASTC images are not supported (block depth " + std::to_string(bz) +
                            ", image depth " + std::to_string(d) + ")");
  }
  if (!IsValidFootprint(bx, by))
    return CorruptDataError("ASTC footprint " + std::to_string(bx) + "x" + std::to_string(by) +
                            " is not a 2-D ASTC footprint");
  if (w == 0 || h == 0) return CorruptDataError("ASTC image has a zero dimension");
  uint64_t blocks = ((uint64_t{w} + bx - 1) / bx) * ((uint64_t{h} + by - 1) / by);
  uint64_t expected = 16 + blocks * 16;
  if (bytes.size() != expected)
    return CorruptDataError("ASTC file is " + std::to_string(bytes.size()) + " bytes but a " + std::to_string(w) +
                            "x" + std::to_string(h) + " image needs " + std::to_string(expected));
  AstcImage image;
  image.block_x = bx;
  image.block_y = by;
  image.width = static_cast<int>(w);
  image.height = static_cast<int>(h);
  image.blocks.assign(bytes.begin() + 16, bytes.end());
  return image;
}

StatusOr<AstcImage> ReadAstcFile(const std::string& path) {
  TP_ASSIGN_OR_RETURN(auto file, MappedFile::Open(path));
  auto image = ParseAstcFile(file->bytes());
  if (!image.ok()) return image.status().WithContext(path);
  return image;
}

std::vector<uint8_t> SerializeAstcFile(const AstcImage& image) {
  std::vector<uint8_t> out(16 + image.blocks.size());
  out[0] = kMagic & 0xff;
  out[1] = (kMagic >> 8) & 0xff;
  out[2] = (kMagic >> 16) & 0xff;
  out[3] = kMagic >> 24;
  out[4] = static_cast<uint8_t>(image.block_x);
  out[5] = static_cast<uint8_t>(image.block_y);
  out[6] = 1;
  Write24(&out[7], static_cast<uint32_t>(image.width));
  Write24(&out[10], static_cast<uint32_t>(image.height));
  Write24(&out[13], 1);
  std::copy(image.blocks.begin(), image.blocks.end(), out.begin() + 16);
  return out;
}

Status WriteAstcFile(const std::string& path, const AstcImage& image, const WriteOptions& options) {
  if (!IsValidFootprint(image.block_x, image.block_y) || image.width <= 0 || image.height <= 0 ||
      image.width > 0xffffff || image.height > 0xffffff)
    return InvalidArgumentError("cannot write an ASTC image with an invalid footprint or size");
  if (image.blocks.size() != static_cast<size_t>(image.blocks_x()) * image.blocks_y() * kBlockBytes)
    return InvalidArgumentError("ASTC image block count does not match its size");
  return WriteFileAtomically(path, SerializeAstcFile(image), options);
}

}  // namespace tp::astc
