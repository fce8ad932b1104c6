// llama2.c checkpoints (the legacy "version 0" export of Karpathy's llama2.c):
// seven little-endian int32 config fields (dim, hidden_dim, n_layers,
// n_heads, n_kv_heads, vocab_size, seq_len), then fp32 arrays with no
// padding. A negative vocab_size means the classifier is not shared with the
// token embedding and a separate [vocab, dim] matrix follows the RoPE tables.
//
// The format has no magic number, so detection rests on the arithmetic: the
// config must be self-consistent and imply exactly the file's size.
#include <array>
#include <cstring>

#include "io/readers.h"

namespace tp::io {
namespace {

struct Config {
  int64_t dim, hidden, layers, heads, kv_heads, vocab, seq_len;
  bool shared_classifier;
  int64_t kv_dim() const { return dim * kv_heads / heads; }
  int64_t head_size() const { return dim / heads; }
};

// One array of the checkpoint: name pattern, per-layer or not, shape.
struct ArraySpec {
  std::string name;  // "{l}" is replaced by the layer index
  bool per_layer;
  Shape shape;       // shape of one layer's slice
};

std::vector<ArraySpec> Layout(const Config& c) {
  std::vector<ArraySpec> a = {
      {"tok_embeddings.weight", false, {c.vocab, c.dim}},
      {"layers.{l}.attention_norm.weight", true, {c.dim}},
      {"layers.{l}.attention.wq.weight", true, {c.dim, c.dim}},
      {"layers.{l}.attention.wk.weight", true, {c.kv_dim(), c.dim}},
      {"layers.{l}.attention.wv.weight", true, {c.kv_dim(), c.dim}},
      {"layers.{l}.attention.wo.weight", true, {c.dim, c.dim}},
      {"layers.{l}.ffn_norm.weight", true, {c.dim}},
      {"layers.{l}.feed_forward.w1.weight", true, {c.hidden, c.dim}},
      {"layers.{l}.feed_forward.w2.weight", true, {c.dim, c.hidden}},
      {"layers.{l}.feed_forward.w3.weight", true, {c.hidden, c.dim}},
      {"norm.weight", false, {c.dim}},
      {"freq_cis_real", false, {c.seq_len, c.head_size() / 2}},
      {"freq_cis_imag", false, {c.seq_len, c.head_size() / 2}},
  };
  if (!c.shared_classifier) a.push_back({"output.weight", false, {c.vocab, c.dim}});
  return a;
}

constexpr int64_t kMaxDim = int64_t{1} << 24;

// Validates the config; on success sets *floats to the number of fp32 values
// that must follow it.
Status ParseConfig(std::span<const uint8_t> b, Config* c, uint64_t* floats) {
  if (b.size() < 28) return CorruptDataError("too short for a llama2.c config (28 bytes)");
  std::array<int32_t, 7> f;
  std::memcpy(f.data(), b.data(), 28);
  if (f[0] == 0x616b3432)  // "ak42": llama2.c's versioned export
    return UnsupportedError("llama2.c versioned export (magic ak42) is not supported; use the legacy export");
  *c = {f[0], f[1], f[2], f[3], f[4], f[5] < 0 ? -int64_t{f[5]} : f[5], f[6], f[5] > 0};
  const char* names[] = {"dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "seq_len"};
  const int64_t vals[] = {c->dim, c->hidden, c->layers, c->heads, c->kv_heads, c->vocab, c->seq_len};
  for (int i = 0; i < 7; ++i)
    if (vals[i] <= 0 || vals[i] > kMaxDim)
      return CorruptDataError(std::string("config field ") + names[i] + " = " +
                              std::to_string(vals[i]) + " is out of range");
  if (c->dim % c->heads != 0) return CorruptDataError("dim is not a multiple of n_heads");
  if (c->kv_heads > c->heads || c->heads % c->kv_heads != 0)
    return CorruptDataError("n_kv_heads does not divide n_heads");
  // Every field is at most 2^24, so a per-layer array holds at most 2^72
  // values: sum in 128 bits and bound the total before using it.
  unsigned __int128 total = 0;
  for (const ArraySpec& a : Layout(*c)) {
    unsigned __int128 n = a.per_layer ? c->layers : 1;
    for (int64_t d : a.shape) n *= static_cast<uint64_t>(d);
    total += n;
  }
  if (total > (UINT64_MAX >> 3)) return CorruptDataError("config implies an impossibly large model");
  *floats = static_cast<uint64_t>(total);
  return Status::Ok();
}

}  // namespace

bool LooksLikeLlama2c(std::span<const uint8_t> bytes) {
  Config c;
  uint64_t floats;
  return ParseConfig(bytes, &c, &floats).ok() && bytes.size() - 28 == floats * 4;
}

StatusOr<Model> ReadLlama2c(std::shared_ptr<const Buffer> buffer, const std::string& path) {
  std::span<const uint8_t> b = buffer->bytes();
  Config c;
  uint64_t floats;
  TP_RETURN_IF_ERROR(ParseConfig(b, &c, &floats));
  if (b.size() - 28 != floats * 4)
    return CorruptDataError("config implies " + std::to_string(28 + floats * 4) +
                            " bytes but the file has " + std::to_string(b.size()));
  Model model;
  model.metadata = {{"dim", std::to_string(c.dim)},          {"hidden_dim", std::to_string(c.hidden)},
                    {"n_layers", std::to_string(c.layers)},  {"n_heads", std::to_string(c.heads)},
                    {"n_kv_heads", std::to_string(c.kv_heads)}, {"vocab_size", std::to_string(c.vocab)},
                    {"seq_len", std::to_string(c.seq_len)},
                    {"shared_classifier", c.shared_classifier ? "true" : "false"}};
  uint64_t offset = 28;
  for (const ArraySpec& a : Layout(c)) {
    uint64_t n = *ElementCount(a.shape) * 4;
    for (int64_t l = 0; l < (a.per_layer ? c.layers : 1); ++l) {
      std::string name = a.name;
      if (auto p = name.find("{l}"); p != std::string::npos) name.replace(p, 3, std::to_string(l));
      TP_ASSIGN_OR_RETURN(Tensor t, Tensor::View(name, DType::kF32, a.shape, b.subspan(offset, n), buffer));
      model.tensors.push_back(std::move(t));
      offset += n;
    }
  }
  return model;
}

}  // namespace tp::io
