// The out dir: outputs appear only on commit, and a failed run leaves none.
#include "dataplane/replay/output_set.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace isoswitch::replay {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  TempDir() {
    std::string t = (fs::temp_directory_path() / "replay-out-XXXXXX").string();
    path = ::mkdtemp(t.data());
  }
  ~TempDir() {
    ::chmod(path.c_str(), 0755);
    fs::remove_all(path);
  }
  std::string path;
};

std::size_t entries(const std::string& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++n;
  return n;
}

TEST(OutputSet, CommitPublishesUnderFinalNames) {
  TempDir d;
  {
    auto s = OutputSet::open(d.path + "/new/sub");  // parents created
    ASSERT_TRUE(s) << s.error().message;
    std::ofstream(s->add("a.pcap")) << "A";
    std::ofstream(s->add("verdicts.jsonl")) << "V";
    EXPECT_FALSE(fs::exists(d.path + "/new/sub/a.pcap"));
    ASSERT_TRUE(s->commit());
  }
  EXPECT_TRUE(fs::exists(d.path + "/new/sub/a.pcap"));
  EXPECT_TRUE(fs::exists(d.path + "/new/sub/verdicts.jsonl"));
  EXPECT_EQ(entries(d.path + "/new/sub"), 2u);  // no temporary left behind
}

TEST(OutputSet, WithoutCommitNothingRemains) {
  TempDir d;
  {
    auto s = OutputSet::open(d.path);
    ASSERT_TRUE(s);
    std::ofstream(s->add("a.pcap")) << "A";
    std::ofstream(s->add("verdicts.jsonl")) << "V";
  }
  EXPECT_EQ(entries(d.path), 0u);
}

TEST(OutputSet, NotADirectory) {
  TempDir d;
  std::ofstream(d.path + "/file") << "x";
  auto s = OutputSet::open(d.path + "/file");
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("not a directory"), std::string::npos);
  EXPECT_FALSE(OutputSet::open(d.path + "/file/sub"));
  EXPECT_FALSE(OutputSet::open(""));
}

TEST(OutputSet, UnwritableDirectory) {
  if (::geteuid() == 0) GTEST_SKIP() << "root writes into read-only directories";
  TempDir d;
  ::chmod(d.path.c_str(), 0555);
  auto s = OutputSet::open(d.path);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("not writable"), std::string::npos);
}

TEST(OutputSet, UnwritableEvenForRoot) {
  // No one may create files in /proc/self, root included.
  if (!fs::is_directory("/proc/self")) GTEST_SKIP() << "no /proc";
  auto s = OutputSet::open("/proc/self");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kIo);
}

}  // namespace
}  // namespace isoswitch::replay
