// Issue #3's target on real data: on every int8 tensor of the shared models
// (weights quantized as `analyze --quantize int8` does, TFLite int8 tensors as
// they are), Atalanta's whole stream is smaller than BPC's, zero-RLE's and
// zstd -19's. The exceptions are the ones no order-0 code can win, each
// decided from the data, never from a name:
//  - the baseline is below the tensor's order-0 entropy (n * H bits): it sees
//    structure between values (repeated rows, per-channel statistics) that
//    no per-tensor histogram can;
//  - BPC on a smooth tensor (its first differences cost at least half a bit
//    a value less than its values): BPC codes differences, Atalanta values;
//  - a tensor of fewer than 1024 values may tie, or trail by one byte: an
//    incompressible tensor cannot be coded below raw storage (zero-RLE of a
//    tensor without zero runs is raw), and Atalanta's table and its chunk
//    each round up to a whole byte.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "tensorpress/codec.h"
#include "tensorpress/model.h"
#include "testing/test_util.h"

namespace tp {
namespace {

double EntropyOfDifferences(const std::vector<uint8_t>& codes) {
  std::vector<uint8_t> d(codes.size());
  for (size_t i = 0; i < codes.size(); ++i) d[i] = static_cast<uint8_t>(codes[i] - (i ? codes[i - 1] : 0));
  return EntropyBitsPerValue(d);
}

TEST(AtalantaWins, EveryInt8TensorOfTheSharedModels) {
  const char* files[] = {"mnist-cnn/mnist_cnn.safetensors",         "stories260k/stories260K.bin",
                         "mlperf-tiny/resnet8_cifar10.safetensors", "mlperf-tiny/mobilenet_vww96.safetensors",
                         "mlperf-tiny/autoencoder_ad01.safetensors", "mlperf-tiny/dscnn_kws_float32.tflite",
                         "mlperf-tiny/resnet8_cifar10_int8.tflite"};
  const Codec baselines[] = {Codec::kBpc, Codec::kZeroRle, Codec::kZstd19};
  int tensors = 0, strict_wins = 0, beyond_order0 = 0, smooth = 0, small_ties = 0;
  for (const char* file : files) {
    auto model = ReadModel(testing::SharedModel(file));
    ASSERT_TRUE(model.ok()) << file << ": " << model.status().message();
    PrepareOptions prep;
    prep.quantize_int8 = true;
    prep.keras_safetensors = model->format == ModelFormat::kSafetensors;
    for (const Tensor& t : model->tensors) {
      auto codes = PrepareCodes(t, prep);
      if (!codes.ok()) {
        ASSERT_EQ(codes.status().code(), StatusCode::kUnsupported) << codes.status().message();
        continue;
      }
      if (!codes->signed_codes || codes->codes.empty()) continue;
      ++tensors;
      CodecOptions o;
      o.signed_codes = true;
      o.zero_code = codes->zero_code;
      o.rows = codes->rows;
      auto atalanta = EncodeCodes(Codec::kAtalanta, codes->codes, o);
      ASSERT_TRUE(atalanta.ok());
      const size_t a = atalanta->bytes.size(), n = codes->codes.size();
      const double h = EntropyBitsPerValue(codes->codes);
      const std::string where = std::string(file) + " " + t.name();
      for (Codec c : baselines) {
        auto other = EncodeCodes(c, codes->codes, o);
        ASSERT_TRUE(other.ok());
        const size_t x = other->bytes.size();
        if (a < x) {
          ++strict_wins;
          continue;
        }
        if (8.0 * double(x) < h * double(n)) {
          ++beyond_order0;
          std::printf("%s: %s (%zu bytes) is below the order-0 entropy (%.0f bytes); Atalanta %zu\n", where.c_str(),
                      std::string(CodecName(c)).c_str(), x, h * double(n) / 8, a);
          continue;
        }
        if (c == Codec::kBpc && EntropyOfDifferences(codes->codes) < h - 0.5) {
          ++smooth;
          std::printf("%s: smooth (differences %.2f < values %.2f bits), BPC %zu bytes, Atalanta %zu\n",
                      where.c_str(), EntropyOfDifferences(codes->codes), h, x, a);
          continue;
        }
        ++small_ties;
        EXPECT_LT(n, 1024u) << where << " vs " << CodecName(c) << ": " << a << " >= " << x << " bytes";
        EXPECT_LE(a, x + 1) << where << " vs " << CodecName(c);
      }
    }
  }
  EXPECT_GT(tensors, 300);
  // The exceptions stay exceptional (today: stories260K's token embeddings
  // and a MobileNet 1x1 kernel against zstd, a smooth bias against BPC).
  EXPECT_LE(beyond_order0 + smooth, 3);
  std::printf("%d int8 tensors: %d strict wins of %d comparisons; %d baselines below the order-0 entropy, "
              "%d BPC on smooth tensors, %d ties (or one byte) on tensors below 1024 values\n",
              tensors, strict_wins, 3 * tensors, beyond_order0, smooth, small_ties);
}

}  // namespace
}  // namespace tp
