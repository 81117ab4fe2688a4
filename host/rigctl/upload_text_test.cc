// rigctl uploads as text: the queue's items, and a line saying how many older uploaded
// files rigd left out of its list.
#include "host/rigctl/upload_text.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace rollrig::host::rigctl {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

rollrig::v1::UploadStatus AStatus(uint64_t uploaded_total, int uploaded_listed) {
  rollrig::v1::UploadStatus s;
  s.set_enabled(true);
  s.set_destination("s3://lab/rigs at http://store:9000");
  s.set_files_uploaded_total(uploaded_total);
  for (int i = 0; i < uploaded_listed; ++i) {
    rollrig::v1::UploadItem* item = s.add_items();
    item->set_run_id("run-1");
    item->set_file("f" + std::to_string(i) + ".mcap");
    item->set_state(rollrig::v1::UPLOAD_ITEM_STATE_UPLOADED);
  }
  return s;
}

TEST(UploadQueueText, SaysHowManyOlderUploadedFilesAreNotListed) {
  const std::string text = UploadQueueText(AStatus(250, 200), 0);
  EXPECT_THAT(text, HasSubstr("f199.mcap"));
  EXPECT_THAT(text, HasSubstr("(50 older uploaded files not listed;"));
}

TEST(UploadQueueText, NothingLeftOutNothingSaid) {
  EXPECT_THAT(UploadQueueText(AStatus(3, 3), 0), Not(HasSubstr("not listed")));
}

}  // namespace
}  // namespace rollrig::host::rigctl
