#include "dataplane/replay/summary.h"

#include <algorithm>
#include <cstdio>

namespace isoswitch::replay {

void VerdictCounts::add(Verdict v, DropReason r) noexcept {
  ++frames;
  switch (v) {
    case Verdict::kForward:
      ++forward;
      break;
    case Verdict::kReply:
      ++reply;
      break;
    case Verdict::kDrop:
      ++drop;
      ++reasons[static_cast<std::size_t>(r)];
      break;
  }
}

VerdictCounts& VerdictCounts::operator+=(const VerdictCounts& o) noexcept {
  frames += o.frames;
  forward += o.forward;
  reply += o.reply;
  drop += o.drop;
  for (std::size_t i = 0; i < kNumDropReasons; ++i) reasons[i] += o.reasons[i];
  return *this;
}

VerdictCounts Summary::total() const noexcept {
  VerdictCounts t;
  for (const auto& in : inputs) t += in.counts;
  return t;
}

namespace {

nlohmann::json counts_json(const VerdictCounts& c) {
  nlohmann::json reasons = nlohmann::json::object();
  for (std::size_t i = 0; i < kNumDropReasons; ++i)
    if (c.reasons[i]) reasons[std::string(kDropReasonNames[i])] = c.reasons[i];
  return {{"frames", c.frames},
          {"forward", c.forward},
          {"reply", c.reply},
          {"drop", c.drop},
          {"reasons", reasons}};
}

}  // namespace

nlohmann::json Summary::to_json() const {
  nlohmann::json j;
  j["inputs"] = nlohmann::json::array();
  for (const auto& in : inputs) {
    nlohmann::json e = counts_json(in.counts);
    e["port"] = in.port;
    e["file"] = in.file;
    j["inputs"].push_back(std::move(e));
  }
  j["total"] = counts_json(total());
  j["outputs"] = nlohmann::json::object();
  for (const auto& o : outputs) j["outputs"][o.port] = o.frames;
  return j;
}

std::string Summary::to_table() const {
  // Columns: one per input port, then the total; rows: verdicts, then every
  // drop reason that occurred anywhere.
  VerdictCounts tot = total();
  std::vector<std::string> heads;
  std::vector<const VerdictCounts*> cols;
  for (const auto& in : inputs) {
    heads.push_back(in.port);
    cols.push_back(&in.counts);
  }
  heads.push_back("total");
  cols.push_back(&tot);

  std::size_t label_w = std::string("frames").size();
  for (std::size_t i = 0; i < kNumDropReasons; ++i)
    if (tot.reasons[i]) label_w = std::max(label_w, kDropReasonNames[i].size() + 4);
  std::vector<std::size_t> w;
  for (const auto& h : heads) w.push_back(std::max<std::size_t>(h.size(), 7));

  std::string out;
  auto cell = [&](const std::string& s, std::size_t width, bool left) {
    std::string pad(width > s.size() ? width - s.size() : 0, ' ');
    out += left ? s + pad : pad + s;
  };
  auto row = [&](const std::string& label, auto get) {
    cell(label, label_w, true);
    for (std::size_t c = 0; c < cols.size(); ++c) {
      out += "  ";
      cell(std::to_string(get(*cols[c])), w[c], false);
    }
    out += '\n';
  };

  cell("", label_w, true);
  for (std::size_t c = 0; c < heads.size(); ++c) {
    out += "  ";
    cell(heads[c], w[c], false);
  }
  out += '\n';
  row("frames", [](const VerdictCounts& c) { return c.frames; });
  row("forward", [](const VerdictCounts& c) { return c.forward; });
  row("reply", [](const VerdictCounts& c) { return c.reply; });
  row("drop", [](const VerdictCounts& c) { return c.drop; });
  for (std::size_t i = 0; i < kNumDropReasons; ++i)
    if (tot.reasons[i])
      row("  - " + std::string(kDropReasonNames[i]),
          [i](const VerdictCounts& c) { return c.reasons[i]; });

  out += "\noutput frames:";
  for (const auto& o : outputs) out += " " + o.port + "=" + std::to_string(o.frames);
  out += '\n';
  return out;
}

}  // namespace isoswitch::replay
