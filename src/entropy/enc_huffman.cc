#include "entropy/enc_huffman.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <queue>
#include <string>

#include "entropy/bit_io.h"

namespace tp::entropy {

StatusOr<std::vector<uint8_t>> HuffmanCodeLengths(std::span<const uint64_t> counts) {
  if (counts.size() > 256) return InvalidArgumentError("Huffman alphabet above 256 symbols");
  std::vector<int> present;
  for (size_t s = 0; s < counts.size(); ++s)
    if (counts[s]) present.push_back(static_cast<int>(s));
  if (present.empty()) return InvalidArgumentError("Huffman: no symbol occurs");
  std::vector<uint8_t> lengths(counts.size(), 0);
  if (present.size() == 1) {
    lengths[present[0]] = 1;
    return lengths;
  }
  // Plain Huffman tree: nodes 0..n-1 are leaves, parents follow.
  struct Node { uint64_t weight; int id; };
  auto heavier = [](const Node& a, const Node& b) { return a.weight != b.weight ? a.weight > b.weight : a.id > b.id; };
  std::priority_queue<Node, std::vector<Node>, decltype(heavier)> heap(heavier);
  const int n = static_cast<int>(present.size());
  std::vector<int> parent(2 * n, -1);
  for (int i = 0; i < n; ++i) heap.push({counts[present[i]], i});
  int next = n;
  while (heap.size() > 1) {
    Node a = heap.top(); heap.pop();
    Node b = heap.top(); heap.pop();
    parent[a.id] = parent[b.id] = next;
    heap.push({a.weight + b.weight, next++});
  }
  std::vector<int> depth(next, 0);
  for (int id = next - 2; id >= 0; --id) depth[id] = depth[parent[id]] + 1;
  int max_len = 0;
  for (int i = 0; i < n; ++i) max_len = std::max(max_len, depth[i]);
  std::vector<uint32_t> bits(std::max(max_len, kHuffmanMaxBits) + 1, 0);
  for (int i = 0; i < n; ++i) ++bits[depth[i]];
  // JPEG K.3: take two leaves from the deepest level, hang one of them where
  // a shallower leaf was and push that leaf down one level with it.
  for (int i = max_len; i > kHuffmanMaxBits; --i) {
    while (bits[i] > 0) {
      int j = i - 2;
      while (bits[j] == 0) --j;
      bits[i] -= 2;
      bits[i - 1] += 1;
      bits[j + 1] += 2;
      bits[j] -= 1;
    }
  }
  // Most frequent symbols take the shortest lengths.
  std::vector<int> order = present;
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return counts[a] > counts[b]; });
  size_t k = 0;
  for (int len = 1; len <= kHuffmanMaxBits; ++len)
    for (uint32_t c = 0; c < bits[len]; ++c) lengths[order[k++]] = static_cast<uint8_t>(len);
  return lengths;
}

StatusOr<std::vector<uint8_t>> HuffmanEncode(std::span<const uint8_t> symbols,
                                             std::span<const uint8_t> lengths) {
  auto codes = CanonicalCodes(lengths);
  if (!codes.ok()) return InvalidArgumentError("Huffman encoder: " + codes.status().message());
  BitWriter out;
  for (uint8_t s : symbols) {
    if (s >= lengths.size() || lengths[s] == 0)
      return InvalidArgumentError("Huffman encoder: symbol " + std::to_string(s) + " has no code");
    out.Write((*codes)[s], lengths[s]);
  }
  return out.Finish();
}

namespace {

// An MSB-first writer into memory sized by the caller, without branches:
// codes go into the low end of a 64-bit accumulator, and Flush stores it as
// 8 big-endian bytes whatever it holds and advances by the whole bytes
// pending (the rest is overwritten by the next store). Four codes of <= 12
// bits fit between flushes (7 + 48 bits). The flush's condition was a
// data-dependent branch per code (pending >= 32) that mispredicted.
struct WordWriter {
  uint64_t acc = 0;
  uint32_t pending = 0;  // bits in the low end of acc not yet stored whole
  uint8_t* p = nullptr;
  inline __attribute__((always_inline)) void Put(uint32_t code, uint32_t len) {
    acc = (acc << len) | code;
    pending += len;
  }
  // Needs pending >= 1 and 8 writable bytes at p.
  inline __attribute__((always_inline)) void Flush() {
    const uint64_t word = __builtin_bswap64(acc << (64 - pending));
    std::memcpy(p, &word, 8);
    p += pending >> 3;
    pending &= 7;
  }
  // Pads the pending bits with zeros to whole bytes.
  void Finish() {
    if (pending == 0) return;
    uint64_t v = acc << (64 - pending);
    for (uint32_t b = 0; b < (pending + 7) / 8; ++b, v <<= 8) *p++ = static_cast<uint8_t>(v >> 56);
    pending = 0;
  }
};

}  // namespace

Status HuffmanEncode4(std::span<const uint8_t> symbols, std::span<const uint8_t> lengths, std::vector<uint8_t>& out,
                      uint64_t* code_bits) {
  auto codes = CanonicalCodes(lengths);
  if (!codes.ok()) return InvalidArgumentError("Huffman encoder: " + codes.status().message());
  // code | length << 16; 0 for a symbol without a code, which writes nothing
  // and is reported after the loop (a check per symbol would be a branch).
  uint32_t entry[256] = {};
  for (size_t s = 0; s < lengths.size() && s < 256; ++s)
    if (lengths[s] != 0) entry[s] = (*codes)[s] | uint32_t(lengths[s]) << 16;
  const size_t n = symbols.size();
  size_t begin[kHuffmanStreams], end[kHuffmanStreams];
  for (int s = 0; s < kHuffmanStreams; ++s) HuffmanSegment(n, s, &begin[s], &end[s]);
  // Each stream in its own region of scratch memory (12 bits per symbol at
  // most, plus the last word's padding), then compacted into `out`.
  const size_t region = (end[0] - begin[0]) * kHuffmanMaxBits / 8 + 8;
  // Kept per thread: fresh pages for every chunk cost more in page faults
  // than the encoding loop itself on small planes.
  thread_local std::unique_ptr<uint8_t[]> scratch;
  thread_local size_t scratch_size = 0;
  if (scratch_size < kHuffmanStreams * region) {
    scratch_size = kHuffmanStreams * region;
    scratch.reset(new uint8_t[scratch_size]);
  }
  WordWriter w[kHuffmanStreams];
  for (int s = 0; s < kHuffmanStreams; ++s) w[s].p = scratch.get() + s * region;
  const uint8_t* in = symbols.data();
  uint32_t missing = 0;
  // The four segments in step while all have symbols (the last is the
  // shortest), then each one's rest.
  const size_t together = end[kHuffmanStreams - 1] - begin[kHuffmanStreams - 1];
  // A symbol without a code (entry 0) writes nothing; any length flushes
  // safely then (Flush needs pending >= 1 only to shift by less than 64).
  size_t i = 0;
  for (; i + 4 <= together; i += 4) {
#pragma GCC unroll 4
    for (int s = 0; s < kHuffmanStreams; ++s) {
      const uint8_t* q = in + begin[s] + i;
      const uint32_t e0 = entry[q[0]], e1 = entry[q[1]], e2 = entry[q[2]], e3 = entry[q[3]];
      missing |= (e0 == 0) | (e1 == 0) | (e2 == 0) | (e3 == 0);
      w[s].Put(e0 & 0xffff, e0 >> 16);
      w[s].Put(e1 & 0xffff, e1 >> 16);
      w[s].Put(e2 & 0xffff, e2 >> 16);
      w[s].Put(e3 & 0xffff, e3 >> 16);
      if (w[s].pending) w[s].Flush();
    }
  }
  for (int s = 0; s < kHuffmanStreams; ++s) {
    for (size_t k = begin[s] + i; k < end[s]; ++k) {
      const uint32_t e = entry[in[k]];
      missing |= e == 0;
      w[s].Put(e & 0xffff, e >> 16);
      if (w[s].pending) w[s].Flush();
    }
    if (code_bits) *code_bits += 8 * uint64_t(w[s].p - (scratch.get() + s * region)) + uint64_t(w[s].pending);
    w[s].Finish();
  }
  if (missing) {
    for (uint8_t sym : symbols)
      if (entry[sym] == 0) return InvalidArgumentError("Huffman encoder: symbol " + std::to_string(sym) + " has no code");
  }
  size_t bytes[kHuffmanStreams];
  for (int s = 0; s < kHuffmanStreams; ++s) bytes[s] = static_cast<size_t>(w[s].p - (scratch.get() + s * region));
  for (int s = 0; s + 1 < kHuffmanStreams; ++s) {
    const uint32_t size = static_cast<uint32_t>(bytes[s]);  // < 2^32: chunks hold at most 2^30 symbols
    for (int b = 0; b < 4; ++b) out.push_back(static_cast<uint8_t>(size >> (8 * b)));
  }
  for (int s = 0; s < kHuffmanStreams; ++s)
    out.insert(out.end(), scratch.get() + s * region, scratch.get() + s * region + bytes[s]);
  return Status::Ok();
}

Status HuffmanEncode8(std::span<const uint8_t> symbols, std::span<const uint8_t> lengths, std::vector<uint8_t>& out,
                      uint64_t* code_bits) {
  constexpr int S = kHuffmanInterleavedStreams;
  auto codes = CanonicalCodes(lengths);
  if (!codes.ok()) return InvalidArgumentError("Huffman encoder: " + codes.status().message());
  uint32_t entry[256] = {};  // code | length << 16, as in HuffmanEncode4
  for (size_t s = 0; s < lengths.size() && s < 256; ++s)
    if (lengths[s] != 0) entry[s] = (*codes)[s] | uint32_t(lengths[s]) << 16;
  const size_t n = symbols.size();
  // Stream 0 codes the most symbols; each stream gets a region of 12 bits
  // per symbol plus the last store's 8 bytes.
  const size_t region = HuffmanInterleavedCount(n, 0) * kHuffmanMaxBits / 8 + 8;
  thread_local std::unique_ptr<uint8_t[]> scratch;
  thread_local size_t scratch_size = 0;
  if (scratch_size < S * region) {
    scratch_size = S * region;
    scratch.reset(new uint8_t[scratch_size]);
  }
  WordWriter w[S];
  for (int s = 0; s < S; ++s) w[s].p = scratch.get() + s * region;
  const uint8_t* in = symbols.data();
  uint32_t missing = 0;
  // Whole rounds of 32 symbols (four per stream), then the rest one by one.
  size_t i = 0;
  for (; i + 4 * S <= n; i += 4 * S) {
#pragma GCC unroll 8
    for (int s = 0; s < S; ++s) {
      const uint32_t e0 = entry[in[i + s]], e1 = entry[in[i + S + s]], e2 = entry[in[i + 2 * S + s]],
                     e3 = entry[in[i + 3 * S + s]];
      missing |= (e0 == 0) | (e1 == 0) | (e2 == 0) | (e3 == 0);
      w[s].Put(e0 & 0xffff, e0 >> 16);
      w[s].Put(e1 & 0xffff, e1 >> 16);
      w[s].Put(e2 & 0xffff, e2 >> 16);
      w[s].Put(e3 & 0xffff, e3 >> 16);
      if (w[s].pending) w[s].Flush();
    }
  }
  for (; i < n; ++i) {
    const uint32_t e = entry[in[i]];
    missing |= e == 0;
    WordWriter& ws = w[i % S];
    ws.Put(e & 0xffff, e >> 16);
    if (ws.pending) ws.Flush();
  }
  for (int s = 0; s < S; ++s) {
    if (code_bits) *code_bits += 8 * uint64_t(w[s].p - (scratch.get() + s * region)) + uint64_t(w[s].pending);
    w[s].Finish();
  }
  if (missing) {
    for (uint8_t sym : symbols)
      if (entry[sym] == 0) return InvalidArgumentError("Huffman encoder: symbol " + std::to_string(sym) + " has no code");
  }
  size_t bytes[S];
  for (int s = 0; s < S; ++s) bytes[s] = static_cast<size_t>(w[s].p - (scratch.get() + s * region));
  for (int s = 0; s + 1 < S; ++s) {
    const uint32_t size = static_cast<uint32_t>(bytes[s]);  // < 2^32: chunks hold at most 2^30 symbols
    for (int b = 0; b < 4; ++b) out.push_back(static_cast<uint8_t>(size >> (8 * b)));
  }
  for (int s = 0; s < S; ++s) out.insert(out.end(), scratch.get() + s * region, scratch.get() + s * region + bytes[s]);
  return Status::Ok();
}

}  // namespace tp::entropy
