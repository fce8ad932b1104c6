// Every weight tensor of rank >= 2 in the shared models, at every 2-D ASTC
// footprint: it must encode, decode to the right shape with finite values,
// and the decoded weight-domain RMSE must be the error the encoder reported
// from its own model. Runs at the lowest quality to keep the sweep short.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "tensorpress/astc.h"
#include "tensorpress/model.h"
#include "testing/test_util.h"

namespace tp::astc {
namespace {

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TP_ASTC_UNDER_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define TP_ASTC_UNDER_ASAN 1
#endif

#ifdef TP_ASTC_UNDER_ASAN
constexpr size_t kTensorStride = 4;  // sanitizers are ~10x slower: every 4th tensor
#else
constexpr size_t kTensorStride = 1;
#endif

constexpr int kFootprints[14][2] = {{4, 4},  {5, 4},  {5, 5},  {6, 5},   {6, 6},   {8, 5},   {8, 6},
                                    {8, 8},  {10, 5}, {10, 6}, {10, 8}, {10, 10}, {12, 10}, {12, 12}};

TEST(AstcRoundTrip, EveryWeightMatrixOfTheSharedModelsAtEveryFootprint) {
  const char* models[] = {"mnist-cnn/mnist_cnn.safetensors", "stories260k/stories260K.bin",
                          "mlperf-tiny/autoencoder_ad01.safetensors", "mlperf-tiny/mobilenet_vww96.safetensors",
                          "mlperf-tiny/resnet8_cifar10.safetensors"};
  size_t seen = 0, checked = 0;
  for (const char* name : models) {
    auto model = ReadModel(tp::testing::SharedModel(name));
    ASSERT_TRUE(model.ok()) << name << ": " << model.status().message();
    for (const Tensor& tensor : model->tensors) {
      if (tensor.shape().size() < 2 || !Traits(tensor.dtype()).is_float) continue;
      if (seen++ % kTensorStride != 0) continue;
      ++checked;
      SCOPED_TRACE(std::string(name) + ": " + tensor.name());
      auto f32 = ToF32(tensor);
      ASSERT_TRUE(f32.ok());
      const int64_t cols = tensor.shape().back();
      const int64_t rows = static_cast<int64_t>(tensor.elements()) / cols;
      for (const auto& fp : kFootprints) {
        SCOPED_TRACE(std::to_string(fp[0]) + "x" + std::to_string(fp[1]));
        TensorEncodeOptions options;
        options.encode.block_x = fp[0];
        options.encode.block_y = fp[1];
        options.encode.quality = 0;
        auto encoded = EncodeTensor(tensor, options);
        ASSERT_TRUE(encoded.ok()) << encoded.status().message();
        ASSERT_EQ(encoded->shape, (Shape{rows, cols}));
        EXPECT_EQ(encoded->image.width, cols);
        EXPECT_EQ(encoded->image.height, rows);
        EXPECT_EQ(encoded->image.blocks.size(), size_t(encoded->image.blocks_x()) *
                                                     size_t(encoded->image.blocks_y()) * kBlockBytes);
        // Through the file format too: what a reader sees is what was encoded.
        auto reparsed = ParseAstcFile(SerializeAstcFile(encoded->image));
        ASSERT_TRUE(reparsed.ok());
        AstcTensor from_file = *encoded;
        from_file.image = *reparsed;
        auto decoded = DecodeTensorValues(from_file);
        ASSERT_TRUE(decoded.ok()) << decoded.status().message();
        ASSERT_EQ(decoded->size(), tensor.elements());
        for (float v : *decoded) ASSERT_TRUE(std::isfinite(v));
        ErrorStats err = CompareValues(f32->values<float>(), *decoded);
        // The encoder accounts in half-float texel units; the weight domain
        // adds float rounding of the affine map (~1e-7 of the range).
        EXPECT_NEAR(err.rmse, encoded->encoder_rmse, 1e-5 * encoded->encoder_rmse + 1e-6 * encoded->scale)
            << "decoded " << err.rmse << " reported " << encoded->encoder_rmse;
        // Bounded by the range: a decode can never leave the tensor's span by more than a step.
        EXPECT_LE(err.max_abs, double(encoded->scale) * 1.001);
      }
    }
  }
  std::printf("round-tripped %zu of %zu weight tensors at 14 footprints\n", checked, seen);
  EXPECT_GT(checked, 20u);
}

}  // namespace
}  // namespace tp::astc
