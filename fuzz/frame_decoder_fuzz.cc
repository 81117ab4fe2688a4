// libFuzzer target: the device protocol's receive path as the host runs it. Bytes arrive
// in chunks of fuzzer-chosen sizes, frames are decoded (with the idle-gap rule's
// AbandonPartialFrame), each payload is parsed as a DeviceMessage and telemetry batches
// are unpacked. Checked beyond "no crash": every byte fed is delivered, dropped or still
// buffered; the decoder always takes more bytes once drained; and a valid frame fed after
// the fuzzer's bytes comes out unless a frame decoded from those bytes overlapped it.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "google/protobuf/stubs/logging.h"
#include "rig/codec/frame_codec.h"
#include "rig/protocol/telemetry_columns.h"
#include "rollrig/v1/device.pb.h"

namespace {

using rollrig::codec::Frame;
using rollrig::codec::FrameDecoder;

constexpr uint32_t kSentinelSeq = 0x5e471e1u;
constexpr uint8_t kSentinelPayload[] = {0x0a, 0x03, 'e', 'n', 'd'};

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "frame_decoder_fuzz: %s\n", what);
    std::abort();
  }
}

// The host's handling of one payload (device_client.cc's receive path).
void HandlePayload(const Frame& frame) {
  rollrig::v1::DeviceMessage message;
  if (!message.ParseFromArray(frame.payload, static_cast<int>(frame.size))) return;
  if (message.has_telemetry()) {
    std::vector<rollrig::firmware::TelemetrySample> samples;
    (void)rollrig::protocol::UnpackTelemetryBatch(message.telemetry(), &samples);
  }
}

struct Stream {
  FrameDecoder decoder;
  uint64_t fed = 0;        // bytes the decoder took
  uint64_t delivered = 0;  // bytes of frames delivered
  bool sentinel_seen = false;
  bool sentinel_overlapped = false;
  uint64_t sentinel_start = UINT64_MAX;

  void Drain() {
    Frame frame;
    while (decoder.Next(&frame)) {
      const uint64_t size = rollrig::codec::kHeaderSize + frame.size + rollrig::codec::kCrcSize;
      const uint64_t end = fed - decoder.buffered_bytes();
      const uint64_t start = end - size;
      delivered += size;
      if (start == sentinel_start && frame.seq == kSentinelSeq &&
          frame.size == sizeof kSentinelPayload &&
          std::memcmp(frame.payload, kSentinelPayload, frame.size) == 0) {
        sentinel_seen = true;
      } else if (start < sentinel_start && end > sentinel_start) {
        sentinel_overlapped = true;
      }
      HandlePayload(frame);
    }
    Check(delivered + decoder.stats().bytes_dropped + decoder.buffered_bytes() == fed,
          "bytes fed != delivered + dropped + buffered");
  }

  // Feeds as a reader does: whatever the decoder takes, then every frame it completes.
  void Feed(const uint8_t* data, size_t n) {
    while (n > 0) {
      const size_t taken = decoder.Feed(data, n);
      // After a drain only a partial frame (< kMaxFrame) is buffered: there is room.
      Check(taken > 0, "Feed took nothing from a drained decoder");
      fed += taken;
      data += taken;
      n -= taken;
      Drain();
    }
  }

  // The idle-gap rule: give up on partial frames until none is left.
  void AbandonAll() {
    Drain();
    while (decoder.AbandonPartialFrame()) Drain();
  }
};

}  // namespace

// protobuf logs every invalid UTF-8 string it parses: noise at millions of inputs.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  // The first byte picks the transfer size (1..256 bytes, 0 = all at once).
  const size_t chunk = data[0] == 0 ? size : data[0];
  ++data;
  --size;
  Stream stream;
  for (size_t at = 0; at < size; at += chunk) {
    stream.Feed(data + at, std::min(chunk, size - at));
  }
  std::vector<uint8_t> sentinel;
  rollrig::codec::AppendFrame(kSentinelSeq, kSentinelPayload, sizeof kSentinelPayload, &sentinel);
  stream.sentinel_start = stream.fed;
  stream.Feed(sentinel.data(), sentinel.size());
  stream.AbandonAll();
  Check(stream.sentinel_seen || stream.sentinel_overlapped,
        "a valid frame after garbage was never delivered");
  return 0;
}
