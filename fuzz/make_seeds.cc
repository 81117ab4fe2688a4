// Writes the fuzz targets' seed corpora from the project's own data:
//   OUT/frames/    device-to-host bytes of the simulated massager (DeviceInfo, telemetry
//                  batches) as its frame encoder sends them, fed in several transfer sizes
//   OUT/profiles/  the preset profiles (text format) and each one converted to JSON
//   OUT/mcap/      small recordings cut from the fixtures: the first messages of every
//                  channel rewritten with small chunks (schema data cut short), finished
//                  and cut short (.part)
//   OUT/credentials/  a credentials file with every kind of line, and a bearer token
// Usage: make_fuzz_seeds OUT FIXTURES_DIR PROFILES_DIR
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "google/protobuf/util/json_util.h"
#include "host/profile_loader/profile_parser.h"
#include "host/recording/mcap_reader.h"
#include "host/recording/mcap_writer.h"
#include "host/recording/memory_file_system.h"
#include "rig/sim/simulated_device.h"

namespace {

namespace fs = std::filesystem;
using rollrig::recording::McapReader;
using rollrig::recording::McapWriter;
using rollrig::recording::McapWriterOptions;
using rollrig::recording::MemoryFileSystem;

constexpr size_t kMessagesPerChannel = 12;
constexpr size_t kSchemaBytes = 48;

bool WriteFile(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The first byte of a frame seed is the transfer size the target feeds in (0 = all).
bool WriteFrameSeeds(const fs::path& dir) {
  rollrig::sim::SimulatedDevice device{rollrig::sim::SimOptions()};
  device.RunFor(0.2);
  std::vector<uint8_t> bytes;
  device.TakeOutput(&bytes, 1024);  // small inputs fuzz faster
  const uint8_t transfer_sizes[] = {0, 64, 1, 7};
  for (const uint8_t transfer_size : transfer_sizes) {
    std::string seed(1, static_cast<char>(transfer_size));
    seed.append(bytes.begin(), bytes.end());
    if (!WriteFile(dir / ("sim-" + std::to_string(transfer_size)), seed)) return false;
  }
  return !bytes.empty();
}

bool WriteProfileSeeds(const fs::path& profiles, const fs::path& dir) {
  int written = 0;
  for (const fs::directory_entry& e : fs::directory_iterator(profiles)) {
    if (e.path().extension() != ".textproto") continue;
    const std::string text = ReadFile(e.path());
    const rollrig::host::ParsedProfile parsed =
        rollrig::host::ParseProfileText(text, e.path().filename().string());
    if (!parsed.complete || !parsed.errors.empty()) {
      std::fprintf(stderr, "make_fuzz_seeds: %s does not parse\n", e.path().c_str());
      return false;
    }
    std::string json;
    google::protobuf::util::JsonPrintOptions options;
    options.add_whitespace = true;
    if (!google::protobuf::util::MessageToJsonString(parsed.profile, &json, options).ok())
      return false;
    const std::string stem = e.path().stem().string();
    if (!WriteFile(dir / (stem + ".textproto"), text) || !WriteFile(dir / (stem + ".json"), json)) {
      return false;
    }
    ++written;
  }
  return written > 0;
}

// Rewrites the first messages of each channel of `fixture` into small recordings.
bool WriteMcapSeeds(const fs::path& fixture, const fs::path& dir) {
  MemoryFileSystem memory;
  memory.SetContents("in", ReadFile(fixture));
  auto in_file = memory.OpenForRead("in");
  if (!in_file.ok()) return false;
  auto reader = McapReader::Open(in_file->get());
  if (!reader.ok()) {
    std::fprintf(stderr, "make_fuzz_seeds: %s: %s\n", fixture.c_str(),
                 std::string(reader.status().message()).c_str());
    return false;
  }
  std::vector<rollrig::recording::McapMessage> messages;
  std::map<uint16_t, size_t> per_channel;
  (void)(*reader)->ReadMessages({}, [&](const rollrig::recording::McapMessage& m) {
    if (per_channel[m.channel_id]++ < kMessagesPerChannel) messages.push_back(m);
    return true;
  });
  std::sort(messages.begin(), messages.end(),
            [](const auto& a, const auto& b) { return a.log_time < b.log_time; });

  const std::string stem = fixture.stem().string();
  for (const bool finish : {true, false}) {
    const std::string path = stem + (finish ? ".mcap" : ".mcap.part");
    McapWriterOptions options;
    options.chunk_max_bytes = 2048;
    options.sync_each_chunk = false;
    auto out = memory.NewWritableFile(path);
    if (!out.ok()) return false;
    McapWriter writer(std::move(*out), options);
    if (!writer.Open().ok()) return false;
    std::map<uint16_t, uint16_t> schema_ids, channel_ids;
    for (const auto& [id, schema] : (*reader)->schemas()) {
      // The readers treat schema data as opaque bytes: a short prefix keeps seeds small.
      auto added =
          writer.AddSchema(schema.name, schema.encoding, schema.data.substr(0, kSchemaBytes));
      if (!added.ok()) return false;
      schema_ids[id] = *added;
    }
    for (const auto& [id, channel] : (*reader)->channels()) {
      auto added = writer.AddChannel(channel.topic, schema_ids[channel.schema_id],
                                     channel.message_encoding, 0, channel.metadata);
      if (!added.ok()) return false;
      channel_ids[id] = *added;
    }
    for (const auto& m : (*reader)->metadata()) {
      if (!writer.WriteMetadata(m.name, m.metadata).ok()) return false;
    }
    for (const auto& m : messages) {
      if (!writer
               .WriteMessage(channel_ids[m.channel_id], m.sequence, m.log_time, m.publish_time,
                             reinterpret_cast<const uint8_t*>(m.data.data()), m.data.size())
               .ok()) {
        return false;
      }
    }
    if (!(finish ? writer.Finish() : writer.Flush()).ok()) return false;
    const std::optional<std::string> bytes = memory.Contents(path);
    if (!bytes || !WriteFile(dir / path, *bytes)) return false;
  }
  return true;
}

// A credentials file with every kind of line, and a bearer token.
bool WriteCredentialSeeds(const fs::path& dir) {
  const std::string hash(64, 'a');
  return WriteFile(
             dir / "file",
             "# role identity credential\n\nobserver alice@desk sha256:" + hash +
                 "\noperator bob@bench sha256:" + std::string(64, 'b') +
                 " expires=2026-03-01\nadmin ci@lab cert:CN=ci runner,O=Lab \\, Inc.,C=DE\n") &&
         WriteFile(dir / "bearer", "Bearer observer-token-0123456789");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: make_fuzz_seeds OUT FIXTURES_DIR PROFILES_DIR\n");
    return 2;
  }
  const fs::path out = argv[1];
  for (const char* sub : {"frames", "profiles", "mcap", "credentials"}) {
    fs::create_directories(out / sub);
  }
  if (!WriteCredentialSeeds(out / "credentials")) {
    std::fprintf(stderr, "make_fuzz_seeds: cannot write credential seeds\n");
    return 1;
  }
  if (!WriteFrameSeeds(out / "frames")) {
    std::fprintf(stderr, "make_fuzz_seeds: no frame seeds\n");
    return 1;
  }
  if (!WriteProfileSeeds(argv[3], out / "profiles")) {
    std::fprintf(stderr, "make_fuzz_seeds: no profile seeds from %s\n", argv[3]);
    return 1;
  }
  int fixtures = 0;
  for (const fs::directory_entry& e : fs::directory_iterator(argv[2])) {
    if (e.path().extension() != ".mcap") continue;
    if (!WriteMcapSeeds(e.path(), out / "mcap")) {
      std::fprintf(stderr, "make_fuzz_seeds: cannot cut seeds from %s\n", e.path().c_str());
      return 1;
    }
    ++fixtures;
  }
  if (fixtures == 0) {
    std::fprintf(stderr, "make_fuzz_seeds: no fixtures in %s\n", argv[2]);
    return 1;
  }
  return 0;
}
