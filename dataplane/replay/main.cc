// isoswitch-replay: see replay_main.h and docs/replay.md.
#include "dataplane/replay/replay_main.h"

int main(int argc, char** argv) {
  return isoswitch::replay::replay_main(argc, argv);
}
