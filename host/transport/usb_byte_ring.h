// A fixed-capacity FIFO of bytes: where the USB event thread leaves received data for
// Read(). Allocates only in the constructor.
//
// Not thread-safe: UsbTransport guards it with its mutex (held only for the copy).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace rollrig::host {

class UsbByteRing {
 public:
  explicit UsbByteRing(size_t capacity) : buf_(capacity) {}

  size_t size() const { return size_; }
  size_t free() const { return buf_.size() - size_; }
  bool empty() const { return size_ == 0; }
  void Clear() { head_ = size_ = 0; }

  // Appends n bytes; the caller made sure they fit (n <= free()). Returns false, taking
  // nothing, when they do not.
  bool Push(const uint8_t* data, size_t n) {
    if (n > free()) return false;
    size_t tail = (head_ + size_) % buf_.size();
    const size_t first = std::min(n, buf_.size() - tail);
    std::memcpy(buf_.data() + tail, data, first);
    std::memcpy(buf_.data(), data + first, n - first);
    size_ += n;
    return true;
  }

  // Moves up to cap bytes out; returns how many.
  size_t Pop(uint8_t* out, size_t cap) {
    const size_t n = std::min(cap, size_);
    const size_t first = std::min(n, buf_.size() - head_);
    std::memcpy(out, buf_.data() + head_, first);
    std::memcpy(out + first, buf_.data(), n - first);
    head_ = (head_ + n) % buf_.size();
    size_ -= n;
    return n;
  }

 private:
  std::vector<uint8_t> buf_;
  size_t head_ = 0;  // index of the oldest byte
  size_t size_ = 0;
};

}  // namespace rollrig::host
