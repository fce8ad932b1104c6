// Names of the .tpz layouts, shared by the writer and the reader.
#include "tensorpress/tpz.h"

namespace tp {

std::string_view TpzLayoutName(TpzLayout layout) {
  switch (layout) {
    case TpzLayout::kAuto: return "auto";
    case TpzLayout::kBytePlanes: return "bytes";
    case TpzLayout::kFloatFields: return "fields";
    case TpzLayout::kWhole: return "whole";
  }
  return "?";
}

std::optional<TpzLayout> TpzLayoutFromName(std::string_view name) {
  for (TpzLayout l : {TpzLayout::kAuto, TpzLayout::kBytePlanes, TpzLayout::kFloatFields, TpzLayout::kWhole})
    if (TpzLayoutName(l) == name) return l;
  return std::nullopt;
}

}  // namespace tp
