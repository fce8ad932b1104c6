// tensorpress._core: a thin nanobind layer over the public C++ API
// (include/tensorpress/). The Python package (python/tensorpress/) builds
// its friendlier functions on these; nothing here decides policy.
//
// Failures arrive as tp::Status and leave as one Python exception per
// StatusCode (tensorpress.CorruptDataError, ...), all subclasses of
// tensorpress.TensorpressError, carrying the library's one-line message.
//
// Tensors cross into NumPy without copying: an array views the tensor's
// bytes (a memory-mapped file or a decoded buffer) and a capsule owning a
// copy of the tp::Tensor keeps those bytes alive for the array's lifetime.
// The arrays are read-only because a mapping is shared with other tensors.
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "tensorpress/codec.h"
#include "tensorpress/dtype.h"
#include "tensorpress/gemm.h"
#include "tensorpress/model.h"
#include "tensorpress/tensor.h"
#include "tensorpress/tpz.h"

namespace nb = nanobind;
using namespace nb::literals;

namespace {

// A failed tp::Status on its way to Python (translated below).
struct StatusException : std::exception {
  explicit StatusException(tp::Status s) : status(std::move(s)) {}
  const char* what() const noexcept override { return status.message().c_str(); }
  tp::Status status;
};

void Check(const tp::Status& s) {
  if (!s.ok()) throw StatusException(s);
}
template <typename T>
T Take(tp::StatusOr<T>&& s) {
  if (!s.ok()) throw StatusException(s.status());
  return std::move(s).value();
}

// Python exception classes, one per StatusCode; index = code.
PyObject* g_errors[8] = {};

PyObject* MakeError(nb::module_& m, const char* name, PyObject* base, PyObject* builtin, const char* doc) {
  std::string qualified = std::string("tensorpress.") + name;
  PyObject* bases = builtin ? PyTuple_Pack(2, base, builtin) : PyTuple_Pack(1, base);
  PyObject* cls = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, bases, nullptr);
  Py_DECREF(bases);
  if (!cls) throw nb::python_error();
  m.attr(name) = nb::handle(cls);
  return cls;
}

void RegisterErrors(nb::module_& m) {
  PyObject* base = PyErr_NewExceptionWithDoc(
      "tensorpress.TensorpressError", "A tensorpress operation failed; str() is the one-line message.",
      PyExc_Exception, nullptr);
  if (!base) throw nb::python_error();
  m.attr("TensorpressError") = nb::handle(base);
  using C = tp::StatusCode;
  g_errors[int(C::kInternal)] = base;
  g_errors[int(C::kInvalidArgument)] =
      MakeError(m, "InvalidArgumentError", base, PyExc_ValueError, "The request is impossible (bad option or range).");
  g_errors[int(C::kCorruptData)] =
      MakeError(m, "CorruptDataError", base, PyExc_ValueError, "Input bytes violate their format.");
  g_errors[int(C::kUnsupported)] =
      MakeError(m, "UnsupportedError", base, nullptr, "Valid input that tensorpress does not handle.");
  g_errors[int(C::kNotFound)] =
      MakeError(m, "NotFoundError", base, PyExc_LookupError, "A named file, tensor or key does not exist.");
  g_errors[int(C::kAlreadyExists)] =
      MakeError(m, "AlreadyExistsError", base, PyExc_FileExistsError, "The output exists (pass overwrite=True).");
  g_errors[int(C::kIoError)] =
      MakeError(m, "IoError", base, PyExc_OSError, "The operating system refused (open, read, write, rename).");
  nb::register_exception_translator([](const std::exception_ptr& p, void*) {
    try {
      std::rethrow_exception(p);
    } catch (const StatusException& e) {
      const int code = int(e.status.code());
      PyObject* cls = (code >= 0 && code < 8 && g_errors[code]) ? g_errors[code] : g_errors[int(tp::StatusCode::kInternal)];
      std::string msg = e.status.message();
      for (char& c : msg)  // one line, as the CLI prints it
        if (c == '\n' || c == '\r') c = ' ';
      PyErr_SetString(cls, msg.c_str());
    }
  });
}

// DLPack element type of a dtype NumPy can hold; nullopt for bf16, packed
// 4-bit and GGUF blocks.
std::optional<nb::dlpack::dtype> NumpyDType(tp::DType d) {
  using Code = nb::dlpack::dtype_code;
  auto make = [](Code c, int bits) { return nb::dlpack::dtype{uint8_t(c), uint8_t(bits), 1}; };
  switch (d) {
    case tp::DType::kF64: return make(Code::Float, 64);
    case tp::DType::kF32: return make(Code::Float, 32);
    case tp::DType::kF16: return make(Code::Float, 16);
    case tp::DType::kI64: return make(Code::Int, 64);
    case tp::DType::kI32: return make(Code::Int, 32);
    case tp::DType::kI16: return make(Code::Int, 16);
    case tp::DType::kI8: return make(Code::Int, 8);
    case tp::DType::kU64: return make(Code::UInt, 64);
    case tp::DType::kU32: return make(Code::UInt, 32);
    case tp::DType::kU16: return make(Code::UInt, 16);
    case tp::DType::kU8: return make(Code::UInt, 8);
    case tp::DType::kBool: return make(Code::Bool, 8);
    default: return std::nullopt;
  }
}

using NumpyView = nb::ndarray<nb::numpy, nb::ro>;

NumpyView ViewArray(const tp::Tensor& t, const std::vector<size_t>& shape, nb::dlpack::dtype dtype) {
  auto* keep = new tp::Tensor(t);
  nb::capsule owner(keep, [](void* p) noexcept { delete static_cast<tp::Tensor*>(p); });
  return NumpyView(keep->bytes().data(), shape.size(), shape.data(), owner, nullptr, dtype);
}

NumpyView TensorNumpy(const tp::Tensor& t) {
  auto dtype = NumpyDType(t.dtype());
  if (!dtype)
    Check(tp::UnsupportedError("tensor '" + t.name() + "' has dtype " + std::string(tp::DTypeName(t.dtype())) +
                               ", which NumPy cannot hold; use .to_f32() (a converted copy) or .raw() (its bytes)"));
  std::vector<size_t> shape(t.shape().begin(), t.shape().end());
  return ViewArray(t, shape, *dtype);
}

NumpyView TensorRaw(const tp::Tensor& t) {
  std::vector<size_t> shape{size_t(t.nbytes())};
  return ViewArray(t, shape, nb::dtype<uint8_t>());
}

nb::object QuantDict(const std::optional<tp::QuantParams>& q) {
  if (!q) return nb::none();
  nb::dict d;
  d["scale"] = q->scale;
  d["zero_point"] = q->zero_point;
  d["axis"] = q->axis;
  return d;
}

nb::dict MetadataDict(const tp::Metadata& m) {
  nb::dict d;
  for (const auto& [k, v] : m) d[k.c_str()] = v;
  return d;
}

tp::Metadata MetadataFrom(const nb::dict& d) {
  tp::Metadata m;
  for (auto [k, v] : d) m.emplace_back(nb::cast<std::string>(nb::str(k)), nb::cast<std::string>(nb::str(v)));
  return m;
}

tp::DType ParseDType(const std::string& name) {
  auto d = tp::DTypeFromName(name);
  if (!d) Check(tp::InvalidArgumentError("unknown dtype '" + name + "'"));
  return *d;
}

// An input tensor described from Python: (name, tensorpress dtype name,
// shape, C-contiguous buffer of exactly its storage bytes). The tensor views
// the buffer, which the caller keeps alive for the call.
using InputArray = nb::ndarray<nb::ro, nb::c_contig, nb::device::cpu>;
using InputTensor = std::tuple<std::string, std::string, std::vector<int64_t>, InputArray>;

std::vector<tp::Tensor> ViewInputs(const std::vector<InputTensor>& inputs) {
  std::vector<tp::Tensor> tensors;
  tensors.reserve(inputs.size());
  for (const auto& [name, dtype, shape, array] : inputs) {
    const size_t nbytes = array.nbytes();
    std::span<const uint8_t> bytes(static_cast<const uint8_t*>(array.data()), nbytes);
    auto t = tp::Tensor::View(name, ParseDType(dtype), shape, bytes, nullptr);
    if (!t.ok()) Check(t.status().WithContext("tensor '" + name + "'"));
    tensors.push_back(std::move(*t));
  }
  return tensors;
}

// The same fields as `tensorpress compress --json` reports for the writer.
nb::dict ReportDict(const tp::TpzReport& report) {
  nb::dict d;
  d["header_bytes"] = report.header_bytes;
  d["file_bytes"] = report.file_bytes;
  nb::list tensors;
  for (const auto& t : report.tensors) {
    nb::dict td;
    td["name"] = t.name;
    td["dtype"] = std::string(tp::DTypeName(t.dtype));
    td["elements"] = t.elements;
    td["bytes"] = t.bytes;
    td["layout"] = std::string(tp::TpzLayoutName(t.layout));
    nb::dict tried;
    for (const auto& [l, b] : t.tried) tried[std::string(tp::TpzLayoutName(l)).c_str()] = b;
    td["tried"] = tried;
    nb::list planes;
    for (const auto& p : t.planes) {
      nb::dict pd;
      pd["name"] = p.name;
      pd["codec"] = p.codec;
      pd["bytes"] = p.bytes;
      pd["coded_bytes"] = p.coded_bytes;
      pd["entropy_bits_per_byte"] = p.entropy_bits;
      planes.append(pd);
    }
    td["planes"] = planes;
    tensors.append(td);
  }
  d["tensors"] = tensors;
  return d;
}

tp::TpzOptions MakeTpzOptions(const std::optional<std::string>& codec, const std::string& layout, uint32_t chunk,
                              int threads) {
  tp::TpzOptions options;
  if (codec && *codec != "auto") {
    auto c = tp::CodecFromName(*codec);
    if (!c) Check(tp::InvalidArgumentError("unknown codec '" + *codec + "'"));
    options.codec = *c;
  }
  auto l = tp::TpzLayoutFromName(layout);
  if (!l) Check(tp::InvalidArgumentError("unknown layout '" + layout + "' (auto, bytes, fields, whole)"));
  options.layout = *l;
  if (chunk) options.codec_options.chunk_values = chunk;
  options.codec_options.threads = threads;
  Check(tp::ValidateCodecOptions(options.codec_options));
  return options;
}

nb::dict TensorInfoDict(const tp::TpzTensorInfo& t) {
  nb::dict d;
  d["name"] = t.name;
  d["dtype"] = std::string(tp::DTypeName(t.dtype));
  d["shape"] = nb::tuple(nb::cast(t.shape));
  d["elements"] = t.elements;
  d["layout"] = t.lossy ? std::string("astc") : std::string(tp::TpzLayoutName(t.layout));
  d["stored_bytes"] = t.stored_bytes;
  d["quantization"] = QuantDict(t.quant);
  d["original_dtype"] = t.original_dtype.empty() ? nb::object(nb::none()) : nb::cast(t.original_dtype);
  if (t.lossy) {
    nb::dict l;
    l["codec"] = t.lossy->codec;
    l["bits_per_weight"] = t.lossy->bits_per_weight;
    l["rmse"] = t.lossy->rmse;
    l["max_error"] = t.lossy->max_error;
    l["snr_db"] = t.lossy->snr_db;
    d["lossy"] = l;
  } else {
    d["lossy"] = nb::none();
  }
  return d;
}

}  // namespace

NB_MODULE(_core, m) {
  m.doc() = "tensorpress C++ core (thin bindings; use the tensorpress package)";
  RegisterErrors(m);

  nb::class_<tp::Tensor>(m, "Tensor", "A named, typed, shaped tensor; its bytes stay where they were read.")
      .def_prop_ro("name", &tp::Tensor::name)
      .def_prop_ro("dtype", [](const tp::Tensor& t) { return std::string(tp::DTypeName(t.dtype())); },
                   "tensorpress dtype name: 'f32', 'bf16', 'i8', 'q4_0', ...")
      .def_prop_ro("shape", [](const tp::Tensor& t) { return nb::tuple(nb::cast(t.shape())); })
      .def_prop_ro("elements", &tp::Tensor::elements)
      .def_prop_ro("nbytes", &tp::Tensor::nbytes)
      .def_prop_ro("quantization", [](const tp::Tensor& t) { return QuantDict(t.quant()); },
                   "dict(scale, zero_point, axis) for a quantized tensor (real = scale * (q - zero_point)), else None")
      .def("numpy", &TensorNumpy,
           "A read-only NumPy array viewing the tensor's bytes (no copy). Raises UnsupportedError for dtypes "
           "NumPy lacks (bf16, packed 4-bit, GGUF blocks): use to_f32() or raw() for those.")
      .def("raw", &TensorRaw, "The stored bytes as a read-only 1-D uint8 array (no copy).")
      .def("to_f32", [](const tp::Tensor& t) { return TensorNumpy(Take(tp::ToF32(t))); },
           "A float32 copy of the values (bf16/f16 widened, integers by value, GGUF blocks dequantized).")
      .def("__repr__", [](const tp::Tensor& t) {
        return "<tensorpress.Tensor '" + t.name() + "' " + std::string(tp::DTypeName(t.dtype())) + " " +
               tp::ShapeToString(t.shape()) + ">";
      });

  nb::class_<tp::Model>(m, "Model", "Every tensor of a model file, in file order.")
      .def_ro("path", &tp::Model::path)
      .def_prop_ro("format", [](const tp::Model& mo) { return std::string(tp::ModelFormatName(mo.format)); })
      .def_ro("tensors", &tp::Model::tensors)
      .def_prop_ro("metadata", [](const tp::Model& mo) { return MetadataDict(mo.metadata); });

  m.def("panacea_round_trip",
        [](nb::ndarray<const float, nb::ro, nb::c_contig, nb::device::cpu> x, float scale, int zero_point,
           int lo_bits) {
          const size_t n = x.size();
          auto* out = new std::vector<float>(n);
          nb::capsule owner(out, [](void* p) noexcept { delete static_cast<std::vector<float>*>(p); });
          {
            nb::gil_scoped_release release;
            Check(tp::PanaceaActivationRoundTrip({x.data(), n}, scale, zero_point, lo_bits, *out));
          }
          size_t shape[1] = {n};
          return nb::ndarray<nb::numpy, float>(out->data(), 1, shape, owner);
        },
        nb::arg("x"), nb::arg("scale"), nb::arg("zero_point"), nb::arg("lo_bits"),
        "Panacea's activation path on real values, as `slices` measures it: asymmetric uint8 codes with this "
        "scale and zero point, DBS truncation to lo_bits (4 keeps every bit), back to reals. Returns a new "
        "flat float32 array.");

  m.def("read_model",
        [](const std::string& path) {
          nb::gil_scoped_release release;
          return Take(tp::ReadModel(path));
        },
        "path"_a, "Reads a model file of any supported format (format detected from its bytes).");

  m.def("read_tpz",
        [](const std::string& path, int threads) {
          nb::gil_scoped_release release;
          return Take(tp::ReadTpz(path, threads));
        },
        "path"_a, "threads"_a = 0, "Decodes a whole .tpz container.");

  m.def("write_tpz",
        [](const std::string& path, const std::vector<InputTensor>& inputs, const nb::dict& metadata,
           std::optional<std::string> codec, const std::string& layout, uint32_t chunk, int threads, bool overwrite) {
          std::vector<tp::Tensor> tensors = ViewInputs(inputs);
          const tp::Metadata meta = MetadataFrom(metadata);
          const tp::TpzOptions options = MakeTpzOptions(codec, layout, chunk, threads);
          tp::WriteOptions write;
          write.overwrite = overwrite;
          tp::TpzReport report;
          {
            nb::gil_scoped_release release;
            Check(tp::WriteTpz(path, tensors, meta, options, write, &report));
          }
          return ReportDict(report);
        },
        "path"_a, "tensors"_a, "metadata"_a, "codec"_a = nb::none(), "layout"_a = "auto", "chunk"_a = 0,
        "threads"_a = 0, "overwrite"_a = false,
        "Writes tensors [(name, dtype, shape, buffer)] to a .tpz; returns the writer's report.");

  m.def("write_tpz_model",
        [](const std::string& path, const tp::Model& model, std::optional<std::string> codec,
           const std::string& layout, uint32_t chunk, int threads, bool overwrite) {
          const tp::TpzOptions options = MakeTpzOptions(codec, layout, chunk, threads);
          tp::WriteOptions write;
          write.overwrite = overwrite;
          tp::TpzReport report;
          {
            nb::gil_scoped_release release;
            Check(tp::WriteTpz(path, model.tensors, model.metadata, options, write, &report));
          }
          return ReportDict(report);
        },
        "path"_a, "model"_a, "codec"_a = nb::none(), "layout"_a = "auto", "chunk"_a = 0, "threads"_a = 0,
        "overwrite"_a = false, "Writes a model read by read_model to a .tpz; returns the writer's report.");

  m.def("write_safetensors",
        [](const std::string& path, const std::vector<InputTensor>& inputs, const nb::dict& metadata,
           bool overwrite) {
          std::vector<tp::Tensor> tensors = ViewInputs(inputs);
          tp::WriteOptions write;
          write.overwrite = overwrite;
          const tp::Metadata meta = MetadataFrom(metadata);  // touches Python objects: before the release
          nb::gil_scoped_release release;
          Check(tp::WriteSafetensors(path, tensors, meta, write));
        },
        "path"_a, "tensors"_a, "metadata"_a, "overwrite"_a = false);

  nb::class_<tp::TpzReader>(m, "TpzReader", "Random access to a .tpz: tensors decoded on request.")
      .def_static("open",
                  [](const std::string& path) {
                    nb::gil_scoped_release release;
                    return Take(tp::TpzReader::Open(path));
                  },
                  "path"_a)
      .def_prop_ro("metadata", [](const tp::TpzReader& r) { return MetadataDict(r.metadata()); })
      .def("infos",
           [](const tp::TpzReader& r) {
             nb::list l;
             for (const auto& t : r.tensors()) l.append(TensorInfoDict(t));
             return l;
           })
      .def("find", &tp::TpzReader::Find, "name"_a)
      .def("read_index",
           [](const tp::TpzReader& r, size_t index, int threads) {
             if (index >= r.tensors().size()) Check(tp::InvalidArgumentError("tensor index out of range"));
             nb::gil_scoped_release release;
             return Take(r.ReadTensor(index, threads));
           },
           "index"_a, "threads"_a = 0)
      .def("read",
           [](const tp::TpzReader& r, const std::string& name, int threads) {
             nb::gil_scoped_release release;
             return Take(r.ReadTensor(std::string_view(name), threads));
           },
           "name"_a, "threads"_a = 0)
      .def("read_elements",
           [](const tp::TpzReader& r, const std::string& name, uint64_t begin, uint64_t count, int threads) {
             nb::gil_scoped_release release;
             return Take(r.ReadElements(name, begin, count, threads));
           },
           "name"_a, "begin"_a, "count"_a, "threads"_a = 0)
      .def("read_all",
           [](const tp::TpzReader& r, int threads) {
             nb::gil_scoped_release release;
             return Take(r.ReadAll(threads));
           },
           "threads"_a = 0);

  m.def("dtype_names", [] {
    std::vector<std::string> names;
    for (int i = 0; i < tp::kNumDTypes; ++i) names.emplace_back(tp::DTypeName(tp::DType(i)));
    return names;
  });
  m.def("codec_names", [] {
    std::vector<std::string> names;
    for (tp::Codec c : tp::AllCodecs()) names.emplace_back(tp::CodecName(c));
    return names;
  });
}
