#include "host/check/junit_report.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace rollrig::check {
namespace {

std::string Escaped(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace

std::string JUnitXml(const std::string& suite, const CheckReport& report, double seconds) {
  size_t failures = 0;
  for (const CheckItem& item : report.items) failures += item.ok ? 0 : 1;
  std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  absl::StrAppend(&xml, "<testsuites>\n  <testsuite name=\"", Escaped(suite), "\" tests=\"",
                  report.items.size(), "\" failures=\"", failures, "\" errors=\"0\" time=\"",
                  absl::StrFormat("%.3f", seconds), "\">\n");
  for (const CheckItem& item : report.items) {
    absl::StrAppend(&xml, "    <testcase classname=\"", Escaped(suite), "\" name=\"",
                    Escaped(item.name), "\"");
    if (item.ok) {
      absl::StrAppend(&xml, "/>\n");
      continue;
    }
    const std::string message = absl::StrCat("expected ", item.expected, ", got ", item.actual);
    absl::StrAppend(&xml, ">\n      <failure message=\"", Escaped(message), "\">", Escaped(message),
                    "</failure>\n    </testcase>\n");
  }
  absl::StrAppend(&xml, "  </testsuite>\n</testsuites>\n");
  return xml;
}

}  // namespace rollrig::check
