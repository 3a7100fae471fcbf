#include "bench/tutti_load/message_traffic.h"

#include <algorithm>
#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "signaling/sip/message_writer.h"

namespace tutti::load {
namespace {

constexpr std::string_view kTagStart = "tutti-load m";
// RFC 3261 non-INVITE transactions over UDP: Timer E from T1 doubling to
// T2, Timer F at 64*T1.
constexpr int64_t kT1Us = 500'000;
constexpr int64_t kT2Us = 4'000'000;
constexpr int64_t kTimerFUs = 64 * kT1Us;
constexpr int kMemberBits = 20;  // calls per run stay far below 2^20

// "z9hG4bK-msg-<run>-<id>": the transaction's id is in its branch.
std::string MessageBranch(const std::string& run_tag, int64_t id) {
  return absl::StrCat("z9hG4bK-msg-", run_tag, "-", id);
}

bool ReadNumber(std::string_view* text, char prefix, int64_t* value) {
  if (text->empty() || text->front() != prefix) return false;
  text->remove_prefix(1);
  size_t digits = 0;
  while (digits < text->size() && digits < 19 && (*text)[digits] >= '0' && (*text)[digits] <= '9') {
    ++digits;
  }
  if (digits == 0) return false;
  *value = std::atoll(std::string(text->substr(0, digits)).c_str());
  text->remove_prefix(digits);
  if (!text->empty() && text->front() == ' ') text->remove_prefix(1);
  return true;
}

// The load<N> user part of a Request-URI: the call it is for.
std::optional<int> CallOfUser(std::string_view user, size_t calls) {
  if (user.substr(0, 4) != "load") return std::nullopt;
  int index = -1;
  if (!absl::SimpleAtoi(absl::string_view(user.data() + 4, user.size() - 4), &index) || index < 0 ||
      static_cast<size_t>(index) >= calls) {
    return std::nullopt;
  }
  return index;
}

}  // namespace

std::string MessageBody(const MessageTag& tag, int size) {
  // kTagStart, then the id.
  std::string body = absl::StrCat("tutti-load m", tag.id, " s", tag.sender, " t", tag.sent_us, " ");
  if (static_cast<int>(body.size()) < size)
    body.append(static_cast<size_t>(size) - body.size(), 'x');
  return body;
}

std::optional<MessageTag> FindMessageTag(std::string_view body) {
  const size_t at = body.find(kTagStart);
  if (at == body.npos) return std::nullopt;
  std::string_view rest = body.substr(at + kTagStart.size() - 1);
  MessageTag tag;
  int64_t sender = 0;
  if (!ReadNumber(&rest, 'm', &tag.id) || !ReadNumber(&rest, 's', &sender) ||
      !ReadNumber(&rest, 't', &tag.sent_us)) {
    return std::nullopt;
  }
  tag.sender = static_cast<int>(sender);
  return tag;
}

MessageTraffic::MessageTraffic(const MessageOptions& options, std::string run_tag, int room_size,
                               const UacEndpoint* endpoint,
                               std::function<std::string(int)> room_name, Sender send)
    : options_(options),
      run_tag_(std::move(run_tag)),
      room_size_(room_size),
      endpoint_(endpoint),
      room_name_(std::move(room_name)),
      send_(std::move(send)) {}

void MessageTraffic::SendDue(int64_t now_us, std::vector<LoadCall>& calls) {
  if (calls.empty() || options_.per_second <= 0) return;
  if (start_us_ < 0) start_us_ = now_us;
  const auto due =
      static_cast<int64_t>(static_cast<double>(now_us - start_us_) / 1e6 * options_.per_second) + 1;
  while (turn_ < due) {
    LoadCall& call = calls[static_cast<size_t>(turn_++ % static_cast<int64_t>(calls.size()))];
    if (call.state != CallState::kUp) {
      ++result_.skipped;
      continue;
    }
    Send(call, calls, now_us);
  }
}

int64_t MessageTraffic::OthersUp(const LoadCall& call, const std::vector<LoadCall>& calls) const {
  const size_t first = static_cast<size_t>(call.room) * static_cast<size_t>(room_size_);
  const size_t end = std::min(calls.size(), first + static_cast<size_t>(room_size_));
  int64_t up = 0;
  for (size_t i = first; i < end; ++i) {
    up += (calls[i].state == CallState::kUp && calls[i].index != call.index) ? 1 : 0;
  }
  return up;
}

void MessageTraffic::Send(LoadCall& call, const std::vector<LoadCall>& calls, int64_t now_us) {
  const int64_t id = next_id_++;
  const std::string body = MessageBody({id, call.index, now_us}, options_.body_bytes);
  const std::string branch = MessageBranch(run_tag_, id);
  const std::string room = room_name_(call.room);
  Transaction transaction;
  transaction.text = options_.in_dialog
                         ? MessageInDialogText(call, room, *endpoint_, branch, ++call.cseq, body)
                         : MessageOutOfDialogText(call, room, *endpoint_, branch,
                                                  absl::StrCat("msg-", run_tag_, "-", id), body);
  transaction.first_sent_us = transaction.sent_us = now_us;
  transaction.interval_us = kT1Us;
  transaction.expected = OthersUp(call, calls);
  send_(transaction.text);
  ++result_.sent;
  timers_.emplace(now_us + kT1Us, id);
  in_flight_.emplace(id, std::move(transaction));
  last_event_us_ = now_us;
}

std::optional<int64_t> MessageTraffic::TransactionOf(std::string_view branch) const {
  const std::string prefix = MessageBranch(run_tag_, 0);  // "...-0": all but the id
  const std::string_view head(prefix.data(), prefix.size() - 1);
  if (branch.substr(0, head.size()) != head) return std::nullopt;
  int64_t id = 0;
  const std::string_view digits = branch.substr(head.size());
  if (!absl::SimpleAtoi(absl::string_view(digits.data(), digits.size()), &id)) return std::nullopt;
  return id;
}

bool MessageTraffic::OnResponse(const sip::SipMessage& response, int64_t now_us) {
  if (response.cseq().method != sip::Method::kMessage) return false;
  const std::optional<int64_t> id = TransactionOf(response.top_via().branch);
  if (!id) return false;
  const int status = response.status_code();
  if (status < 200) return true;
  const auto found = in_flight_.find(*id);
  if (found == in_flight_.end()) return true;  // a retransmitted final response
  if (status < 300) {
    ++result_.accepted;
    result_.deliveries_expected += found->second.expected;
  } else {
    ++result_.failed;
    ++result_.failures_by_status[status];
  }
  in_flight_.erase(found);
  last_event_us_ = now_us;
  return true;
}

void MessageTraffic::OnRequest(const sip::SipMessage& request, const std::vector<LoadCall>& calls,
                               int64_t now_us) {
  send_(sip::ResponseTo(request, 200, {}, "tlrecv").Finish());
  const std::optional<int> member = CallOfUser(request.request_uri().user, calls.size());
  const std::optional<MessageTag> tag = FindMessageTag(request.body());
  if (!member || !tag || tag->sender < 0 || static_cast<size_t>(tag->sender) >= calls.size()) {
    ++result_.foreign;
    return;
  }
  const uint64_t key =
      (static_cast<uint64_t>(tag->id) << kMemberBits) | static_cast<uint64_t>(*member);
  if (!received_.insert(key).second) {
    ++result_.duplicates;
    return;
  }
  last_event_us_ = now_us;
  ++result_.deliveries;
  if (request.content_type().find("cpim") != std::string_view::npos) ++result_.cpim;
  if (*member == tag->sender) ++result_.echoes;
  if (calls[static_cast<size_t>(*member)].room != calls[static_cast<size_t>(tag->sender)].room) {
    ++result_.wrong_room;
  }
  latency_ms_.push_back(static_cast<double>(now_us - tag->sent_us) / 1000.0);
}

void MessageTraffic::Timers(int64_t now_us) {
  while (!timers_.empty() && timers_.top().first <= now_us) {
    const int64_t id = timers_.top().second;
    timers_.pop();
    const auto found = in_flight_.find(id);
    if (found == in_flight_.end()) continue;
    Transaction& transaction = found->second;
    if (now_us - transaction.first_sent_us >= kTimerFUs) {
      ++result_.failed;
      ++result_.failures_by_status[408];
      in_flight_.erase(found);
      continue;
    }
    send_(transaction.text);
    ++result_.retransmissions;
    transaction.sent_us = now_us;
    transaction.interval_us = std::min(transaction.interval_us * 2, kT2Us);
    timers_.emplace(
        std::min(now_us + transaction.interval_us, transaction.first_sent_us + kTimerFUs), id);
  }
}

bool MessageTraffic::Drained(int64_t now_us, int64_t quiet_us) const {
  if (!in_flight_.empty()) return false;
  return result_.deliveries >= result_.deliveries_expected || now_us - last_event_us_ >= quiet_us;
}

void MessageTraffic::Finish(MessageResult* result) {
  *result = result_;
  if (start_us_ >= 0 && last_event_us_ > start_us_) {
    result->window_s = static_cast<double>(last_event_us_ - start_us_) / 1e6;
    result->messages_per_s = static_cast<double>(result->accepted) / result->window_s;
    result->deliveries_per_s = static_cast<double>(result->deliveries) / result->window_s;
  }
  std::sort(latency_ms_.begin(), latency_ms_.end());
  if (!latency_ms_.empty()) {
    const auto at = [this](double q) {
      return latency_ms_[std::min(
          latency_ms_.size() - 1,
          static_cast<size_t>(q * static_cast<double>(latency_ms_.size())))];
    };
    result->latency_ms = {at(0.5), at(0.99), latency_ms_.back()};
  }
}

}  // namespace tutti::load
