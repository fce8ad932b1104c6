// The shared MNIST CNN's forward pass and digit reader: what accuracy-driven
// rate selection (`astc plan --accuracy-floor`), the accuracy table and the
// quantized-activation accuracy of eval.h need. (Declared in astc.h for the
// ASTC planner, which came first; the quantized variants in eval.h.)
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "tensorpress/astc.h"
#include "tensorpress/eval.h"

namespace tp::astc {
namespace {

// The IDX files of 10,000 digits are 7.8 MB unpacked; anything much larger is not MNIST.
constexpr size_t kMaxIdxBytes = size_t(64) << 20;

StatusOr<std::vector<uint8_t>> Gunzip(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) return NotFoundError("cannot open " + path);
  std::vector<uint8_t> out;
  std::vector<uint8_t> buf(1 << 16);
  int n;
  while ((n = gzread(f, buf.data(), static_cast<unsigned>(buf.size()))) > 0) {
    if (out.size() + static_cast<size_t>(n) > kMaxIdxBytes) {
      gzclose(f);
      return CorruptDataError(path + ": larger than any MNIST IDX file");
    }
    out.insert(out.end(), buf.begin(), buf.begin() + n);
  }
  const bool bad = n < 0;
  gzclose(f);
  if (bad) return CorruptDataError(path + ": corrupt gzip data");
  return out;
}

uint32_t BigEndian32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | uint32_t(p[3]);
}

struct Slot {
  const char* name;
  std::vector<float> MnistCnnWeights::*field;
  size_t size;
};
constexpr size_t kDense1 = 9216 * 128;
const Slot kSlots[] = {
    {"conv2d_1.kernel", &MnistCnnWeights::conv1_k, 3 * 3 * 1 * 32}, {"conv2d_1.bias", &MnistCnnWeights::conv1_b, 32},
    {"conv2d_2.kernel", &MnistCnnWeights::conv2_k, 3 * 3 * 32 * 64}, {"conv2d_2.bias", &MnistCnnWeights::conv2_b, 64},
    {"dense_1.kernel", &MnistCnnWeights::dense1_k, kDense1},         {"dense_1.bias", &MnistCnnWeights::dense1_b, 128},
    {"dense_2.kernel", &MnistCnnWeights::dense2_k, 128 * 10},        {"dense_2.bias", &MnistCnnWeights::dense2_b, 10},
};

}  // namespace

StatusOr<MnistDigits> ReadMnistDigits(const std::string& images_idx_gz, const std::string& labels_idx_gz,
                                      size_t limit) {
  TP_ASSIGN_OR_RETURN(std::vector<uint8_t> images, Gunzip(images_idx_gz));
  TP_ASSIGN_OR_RETURN(std::vector<uint8_t> labels, Gunzip(labels_idx_gz));
  if (images.size() < 16 || BigEndian32(images.data()) != 0x803 || BigEndian32(images.data() + 8) != 28 ||
      BigEndian32(images.data() + 12) != 28)
    return CorruptDataError(images_idx_gz + ": not an IDX file of 28x28 images");
  if (labels.size() < 8 || BigEndian32(labels.data()) != 0x801)
    return CorruptDataError(labels_idx_gz + ": not an IDX label file");
  const size_t count = BigEndian32(images.data() + 4);
  if (count != BigEndian32(labels.data() + 4)) return CorruptDataError("MNIST image and label counts differ");
  if ((images.size() - 16) / 784 < count || labels.size() - 8 < count)
    return CorruptDataError("MNIST files are shorter than their headers say");
  const size_t n = std::min(count, limit);
  MnistDigits d;
  d.pixels.resize(n * 784);
  for (size_t i = 0; i < n * 784; ++i) d.pixels[i] = images[16 + i] / 255.0f;
  d.labels.assign(labels.begin() + 8, labels.begin() + 8 + static_cast<std::ptrdiff_t>(n));
  for (uint8_t l : d.labels)
    if (l > 9) return CorruptDataError(labels_idx_gz + ": a label outside 0..9");
  return d;
}

StatusOr<MnistCnnWeights> MnistCnnWeightsFromModel(const Model& model) {
  MnistCnnWeights w;
  for (const Slot& slot : kSlots) {
    const Tensor* t = nullptr;
    for (const Tensor& candidate : model.tensors)
      if (candidate.name() == slot.name) t = &candidate;
    if (!t) return InvalidArgumentError(std::string("not the shared MNIST CNN: no tensor '") + slot.name + "'");
    TP_ASSIGN_OR_RETURN(Tensor f32, ToF32(*t));
    auto v = f32.values<float>();
    TP_RETURN_IF_ERROR(SetMnistCnnTensor(w, slot.name, std::vector<float>(v.begin(), v.end())));
  }
  return w;
}

Status SetMnistCnnTensor(MnistCnnWeights& weights, const std::string& name, std::vector<float> values) {
  for (const Slot& slot : kSlots)
    if (name == slot.name) {
      if (values.size() != slot.size)
        return InvalidArgumentError("not the shared MNIST CNN: '" + name + "' holds " +
                                    std::to_string(values.size()) + " values, not " + std::to_string(slot.size));
      weights.*slot.field = std::move(values);
      return Status::Ok();
    }
  return InvalidArgumentError("the MNIST CNN has no tensor '" + name + "'");
}

// One image with the input of every layer fake-quantized (float when the
// quantizers say so).
static void ForwardQuantized(const MnistCnnWeights& w, const eval::MnistInputQuant& quant, const float* raw_image,
                      float* logits) {
  static thread_local std::vector<float> image(784), a1(26 * 26 * 32), a2(24 * 24 * 64), pooled(9216), h(128);
  std::copy_n(raw_image, 784, image.begin());
  eval::FakeQuantize(quant.conv1, image);
  for (int y = 0; y < 26; ++y)
    for (int x = 0; x < 26; ++x) {
      float* out = &a1[(y * 26 + x) * 32];
      for (int o = 0; o < 32; ++o) out[o] = w.conv1_b[o];
      for (int ky = 0; ky < 3; ++ky)
        for (int kx = 0; kx < 3; ++kx) {
          float v = image[(y + ky) * 28 + x + kx];
          const float* k = &w.conv1_k[(ky * 3 + kx) * 32];
          for (int o = 0; o < 32; ++o) out[o] += v * k[o];
        }
      for (int o = 0; o < 32; ++o) out[o] = std::max(out[o], 0.0f);
    }
  eval::FakeQuantize(quant.conv2, a1);
  for (int y = 0; y < 24; ++y)
    for (int x = 0; x < 24; ++x) {
      float acc[64];
      for (int o = 0; o < 64; ++o) acc[o] = w.conv2_b[o];
      for (int ky = 0; ky < 3; ++ky)
        for (int kx = 0; kx < 3; ++kx) {
          const float* in = &a1[((y + ky) * 26 + x + kx) * 32];
          const float* k = &w.conv2_k[(ky * 3 + kx) * 32 * 64];
          for (int i = 0; i < 32; ++i) {
            float v = in[i];
            for (int o = 0; o < 64; ++o) acc[o] += v * k[i * 64 + o];
          }
        }
      for (int o = 0; o < 64; ++o) a2[(y * 24 + x) * 64 + o] = std::max(acc[o], 0.0f);
    }
  for (int y = 0; y < 12; ++y)
    for (int x = 0; x < 12; ++x)
      for (int c = 0; c < 64; ++c) {
        float m = a2[((2 * y) * 24 + 2 * x) * 64 + c];
        m = std::max(m, a2[((2 * y) * 24 + 2 * x + 1) * 64 + c]);
        m = std::max(m, a2[((2 * y + 1) * 24 + 2 * x) * 64 + c]);
        m = std::max(m, a2[((2 * y + 1) * 24 + 2 * x + 1) * 64 + c]);
        pooled[(y * 12 + x) * 64 + c] = m;
      }
  eval::FakeQuantize(quant.dense1, pooled);
  for (int o = 0; o < 128; ++o) h[o] = w.dense1_b[o];
  // Pooled ReLU outputs are often zero: skipping their rows of dense_1 halves the work.
  for (int i = 0; i < 9216; ++i) {
    float v = pooled[i];
    if (v == 0) continue;
    const float* k = &w.dense1_k[static_cast<size_t>(i) * 128];
    for (int o = 0; o < 128; ++o) h[o] += v * k[o];
  }
  for (float& v : h) v = std::max(v, 0.0f);
  eval::FakeQuantize(quant.dense2, h);
  for (int o = 0; o < 10; ++o) {
    float s = w.dense2_b[o];
    for (int i = 0; i < 128; ++i) s += h[i] * w.dense2_k[i * 10 + o];
    logits[o] = s;
  }
}

void MnistCnnForward(const MnistCnnWeights& w, const float* image, float* logits) {
  ForwardQuantized(w, {}, image, logits);
}

static double AccuracyQuantized(const MnistCnnWeights& weights, const eval::MnistInputQuant& quant, const MnistDigits& digits) {
  const size_t n = std::min(digits.labels.size(), digits.pixels.size() / 784);
  std::vector<uint8_t> correct(n, 0);
  std::atomic<size_t> next{0};
  auto work = [&] {
    float logits[10];
    for (size_t i; (i = next++) < n;) {
      ForwardQuantized(weights, quant, &digits.pixels[i * 784], logits);
      correct[i] = (std::max_element(logits, logits + 10) - logits) == digits.labels[i];
    }
  };
  std::vector<std::thread> pool;
  const unsigned threads = static_cast<unsigned>(std::min<size_t>(std::max(1u, std::thread::hardware_concurrency()), std::max<size_t>(n, 1)));
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  size_t sum = 0;
  for (uint8_t c : correct) sum += c;
  return n ? double(sum) / double(n) : 0;
}

double MnistCnnAccuracy(const MnistCnnWeights& weights, const MnistDigits& digits) {
  return AccuracyQuantized(weights, {}, digits);
}

}  // namespace tp::astc

namespace tp::eval {

MnistInputQuant MnistQuantFromMap(const ActivationQuantMap& map) {
  auto find = [&](const char* name) {
    auto it = map.find(name);
    return it == map.end() ? ActivationQuant{} : it->second;
  };
  return {find("conv2d_1.input"), find("conv2d_2.input"), find("dense_1.input"), find("dense_2.input")};
}

void MnistCnnForwardQuantized(const astc::MnistCnnWeights& weights, const MnistInputQuant& quant,
                              const float* image, float* logits) {
  astc::ForwardQuantized(weights, quant, image, logits);
}

double MnistCnnAccuracyQuantized(const astc::MnistCnnWeights& weights, const MnistInputQuant& quant,
                                 const astc::MnistDigits& digits) {
  return astc::AccuracyQuantized(weights, quant, digits);
}

}  // namespace tp::eval
