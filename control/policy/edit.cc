// Single-object edits; validation is the caller's (see edit.h).
#include "control/policy/edit.h"

#include <algorithm>
#include <string>
#include <utility>

namespace isoswitch::ctl {

Result<void> upsert_job(PolicyDoc& doc, JobDoc job) {
  if (job.id.empty()) return make_error(ErrorCode::kInvalidArgument, "job.id: must not be empty");
  for (JobDoc& j : doc.jobs)
    if (j.id == job.id) {
      j = std::move(job);
      return {};
    }
  doc.jobs.push_back(std::move(job));
  return {};
}

Result<void> delete_job(PolicyDoc& doc, std::string_view id) {
  auto it =
      std::find_if(doc.jobs.begin(), doc.jobs.end(), [&](const JobDoc& j) { return j.id == id; });
  if (it == doc.jobs.end())
    return make_error(ErrorCode::kNotFound, "job \"" + std::string(id) + "\" does not exist");
  for (const VnicDoc& v : doc.vnics)
    if (v.job == id)
      return make_error(ErrorCode::kConflict, "job \"" + std::string(id) + "\" still has vNIC \"" +
                                                  v.id + "\"; delete its vNICs first");
  doc.jobs.erase(it);
  return {};
}

Result<void> upsert_vnic(PolicyDoc& doc, VnicDoc vnic) {
  if (vnic.id.empty()) return make_error(ErrorCode::kInvalidArgument, "vnic.id: must not be empty");
  for (VnicDoc& v : doc.vnics)
    if (v.id == vnic.id) {
      v = std::move(vnic);
      return {};
    }
  doc.vnics.push_back(std::move(vnic));
  return {};
}

Result<void> delete_vnic(PolicyDoc& doc, std::string_view id) {
  auto it = std::find_if(doc.vnics.begin(), doc.vnics.end(),
                         [&](const VnicDoc& v) { return v.id == id; });
  if (it == doc.vnics.end())
    return make_error(ErrorCode::kNotFound, "vNIC \"" + std::string(id) + "\" does not exist");
  doc.vnics.erase(it);
  return {};
}

}  // namespace isoswitch::ctl
