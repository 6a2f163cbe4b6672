// The policy document's JSON form <-> PolicyDoc (docs/policy.md).
//
// Parsing is strict on purpose: a typo must never weaken isolation, so unknown
// fields, wrong types, duplicate keys and bad address syntax are errors, never
// ignored. Every error is kInvalidArgument with a message that starts with the
// JSON path of the offending value ("jobs[1].vpc.vlan: 5000 is outside 1..4094").
// No function here throws: nlohmann's exceptions (syntax, invalid UTF-8) become
// errors, and text nested deeper than kMaxJsonDepth is refused by a cheap scan
// before nlohmann (which parses recursively) ever sees it.
//
// Thread-safety: pure functions; call from any thread (the control thread in
// the daemon, the CLI, tests).
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "isoswitch/policy_doc.h"
#include "isoswitch/result.h"

namespace isoswitch::ctl {

// The deepest a policy document needs is 5 levels (root, jobs, job, vpc,
// prefixes); anything far deeper is hostile or broken.
inline constexpr int kMaxJsonDepth = 32;

// JSON text -> PolicyDoc: depth scan, parse (duplicate keys refused), syntax, validate().
Result<PolicyDoc> parse_policy(std::string_view json_text);

// Parsed JSON -> PolicyDoc: syntax, then validate().
Result<PolicyDoc> policy_from_json(const nlohmann::json& j);

// Syntax only, for a caller that validates the document it ends up with
// once (start-up: base + journal replay).
Result<PolicyDoc> policy_from_json_unvalidated(const nlohmann::json& j);

// PolicyDoc -> JSON. policy_from_json(policy_to_json(d)) gives back d exactly;
// output is canonical (lowercase MACs, compressed IPv6, IPv4 peers before
// IPv6 peers, "isolated" always present, absent optionals omitted).
nlohmann::json policy_to_json(const PolicyDoc& doc);

// One job / vNIC object (syntax only: types, fields, address syntax, VLAN
// range; no cross-references). `path` prefixes error messages, e.g. "jobs[3]"
// or "job" for a control-socket request.
Result<JobDoc> job_from_json(const nlohmann::json& j, std::string_view path);
Result<VnicDoc> vnic_from_json(const nlohmann::json& j, std::string_view path);
nlohmann::json job_to_json(const JobDoc& j);
nlohmann::json vnic_to_json(const VnicDoc& v);

// The text-level guard parse_policy applies first, exposed for other readers
// of untrusted JSON (the control socket): kInvalidArgument when brackets nest
// deeper than `max_depth` or close more than they open.
Result<void> check_json_depth(std::string_view json_text, int max_depth = kMaxJsonDepth);

// nlohmann::json::parse without exceptions, refusing duplicate object keys
// and (via check_json_depth) nesting bombs. `what` names the text in errors.
Result<nlohmann::json> parse_json_strict(std::string_view json_text,
                                         std::string_view what = "document");

}  // namespace isoswitch::ctl
