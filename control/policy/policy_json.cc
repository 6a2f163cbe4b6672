// JSON <-> PolicyDoc. Strict: see policy_json.h for why.
#include "control/policy/policy_json.h"

#include <exception>
#include <initializer_list>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "control/policy/validate.h"

namespace isoswitch::ctl {
namespace {

using nlohmann::json;

std::unexpected<Error> invalid(std::string_view path, std::string_view reason) {
  std::string msg(path.empty() ? std::string_view("document") : path);
  msg += ": ";
  msg += reason;
  return make_error(ErrorCode::kInvalidArgument, std::move(msg));
}

std::string join(std::string_view path, std::string_view key) {
  std::string s(path);
  if (!s.empty()) s += '.';
  s += key;
  return s;
}

std::string index_path(std::string_view path, std::size_t i) {
  return std::string(path) + "[" + std::to_string(i) + "]";
}

std::string quote_for_message(std::string_view s) {
  // Keys/values echoed in messages went through nlohmann's UTF-8 check; cap
  // the length so a hostile document cannot make the error message huge.
  std::string out = "\"";
  out += s.size() > 64 ? std::string(s.substr(0, 64)) + "..." : std::string(s);
  out += '"';
  return out;
}

// Requires an object whose keys are all in `allowed` (the first unknown key,
// in key order, is the error: a misspelt "isolatd" must not default to true
// silently).
Result<void> check_object(const json& j, std::string_view path,
                          std::initializer_list<std::string_view> allowed) {
  if (!j.is_object()) return invalid(path, std::string("expected an object, got ") + j.type_name());
  for (const auto& [key, value] : j.items()) {
    bool known = false;
    for (std::string_view a : allowed) known = known || key == a;
    if (!known) return invalid(join(path, key), "unknown field");
  }
  return {};
}

Result<const json*> required(const json& obj, std::string_view path, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end()) return invalid(join(path, key), "missing (required)");
  return &*it;
}

const json* optional(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

Result<std::string> as_string(const json& j, std::string_view path) {
  if (!j.is_string()) return invalid(path, std::string("expected a string, got ") + j.type_name());
  return j.get<std::string>();
}

Result<MacAddr> as_mac(const json& j, std::string_view path) {
  auto s = as_string(j, path);
  if (!s) return std::unexpected(s.error());
  auto m = parse_mac(*s);
  if (!m) return invalid(path, quote_for_message(*s) + " is not a MAC address (xx:xx:xx:xx:xx:xx)");
  return *m;
}

Result<Ipv4Addr> as_ipv4(const json& j, std::string_view path) {
  auto s = as_string(j, path);
  if (!s) return std::unexpected(s.error());
  auto a = parse_ipv4(*s);
  if (!a)
    return invalid(
        path, quote_for_message(*s) + " is not an IPv4 address (dotted quad, no leading zeros)");
  return *a;
}

Result<Ipv6Addr> as_ipv6(const json& j, std::string_view path) {
  auto s = as_string(j, path);
  if (!s) return std::unexpected(s.error());
  auto a = parse_ipv6(*s);
  if (!a) return invalid(path, quote_for_message(*s) + " is not an IPv6 address");
  return *a;
}

Result<Ipv4Prefix> as_prefix(const json& j, std::string_view path) {
  auto s = as_string(j, path);
  if (!s) return std::unexpected(s.error());
  auto p = parse_ipv4_prefix(*s);
  if (!p)
    return invalid(
        path, quote_for_message(*s) + " is not an IPv4 prefix (a.b.c.d/len, no host bits set)");
  return *p;
}

Result<bool> as_bool(const json& j, std::string_view path) {
  if (!j.is_boolean())
    return invalid(path, std::string("expected a boolean, got ") + j.type_name());
  return j.get<bool>();
}

// An integer in [lo, hi]; floats (even 101.0) are refused: they are not what
// the schema says and their rounding is not ours to guess.
Result<int64_t> as_int(const json& j, std::string_view path, int64_t lo, int64_t hi) {
  if (!j.is_number_integer())
    return invalid(path, std::string("expected an integer, got ") +
                             (j.is_number_float() ? "a non-integer number" : j.type_name()));
  if (j.is_number_unsigned()) {
    uint64_t u = j.get<uint64_t>();
    if (u > static_cast<uint64_t>(hi))
      return invalid(path, std::to_string(u) + " is outside " + std::to_string(lo) + ".." +
                               std::to_string(hi));
    return static_cast<int64_t>(u);
  }
  int64_t v = j.get<int64_t>();
  if (v < lo || v > hi)
    return invalid(
        path, std::to_string(v) + " is outside " + std::to_string(lo) + ".." + std::to_string(hi));
  return v;
}

Result<const json*> as_array(const json& j, std::string_view path) {
  if (!j.is_array()) return invalid(path, std::string("expected an array, got ") + j.type_name());
  return &j;
}

// Each helper below fills one struct; `TRY` keeps them readable.
#define ISOSWITCH_TRY(lhs, expr)                            \
  do {                                                      \
    auto _r = (expr);                                       \
    if (!_r) return std::unexpected(std::move(_r.error())); \
    lhs = std::move(*_r);                                   \
  } while (0)

Result<VpcDoc> vpc_from_json(const json& j, std::string_view path) {
  if (auto r = check_object(j, path, {"vlan", "gateway_mac", "agent_ip", "prefixes"}); !r)
    return std::unexpected(r.error());
  VpcDoc v;
  const json* f = nullptr;
  ISOSWITCH_TRY(f, required(j, path, "vlan"));
  int64_t vlan = 0;
  ISOSWITCH_TRY(vlan, as_int(*f, join(path, "vlan"), 1, 4094));
  v.vlan = static_cast<uint16_t>(vlan);
  ISOSWITCH_TRY(f, required(j, path, "gateway_mac"));
  ISOSWITCH_TRY(v.gateway_mac, as_mac(*f, join(path, "gateway_mac")));
  ISOSWITCH_TRY(f, required(j, path, "agent_ip"));
  ISOSWITCH_TRY(v.agent_ip, as_ipv4(*f, join(path, "agent_ip")));
  ISOSWITCH_TRY(f, required(j, path, "prefixes"));
  std::string ppath = join(path, "prefixes");
  ISOSWITCH_TRY(f, as_array(*f, ppath));
  if (f->size() > kMaxVpcPrefixesPerJob)
    return invalid(ppath, std::to_string(f->size()) + " prefixes, more than the limit of " +
                              std::to_string(kMaxVpcPrefixesPerJob));
  v.prefixes.reserve(f->size());
  for (std::size_t i = 0; i < f->size(); ++i) {
    Ipv4Prefix p;
    ISOSWITCH_TRY(p, as_prefix((*f)[i], index_path(ppath, i)));
    v.prefixes.push_back(p);
  }
  return v;
}

Result<HostDoc> host_from_json(const json& j, std::string_view path) {
  if (auto r = check_object(j, path, {"gateway_mac", "gateway_ip", "uplink", "agent"}); !r)
    return std::unexpected(r.error());
  HostDoc h;
  const json* f = nullptr;
  ISOSWITCH_TRY(f, required(j, path, "gateway_mac"));
  ISOSWITCH_TRY(h.gateway_mac, as_mac(*f, join(path, "gateway_mac")));
  if (const json* g = optional(j, "gateway_ip")) {
    Ipv4Addr ip;
    ISOSWITCH_TRY(ip, as_ipv4(*g, join(path, "gateway_ip")));
    h.gateway_ip = ip;
  }

  ISOSWITCH_TRY(f, required(j, path, "uplink"));
  std::string up = join(path, "uplink");
  if (auto r = check_object(*f, up, {"port", "mac", "ip", "next_hop_mac"}); !r)
    return std::unexpected(r.error());
  const json& u = *f;
  ISOSWITCH_TRY(f, required(u, up, "port"));
  ISOSWITCH_TRY(h.uplink.port, as_string(*f, join(up, "port")));
  ISOSWITCH_TRY(f, required(u, up, "mac"));
  ISOSWITCH_TRY(h.uplink.mac, as_mac(*f, join(up, "mac")));
  ISOSWITCH_TRY(f, required(u, up, "ip"));
  ISOSWITCH_TRY(h.uplink.ip, as_ipv4(*f, join(up, "ip")));
  ISOSWITCH_TRY(f, required(u, up, "next_hop_mac"));
  ISOSWITCH_TRY(h.uplink.next_hop_mac, as_mac(*f, join(up, "next_hop_mac")));

  if (const json* a = optional(j, "agent")) {
    std::string ap = join(path, "agent");
    if (auto r = check_object(*a, ap, {"port", "mac", "service_ip"}); !r)
      return std::unexpected(r.error());
    AgentDoc agent;
    ISOSWITCH_TRY(f, required(*a, ap, "port"));
    ISOSWITCH_TRY(agent.port, as_string(*f, join(ap, "port")));
    ISOSWITCH_TRY(f, required(*a, ap, "mac"));
    ISOSWITCH_TRY(agent.mac, as_mac(*f, join(ap, "mac")));
    ISOSWITCH_TRY(f, required(*a, ap, "service_ip"));
    ISOSWITCH_TRY(agent.service_ip, as_ipv4(*f, join(ap, "service_ip")));
    h.agent = std::move(agent);
  }
  return h;
}

json mac_json(const MacAddr& m) {
  return to_string(m);
}

// Thrown only inside parse_json_strict's callback and caught right there.
struct DuplicateKey {
  std::string key;
};

}  // namespace

Result<void> check_json_depth(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > max_depth)
        return make_error(ErrorCode::kInvalidArgument,
                          "document: nested deeper than " + std::to_string(max_depth) + " levels");
    } else if (c == '}' || c == ']') {
      if (--depth < 0)
        return make_error(ErrorCode::kInvalidArgument, "document: unbalanced brackets");
    }
  }
  return {};
}

Result<nlohmann::json> parse_json_strict(std::string_view text, std::string_view what) {
  if (auto r = check_json_depth(text); !r) return std::unexpected(r.error());
  // One key set per open object: nlohmann keeps the last of two equal keys,
  // which would let {"isolated": true, "isolated": false} mean something
  // other than what a reviewer reads first.
  std::vector<std::set<std::string>> open;
  auto cb = [&open](int, json::parse_event_t ev, json& parsed) -> bool {
    switch (ev) {
      case json::parse_event_t::object_start:
        open.emplace_back();
        break;
      case json::parse_event_t::object_end:
        if (!open.empty()) open.pop_back();
        break;
      case json::parse_event_t::key:
        if (!open.empty() && !open.back().insert(parsed.get<std::string>()).second)
          throw DuplicateKey{parsed.get<std::string>()};
        break;
      default:
        break;
    }
    return true;
  };
  try {
    return json::parse(text.begin(), text.end(), cb, /*allow_exceptions=*/true,
                       /*ignore_comments=*/false);
  } catch (const DuplicateKey& d) {
    return make_error(ErrorCode::kInvalidArgument,
                      std::string(what) + ": duplicate key " + quote_for_message(d.key));
  } catch (const json::exception& e) {
    return make_error(ErrorCode::kInvalidArgument,
                      std::string(what) + ": not valid JSON: " + e.what());
  } catch (const std::exception& e) {  // bad_alloc on absurd input
    return make_error(ErrorCode::kInvalidArgument,
                      std::string(what) + ": cannot be parsed: " + e.what());
  }
}

Result<PolicyDoc> parse_policy(std::string_view json_text) {
  auto j = parse_json_strict(json_text);
  if (!j) return std::unexpected(j.error());
  return policy_from_json(*j);
}

Result<JobDoc> job_from_json(const json& j, std::string_view path) {
  if (auto r = check_object(j, path, {"id", "isolated", "peers", "vpc"}); !r)
    return std::unexpected(r.error());
  JobDoc job;
  const json* f = nullptr;
  ISOSWITCH_TRY(f, required(j, path, "id"));
  ISOSWITCH_TRY(job.id, as_string(*f, join(path, "id")));
  if (const json* iso = optional(j, "isolated"))
    ISOSWITCH_TRY(job.isolated, as_bool(*iso, join(path, "isolated")));
  ISOSWITCH_TRY(f, required(j, path, "peers"));
  std::string ppath = join(path, "peers");
  ISOSWITCH_TRY(f, as_array(*f, ppath));
  if (f->size() > kMaxPeersTotal)
    return invalid(ppath, std::to_string(f->size()) + " peers, more than the limit of " +
                              std::to_string(kMaxPeersTotal));
  for (std::size_t i = 0; i < f->size(); ++i) {
    std::string ip;
    std::string epath = index_path(ppath, i);
    ISOSWITCH_TRY(ip, as_string((*f)[i], epath));
    if (auto a4 = parse_ipv4(ip))
      job.peers.push_back(*a4);
    else if (auto a6 = ip.find(':') != std::string::npos ? parse_ipv6(ip) : std::nullopt)
      job.peers6.push_back(*a6);
    else
      return invalid(epath, quote_for_message(ip) + " is not an IPv4 or IPv6 address");
  }
  if (const json* v = optional(j, "vpc")) {
    VpcDoc vpc;
    ISOSWITCH_TRY(vpc, vpc_from_json(*v, join(path, "vpc")));
    job.vpc = std::move(vpc);
  }
  return job;
}

Result<VnicDoc> vnic_from_json(const json& j, std::string_view path) {
  if (auto r = check_object(j, path, {"id", "port", "mac", "ip", "ipv6", "job"}); !r)
    return std::unexpected(r.error());
  VnicDoc v;
  const json* f = nullptr;
  ISOSWITCH_TRY(f, required(j, path, "id"));
  ISOSWITCH_TRY(v.id, as_string(*f, join(path, "id")));
  ISOSWITCH_TRY(f, required(j, path, "port"));
  ISOSWITCH_TRY(v.port, as_string(*f, join(path, "port")));
  ISOSWITCH_TRY(f, required(j, path, "mac"));
  ISOSWITCH_TRY(v.mac, as_mac(*f, join(path, "mac")));
  ISOSWITCH_TRY(f, required(j, path, "ip"));
  ISOSWITCH_TRY(v.ip, as_ipv4(*f, join(path, "ip")));
  if (const json* six = optional(j, "ipv6")) {
    Ipv6Addr a;
    ISOSWITCH_TRY(a, as_ipv6(*six, join(path, "ipv6")));
    v.ipv6 = a;
  }
  ISOSWITCH_TRY(f, required(j, path, "job"));
  ISOSWITCH_TRY(v.job, as_string(*f, join(path, "job")));
  return v;
}

Result<PolicyDoc> policy_from_json(const json& j) {
  auto doc = policy_from_json_unvalidated(j);
  if (!doc) return doc;
  if (auto r = validate(*doc); !r) return std::unexpected(r.error());
  return doc;
}

Result<PolicyDoc> policy_from_json_unvalidated(const json& j) {
  try {
    if (auto r = check_object(j, "", {"version", "host", "jobs", "vnics"}); !r)
      return std::unexpected(r.error());
    PolicyDoc doc;
    const json* f = nullptr;
    ISOSWITCH_TRY(f, required(j, "", "version"));
    int64_t version = 0;
    if (!f->is_number_integer())
      return invalid("version", std::string("expected an integer, got ") + f->type_name());
    ISOSWITCH_TRY(version, as_int(*f, "version", INT64_MIN, INT64_MAX));
    if (version != kPolicyVersion)
      return invalid("version", std::to_string(version) + " is not supported (expected " +
                                    std::to_string(kPolicyVersion) + ")");
    doc.version = kPolicyVersion;
    ISOSWITCH_TRY(f, required(j, "", "host"));
    ISOSWITCH_TRY(doc.host, host_from_json(*f, "host"));

    ISOSWITCH_TRY(f, required(j, "", "jobs"));
    ISOSWITCH_TRY(f, as_array(*f, "jobs"));
    if (f->size() > kMaxJobs)
      return invalid("jobs", std::to_string(f->size()) + " jobs, more than the limit of " +
                                 std::to_string(kMaxJobs));
    doc.jobs.reserve(f->size());
    for (std::size_t i = 0; i < f->size(); ++i) {
      JobDoc job;
      ISOSWITCH_TRY(job, job_from_json((*f)[i], index_path("jobs", i)));
      doc.jobs.push_back(std::move(job));
    }

    ISOSWITCH_TRY(f, required(j, "", "vnics"));
    ISOSWITCH_TRY(f, as_array(*f, "vnics"));
    if (f->size() > kMaxVnics)
      return invalid("vnics", std::to_string(f->size()) + " vNICs, more than the limit of " +
                                  std::to_string(kMaxVnics));
    doc.vnics.reserve(f->size());
    for (std::size_t i = 0; i < f->size(); ++i) {
      VnicDoc v;
      ISOSWITCH_TRY(v, vnic_from_json((*f)[i], index_path("vnics", i)));
      doc.vnics.push_back(std::move(v));
    }

    return doc;
  } catch (const std::exception& e) {  // bad_alloc; nlohmann accessors are type-checked above
    return make_error(ErrorCode::kInternal, std::string("policy: ") + e.what());
  }
}

#undef ISOSWITCH_TRY

json job_to_json(const JobDoc& job) {
  json peers = json::array();
  for (Ipv4Addr a : job.peers) peers.push_back(to_string(a));
  for (const Ipv6Addr& a : job.peers6) peers.push_back(to_string(a));
  json j = {{"id", job.id}, {"isolated", job.isolated}, {"peers", std::move(peers)}};
  if (job.vpc) {
    json prefixes = json::array();
    for (const Ipv4Prefix& p : job.vpc->prefixes) prefixes.push_back(to_string(p));
    j["vpc"] = {{"vlan", job.vpc->vlan},
                {"gateway_mac", mac_json(job.vpc->gateway_mac)},
                {"agent_ip", to_string(job.vpc->agent_ip)},
                {"prefixes", std::move(prefixes)}};
  }
  return j;
}

json vnic_to_json(const VnicDoc& v) {
  json j = {{"id", v.id},
            {"port", v.port},
            {"mac", mac_json(v.mac)},
            {"ip", to_string(v.ip)},
            {"job", v.job}};
  if (v.ipv6) j["ipv6"] = to_string(*v.ipv6);
  return j;
}

json policy_to_json(const PolicyDoc& doc) {
  json host = {{"gateway_mac", mac_json(doc.host.gateway_mac)},
               {"uplink",
                {{"port", doc.host.uplink.port},
                 {"mac", mac_json(doc.host.uplink.mac)},
                 {"ip", to_string(doc.host.uplink.ip)},
                 {"next_hop_mac", mac_json(doc.host.uplink.next_hop_mac)}}}};
  if (doc.host.gateway_ip) host["gateway_ip"] = to_string(*doc.host.gateway_ip);
  if (doc.host.agent)
    host["agent"] = {{"port", doc.host.agent->port},
                     {"mac", mac_json(doc.host.agent->mac)},
                     {"service_ip", to_string(doc.host.agent->service_ip)}};
  json jobs = json::array();
  for (const JobDoc& job : doc.jobs) jobs.push_back(job_to_json(job));
  json vnics = json::array();
  for (const VnicDoc& v : doc.vnics) vnics.push_back(vnic_to_json(v));
  return {{"version", doc.version},
          {"host", std::move(host)},
          {"jobs", std::move(jobs)},
          {"vnics", std::move(vnics)}};
}

}  // namespace isoswitch::ctl
