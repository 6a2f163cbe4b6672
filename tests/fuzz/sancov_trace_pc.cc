// Coverage feedback for libFuzzer when the code under test is built by g++.
//
// Why: the project needs std::expected (C++23), which Debian's clang 14 cannot
// compile against libstdc++ 12, so the fuzz build uses g++. g++ instruments
// with -fsanitize-coverage=trace-pc (one call per basic block) and trace-cmp;
// libFuzzer 14 understands trace-cmp but refuses trace-pc. This file gives
// libFuzzer what it does understand: an 8-bit counter per hashed call site,
// registered with __sanitizer_cov_8bit_counters_init (plus a matching PC
// table), bumped from our own __sanitizer_cov_trace_pc. It must be linked
// before libclang_rt.fuzzer with --allow-multiple-definition so this
// definition wins over libFuzzer's refusing one.
//
// Thread-safety: counters are bumped racily from any thread, as libFuzzer's own
// inline counters are; only coverage precision is at stake.
#include <cstddef>
#include <cstdint>

extern "C" void __sanitizer_cov_8bit_counters_init(uint8_t* begin, uint8_t* end);
extern "C" void __sanitizer_cov_pcs_init(const uintptr_t* begin, const uintptr_t* end);

namespace {

constexpr std::size_t kSlots = std::size_t{1} << 18;
uint8_t g_counters[kSlots];
uintptr_t g_pcs[2 * kSlots];  // {pc, flags} pairs: slot numbers stand in for PCs

struct Register {
  Register() {
    for (std::size_t i = 0; i < kSlots; ++i) {
      g_pcs[2 * i] = i + 1;
      g_pcs[2 * i + 1] = 0;
    }
    __sanitizer_cov_8bit_counters_init(g_counters, g_counters + kSlots);
    __sanitizer_cov_pcs_init(g_pcs, g_pcs + 2 * kSlots);
  }
};
Register g_register __attribute__((init_priority(101)));

}  // namespace

extern "C" __attribute__((no_sanitize_address, no_sanitize("undefined"))) void
__sanitizer_cov_trace_pc() {
  const auto pc = reinterpret_cast<uintptr_t>(__builtin_return_address(0));
  uint8_t& c = g_counters[(pc ^ (pc >> 18)) & (kSlots - 1)];
  c = static_cast<uint8_t>(c + 1);
}

// g++ also instruments floating-point comparisons under trace-cmp; libFuzzer
// has no hooks for them (clang never emits these), so they are no-ops here.
extern "C" void __sanitizer_cov_trace_cmpf(float, float) {}
extern "C" void __sanitizer_cov_trace_cmpd(double, double) {}
