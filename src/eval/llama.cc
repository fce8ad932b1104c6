// The llama2.c decoder's forward pass (eval.h), after run.c: one sequence,
// teacher-forced, with a key/value cache; GEMM inputs fake-quantized by name.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <random>

#include "tensorpress/eval.h"

namespace tp::eval {
namespace {

int MetaInt(const Model& m, const std::string& key) {
  for (const auto& [k, v] : m.metadata)
    if (k == key) {
      int out = -1;
      if (std::sscanf(v.c_str(), "%d", &out) != 1) return -1;
      return out;
    }
  return -1;
}

void RmsNorm(const float* x, const float* w, int n, float* out) {
  double ss = 0;
  for (int i = 0; i < n; ++i) ss += double(x[i]) * x[i];
  const float inv = 1.0f / std::sqrt(float(ss / n) + 1e-5f);
  for (int i = 0; i < n; ++i) out[i] = w[i] * (inv * x[i]);
}

// out[r] = sum_c w[r, c] x[c], w row-major rows x cols.
void MatVec(const float* w, const float* x, int rows, int cols, float* out) {
  for (int r = 0; r < rows; ++r) {
    const float* row = w + size_t(r) * cols;
    float s = 0;
    for (int c = 0; c < cols; ++c) s += row[c] * x[c];
    out[r] = s;
  }
}

}  // namespace

StatusOr<LlamaModel> LlamaFromModel(const Model& model) {
  LlamaModel m;
  m.dim = MetaInt(model, "dim"), m.hidden = MetaInt(model, "hidden_dim"), m.layers = MetaInt(model, "n_layers");
  m.heads = MetaInt(model, "n_heads"), m.kv_heads = MetaInt(model, "n_kv_heads");
  m.vocab = MetaInt(model, "vocab_size"), m.seq_len = MetaInt(model, "seq_len");
  if (m.dim <= 0 || m.hidden <= 0 || m.layers <= 0 || m.heads <= 0 || m.kv_heads <= 0 || m.vocab <= 0 ||
      m.seq_len <= 0 || m.dim % m.heads != 0 || m.heads % m.kv_heads != 0 || (m.dim / m.heads) % 2 != 0)
    return InvalidArgumentError("not a llama2.c model (missing or inconsistent config)");
  std::map<std::string, const Tensor*> by_name;
  for (const Tensor& t : model.tensors) by_name[t.name()] = &t;
  const int64_t kv_dim = int64_t(m.dim) / m.heads * m.kv_heads;
  Status bad = Status::Ok();
  auto get = [&](const std::string& name, Shape shape) -> const float* {
    auto it = by_name.find(name);
    if (it == by_name.end() || it->second->dtype() != DType::kF32 || it->second->shape() != shape) {
      if (bad.ok()) bad = InvalidArgumentError("llama2.c model: tensor '" + name + "' missing or misshapen");
      return nullptr;
    }
    return it->second->values<float>().data();
  };
  m.embedding = get("tok_embeddings.weight", {m.vocab, m.dim});
  m.final_norm = get("norm.weight", {m.dim});
  for (int l = 0; l < m.layers; ++l) {
    const std::string p = "layers." + std::to_string(l) + ".";
    m.layer.push_back({get(p + "attention_norm.weight", {m.dim}), get(p + "attention.wq.weight", {m.dim, m.dim}),
                       get(p + "attention.wk.weight", {kv_dim, m.dim}), get(p + "attention.wv.weight", {kv_dim, m.dim}),
                       get(p + "attention.wo.weight", {m.dim, m.dim}), get(p + "ffn_norm.weight", {m.dim}),
                       get(p + "feed_forward.w1.weight", {m.hidden, m.dim}),
                       get(p + "feed_forward.w2.weight", {m.dim, m.hidden}),
                       get(p + "feed_forward.w3.weight", {m.hidden, m.dim})});
  }
  TP_RETURN_IF_ERROR(bad);
  return m;
}

namespace {

// The forward pass over T positions. Teacher-forced when `tokens` already
// holds T tokens; otherwise `next` picks token pos + 1 from position pos's
// logits and it is appended (sampling), so one pass with the key/value cache
// generates a sequence.
StatusOr<std::vector<float>> Forward(const LlamaModel& m, std::vector<int32_t>& tokens, int T,
                                     const ActivationQuantMap& quant,
                                     const std::function<int32_t(std::span<const float>)>& next) {
  if (T > m.seq_len) return InvalidArgumentError("sequence longer than the model's context");
  if (tokens.empty() || (!next && tokens.size() != size_t(T))) return InvalidArgumentError("no tokens to run");
  for (int32_t t : tokens)
    if (t < 0 || t >= m.vocab) return InvalidArgumentError("token " + std::to_string(t) + " outside the vocabulary");
  const int dim = m.dim, hs = dim / m.heads, kv_dim = hs * m.kv_heads, kv_mul = m.heads / m.kv_heads;
  // Quantizers of each layer's four GEMM inputs (float when absent).
  struct LayerQuant {
    ActivationQuant qkv, wo, w1w3, w2;
  };
  std::vector<LayerQuant> lq(m.layers);
  auto find = [&](const std::string& name) {
    auto it = quant.find(name);
    return it == quant.end() ? ActivationQuant{} : it->second;
  };
  for (int l = 0; l < m.layers; ++l) {
    const std::string p = "layers." + std::to_string(l) + ".";
    lq[l] = {find(p + "attention.wqkv.input"), find(p + "attention.wo.input"), find(p + "feed_forward.w1w3.input"),
             find(p + "feed_forward.w2.input")};
  }
  std::vector<float> x(dim), xb(dim), xb2(dim), q(dim), hb(m.hidden), hb2(m.hidden), att(T);
  std::vector<float> key_cache(size_t(m.layers) * T * kv_dim), value_cache(key_cache.size());
  std::vector<float> logits(size_t(T) * m.vocab);
  for (int pos = 0; pos < T; ++pos) {
    std::copy_n(m.embedding + size_t(tokens[pos]) * dim, dim, x.begin());
    for (int l = 0; l < m.layers; ++l) {
      const LlamaModel::Layer& w = m.layer[l];
      RmsNorm(x.data(), w.attention_norm, dim, xb.data());
      FakeQuantize(lq[l].qkv, xb);
      float* k = &key_cache[(size_t(l) * T + pos) * kv_dim];
      float* v = &value_cache[(size_t(l) * T + pos) * kv_dim];
      MatVec(w.wq, xb.data(), dim, dim, q.data());
      MatVec(w.wk, xb.data(), kv_dim, dim, k);
      MatVec(w.wv, xb.data(), kv_dim, dim, v);
      // RoPE: rotate each (even, odd) pair by pos * 10000^(-head_dim / head_size).
      for (int i = 0; i < dim; i += 2) {
        const float freq = 1.0f / std::pow(10000.0f, float(i % hs) / float(hs));
        const float val = float(pos) * freq, fcr = std::cos(val), fci = std::sin(val);
        for (int which = 0; which < (i < kv_dim ? 2 : 1); ++which) {
          float* vec = which == 0 ? q.data() : k;
          const float v0 = vec[i], v1 = vec[i + 1];
          vec[i] = v0 * fcr - v1 * fci;
          vec[i + 1] = v0 * fci + v1 * fcr;
        }
      }
      for (int h = 0; h < m.heads; ++h) {
        const float* qh = q.data() + h * hs;
        const int kvh = h / kv_mul;
        float mx = -INFINITY;
        for (int t = 0; t <= pos; ++t) {
          const float* kt = &key_cache[(size_t(l) * T + t) * kv_dim + kvh * hs];
          float s = 0;
          for (int i = 0; i < hs; ++i) s += qh[i] * kt[i];
          att[t] = s / std::sqrt(float(hs));
          mx = std::max(mx, att[t]);
        }
        float sum = 0;
        for (int t = 0; t <= pos; ++t) sum += att[t] = std::exp(att[t] - mx);
        float* out = xb.data() + h * hs;
        std::fill_n(out, hs, 0.0f);
        for (int t = 0; t <= pos; ++t) {
          const float* vt = &value_cache[(size_t(l) * T + t) * kv_dim + kvh * hs];
          const float a = att[t] / sum;
          for (int i = 0; i < hs; ++i) out[i] += a * vt[i];
        }
      }
      FakeQuantize(lq[l].wo, xb);
      MatVec(w.wo, xb.data(), dim, dim, xb2.data());
      for (int i = 0; i < dim; ++i) x[i] += xb2[i];
      RmsNorm(x.data(), w.ffn_norm, dim, xb.data());
      FakeQuantize(lq[l].w1w3, xb);
      MatVec(w.w1, xb.data(), m.hidden, dim, hb.data());
      MatVec(w.w3, xb.data(), m.hidden, dim, hb2.data());
      for (int i = 0; i < m.hidden; ++i) hb[i] = hb[i] / (1.0f + std::exp(-hb[i])) * hb2[i];
      FakeQuantize(lq[l].w2, hb);
      MatVec(w.w2, hb.data(), dim, m.hidden, xb.data());
      for (int i = 0; i < dim; ++i) x[i] += xb[i];
    }
    RmsNorm(x.data(), m.final_norm, dim, xb.data());
    MatVec(m.embedding, xb.data(), m.vocab, dim, &logits[size_t(pos) * m.vocab]);
    if (next && pos + 1 < T && tokens.size() == size_t(pos) + 1) {
      const int32_t t = next(std::span<const float>(&logits[size_t(pos) * m.vocab], size_t(m.vocab)));
      if (t < 0 || t >= m.vocab) return InternalError("sampled token outside the vocabulary");
      tokens.push_back(t);
    }
  }
  return logits;
}

}  // namespace

StatusOr<std::vector<float>> LlamaLogits(const LlamaModel& m, std::span<const int32_t> tokens,
                                         const ActivationQuantMap& quant) {
  std::vector<int32_t> t(tokens.begin(), tokens.end());
  if (t.empty()) return std::vector<float>{};
  return Forward(m, t, int(t.size()), quant, nullptr);
}

StatusOr<LlamaSample> SampleLlama(const LlamaModel& m, int length, uint64_t seed, int32_t first_token) {
  if (length < 1) return InvalidArgumentError("a sampled sequence needs at least one token");
  // Inverse CDF of softmax(logits) in double at u = 53 bits of mt19937_64,
  // whose output sequence the standard fixes (unlike its distributions), so
  // a seed gives the same tokens everywhere.
  std::mt19937_64 rng(seed);
  std::vector<double> p(size_t(m.vocab));
  auto next = [&](std::span<const float> l) -> int32_t {
    const float mx = *std::max_element(l.begin(), l.end());
    double sum = 0;
    for (size_t v = 0; v < l.size(); ++v) sum += p[v] = std::exp(double(l[v]) - mx);
    const double u = double(rng() >> 11) * 0x1.0p-53 * sum;
    double c = 0;
    for (size_t v = 0; v < l.size(); ++v)
      if ((c += p[v]) > u) return int32_t(v);
    return int32_t(l.size() - 1);  // u at the very top of the rounded sum
  };
  LlamaSample out;
  out.tokens = {first_token};
  TP_ASSIGN_OR_RETURN(out.logits, Forward(m, out.tokens, length, {}, next));
  return out;
}

LmScore ScoreLogits(std::span<const float> logits, std::span<const float> reference, std::span<const int32_t> tokens,
                    int length, int vocab) {
  LmScore s;
  if (length <= 0 || vocab <= 0) return s;
  const size_t seqs = tokens.size() / size_t(length);
  double nll = 0;
  uint64_t agree = 0;
  for (size_t i = 0; i < logits.size() && i < reference.size(); ++i)
    s.max_abs_diff = std::max(s.max_abs_diff, double(std::abs(logits[i] - reference[i])));
  for (size_t sq = 0; sq < seqs; ++sq)
    for (int p = 0; p + 1 < length; ++p) {
      const size_t row = (sq * length + p) * size_t(vocab);
      if (row + vocab > logits.size() || row + vocab > reference.size()) continue;
      const float* l = &logits[row];
      const float* r = &reference[row];
      const float mx = *std::max_element(l, l + vocab);
      double sum = 0;
      for (int v = 0; v < vocab; ++v) sum += std::exp(double(l[v] - mx));
      const int32_t next = tokens[sq * length + p + 1];
      nll += -(double(l[next] - mx) - std::log(sum));
      agree += (std::max_element(l, l + vocab) - l) == (std::max_element(r, r + vocab) - r);
      ++s.predictions;
    }
  if (s.predictions) {
    s.perplexity = std::exp(nll / double(s.predictions));
    s.agreement = double(agree) / double(s.predictions);
  }
  return s;
}

}  // namespace tp::eval
