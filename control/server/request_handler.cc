#include "control/server/request_handler.h"

#include <exception>
#include <initializer_list>
#include <optional>
#include <string>

#include "control/explain/explain.h"
#include "control/explain/frame_from_query.h"
#include "control/policy/edit.h"
#include "control/policy/policy_json.h"
#include "control/server/stats.h"

namespace isoswitch::ctl {

using nlohmann::json;

namespace {

Error err(ErrorCode code, std::string message) {
  return Error{code, std::move(message)};
}

Error prefixed(std::string prefix, Error e) {
  e.message = std::move(prefix) + e.message;
  return e;
}

// Refuses fields an operation does not know: a misspelt "expect_generation"
// must not silently turn a guarded change into an unguarded one.
Result<void> only_fields(const json& req, std::string_view path,
                         std::initializer_list<std::string_view> allowed) {
  for (const auto& [key, _] : req.items()) {
    bool ok = false;
    for (std::string_view a : allowed) ok = ok || key == a;
    if (!ok)
      return make_error(ErrorCode::kInvalidArgument,
                        std::string(path) + (path.empty() ? "" : ".") + key + ": unknown field");
  }
  return {};
}

Result<const json*> field(const json& req, std::string_view path, const char* name) {
  auto it = req.find(name);
  if (it == req.end())
    return make_error(ErrorCode::kInvalidArgument,
                      std::string(path) + (path.empty() ? "" : ".") + name + ": missing");
  return &*it;
}

Result<std::string> string_field(const json& req, std::string_view path, const char* name) {
  auto f = field(req, path, name);
  if (!f) return std::unexpected(f.error());
  if (!(*f)->is_string())
    return make_error(ErrorCode::kInvalidArgument,
                      std::string(path) + (path.empty() ? "" : ".") + name + ": not a string");
  return (*f)->get<std::string>();
}

bool is_mutation_op(std::string_view op) {
  return op == "policy.apply" || op == "job.upsert" || op == "job.delete" || op == "vnic.upsert" ||
         op == "vnic.delete";
}

// Refuses fields a step does not know: "op", `name` and `extra_fields`.
Result<void> step_fields(const json& step, const std::string& p, std::string_view name,
                         std::initializer_list<std::string_view> extra_fields) {
  for (const auto& [key, _] : step.items()) {
    bool ok = key == "op" || key == name;
    for (std::string_view e : extra_fields) ok = ok || key == e;
    if (!ok) return make_error(ErrorCode::kInvalidArgument, p + key + ": unknown field");
  }
  return {};
}

// A job/vnic step -> the edit it asks for (syntax only). `path` is where
// `step` sits in the request ("" or "ops[2]"), for error messages.
Result<PolicyEdit> parse_edit(const json& step, const std::string& op, std::string_view path,
                              std::initializer_list<std::string_view> extra_fields) {
  const std::string p = path.empty() ? std::string() : std::string(path) + ".";
  const bool job = op.starts_with("job.");
  const char* name = job ? "job" : "vnic";
  if (auto r = step_fields(step, p, name, extra_fields); !r) return std::unexpected(r.error());
  PolicyEdit e;
  if (op == "job.upsert" || op == "vnic.upsert") {
    auto f = field(step, path, name);
    if (!f) return std::unexpected(f.error());
    if (job) {
      auto j = job_from_json(**f, p + name);
      if (!j) return std::unexpected(j.error());
      e.kind = PolicyEdit::Kind::kUpsertJob;
      e.job = std::move(*j);
      return e;
    }
    auto v = vnic_from_json(**f, p + name);
    if (!v) return std::unexpected(v.error());
    e.kind = PolicyEdit::Kind::kUpsertVnic;
    e.vnic = std::move(*v);
    return e;
  }
  auto id = string_field(step, path, name);
  if (!id) return std::unexpected(id.error());
  e.kind = job ? PolicyEdit::Kind::kDeleteJob : PolicyEdit::Kind::kDeleteVnic;
  e.id = std::move(*id);
  return e;
}

bool is_edit_op(std::string_view op) {
  return op == "job.upsert" || op == "job.delete" || op == "vnic.upsert" || op == "vnic.delete";
}

// One edit step of a txn. `path` is where `step` sits ("ops[2]").
Result<void> apply_step(PolicyDoc& doc, const json& step, std::string_view path,
                        std::initializer_list<std::string_view> extra_fields) {
  auto op = string_field(step, path, "op");
  if (!op) return std::unexpected(op.error());
  const std::string p = path.empty() ? std::string() : std::string(path) + ".";

  if (*op == "policy.apply") {
    if (auto r = step_fields(step, p, "policy", extra_fields); !r) return r;
    auto f = field(step, path, "policy");
    if (!f) return std::unexpected(f.error());
    auto d = policy_from_json(**f);
    if (!d) {
      // The parser names paths from the document root ("jobs[1].vpc",
      // "document" for the root itself); name them from the request.
      Error e = d.error();
      if (e.message.starts_with("document"))
        e.message = p + "policy" + e.message.substr(8);
      else
        e.message = p + "policy." + e.message;
      return std::unexpected(e);
    }
    doc = std::move(*d);
    return {};
  }
  if (is_edit_op(*op)) {
    auto e = parse_edit(step, *op, path, extra_fields);
    if (!e) return std::unexpected(e.error());
    const bool is_delete =
        e->kind == PolicyEdit::Kind::kDeleteJob || e->kind == PolicyEdit::Kind::kDeleteVnic;
    auto r = apply_edit(doc, std::move(*e));
    if (!r)
      return std::unexpected(path.empty() || !is_delete
                                 ? r.error()
                                 : prefixed(p.substr(0, p.size() - 1) + ": ", r.error()));
    return {};
  }
  return make_error(ErrorCode::kInvalidArgument, p + "op: \"" + *op + "\" cannot be used here");
}

Result<std::optional<uint64_t>> expect_generation(const json& req) {
  auto it = req.find("expect_generation");
  if (it == req.end()) return std::optional<uint64_t>{};
  if (!it->is_number_unsigned())
    return make_error(ErrorCode::kInvalidArgument, "expect_generation: not a non-negative integer");
  return std::optional<uint64_t>{it->get<uint64_t>()};
}

json generation_reply(uint64_t g) {
  return {{"ok", true}, {"generation", g}};
}

}  // namespace

json error_reply(const Error& e) {
  return {{"ok", false}, {"error", {{"code", error_code_name(e.code)}, {"message", e.message}}}};
}

std::string error_reply_line(ErrorCode code, std::string message) {
  return error_reply(Error{code, std::move(message)})
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

class RequestOps {
 public:
  explicit RequestOps(PolicyStore& store) : store_(store) {}

  Result<json> dispatch(const std::string& op, const json& req) {
    if (op == "ping") return ping(req);
    if (op == "policy.get") return policy_get(req);
    if (is_mutation_op(op)) return mutation(op, req);
    if (op == "txn") return txn(req);
    if (op == "stats") return stats(req);
    if (op == "explain") return explain_op(req);
    if (op == "ports") return ports(req);
    return make_error(ErrorCode::kInvalidArgument, "op: unknown operation \"" + op + "\"");
  }

 private:
  Result<json> ping(const json& req) {
    if (auto r = only_fields(req, "", {"op", "id"}); !r) return std::unexpected(r.error());
    return json{{"ok", true}, {"pong", true}, {"generation", store_.generation()}};
  }

  Result<json> policy_get(const json& req) {
    if (auto r = only_fields(req, "", {"op", "id"}); !r) return std::unexpected(r.error());
    json reply = generation_reply(store_.generation());
    reply["policy"] = store_.doc() ? policy_to_json(*store_.doc()) : json(nullptr);
    return reply;
  }

  // policy.apply replaces the document (parsed with validation, so the
  // store does not validate it again); a job/vnic edit goes to the store's
  // single-object path (incremental when it can be).
  Result<json> mutation(const std::string& op, const json& req) {
    auto expect = expect_generation(req);
    if (!expect) return std::unexpected(expect.error());
    if (op == "policy.apply") {
      auto g = store_.mutate(
          [&](PolicyDoc& doc) {
            return apply_step(doc, req, "", {"id", "expect_generation"});
          },
          *expect, /*needs_base=*/false, /*edit_validates=*/true);
      if (!g) return std::unexpected(g.error());
      return generation_reply(*g);
    }
    if (auto r = store_.precheck(*expect, /*needs_base=*/true); !r)
      return std::unexpected(r.error());
    auto edit = parse_edit(req, op, "", {"id", "expect_generation"});
    if (!edit) return std::unexpected(edit.error());
    auto g = store_.apply(std::move(*edit), *expect);
    if (!g) return std::unexpected(g.error());
    return generation_reply(*g);
  }

  // All steps edit one copy; the result is validated, compiled, published
  // and persisted once, as a whole, or not at all.
  Result<json> txn(const json& req) {
    if (auto r = only_fields(req, "", {"op", "id", "expect_generation", "ops"}); !r)
      return std::unexpected(r.error());
    auto expect = expect_generation(req);
    if (!expect) return std::unexpected(expect.error());
    auto ops = field(req, "", "ops");
    if (!ops) return std::unexpected(ops.error());
    const json& list = **ops;
    if (!list.is_array()) return make_error(ErrorCode::kInvalidArgument, "ops: not an array");
    if (list.empty()) return make_error(ErrorCode::kInvalidArgument, "ops: empty");
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string path = "ops[" + std::to_string(i) + "]";
      if (!list[i].is_object())
        return make_error(ErrorCode::kInvalidArgument, path + ": not an object");
      auto op = string_field(list[i], path, "op");
      if (!op) return std::unexpected(op.error());
      if (!is_mutation_op(*op))
        return make_error(ErrorCode::kInvalidArgument,
                          path + ".op: \"" + *op + "\" is not allowed in a txn");
    }
    const bool needs_base = list[0].at("op") != "policy.apply";
    // A txn ending in policy.apply results in exactly that document, which
    // its parse validated: the store need not validate it again.
    const bool ends_validated = list.back().at("op") == "policy.apply";
    auto g = store_.mutate(
        [&](PolicyDoc& doc) -> Result<void> {
          for (std::size_t i = 0; i < list.size(); ++i)
            if (auto r = apply_step(doc, list[i], "ops[" + std::to_string(i) + "]", {}); !r)
              return r;
          return {};
        },
        *expect, needs_base, ends_validated);
    if (!g) return std::unexpected(g.error());
    return generation_reply(*g);
  }

  Result<json> stats(const json& req) {
    if (auto r = only_fields(req, "", {"op", "id"}); !r) return std::unexpected(r.error());
    auto counters = store_.hooks().port_counters();
    json s = stats_json(counters, store_.ports(), store_.doc());
    json reply = generation_reply(store_.generation());
    for (auto& [k, v] : s.items()) reply[k] = std::move(v);
    return reply;
  }

  Result<json> ports(const json& req) {
    if (auto r = only_fields(req, "", {"op", "id"}); !r) return std::unexpected(r.error());
    json list = json::array();
    const PortTable& t = store_.ports();
    for (std::size_t i = 0; i < t.ports.size(); ++i) {
      json p = {{"index", i},
                {"name", t.ports[i].name},
                {"role", std::string(port_role_name(t.ports[i].role))},
                {"vnic", nullptr}};
      if (store_.doc())
        for (const VnicDoc& v : store_.doc()->vnics)
          if (v.port == t.ports[i].name) p["vnic"] = v.id;
      list.push_back(std::move(p));
    }
    json reply = generation_reply(store_.generation());
    reply["ports"] = std::move(list);
    return reply;
  }

  Result<json> explain_op(const json& req);

  PolicyStore& store_;
};

// A frame description -> what the switch would do with it, by the scalar
// reference over the running document and the server's port table.
Result<json> RequestOps::explain_op(const json& req) {
  if (auto r = only_fields(req, "", {"op", "id", "vnic", "from", "src", "dst", "proto", "dport"});
      !r)
    return std::unexpected(r.error());
  if (!store_.doc())
    return make_error(ErrorCode::kUnavailable,
                      "no policy is loaded: every frame drops as no_policy");
  const PolicyDoc& doc = *store_.doc();

  ExplainQuery q;
  auto str = [&](const char* name, std::string& out) -> Result<void> {
    auto it = req.find(name);
    if (it == req.end()) return {};
    if (!it->is_string())
      return make_error(ErrorCode::kInvalidArgument, std::string(name) + ": not a string");
    out = it->get<std::string>();
    return {};
  };
  for (auto [name, out] : {std::pair<const char*, std::string*>{"vnic", &q.vnic},
                           {"from", &q.from_port},
                           {"src", &q.src},
                           {"dst", &q.dst},
                           {"proto", &q.proto}})
    if (auto r = str(name, *out); !r) return std::unexpected(r.error());
  if (auto it = req.find("dport"); it != req.end()) {
    if (!it->is_number_unsigned() || it->get<uint64_t>() > 65535)
      return make_error(ErrorCode::kInvalidArgument, "dport: not an integer in 0..65535");
    q.dport = static_cast<uint16_t>(it->get<uint64_t>());
  }

  auto frame = frame_for_query(doc, q);
  if (!frame) return std::unexpected(frame.error());
  auto in_port = port_for_query(doc, store_.ports(), q);
  if (!in_port) return std::unexpected(in_port.error());
  if (*in_port >= store_.ports().size())
    return make_error(ErrorCode::kInternal, "port_for_query returned an index out of range");
  const std::string in_name = store_.ports().ports[*in_port].name;

  FrameIn in;
  in.in_port = *in_port;
  in.data = frame->data();
  in.len = frame->size();
  Explanation e = ctl::explain(doc, store_.ports(), in, store_.mtu());

  json reply = generation_reply(store_.generation());
  reply["verdict"] = std::string(verdict_name(e.verdict));
  reply["reason"] =
      e.verdict == Verdict::kDrop ? json(std::string(drop_reason_name(e.reason))) : json(nullptr);
  reply["rule"] = e.rule;
  reply["detail"] = e.detail;
  reply["in_port"] = in_name;
  reply["out_port"] = e.out_port < store_.ports().size()
                          ? json(store_.ports().ports[e.out_port].name)
                          : json(nullptr);
  reply["frame_len"] = frame->size();
  return reply;
}

json RequestHandler::handle(const json& request) noexcept {
  try {
    if (!request.is_object())
      return error_reply(err(ErrorCode::kInvalidArgument, "request: not a JSON object"));
    json reply;
    auto op = string_field(request, "", "op");
    if (!op) {
      reply = error_reply(op.error());
    } else {
      RequestOps ops(store_);
      auto r = ops.dispatch(*op, request);
      reply = r ? std::move(*r) : error_reply(r.error());
    }
    if (auto id = request.find("id"); id != request.end()) reply["id"] = *id;
    return reply;
  } catch (const std::exception& e) {
    return error_reply(err(ErrorCode::kInternal, std::string("unexpected: ") + e.what()));
  } catch (...) {
    return error_reply(err(ErrorCode::kInternal, "unexpected exception"));
  }
}

std::string RequestHandler::handle_request_line(std::string_view line) noexcept {
  try {
    auto req = parse_json_strict(line, "request");
    json reply = req ? handle(*req) : error_reply(req.error());
    // Replace, not throw, on invalid UTF-8 echoed back (an "id" or a name in a message).
    return reply.dump(-1, ' ', false, json::error_handler_t::replace);
  } catch (...) {
    return R"({"ok":false,"error":{"code":"internal","message":"cannot encode the reply"}})";
  }
}

}  // namespace isoswitch::ctl
