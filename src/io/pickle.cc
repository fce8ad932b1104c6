// The restricted unpickler (pickle.h). Opcode semantics follow CPython's
// Lib/pickle.py (_Unpickler), restricted to the binary opcodes that plain
// data needs; each refusal names the opcode.
#include "io/pickle.h"

#include <cstring>
#include <unordered_map>

#include "io/byte_reader.h"

namespace tp::io {

std::string_view PickleKindName(PickleValue::Kind kind) {
  switch (kind) {
    case PickleValue::Kind::kNone: return "None";
    case PickleValue::Kind::kBool: return "bool";
    case PickleValue::Kind::kInt: return "int";
    case PickleValue::Kind::kFloat: return "float";
    case PickleValue::Kind::kString: return "str";
    case PickleValue::Kind::kBytes: return "bytes";
    case PickleValue::Kind::kTuple: return "tuple";
    case PickleValue::Kind::kList: return "list";
    case PickleValue::Kind::kDict: return "dict";
    case PickleValue::Kind::kGlobal: return "global";
    case PickleValue::Kind::kObject: return "object";
  }
  return "?";
}

StatusOr<PickleValue*> PickleArena::New(PickleValue::Kind kind) {
  if (values_.size() >= kMaxPickleValues)
    return CorruptDataError("the pickle builds more than " + std::to_string(kMaxPickleValues) + " objects");
  values_.emplace_back();
  values_.back().kind = kind;
  return &values_.back();
}

namespace {

using Kind = PickleValue::Kind;

// Opcodes not implemented, by name, so a refusal says what the pickle wanted.
std::string_view RefusedOpcodeName(uint8_t op) {
  switch (op) {
    case 'I': return "INT";
    case 'L': return "LONG";
    case 'S': return "STRING";
    case 'V': return "UNICODE";
    case 'F': return "FLOAT";
    case 'p': return "PUT";
    case 'g': return "GET";
    case 'i': return "INST";
    case 'o': return "OBJ";
    case 'P': return "PERSID";
    case 0x82: return "EXT1";
    case 0x83: return "EXT2";
    case 0x84: return "EXT4";
    case 0x8b: return "LONG4";
    case 0x8f: return "EMPTY_SET";
    case 0x90: return "ADDITEMS";
    case 0x91: return "FROZENSET";
    case 0x92: return "NEWOBJ_EX";
    case 0x96: return "BYTEARRAY8";
    case 0x97: return "NEXT_BUFFER";
    case 0x98: return "READONLY_BUFFER";
    default: return "";
  }
}

std::string Hex(uint8_t op) {
  const char* digits = "0123456789abcdef";
  return std::string("0x") + digits[op >> 4] + digits[op & 15];
}

class Machine {
 public:
  Machine(std::span<const uint8_t> bytes, PickleHandler& handler, PickleArena& arena)
      : in_(bytes), handler_(handler), arena_(arena) {}

  // The offset just past the STOP opcode, once Run has succeeded.
  uint64_t consumed() const { return consumed_; }

  StatusOr<PickleValue*> Run() {
    while (true) {
      op_offset_ = in_.offset();
      uint8_t op = 0;
      if (!in_.Read(&op, "opcode").ok()) return Fail("the pickle ends without a STOP opcode");
      if (op == '.') {
        if (stack_.size() != 1 || !marks_.empty())
          return Fail("STOP with " + std::to_string(stack_.size()) + " values on the stack");
        consumed_ = in_.offset();
        return stack_.back();
      }
      Status st = Step(op);
      if (!st.ok()) return st;
      // MARK and BINGET add entries without building values: bound them too.
      if (stack_.size() + marks_.size() > kMaxPickleValues)
        return Fail("the stack grows past " + std::to_string(kMaxPickleValues) + " entries");
    }
  }

 private:
  Status Fail(const std::string& what) const {
    return CorruptDataError("pickle offset " + std::to_string(op_offset_) + ": " + what);
  }
  // Wraps a reader or handler error with the offset of the opcode.
  Status At(const Status& st) const {
    if (st.ok()) return st;
    return Status(st.code(), "pickle offset " + std::to_string(op_offset_) + ": " + st.message());
  }

  StatusOr<PickleValue*> Pop() {
    if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back()))
      return Fail("an opcode needs a value but the stack is empty");
    PickleValue* v = stack_.back();
    stack_.pop_back();
    return v;
  }
  StatusOr<PickleValue*> Top() {
    if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back()))
      return Fail("an opcode needs a value but the stack is empty");
    return stack_.back();
  }
  // The values above the topmost mark, which is removed.
  StatusOr<std::vector<PickleValue*>> PopMark() {
    if (marks_.empty()) return Fail("an opcode needs a MARK but there is none");
    const size_t at = marks_.back();
    marks_.pop_back();
    std::vector<PickleValue*> items(stack_.begin() + ptrdiff_t(at), stack_.end());
    stack_.resize(at);
    return items;
  }

  Status Push(StatusOr<PickleValue*> v) {
    if (!v.ok()) return At(v.status());
    stack_.push_back(*v);
    return Status::Ok();
  }
  StatusOr<PickleValue*> New(Kind kind) {
    auto v = arena_.New(kind);
    if (!v.ok()) return At(v.status());
    return v;
  }
  Status PushInt(int64_t value) {
    TP_ASSIGN_OR_RETURN(PickleValue * v, New(Kind::kInt));
    v->integer = value;
    stack_.push_back(v);
    return Status::Ok();
  }
  Status PushText(Kind kind, uint64_t n) {
    std::span<const uint8_t> s;
    TP_RETURN_IF_ERROR(At(in_.ReadSpan(n, &s, "string")));
    TP_ASSIGN_OR_RETURN(PickleValue * v, New(kind));
    v->text.assign(reinterpret_cast<const char*>(s.data()), s.size());
    stack_.push_back(v);
    return Status::Ok();
  }
  template <typename T>
  StatusOr<uint64_t> ReadLength() {
    T n{};
    TP_RETURN_IF_ERROR(At(in_.Read(&n, "length")));
    return uint64_t(n);
  }
  // GLOBAL's two operands: text up to a newline.
  StatusOr<std::string> ReadLine() {
    std::string s;
    while (true) {
      uint8_t c = 0;
      TP_RETURN_IF_ERROR(At(in_.Read(&c, "GLOBAL name")));
      if (c == '\n') return s;
      if (s.size() >= 256) return Fail("GLOBAL name longer than 256 characters");
      s.push_back(char(c));
    }
  }
  Status PushGlobal(const std::string& module, const std::string& name) {
    StatusOr<int> id = handler_.ResolveGlobal(module, name);
    if (!id.ok()) return At(id.status());
    TP_ASSIGN_OR_RETURN(PickleValue * v, New(Kind::kGlobal));
    v->text = module + "." + name;
    v->id = *id;
    stack_.push_back(v);
    return Status::Ok();
  }
  Status Memo(uint64_t index) {
    TP_ASSIGN_OR_RETURN(PickleValue * v, Top());
    if (memo_.size() >= kMaxPickleValues && !memo_.count(index)) return Fail("memo grows past its bound");
    memo_[index] = v;
    return Status::Ok();
  }
  Status Recall(uint64_t index) {
    auto it = memo_.find(index);
    if (it == memo_.end()) return Fail("memo entry " + std::to_string(index) + " was never stored");
    stack_.push_back(it->second);
    return Status::Ok();
  }
  Status Tuple(std::vector<PickleValue*> items) {
    TP_ASSIGN_OR_RETURN(PickleValue * v, New(Kind::kTuple));
    v->items = std::move(items);
    stack_.push_back(v);
    return Status::Ok();
  }
  Status TupleOf(size_t n) {
    std::vector<PickleValue*> items(n);
    for (size_t i = n; i-- > 0;) {
      TP_ASSIGN_OR_RETURN(items[i], Pop());
    }
    return Tuple(std::move(items));
  }
  Status AppendTo(std::vector<PickleValue*> items) {
    TP_ASSIGN_OR_RETURN(PickleValue * list, Top());
    if (list->kind != Kind::kList)
      return Fail("APPEND to a " + std::string(PickleKindName(list->kind)) + ", not a list");
    list->items.insert(list->items.end(), items.begin(), items.end());
    return Status::Ok();
  }
  Status SetItems(std::vector<PickleValue*> items) {
    if (items.size() % 2) return Fail("SETITEMS with an odd number of values");
    TP_ASSIGN_OR_RETURN(PickleValue * dict, Top());
    if (dict->kind != Kind::kDict)
      return Fail("SETITEM on a " + std::string(PickleKindName(dict->kind)) + ", not a dict");
    dict->items.insert(dict->items.end(), items.begin(), items.end());
    return Status::Ok();
  }
  Status CallTop() {
    TP_ASSIGN_OR_RETURN(PickleValue * args, Pop());
    TP_ASSIGN_OR_RETURN(PickleValue * callable, Pop());
    if (callable->kind != Kind::kGlobal)
      return Fail("REDUCE on a " + std::string(PickleKindName(callable->kind)) + ", not a global");
    if (args->kind != Kind::kTuple) return Fail("REDUCE with arguments that are not a tuple");
    return Push(handler_.Call(*callable, *args, arena_));
  }

  Status Step(uint8_t op) {
    switch (op) {
      case 0x80: {  // PROTO
        uint8_t v = 0;
        TP_RETURN_IF_ERROR(At(in_.Read(&v, "protocol")));
        if (v < 2 || v > 5) return Fail("pickle protocol " + std::to_string(v) + " (2 to 5 are read)");
        return Status::Ok();
      }
      case 0x95: {  // FRAME: a length hint for buffered readers; the bytes follow inline.
        uint64_t n = 0;
        return At(in_.Read(&n, "FRAME length"));
      }
      case '(': marks_.push_back(stack_.size()); return Status::Ok();
      case '0': return Pop().status();
      case '1': return PopMark().status();
      case '2': {  // DUP
        TP_ASSIGN_OR_RETURN(PickleValue * v, Top());
        stack_.push_back(v);
        return Status::Ok();
      }
      case 'N': return Push(New(Kind::kNone));
      case 0x88:
      case 0x89: {
        TP_ASSIGN_OR_RETURN(PickleValue * v, New(Kind::kBool));
        v->boolean = op == 0x88;
        stack_.push_back(v);
        return Status::Ok();
      }
      case 'K': {
        uint8_t v = 0;
        TP_RETURN_IF_ERROR(At(in_.Read(&v, "BININT1")));
        return PushInt(v);
      }
      case 'M': {
        uint16_t v = 0;
        TP_RETURN_IF_ERROR(At(in_.Read(&v, "BININT2")));
        return PushInt(v);
      }
      case 'J': {
        int32_t v = 0;
        TP_RETURN_IF_ERROR(At(in_.Read(&v, "BININT")));
        return PushInt(v);
      }
      case 0x8a: {  // LONG1: n bytes of little-endian two's complement
        uint8_t n = 0;
        TP_RETURN_IF_ERROR(At(in_.Read(&n, "LONG1 length")));
        if (n > 8) return Fail("LONG1 integer of " + std::to_string(n) + " bytes (at most 8 are read)");
        std::span<const uint8_t> b;
        TP_RETURN_IF_ERROR(At(in_.ReadSpan(n, &b, "LONG1")));
        uint64_t u = 0;
        for (size_t i = 0; i < n; ++i) u |= uint64_t(b[i]) << (8 * i);
        if (n > 0 && n < 8 && (b[n - 1] & 0x80)) u |= ~uint64_t(0) << (8 * n);  // sign-extend
        return PushInt(int64_t(u));
      }
      case 'G': {  // BINFLOAT: big-endian double
        uint8_t b[8] = {};
        TP_RETURN_IF_ERROR(At(in_.Read(&b, "BINFLOAT")));
        uint64_t u = 0;
        for (uint8_t x : b) u = (u << 8) | x;
        TP_ASSIGN_OR_RETURN(PickleValue * v, New(Kind::kFloat));
        std::memcpy(&v->real, &u, 8);
        stack_.push_back(v);
        return Status::Ok();
      }
      case 'X': {
        TP_ASSIGN_OR_RETURN(uint64_t n, ReadLength<uint32_t>());
        return PushText(Kind::kString, n);
      }
      case 0x8c: {
        TP_ASSIGN_OR_RETURN(uint64_t n, ReadLength<uint8_t>());
        return PushText(Kind::kString, n);
      }
      case 0x8d: {
        TP_ASSIGN_OR_RETURN(uint64_t n, ReadLength<uint64_t>());
        return PushText(Kind::kString, n);
      }
      case 'T': {  // BINSTRING (Python 2 str): signed 32-bit length
        TP_ASSIGN_OR_RETURN(uint64_t n, ReadLength<uint32_t>());
        if (n > 0x7FFFFFFFu) return Fail("BINSTRING with a negative length");
        return PushText(Kind::kString, n);
      }
      case 'U': {
        TP_ASSIGN_OR_RETURN(uint64_t n, ReadLength<uint8_t>());
        return PushText(Kind::kString, n);
      }
      case 'B': {
        TP_ASSIGN_OR_RETURN(uint64_t n, ReadLength<uint32_t>());
        return PushText(Kind::kBytes, n);
      }
      case 'C': {
        TP_ASSIGN_OR_RETURN(uint64_t n, ReadLength<uint8_t>());
        return PushText(Kind::kBytes, n);
      }
      case 0x8e: {
        TP_ASSIGN_OR_RETURN(uint64_t n, ReadLength<uint64_t>());
        return PushText(Kind::kBytes, n);
      }
      case ')': return Tuple({});
      case 0x85: return TupleOf(1);
      case 0x86: return TupleOf(2);
      case 0x87: return TupleOf(3);
      case 't': {
        TP_ASSIGN_OR_RETURN(auto items, PopMark());
        return Tuple(std::move(items));
      }
      case ']':
      case '}': return Push(New(op == ']' ? Kind::kList : Kind::kDict));
      case 'l': {
        TP_ASSIGN_OR_RETURN(auto items, PopMark());
        TP_ASSIGN_OR_RETURN(PickleValue * v, New(Kind::kList));
        v->items = std::move(items);
        stack_.push_back(v);
        return Status::Ok();
      }
      case 'd': {
        TP_ASSIGN_OR_RETURN(auto items, PopMark());
        if (items.size() % 2) return Fail("DICT with an odd number of values");
        TP_ASSIGN_OR_RETURN(PickleValue * v, New(Kind::kDict));
        v->items = std::move(items);
        stack_.push_back(v);
        return Status::Ok();
      }
      case 'a': {
        TP_ASSIGN_OR_RETURN(PickleValue * v, Pop());
        return AppendTo({v});
      }
      case 'e': {
        TP_ASSIGN_OR_RETURN(auto items, PopMark());
        return AppendTo(std::move(items));
      }
      case 's': {
        TP_ASSIGN_OR_RETURN(PickleValue * value, Pop());
        TP_ASSIGN_OR_RETURN(PickleValue * key, Pop());
        return SetItems({key, value});
      }
      case 'u': {
        TP_ASSIGN_OR_RETURN(auto items, PopMark());
        return SetItems(std::move(items));
      }
      case 'q': {
        TP_ASSIGN_OR_RETURN(uint64_t i, ReadLength<uint8_t>());
        return Memo(i);
      }
      case 'r': {
        TP_ASSIGN_OR_RETURN(uint64_t i, ReadLength<uint32_t>());
        return Memo(i);
      }
      case 0x94: return Memo(memo_.size());  // MEMOIZE
      case 'h': {
        TP_ASSIGN_OR_RETURN(uint64_t i, ReadLength<uint8_t>());
        return Recall(i);
      }
      case 'j': {
        TP_ASSIGN_OR_RETURN(uint64_t i, ReadLength<uint32_t>());
        return Recall(i);
      }
      case 'c': {
        TP_ASSIGN_OR_RETURN(std::string module, ReadLine());
        TP_ASSIGN_OR_RETURN(std::string name, ReadLine());
        return PushGlobal(module, name);
      }
      case 0x93: {  // STACK_GLOBAL
        TP_ASSIGN_OR_RETURN(PickleValue * name, Pop());
        TP_ASSIGN_OR_RETURN(PickleValue * module, Pop());
        if (module->kind != Kind::kString || name->kind != Kind::kString)
          return Fail("STACK_GLOBAL operands are not strings");
        return PushGlobal(module->text, name->text);
      }
      case 'R': return CallTop();
      case 0x81: return CallTop();  // NEWOBJ: cls.__new__(cls, *args); the handler decides what cls means
      case 'b': {
        TP_ASSIGN_OR_RETURN(PickleValue * state, Pop());
        TP_ASSIGN_OR_RETURN(PickleValue * object, Top());
        return At(handler_.Build(*object, *state));
      }
      case 'Q': {
        TP_ASSIGN_OR_RETURN(PickleValue * pid, Pop());
        return Push(handler_.PersistentLoad(*pid, arena_));
      }
      default: break;
    }
    std::string_view name = RefusedOpcodeName(op);
    if (!name.empty()) return Fail("opcode " + std::string(name) + " is not allowed");
    return Fail("unknown opcode " + Hex(op));
  }

  ByteReader in_;
  PickleHandler& handler_;
  PickleArena& arena_;
  uint64_t op_offset_ = 0;
  uint64_t consumed_ = 0;
  std::vector<PickleValue*> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, PickleValue*> memo_;
};

}  // namespace

StatusOr<PickleValue*> Unpickle(std::span<const uint8_t> bytes, PickleHandler& handler, PickleArena& arena,
                                uint64_t* consumed) {
  Machine m(bytes, handler, arena);
  StatusOr<PickleValue*> v = m.Run();
  if (v.ok() && consumed) *consumed = m.consumed();
  return v;
}

}  // namespace tp::io
