// libFuzzer target: the control protocol's request handler (one line in, one
// line out), the code every local client's bytes reach.
//
// Input: up to 8 request lines separated by '\n', handled in order by one
// RequestHandler over a PolicyStore that starts each input with the standard
// policy (generation 1, persisted to a private state file on tmpfs).
// Properties, after every line:
//  - the reply is one line of JSON, an object with a boolean "ok", and an
//    error object with a string "code" when ok is false;
//  - the store's document, when present, passes validate(), and the data
//    plane (the fake hooks) runs exactly the store's generation;
//  - a refused request changes neither the generation nor the document.
// Any violation aborts.
//
// Thread-safety: libFuzzer calls us from one thread.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "control/policy/policy_json.h"
#include "control/policy/validate.h"
#include "control/server/policy_store.h"
#include "control/server/request_handler.h"
#include "control/server/state_journal.h"
#include "tests/control/server/fake_hooks.h"
#include "tests/support/test_policy.h"

using namespace isoswitch;

namespace {

std::string g_dir;
std::string g_base_request;

[[noreturn]] void die(const std::string& what, std::string_view line) {
  std::fprintf(stderr, "fuzz_request: %s\nline: %.*s\n", what.c_str(),
               static_cast<int>(line.size()), line.data());
  std::abort();
}

std::string doc_text(const ctl::PolicyStore& store) {
  return store.doc() ? ctl::policy_to_json(*store.doc()).dump() : std::string("none");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  g_dir = "/dev/shm/isoswitch-fuzz-request-" + std::to_string(getpid());
  std::filesystem::create_directories(g_dir);
  g_base_request = R"({"op":"policy.apply","policy":)" + test::standard_policy_json() + "}";
  std::atexit([] { std::filesystem::remove_all(g_dir); });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string state = g_dir + "/state.json";
  std::filesystem::remove(state);
  std::filesystem::remove(ctl::journal_path(state));  // its single-object edits
  test::FakeHooks hooks;
  ctl::PolicyStore store(hooks, test::standard_ports(), 1500, state);
  if (!store.load_initial(std::nullopt)) die("load_initial failed", "");
  ctl::RequestHandler handler(store);
  const std::string base_reply = handler.handle_request_line(g_base_request);
  if (store.generation() != 1) die("the standard policy was not applied: " + base_reply, "");

  std::string_view rest(reinterpret_cast<const char*>(data), size);
  for (int n = 0; n < 8 && !rest.empty(); ++n) {
    const std::size_t nl = rest.find('\n');
    const std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);

    const uint64_t gen_before = store.generation();
    const std::string doc_before = doc_text(store);
    const std::string reply = handler.handle_request_line(line);
    if (reply.find('\n') != std::string::npos) die("reply spans lines: " + reply, line);
    auto j = nlohmann::json::parse(reply, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("ok") || !j["ok"].is_boolean())
      die("reply is not an object with a boolean ok: " + reply, line);
    if (!j["ok"].get<bool>()) {
      if (!j.contains("error") || !j["error"].is_object() || !j["error"].contains("code") ||
          !j["error"]["code"].is_string())
        die("failure without an error code: " + reply, line);
      if (store.generation() != gen_before || doc_text(store) != doc_before)
        die("a refused request changed the policy: " + reply, line);
    }
    if (store.doc() && !ctl::validate(*store.doc()))
      die("the running policy does not validate", line);
    const auto published = hooks.published_generations();
    if (published.empty() || published.back() != store.generation())
      die("the data plane does not run the store's generation", line);
  }
  return 0;
}
