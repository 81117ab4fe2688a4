#include "host/recording/mcap_recovery.h"

#include <algorithm>
#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "host/recording/mcap_format.h"
#include "host/recording/mcap_summary.h"
#include "host/recording/mcap_validation.h"

namespace rollrig::recording {
namespace {

constexpr uint64_t kCopyBlockBytes = 1 << 20;

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string TimeText(uint64_t ns) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%E3S UTC", absl::FromUnixNanos(static_cast<int64_t>(ns)),
                          absl::UTCTimeZone());
}

// The result file as a sequence of pieces: bytes copied from the original, or new bytes.
class OutputPlan {
 public:
  struct Piece {
    bool copy = false;
    uint64_t from = 0;  // copy: offset in the original
    uint64_t length = 0;
    std::string bytes;  // new bytes
  };

  void Copy(uint64_t from, uint64_t length) {
    if (length == 0) return;
    size_ += length;
    copied_ += length;
    if (!pieces_.empty() && pieces_.back().copy &&
        pieces_.back().from + pieces_.back().length == from) {
      pieces_.back().length += length;
      return;
    }
    pieces_.push_back({true, from, length, {}});
  }
  void Append(const std::string& bytes) {
    if (bytes.empty()) return;
    size_ += bytes.size();
    if (!pieces_.empty() && !pieces_.back().copy) {
      pieces_.back().bytes += bytes;
      return;
    }
    pieces_.push_back({false, 0, bytes.size(), bytes});
  }
  uint64_t size() const { return size_; }
  uint64_t copied() const { return copied_; }
  const std::vector<Piece>& pieces() const { return pieces_; }
  // The original's first N bytes, then only new bytes: the original can be cut at N and
  // appended to (a crash's torn tail), with no second copy of the file. 0 if not.
  uint64_t PrefixOnlyLength() const {
    if (pieces_.empty() || !pieces_[0].copy || pieces_[0].from != 0) return 0;
    for (size_t i = 1; i < pieces_.size(); ++i) {
      if (pieces_[i].copy) return 0;
    }
    return pieces_[0].length;
  }

 private:
  std::vector<Piece> pieces_;
  uint64_t size_ = 0;
  uint64_t copied_ = 0;
};

// What the salvage keeps, in the result's coordinates.
struct Salvage {
  OutputPlan plan;
  mcap::SummaryContent summary;
  std::vector<DroppedChunk> dropped;
  uint64_t chunks_dropped_before_end = 0;  // damaged, not a crash's torn last chunk
};

std::string MessageIndexRecords(const MessageIndexEntries& entries, uint64_t at,
                                std::map<uint16_t, uint64_t>* offsets) {
  std::string out;
  mcap::ByteWriter w(&out);
  for (const auto& [channel, list] : entries) {
    if (list.empty()) continue;
    (*offsets)[channel] = at + out.size();
    size_t r = w.BeginRecord(mcap::kMessageIndex);
    w.U16(channel);
    w.U32(static_cast<uint32_t>(list.size() * 16));
    for (const auto& [log_time, offset] : list) {
      w.U64(log_time);
      w.U64(offset);
    }
    w.EndRecord(r);
  }
  return out;
}

// The chunk record's header with the messages' true time range (the records follow).
std::string RepairedChunkHeader(const McapChunkCheck& chunk) {
  std::string out;
  mcap::ByteWriter w(&out);
  w.U8(mcap::kChunk);
  w.U64(chunk.length - mcap::kRecordHeaderSize);
  w.U64(chunk.start_time);
  w.U64(chunk.end_time);
  w.U64(chunk.uncompressed_size);
  w.U32(chunk.uncompressed_crc);
  w.String(chunk.compression);
  w.U64(chunk.compressed_size);
  return out;
}

void NoteTimes(mcap::SummaryContent* s, uint64_t start, uint64_t end) {
  const bool first = s->message_count == 0;
  s->message_start_time = first ? start : std::min(s->message_start_time, start);
  s->message_end_time = first ? end : std::max(s->message_end_time, end);
}

void KeepChunk(const McapChunkCheck& chunk, Salvage* out) {
  OutputPlan& plan = out->plan;
  mcap::ChunkIndex index;
  index.chunk_start_offset = plan.size();
  if (chunk.header_times_match) {
    plan.Copy(chunk.offset, chunk.length);
  } else {
    plan.Append(RepairedChunkHeader(chunk));
    plan.Copy(chunk.offset + chunk.header_size, chunk.compressed_size);
  }
  const uint64_t chunk_end = chunk.offset + chunk.length;
  if (chunk.indexes_match) {
    for (const auto& [channel, offset] : chunk.index_offsets) {
      index.message_index_offsets[channel] = offset - chunk.offset + index.chunk_start_offset;
    }
    plan.Copy(chunk_end, chunk.indexes_end - chunk_end);
    index.message_index_length = chunk.indexes_end - chunk_end;
  } else {
    std::string records =
        MessageIndexRecords(chunk.rebuilt, plan.size(), &index.message_index_offsets);
    index.message_index_length = records.size();
    plan.Append(records);
  }
  index.message_start_time = chunk.start_time;
  index.message_end_time = chunk.end_time;
  index.chunk_length = chunk.length;
  index.compression = chunk.compression;
  index.compressed_size = chunk.compressed_size;
  index.uncompressed_size = chunk.uncompressed_size;
  mcap::SummaryContent& summary = out->summary;
  if (chunk.messages > 0) NoteTimes(&summary, chunk.start_time, chunk.end_time);
  for (const auto& [channel, n] : chunk.channel_counts)
    summary.channel_message_counts[channel] += n;
  summary.message_count += chunk.messages;
  summary.chunk_indexes.push_back(std::move(index));
}

void KeepRecord(const McapValidation& check, const McapRecordRef& record, Salvage* out) {
  mcap::SummaryContent& summary = out->summary;
  const uint64_t at = out->plan.size();
  if (record.from_summary) {
    out->plan.Append(record.opcode == mcap::kSchema ? check.schemas.at(record.id)
                                                    : check.channels.at(record.id));
    return;
  }
  out->plan.Copy(record.offset, record.length);
  if (record.opcode == mcap::kMetadata) {
    summary.metadata_indexes.push_back({at, record.length, record.name});
  } else if (record.opcode == mcap::kAttachment) {
    mcap::AttachmentIndex index = record.attachment;
    index.offset = at;
    index.length = record.length;
    summary.attachment_indexes.push_back(std::move(index));
  } else if (record.opcode == mcap::kMessage) {
    NoteTimes(&summary, record.log_time, record.log_time);
    ++summary.message_count;
    ++summary.channel_message_counts[record.id];
  }
}

// Plans the result from what the check found: every intact part, in the original order.
Salvage PlanSalvage(const McapValidation& check) {
  Salvage out;
  out.plan.Copy(0, check.header_end);
  // Schemas and channels only the summary still holds go first, before any message.
  for (uint16_t id : check.summary_only_schemas) out.plan.Append(check.schemas.at(id));
  for (uint16_t id : check.summary_only_channels) out.plan.Append(check.channels.at(id));
  for (const auto& [id, record] : check.schemas) out.summary.schema_records.push_back(record);
  for (const auto& [id, record] : check.channels) {
    out.summary.channel_records.push_back(record);
    out.summary.channel_message_counts[id] = 0;
  }
  auto record = check.records.begin();
  for (const McapChunkCheck& chunk : check.chunks) {
    for (; record != check.records.end() && record->offset < chunk.offset; ++record) {
      KeepRecord(check, *record, &out);
    }
    if (chunk.intact) {
      KeepChunk(chunk, &out);
      continue;
    }
    out.dropped.push_back({chunk.offset, chunk.start_time, chunk.end_time, chunk.times_known,
                           chunk.messages, chunk.messages_known, chunk.problem});
    if (!chunk.last_in_file) ++out.chunks_dropped_before_end;
  }
  for (; record != check.records.end(); ++record) KeepRecord(check, *record, &out);
  return out;
}

std::string DroppedChunkText(const DroppedChunk& d) {
  std::string when = d.times_known
                         ? absl::StrCat(TimeText(d.start_time), " to ", TimeText(d.end_time))
                         : "time range unknown";
  std::string lost =
      d.messages_known ? absl::StrCat(d.messages, " messages lost") : "messages lost: unknown";
  return absl::StrCat("dropped the chunk at byte ", d.offset, " (", when, ", ", lost,
                      "): ", d.reason);
}

absl::Status WriteAll(WritableFile* out, const std::string& bytes, uint32_t* crc) {
  if (crc != nullptr) *crc = mcap::Crc32Update(*crc, bytes.data(), bytes.size());
  return out->Append(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

// Writes the planned data section (from `source`) and the tail, syncs and closes.
absl::Status WritePlan(const OutputPlan& plan, const mcap::SummaryContent& summary,
                       const RandomAccessFile* source, WritableFile* out) {
  uint32_t crc = 0;
  std::string block;
  for (const OutputPlan::Piece& piece : plan.pieces()) {
    if (!piece.copy) {
      if (absl::Status s = WriteAll(out, piece.bytes, &crc); !s.ok()) return s;
      continue;
    }
    for (uint64_t done = 0; done < piece.length;) {
      const uint64_t n = std::min(kCopyBlockBytes, piece.length - done);
      block.resize(n);
      auto got = source->Read(piece.from + done, reinterpret_cast<uint8_t*>(block.data()), n);
      if (!got.ok()) return got.status();
      if (*got != n) return absl::DataLossError("the original shrank while being salvaged");
      if (absl::Status s = WriteAll(out, block, &crc); !s.ok()) return s;
      done += n;
    }
  }
  std::string tail;
  mcap::AppendFileTail(summary, plan.size(), crc, &tail);
  if (absl::Status s = WriteAll(out, tail, nullptr); !s.ok()) return s;
  if (absl::Status s = out->Sync(); !s.ok()) return s;
  return out->Close();
}

// Cuts the original after the planned prefix and appends the rest (a crash's torn tail).
absl::Status FinalizeInPlace(FileSystem* fs, const std::string& path, const OutputPlan& plan,
                             const mcap::SummaryContent& summary) {
  std::string tail;
  for (size_t i = 1; i < plan.pieces().size(); ++i) tail += plan.pieces()[i].bytes;
  // The data section CRC is left 0 ("not computed"): the prefix is not read again.
  mcap::AppendFileTail(summary, plan.size(), 0, &tail);
  auto out = fs->ReopenTruncated(path, plan.PrefixOnlyLength());
  if (!out.ok()) return out.status();
  if (absl::Status s = WriteAll(out->get(), tail, nullptr); !s.ok()) return s;
  if (absl::Status s = (*out)->Sync(); !s.ok()) return s;
  return (*out)->Close();
}

absl::Status CheckResult(FileSystem* fs, const std::string& path) {
  auto file = fs->OpenForRead(path);
  if (!file.ok()) return file.status();
  auto check = ValidateMcap(file->get());
  if (!check.ok()) return check.status();
  if (!check->valid()) {
    return absl::InternalError(
        absl::StrCat("the salvaged ", path, " failed validation: ", check->ProblemsText(5)));
  }
  return absl::OkStatus();
}

// A name beside `path` that is free: PATH.damaged, else PATH.damaged.2, ...
std::string FreeDamagedName(FileSystem* fs, const std::string& path) {
  std::string name = path + ".damaged";
  for (int i = 2; fs->Exists(name) && i < 1000; ++i) name = absl::StrCat(path, ".damaged.", i);
  return name;
}

// Writes the salvage beside the original, checks it, and moves it into place keeping the
// original as FINAL.damaged. A crash at any step leaves the original under one of its names.
absl::Status Rewrite(FileSystem* fs, const RandomAccessFile* source, const std::string& part_path,
                     const std::string& final_path, const Salvage& salvage,
                     std::string* damaged_copy) {
  const std::string temp = final_path + ".salvage";
  auto out = fs->NewWritableFile(temp);
  if (!out.ok()) return out.status();
  absl::Status written = WritePlan(salvage.plan, salvage.summary, source, out->get());
  out->reset();
  if (written.ok()) written = CheckResult(fs, temp);
  if (!written.ok()) {
    (void)fs->Remove(temp);  // the original stays as it was
    return written;
  }
  if (absl::Status s = fs->SyncDir(DirName(temp)); !s.ok()) return s;
  *damaged_copy = FreeDamagedName(fs, final_path);
  if (absl::Status s = fs->Rename(part_path, *damaged_copy); !s.ok()) return s;
  if (absl::Status s = fs->Rename(temp, final_path); !s.ok()) return s;
  return fs->SyncDir(DirName(final_path));
}

absl::Status RenameIntoPlace(FileSystem* fs, const std::string& part_path,
                             const std::string& final_path) {
  if (final_path != part_path) {
    if (absl::Status s = fs->Rename(part_path, final_path); !s.ok()) return s;
  }
  return fs->SyncDir(DirName(final_path));
}

RecoveryReport ReportForValidFile(const McapValidation& check) {
  RecoveryReport report;
  report.bytes_before = report.bytes_kept = check.file_size;
  report.chunks_kept = check.chunks.size();
  for (const McapChunkCheck& chunk : check.chunks) {
    report.messages_kept += chunk.messages;
    report.last_log_time = std::max(report.last_log_time, chunk.end_time);
  }
  for (const McapRecordRef& record : check.records) {
    if (record.opcode != mcap::kMessage) continue;
    ++report.messages_kept;
    report.last_log_time = std::max(report.last_log_time, record.log_time);
  }
  report.was_complete = report.validated = true;
  return report;
}

}  // namespace

std::string RecoveryReport::ToString() const {
  if (was_complete) {
    return absl::StrCat("already complete (validated: every chunk and index checked): ", bytes_kept,
                        " bytes, ", chunks_kept, " chunks, ", messages_kept, " messages");
  }
  std::string last = messages_kept == 0 ? std::string("no messages")
                                        : absl::StrCat("last message at ", TimeText(last_log_time));
  std::string text =
      absl::StrCat(rewritten ? "rewritten: " : "finalized: ", "kept ", bytes_kept, " of ",
                   bytes_before, " bytes (dropped ", bytes_dropped, "), ", chunks_kept, " chunks (",
                   chunks_dropped, " dropped), ", messages_kept, " messages, ", last);
  for (const DroppedChunk& d : dropped) absl::StrAppend(&text, "\n  ", DroppedChunkText(d));
  const size_t shown = std::min<size_t>(problems.size(), 10);
  for (size_t i = 0; i < shown; ++i) absl::StrAppend(&text, "\n  found: ", problems[i]);
  if (problems.size() > shown) {
    absl::StrAppend(&text, "\n  found: (", problems.size() - shown, " more problems)");
  }
  if (validated) absl::StrAppend(&text, "\n  the result passed validation");
  if (!damaged_copy.empty()) {
    absl::StrAppend(&text, "\n  the damaged original is kept as ", damaged_copy);
  }
  return text;
}

absl::StatusOr<RecoveryReport> FinalizeRecording(FileSystem* fs, const std::string& part_path,
                                                 const std::string& final_path) {
  auto file = fs->OpenForRead(part_path);
  if (!file.ok()) return file.status();
  auto checked = ValidateMcap(file->get());
  if (!checked.ok()) {
    return absl::Status(checked.status().code(),
                        absl::StrCat(part_path, ": ", checked.status().message()));
  }
  const McapValidation& check = *checked;
  if (check.valid()) {
    RecoveryReport report = ReportForValidFile(check);
    file->reset();
    if (absl::Status s = RenameIntoPlace(fs, part_path, final_path); !s.ok()) return s;
    return report;
  }

  Salvage salvage = PlanSalvage(check);
  RecoveryReport report;
  report.bytes_before = check.file_size;
  report.bytes_kept = salvage.plan.copied();
  report.bytes_dropped = report.bytes_before - report.bytes_kept;
  report.chunks_kept = salvage.summary.chunk_indexes.size();
  report.chunks_dropped = salvage.dropped.size();
  report.messages_kept = salvage.summary.message_count;
  report.last_log_time = salvage.summary.message_end_time;
  report.dropped = salvage.dropped;
  for (const McapProblem& p : check.problems) {
    report.problems.push_back(absl::StrCat("byte ", p.offset, ": ", p.what));
  }
  if (report.messages_kept == 0 && salvage.chunks_dropped_before_end > 0) {
    std::string text = absl::StrCat(part_path, ": nothing can be salvaged: all ",
                                    report.chunks_dropped, " chunks are damaged (left as it is)");
    for (const DroppedChunk& d : report.dropped)
      absl::StrAppend(&text, "\n  ", DroppedChunkText(d));
    return absl::DataLossError(text);
  }

  // A crash's .part damaged only at its end is finished in place; everything else is
  // rewritten beside the original, which is kept.
  const bool in_place = part_path != final_path && salvage.plan.PrefixOnlyLength() > 0;
  if (in_place) {
    file->reset();
    if (absl::Status s = FinalizeInPlace(fs, part_path, salvage.plan, salvage.summary); !s.ok()) {
      return s;
    }
    if (absl::Status s = CheckResult(fs, part_path); !s.ok()) return s;
    if (absl::Status s = RenameIntoPlace(fs, part_path, final_path); !s.ok()) return s;
  } else {
    report.rewritten = true;
    absl::Status s = Rewrite(fs, file->get(), part_path, final_path, salvage, &report.damaged_copy);
    if (!s.ok()) return s;
  }
  report.validated = true;
  return report;
}

}  // namespace rollrig::recording
