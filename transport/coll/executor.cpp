// executor.cpp — see executor.hpp.
#include "transport/coll/executor.hpp"

#include <cstring>
#include <stdexcept>
#include <string>

namespace lh::coll {

LandingLayout::LandingLayout(const Plan& plan) : ranks_(plan.ranks), landing_(size_t{plan.ranks} * plan.ranks, 0) {
  const size_t rounds = plan.rounds.size();
  recv_offset_.resize(rounds);
  send_target_.resize(rounds);
  for (size_t k = 0; k < rounds; ++k) {
    recv_offset_[k].resize(ranks_);
    send_target_[k].resize(ranks_);
    for (uint32_t r = 0; r < ranks_; ++r) {
      for (const Transfer& t : plan.rounds[k][r].recvs) {
        uint64_t& cursor = landing_[size_t{r} * ranks_ + t.peer];
        recv_offset_[k][r].push_back(cursor);
        cursor += t.slice.bytes;
      }
    }
    for (uint32_t s = 0; s < ranks_; ++s) {
      for (const Transfer& t : plan.rounds[k][s].sends) {
        const auto& theirs = plan.rounds[k][t.peer].recvs;
        uint32_t i = 0;
        while (i < theirs.size() && !(theirs[i].peer == s && theirs[i].slice == t.slice)) ++i;
        if (i == theirs.size()) {
          throw std::invalid_argument("collective plan: round " + std::to_string(k) + ", rank " + std::to_string(s) +
                                      " sends to rank " + std::to_string(t.peer) + " what it does not receive");
        }
        send_target_[k][s].push_back(Target{recv_offset_[k][t.peer][i], i});
      }
    }
  }
}

uint64_t LandingLayout::recv_offset(uint32_t round, uint32_t receiver, uint32_t index) const {
  return recv_offset_.at(round).at(receiver).at(index);
}

LandingLayout::Target LandingLayout::send_target(uint32_t round, uint32_t sender, uint32_t index) const {
  return send_target_.at(round).at(sender).at(index);
}

uint64_t LandingLayout::landing_bytes(uint32_t receiver, uint32_t sender) const {
  return landing_.at(size_t{receiver} * ranks_ + sender);
}

PlanExecutor::PlanExecutor(uint32_t rank, const Plan& plan, const LandingLayout& layout, DataType type, RedOp op,
                           std::span<uint8_t> buf, uint32_t parity, bool last_round_staged)
    : rank_(rank), plan_(plan), layout_(layout), type_(type), op_(op), buf_(buf), parity_(parity & 1u),
      last_round_staged_(last_round_staged) {
  if (plan.rounds.size() > 0x7FFF) throw std::invalid_argument("collective plan: more than 32767 rounds");
  unfinished_sends_.resize(plan.rounds.size());
  arrived_.resize(plan.rounds.size());
  applied_.resize(plan.rounds.size());
  for (size_t k = 0; k < plan.rounds.size(); ++k) {
    const RankRound& mine = plan.rounds[k].at(rank);
    if (mine.recvs.size() > 0xFFFF) throw std::invalid_argument("collective plan: more than 65535 receives in a round");
    unfinished_sends_[k] = static_cast<uint32_t>(mine.sends.size());
    arrived_[k].resize(mine.recvs.size());
    applied_[k].resize(mine.recvs.size(), false);
  }
  advance();
}

std::optional<PlanExecutor::Post> PlanExecutor::next_post() {
  while (!failed_ && posted_round_ < rounds() && posted_round_ <= round_) {
    const auto& sends = plan_.rounds[posted_round_][rank_].sends;
    if (next_send_ < sends.size()) {
      const Transfer& t = sends[next_send_];
      const LandingLayout::Target target = layout_.send_target(posted_round_, rank_, next_send_);
      Post p{.peer = t.peer,
             .local = std::span<const uint8_t>(buf_.data() + t.slice.offset, t.slice.bytes),
             .remote_offset = target.offset,
             .imm = make_imm(parity_, posted_round_, target.recv_index),
             .id = uint64_t{posted_round_} << 16 | next_send_,
             .last_round = posted_round_ + 1 == rounds()};
      ++next_send_;
      ++pending_sends_;
      return p;
    }
    ++posted_round_;
    next_send_ = 0;
  }
  advance();  // the last round's sends all handed out: the operation may finish
  return std::nullopt;
}

void PlanExecutor::on_write_done(uint64_t id, bool ok) {
  const auto round = static_cast<uint32_t>(id >> 16);
  if (round >= rounds() || unfinished_sends_[round] == 0 || pending_sends_ == 0) {
    failed_ = true;
    return;
  }
  --unfinished_sends_[round];
  --pending_sends_;
  if (!ok) failed_ = true;
  advance();
}

bool PlanExecutor::on_arrival(uint32_t peer, uint32_t imm, std::span<const uint8_t> landing) {
  const uint32_t parity = imm >> 31, round = (imm >> 16) & 0x7FFFu, index = imm & 0xFFFFu;
  if (parity != parity_ || round >= rounds()) return false;
  const auto& recvs = plan_.rounds[round][rank_].recvs;
  if (index >= recvs.size() || recvs[index].peer != peer || arrived_[round][index].has_value()) return false;
  const uint64_t off = layout_.recv_offset(round, rank_, index), bytes = recvs[index].slice.bytes;
  if (off > landing.size() || landing.size() - off < bytes) return false;
  arrived_[round][index] = landing.subspan(off, bytes);
  advance();
  return true;
}

std::optional<uint32_t> PlanExecutor::waiting_for() const {
  if (round_ >= rounds()) return std::nullopt;
  const auto& recvs = plan_.rounds[round_][rank_].recvs;
  for (size_t i = 0; i < recvs.size(); ++i)
    if (!arrived_[round_][i]) return recvs[i].peer;
  return std::nullopt;
}

void PlanExecutor::advance() {
  while (!failed_ && round_ < rounds()) {
    // Every send of an earlier round posted and completed (they read what this round changes).
    if (posted_round_ < round_) return;
    for (uint32_t j = 0; j < round_; ++j)
      if (unfinished_sends_[j] != 0) return;
    const auto& recvs = plan_.rounds[round_][rank_].recvs;
    for (size_t i = 0; i < recvs.size(); ++i)
      if (!arrived_[round_][i]) return;
    for (size_t i = 0; i < recvs.size(); ++i) {
      const Transfer& t = recvs[i];
      const std::span<const uint8_t> in = *arrived_[round_][i];
      uint8_t* dst = buf_.data() + t.slice.offset;
      if (t.reduce) {
        reduce(type_, op_, dst, in.data(), t.slice.bytes / size_of(type_));
      } else {
        std::memcpy(dst, in.data(), t.slice.bytes);
      }
      applied_[round_][i] = true;
    }
    ++round_;
  }
  // Done: every arrival applied, every send posted and completed — the last round's only posted when
  // the caller staged them.
  bool sends_done = pending_sends_ == 0;
  if (last_round_staged_ && !sends_done && rounds() > 0) {
    sends_done = true;
    for (uint32_t j = 0; j + 1 < rounds(); ++j) sends_done = sends_done && unfinished_sends_[j] == 0;
  }
  if (!failed_ && !finished_ && round_ == rounds() && sends_done && posted_round_ == rounds()) {
    if (op_ == RedOp::kAvg) finish_avg(type_, buf_.data(), buf_.size() / size_of(type_), plan_.ranks);
    finished_ = true;
  }
}

}  // namespace lh::coll
