#include "rig/base/sha256.h"

#include <string>

#include "gtest/gtest.h"

namespace rollrig {
namespace {

// Test vectors from NIST's "Cryptographic Algorithm Validation Program" examples for
// SHA-256 (FIPS 180-4).
TEST(Sha256Test, EmptyMessage) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256Test, Abc) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256Test, TwoBlockMessage448Bits) {
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256Test, Message896Bits) {
  EXPECT_EQ(Sha256Hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjk"
                      "lmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"),
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

TEST(Sha256Test, OneMillionA) {
  EXPECT_EQ(Sha256Hex(std::string(1'000'000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256Test, UpdateInPiecesMatchesOneShot) {
  const std::string message(1000, 'x');
  for (size_t split : {0, 1, 55, 56, 63, 64, 65, 999}) {
    Sha256 sha;
    sha.Update(absl::string_view(message).substr(0, split));
    sha.Update(absl::string_view(message).substr(split));
    std::string hex;
    for (uint8_t byte : sha.Finish()) {
      static constexpr char kHexDigits[] = "0123456789abcdef";
      hex.push_back(kHexDigits[byte >> 4]);
      hex.push_back(kHexDigits[byte & 0xf]);
    }
    EXPECT_EQ(hex, Sha256Hex(message)) << "split at " << split;
  }
}

}  // namespace
}  // namespace rollrig
