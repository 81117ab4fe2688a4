// The wire framing of the device protocol, the same on USB bulk endpoints and on TCP.
//
//   offset  size  field
//   0       2     magic 0x52 0x52 ("RR")
//   2       1     protocol version (1)
//   3       1     flags (0; reserved)
//   4       2     payload length, little-endian, at most kMaxPayload
//   6       4     sequence number, little-endian, per direction, +1 per frame
//   10      n     payload: one serialized rollrig.v1.HostMessage or DeviceMessage
//   10+n    4     CRC-32 (zlib's, reflected 0xEDB88320) of bytes 0 .. 10+n-1, little-endian
//
// Frames may share a transfer or span several. The decoder finds frames in any
// chunking, resynchronises after garbage by searching for the next magic, and counts
// everything it drops. It allocates nothing after construction (fixed buffer), so a
// microcontroller can use it too.
//
// The header has no check of its own: a corrupted but plausible length makes the decoder
// wait for up to kMaxPayload more bytes before the CRC can reject the frame, and on a
// quiet link that can take minutes. Readers therefore apply an idle-gap rule, as serial
// protocols do: when a frame has been pending too long with no frame completing, they
// call AbandonPartialFrame(), and the frames buffered behind the bogus header come out
// of the following Next() calls. How long is "too long" depends on the link, so the
// decoder has no clock; the readers choose.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace rollrig::codec {

inline constexpr uint8_t kMagic0 = 0x52;
inline constexpr uint8_t kMagic1 = 0x52;
inline constexpr uint8_t kWireVersion = 1;
inline constexpr size_t kHeaderSize = 10;
inline constexpr size_t kCrcSize = 4;
inline constexpr size_t kMaxPayload = 16384;
inline constexpr size_t kMaxFrame = kHeaderSize + kMaxPayload + kCrcSize;

// CRC-32 as zlib's crc32() (check value of "123456789" is 0xCBF43926). Pass the previous
// result as `crc` to continue a running CRC; start with 0.
uint32_t Crc32(const uint8_t* data, size_t n, uint32_t crc = 0);

// Appends one frame holding `payload` to `out`. Returns false (appending nothing) when
// the payload is larger than kMaxPayload.
bool AppendFrame(uint32_t seq, const uint8_t* payload, size_t n, std::vector<uint8_t>* out);

struct DecoderStats {
  uint64_t frames = 0;            // valid frames delivered
  uint64_t bytes_dropped = 0;     // bytes skipped while resynchronising
  uint64_t crc_errors = 0;        // frames whose CRC did not match
  uint64_t bad_headers = 0;       // magic found but version or length impossible
  uint64_t sequence_gaps = 0;     // frames missing between delivered ones
  uint64_t abandoned_frames = 0;  // partial frames given up on by AbandonPartialFrame()
};

// One decoded frame. `payload` points into the decoder's buffer and stays valid until
// the next call to Feed() or Next().
struct Frame {
  uint32_t seq = 0;
  const uint8_t* payload = nullptr;
  size_t size = 0;
};

// Not thread-safe: one reader feeds it and pulls frames.
class FrameDecoder {
 public:
  FrameDecoder();
  // Appends received bytes and returns how many were taken. It takes fewer than n only
  // when its buffer is full of undelivered frames: call Next() until it returns false,
  // then feed the rest.
  size_t Feed(const uint8_t* data, size_t n);
  // Extracts the next valid frame, if a whole one has arrived.
  bool Next(Frame* frame);
  // Gives up on the frame whose start is buffered but whose rest has not arrived (the
  // idle-gap rule above): drops its first byte, so the following Next() calls search the
  // buffered bytes for the next frame. Returns false, changing nothing, when no partial
  // frame is buffered (a complete frame waiting for Next() is never abandoned). Garbage in
  // front of the partial frame is skipped as Next() would. Counts abandoned_frames and the
  // dropped byte.
  bool AbandonPartialFrame();
  // Bytes received and neither delivered nor dropped yet. After Next() returns false,
  // nonzero means the start of a frame is waiting for the rest.
  size_t buffered_bytes() const { return end_ - begin_; }
  const DecoderStats& stats() const { return stats_; }
  // Drops buffered bytes (e.g. after a reconnect); they count as dropped.
  void Reset();

 private:
  // Skips n buffered bytes while resynchronising, counting them.
  void DropBytes(size_t n);
  // Skips garbage and impossible headers until a candidate frame starts at begin_. Returns
  // its total size once all of it has arrived, or 0 while it is incomplete (or nothing is
  // buffered). Its CRC is not checked yet.
  size_t FrontFrameSize();

  uint8_t buffer_[2 * kMaxFrame];
  size_t begin_ = 0;  // first unconsumed byte
  size_t end_ = 0;    // one past the last received byte
  bool have_last_seq_ = false;
  uint32_t last_seq_ = 0;
  DecoderStats stats_;
};

}  // namespace rollrig::codec
