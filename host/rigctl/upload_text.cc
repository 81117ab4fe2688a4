#include "host/rigctl/upload_text.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"

namespace rollrig::host::rigctl {
namespace {

std::string Bytes(uint64_t n) {
  if (n < 1024) return absl::StrCat(n, " B");
  if (n < (uint64_t{1} << 20)) return absl::StrFormat("%.1f KiB", n / 1024.0);
  if (n < (uint64_t{1} << 30)) return absl::StrFormat("%.1f MiB", n / 1048576.0);
  return absl::StrFormat("%.2f GiB", n / 1073741824.0);
}

std::string When(int64_t unix_ns) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%SZ", absl::FromUnixNanos(unix_ns), absl::UTCTimeZone());
}

std::string StateName(rollrig::v1::UploadItemState state) {
  switch (state) {
    case rollrig::v1::UPLOAD_ITEM_STATE_QUEUED:
      return "queued";
    case rollrig::v1::UPLOAD_ITEM_STATE_UPLOADING:
      return "uploading";
    case rollrig::v1::UPLOAD_ITEM_STATE_RETRYING:
      return "retrying";
    case rollrig::v1::UPLOAD_ITEM_STATE_UPLOADED:
      return "uploaded";
    case rollrig::v1::UPLOAD_ITEM_STATE_FAILED:
      return "failed";
    default:
      return "?";
  }
}

std::string Retention(int64_t keep_s) {
  if (keep_s == 0) return "local copies deleted once verified";
  if (keep_s % 86400 == 0)
    return absl::StrCat("local copies kept ", keep_s / 86400, "d after upload");
  return absl::StrCat("local copies kept ", absl::FormatDuration(absl::Seconds(keep_s)),
                      " after upload");
}

std::string ItemText(const rollrig::v1::UploadItem& item, int64_t now) {
  std::string text = absl::StrFormat("  %-32s %-36s %-9s %10s  %d attempt%s\n", item.run_id(),
                                     item.file(), StateName(item.state()), Bytes(item.size_bytes()),
                                     item.attempts(), item.attempts() == 1 ? "" : "s");
  switch (item.state()) {
    case rollrig::v1::UPLOAD_ITEM_STATE_UPLOADING:
      absl::StrAppend(&text, "      ", Bytes(item.bytes_sent()), " sent so far\n");
      break;
    case rollrig::v1::UPLOAD_ITEM_STATE_RETRYING:
      absl::StrAppend(&text, "      next attempt ", When(item.next_attempt_unix_ns()), " (in ",
                      std::max<int64_t>(0, (item.next_attempt_unix_ns() - now) / 1000000000),
                      " s)\n");
      break;
    case rollrig::v1::UPLOAD_ITEM_STATE_UPLOADED:
      absl::StrAppend(&text, "      uploaded ", When(item.uploaded_unix_ns()), " as ", item.key());
      if (item.delete_local_after_unix_ns() != 0) {
        absl::StrAppend(&text, "; local copy deleted after ",
                        When(item.delete_local_after_unix_ns()));
      }
      text += "\n";
      break;
    default:
      break;
  }
  if (!item.last_error().empty() && item.state() != rollrig::v1::UPLOAD_ITEM_STATE_UPLOADED) {
    absl::StrAppend(&text, "      last error: ", item.last_error(), "\n");
  }
  return text;
}

}  // namespace

std::string UploadSummaryLine(const rollrig::v1::UploadStatus& s) {
  if (!s.enabled()) return "off";
  std::string line =
      absl::StrCat(s.destination(), ": ", s.files_pending(), " waiting (", Bytes(s.bytes_pending()),
                   "), ", s.files_uploaded_total(), " uploaded");
  if (!s.last_error().empty()) absl::StrAppend(&line, "; FAILING: ", s.last_error());
  return line;
}

std::string UploadQueueText(const rollrig::v1::UploadStatus& s, int64_t now) {
  if (!s.enabled()) return "uploads: off (rigd runs without --upload)\n";
  std::string text = absl::StrCat("uploads:     ", s.destination(), "\n");
  absl::StrAppend(&text, "             ", s.files_pending(), " waiting (", Bytes(s.bytes_pending()),
                  "), ", s.files_uploaded_total(), " uploaded (", Bytes(s.bytes_uploaded_total()),
                  "), ", s.failures_total(), " failed attempts\n");
  absl::StrAppend(
      &text, "             ", Retention(s.keep_local_s()), "; ",
      s.bandwidth_limit_bytes_per_s() > 0
          ? absl::StrCat("bandwidth cap ",
                         Bytes(static_cast<uint64_t>(s.bandwidth_limit_bytes_per_s())), "/s")
          : "no bandwidth cap",
      "\n");
  if (!s.last_error().empty()) {
    absl::StrAppend(&text, "last error:  ", s.last_error(), " (", When(s.last_error_unix_ns()),
                    ")\n");
  }
  if (s.last_success_unix_ns() != 0) {
    absl::StrAppend(&text, "last upload: ", When(s.last_success_unix_ns()), "\n");
  }
  if (s.items().empty()) return text + "queue:       empty\n";
  absl::StrAppend(&text, absl::StrFormat("  %-32s %-36s %-9s %10s  %s\n", "RUN", "FILE", "STATE",
                                         "SIZE", "ATTEMPTS"));
  uint64_t uploaded_listed = 0;
  for (const rollrig::v1::UploadItem& item : s.items()) {
    text += ItemText(item, now);
    if (item.state() == rollrig::v1::UPLOAD_ITEM_STATE_UPLOADED) ++uploaded_listed;
  }
  if (s.files_uploaded_total() > uploaded_listed) {
    absl::StrAppend(&text, "  (", s.files_uploaded_total() - uploaded_listed,
                    " older uploaded files not listed; rigd lists every waiting file and the "
                    "newest done ones)\n");
  }
  return text;
}

}  // namespace rollrig::host::rigctl
