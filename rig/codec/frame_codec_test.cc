#include "rig/codec/frame_codec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace rollrig::codec {
namespace {

using Bytes = std::vector<uint8_t>;

struct DecodedFrame {
  uint32_t seq;
  Bytes payload;
  bool operator==(const DecodedFrame&) const = default;
};

// Payload contents derived from the sequence number, so a delivered frame can be checked
// against what was sent without keeping the original around.
Bytes PayloadFor(uint32_t seq, size_t size) {
  Bytes payload(size);
  uint32_t x = seq * 2654435761u + 1;
  for (auto& b : payload) {
    x = x * 1664525u + 1013904223u;
    b = static_cast<uint8_t>(x >> 24);
  }
  return payload;
}

Bytes FrameBytes(uint32_t seq, const Bytes& payload) {
  Bytes out;
  EXPECT_TRUE(AppendFrame(seq, payload.data(), payload.size(), &out));
  return out;
}

void Append(const Bytes& tail, Bytes* out) { out->insert(out->end(), tail.begin(), tail.end()); }

// Feeds `stream` in chunks whose sizes come from `next_chunk` and collects every frame.
template <typename ChunkSizes>
std::vector<DecodedFrame> DecodeInChunks(const Bytes& stream, FrameDecoder* decoder,
                                         ChunkSizes next_chunk) {
  std::vector<DecodedFrame> frames;
  size_t pos = 0;
  while (pos < stream.size()) {
    size_t chunk = std::min(next_chunk(), stream.size() - pos);
    while (chunk > 0) {
      const size_t taken = decoder->Feed(stream.data() + pos, chunk);
      pos += taken;
      chunk -= taken;
      Frame frame;
      while (decoder->Next(&frame)) {
        frames.push_back({frame.seq, Bytes(frame.payload, frame.payload + frame.size)});
      }
    }
  }
  return frames;
}

std::vector<DecodedFrame> DecodeAll(const Bytes& stream, FrameDecoder* decoder) {
  return DecodeInChunks(stream, decoder, [] { return size_t{1} << 20; });
}

uint64_t DeliveredBytes(const std::vector<DecodedFrame>& frames) {
  uint64_t total = 0;
  for (const auto& f : frames) total += kHeaderSize + f.payload.size() + kCrcSize;
  return total;
}

struct TestStream {
  Bytes bytes;
  std::vector<DecodedFrame> frames;
};

TestStream MakeStream(std::mt19937* rng, int count, size_t max_payload, uint32_t first_seq = 0) {
  TestStream s;
  std::uniform_int_distribution<size_t> size_dist(0, max_payload);
  for (int i = 0; i < count; ++i) {
    const uint32_t seq = first_seq + static_cast<uint32_t>(i);
    DecodedFrame frame{seq, PayloadFor(seq, size_dist(*rng))};
    Append(FrameBytes(seq, frame.payload), &s.bytes);
    s.frames.push_back(std::move(frame));
  }
  return s;
}

TEST(Crc32Test, MatchesZlibCheckValue) {
  const std::string check = "123456789";
  EXPECT_EQ(Crc32(reinterpret_cast<const uint8_t*>(check.data()), check.size()), 0xCBF43926u);
  EXPECT_EQ(Crc32(nullptr, 0), 0u);
}

TEST(Crc32Test, RunningCrcEqualsOneShot) {
  const Bytes data = PayloadFor(7, 1000);
  const uint32_t whole = Crc32(data.data(), data.size());
  for (size_t split : {size_t{0}, size_t{1}, size_t{333}, size_t{999}, size_t{1000}}) {
    const uint32_t first = Crc32(data.data(), split);
    EXPECT_EQ(Crc32(data.data() + split, data.size() - split, first), whole) << split;
  }
}

TEST(AppendFrameTest, WritesTheDocumentedLayout) {
  const Bytes payload = {0xAA, 0xBB, 0xCC};
  const Bytes frame = FrameBytes(0x01020304u, payload);
  ASSERT_EQ(frame.size(), kHeaderSize + 3 + kCrcSize);
  const Bytes header(frame.begin(), frame.begin() + kHeaderSize);
  EXPECT_EQ(header, (Bytes{0x52, 0x52, 1, 0, 3, 0, 0x04, 0x03, 0x02, 0x01}));
  const uint32_t crc = Crc32(frame.data(), kHeaderSize + 3);
  EXPECT_EQ(frame[13], crc & 0xFF);
  EXPECT_EQ(frame[16], crc >> 24);
}

TEST(AppendFrameTest, RefusesOversizedPayloadAndAppendsNothing) {
  const Bytes payload(kMaxPayload + 1);
  Bytes out = {1, 2, 3};
  EXPECT_FALSE(AppendFrame(0, payload.data(), payload.size(), &out));
  EXPECT_EQ(out, (Bytes{1, 2, 3}));
}

TEST(FrameDecoderTest, RoundTripsEmptyAndMaximumPayloads) {
  Bytes stream;
  Append(FrameBytes(0, {}), &stream);
  Append(FrameBytes(1, PayloadFor(1, kMaxPayload)), &stream);
  Append(FrameBytes(2, {}), &stream);
  FrameDecoder decoder;
  const auto frames = DecodeAll(stream, &decoder);
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_TRUE(frames[0].payload.empty());
  EXPECT_EQ(frames[1].payload, PayloadFor(1, kMaxPayload));
  EXPECT_TRUE(frames[2].payload.empty());
  EXPECT_EQ(decoder.stats().bytes_dropped, 0u);
}

TEST(FrameDecoderTest, RoundTripsInEveryChunking) {
  std::mt19937 rng(42);
  const TestStream s = MakeStream(&rng, 300, 700);
  std::uniform_int_distribution<size_t> random_split(1, 200);
  const std::vector<std::pair<std::string, std::function<size_t()>>> chunkings = {
      {"byte by byte", [] { return size_t{1}; }},
      {"usb packets", [] { return size_t{64}; }},
      {"random splits", [&] { return random_split(rng); }},
      {"many per chunk", [] { return size_t{50000}; }},
      {"all at once", [&] { return s.bytes.size(); }},
  };
  for (const auto& [name, chunker] : chunkings) {
    FrameDecoder decoder;
    EXPECT_EQ(DecodeInChunks(s.bytes, &decoder, chunker), s.frames) << name;
    EXPECT_EQ(decoder.stats().frames, s.frames.size()) << name;
    EXPECT_EQ(decoder.stats().bytes_dropped, 0u) << name;
    EXPECT_EQ(decoder.stats().crc_errors, 0u) << name;
    EXPECT_EQ(decoder.stats().sequence_gaps, 0u) << name;
  }
}

TEST(FrameDecoderTest, FeedTakesLessOnlyWhenFullOfUndeliveredFrames) {
  std::mt19937 rng(1);
  const TestStream s = MakeStream(&rng, 10, kMaxPayload);
  FrameDecoder decoder;
  const size_t taken = decoder.Feed(s.bytes.data(), s.bytes.size());
  EXPECT_LT(taken, s.bytes.size());
  EXPECT_GE(taken, 2 * kMaxFrame - kMaxFrame);
  FrameDecoder fresh;
  EXPECT_EQ(DecodeAll(s.bytes, &fresh), s.frames);
}

TEST(FrameDecoderTest, ResynchronisesAfterRandomGarbage) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<size_t> garbage_size(0, 300);
  Bytes stream;
  std::vector<DecodedFrame> sent;
  uint64_t garbage_total = 0;
  for (uint32_t seq = 0; seq < 200; ++seq) {
    const size_t g = garbage_size(rng);
    for (size_t i = 0; i < g; ++i) stream.push_back(static_cast<uint8_t>(byte(rng)));
    garbage_total += g;
    sent.push_back({seq, PayloadFor(seq, seq % 90)});
    Append(FrameBytes(seq, sent.back().payload), &stream);
  }
  FrameDecoder decoder;
  EXPECT_EQ(DecodeInChunks(stream, &decoder, [&] { return garbage_size(rng) + 1; }), sent);
  EXPECT_EQ(decoder.stats().bytes_dropped, garbage_total);
}

TEST(FrameDecoderTest, GarbageMadeOfMagicBytesAndFakeHeadersIsSkipped) {
  const Bytes good = FrameBytes(5, PayloadFor(5, 20));
  const Bytes truncated_frame(good.begin(), good.begin() + 15);  // header plus some payload
  Bytes corrupted_frame = FrameBytes(4, PayloadFor(4, 8));
  corrupted_frame[12] ^= 0x01;
  const std::vector<Bytes> garbages = {
      {0x52},
      {0x52, 0x52},
      {0x52, 0x52, 0x52, 0x52, 0x52},
      {0x52, 0x52, 1},
      {0x52, 0x52, 1, 0},
      {0x52, 0x52, 2, 0, 0, 0},           // wrong version
      {0x52, 0x52, 1, 7, 0, 0},           // reserved flags set
      {0x52, 0x52, 1, 0, 0xFF, 0xFF},     // impossible length
      {0x52, 0x52, 1, 0, 3, 0, 0, 0, 0},  // plausible header, cut short
      truncated_frame,
      corrupted_frame,
  };
  for (size_t i = 0; i < garbages.size(); ++i) {
    Bytes stream = garbages[i];
    Append(good, &stream);
    Append(FrameBytes(6, PayloadFor(6, 3)), &stream);
    for (size_t chunk : {size_t{1}, size_t{4096}}) {
      FrameDecoder decoder;
      const auto frames = DecodeInChunks(stream, &decoder, [&] { return chunk; });
      ASSERT_EQ(frames.size(), 2u) << "garbage " << i << " chunk " << chunk;
      EXPECT_EQ(frames[0].seq, 5u);
      EXPECT_EQ(frames[0].payload, PayloadFor(5, 20));
      EXPECT_EQ(decoder.stats().bytes_dropped, garbages[i].size()) << "garbage " << i;
    }
  }
}

TEST(FrameDecoderTest, ImpossibleHeaderIsJudgedBeforeItsLengthArrives) {
  FrameDecoder decoder;
  const Bytes bad = {0x52, 0x52, 1, 0, 0xFF, 0xFF};
  decoder.Feed(bad.data(), bad.size());
  Frame frame;
  EXPECT_FALSE(decoder.Next(&frame));
  EXPECT_EQ(decoder.stats().bad_headers, 1u);
  EXPECT_EQ(decoder.stats().bytes_dropped, bad.size());
}

TEST(FrameDecoderTest, AFlippedBitIsACrcErrorNotADeliveredFrame) {
  const Bytes original = FrameBytes(100, PayloadFor(100, 24));
  // Enough valid frames after the damaged one that even a length grown by the flip is
  // satisfied and checked, so every later frame must still be found.
  Bytes tail;
  std::vector<DecodedFrame> tail_frames;
  for (uint32_t seq = 101; seq < 121; ++seq) {
    tail_frames.push_back({seq, PayloadFor(seq, 1000)});
    Append(FrameBytes(seq, tail_frames.back().payload), &tail);
  }
  for (size_t bit = 0; bit < original.size() * 8; ++bit) {
    Bytes stream = original;
    stream[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    Append(tail, &stream);
    FrameDecoder decoder;
    const auto frames = DecodeAll(stream, &decoder);
    EXPECT_EQ(frames, tail_frames) << "bit " << bit;
    const DecoderStats& st = decoder.stats();
    if (bit >= 16) {  // past the magic, the damaged frame is detected, not just skipped
      EXPECT_GE(st.crc_errors + st.bad_headers, 1u) << "bit " << bit;
    }
    EXPECT_EQ(st.bytes_dropped, original.size()) << "bit " << bit;
  }
}

TEST(FrameDecoderTest, CountsSequenceGapsButNotRestarts) {
  Bytes stream;
  for (uint32_t seq : {0u, 1u, 2u, 5u, 6u, 10u, 0u, 1u, 0xFFFFFFFFu, 0u, 2u}) {
    Append(FrameBytes(seq, {}), &stream);
  }
  FrameDecoder decoder;
  EXPECT_EQ(DecodeAll(stream, &decoder).size(), 11u);
  // 3..4 and 7..9 lost (5 frames), a restart at 0, the wrap, then 1 lost.
  EXPECT_EQ(decoder.stats().sequence_gaps, 6u);
}

TEST(FrameDecoderTest, ResetDropsBufferedBytesAndForgetsTheSequence) {
  FrameDecoder decoder;
  const Bytes first = FrameBytes(7, PayloadFor(7, 10));
  decoder.Feed(first.data(), 12);
  Frame frame;
  EXPECT_FALSE(decoder.Next(&frame));
  decoder.Reset();
  EXPECT_EQ(decoder.stats().bytes_dropped, 12u);
  Bytes stream = FrameBytes(9, {});
  Append(FrameBytes(20, {}), &stream);
  EXPECT_EQ(DecodeAll(stream, &decoder).size(), 2u);
  EXPECT_EQ(decoder.stats().sequence_gaps, 10u);  // 10..19 only: 7 was forgotten
}

// `frame` with its length field overwritten: a bit error that leaves a plausible header.
Bytes WithLength(Bytes frame, uint16_t length) {
  frame[4] = static_cast<uint8_t>(length);
  frame[5] = static_cast<uint8_t>(length >> 8);
  return frame;
}

std::vector<DecodedFrame> NextAll(FrameDecoder* decoder) {
  std::vector<DecodedFrame> frames;
  Frame frame;
  while (decoder->Next(&frame)) {
    frames.push_back({frame.seq, Bytes(frame.payload, frame.payload + frame.size)});
  }
  return frames;
}

TEST(FrameDecoderTest, ACorruptedLengthHoldsLaterFramesUntilThePartialFrameIsAbandoned) {
  const Bytes bogus = WithLength(FrameBytes(1, Bytes(20, 0xAA)), 15000);
  Bytes stream = bogus;
  std::vector<DecodedFrame> sent;
  for (uint32_t seq = 2; seq <= 6; ++seq) {
    sent.push_back({seq, PayloadFor(seq, 30)});
    Append(FrameBytes(seq, sent.back().payload), &stream);
  }
  FrameDecoder decoder;
  // Everything has arrived and nothing more comes, as on a quiet link: the decoder waits
  // for the 15000 bytes the header promised.
  EXPECT_TRUE(DecodeAll(stream, &decoder).empty());
  EXPECT_EQ(decoder.buffered_bytes(), stream.size());
  EXPECT_EQ(decoder.stats().bytes_dropped, 0u);

  EXPECT_TRUE(decoder.AbandonPartialFrame());
  EXPECT_EQ(NextAll(&decoder), sent);
  const DecoderStats& st = decoder.stats();
  EXPECT_EQ(st.abandoned_frames, 1u);
  EXPECT_EQ(st.frames, sent.size());
  EXPECT_EQ(st.bytes_dropped, bogus.size());
  EXPECT_EQ(st.crc_errors, 0u);
  EXPECT_EQ(st.sequence_gaps, 0u);
  EXPECT_EQ(decoder.buffered_bytes(), 0u);

  EXPECT_FALSE(decoder.AbandonPartialFrame());
  EXPECT_EQ(decoder.stats().abandoned_frames, 1u);
  EXPECT_EQ(decoder.stats().bytes_dropped, bogus.size());
}

TEST(FrameDecoderTest, AbandoningWithoutAPartialFrameChangesNothing) {
  FrameDecoder decoder;
  EXPECT_FALSE(decoder.AbandonPartialFrame());  // nothing buffered

  // A complete frame not yet taken by Next() is kept.
  const Bytes whole = FrameBytes(1, PayloadFor(1, 40));
  decoder.Feed(whole.data(), whole.size());
  EXPECT_FALSE(decoder.AbandonPartialFrame());
  Frame frame;
  ASSERT_TRUE(decoder.Next(&frame));
  EXPECT_EQ(frame.seq, 1u);
  EXPECT_FALSE(decoder.AbandonPartialFrame());  // everything delivered

  // So is a complete frame whose CRC fails: that is a CRC error for Next() to count.
  Bytes bad = FrameBytes(2, Bytes(40, 0xAA));
  bad[kHeaderSize] ^= 0x01;
  decoder.Feed(bad.data(), bad.size());
  EXPECT_FALSE(decoder.AbandonPartialFrame());
  EXPECT_FALSE(decoder.Next(&frame));

  const DecoderStats& st = decoder.stats();
  EXPECT_EQ(st.abandoned_frames, 0u);
  EXPECT_EQ(st.crc_errors, 1u);
  EXPECT_EQ(st.frames, 1u);
  EXPECT_EQ(st.bytes_dropped + decoder.buffered_bytes(), bad.size());
}

TEST(FrameDecoderTest, TheLateRestOfAnAbandonedFrameIsSkippedAsGarbage) {
  // The sender stalled mid-frame (here inside the header). When the rest arrives after
  // the reader gave up on it, it is skipped and the frames after it come through.
  const Bytes cut = FrameBytes(1, Bytes(50, 0xAA));
  FrameDecoder decoder;
  decoder.Feed(cut.data(), 6);
  Frame frame;
  EXPECT_FALSE(decoder.Next(&frame));
  EXPECT_TRUE(decoder.AbandonPartialFrame());
  Bytes rest(cut.begin() + 6, cut.end());
  const DecodedFrame next{2, PayloadFor(2, 50)};
  Append(FrameBytes(next.seq, next.payload), &rest);
  EXPECT_EQ(DecodeAll(rest, &decoder), std::vector<DecodedFrame>{next});
  EXPECT_EQ(decoder.stats().abandoned_frames, 1u);
  EXPECT_EQ(decoder.stats().bytes_dropped, cut.size());
}

// Whatever arrives, every byte ends up delivered in a frame or counted as dropped
// (Reset() flushes what is still buffered), and only frames that were sent come out.
void ExpectAccounted(uint64_t fed, const std::vector<DecodedFrame>& frames, FrameDecoder* decoder) {
  decoder->Reset();
  EXPECT_EQ(DeliveredBytes(frames) + decoder->stats().bytes_dropped, fed);
  EXPECT_EQ(decoder->stats().frames, frames.size());
}

TEST(FrameDecoderFuzzTest, RandomBytesNeverCrashAndAreAllAccounted) {
  std::mt19937 rng(2024);
  FrameDecoder decoder;
  std::vector<DecodedFrame> frames;
  uint64_t fed = 0;
  std::uniform_int_distribution<size_t> chunk_size(1, 3000);
  // Biased towards the magic byte so that plausible headers are common too.
  std::uniform_int_distribution<int> byte(0, 300);
  Bytes chunk;
  while (fed < 4'000'000) {
    chunk.resize(chunk_size(rng));
    for (auto& b : chunk) {
      const int v = byte(rng);
      b = v > 255 ? (v > 290 ? 1 : 0x52) : static_cast<uint8_t>(v);
    }
    const auto got = DecodeAll(chunk, &decoder);
    frames.insert(frames.end(), got.begin(), got.end());
    fed += chunk.size();
  }
  // A random frame that passes the CRC is a 1 in 2^32 event per candidate.
  EXPECT_LE(frames.size(), 1u);
  ExpectAccounted(fed, frames, &decoder);
  EXPECT_GT(decoder.stats().bad_headers + decoder.stats().crc_errors, 1000u);
}

TEST(FrameDecoderFuzzTest, MutatedStreamsDeliverOnlyIntactFrames) {
  std::mt19937 rng(99);
  uint64_t total_fed = 0;
  for (int round = 0; round < 200; ++round) {
    TestStream s = MakeStream(&rng, 100, 300, static_cast<uint32_t>(round) * 1000u);
    Bytes stream = s.bytes;
    std::uniform_int_distribution<int> mutation_count(1, 20);
    const int mutations = mutation_count(rng);
    for (int m = 0; m < mutations; ++m) {
      std::uniform_int_distribution<size_t> where(0, stream.size() - 1);
      const size_t at = where(rng);
      switch (rng() % 4) {
        case 0:  // flip a bit
          stream[at] ^= static_cast<uint8_t>(1u << (rng() % 8));
          break;
        case 1:  // lose a byte
          stream.erase(stream.begin() + static_cast<std::ptrdiff_t>(at));
          break;
        case 2:  // an extra byte, often a magic one
          stream.insert(stream.begin() + static_cast<std::ptrdiff_t>(at),
                        rng() % 2 ? uint8_t{0x52} : static_cast<uint8_t>(rng()));
          break;
        default:  // a byte replaced
          stream[at] = static_cast<uint8_t>(rng());
          break;
      }
    }
    // Zeros at the end complete any header whose length was damaged upwards, so that
    // every candidate is judged before the counts below.
    stream.resize(stream.size() + kMaxFrame, 0);
    FrameDecoder decoder;
    std::uniform_int_distribution<size_t> chunk(1, 500);
    const auto frames = DecodeInChunks(stream, &decoder, [&] { return chunk(rng); });
    std::set<uint32_t> distinct;
    for (const auto& f : frames) {
      const uint32_t index = f.seq - static_cast<uint32_t>(round) * 1000u;
      ASSERT_LT(index, s.frames.size()) << "round " << round;
      ASSERT_EQ(f, s.frames[index]) << "round " << round << " delivered a damaged frame";
      distinct.insert(f.seq);
    }
    // Each single-byte mutation damages at most one frame.
    EXPECT_GE(distinct.size(), s.frames.size() - static_cast<size_t>(mutations));
    ExpectAccounted(stream.size(), frames, &decoder);
    total_fed += stream.size();
  }
  EXPECT_GT(total_fed, 1'000'000u);
}

TEST(FrameDecoderFuzzTest, AbandoningAtRandomDeliversOnlyIntactFramesAndAccountsEveryByte) {
  // Readers abandon whatever partial frame they hold when their idle timer fires, which
  // may be a real frame still arriving: that frame is lost, nothing damaged comes out.
  std::mt19937 rng(7);
  uint64_t abandoned = 0;
  for (int round = 0; round < 100; ++round) {
    TestStream s = MakeStream(&rng, 100, 300, static_cast<uint32_t>(round) * 1000u);
    Bytes stream = s.bytes;
    for (int m = 0; m < 5; ++m) {  // some lengths damaged upwards
      std::uniform_int_distribution<size_t> where(0, stream.size() - 1);
      stream[where(rng)] = static_cast<uint8_t>(rng() % 0x40);
    }
    FrameDecoder decoder;
    std::vector<DecodedFrame> frames;
    std::uniform_int_distribution<size_t> chunk(1, 200);
    for (size_t pos = 0; pos < stream.size();) {
      const size_t n = std::min(chunk(rng), stream.size() - pos);
      pos += decoder.Feed(stream.data() + pos, n);
      for (const auto& f : NextAll(&decoder)) frames.push_back(f);
      if (rng() % 8 == 0 && decoder.AbandonPartialFrame()) {
        for (const auto& f : NextAll(&decoder)) frames.push_back(f);
      }
    }
    while (decoder.AbandonPartialFrame()) {
      for (const auto& f : NextAll(&decoder)) frames.push_back(f);
    }
    EXPECT_EQ(decoder.buffered_bytes(), 0u);
    for (const auto& f : frames) {
      const uint32_t index = f.seq - static_cast<uint32_t>(round) * 1000u;
      ASSERT_LT(index, s.frames.size()) << "round " << round;
      ASSERT_EQ(f, s.frames[index]) << "round " << round << " delivered a damaged frame";
    }
    abandoned += decoder.stats().abandoned_frames;
    ExpectAccounted(stream.size(), frames, &decoder);
  }
  EXPECT_GT(abandoned, 100u);
}

}  // namespace
}  // namespace rollrig::codec
