#include "control/cli/render.h"

#include <algorithm>
#include <map>
#include <sstream>
#include <vector>

namespace isoswitch::ctl {

namespace {

using nlohmann::json;

std::string text(const json& j, const char* key) {
  if (!j.is_object()) return "-";
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "-";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number() || it->is_boolean()) return it->dump();
  return "-";
}

// Left-aligned columns, two spaces apart.
class Table {
 public:
  explicit Table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
  void row(std::vector<std::string> r) { rows_.push_back(std::move(r)); }
  // A line printed under the previous row, not aligned (drop reasons).
  void note(std::string line) { notes_[rows_.size() - 1].push_back(std::move(line)); }

  std::string str() const {
    std::vector<std::size_t> w;
    for (const auto& r : rows_)
      for (std::size_t i = 0; i < r.size(); ++i) {
        if (w.size() <= i) w.push_back(0);
        w[i] = std::max(w[i], r[i].size());
      }
    std::ostringstream out;
    for (std::size_t k = 0; k < rows_.size(); ++k) {
      std::string line;
      for (std::size_t i = 0; i < rows_[k].size(); ++i) {
        line += rows_[k][i];
        if (i + 1 < rows_[k].size()) line += std::string(w[i] - rows_[k][i].size() + 2, ' ');
      }
      out << line << "\n";
      if (auto it = notes_.find(k); it != notes_.end())
        for (const auto& n : it->second) out << n << "\n";
    }
    return out.str();
  }

 private:
  std::vector<std::vector<std::string>> rows_;
  std::map<std::size_t, std::vector<std::string>> notes_;
};

std::string reasons(const json& counters) {
  auto it = counters.find("drops");
  if (it == counters.end() || !it->is_object() || it->empty()) return "";
  std::string s = "    drops:";
  for (const auto& [name, n] : it->items()) s += " " + name + "=" + (n.is_number() ? n.dump() : "-");
  return s;
}

}  // namespace

std::string render_stats(const json& reply) {
  std::ostringstream out;
  out << "generation " << text(reply, "generation") << "\n\n";

  Table vnics({"VNIC", "JOB", "PORT", "RX_FRAMES", "RX_BYTES", "TX_FRAMES", "TX_BYTES", "DROPS"});
  if (auto it = reply.find("vnics"); it != reply.end() && it->is_object()) {
    for (const auto& [id, c] : it->items()) {
      vnics.row({id, text(c, "job"), text(c, "port"), text(c, "rx_frames"), text(c, "rx_bytes"),
                 text(c, "tx_frames"), text(c, "tx_bytes"), text(c, "drops_total")});
      if (auto r = reasons(c); !r.empty()) vnics.note(r);
    }
  }
  out << vnics.str() << "\n";

  Table ports({"PORT", "ROLE", "VNIC", "RX_FRAMES", "TX_FRAMES", "REPLIES", "DROPS", "TX_DROPPED"});
  if (auto it = reply.find("ports"); it != reply.end() && it->is_array()) {
    for (const json& p : *it) {
      ports.row({text(p, "name"), text(p, "role"), text(p, "vnic"), text(p, "rx_frames"),
                 text(p, "tx_frames"), text(p, "replies"), text(p, "drops_total"),
                 text(p, "tx_dropped")});
      if (auto r = reasons(p); !r.empty()) ports.note(r);
    }
  }
  out << ports.str() << "\n";

  const json t = reply.contains("totals") ? reply["totals"] : json::object();
  out << "total: rx " << text(t, "rx_frames") << " frames " << text(t, "rx_bytes")
      << " bytes, tx " << text(t, "tx_frames") << " frames " << text(t, "tx_bytes")
      << " bytes, replies " << text(t, "replies") << ", drops " << text(t, "drops_total")
      << ", tx_dropped " << text(t, "tx_dropped") << "\n";
  if (auto r = reasons(t); !r.empty()) out << r << "\n";
  return out.str();
}

std::string render_ports(const json& reply) {
  Table t({"INDEX", "NAME", "ROLE", "VNIC"});
  if (auto it = reply.find("ports"); it != reply.end() && it->is_array())
    for (const json& p : *it) t.row({text(p, "index"), text(p, "name"), text(p, "role"), text(p, "vnic")});
  return t.str();
}

std::string render_explain(const json& reply) {
  std::ostringstream out;
  const std::string verdict = text(reply, "verdict");
  out << verdict;
  if (verdict == "drop") out << " (" << text(reply, "reason") << ")";
  else out << " -> " << text(reply, "out_port");
  out << "  rule " << text(reply, "rule") << "  [in " << text(reply, "in_port") << ", generation "
      << text(reply, "generation") << "]\n";
  out << "  " << text(reply, "detail") << "\n";
  return out.str();
}

}  // namespace isoswitch::ctl
