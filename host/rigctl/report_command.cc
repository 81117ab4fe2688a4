// rigctl report: a run's report as one self-contained HTML file, rendered here from
// recording files or by rigd from a run's files (GetRunReport).
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "host/recording/file_system.h"
#include "host/report/run_report.h"
#include "host/rigctl/commands.h"
#include "host/rigctl/options.h"

namespace rollrig::host::rigctl {
namespace {

bool LooksLikeFile(const std::string& what) {
  return absl::StrContains(what, "/") || absl::EndsWith(what, ".mcap") ||
         absl::EndsWith(what, ".part");
}

int ExitFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kNotFound:
      return kExitNotFound;
    case absl::StatusCode::kInvalidArgument:
      return kExitUsage;
    default:
      return kExitRefused;
  }
}

// Renders the report of local recording files (a run's files in order).
int LocalReport(Session& s, const std::vector<std::string>& paths, std::string* html,
                std::string* name) {
  for (const std::string& path : paths) {
    if (!recording::RealFileSystem()->Exists(path)) {
      s.err() << "rigctl: report: no file " << path << "\n";
      return kExitNotFound;
    }
  }
  absl::StatusOr<report::RunRecord> record = report::ReadRunRecord(paths);
  if (!record.ok()) {
    s.err() << "rigctl: report: " << record.status().message() << "\n";
    return ExitFor(record.status());
  }
  *html = report::RenderRunReport(*record);
  *name = report::ReportFileName(record->run_id);
  if (record->in_progress) {
    s.err() << "rigctl: report: the recording is still being written (or was cut short): the "
               "report is marked in progress\n";
  }
  return kExitOk;
}

// Fetches the report rigd renders of run `id`.
int RemoteReport(Session& s, const std::string& id, std::string* html, std::string* name) {
  if (!s.Connect()) return s.failure();
  rollrig::v1::GetRunReportRequest req;
  req.set_run_id(id);
  std::unique_ptr<grpc::ClientContext> ctx = s.Context(3600);
  auto reader = s.stub().GetRunReport(ctx.get(), req);
  rollrig::v1::ReportChunk chunk;
  while (reader->Read(&chunk)) {
    if (chunk.offset() != html->size()) {
      s.err() << "rigctl: report: the report of " << id << " skipped from byte " << html->size()
              << " to " << chunk.offset() << "\n";
      return kExitRefused;
    }
    *html += chunk.data();
    if (!chunk.file_name().empty()) *name = chunk.file_name();
  }
  if (grpc::Status st = reader->Finish(); !st.ok()) return s.Failed("report", st);
  if (name->empty()) *name = report::ReportFileName(id);
  return kExitOk;
}

}  // namespace

int ReportCommand(Session& s, const Args& args) {
  Options o;
  if (auto e = ParseOptions(args, 0, {"-o", "--out"}, {}, 64, &o)) return s.Usage(*e);
  if (o.positional.empty()) return s.Usage("report needs a run ID or recording FILE.mcap ...");
  std::string html, name;
  const std::string& what = o.positional[0];
  int rc = kExitOk;
  if (o.positional.size() > 1 || LooksLikeFile(what) || recording::RealFileSystem()->Exists(what)) {
    rc = LocalReport(s, o.positional, &html, &name);
  } else {
    rc = RemoteReport(s, what, &html, &name);
  }
  if (rc != kExitOk) return rc;
  const std::string out = o.has("-o") ? o.value("-o") : o.value("--out", name);
  std::ofstream file(out, std::ios::binary | std::ios::trunc);
  file << html;
  file.close();
  if (!file) {
    s.err() << "rigctl: report: cannot write " << out << ": " << std::strerror(errno) << "\n";
    return kExitUsage;
  }
  s.out() << "report written to " << out << "\n";
  return kExitOk;
}

}  // namespace rollrig::host::rigctl
