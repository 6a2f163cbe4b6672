// The whole isoswitch-replay program behind main(): options, policy, inputs,
// EAL, the pipeline run, the outputs, the summary.
//
// Exit status: 0 success; 2 bad usage or bad input (policy, captures, port
// names, out dir: a message on stderr and no output published); 1 an
// internal failure (EAL or mempool cannot be set up, a pipeline bug).
//
// Thread-safety: call once per process, from main().
#pragma once

namespace isoswitch::replay {

inline constexpr int kExitOk = 0;
inline constexpr int kExitInternal = 1;
inline constexpr int kExitBadInput = 2;

int replay_main(int argc, char** argv);

}  // namespace isoswitch::replay
