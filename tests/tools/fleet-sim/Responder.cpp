#include "Responder.h"

#include <algorithm>

#include "DeviceModel.h"

namespace fleetsim {
namespace {

constexpr long kTooBig = 1;
constexpr long kNoSuchName = 2;
constexpr long kNotWritable = 17;

bool isException(Tag tag) {
  return tag == Tag::NoSuchObject || tag == Tag::NoSuchInstance || tag == Tag::EndOfMibView;
}

class Answer {
 public:
  Answer(const Request& request, const Shape& shape, const DeviceContext& device,
         ResponseWriter& writer)
      : request_(request), shape_(shape), device_(device), writer_(writer) {}

  bool v1() const { return request_.version == 0; }

  /// Index of the entry GETNEXT returns after `oid`, or shape.size() at the end of the MIB.
  /// v1 managers cannot see Counter64 (RFC 2576 4.1.2.1) and nobody sees recorded exceptions.
  size_t nextOf(std::span<const uint32_t> oid) const {
    size_t i = shape_.next(oid);
    while (i < shape_.size() &&
           (isException(shape_.entry(i).tag) || (v1() && shape_.entry(i).tag == Tag::Counter64))) {
      ++i;
    }
    return i;
  }

  /// Adds the varbind of entry i, or the exception for `oid` when i is out of range.
  void addEntry(size_t i) {
    valueOf(shape_, i, device_, value_);
    writer_.add(shape_.encodedOid(i), value_);
  }

  void addException(std::span<const uint32_t> oid, Tag tag) {
    value_.tag = tag;
    writer_.add(oid, value_);
  }

  /// v1 error: the request's varbinds come back unchanged with the error.
  size_t fail(long status, long index) {
    writer_.reset();
    value_.tag = Tag::Null;
    for (size_t k = 0; k < request_.oidCount; ++k) {
      writer_.add(request_.oids[k].span(), value_);
    }
    writer_.finish(request_, status, index);
    return 0;
  }

  size_t get() {
    for (size_t k = 0; k < request_.oidCount; ++k) {
      std::span<const uint32_t> oid = request_.oids[k].span();
      size_t i = shape_.find(oid);
      Tag tag = i == Shape::kNone ? Tag::Null : shape_.entry(i).tag;
      if (i != Shape::kNone && !isException(tag) && !(v1() && tag == Tag::Counter64)) {
        addEntry(i);
        continue;
      }
      if (v1()) {
        return fail(kNoSuchName, static_cast<long>(k + 1));
      }
      if (i != Shape::kNone) {
        addException(oid, tag);  // a recorded exception value
      } else {
        // Without the MIB the object type is guessed: the instance's parent has instances.
        bool typeExists = oid.size() > 1 && shape_.hasEntryUnder(oid.first(oid.size() - 1));
        addException(oid, typeExists ? Tag::NoSuchInstance : Tag::NoSuchObject);
      }
    }
    return finishOrTooBig();
  }

  size_t getNext() {
    for (size_t k = 0; k < request_.oidCount; ++k) {
      std::span<const uint32_t> oid = request_.oids[k].span();
      size_t i = nextOf(oid);
      if (i < shape_.size()) {
        addEntry(i);
      } else if (v1()) {
        return fail(kNoSuchName, static_cast<long>(k + 1));
      } else {
        addException(oid, Tag::EndOfMibView);
      }
    }
    return finishOrTooBig();
  }

  size_t getBulk(const ResponderLimits& limits) {
    size_t count = request_.oidCount;
    size_t n = static_cast<size_t>(std::clamp<long>(request_.nonRepeaters, 0, count));
    size_t r = count - n;
    size_t m = static_cast<size_t>(std::max<long>(request_.maxRepetitions, 0));
    if (r > 0) {
      size_t room = limits.maxVarbinds > n ? (limits.maxVarbinds - n) / r : 0;
      // At least one repetition, or a manager asking for more columns than the limit would
      // never make progress.
      m = std::min(m, std::max<size_t>(room, 1));
    } else {
      m = 0;
    }
    for (size_t k = 0; k < n; ++k) {
      size_t i = nextOf(request_.oids[k].span());
      if (i < shape_.size()) {
        addEntry(i);
      } else {
        addException(request_.oids[k].span(), Tag::EndOfMibView);
      }
    }
    if (writer_.messageSize(request_.community.size()) > limits.maxSize) {
      return tooBig();
    }
    // cursor[j]: index of the last entry returned for repeater j, or kNone before the first
    // repetition / after endOfMibView (then the request OID is echoed).
    cursor_.assign(r, Shape::kNone);
    ended_.assign(r, false);
    for (size_t rep = 0; rep < m; ++rep) {
      size_t before = writer_.varbindCount();
      for (size_t j = 0; j < r; ++j) {
        const RequestOid& start = request_.oids[n + j];
        size_t i = shape_.size();
        if (!ended_[j]) {
          i = cursor_[j] == Shape::kNone ? nextOf(start.span()) : nextOf(shape_.oid(cursor_[j]));
        }
        if (i < shape_.size()) {
          cursor_[j] = i;
          addEntry(i);
        } else {
          ended_[j] = true;
          addException(cursor_[j] == Shape::kNone ? start.span() : shape_.oid(cursor_[j]),
                       Tag::EndOfMibView);
        }
      }
      if (writer_.messageSize(request_.community.size()) > limits.maxSize) {
        // RFC 3416 4.2.3: fewer repetitions rather than tooBig, but whole ones only. Past the
        // end of the MIB the repetitions go on with endOfMibView, as snmpsimd and RFC 3416.
        writer_.truncate(before);
        break;
      }
    }
    writer_.finish(request_, 0, 0);
    return writer_.varbindCount();
  }

  size_t set() {
    if (v1()) {
      return fail(kNoSuchName, 1);
    }
    return fail(kNotWritable, 1);
  }

  void setMaxSize(size_t maxSize) { maxSize_ = maxSize; }

 private:
  size_t finishOrTooBig() {
    if (writer_.messageSize(request_.community.size()) > maxSize_) {
      return tooBig();
    }
    writer_.finish(request_, 0, 0);
    return writer_.varbindCount();
  }

  size_t tooBig() {
    if (v1()) {
      return fail(kTooBig, 0);
    }
    writer_.reset();
    writer_.finish(request_, kTooBig, 0);
    return 0;
  }

  const Request& request_;
  const Shape& shape_;
  const DeviceContext& device_;
  ResponseWriter& writer_;
  Value value_;
  size_t maxSize_ = 65507;
  std::vector<size_t> cursor_;
  std::vector<bool> ended_;
};

}  // namespace

size_t respond(const Request& request, const Shape& shape, const DeviceContext& device,
               const ResponderLimits& limits, ResponseWriter& writer) {
  writer.reset();
  Answer answer(request, shape, device, writer);
  answer.setMaxSize(limits.maxSize);
  switch (request.type) {
    case PduType::Get:
      return answer.get();
    case PduType::GetNext:
      return answer.getNext();
    case PduType::GetBulk:
      return answer.getBulk(limits);
    default:
      return answer.set();
  }
}

}  // namespace fleetsim
