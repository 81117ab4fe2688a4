// A fixed-capacity FIFO ring for the firmware's queues (telemetry, events).
//
// Promises: no heap (the storage is a member array), no exceptions; not thread-safe.
#pragma once

#include <cstddef>

namespace rollrig::firmware {

template <typename T, size_t kCapacity>
class FixedRing {
 public:
  static_assert(kCapacity > 0);

  size_t size() const { return count_; }
  bool full() const { return count_ == kCapacity; }
  static constexpr size_t capacity() { return kCapacity; }

  // Appends unless full; returns false (and drops `item`) when full.
  bool Push(const T& item) {
    if (full()) return false;
    items_[(head_ + count_) % kCapacity] = item;
    ++count_;
    return true;
  }

  // Appends, overwriting the oldest item when full.
  void PushOverwrite(const T& item) {
    if (full()) {
      head_ = (head_ + 1) % kCapacity;
      --count_;
    }
    Push(item);
  }

  // Removes the oldest item into *out; false when empty.
  bool Pop(T* out) {
    if (count_ == 0) return false;
    *out = items_[head_];
    head_ = (head_ + 1) % kCapacity;
    --count_;
    return true;
  }

 private:
  T items_[kCapacity] = {};
  size_t head_ = 0;
  size_t count_ = 0;
};

}  // namespace rollrig::firmware
