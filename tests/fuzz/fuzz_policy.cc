// libFuzzer target: the policy document parser and validator.
//
// Input: any bytes, taken as a policy document's JSON text. Properties:
//  - parse_policy() and validate() never crash, hang or leak, whatever the
//    bytes (deep nesting, invalid UTF-8, huge numbers, duplicate keys...);
//  - a document that parses and validates compiles with its own port table
//    (a "valid" policy the data plane cannot load would fail open or closed
//    at the worst moment);
//  - serialising a parsed document and parsing that again gives the same
//    document (so what policy.get returns and the state file holds reloads
//    to what was applied).
// Any violation aborts with the input's description.
//
// Thread-safety: libFuzzer calls us from one thread.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "control/policy/compile.h"
#include "control/policy/policy_json.h"
#include "control/policy/validate.h"

using namespace isoswitch;

namespace {
[[noreturn]] void die(const std::string& what, std::string_view input) {
  std::fprintf(stderr, "fuzz_policy: %s\ninput: %.*s\n", what.c_str(),
               static_cast<int>(input.size()), input.data());
  std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto doc = ctl::parse_policy(text);
  if (!doc) {
    if (doc.error().message.empty()) die("an error without a message", text);
    return 0;
  }
  const std::string once = ctl::policy_to_json(*doc).dump();
  auto again = ctl::parse_policy(once);
  if (!again) die("its own serialisation does not parse: " + again.error().message + "\n" + once, text);
  const std::string twice = ctl::policy_to_json(*again).dump();
  if (once != twice) die("round trip changed the document:\n" + once + "\n" + twice, text);

  auto valid = ctl::validate(*doc);
  if (!valid) {
    if (valid.error().message.empty()) die("a validation error without a message", text);
    return 0;
  }
  auto snap = ctl::compile(*doc, ctl::port_table_from_policy(*doc), ctl::CompileOptions{1, 1500});
  if (!snap) die("validated but does not compile: " + snap.error().message, text);
  if (!ctl::validate(*again)) die("validated, but its round trip does not", text);
  return 0;
}
