// rigctl uploads: rigd's upload queue to S3-compatible storage.
#include "google/protobuf/util/json_util.h"
#include "host/rigctl/commands.h"
#include "host/rigctl/json_text.h"
#include "host/rigctl/options.h"
#include "host/rigctl/upload_text.h"
#include "rig/base/clock.h"

namespace rollrig::host::rigctl {

int UploadsCommand(Session& s, const Args& args) {
  Options o;
  if (auto e = ParseOptions(args, 0, {}, {"--json"}, 0, &o)) return s.Usage(*e);
  if (!s.Connect()) return s.failure();
  rollrig::v1::UploadStatus status;
  grpc::Status rpc =
      s.stub().GetUploads(s.Context().get(), rollrig::v1::GetUploadsRequest(), &status);
  if (!rpc.ok()) return s.Failed("uploads", rpc);
  if (o.flag("--json")) {
    s.out() << MessageJson(status);
    return kExitOk;
  }
  s.out() << UploadQueueText(status, UnixNanosNow());
  return kExitOk;
}

}  // namespace rollrig::host::rigctl
