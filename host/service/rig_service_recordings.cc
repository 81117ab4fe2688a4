// RigService: downloading a run's recording files.
#include <algorithm>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "host/recording/file_system.h"
#include "host/service/rig_service.h"

namespace rollrig::host {
namespace {

constexpr size_t kDownloadChunkBytes = 256 << 10;

// Streams one file in pieces. The file is opened and read on the pump thread, never on
// gRPC's; a file still being written is sent as far as it was when the download began.
class RecordingDownloadStream final : public PumpedWriter<rollrig::v1::RecordingChunk> {
 public:
  explicit RecordingDownloadStream(absl::StatusOr<std::string> path) : path_(std::move(path)) {}

 private:
  const rollrig::v1::RecordingChunk* Next() override {
    if (!path_.ok()) {
      EndStream(ToGrpcStatus(path_.status()));
      return nullptr;
    }
    if (!file_) {
      recording::FileSystem* fs = recording::RealFileSystem();
      // A recording renamed since the run's snapshot was taken: .part -> .mcap.
      std::string path = *path_;
      if (absl::EndsWith(path, ".part") && !fs->Exists(path)) path.resize(path.size() - 5);
      absl::StatusOr<std::unique_ptr<recording::RandomAccessFile>> file = fs->OpenForRead(path);
      if (!file.ok()) {
        EndStream(ToGrpcStatus(
            absl::Status(file.status().code(),
                         absl::StrCat("cannot read ", path, ": ", file.status().message()))));
        return nullptr;
      }
      file_ = *std::move(file);
      total_ = file_->size();
      chunk_.set_total(total_);
      chunk_.set_file_name(path.substr(path.rfind('/') + 1));
    }
    const size_t n = static_cast<size_t>(std::min<uint64_t>(kDownloadChunkBytes, total_ - offset_));
    std::string* data = chunk_.mutable_data();
    data->resize(n);
    absl::StatusOr<size_t> got =
        n == 0 ? absl::StatusOr<size_t>(0)
               : file_->Read(offset_, reinterpret_cast<uint8_t*>(data->data()), n);
    if (!got.ok() || *got != n) {
      EndStream(ToGrpcStatus(got.ok() ? absl::DataLossError("the recording shrank while read")
                                      : got.status()));
      return nullptr;
    }
    chunk_.set_offset(offset_);
    offset_ += n;
    if (offset_ >= total_) EndStream(grpc::Status::OK);  // this is the last piece
    return &chunk_;
  }

  absl::StatusOr<std::string> path_;
  std::unique_ptr<recording::RandomAccessFile> file_;
  uint64_t total_ = 0;
  uint64_t offset_ = 0;
  rollrig::v1::RecordingChunk chunk_;
};

// The file a download asks for, or why there is none.
absl::StatusOr<std::string> RecordingPath(RunManager* runs,
                                          const rollrig::v1::DownloadRecordingRequest* req) {
  absl::StatusOr<std::string> path;
  absl::StatusOr<rollrig::v1::RunInfo> run = runs->Get(req->run_id());
  if (!run.ok()) {
    path = run.status();
  } else if (req->file_index() >= static_cast<uint32_t>(run->recordings_size())) {
    path = absl::NotFoundError(absl::StrCat("run ", run->id(), " has ", run->recordings_size(),
                                            " recording file(s); there is no file ",
                                            req->file_index()));
  } else {
    path = run->recordings(static_cast<int>(req->file_index()));
  }
  return path;
}

}  // namespace

grpc::ServerWriteReactor<rollrig::v1::RecordingChunk>* RigServiceImpl::DownloadRecording(
    grpc::CallbackServerContext* ctx, const rollrig::v1::DownloadRecordingRequest* req) {
  return ServeStream<rollrig::v1::RecordingChunk>(ctx, "DownloadRecording", [&] {
    return new RecordingDownloadStream(RecordingPath(runs_, req));
  });
}

}  // namespace rollrig::host
