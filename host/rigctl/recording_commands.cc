// rigctl recover and export: recordings, read locally or downloaded from rigd.
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "host/recording/file_system.h"
#include "host/recording/mcap_reader.h"
#include "host/recording/mcap_recovery.h"
#include "host/recording/memory_file_system.h"
#include "host/recording/recording_layout.h"
#include "host/rigctl/commands.h"
#include "host/rigctl/options.h"
#include "host/rigctl/telemetry_text.h"

namespace rollrig::host::rigctl {
namespace {

// The files of a recording to export, opened on a file system.
struct Source {
  recording::FileSystem* fs = nullptr;
  std::vector<std::string> paths;
  std::unique_ptr<recording::MemoryFileSystem> downloaded;  // for a run from rigd
};

// Downloads every recording file of run `id` from rigd into memory.
int Download(Session& s, const std::string& id, Source* source) {
  if (!s.Connect()) return s.failure();
  rollrig::v1::RunRequest req;
  req.set_id(id);
  rollrig::v1::RunInfo run;
  grpc::Status rpc = s.stub().GetRun(s.Context().get(), req, &run);
  if (!rpc.ok()) return s.Failed("export", rpc);
  if (run.recordings_size() == 0) {
    s.err() << "rigctl: run " << run.id() << " has no recording\n";
    return kExitNotFound;
  }
  source->downloaded = std::make_unique<recording::MemoryFileSystem>();
  source->fs = source->downloaded.get();
  for (int i = 0; i < run.recordings_size(); ++i) {
    rollrig::v1::DownloadRecordingRequest dreq;
    dreq.set_run_id(run.id());
    dreq.set_file_index(static_cast<uint32_t>(i));
    std::unique_ptr<grpc::ClientContext> ctx = s.Context(3600);
    auto reader = s.stub().DownloadRecording(ctx.get(), dreq);
    std::string data, name;
    rollrig::v1::RecordingChunk chunk;
    while (reader->Read(&chunk)) {
      if (chunk.offset() != data.size()) {
        s.err() << "rigctl: export: the download of " << chunk.file_name() << " skipped from byte "
                << data.size() << " to " << chunk.offset() << "\n";
        return kExitRefused;
      }
      data += chunk.data();
      name = chunk.file_name();
    }
    if (grpc::Status st = reader->Finish(); !st.ok()) return s.Failed("export", st);
    const std::string path = absl::StrCat("/", name.empty() ? absl::StrCat("file-", i) : name);
    source->downloaded->SetContents(path, std::move(data));
    source->paths.push_back(path);
  }
  return kExitOk;
}

// Parses a time option in seconds (plain number).
std::optional<std::string> TimeOption(const Options& o, const std::string& name,
                                      std::optional<double>* out) {
  return ParseNumber(o, name, out);
}

}  // namespace

int RecoverCommand(Session& s, const Args& args) {
  Options o;
  if (auto e = ParseOptions(args, 0, {}, {}, 1, &o)) return s.Usage(*e);
  if (o.positional.empty()) return s.Usage("recover needs a recording FILE (NAME.mcap.part)");
  const std::string& part = o.positional[0];
  recording::FileSystem* fs = recording::RealFileSystem();
  if (!fs->Exists(part)) {
    s.err() << "rigctl: recover: no file " << part << "\n";
    return kExitNotFound;
  }
  const std::string final_path =
      absl::EndsWith(part, ".mcap.part") ? part.substr(0, part.size() - 5) : part;
  absl::StatusOr<recording::RecoveryReport> report =
      recording::FinalizeRecording(fs, part, final_path);
  if (!report.ok()) {
    const std::string message(report.status().message());
    s.err() << "rigctl: recover: "
            << (absl::StartsWith(message, part) ? message : absl::StrCat(part, ": ", message))
            << "\n";
    return kExitRefused;
  }
  s.out() << final_path << ": " << report->ToString() << "\n";
  return kExitOk;
}

int ExportCommand(Session& s, const Args& args) {
  Options o;
  if (auto e =
          ParseOptions(args, 0, {"--format", "--from", "--to", "--out"}, {"--cycles"}, 1, &o)) {
    return s.Usage(*e);
  }
  if (o.positional.empty()) return s.Usage("export needs a recording FILE or a run ID");
  if (o.value("--format", "csv") != "csv") {
    return s.Usage(absl::StrCat("invalid --format '", o.value("--format"), "': expected csv"));
  }
  std::optional<double> from, to;
  if (auto e = TimeOption(o, "--from", &from)) return s.Usage(*e);
  if (auto e = TimeOption(o, "--to", &to)) return s.Usage(*e);

  Source source;
  const std::string& what = o.positional[0];
  if (recording::RealFileSystem()->Exists(what)) {
    source.fs = recording::RealFileSystem();
    source.paths.push_back(what);
  } else if (absl::StrContains(what, "/") || absl::EndsWith(what, ".mcap") ||
             absl::EndsWith(what, ".part")) {
    s.err() << "rigctl: export: no file " << what << "\n";
    return kExitNotFound;
  } else if (int rc = Download(s, what, &source); rc != kExitOk) {
    return rc;
  }

  std::ofstream file;
  if (o.has("--out")) {
    file.open(o.value("--out"));
    if (!file) {
      s.err() << "rigctl: export: cannot write " << o.value("--out") << ": " << std::strerror(errno)
              << "\n";
      return kExitUsage;  // as report -o: the output path given is the bad argument
    }
  }
  std::ostream& out = o.has("--out") ? static_cast<std::ostream&>(file) : s.out();
  const bool cycles = o.flag("--cycles");
  if (cycles) {
    out << "cycle,start_s,end_s,samples,peak_torque_nm,mean_torque_nm,rms_torque_nm,"
           "mean_force_n,peak_force_n,speed_rms_error_rpm,max_temperature_c,peak_current_a,"
           "rms_current_a\n";
  } else {
    out << "t_s," << ChannelCsvHeader() << ",seq,drops,segment,cycle\n";
  }

  // Run time 0 = the first sample of the first file (the run analysis's origin too).
  std::optional<uint64_t> origin_us;
  std::optional<uint64_t> last_seq;
  uint64_t rows = 0;
  for (const std::string& path : source.paths) {
    absl::StatusOr<std::unique_ptr<recording::RandomAccessFile>> f = source.fs->OpenForRead(path);
    if (!f.ok()) {
      s.err() << "rigctl: export: " << path << ": " << f.status().message() << "\n";
      return kExitRefused;
    }
    absl::StatusOr<std::unique_ptr<recording::McapReader>> reader =
        recording::McapReader::Open(f->get());
    if (!reader.ok()) {
      s.err() << "rigctl: export: " << path << ": " << reader.status().message() << "\n";
      return kExitRefused;
    }
    recording::McapReadOptions read;
    read.topics = {cycles ? recorder::kCyclesTopic : recorder::kTelemetryTopic};
    rollrig::v1::TelemetryRecord record;
    rollrig::v1::CycleStats cycle;
    absl::Status st = (*reader)->ReadMessages(read, [&](const recording::McapMessage& m) {
      if (cycles) {
        if (!cycle.ParseFromString(m.data)) return true;
        if ((from && cycle.start_s() < *from) || (to && cycle.start_s() >= *to)) return true;
        out << absl::StrFormat("%d,%.4f,%.4f,%d,%.5f,%.5f,%.5f,%.3f,%.3f,%.4f,%.2f,%.4f,%.4f\n",
                               cycle.cycle(), cycle.start_s(), cycle.end_s(), cycle.samples(),
                               cycle.peak_torque_nm(), cycle.mean_torque_nm(),
                               cycle.rms_torque_nm(), cycle.mean_force_n(), cycle.peak_force_n(),
                               cycle.speed_rms_error_rpm(), cycle.max_temperature_c(),
                               cycle.peak_current_a(), cycle.rms_current_a());
        ++rows;
        return true;
      }
      if (!record.ParseFromString(m.data)) return true;
      if (!origin_us) origin_us = record.device_time_us();
      const double t =
          static_cast<double>(static_cast<int64_t>(record.device_time_us() - *origin_us)) / 1e6;
      const uint64_t drops =
          last_seq && record.seq() > *last_seq + 1 ? record.seq() - *last_seq - 1 : 0;
      last_seq = record.seq();
      if ((from && t < *from) || (to && t >= *to)) return true;
      out << absl::StrFormat(
          "%.4f,%s,%d,%d,%d,%d\n", t,
          ChannelCsvCells(record, DisplayFieldsOf<rollrig::v1::TelemetryRecord>()), record.seq(),
          drops, record.segment(), record.cycle());
      ++rows;
      return true;
    });
    if (!st.ok()) {
      s.err() << "rigctl: export: " << path << ": " << st.message() << "\n";
      return kExitRefused;
    }
  }
  out.flush();
  if (o.has("--out")) {
    s.err() << "rigctl: exported " << rows << (cycles ? " cycles" : " samples") << " to "
            << o.value("--out") << "\n";
  }
  return kExitOk;
}

}  // namespace rollrig::host::rigctl
