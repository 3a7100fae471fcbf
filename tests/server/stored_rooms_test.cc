#include "server/stored_rooms.h"

#include <sqlite3.h>

#include <cstdio>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/api/room_fields.h"
#include "tests/support/temp_path.h"

namespace tutti {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::IsNull;
using ::testing::NotNull;

RoomConfig Room(std::string name, std::vector<std::string> codecs = {"opus", "PCMU", "PCMA"}) {
  RoomConfig room;
  room.name = std::move(name);
  room.codecs = std::move(codecs);
  return room;
}

// One tuttid's life after another on the same database file: each Run is a
// start with the config file's rooms (the store opened, the rooms restored),
// after which the test acts as the API would.
class StoredRoomsTest : public ::testing::Test {
 protected:
  void TearDown() override { std::remove(path_.c_str()); }

  // A start: the file's rooms, then the stored ones.
  void Run(std::vector<RoomConfig> file_rooms) {
    stored_.reset();
    absl::StatusOr<std::unique_ptr<RoomStore>> store = RoomStore::Open(path_, absl::ZeroDuration());
    ASSERT_TRUE(store.ok()) << store.status();
    rooms_.emplace(file_rooms);
    stored_.emplace(std::move(*store), file_rooms);
    absl::Status restored = stored_->Restore(&*rooms_, "conference");
    ASSERT_TRUE(restored.ok()) << restored;
  }
  // What the rooms handler does on a PATCH (after checking the body).
  void Change(const std::string& name, const nlohmann::json& body) {
    RoomConfig room = *rooms_->Find(name);
    ASSERT_EQ(api::ApplyRoomFields(body, &room), std::nullopt);
    ASSERT_TRUE(stored_->Changed(room, body).ok());
    rooms_->Update(room);
  }
  std::vector<StoredRoom> Rows() {
    absl::StatusOr<std::unique_ptr<RoomStore>> store = RoomStore::Open(path_);
    EXPECT_TRUE(store.ok()) << store.status();
    return *(*store)->All();
  }

  const std::string path_ = testing_support::UniqueTempPath("rooms.db");
  std::optional<RoomDirectory> rooms_;
  std::optional<StoredRooms> stored_;
};

TEST_F(StoredRoomsTest, ARoomMadeThroughTheApiComesBackAsMade) {
  Run({Room("1000")});
  RoomConfig sales = Room("sales", {"PCMA"});
  sales.max_participants = 12;
  sales.pin = "1234";
  sales.moderator_pin = "98765";
  sales.wait_for_moderator = true;
  sales.max_talkers = 2;
  ASSERT_TRUE(stored_->Created(sales).ok());
  rooms_->Add(sales);

  Run({Room("1000")});
  const RoomConfig* restored = rooms_->Find("sales");
  ASSERT_THAT(restored, NotNull());
  EXPECT_EQ(api::RoomFieldsJson(*restored), api::RoomFieldsJson(sales));
  EXPECT_EQ(restored->pin, "1234");
  EXPECT_EQ(restored->codecs, std::vector<std::string>{"PCMA"});
  EXPECT_THAT(rooms_->Find("1000"), NotNull());
}

TEST_F(StoredRoomsTest, AChangeToAFileRoomKeepsOnlyTheFieldsItNamed) {
  Run({Room("1000", {"PCMU"})});
  Change("1000", {{"locked", true}});
  Change("1000", {{"max_talkers", 3}});

  // The file's room edited since: its codecs and limit count, the API's
  // changes still apply over them.
  RoomConfig edited = Room("1000", {"PCMA"});
  edited.max_participants = 5;
  Run({edited});
  const RoomConfig* restored = rooms_->Find("1000");
  ASSERT_THAT(restored, NotNull());
  EXPECT_TRUE(restored->locked);
  EXPECT_EQ(restored->max_talkers, 3);
  EXPECT_EQ(restored->codecs, std::vector<std::string>{"PCMA"});
  EXPECT_EQ(restored->max_participants, 5);
}

TEST_F(StoredRoomsTest, AFileRoomDeletedThroughTheApiStaysDeleted) {
  Run({Room("1000"), Room("2000")});
  ASSERT_TRUE(stored_->Deleted("2000").ok());
  rooms_->Remove("2000");

  Run({Room("1000"), Room("2000")});
  EXPECT_THAT(rooms_->Find("2000"), IsNull());
  EXPECT_THAT(rooms_->Find("1000"), NotNull());

  // Made again through the API: the API's room, not the file's.
  RoomConfig again = Room("2000", {"PCMU"});
  ASSERT_TRUE(stored_->Created(again).ok());
  rooms_->Add(again);
  Run({Room("2000", {"opus"})});
  ASSERT_THAT(rooms_->Find("2000"), NotNull());
  EXPECT_EQ(rooms_->Find("2000")->codecs, std::vector<std::string>{"PCMU"});
}

// A reload compares two of these: the file's rooms, old and new, each with
// the stored changes over them as a start would apply them.
TEST_F(StoredRoomsTest, ConfiguredRoomsAreTheFilesWithTheStoredChangesOver) {
  Run({Room("1000", {"PCMU"}), Room("2000"), Room("3000")});
  Change("1000", {{"locked", true}});
  ASSERT_TRUE(stored_->Deleted("2000").ok());
  rooms_->Remove("2000");
  ASSERT_TRUE(stored_->Created(Room("4000", {"PCMA"})).ok());

  RoomConfig edited = Room("1000", {"PCMA"});
  edited.pin = "77";
  absl::StatusOr<std::vector<RoomConfig>> configured =
      stored_->Configured({edited, Room("2000"), Room("5000")}, "conference");
  ASSERT_TRUE(configured.ok()) << configured.status();
  ASSERT_THAT(*configured,
              ElementsAre(Field(&RoomConfig::name, "1000"), Field(&RoomConfig::name, "4000"),
                          Field(&RoomConfig::name, "5000")));
  EXPECT_TRUE((*configured)[0].locked);   // the API's change
  EXPECT_EQ((*configured)[0].pin, "77");  // the file's new PIN
  EXPECT_EQ((*configured)[0].codecs, std::vector<std::string>{"PCMA"});
  EXPECT_EQ((*configured)[1].codecs, std::vector<std::string>{"PCMA"});
  // Nothing of the running rooms changed.
  EXPECT_THAT(rooms_->Find("3000"), NotNull());
  EXPECT_THAT(rooms_->Find("5000"), IsNull());

  // Without a database: the file's rooms as they are.
  StoredRooms memory(nullptr, {});
  EXPECT_THAT(*memory.Configured({Room("9")}, "conference"),
              ElementsAre(Field(&RoomConfig::name, "9")));
}

// After a reload the file's rooms are the new ones: a change to a room the
// file now has is kept as a change over it.
TEST_F(StoredRoomsTest, AChangeToARoomAReloadAddedIsKeptOverTheFilesRoom) {
  Run({Room("1000")});
  stored_->set_file_rooms({Room("1000"), Room("2000", {"PCMU"})});
  rooms_->Add(Room("2000", {"PCMU"}));
  Change("2000", {{"locked", true}});
  Run({Room("1000"), Room("2000", {"PCMA"})});
  ASSERT_THAT(rooms_->Find("2000"), NotNull());
  EXPECT_TRUE(rooms_->Find("2000")->locked);
  EXPECT_EQ(rooms_->Find("2000")->codecs, std::vector<std::string>{"PCMA"});
}

TEST_F(StoredRoomsTest, ARoomMadeThroughTheApiAndDeletedIsForgotten) {
  Run({});
  ASSERT_TRUE(stored_->Created(Room("sales")).ok());
  ASSERT_TRUE(stored_->Deleted("sales").ok());
  EXPECT_THAT(Rows(), ElementsAre());
}

TEST_F(StoredRoomsTest, AnApiRoomWhoseNameTheFileNowHasReplacesTheFilesRoom) {
  Run({});
  RoomConfig sales = Room("sales", {"opus"});
  ASSERT_TRUE(stored_->Created(sales).ok());
  rooms_->Add(sales);

  RoomConfig file_sales = Room("sales", {"PCMU"});
  file_sales.max_participants = 9;
  Run({file_sales});
  const RoomConfig* restored = rooms_->Find("sales");
  ASSERT_THAT(restored, NotNull());
  EXPECT_EQ(restored->codecs, std::vector<std::string>{"opus"});
  EXPECT_EQ(restored->max_participants, 0);
  // Changed again, it stays the API's whole room.
  Change("sales", {{"locked", true}});
  Run({file_sales});
  EXPECT_EQ(rooms_->Find("sales")->codecs, std::vector<std::string>{"opus"});
  EXPECT_TRUE(rooms_->Find("sales")->locked);
}

TEST_F(StoredRoomsTest, RowsThatCannotBeAppliedAreKeptWhileTheOthersLoad) {
  Run({});
  std::unique_ptr<RoomStore> store = *RoomStore::Open(path_);
  const std::vector<StoredRoom> rows = {
      {.name = "bad-field", .fields = R"({"max_talkers":99})"},
      {.name = "conference", .fields = "{}"},  // the IVR's number
      {.name = "gone", .over_file_room = true, .fields = R"({"locked":true})"},
      {.name = "good", .fields = R"({"codecs":["PCMU"]})"},
      {.name = "not-json", .fields = "{\"codecs\":"},
      {.name = "with space", .fields = "{}"},
  };
  for (const StoredRoom& row : rows) ASSERT_TRUE(store->Put(row).ok());
  store.reset();

  Run({Room("1000")});
  EXPECT_THAT(rooms_->All(),
              ElementsAre(Field(&RoomConfig::name, "1000"), Field(&RoomConfig::name, "good")));
  EXPECT_EQ(Rows(), rows);
}

TEST_F(StoredRoomsTest, WithoutADatabaseWritesSucceedAndNothingIsKept) {
  StoredRooms ephemeral(nullptr, {Room("1000")});
  EXPECT_FALSE(ephemeral.durable());
  EXPECT_TRUE(ephemeral.Created(Room("sales")).ok());
  EXPECT_TRUE(ephemeral.Changed(Room("1000"), {{"locked", true}}).ok());
  EXPECT_TRUE(ephemeral.Deleted("1000").ok());
  RoomDirectory rooms({Room("1000")});
  EXPECT_TRUE(ephemeral.Restore(&rooms, "conference").ok());
  EXPECT_EQ(rooms.size(), 1u);
}

TEST_F(StoredRoomsTest, AWriteTheDatabaseRefusesIsReported) {
  Run({Room("1000")});
  EXPECT_TRUE(stored_->durable());
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);
  EXPECT_FALSE(stored_->Created(Room("sales")).ok());
  EXPECT_FALSE(stored_->Changed(Room("1000"), {{"locked", true}}).ok());
  EXPECT_FALSE(stored_->Deleted("1000").ok());
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  EXPECT_THAT(Rows(), ElementsAre());
}

}  // namespace
}  // namespace tutti
