// Single-object edits of a PolicyDoc (the control socket's job/vnic operations).
//
// Edits change the document only; they do not validate, because an edit is
// judged by the whole document it produces: callers copy the running
// document, edit the copy, validate() (or compile()) it and publish it only
// if that succeeds. Order is kept: a replaced object keeps its position (so
// job indices of other jobs do not shift), a new one is appended.
//
// Thread-safety: mutates `doc`; the caller owns it (the control thread).
#pragma once

#include <string>
#include <string_view>

#include "isoswitch/policy_doc.h"
#include "isoswitch/result.h"

namespace isoswitch::ctl {

// Replace the job with the same id, or append it. kInvalidArgument: empty id.
Result<void> upsert_job(PolicyDoc& doc, JobDoc job);

// kNotFound: no such job. kConflict: a vNIC still belongs to it (delete the
// vNICs first; silently orphaning them would leave ports without a job).
Result<void> delete_job(PolicyDoc& doc, std::string_view id);

// Replace the vNIC with the same id, or append it. kInvalidArgument: empty id.
Result<void> upsert_vnic(PolicyDoc& doc, VnicDoc vnic);

// kNotFound: no such vNIC.
Result<void> delete_vnic(PolicyDoc& doc, std::string_view id);

// One of the four edits above as a value: what a single-object request
// carries, what the state journal records (canonical JSON in policy_json.h),
// and what the incremental compiler (incremental.h) plans from.
struct PolicyEdit {
  enum class Kind : uint8_t { kUpsertJob, kDeleteJob, kUpsertVnic, kDeleteVnic };
  Kind kind = Kind::kUpsertJob;
  JobDoc job;      // kUpsertJob
  VnicDoc vnic;    // kUpsertVnic
  std::string id;  // kDeleteJob, kDeleteVnic
};

// The errors the edit would return on `doc`, without editing (same codes
// and messages as the functions above).
Result<void> check_edit(const PolicyDoc& doc, const PolicyEdit& edit);

// Dispatches to upsert_job / delete_job / upsert_vnic / delete_vnic.
Result<void> apply_edit(PolicyDoc& doc, PolicyEdit edit);

}  // namespace isoswitch::ctl
