#include "signaling/call/file_offers.h"

namespace tutti {

FileOffer* FileOffers::Add(std::string_view room, sip::Dialog dialog) {
  auto counted = per_room_.find(std::string(room));
  const size_t in_room = counted == per_room_.end() ? 0 : counted->second;
  if (offers_.size() >= options_.max_in_flight || in_room >= options_.max_in_flight_per_room) {
    return nullptr;
  }
  const uint64_t id = next_id_++;
  FileOffer& offer = offers_[id];
  offer.id = id;
  offer.room = std::string(room);
  offer.dialog = std::move(dialog);
  ++per_room_[offer.room];
  return &offer;
}

FileOffer* FileOffers::Find(uint64_t id) {
  auto it = offers_.find(id);
  return it == offers_.end() ? nullptr : &it->second;
}

FileOffer* FileOffers::FindByDialog(const sip::DialogId& id) {
  auto it = by_dialog_.find(id);
  return it == by_dialog_.end() ? nullptr : Find(it->second);
}

void FileOffers::Confirmed(const FileOffer& offer) { by_dialog_[offer.dialog.id()] = offer.id; }

void FileOffers::Remove(uint64_t id) {
  auto it = offers_.find(id);
  if (it == offers_.end()) return;
  auto indexed = by_dialog_.find(it->second.dialog.id());
  if (indexed != by_dialog_.end() && indexed->second == id) by_dialog_.erase(indexed);
  auto counted = per_room_.find(it->second.room);
  if (counted != per_room_.end() && --counted->second == 0) per_room_.erase(counted);
  offers_.erase(it);
}

std::vector<uint64_t> FileOffers::Ids() const {
  std::vector<uint64_t> ids;
  ids.reserve(offers_.size());
  for (const auto& [id, offer] : offers_) ids.push_back(id);
  return ids;
}

size_t FileOffers::InRoom(std::string_view room) const {
  auto it = per_room_.find(std::string(room));
  return it == per_room_.end() ? 0 : it->second;
}

}  // namespace tutti
