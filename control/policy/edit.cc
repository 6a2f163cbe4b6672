// Single-object edits; validation is the caller's (see edit.h).
#include "control/policy/edit.h"

#include <algorithm>
#include <string>
#include <utility>

namespace isoswitch::ctl {

namespace {

Result<void> check_upsert_job(const JobDoc& job) {
  if (job.id.empty()) return make_error(ErrorCode::kInvalidArgument, "job.id: must not be empty");
  return {};
}

Result<void> check_delete_job(const PolicyDoc& doc, std::string_view id) {
  if (doc.find_job(std::string(id)) == nullptr)
    return make_error(ErrorCode::kNotFound, "job \"" + std::string(id) + "\" does not exist");
  for (const VnicDoc& v : doc.vnics)
    if (v.job == id)
      return make_error(ErrorCode::kConflict, "job \"" + std::string(id) + "\" still has vNIC \"" +
                                                  v.id + "\"; delete its vNICs first");
  return {};
}

Result<void> check_upsert_vnic(const VnicDoc& vnic) {
  if (vnic.id.empty()) return make_error(ErrorCode::kInvalidArgument, "vnic.id: must not be empty");
  return {};
}

Result<void> check_delete_vnic(const PolicyDoc& doc, std::string_view id) {
  if (doc.find_vnic(std::string(id)) == nullptr)
    return make_error(ErrorCode::kNotFound, "vNIC \"" + std::string(id) + "\" does not exist");
  return {};
}

}  // namespace

Result<void> upsert_job(PolicyDoc& doc, JobDoc job) {
  if (auto r = check_upsert_job(job); !r) return r;
  for (JobDoc& j : doc.jobs)
    if (j.id == job.id) {
      j = std::move(job);
      return {};
    }
  doc.jobs.push_back(std::move(job));
  return {};
}

Result<void> delete_job(PolicyDoc& doc, std::string_view id) {
  if (auto r = check_delete_job(doc, id); !r) return r;
  auto it =
      std::find_if(doc.jobs.begin(), doc.jobs.end(), [&](const JobDoc& j) { return j.id == id; });
  doc.jobs.erase(it);
  return {};
}

Result<void> upsert_vnic(PolicyDoc& doc, VnicDoc vnic) {
  if (auto r = check_upsert_vnic(vnic); !r) return r;
  for (VnicDoc& v : doc.vnics)
    if (v.id == vnic.id) {
      v = std::move(vnic);
      return {};
    }
  doc.vnics.push_back(std::move(vnic));
  return {};
}

Result<void> delete_vnic(PolicyDoc& doc, std::string_view id) {
  if (auto r = check_delete_vnic(doc, id); !r) return r;
  auto it = std::find_if(doc.vnics.begin(), doc.vnics.end(),
                         [&](const VnicDoc& v) { return v.id == id; });
  doc.vnics.erase(it);
  return {};
}

Result<void> check_edit(const PolicyDoc& doc, const PolicyEdit& edit) {
  switch (edit.kind) {
    case PolicyEdit::Kind::kUpsertJob:
      return check_upsert_job(edit.job);
    case PolicyEdit::Kind::kDeleteJob:
      return check_delete_job(doc, edit.id);
    case PolicyEdit::Kind::kUpsertVnic:
      return check_upsert_vnic(edit.vnic);
    case PolicyEdit::Kind::kDeleteVnic:
      return check_delete_vnic(doc, edit.id);
  }
  return make_error(ErrorCode::kInternal, "unknown edit kind");
}

Result<void> apply_edit(PolicyDoc& doc, PolicyEdit edit) {
  switch (edit.kind) {
    case PolicyEdit::Kind::kUpsertJob:
      return upsert_job(doc, std::move(edit.job));
    case PolicyEdit::Kind::kDeleteJob:
      return delete_job(doc, edit.id);
    case PolicyEdit::Kind::kUpsertVnic:
      return upsert_vnic(doc, std::move(edit.vnic));
    case PolicyEdit::Kind::kDeleteVnic:
      return delete_vnic(doc, edit.id);
  }
  return make_error(ErrorCode::kInternal, "unknown edit kind");
}

}  // namespace isoswitch::ctl
