#include "rig/codec/frame_codec.h"

#include <cstring>

namespace rollrig::codec {
namespace {

constexpr size_t kBufferSize = 2 * kMaxFrame;
constexpr size_t kVersionOffset = 2;
constexpr size_t kFlagsOffset = 3;
constexpr size_t kLengthOffset = 4;
constexpr size_t kSeqOffset = 6;

void PutLe16(uint16_t v, uint8_t* p) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}

void PutLe32(uint32_t v, uint8_t* p) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

uint16_t GetLe16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

uint32_t GetLe32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

}  // namespace

bool AppendFrame(uint32_t seq, const uint8_t* payload, size_t n, std::vector<uint8_t>* out) {
  if (n > kMaxPayload) return false;
  const size_t start = out->size();
  out->resize(start + kHeaderSize + n + kCrcSize);
  uint8_t* frame = out->data() + start;
  frame[0] = kMagic0;
  frame[1] = kMagic1;
  frame[kVersionOffset] = kWireVersion;
  frame[kFlagsOffset] = 0;
  PutLe16(static_cast<uint16_t>(n), frame + kLengthOffset);
  PutLe32(seq, frame + kSeqOffset);
  if (n > 0) std::memcpy(frame + kHeaderSize, payload, n);
  PutLe32(Crc32(frame, kHeaderSize + n), frame + kHeaderSize + n);
  return true;
}

FrameDecoder::FrameDecoder() = default;

size_t FrameDecoder::Feed(const uint8_t* data, size_t n) {
  // Move the undelivered tail to the front when the free space at the end is short.
  if (kBufferSize - end_ < n && begin_ > 0) {
    std::memmove(buffer_, buffer_ + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  const size_t room = kBufferSize - end_;
  const size_t taken = n < room ? n : room;
  if (taken > 0) std::memcpy(buffer_ + end_, data, taken);
  end_ += taken;
  return taken;
}

void FrameDecoder::DropBytes(size_t n) {
  begin_ += n;
  stats_.bytes_dropped += n;
}

size_t FrameDecoder::FrontFrameSize() {
  for (;;) {
    const size_t available = end_ - begin_;
    if (available == 0) return 0;
    const uint8_t* start = buffer_ + begin_;

    // Skip to the next candidate magic. A lone trailing kMagic0 may be the start of one.
    const void* found = std::memchr(start, kMagic0, available);
    if (found == nullptr) {
      DropBytes(available);
      return 0;
    }
    const size_t skip = static_cast<size_t>(static_cast<const uint8_t*>(found) - start);
    if (skip > 0) {
      DropBytes(skip);
      continue;
    }
    if (available < 2) return 0;
    if (start[1] != kMagic1) {
      DropBytes(1);
      continue;
    }

    // Judge the header as soon as each field has arrived, so an impossible one does not
    // hold up the stream while waiting for a length that will never be right.
    const bool bad_version = available > kVersionOffset && start[kVersionOffset] != kWireVersion;
    const bool bad_flags = available > kFlagsOffset && start[kFlagsOffset] != 0;
    const bool bad_length =
        available >= kLengthOffset + 2 && GetLe16(start + kLengthOffset) > kMaxPayload;
    if (bad_version || bad_flags || bad_length) {
      ++stats_.bad_headers;
      DropBytes(1);  // a real frame may start at the very next byte
      continue;
    }
    if (available < kHeaderSize) return 0;

    const size_t frame_size = kHeaderSize + GetLe16(start + kLengthOffset) + kCrcSize;
    return available < frame_size ? 0 : frame_size;
  }
}

bool FrameDecoder::Next(Frame* frame) {
  for (;;) {
    const size_t frame_size = FrontFrameSize();
    if (frame_size == 0) return false;
    const uint8_t* start = buffer_ + begin_;
    const size_t payload_size = frame_size - kHeaderSize - kCrcSize;

    const uint32_t expected = GetLe32(start + kHeaderSize + payload_size);
    if (Crc32(start, kHeaderSize + payload_size) != expected) {
      ++stats_.crc_errors;
      DropBytes(1);  // a valid frame may hide inside the corrupted one
      continue;
    }

    const uint32_t seq = GetLe32(start + kSeqOffset);
    if (have_last_seq_) {
      // Forward jumps are lost frames; a backward jump is the sender restarting its
      // count (a device reset), not a loss.
      const uint32_t step = seq - last_seq_;
      if (step != 1 && step != 0 && step < 0x80000000u) stats_.sequence_gaps += step - 1;
    }
    have_last_seq_ = true;
    last_seq_ = seq;

    frame->seq = seq;
    frame->payload = start + kHeaderSize;
    frame->size = payload_size;
    begin_ += frame_size;
    ++stats_.frames;
    return true;
  }
}

bool FrameDecoder::AbandonPartialFrame() {
  // A complete frame is left to Next(), even one whose CRC will fail: only a frame that
  // cannot complete with the bytes at hand is given up on.
  if (FrontFrameSize() != 0 || end_ == begin_) return false;
  DropBytes(1);
  ++stats_.abandoned_frames;
  return true;
}

void FrameDecoder::Reset() {
  stats_.bytes_dropped += end_ - begin_;
  begin_ = 0;
  end_ = 0;
  have_last_seq_ = false;
}

}  // namespace rollrig::codec
