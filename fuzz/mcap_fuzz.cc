// libFuzzer target: a recording file as found on disk, read by McapReader (the summary,
// or a scan of a file without one, then every message, whole and through a topic and
// time filter) and finalized by FinalizeRecording (rigd's start-up and `rigctl recover`),
// all on the in-memory file system.
//
// Built twice: mcap_fuzz checks that nothing crashes, hangs or leaks; mcap_recover_fuzz
// (ROLLRIG_FUZZ_CHECK_RECOVERED) also checks FinalizeRecording's promise that its result
// passes any MCAP reader: a file it rebuilt opens with a summary and reads back, message
// for message, what its report says it kept.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "host/recording/mcap_reader.h"
#include "host/recording/mcap_recovery.h"
#include "host/recording/memory_file_system.h"

namespace {

using rollrig::recording::FileSystem;
using rollrig::recording::McapMessage;
using rollrig::recording::McapReader;
using rollrig::recording::McapReadOptions;

constexpr char kPart[] = "/runs/fuzz.mcap.part";
constexpr char kFinal[] = "/runs/fuzz.mcap";

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "mcap_fuzz: %s\n", what);
    std::abort();
  }
}

// Reads every message matching `options`; the count, or -1 on an error (in *error).
int64_t ReadAll(const McapReader& reader, const McapReadOptions& options,
                std::string* error = nullptr) {
  int64_t count = 0;
  const absl::Status s = reader.ReadMessages(options, [&count](const McapMessage&) {
    ++count;
    return true;
  });
  if (!s.ok() && error != nullptr) *error = s.ToString();
  return s.ok() ? count : -1;
}

void ReadAsAViewerWould(FileSystem* fs, const std::string& path) {
  auto file = fs->OpenForRead(path);
  Check(file.ok(), "the file just written cannot be opened");
  auto reader = McapReader::Open(file->get());
  if (!reader.ok()) return;
  ReadAll(**reader, McapReadOptions());
  McapReadOptions filtered;
  if (!(*reader)->channels().empty())
    filtered.topics = {(*reader)->channels().begin()->second.topic};
  filtered.start_time = (*reader)->statistics().message_start_time + 1;
  filtered.end_time = (*reader)->statistics().message_end_time;
  ReadAll(**reader, filtered);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rollrig::recording::MemoryFileSystem fs;
  fs.SetContents(kPart, std::string(reinterpret_cast<const char*>(data), size));
  ReadAsAViewerWould(&fs, kPart);

  auto report = rollrig::recording::FinalizeRecording(&fs, kPart, kFinal);
#if ROLLRIG_FUZZ_CHECK_RECOVERED
  if (!report.ok() || report->was_complete) return 0;
  // A rebuilt file: "the result passes any MCAP reader".
  auto file = fs.OpenForRead(kFinal);
  Check(file.ok(), "the finalized file is missing");
  auto reader = McapReader::Open(file->get());
  Check(reader.ok(), "the finalized file does not open");
  Check((*reader)->has_summary(), "the finalized file has no summary");
  std::string error;
  const int64_t read = ReadAll(**reader, McapReadOptions(), &error);
  if (read != static_cast<int64_t>(report->messages_kept)) {
    std::fprintf(stderr, "mcap_fuzz: %s; read back %lld messages %s\n", report->ToString().c_str(),
                 static_cast<long long>(read), error.c_str());
    Check(false, "the finalized file does not read back the messages kept");
  }
#else
  if (report.ok()) ReadAsAViewerWould(&fs, kFinal);
#endif
  return 0;
}
