// Internal: a restricted unpickler. It never imports or calls anything.
//
// Python's pickle is a small stack machine whose GLOBAL and REDUCE opcodes
// import and call arbitrary functions; that is how a pickle runs code. This
// machine implements the data opcodes of protocols 2 to 5 (numbers, strings,
// tuples, lists, dicts, the memo) and hands the three dangerous ones to a
// handler that decides what they mean: GLOBAL (a name the handler must know,
// or the whole pickle is refused naming it), REDUCE/NEWOBJ/BUILD (the
// handler interprets a known global applied to plain data) and BINPERSID (a
// reference to data stored outside the pickle). The PyTorch reader
// (pytorch.cc) is the one handler: it knows only tensor rebuilding.
//
// Untrusted input: every length is checked against the bytes that remain,
// the number of objects built is bounded (kMaxPickleValues), the text
// opcodes of protocol 0/1 and every opcode not listed in pickle.cc are
// refused by name. Values live in an arena and point at each other with raw
// pointers, so a pickle that builds a cycle (a list appended to itself) or a
// very deep nest cannot leak memory or overflow the stack when the values
// are freed; whoever walks the values bounds its own depth.
#pragma once

#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tensorpress/status.h"

namespace tp::io {

inline constexpr uint64_t kMaxPickleValues = 4'000'000;

struct PickleValue {
  enum class Kind : uint8_t { kNone, kBool, kInt, kFloat, kString, kBytes, kTuple, kList, kDict, kGlobal, kObject };
  Kind kind = Kind::kNone;
  bool boolean = false;
  int64_t integer = 0;
  double real = 0;
  std::string text;                 // kString, kBytes; kGlobal: "module.name"
  std::vector<PickleValue*> items;  // kTuple, kList; kDict: key, value, key, value...
  int id = -1;                      // kGlobal, kObject: the handler's number for it
};

std::string_view PickleKindName(PickleValue::Kind kind);

// Owns every value of one unpickling.
class PickleArena {
 public:
  StatusOr<PickleValue*> New(PickleValue::Kind kind);
  uint64_t size() const { return values_.size(); }

 private:
  std::deque<PickleValue> values_;
};

class PickleHandler {
 public:
  virtual ~PickleHandler() = default;
  // GLOBAL / STACK_GLOBAL: a number for an allowed global, or the error
  // that refuses the pickle.
  virtual StatusOr<int> ResolveGlobal(std::string_view module, std::string_view name) = 0;
  // REDUCE (and NEWOBJ): `callable` (a kGlobal value) applied to `args` (a tuple).
  virtual StatusOr<PickleValue*> Call(const PickleValue& callable, const PickleValue& args, PickleArena& arena) = 0;
  // BUILD: `state` applied to `object` (which may be changed in place).
  virtual Status Build(PickleValue& object, const PickleValue& state) = 0;
  // BINPERSID.
  virtual StatusOr<PickleValue*> PersistentLoad(const PickleValue& pid, PickleArena& arena) = 0;
};

// Runs the pickle in `bytes` up to its STOP and returns the value it
// produced; `consumed`, when given, receives the offset just past the STOP
// (legacy PyTorch files hold several pickles back to back). Errors are one
// line: "pickle offset N: ...".
StatusOr<PickleValue*> Unpickle(std::span<const uint8_t> bytes, PickleHandler& handler, PickleArena& arena,
                                uint64_t* consumed = nullptr);

}  // namespace tp::io
