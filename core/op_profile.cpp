// op_profile.cpp: the per-op timing tables of core/op_profile.h.
#include "core/op_profile.h"

#include <algorithm>
#include <atomic>
#include <cstdio>

#include "core/device.h"
#include "core/error.h"

namespace sar {

static thread_local OpProfile* g_active = nullptr;

OpProfile* active_op_profile() { return g_active; }

std::chrono::steady_clock::time_point profile_clock(Device device) {
  device_synchronize(device);
  return std::chrono::steady_clock::now();
}

static double ms_between(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

static std::atomic<uint64_t> g_last_id{0};

OpProfile::OpProfile() : id_(++g_last_id), last_(std::chrono::steady_clock::now()) {
  SAR_CHECK(g_active == nullptr, "OpProfile: another profile is already active on this thread");
  g_active = this;
}

OpProfile::~OpProfile() { g_active = nullptr; }

void OpProfile::start_pass(Device device) { last_ = profile_clock(device); }

size_t OpProfile::row(const std::string& op, const std::string& shapes) {
  auto [it, added] = row_of_.emplace(op + "|" + shapes, rows_.size());
  if (added) rows_.push_back(OpTimes{op, shapes});
  return it->second;
}

size_t OpProfile::forward(const char* op, const std::string& shapes, Device device) {
  const auto now = profile_clock(device);
  const size_t r = row(op, shapes);
  rows_[r].calls += 1;
  rows_[r].forward_ms += ms_between(last_, now);
  last_ = now;
  return r;
}

void OpProfile::add(const std::string& what, double forward_ms) {
  const size_t r = row(what, "");
  rows_[r].calls += 1;
  rows_[r].forward_ms += forward_ms;
}

std::string OpProfile::tables(int steps, int top) const {
  SAR_CHECK(steps > 0, "OpProfile::tables: steps must be positive, got ", steps);
  std::string out;
  auto line = [&out](const char* format, auto... values) {
    char buffer[512];
    std::snprintf(buffer, sizeof buffer, format, values...);
    out += buffer;
  };
  double total = 0;
  for (const OpTimes& t : rows_) total += t.total_ms();
  auto share = [&](double ms) { return total > 0 ? 100.0 * ms / total : 0.0; };
  auto by_cost = [](const OpTimes& a, const OpTimes& b) { return a.total_ms() > b.total_ms(); };

  std::map<std::string, OpTimes> per_op;
  for (const OpTimes& t : rows_) {
    OpTimes& o = per_op[t.op];
    o.op = t.op;
    o.calls += t.calls;
    o.forward_ms += t.forward_ms;
    o.backward_ms += t.backward_ms;
  }
  std::vector<OpTimes> ops;
  for (const auto& [name, t] : per_op) ops.push_back(t);
  std::sort(ops.begin(), ops.end(), by_cost);
  line("time per step by op (%d profiled steps; %.1f ms per step in all):\n", steps, total / steps);
  line("%-22s %7s %10s %10s %10s %7s\n", "op", "calls", "fwd ms", "bwd ms", "total ms", "share");
  for (const OpTimes& t : ops)
    line("%-22s %7.0f %10.2f %10.2f %10.2f %6.1f%%\n", t.op.c_str(), double(t.calls) / steps, t.forward_ms / steps,
         t.backward_ms / steps, t.total_ms() / steps, share(t.total_ms()));

  std::vector<OpTimes> rows = rows_;
  std::sort(rows.begin(), rows.end(), by_cost);
  rows.resize(std::min(rows.size(), size_t(std::max(top, 0))));
  line("\nthe %zu costliest by op and input shapes, per step:\n", rows.size());
  line("%10s %10s %10s %7s %5s  %-16s %s\n", "fwd ms", "bwd ms", "total ms", "share", "calls", "op", "input shapes");
  for (const OpTimes& t : rows) {
    line("%10.2f %10.2f %10.2f %6.1f%% %5.0f  %-16s ", t.forward_ms / steps, t.backward_ms / steps,
         t.total_ms() / steps, share(t.total_ms()), double(t.calls) / steps, t.op.c_str());
    out += t.shapes + "\n";  // any length
  }
  return out;
}

}  // namespace sar
