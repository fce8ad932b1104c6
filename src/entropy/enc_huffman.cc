#include "entropy/enc_huffman.h"

#include <algorithm>
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

}  // namespace tp::entropy
