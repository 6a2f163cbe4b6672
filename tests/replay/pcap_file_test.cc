// Reading and writing captures: round trip at both precisions, and every
// input error read_capture() must report instead of crashing or guessing.
#include "dataplane/replay/pcap_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "dataplane/replay/pcap_writer.h"

namespace isoswitch::replay {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string t = (fs::temp_directory_path() / "replay-test-XXXXXX").string();
    path_ = ::mkdtemp(t.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void write_bytes(const std::string& path, const std::vector<uint8_t>& b) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

TEST(PcapRoundTrip, MicrosecondFileKeepsFramesAndTimestamps) {
  TempDir d;
  auto w = PcapWriter::create(d.file("a.pcap"), false);
  ASSERT_TRUE(w) << w.error().message;
  std::vector<uint8_t> f1(60, 0xab), f2 = {1, 2, 3};
  ASSERT_TRUE(w->write(1700000000123456789ull, f1.data(), 60));
  ASSERT_TRUE(w->write(1700000001000000000ull, f2.data(), 3));
  ASSERT_TRUE(w->write(1700000002000000000ull, nullptr, 0));  // an empty frame is legal
  ASSERT_TRUE(w->close());

  auto c = read_capture(d.file("a.pcap"));
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_FALSE(c->nanosecond);
  ASSERT_EQ(c->frames.size(), 3u);
  EXPECT_EQ(c->frames[0].ts_ns, 1700000000123456000ull);  // rounded down to microseconds
  EXPECT_EQ(c->frames[1].ts_ns, 1700000001000000000ull);
  EXPECT_EQ(std::vector<uint8_t>(c->bytes(c->frames[0]), c->bytes(c->frames[0]) + 60), f1);
  EXPECT_EQ(std::vector<uint8_t>(c->bytes(c->frames[1]), c->bytes(c->frames[1]) + 3), f2);
  EXPECT_EQ(c->frames[2].len, 0u);
  EXPECT_EQ(c->truncated, 0u);
}

TEST(PcapRoundTrip, NanosecondFileKeepsNanoseconds) {
  TempDir d;
  auto w = PcapWriter::create(d.file("n.pcap"), true);
  ASSERT_TRUE(w);
  uint8_t b[14] = {};
  ASSERT_TRUE(w->write(1700000000123456789ull, b, 14));
  ASSERT_TRUE(w->close());
  auto c = read_capture(d.file("n.pcap"));
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_TRUE(c->nanosecond);
  ASSERT_EQ(c->frames.size(), 1u);
  EXPECT_EQ(c->frames[0].ts_ns, 1700000000123456789ull);
}

TEST(PcapRoundTrip, EmptyCaptureHasNoFrames) {
  TempDir d;
  auto w = PcapWriter::create(d.file("e.pcap"), false);
  ASSERT_TRUE(w);
  ASSERT_TRUE(w->close());
  EXPECT_EQ(read_bytes(d.file("e.pcap")).size(), 24u);
  auto c = read_capture(d.file("e.pcap"));
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->frames.empty());
}

TEST(PcapRoundTrip, SnaplenCutFramesAreCounted) {
  TempDir d;
  // Header, then one record whose caplen (4) < len (100).
  std::vector<uint8_t> b = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0,
                            0,    0,    0,    0,    4, 0, 0, 0, 1, 0, 0, 0};
  uint32_t rec[4] = {1, 0, 4, 100};
  b.insert(b.end(), reinterpret_cast<uint8_t*>(rec), reinterpret_cast<uint8_t*>(rec) + 16);
  b.insert(b.end(), {9, 9, 9, 9});
  write_bytes(d.file("t.pcap"), b);
  auto c = read_capture(d.file("t.pcap"));
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_EQ(c->frames.size(), 1u);
  EXPECT_EQ(c->frames[0].len, 4u);
  EXPECT_EQ(c->frames[0].orig_len, 100u);
  EXPECT_EQ(c->truncated, 1u);
}

TEST(PcapErrors, MissingFileIsNotFound) {
  auto c = read_capture("/nonexistent/dir/x.pcap");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, ErrorCode::kNotFound);
  EXPECT_NE(c.error().message.find("/nonexistent/dir/x.pcap"), std::string::npos);
}

TEST(PcapErrors, DirectoryIsRejected) {
  TempDir d;
  fs::create_directory(d.file("sub"));
  auto c = read_capture(d.file("sub"));
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("directory"), std::string::npos);
}

TEST(PcapErrors, GarbageIsNotACapture) {
  TempDir d;
  write_bytes(d.file("g.pcap"), std::vector<uint8_t>(100, 'x'));
  auto c = read_capture(d.file("g.pcap"));
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, ErrorCode::kInvalidArgument);
}

TEST(PcapErrors, TruncatedFileIsCorrupt) {
  TempDir d;
  auto w = PcapWriter::create(d.file("ok.pcap"), false);
  ASSERT_TRUE(w);
  std::vector<uint8_t> f(60, 1);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(w->write(1000000000ull * (i + 1), f.data(), 60));
  ASSERT_TRUE(w->close());
  auto bytes = read_bytes(d.file("ok.pcap"));
  for (std::size_t cut : {bytes.size() - 10, bytes.size() - 70, std::size_t{24 + 8}}) {
    write_bytes(d.file("cut.pcap"), std::vector<uint8_t>(bytes.begin(), bytes.begin() + cut));
    auto c = read_capture(d.file("cut.pcap"));
    ASSERT_FALSE(c) << "cut at " << cut;
    EXPECT_NE(c.error().message.find("corrupt"), std::string::npos) << c.error().message;
  }
}

TEST(PcapErrors, NonEthernetLinkTypeIsRejected) {
  TempDir d;
  // Classic header with link type 101 (LINKTYPE_RAW, raw IP).
  std::vector<uint8_t> b = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0,   0, 0, 0,
                            0,    0,    0,    0,    0, 0, 4, 0, 101, 0, 0, 0};
  write_bytes(d.file("raw.pcap"), b);
  auto c = read_capture(d.file("raw.pcap"));
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("not Ethernet"), std::string::npos) << c.error().message;
}

TEST(PcapWriterErrors, UncreatableFileIsAnIoError) {
  auto w = PcapWriter::create("/nonexistent/dir/x.pcap", false);
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, ErrorCode::kIo);
}

TEST(PcapWriterErrors, FullDiskIsReportedAtClose) {
  if (!fs::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  auto w = PcapWriter::create("/dev/full", false);
  ASSERT_TRUE(w);  // buffered: the header fits in stdio's buffer
  std::vector<uint8_t> f(60000, 0);
  bool failed = false;
  for (int i = 0; i < 10 && !failed; ++i) failed = !w->write(0, f.data(), 60000);
  auto r = w->close();
  EXPECT_TRUE(failed || !r) << "a write to a full disk must not look like success";
}

}  // namespace
}  // namespace isoswitch::replay
