#include "codec/atalanta_table.h"

#include <string>
#include <utility>

#include "entropy/arith_common.h"

namespace tp::codec {
namespace {

void WritePrecisionAndRegister(int p, int w, entropy::BitWriter& out) {
  out.Write(static_cast<uint32_t>(p - entropy::kMinPrecisionBits), 3);
  out.Write(static_cast<uint32_t>(w - p - 2), 5);
}

Status ReadPrecisionAndRegister(entropy::BitReader& r, const char* what, int* p, int* w) {
  *p = entropy::kMinPrecisionBits + static_cast<int>(r.Read(3));
  *w = *p + 2 + static_cast<int>(r.Read(5));
  if (!entropy::ValidateArithConfig({*w, *p}).ok())
    return CorruptDataError(std::string(what) + " has precision " + std::to_string(*p) + " and register width " +
                            std::to_string(*w));
  return Status::Ok();
}

Status CheckExactSize(const entropy::BitReader& r, size_t bytes, const char* what) {
  if (r.overrun() || (r.consumed_bits() + 7) / 8 != bytes) return CorruptDataError(std::string(what) + " size mismatch");
  return Status::Ok();
}

}  // namespace

namespace {

bool CoversAllCodes(const AtalantaTableFields& t) {
  uint32_t codes = 0;
  for (uint16_t size : t.sizes) codes += size;
  return t.first_code == 0 && codes == 256;
}

bool HasDefaults(const AtalantaTableFields& t) {
  return t.precision_bits == kDefaultPrecisionBits && t.register_bits == kDefaultRegisterBits;
}

// Raw 8-bit storage under the default coder settings: the empty table.
bool IsRawDefault(const AtalantaTableFields& t) { return t.sizes.size() == 1 && HasDefaults(t) && CoversAllCodes(t); }

}  // namespace

uint64_t AtalantaTableBits(const AtalantaTableFields& t, uint64_t values) {
  if (IsRawDefault(t)) return 0;
  const int shift = t.precision_bits - AtalantaTablePrecision(t.precision_bits, values);
  const int k = static_cast<int>(t.sizes.size());
  uint64_t bits = static_cast<uint64_t>(AtalantaFixedBits(t.precision_bits, t.register_bits, CoversAllCodes(t)) +
                                        AtalantaCountBits(k));
  for (int r = 0; r < k; ++r) {
    if (r + 1 < k) bits += static_cast<uint64_t>(GammaBits(t.sizes[r]));
    if (r != t.implied) bits += static_cast<uint64_t>(GammaBits(t.frequency[r] >> shift));
  }
  return bits;
}

void WriteAtalantaTable(const AtalantaTableFields& t, uint64_t values, entropy::BitWriter& w) {
  if (IsRawDefault(t)) return;
  const int shift = t.precision_bits - AtalantaTablePrecision(t.precision_bits, values);
  const bool defaults = HasDefaults(t);
  w.WriteBit(defaults);
  if (!defaults) WritePrecisionAndRegister(t.precision_bits, t.register_bits, w);
  const bool all = CoversAllCodes(t);
  w.WriteBit(all);
  if (!all) {
    uint32_t codes = 0;
    for (uint16_t size : t.sizes) codes += size;
    w.Write(static_cast<uint32_t>(t.first_code), 8);
    w.Write(static_cast<uint32_t>(t.first_code) + codes - 1, 8);
  }
  const int k = static_cast<int>(t.sizes.size());
  WriteGamma(w, static_cast<uint32_t>(k));
  w.Write(static_cast<uint32_t>(t.implied), CeilLog2(static_cast<uint32_t>(k)));
  for (int r = 0; r + 1 < k; ++r) WriteGamma(w, t.sizes[r]);
  for (int r = 0; r < k; ++r)
    if (r != t.implied) WriteGamma(w, t.frequency[r] >> shift);
}

Status ReadAtalantaTable(std::span<const uint8_t> bytes, uint64_t values, AtalantaTableFields* t) {
  if (bytes.empty()) {
    *t = AtalantaTableFields{};
    t->sizes = {256};
    t->frequency = {uint32_t(1) << t->precision_bits};
    return Status::Ok();
  }
  entropy::BitReader r(bytes);
  if (r.ReadBit()) {
    t->precision_bits = kDefaultPrecisionBits;
    t->register_bits = kDefaultRegisterBits;
  } else {
    TP_RETURN_IF_ERROR(ReadPrecisionAndRegister(r, "Atalanta table", &t->precision_bits, &t->register_bits));
  }
  uint32_t first = 0, last = 255;
  if (!r.ReadBit()) {
    first = r.Read(8);
    last = r.Read(8);
    if (last < first) return CorruptDataError("Atalanta table's last code precedes its first");
  }
  t->first_code = static_cast<int>(first);
  uint32_t k = 0;
  if (!ReadGamma(r, 7, &k) || k > 64 || r.overrun()) return CorruptDataError("Atalanta table has a bad range count");
  t->implied = static_cast<int>(r.Read(CeilLog2(k)));
  if (t->implied >= static_cast<int>(k)) return CorruptDataError("Atalanta table implies a frequency past its ranges");
  const uint32_t span = last - first + 1;
  uint32_t codes = 0;
  t->sizes.assign(k, 0);
  for (uint32_t i = 0; i + 1 < k; ++i) {
    uint32_t size = 0;
    // A size below 256 has at most 8 significant bits.
    if (!ReadGamma(r, 9, &size) || r.overrun()) return CorruptDataError("Atalanta table holds a bad range size");
    codes += size;
    if (codes >= span) return CorruptDataError("Atalanta ranges run past their last code");
    t->sizes[i] = static_cast<uint16_t>(size);
  }
  t->sizes[k - 1] = static_cast<uint16_t>(span - codes);
  const int shift = t->precision_bits - AtalantaTablePrecision(t->precision_bits, values);
  const uint32_t total = uint32_t(1) << (t->precision_bits - shift);
  uint32_t sum = 0;
  t->frequency.assign(k, 0);
  for (uint32_t i = 0; i < k; ++i) {
    if (static_cast<int>(i) == t->implied) continue;
    uint32_t f = 0;
    if (!ReadGamma(r, 16, &f) || r.overrun()) return CorruptDataError("Atalanta table holds a bad frequency");
    sum += f;
    if (sum >= total) return CorruptDataError("Atalanta frequencies leave none for the implied range");
    t->frequency[i] = f << shift;
  }
  t->frequency[t->implied] = (total - sum) << shift;
  return CheckExactSize(r, bytes.size(), "Atalanta table");
}

namespace {

// The codes from the first to the last with a non-zero frequency.
std::pair<size_t, size_t> UsedSpan(std::span<const uint32_t> freqs) {
  size_t first = 0, last = freqs.size() - 1;
  while (first < last && freqs[first] == 0) ++first;
  while (last > first && freqs[last] == 0) --last;
  return {first, last};
}

}  // namespace

void WriteOrder0Table(int precision_bits, int register_bits, std::span<const uint32_t> freqs,
                      entropy::BitWriter& w) {
  WritePrecisionAndRegister(precision_bits, register_bits, w);
  const auto [first, last] = UsedSpan(freqs);
  const bool all = first == 0 && last == 255;
  w.WriteBit(all);
  if (!all) {
    w.Write(static_cast<uint32_t>(first), 8);
    w.Write(static_cast<uint32_t>(last), 8);
  }
  for (size_t c = first; c <= last; ++c) WriteGamma(w, freqs[c] + 1);
}

uint64_t Order0TableBits(std::span<const uint32_t> freqs) {
  const auto [first, last] = UsedSpan(freqs);
  uint64_t bits = kOrder0TableHeaderBits + (first == 0 && last == 255 ? 0 : 16);
  for (size_t c = first; c <= last; ++c) bits += static_cast<uint64_t>(GammaBits(freqs[c] + 1));
  return bits;
}

Status ReadOrder0Table(std::span<const uint8_t> bytes, int* precision_bits, int* register_bits,
                       std::vector<uint32_t>* freqs) {
  entropy::BitReader r(bytes);
  TP_RETURN_IF_ERROR(ReadPrecisionAndRegister(r, "order-0 table", precision_bits, register_bits));
  uint32_t first = 0, last = 255;
  if (!r.ReadBit()) {
    first = r.Read(8);
    last = r.Read(8);
    if (last < first) return CorruptDataError("order-0 table's last code precedes its first");
  }
  freqs->assign(256, 0);
  for (uint32_t c = first; c <= last; ++c) {
    uint32_t x = 0;
    if (!ReadGamma(r, 17, &x) || r.overrun()) return CorruptDataError("order-0 table holds a bad frequency");
    (*freqs)[c] = x - 1;
  }
  return CheckExactSize(r, bytes.size(), "order-0 table");
}

}  // namespace tp::codec
