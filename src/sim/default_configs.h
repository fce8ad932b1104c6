// Embedded copies of data/arch/*.json and data/energy/*.json.
#pragma once

#include <span>
#include <string_view>

namespace tp::sim::internal {

struct NamedText {
  std::string_view name;
  std::string_view text;
};

std::span<const NamedText> DefaultArchTexts();
std::span<const NamedText> DefaultEnergyTexts();

}  // namespace tp::sim::internal
