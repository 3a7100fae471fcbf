#include "signaling/msrp/file_store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "tests/support/temp_path.h"

namespace tutti::msrp {
namespace {

namespace fs = std::filesystem;

// FIPS 180 test vectors.
constexpr char kAbcSha256[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr char kAbcSha1[] = "a9993e364706816aba3e25717850c26c9cd0d89d";
constexpr char kAbcdefSha256[] = "bef57ec7f53a6d40beb640a780a639c83bc29ac8a9816f1fc6c5c6dcd93c4721";

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void WriteRaw(const fs::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

FileDescription Describe(uint64_t size, std::string sha1 = "") {
  return FileDescription{.name = "notes.txt", .type = "text/plain", .size = size, .sha1 = sha1};
}

class FileStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = testing_support::UniqueTempPath("files");
    fs::remove_all(directory_);
    options_.directory = directory_ + "/store";
  }
  void TearDown() override { fs::remove_all(directory_); }

  std::unique_ptr<FileStore> OpenStore() {
    auto store = std::make_unique<FileStore>(options_);
    EXPECT_TRUE(store->Open().ok());
    return store;
  }

  std::unique_ptr<FileUpload> Begin(FileStore& store, const FileDescription& file,
                                    std::string_view room = "1000") {
    absl::StatusOr<std::unique_ptr<FileUpload>> upload =
        store.BeginUpload(room, file, "sip:alice@example.com");
    EXPECT_TRUE(upload.ok()) << upload.status();
    return upload.ok() ? *std::move(upload) : nullptr;
  }

  // Every name in the room's folder.
  std::set<std::string> FolderNames(std::string_view room = "1000") const {
    std::set<std::string> names;
    const fs::path folder = fs::path(options_.directory) / std::string(room);
    if (!fs::exists(folder)) return names;
    for (const auto& entry : fs::directory_iterator(folder)) {
      names.insert(entry.path().filename().string());
    }
    return names;
  }

  std::string directory_;
  FileStoreOptions options_;
};

TEST_F(FileStoreTest, StoresUnderItsSha256WithItsDescription) {
  auto store = OpenStore();
  auto upload = Begin(*store, Describe(3, kAbcSha1));
  ASSERT_TRUE(upload->Write(0, "ab").ok());
  ASSERT_TRUE(upload->Write(2, "c").ok());
  EXPECT_EQ(upload->bytes_received(), 3u);
  absl::StatusOr<StoredFile> stored = upload->Finish();
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->id, kAbcSha256);
  EXPECT_EQ(stored->sha1, kAbcSha1);
  EXPECT_EQ(stored->room, "1000");
  EXPECT_EQ(stored->name, "notes.txt");
  EXPECT_EQ(stored->type, "text/plain");
  EXPECT_EQ(stored->size, 3u);
  EXPECT_EQ(stored->sender, "sip:alice@example.com");
  EXPECT_EQ(ReadAll(stored->path), "abc");
  EXPECT_EQ(FolderNames(), (std::set<std::string>{kAbcSha256, std::string(kAbcSha256) + ".json"}));
  ASSERT_EQ(store->List("1000").size(), 1u);
  EXPECT_EQ(store->List("1000")[0].id, kAbcSha256);
  EXPECT_TRUE(store->Find("1000", kAbcSha256).has_value());
  EXPECT_FALSE(store->Find("2000", kAbcSha256).has_value());
  EXPECT_TRUE(store->List("2000").empty());
}

TEST_F(FileStoreTest, ChunksOutOfOrderAndRepeatedMakeTheSameFile) {
  auto store = OpenStore();
  auto upload = Begin(*store, Describe(6));
  ASSERT_TRUE(upload->Write(4, "ef").ok());
  ASSERT_TRUE(upload->Write(2, "cd").ok());
  ASSERT_TRUE(upload->Write(4, "ef").ok());  // a repeat
  EXPECT_EQ(upload->bytes_received(), 4u);
  EXPECT_EQ(upload->Finish().status().code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(upload->Write(0, "abc").ok());  // overlaps what came
  EXPECT_EQ(upload->bytes_received(), 6u);
  absl::StatusOr<StoredFile> stored = upload->Finish();
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->id, kAbcdefSha256);
  EXPECT_EQ(ReadAll(stored->path), "abcdef");
}

TEST_F(FileStoreTest, ARepeatedByteKeepsItsFirstValueSoTheHashIsOfTheFile) {
  auto store = OpenStore();
  auto upload = Begin(*store, Describe(3));
  ASSERT_TRUE(upload->Write(0, "ab").ok());
  ASSERT_TRUE(upload->Write(1, "Xc").ok());  // 'b' was there first
  absl::StatusOr<StoredFile> stored = upload->Finish();
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->id, kAbcSha256);
  EXPECT_EQ(ReadAll(stored->path), "abc");
}

TEST_F(FileStoreTest, ACountOfBytesIsNotEveryByte) {
  auto store = OpenStore();
  auto upload = Begin(*store, Describe(4));
  ASSERT_TRUE(upload->Write(0, "ab").ok());
  ASSERT_TRUE(upload->Write(0, "ab").ok());  // four bytes written, two distinct
  EXPECT_EQ(upload->Finish().status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(store->List("1000").empty());
}

TEST_F(FileStoreTest, BytesPastTheAnnouncedSizeAreRefused) {
  auto store = OpenStore();
  auto upload = Begin(*store, Describe(3));
  EXPECT_EQ(upload->Write(2, "cd").code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(upload->Write(4, "").code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(upload->Write(UINT64_MAX, "x").code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(upload->bytes_received(), 0u);
}

TEST_F(FileStoreTest, AWrongSha1IsNotStored) {
  auto store = OpenStore();
  auto upload = Begin(*store, Describe(3, "0000000000000000000000000000000000000000"));
  ASSERT_TRUE(upload->Write(0, "abc").ok());
  EXPECT_EQ(upload->Finish().status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(store->List("1000").empty());
  EXPECT_TRUE(FolderNames().empty());
  EXPECT_EQ(upload->Write(0, "abc").code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(FileStoreTest, TheSha1MayBeUpperCase) {
  auto store = OpenStore();
  auto upload = Begin(*store, Describe(3, "A9993E364706816ABA3E25717850C26C9CD0D89D"));
  ASSERT_TRUE(upload->Write(0, "abc").ok());
  EXPECT_TRUE(upload->Finish().ok());
}

TEST_F(FileStoreTest, AnUploadDestroyedBeforeFinishLeavesNothing) {
  auto store = OpenStore();
  auto upload = Begin(*store, Describe(6));
  ASSERT_TRUE(upload->Write(0, "abc").ok());
  EXPECT_EQ(FolderNames().size(), 1u);  // the partial file
  upload.reset();
  EXPECT_TRUE(store->List("1000").empty());
  EXPECT_TRUE(FolderNames().empty());
}

TEST_F(FileStoreTest, OpenRemovesPartialFilesAndListsOnlyCompletePairs) {
  const fs::path room = fs::path(options_.directory) / "1000";
  fs::create_directories(room);
  WriteRaw(room / ".partial-0123", "abc");  // a transfer cut by a crash
  WriteRaw(room / ".partial-4567.json", "{}");
  WriteRaw(room / kAbcSha256, "abc");  // bytes renamed, .json never came
  const std::string lone_json = std::string(kAbcdefSha256) + ".json";
  WriteRaw(room / lone_json,
           R"({"name":"x","type":"","size":6,"sha1":"","sender":"","stored_unix_ms":0})");
  auto store = OpenStore();
  EXPECT_TRUE(store->List("1000").empty());
  EXPECT_EQ(FolderNames(), (std::set<std::string>{kAbcSha256, lone_json}));
}

TEST_F(FileStoreTest, ARestartKeepsTheFiles) {
  StoredFile first;
  {
    auto store = OpenStore();
    auto upload = Begin(*store, Describe(3));
    ASSERT_TRUE(upload->Write(0, "abc").ok());
    absl::StatusOr<StoredFile> stored = upload->Finish();
    ASSERT_TRUE(stored.ok());
    first = *stored;
  }
  auto store = OpenStore();
  std::vector<StoredFile> files = store->List("1000");
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].id, first.id);
  EXPECT_EQ(files[0].name, first.name);
  EXPECT_EQ(files[0].type, first.type);
  EXPECT_EQ(files[0].size, first.size);
  EXPECT_EQ(files[0].sha1, kAbcSha1);
  EXPECT_EQ(files[0].sender, first.sender);
  EXPECT_EQ(absl::ToUnixMillis(files[0].stored), absl::ToUnixMillis(first.stored));
  EXPECT_EQ(files[0].path, first.path);
}

TEST_F(FileStoreTest, TheSameBytesTwiceAreOneFile) {
  options_.max_bytes_per_room = 6;
  auto store = OpenStore();
  for (int i = 0; i < 2; ++i) {
    auto upload = Begin(*store, Describe(3));
    ASSERT_TRUE(upload->Write(0, "abc").ok());
    absl::StatusOr<StoredFile> stored = upload->Finish();
    ASSERT_TRUE(stored.ok());
    EXPECT_EQ(stored->id, kAbcSha256);
  }
  EXPECT_EQ(store->List("1000").size(), 1u);
  EXPECT_EQ(FolderNames().size(), 2u);
  EXPECT_TRUE(store->BeginUpload("1000", Describe(3), "").ok());  // 3 of 6 bytes used, not 6
}

TEST_F(FileStoreTest, AFileAboveTheSizeLimitIsRefused) {
  options_.max_file_bytes = 10;
  auto store = OpenStore();
  EXPECT_EQ(store->BeginUpload("1000", Describe(11), "").status().code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_TRUE(store->BeginUpload("1000", Describe(10), "").ok());
}

TEST_F(FileStoreTest, TheFileCountCountsUploadsInProgress) {
  options_.max_files_per_room = 2;
  auto store = OpenStore();
  auto stored = Begin(*store, Describe(3));
  ASSERT_TRUE(stored->Write(0, "abc").ok());
  ASSERT_TRUE(stored->Finish().ok());
  auto in_progress = Begin(*store, Describe(3));
  EXPECT_EQ(store->BeginUpload("1000", Describe(3), "").status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(store->BeginUpload("2000", Describe(3), "").ok());  // per room
  in_progress.reset();
  EXPECT_TRUE(store->BeginUpload("1000", Describe(3), "").ok());
}

TEST_F(FileStoreTest, TheRoomsBytesCountUploadsInProgress) {
  options_.max_bytes_per_room = 10;
  auto store = OpenStore();
  auto stored = Begin(*store, Describe(3));
  ASSERT_TRUE(stored->Write(0, "abc").ok());
  ASSERT_TRUE(stored->Finish().ok());
  auto in_progress = Begin(*store, Describe(6));
  EXPECT_EQ(store->BeginUpload("1000", Describe(2), "").status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(store->BeginUpload("1000", Describe(1), "").ok());
  in_progress.reset();
  EXPECT_TRUE(store->BeginUpload("1000", Describe(7), "").ok());
}

TEST_F(FileStoreTest, RoomNamesThatAreNotOneFolderAreRefused) {
  auto store = OpenStore();
  for (std::string_view room : {"", ".", "..", "../1000", "a/b", ".hidden", "/etc"}) {
    EXPECT_EQ(store->BeginUpload(room, Describe(3), "").status().code(),
              absl::StatusCode::kInvalidArgument)
        << room;
  }
  EXPECT_EQ(store->BeginUpload(std::string_view("a\0b", 3), Describe(3), "").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(fs::is_empty(options_.directory));
  EXPECT_EQ(fs::directory_iterator(directory_)->path().filename(), "store");  // nothing beside it
}

TEST_F(FileStoreTest, RemoveRoomDeletesItsFiles) {
  auto store = OpenStore();
  auto upload = Begin(*store, Describe(3));
  ASSERT_TRUE(upload->Write(0, "abc").ok());
  ASSERT_TRUE(upload->Finish().ok());
  store->RemoveRoom("1000");
  EXPECT_TRUE(store->List("1000").empty());
  EXPECT_FALSE(fs::exists(fs::path(options_.directory) / "1000"));
  EXPECT_TRUE(OpenStore()->List("1000").empty());
}

}  // namespace
}  // namespace tutti::msrp
