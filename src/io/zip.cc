#include "io/zip.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "io/byte_reader.h"

namespace tp::io {
namespace {

constexpr uint32_t kLocalHeaderSig = 0x04034b50;
constexpr uint32_t kCentralHeaderSig = 0x02014b50;
constexpr uint32_t kEndSig = 0x06054b50;
constexpr uint32_t kZip64EndSig = 0x06064b50;
constexpr uint32_t kZip64LocatorSig = 0x07064b50;
constexpr uint16_t kZip64ExtraId = 0x0001;

constexpr uint64_t kLocalHeaderBytes = 30;
constexpr uint64_t kCentralHeaderBytes = 46;
constexpr uint64_t kEndBytes = 22;
constexpr uint64_t kZip64EndBytes = 56;
constexpr uint64_t kZip64LocatorBytes = 20;
constexpr uint32_t kMax32 = 0xFFFFFFFFu;
constexpr uint16_t kMax16 = 0xFFFFu;

constexpr uint16_t kFlagEncrypted = 1u << 0;
constexpr uint16_t kFlagDataDescriptor = 1u << 3;
constexpr uint16_t kFlagStrongEncryption = 1u << 6;
constexpr uint16_t kFlagUtf8 = 1u << 11;

// Deflate cannot expand input by more than about 1032:1 (a 258-byte match
// coded in 2 bits at best); allow that plus a little for tiny streams.
constexpr uint64_t kMaxDeflateRatio = 1032;
constexpr uint64_t kDeflateSlack = 1024;

uint16_t Get16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint32_t Get32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

std::string Quoted(const std::string& name) { return "member '" + name + "'"; }

// Replaces the 32-bit fields that hold 0xFFFFFFFF by the 64-bit values of
// the ZIP64 extra field, which lists them in this fixed order and only when
// the classic field overflowed. `offset` is null for local headers.
Status ApplyZip64Extra(std::span<const uint8_t> extra, uint64_t* uncompressed, uint64_t* compressed,
                       uint64_t* offset, const std::string& where) {
  ByteReader r(extra);
  while (r.remaining() > 0) {
    uint16_t id = 0, size = 0;
    TP_RETURN_IF_ERROR(r.Read(&id, "extra field id").WithContext(where));
    TP_RETURN_IF_ERROR(r.Read(&size, "extra field size").WithContext(where));
    std::span<const uint8_t> body;
    TP_RETURN_IF_ERROR(r.ReadSpan(size, &body, "extra field").WithContext(where));
    if (id != kZip64ExtraId) continue;
    ByteReader z(body);
    for (uint64_t* field : {uncompressed, compressed, offset}) {
      if (field == nullptr || *field != kMax32) continue;
      TP_RETURN_IF_ERROR(z.Read(field, "ZIP64 extra field").WithContext(where));
    }
    return Status::Ok();
  }
  // Without a ZIP64 field, 0xFFFFFFFF is taken literally.
  return Status::Ok();
}

struct EndRecord {
  uint64_t entries = 0;
  uint64_t directory_size = 0;
  uint64_t directory_offset = 0;
  uint64_t directory_limit = 0;  // where the end records start: the directory ends here or before
};

StatusOr<EndRecord> FindEndRecord(std::span<const uint8_t> b) {
  if (b.size() < kEndBytes)
    return CorruptDataError("file too short for a ZIP end of central directory record (" +
                            std::to_string(b.size()) + " bytes)");
  // The record is last, followed only by a comment of at most 64 KiB whose
  // length it states; search backwards for a signature whose comment length
  // reaches the end of the file exactly.
  uint64_t pos = 0;
  bool found = false;
  uint64_t lowest = b.size() - kEndBytes > kMax16 ? b.size() - kEndBytes - kMax16 : 0;
  for (uint64_t p = b.size() - kEndBytes + 1; p-- > lowest;) {
    if (Get32(b.data() + p) == kEndSig && p + kEndBytes + Get16(b.data() + p + 20) == b.size()) {
      pos = p;
      found = true;
      break;
    }
  }
  if (!found) return CorruptDataError("no ZIP end of central directory record");
  const uint8_t* e = b.data() + pos;
  uint16_t disk = Get16(e + 4), directory_disk = Get16(e + 6);
  uint16_t disk_entries = Get16(e + 8), entries = Get16(e + 10);
  EndRecord end{entries, Get32(e + 12), Get32(e + 16), pos};

  if (pos >= kZip64LocatorBytes && Get32(e - kZip64LocatorBytes) == kZip64LocatorSig) {
    const uint8_t* loc = e - kZip64LocatorBytes;
    uint32_t record_disk = Get32(loc + 4), total_disks = Get32(loc + 16);
    uint64_t record_offset;
    std::memcpy(&record_offset, loc + 8, 8);
    if (record_disk != 0 || total_disks > 1)
      return UnsupportedError("multi-disk ZIP archives are not supported");
    const uint64_t locator_pos = pos - kZip64LocatorBytes;
    if (record_offset > locator_pos || locator_pos - record_offset < kZip64EndBytes)
      return CorruptDataError("ZIP64 end of central directory offset " +
                              std::to_string(record_offset) + " does not leave room for the record");
    const uint8_t* z = b.data() + record_offset;
    if (Get32(z) != kZip64EndSig)
      return CorruptDataError("no ZIP64 end of central directory record at offset " +
                              std::to_string(record_offset));
    uint64_t record_size, disk_entries64, entries64;
    std::memcpy(&record_size, z + 4, 8);
    if (record_size < kZip64EndBytes - 12 || record_size > locator_pos - record_offset - 12)
      return CorruptDataError("ZIP64 end of central directory record size " +
                              std::to_string(record_size) + " is inconsistent");
    if (Get32(z + 16) != 0 || Get32(z + 20) != 0)
      return UnsupportedError("multi-disk ZIP archives are not supported");
    std::memcpy(&disk_entries64, z + 24, 8);
    std::memcpy(&entries64, z + 32, 8);
    if (disk_entries64 != entries64) return UnsupportedError("multi-disk ZIP archives are not supported");
    end.entries = entries64;
    std::memcpy(&end.directory_size, z + 40, 8);
    std::memcpy(&end.directory_offset, z + 48, 8);
    end.directory_limit = record_offset;
  } else if (disk != 0 || directory_disk != 0 || disk_entries != entries) {
    return UnsupportedError("multi-disk ZIP archives are not supported");
  }
  if (end.directory_offset > end.directory_limit)
    return CorruptDataError("central directory offset " + std::to_string(end.directory_offset) +
                            " is past the end of the archive data (" +
                            std::to_string(end.directory_limit) + " bytes)");
  if (end.directory_size > end.directory_limit - end.directory_offset)
    return CorruptDataError("central directory of " + std::to_string(end.directory_size) +
                            " bytes at offset " + std::to_string(end.directory_offset) +
                            " runs past its end records");
  if (end.entries > end.directory_size / kCentralHeaderBytes)
    return CorruptDataError(std::to_string(end.entries) + " entries cannot fit a central directory of " +
                            std::to_string(end.directory_size) + " bytes");
  return end;
}

StatusOr<ZipMember> ReadCentralEntry(ByteReader& r, uint64_t index) {
  uint32_t sig = 0;
  TP_RETURN_IF_ERROR(r.Read(&sig, "central directory entry"));
  if (sig != kCentralHeaderSig)
    return CorruptDataError("central directory entry " + std::to_string(index) + " has a bad signature");
  uint16_t made_by = 0, needed = 0, flags = 0, method = 0, time = 0, date = 0, name_len = 0,
           extra_len = 0, comment_len = 0, disk = 0, internal = 0;
  uint32_t crc = 0, compressed32 = 0, uncompressed32 = 0, external = 0, offset32 = 0;
  TP_RETURN_IF_ERROR(r.Read(&made_by, "central directory entry"));
  TP_RETURN_IF_ERROR(r.Read(&needed, "central directory entry"));
  TP_RETURN_IF_ERROR(r.Read(&flags, "central directory entry"));
  TP_RETURN_IF_ERROR(r.Read(&method, "central directory entry"));
  TP_RETURN_IF_ERROR(r.Read(&time, "central directory entry"));
  TP_RETURN_IF_ERROR(r.Read(&date, "central directory entry"));
  TP_RETURN_IF_ERROR(r.Read(&crc, "central directory entry"));
  TP_RETURN_IF_ERROR(r.Read(&compressed32, "central directory entry"));
  TP_RETURN_IF_ERROR(r.Read(&uncompressed32, "central directory entry"));
  TP_RETURN_IF_ERROR(r.Read(&name_len, "central directory entry"));
  TP_RETURN_IF_ERROR(r.Read(&extra_len, "central directory entry"));
  TP_RETURN_IF_ERROR(r.Read(&comment_len, "central directory entry"));
  TP_RETURN_IF_ERROR(r.Read(&disk, "central directory entry"));
  TP_RETURN_IF_ERROR(r.Read(&internal, "central directory entry"));
  TP_RETURN_IF_ERROR(r.Read(&external, "central directory entry"));
  TP_RETURN_IF_ERROR(r.Read(&offset32, "central directory entry"));
  std::span<const uint8_t> name, extra, comment;
  TP_RETURN_IF_ERROR(r.ReadSpan(name_len, &name, "central directory member name"));
  TP_RETURN_IF_ERROR(r.ReadSpan(extra_len, &extra, "central directory extra field"));
  TP_RETURN_IF_ERROR(r.ReadSpan(comment_len, &comment, "central directory comment"));

  ZipMember m;
  m.name.assign(name.begin(), name.end());
  m.flags = flags;
  m.method = method;
  m.crc32 = crc;
  m.compressed_size = compressed32;
  m.uncompressed_size = uncompressed32;
  m.local_header_offset = offset32;
  TP_RETURN_IF_ERROR(ApplyZip64Extra(extra, &m.uncompressed_size, &m.compressed_size,
                                     &m.local_header_offset, Quoted(m.name)));
  // The disk-number field is replaced by ZIP64 too, but only ever nonzero
  // for split archives.
  if (disk != 0 && disk != kMax16)
    return UnsupportedError(Quoted(m.name) + ": multi-disk ZIP archives are not supported");
  return m;
}

// Checks the member's local header against its central entry and finds
// where its data starts. `limit` is where the central directory begins.
Status CheckLocalHeader(std::span<const uint8_t> b, uint64_t limit, ZipMember* m) {
  const std::string where = Quoted(m->name);
  if (m->local_header_offset > limit || limit - m->local_header_offset < kLocalHeaderBytes)
    return CorruptDataError(where + ": local header offset " + std::to_string(m->local_header_offset) +
                            " is past the start of the central directory (" + std::to_string(limit) + ")");
  const uint8_t* h = b.data() + m->local_header_offset;
  if (Get32(h) != kLocalHeaderSig) return CorruptDataError(where + ": bad local header signature");
  uint16_t flags = Get16(h + 6), method = Get16(h + 8);
  uint32_t crc = Get32(h + 14);
  uint64_t compressed = Get32(h + 18), uncompressed = Get32(h + 22);
  uint64_t name_len = Get16(h + 26), extra_len = Get16(h + 28);
  uint64_t header_end = m->local_header_offset + kLocalHeaderBytes + name_len + extra_len;
  if (header_end > limit)
    return CorruptDataError(where + ": local header runs into the central directory");
  const uint8_t* name = h + kLocalHeaderBytes;
  if (name_len != m->name.size() || std::memcmp(name, m->name.data(), name_len) != 0)
    return CorruptDataError(where + ": local header names a different member");
  if (method != m->method || (flags & kFlagEncrypted) != (m->flags & kFlagEncrypted))
    return CorruptDataError(where + ": local header method or flags differ from the central directory");
  if (!(m->flags & kFlagDataDescriptor)) {
    // Without a data descriptor the local header repeats CRC and sizes.
    TP_RETURN_IF_ERROR(ApplyZip64Extra({name + name_len, extra_len}, &uncompressed, &compressed,
                                       nullptr, where));
    if (crc != m->crc32 || compressed != m->compressed_size || uncompressed != m->uncompressed_size)
      return CorruptDataError(where + ": local header CRC or sizes differ from the central directory");
  }
  if (m->compressed_size > limit - header_end)
    return CorruptDataError(where + ": " + std::to_string(m->compressed_size) + " bytes of data at offset " +
                            std::to_string(header_end) + " run into the central directory");
  m->data_offset = header_end;
  return Status::Ok();
}

StatusOr<std::vector<uint8_t>> Inflate(std::span<const uint8_t> in, uint64_t out_size,
                                       const std::string& where) {
  if (out_size > in.size() * kMaxDeflateRatio + kDeflateSlack)
    return CorruptDataError(where + ": declares " + std::to_string(out_size) + " bytes from " +
                            std::to_string(in.size()) +
                            " deflated bytes, more than deflate can produce (zip bomb?)");
  std::vector<uint8_t> out(out_size);
  z_stream zs{};
  if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) return InternalError("zlib inflateInit2 failed");
  struct End {
    z_stream* zs;
    ~End() { inflateEnd(zs); }
  } end{&zs};
  constexpr uint64_t kChunk = 1u << 30;  // zlib counts in 32-bit uInt
  uint64_t in_used = 0, out_used = 0;
  uint8_t probe = 0;
  bool probing = false;
  for (;;) {
    if (zs.avail_in == 0 && in_used < in.size()) {
      uint64_t n = std::min<uint64_t>(in.size() - in_used, kChunk);
      zs.next_in = const_cast<Bytef*>(in.data() + in_used);
      zs.avail_in = static_cast<uInt>(n);
      in_used += n;
    }
    if (zs.avail_out == 0) {
      if (out_used < out_size) {
        uint64_t n = std::min<uint64_t>(out_size - out_used, kChunk);
        zs.next_out = out.data() + out_used;
        zs.avail_out = static_cast<uInt>(n);
        out_used += n;
      } else {
        // The declared size is full: one more byte of room tells whether
        // the stream wants to write past it.
        zs.next_out = &probe;
        zs.avail_out = 1;
        probing = true;
      }
    }
    int ret = inflate(&zs, Z_NO_FLUSH);
    if (probing && zs.avail_out == 0)
      return CorruptDataError(where + ": inflates to more than its declared " +
                              std::to_string(out_size) + " bytes");
    if (ret == Z_STREAM_END) break;
    if (ret == Z_OK) continue;
    if (ret == Z_BUF_ERROR) return CorruptDataError(where + ": deflate stream is truncated");
    if (ret == Z_MEM_ERROR) return InternalError(where + ": out of memory while inflating");
    return CorruptDataError(where + ": invalid deflate data (" +
                            std::string(zs.msg ? zs.msg : "unknown error") + ")");
  }
  uint64_t produced = out_used - (probing ? 0 : zs.avail_out);
  if (produced != out_size)
    return CorruptDataError(where + ": inflates to " + std::to_string(produced) +
                            " bytes but declares " + std::to_string(out_size));
  uint64_t unused = zs.avail_in + (in.size() - in_used);
  if (unused != 0)
    return CorruptDataError(where + ": " + std::to_string(unused) +
                            " bytes follow the end of the deflate stream");
  return out;
}

uint32_t Crc32(uint32_t crc, std::span<const uint8_t> bytes) {
  // zlib treats a null buffer as "return the initial value", which would
  // reset a running CRC at an empty part.
  if (bytes.empty()) return crc;
  return static_cast<uint32_t>(crc32_z(crc, bytes.data(), bytes.size()));
}

}  // namespace

StatusOr<std::vector<ZipMember>> ReadZipDirectory(std::span<const uint8_t> zip) {
  TP_ASSIGN_OR_RETURN(EndRecord end, FindEndRecord(zip));
  ByteReader r(zip.subspan(end.directory_offset, end.directory_size));
  std::vector<ZipMember> members;
  members.reserve(end.entries);
  for (uint64_t i = 0; i < end.entries; ++i) {
    TP_ASSIGN_OR_RETURN(ZipMember m, ReadCentralEntry(r, i));
    TP_RETURN_IF_ERROR(CheckLocalHeader(zip, end.directory_offset, &m));
    members.push_back(std::move(m));
  }
  if (r.remaining() != 0)
    return CorruptDataError("central directory holds " + std::to_string(r.remaining()) +
                            " bytes after its " + std::to_string(end.entries) + " entries");
  // Each member's header and data must end before the next member starts.
  std::vector<const ZipMember*> order;
  for (const ZipMember& m : members) order.push_back(&m);
  std::sort(order.begin(), order.end(), [](const ZipMember* a, const ZipMember* c) {
    return a->local_header_offset < c->local_header_offset;
  });
  for (size_t i = 1; i < order.size(); ++i)
    if (order[i - 1]->data_offset + order[i - 1]->compressed_size > order[i]->local_header_offset)
      return CorruptDataError("members '" + order[i - 1]->name + "' and '" + order[i]->name +
                              "' overlap");
  return members;
}

StatusOr<ZipMemberData> ExtractZipMember(const std::shared_ptr<const Buffer>& zip,
                                         const ZipMember& m) {
  const std::string where = Quoted(m.name);
  if (m.flags & (kFlagEncrypted | kFlagStrongEncryption))
    return UnsupportedError(where + ": encrypted ZIP members are not supported");
  std::span<const uint8_t> raw = zip->bytes().subspan(m.data_offset, m.compressed_size);
  ZipMemberData data;
  if (m.method == kZipMethodStored) {
    if (m.compressed_size != m.uncompressed_size)
      return CorruptDataError(where + ": stored member has compressed size " +
                              std::to_string(m.compressed_size) + " but uncompressed size " +
                              std::to_string(m.uncompressed_size));
    data = {raw, zip};
  } else if (m.method == kZipMethodDeflated) {
    TP_ASSIGN_OR_RETURN(std::vector<uint8_t> inflated, Inflate(raw, m.uncompressed_size, where));
    auto owner = MakeOwnedBuffer(std::move(inflated));
    data = {owner->bytes(), owner};
  } else {
    return UnsupportedError(where + ": ZIP compression method " + std::to_string(m.method) +
                            " is not supported (only stored and deflated)");
  }
  uint32_t crc = Crc32(0, data.bytes);
  if (crc != m.crc32)
    return CorruptDataError(where + ": CRC-32 mismatch (stored " + std::to_string(m.crc32) +
                            ", computed " + std::to_string(crc) + ")");
  return data;
}

// --- Writing ---

namespace {

class Bytes {
 public:
  void U16(uint16_t v) { Raw(&v, 2); }
  void U32(uint32_t v) { Raw(&v, 4); }
  void U64(uint64_t v) { Raw(&v, 8); }
  void Str(const std::string& s) { Raw(s.data(), s.size()); }
  void Raw(const void* p, size_t n) {
    const auto* c = static_cast<const uint8_t*>(p);
    b_.insert(b_.end(), c, c + n);
  }
  const std::vector<uint8_t>& bytes() const { return b_; }

 private:
  std::vector<uint8_t> b_;
};

constexpr uint16_t kVersionClassic = 20;
constexpr uint16_t kVersionZip64 = 45;
constexpr uint16_t kMadeByUnix = 3 << 8;
constexpr uint16_t kAlignExtraId = 0xD935;  // Android zipalign: u16 alignment, then zero padding
constexpr uint64_t kAlignExtraBytes = 6;
constexpr uint16_t kDosDate1980 = (0 << 9) | (1 << 5) | 1;  // 1980-01-01: reproducible output

bool IsAscii(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

}  // namespace

Status ZipWriter::AddStored(const std::string& name,
                            std::span<const std::span<const uint8_t>> parts, uint16_t alignment) {
  if (name.empty() || name.size() > kMax16)
    return InvalidArgumentError("ZIP member name must be 1 to 65535 bytes long");
  uint64_t size = 0;
  uint32_t crc = 0;
  for (auto part : parts) {
    size += part.size();
    crc = Crc32(crc, part);
  }
  const uint64_t offset = file_->bytes_written();
  const bool zip64 = force_zip64_ || size >= kMax32;
  const uint16_t flags = IsAscii(name) ? 0 : kFlagUtf8;
  uint64_t extra_len = zip64 ? 20 : 0;
  uint64_t padding = 0;
  if (alignment > 1) {
    uint64_t unpadded = offset + kLocalHeaderBytes + name.size() + extra_len + kAlignExtraBytes;
    padding = (alignment - unpadded % alignment) % alignment;
    extra_len += kAlignExtraBytes + padding;
  }
  Bytes h;
  h.U32(kLocalHeaderSig);
  h.U16(zip64 ? kVersionZip64 : kVersionClassic);
  h.U16(flags);
  h.U16(kZipMethodStored);
  h.U16(0);
  h.U16(kDosDate1980);
  h.U32(crc);
  h.U32(zip64 ? kMax32 : static_cast<uint32_t>(size));
  h.U32(zip64 ? kMax32 : static_cast<uint32_t>(size));
  h.U16(static_cast<uint16_t>(name.size()));
  h.U16(static_cast<uint16_t>(extra_len));
  h.Str(name);
  if (zip64) {
    h.U16(kZip64ExtraId);
    h.U16(16);
    h.U64(size);
    h.U64(size);
  }
  if (alignment > 1) {
    h.U16(kAlignExtraId);
    h.U16(static_cast<uint16_t>(2 + padding));
    h.U16(alignment);
    for (uint64_t i = 0; i < padding; ++i) h.Raw("", 1);
  }
  TP_RETURN_IF_ERROR(file_->Write(h.bytes()));
  for (auto part : parts) TP_RETURN_IF_ERROR(file_->Write(part));
  entries_.push_back({name, crc, size, offset});
  return Status::Ok();
}

Status ZipWriter::Finish() {
  const uint64_t directory_offset = file_->bytes_written();
  Bytes d;
  for (const Entry& e : entries_) {
    const bool big_size = force_zip64_ || e.size >= kMax32;
    const bool big_offset = force_zip64_ || e.offset >= kMax32;
    Bytes extra;
    if (big_size) {
      extra.U64(e.size);
      extra.U64(e.size);
    }
    if (big_offset) extra.U64(e.offset);
    const bool zip64 = big_size || big_offset;
    const uint16_t version = zip64 ? kVersionZip64 : kVersionClassic;
    d.U32(kCentralHeaderSig);
    d.U16(kMadeByUnix | version);
    d.U16(version);
    d.U16(IsAscii(e.name) ? 0 : kFlagUtf8);
    d.U16(kZipMethodStored);
    d.U16(0);
    d.U16(kDosDate1980);
    d.U32(e.crc32);
    d.U32(big_size ? kMax32 : static_cast<uint32_t>(e.size));
    d.U32(big_size ? kMax32 : static_cast<uint32_t>(e.size));
    d.U16(static_cast<uint16_t>(e.name.size()));
    d.U16(zip64 ? static_cast<uint16_t>(4 + extra.bytes().size()) : 0);
    d.U16(0);                  // comment
    d.U16(0);                  // disk
    d.U16(0);                  // internal attributes
    d.U32(0100644u << 16);     // a regular file, rw-r--r--
    d.U32(big_offset ? kMax32 : static_cast<uint32_t>(e.offset));
    d.Str(e.name);
    if (zip64) {
      d.U16(kZip64ExtraId);
      d.U16(static_cast<uint16_t>(extra.bytes().size()));
      d.Raw(extra.bytes().data(), extra.bytes().size());
    }
  }
  const uint64_t directory_size = d.bytes().size();
  const uint64_t count = entries_.size();
  const bool zip64_end =
      force_zip64_ || count >= kMax16 || directory_size >= kMax32 || directory_offset >= kMax32;
  if (zip64_end) {
    const uint64_t record_offset = directory_offset + directory_size;
    d.U32(kZip64EndSig);
    d.U64(kZip64EndBytes - 12);
    d.U16(kMadeByUnix | kVersionZip64);
    d.U16(kVersionZip64);
    d.U32(0);
    d.U32(0);
    d.U64(count);
    d.U64(count);
    d.U64(directory_size);
    d.U64(directory_offset);
    d.U32(kZip64LocatorSig);
    d.U32(0);
    d.U64(record_offset);
    d.U32(1);
  }
  d.U32(kEndSig);
  d.U16(0);
  d.U16(0);
  d.U16(static_cast<uint16_t>(std::min<uint64_t>(count, kMax16)));
  d.U16(static_cast<uint16_t>(std::min<uint64_t>(count, kMax16)));
  d.U32(static_cast<uint32_t>(std::min<uint64_t>(directory_size, kMax32)));
  d.U32(static_cast<uint32_t>(std::min<uint64_t>(directory_offset, kMax32)));
  d.U16(0);
  return file_->Write(d.bytes());
}

}  // namespace tp::io
