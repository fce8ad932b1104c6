// PyTorch checkpoints (.pt, .pth, pytorch_model.bin) without running them.
//
// torch.save writes a ZIP (since PyTorch 1.6) of stored members:
//   <archive>/data.pkl   the object (a state_dict, usually) as a pickle
//                        whose tensors refer to storages by persistent id
//   <archive>/data/<key> each storage's raw little-endian bytes, 64-byte
//                        aligned in the file
//   <archive>/version, byteorder, ...
// and before 1.6 (and with _use_new_zipfile_serialization=False) a "legacy"
// stream: five pickles back to back (magic number, protocol version, system
// info, the object, the sorted storage keys), then each storage as a
// little-endian int64 element count followed by its bytes.
//
// The pickle goes through the restricted unpickler (pickle.h) with a handler
// that knows only what rebuilding a state_dict needs: OrderedDict, the
// torch._utils rebuild functions, the typed storage classes and persistent
// ids naming storages. Any other global (os.system, a pickled nn.Module,
// numpy scalars, argparse.Namespace) refuses the whole file, naming it.
// Nothing is imported or called: a "call" of _rebuild_tensor_v2 just records
// (storage, offset, shape, strides), and the tensors are materialised after
// the pickle has been read as views of the storage bytes in the mapped file.
// A view that is not a contiguous run of its storage (a transpose, a
// column) is copied and said so in the model's warnings; its storage bytes
// stay in the file as they are.
#include <algorithm>
#include <cstring>
#include <map>
#include <unordered_map>

#include "io/pickle.h"
#include "io/readers.h"
#include "io/zip.h"

namespace tp::io {
namespace {

using Kind = PickleValue::Kind;

// The first pickle of a legacy file: PROTO 2, LONG1 of 10 bytes holding
// torch.serialization's MAGIC_NUMBER 0x1950a86a20f9469cfc6c, STOP.
constexpr uint8_t kLegacyMagic[] = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46,
                                    0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e};
constexpr int kMaxNesting = 64;
constexpr uint64_t kMaxWalkVisits = 4'000'000;
constexpr size_t kMaxMetadataEntries = 256;

// Globals the handler accepts. Storage classes are kStorageBase + DType.
enum GlobalId : int {
  kOrderedDict,
  kRebuildTensorV2,
  kRebuildTensor,
  kRebuildParameter,
  kRebuildParameterWithState,
  kRebuildFromTypeV2,
  kTensorClass,
  kParameterClass,
  kStorageBase = 1000,
};

struct StorageClass {
  std::string_view name;
  DType dtype;
};
constexpr StorageClass kStorageClasses[] = {
    {"FloatStorage", DType::kF32}, {"DoubleStorage", DType::kF64}, {"HalfStorage", DType::kF16},
    {"BFloat16Storage", DType::kBF16}, {"LongStorage", DType::kI64}, {"IntStorage", DType::kI32},
    {"ShortStorage", DType::kI16}, {"CharStorage", DType::kI8}, {"ByteStorage", DType::kU8},
    {"BoolStorage", DType::kBool}, {"UntypedStorage", DType::kU8},
};

// A storage as the pickle names it; its bytes are found after unpickling.
struct Storage {
  std::string key;
  DType dtype;      // of its first reference (legacy files size elements by it)
  uint64_t numel;   // in elements of `dtype`
  std::span<const uint8_t> bytes;
  std::shared_ptr<const void> owner;
};

// What _rebuild_tensor_v2 was asked to build.
struct TensorRecord {
  int storage = -1;
  DType dtype = DType::kF32;
  uint64_t offset = 0;  // in elements
  Shape shape;
  std::vector<int64_t> stride;
  bool parameter = false;
};

// A kObject's id indexes objects_: a storage reference or a tensor.
struct Object {
  bool is_tensor;
  int index;       // into storages or tensors
  DType dtype;     // a storage reference's dtype
};

std::string Quote(std::string_view s) { return "'" + std::string(s) + "'"; }

class TorchHandler final : public PickleHandler {
 public:
  std::vector<Storage> storages;
  std::vector<TensorRecord> tensors;

  const Object* ObjectOf(const PickleValue* v) const {
    if (v->kind != Kind::kObject || v->id < 0 || size_t(v->id) >= objects_.size()) return nullptr;
    return &objects_[size_t(v->id)];
  }

  StatusOr<int> ResolveGlobal(std::string_view module, std::string_view name) override {
    if (module == "collections" && name == "OrderedDict") return kOrderedDict;
    if (module == "torch._utils") {
      if (name == "_rebuild_tensor_v2") return kRebuildTensorV2;
      if (name == "_rebuild_tensor") return kRebuildTensor;
      if (name == "_rebuild_parameter") return kRebuildParameter;
      if (name == "_rebuild_parameter_with_state") return kRebuildParameterWithState;
    }
    if (module == "torch._tensor" && name == "_rebuild_from_type_v2") return kRebuildFromTypeV2;
    if (module == "torch" && name == "Tensor") return kTensorClass;
    if (module == "torch.nn.parameter" && name == "Parameter") return kParameterClass;
    if (module == "torch" || (module == "torch.storage" && name == "UntypedStorage")) {
      for (const StorageClass& c : kStorageClasses)
        if (name == c.name) return kStorageBase + int(c.dtype);
      if (name.ends_with("Storage"))
        return UnsupportedError("storage type torch." + std::string(name) + " has no tensorpress dtype");
    }
    std::string global = std::string(module) + "." + std::string(name);
    std::string hint;
    if (module.starts_with("torch.nn.modules") || module.starts_with("__main__"))
      hint = "; this checkpoint pickles a whole model object: save model.state_dict() instead";
    else if (module.starts_with("__torch__"))
      hint = "; this is a TorchScript archive (torch.jit.save): save model.state_dict() with torch.save instead";
    return UnsupportedError("global " + Quote(global) +
                            " is not allowed (a PyTorch checkpoint is read only as tensors, OrderedDicts "
                            "and plain values; nothing in it is executed)" + hint);
  }

  StatusOr<PickleValue*> Call(const PickleValue& callable, const PickleValue& args, PickleArena& arena) override {
    const std::vector<PickleValue*>& a = args.items;
    switch (callable.id) {
      case kOrderedDict: {
        TP_ASSIGN_OR_RETURN(PickleValue * dict, arena.New(Kind::kDict));
        if (a.empty()) return dict;
        // OrderedDict([(key, value), ...])
        if (a.size() != 1 || (a[0]->kind != Kind::kList && a[0]->kind != Kind::kTuple))
          return CorruptDataError("OrderedDict called with arguments other than () or a list of pairs");
        for (const PickleValue* pair : a[0]->items) {
          if (pair->kind != Kind::kTuple || pair->items.size() != 2)
            return CorruptDataError("OrderedDict called with an item that is not a (key, value) pair");
          dict->items.push_back(pair->items[0]);
          dict->items.push_back(pair->items[1]);
        }
        return dict;
      }
      case kRebuildTensorV2:
      case kRebuildTensor: return RebuildTensor(callable.text, a, arena);
      case kRebuildParameter:
      case kRebuildParameterWithState: {
        if (a.size() < 3) return CorruptDataError(callable.text + " called with " + std::to_string(a.size()) + " arguments");
        const Object* data = ObjectOf(a[0]);
        if (!data || !data->is_tensor) return CorruptDataError(callable.text + " called on something other than a tensor");
        TensorRecord t = tensors[size_t(data->index)];
        t.parameter = true;
        return NewTensor(std::move(t), arena);
      }
      case kRebuildFromTypeV2: {
        // (func, new_type, args, state): func(*args), retyped; the type and
        // state (attributes of a subclass) do not change the data.
        if (a.size() != 4 || a[0]->kind != Kind::kGlobal || a[2]->kind != Kind::kTuple)
          return CorruptDataError(callable.text + " called with arguments of the wrong shape");
        if (a[0]->id != kRebuildTensorV2 && a[0]->id != kRebuildTensor && a[0]->id != kRebuildParameter)
          return UnsupportedError(callable.text + " of " + Quote(a[0]->text) + " is not read");
        return Call(*a[0], *a[2], arena);
      }
      default: break;
    }
    return UnsupportedError("calling " + Quote(callable.text) + " is not allowed");
  }

  Status Build(PickleValue& object, const PickleValue& state) override {
    // OrderedDict state_dicts carry a `_metadata` attribute (module versions);
    // parameters may carry attributes. Neither changes a tensor's data.
    if (object.kind == Kind::kDict || (ObjectOf(&object) && ObjectOf(&object)->is_tensor)) {
      if (state.kind == Kind::kDict || state.kind == Kind::kNone || state.kind == Kind::kTuple) return Status::Ok();
      return CorruptDataError("BUILD with a state of type " + std::string(PickleKindName(state.kind)));
    }
    return UnsupportedError("BUILD on a " + std::string(PickleKindName(object.kind)) + " is not allowed");
  }

  // ('storage', storage class, key, location, numel[, view metadata]).
  StatusOr<PickleValue*> PersistentLoad(const PickleValue& pid, PickleArena& arena) override {
    const auto& p = pid.items;
    if (pid.kind != Kind::kTuple || p.size() < 5 || p.size() > 6 || p[0]->kind != Kind::kString ||
        p[0]->text != "storage")
      return CorruptDataError("a persistent id that is not ('storage', type, key, location, size)");
    if (p[1]->kind != Kind::kGlobal || p[1]->id < kStorageBase)
      return CorruptDataError("a persistent id whose storage type is not a storage class");
    if (p[2]->kind != Kind::kString || p[2]->text.empty() || p[2]->text.size() > 64)
      return CorruptDataError("a persistent id whose storage key is not a short string");
    if (p[4]->kind != Kind::kInt || p[4]->integer < 0)
      return CorruptDataError("storage " + Quote(p[2]->text) + " has a negative or non-integer size");
    if (p.size() == 6 && p[5]->kind != Kind::kNone)
      return UnsupportedError("storage " + Quote(p[2]->text) + " is a view of another storage (PyTorch < 0.4 files)");
    const DType dtype = DType(p[1]->id - kStorageBase);
    const uint64_t numel = uint64_t(p[4]->integer);
    auto [it, fresh] = storage_index_.try_emplace(p[2]->text, int(storages.size()));
    if (fresh) {
      storages.push_back({p[2]->text, dtype, numel, {}, nullptr});
    } else {
      // The same bytes viewed as another dtype (torch >= 2 shares untyped
      // storages between dtype views): the byte size must agree.
      const Storage& s = storages[size_t(it->second)];
      if (__int128(numel) * Traits(dtype).block_bytes != __int128(s.numel) * Traits(s.dtype).block_bytes)
        return CorruptDataError("storage " + Quote(s.key) + " is given two different sizes");
    }
    TP_ASSIGN_OR_RETURN(PickleValue * v, arena.New(Kind::kObject));
    v->id = int(objects_.size());
    objects_.push_back({false, it->second, dtype});
    return v;
  }

 private:
  StatusOr<PickleValue*> NewTensor(TensorRecord t, PickleArena& arena) {
    TP_ASSIGN_OR_RETURN(PickleValue * v, arena.New(Kind::kObject));
    v->id = int(objects_.size());
    objects_.push_back({true, int(tensors.size()), t.dtype});
    tensors.push_back(std::move(t));
    return v;
  }

  static StatusOr<std::vector<int64_t>> Ints(const PickleValue* v, const char* what) {
    if (v->kind != Kind::kTuple && v->kind != Kind::kList)
      return CorruptDataError(std::string("tensor ") + what + " is not a tuple");
    if (v->items.size() > 64) return CorruptDataError(std::string("tensor ") + what + " has more than 64 dimensions");
    std::vector<int64_t> out;
    for (const PickleValue* x : v->items) {
      if (x->kind != Kind::kInt || x->integer < 0)
        return CorruptDataError(std::string("tensor ") + what + " holds something other than a non-negative integer");
      out.push_back(x->integer);
    }
    return out;
  }

  // (storage, storage_offset, size, stride, ...).
  StatusOr<PickleValue*> RebuildTensor(const std::string& fn, const std::vector<PickleValue*>& a, PickleArena& arena) {
    if (a.size() < 4) return CorruptDataError(fn + " called with " + std::to_string(a.size()) + " arguments");
    const Object* storage = ObjectOf(a[0]);
    if (!storage || storage->is_tensor) return CorruptDataError(fn + " called on something other than a storage");
    if (a[1]->kind != Kind::kInt || a[1]->integer < 0)
      return CorruptDataError(fn + " called with a negative or non-integer storage offset");
    TensorRecord t;
    t.storage = storage->index;
    t.dtype = storage->dtype;
    t.offset = uint64_t(a[1]->integer);
    TP_ASSIGN_OR_RETURN(t.shape, Ints(a[2], "shape"));
    TP_ASSIGN_OR_RETURN(t.stride, Ints(a[3], "stride"));
    if (t.shape.size() != t.stride.size())
      return CorruptDataError(fn + " called with " + std::to_string(t.shape.size()) + " sizes but " +
                              std::to_string(t.stride.size()) + " strides");
    return NewTensor(std::move(t), arena);
  }

  std::vector<Object> objects_;
  std::unordered_map<std::string, int> storage_index_;
};

// Walks the unpickled object into named tensor records and plain metadata.
class Flattener {
 public:
  explicit Flattener(const TorchHandler& h) : h_(h) {}
  std::vector<std::pair<std::string, int>> tensors;  // name, index into h.tensors
  Metadata metadata;

  Status Walk(const PickleValue* v, const std::string& name, int depth) {
    if (++visits_ > kMaxWalkVisits)
      return CorruptDataError("the checkpoint's containers expand to more than " + std::to_string(kMaxWalkVisits) +
                              " entries");
    if (depth > kMaxNesting)
      return CorruptDataError("containers nested deeper than " + std::to_string(kMaxNesting) + " levels at " +
                              Quote(name.substr(0, 200)));
    switch (v->kind) {
      case Kind::kDict:
        for (size_t i = 0; i + 1 < v->items.size(); i += 2) {
          TP_ASSIGN_OR_RETURN(std::string key, KeyText(v->items[i]));
          TP_RETURN_IF_ERROR(Walk(v->items[i + 1], Join(name, key), depth + 1));
        }
        return Status::Ok();
      case Kind::kList:
      case Kind::kTuple:
        for (size_t i = 0; i < v->items.size(); ++i)
          TP_RETURN_IF_ERROR(Walk(v->items[i], Join(name, std::to_string(i)), depth + 1));
        return Status::Ok();
      case Kind::kObject: {
        const Object* o = h_.ObjectOf(v);
        if (o && o->is_tensor) tensors.emplace_back(name.empty() ? "tensor" : name, o->index);
        return Status::Ok();
      }
      case Kind::kInt: return Note(name, std::to_string(v->integer));
      case Kind::kFloat: return Note(name, std::to_string(v->real));
      case Kind::kBool: return Note(name, v->boolean ? "True" : "False");
      case Kind::kString: return Note(name, v->text.substr(0, 200));
      default: return Status::Ok();  // None, bytes, bare globals: nothing to keep
    }
  }

 private:
  static std::string Join(const std::string& prefix, const std::string& key) {
    return prefix.empty() ? key : prefix + "." + key;
  }
  static StatusOr<std::string> KeyText(const PickleValue* k) {
    switch (k->kind) {
      case Kind::kString: return k->text;
      case Kind::kInt: return std::to_string(k->integer);
      case Kind::kBool: return std::string(k->boolean ? "True" : "False");
      default:
        return CorruptDataError("a dict key of type " + std::string(PickleKindName(k->kind)) +
                                " (only strings and integers name tensors)");
    }
  }
  Status Note(const std::string& name, std::string value) {
    if (metadata.size() < kMaxMetadataEntries) metadata.emplace_back("pytorch." + name, std::move(value));
    return Status::Ok();
  }
  const TorchHandler& h_;
  uint64_t visits_ = 0;
};

StatusOr<uint64_t> CheckedProduct(uint64_t a, uint64_t b) {
  uint64_t r;
  if (__builtin_mul_overflow(a, b, &r)) return CorruptDataError("a tensor size overflows 64 bits");
  return r;
}

// The tensor `t` names, as a view of its storage's bytes when it is one
// contiguous run of them, else copied. `copy_budget` bounds what copies may
// allocate in all (a stride-0 view can claim far more than the file holds).
StatusOr<Tensor> Materialise(const std::string& name, const TensorRecord& t, const Storage& s,
                             uint64_t* copy_budget, std::vector<std::string>* warnings) {
  const std::string where = "tensor " + Quote(name);
  const uint64_t es = uint64_t(Traits(t.dtype).block_bytes);
  std::optional<uint64_t> numel = ElementCount(t.shape);
  if (!numel) return CorruptDataError(where + ": shape " + ShapeToString(t.shape) + " overflows");
  if (s.bytes.size() % es)
    return CorruptDataError(where + ": storage " + Quote(s.key) + " of " + std::to_string(s.bytes.size()) +
                            " bytes is not a whole number of " + std::string(DTypeName(t.dtype)) + " elements");
  const uint64_t storage_elements = s.bytes.size() / es;
  if (*numel == 0) return Tensor::FromBytes(name, t.dtype, t.shape, {});
  // The last element the view touches must lie inside the storage.
  uint64_t last = t.offset;
  bool contiguous = true;
  uint64_t expected_stride = 1;
  for (size_t d = t.shape.size(); d-- > 0;) {
    TP_ASSIGN_OR_RETURN(uint64_t reach, CheckedProduct(uint64_t(t.shape[d]) - 1, uint64_t(t.stride[d])));
    if (__builtin_add_overflow(last, reach, &last)) return CorruptDataError(where + ": strides overflow");
    if (t.shape[d] != 1 && uint64_t(t.stride[d]) != expected_stride) contiguous = false;
    expected_stride *= uint64_t(t.shape[d]);  // <= numel, no overflow
  }
  if (last >= storage_elements)
    return CorruptDataError(where + ": shape " + ShapeToString(t.shape) + " at offset " + std::to_string(t.offset) +
                            " reaches element " + std::to_string(last) + " of storage " + Quote(s.key) +
                            ", which holds " + std::to_string(storage_elements));
  const std::span<const uint8_t> run = s.bytes.subspan(t.offset * es);
  if (contiguous) {
    std::span<const uint8_t> bytes = run.first(*numel * es);
    if (reinterpret_cast<uintptr_t>(bytes.data()) % es == 0) return Tensor::View(name, t.dtype, t.shape, bytes, s.owner);
    // Typed access needs natural alignment (legacy files do not align).
    if (warnings->size() < 1000)
      warnings->push_back(where + ": storage " + Quote(s.key) + " is not aligned in the file; copied");
    return Tensor::FromBytes(name, t.dtype, t.shape, std::vector<uint8_t>(bytes.begin(), bytes.end()));
  }
  const uint64_t bytes = *numel * es;  // numel * es <= ... checked against the budget first
  if (*numel > *copy_budget / es)
    return UnsupportedError(where + ": a non-contiguous view (stride " + ShapeToString(t.stride) + ") of " +
                            std::to_string(*numel) + " elements needs a copy larger than the file allows");
  *copy_budget -= bytes;
  std::vector<uint8_t> out(bytes);
  std::vector<int64_t> index(t.shape.size(), 0);
  for (uint64_t i = 0; i < *numel; ++i) {
    uint64_t src = 0;
    for (size_t d = 0; d < index.size(); ++d) src += uint64_t(index[d]) * uint64_t(t.stride[d]);
    std::memcpy(out.data() + i * es, run.data() + src * es, es);
    for (size_t d = index.size(); d-- > 0;) {
      if (++index[d] < t.shape[d]) break;
      index[d] = 0;
    }
  }
  if (warnings->size() < 1000)
    warnings->push_back(where + ": a non-contiguous view (shape " + ShapeToString(t.shape) + ", stride " +
                        ShapeToString(t.stride) + ") of storage " + Quote(s.key) +
                        " copied into a contiguous tensor; its storage bytes are kept as they are in the file");
  return Tensor::FromBytes(name, t.dtype, t.shape, std::move(out));
}

// Runs the pickle and turns its tensors into views of the storages, which
// `resolve(storages, pickle_bytes)` locates once all of them are known.
template <typename Resolve>
StatusOr<Model> ReadPickled(std::span<const uint8_t> pickle, uint64_t file_bytes, Resolve resolve) {
  TorchHandler handler;
  PickleArena arena;
  uint64_t pickle_bytes = 0;
  TP_ASSIGN_OR_RETURN(PickleValue * root, Unpickle(pickle, handler, arena, &pickle_bytes));
  TP_RETURN_IF_ERROR(resolve(handler.storages, pickle_bytes));
  Flattener flat(handler);
  TP_RETURN_IF_ERROR(flat.Walk(root, "", 0));
  Model model;
  model.metadata = std::move(flat.metadata);
  uint64_t copy_budget = file_bytes + (64u << 20);
  for (const auto& [name, index] : flat.tensors) {
    const TensorRecord& t = handler.tensors[size_t(index)];
    TP_ASSIGN_OR_RETURN(Tensor tensor,
                        Materialise(name, t, handler.storages[size_t(t.storage)], &copy_budget, &model.warnings));
    model.tensors.push_back(std::move(tensor));
  }
  return model;
}

StatusOr<Model> ReadZipCheckpoint(const std::shared_ptr<const Buffer>& buffer) {
  TP_ASSIGN_OR_RETURN(std::vector<ZipMember> members, ReadZipDirectory(buffer->bytes()));
  const ZipMember* pickle = nullptr;
  for (const ZipMember& m : members) {
    const size_t slash = m.name.find('/');
    if (m.name == "data.pkl" || (m.name.ends_with("/data.pkl") && slash == m.name.size() - 9)) {
      pickle = &m;
      break;
    }
  }
  if (!pickle) return UnsupportedError("a ZIP archive without a data.pkl member, not a PyTorch checkpoint");
  const std::string prefix = pickle->name.substr(0, pickle->name.size() - 8);
  std::unordered_map<std::string, const ZipMember*> by_name;
  for (const ZipMember& m : members) by_name.emplace(m.name, &m);
  if (auto it = by_name.find(prefix + "byteorder"); it != by_name.end()) {
    TP_ASSIGN_OR_RETURN(ZipMemberData order, ExtractZipMember(buffer, *it->second));
    if (std::string_view(reinterpret_cast<const char*>(order.bytes.data()), order.bytes.size()) != "little")
      return UnsupportedError("a big-endian PyTorch checkpoint (byteorder member); only little-endian files are read");
  }
  TP_ASSIGN_OR_RETURN(ZipMemberData data, ExtractZipMember(buffer, *pickle));
  bool deflated = false;
  auto resolve = [&](std::vector<Storage>& storages, uint64_t) -> Status {
    for (Storage& s : storages) {
      auto it = by_name.find(prefix + "data/" + s.key);
      if (it == by_name.end()) return CorruptDataError("storage " + Quote(s.key) + " has no member " + Quote(prefix + "data/" + s.key));
      TP_ASSIGN_OR_RETURN(ZipMemberData member, ExtractZipMember(buffer, *it->second));
      const uint64_t es = uint64_t(Traits(s.dtype).block_bytes);
      if (member.bytes.size() / es != s.numel || member.bytes.size() % es)
        return CorruptDataError("storage " + Quote(s.key) + " holds " + std::to_string(member.bytes.size()) +
                                " bytes but the pickle says " + std::to_string(s.numel) + " " +
                                std::string(DTypeName(s.dtype)) + " elements");
      deflated |= it->second->method != kZipMethodStored;
      s.bytes = member.bytes;
      s.owner = member.owner;
    }
    return Status::Ok();
  };
  TP_ASSIGN_OR_RETURN(Model model, ReadPickled(data.bytes, buffer->size(), resolve));
  model.metadata.insert(model.metadata.begin(), {"pytorch.archive", prefix.empty() ? "" : prefix.substr(0, prefix.size() - 1)});
  if (deflated)
    model.warnings.push_back("storages are deflated in the ZIP (not as torch.save writes them): tensors were inflated "
                             "into memory and compress codes the file's deflated bytes as they are");
  return model;
}

StatusOr<Model> ReadLegacyCheckpoint(const std::shared_ptr<const Buffer>& buffer) {
  const std::span<const uint8_t> file = buffer->bytes();
  uint64_t at = sizeof kLegacyMagic;
  // Protocol version and system info: plain data, read and checked.
  {
    TorchHandler none;
    PickleArena arena;
    uint64_t used = 0;
    TP_ASSIGN_OR_RETURN(PickleValue * version, Unpickle(file.subspan(at), none, arena, &used));
    if (version->kind != Kind::kInt || version->integer != 1001)
      return UnsupportedError("legacy PyTorch file of protocol version other than 1001");
    at += used;
    TP_ASSIGN_OR_RETURN(PickleValue * info, Unpickle(file.subspan(at), none, arena, &used));
    at += used;
    if (info->kind == Kind::kDict)
      for (size_t i = 0; i + 1 < info->items.size(); i += 2)
        if (info->items[i]->kind == Kind::kString && info->items[i]->text == "little_endian" &&
            info->items[i + 1]->kind == Kind::kBool && !info->items[i + 1]->boolean)
          return UnsupportedError("a big-endian legacy PyTorch file; only little-endian files are read");
  }
  // The object's pickle, then the storage keys, then the storages.
  auto resolve = [&](std::vector<Storage>& storages, uint64_t object_bytes) -> Status {
    at += object_bytes;
    TorchHandler none;
    PickleArena arena;
    uint64_t used = 0;
    TP_ASSIGN_OR_RETURN(PickleValue * keys, Unpickle(file.subspan(at), none, arena, &used));
    uint64_t pos = at + used;
    if (keys->kind != Kind::kList) return CorruptDataError("the legacy storage key list is not a list");
    std::map<std::string, Storage*> by_key;
    for (Storage& s : storages) by_key[s.key] = &s;
    if (keys->items.size() != storages.size())
      return CorruptDataError("the legacy key list names " + std::to_string(keys->items.size()) +
                              " storages but the pickle uses " + std::to_string(storages.size()));
    for (const PickleValue* k : keys->items) {
      auto it = k->kind == Kind::kString ? by_key.find(k->text) : by_key.end();
      if (it == by_key.end() || !it->second->bytes.empty())
        return CorruptDataError("the legacy key list names a storage the pickle does not use (or twice)");
      Storage& s = *it->second;
      uint64_t numel;
      if (file.size() - pos < 8) return CorruptDataError("truncated: storage " + Quote(s.key) + " size");
      std::memcpy(&numel, file.data() + pos, 8);
      pos += 8;
      const uint64_t es = uint64_t(Traits(s.dtype).block_bytes);
      if (numel != s.numel)
        return CorruptDataError("storage " + Quote(s.key) + " holds " + std::to_string(numel) +
                                " elements but the pickle says " + std::to_string(s.numel));
      if (numel > (file.size() - pos) / es)
        return CorruptDataError("truncated: storage " + Quote(s.key) + " needs " + std::to_string(numel) + " " +
                                std::string(DTypeName(s.dtype)) + " elements at offset " + std::to_string(pos));
      s.bytes = file.subspan(pos, numel * es);
      s.owner = buffer;
      pos += numel * es;
    }
    return Status::Ok();
  };
  TP_ASSIGN_OR_RETURN(Model model, ReadPickled(file.subspan(at), buffer->size(), resolve));
  model.metadata.insert(model.metadata.begin(), {"pytorch.format", "legacy (before PyTorch 1.6)"});
  return model;
}

}  // namespace

bool LooksLikePytorchZip(std::span<const uint8_t> bytes) {
  auto members = ReadZipDirectory(bytes);
  if (!members.ok()) return false;
  for (const ZipMember& m : *members)
    if (m.name == "data.pkl" || (m.name.ends_with("/data.pkl") && m.name.find('/') == m.name.size() - 9)) return true;
  return false;
}

bool LooksLikeLegacyPytorch(std::span<const uint8_t> bytes) {
  return bytes.size() >= sizeof kLegacyMagic && std::memcmp(bytes.data(), kLegacyMagic, sizeof kLegacyMagic) == 0;
}

StatusOr<Model> ReadPytorch(std::shared_ptr<const Buffer> buffer, const std::string& path) {
  (void)path;
  const std::span<const uint8_t> b = buffer->bytes();
  if (LooksLikeLegacyPytorch(b)) return ReadLegacyCheckpoint(buffer);
  if (b.size() >= 4 && std::memcmp(b.data(), "PK\x03\x04", 4) == 0) return ReadZipCheckpoint(buffer);
  if (b.size() >= 262 && std::memcmp(b.data() + 257, "ustar", 5) == 0)
    return UnsupportedError("a tar-format PyTorch file (before PyTorch 0.4) is not read; load and re-save it with "
                            "torch.save");
  return UnsupportedError("not a PyTorch checkpoint (neither a ZIP with data.pkl nor a legacy pickle stream)");
}

}  // namespace tp::io
