#include "server/room_store.h"

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/temp_path.h"

namespace tutti {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Another process's connection to the same file (sqlite3, a backup tool).
class OtherConnection {
 public:
  explicit OtherConnection(const std::string& path) {
    EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK);
  }
  ~OtherConnection() { sqlite3_close(db_); }
  void Exec(const std::string& sql) {
    char* error = nullptr;
    EXPECT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK)
        << sql << ": " << (error != nullptr ? error : "");
    sqlite3_free(error);
  }
  int64_t Int(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK);
    EXPECT_EQ(sqlite3_step(stmt), SQLITE_ROW);
    const int64_t value = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return value;
  }

 private:
  sqlite3* db_ = nullptr;
};

class RoomStoreTest : public ::testing::Test {
 protected:
  void TearDown() override {
    std::remove(path_.c_str());
    std::remove((path_ + "-journal").c_str());
  }

  std::unique_ptr<RoomStore> OpenStore(absl::Duration busy_timeout = absl::ZeroDuration()) {
    absl::StatusOr<std::unique_ptr<RoomStore>> store = RoomStore::Open(path_, busy_timeout);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }
  mode_t Mode() const {
    struct stat st {};
    EXPECT_EQ(stat(path_.c_str(), &st), 0);
    return st.st_mode & 0777;
  }

  const std::string path_ = testing_support::UniqueTempPath("rooms.db");
};

const StoredRoom kSales{.name = "sales", .fields = R"({"codecs":["PCMA"],"pin":"1234"})"};
const StoredRoom kLocked{.name = "1000", .over_file_room = true, .fields = R"({"locked":true})"};
const StoredRoom kGone{.name = "2000", .over_file_room = true, .deleted = true};

TEST_F(RoomStoreTest, MakesAFileOnlyItsOwnerMayReadWithItsSchemaVersion) {
  const mode_t old_umask = umask(0);  // SQLite alone would make it 0644 now
  ASSERT_NE(OpenStore(), nullptr);
  umask(old_umask);
  EXPECT_EQ(Mode(), 0600u);
  OtherConnection other(path_);
  EXPECT_EQ(other.Int("PRAGMA user_version"), RoomStore::kSchemaVersion);
  EXPECT_EQ(other.Int("PRAGMA application_id"), RoomStore::kApplicationId);
}

TEST_F(RoomStoreTest, KeepsRowsAcrossReopening) {
  {
    std::unique_ptr<RoomStore> store = OpenStore();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Put(kSales).ok());
    ASSERT_TRUE(store->Put(kLocked).ok());
    ASSERT_TRUE(store->Put(kGone).ok());
    StoredRoom changed = kSales;
    changed.fields = R"({"codecs":["PCMU"]})";
    ASSERT_TRUE(store->Put(changed).ok());  // replaces the row of its name
    ASSERT_TRUE(store->Erase("2000").ok());
    ASSERT_TRUE(store->Erase("no-such-room").ok());
  }
  std::unique_ptr<RoomStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  absl::StatusOr<std::vector<StoredRoom>> rows = store->All();
  ASSERT_TRUE(rows.ok()) << rows.status();
  StoredRoom changed = kSales;
  changed.fields = R"({"codecs":["PCMU"]})";
  EXPECT_THAT(*rows, ElementsAre(kLocked, changed));
  absl::StatusOr<std::optional<StoredRoom>> found = store->Find("1000");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(*found, kLocked);
  EXPECT_EQ(*store->Find("2000"), std::nullopt);
}

TEST_F(RoomStoreTest, SetsAFileOthersMayReadBackToOwnerOnly) {
  ASSERT_NE(OpenStore(), nullptr);
  ASSERT_EQ(chmod(path_.c_str(), 0644), 0);
  ASSERT_NE(OpenStore(), nullptr);
  EXPECT_EQ(Mode(), 0600u);
}

TEST_F(RoomStoreTest, RefusesAFileThatIsNotADatabase) {
  std::ofstream(path_) << "[[room]]\nname = \"1000\"\n";
  absl::StatusOr<std::unique_ptr<RoomStore>> store = RoomStore::Open(path_);
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.status().message(), HasSubstr(path_));
  EXPECT_THAT(store.status().message(), HasSubstr("not a database"));
}

TEST_F(RoomStoreTest, RefusesADamagedDatabase) {
  {
    std::unique_ptr<RoomStore> store = OpenStore();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Put(kSales).ok());
  }
  // The rooms table's page (the second; SQLite's default page size) overwritten.
  const int64_t page_size = OtherConnection(path_).Int("PRAGMA page_size");
  std::fstream file(path_, std::ios::in | std::ios::out | std::ios::binary);
  file.seekp(page_size);
  file << std::string(static_cast<size_t>(page_size), '\x5a');
  file.close();
  absl::StatusOr<std::unique_ptr<RoomStore>> store = RoomStore::Open(path_);
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.status().message(), HasSubstr(path_));
}

TEST_F(RoomStoreTest, RefusesADatabaseOfANewerSchemaVersion) {
  {
    std::unique_ptr<RoomStore> store = OpenStore();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Put(kSales).ok());
  }
  OtherConnection(path_).Exec("PRAGMA user_version = " +
                              std::to_string(RoomStore::kSchemaVersion + 1));
  absl::StatusOr<std::unique_ptr<RoomStore>> store = RoomStore::Open(path_);
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.status().message(), HasSubstr("newer tutti"));
  EXPECT_THAT(store.status().message(), HasSubstr(path_));
}

TEST_F(RoomStoreTest, RefusesAnotherProgramsDatabase) {
  OtherConnection(path_).Exec("CREATE TABLE contacts (name TEXT)");
  absl::StatusOr<std::unique_ptr<RoomStore>> store = RoomStore::Open(path_);
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.status().message(), HasSubstr("another program"));
}

TEST_F(RoomStoreTest, AWriteTheDatabaseRefusesFailsAndChangesNothing) {
  std::unique_ptr<RoomStore> store = OpenStore();  // waits for no lock
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Put(kSales).ok());
  {
    OtherConnection other(path_);
    other.Exec("BEGIN EXCLUSIVE");
    StoredRoom changed = kSales;
    changed.fields = "{}";
    absl::Status put = store->Put(changed);
    EXPECT_FALSE(put.ok());
    EXPECT_THAT(put.message(), HasSubstr("locked"));
    EXPECT_FALSE(store->Erase("sales").ok());
    other.Exec("ROLLBACK");
  }
  EXPECT_EQ(*store->Find("sales"), kSales);
}

}  // namespace
}  // namespace tutti
