#include "snmp/TableWalker.h"

#include <algorithm>
#include <exception>
#include <memory>
#include <mutex>
#include <set>

namespace promsnmp {

namespace {

using Status = SnmpResponse::Status;

/// One walk in progress. Lives as long as a request of it is in flight (each callback holds a
/// shared_ptr). State is guarded by `mutex_`: the first requests go out on the caller's thread
/// while answers may already arrive on the client's thread. The client is never called with
/// the mutex held, so a client that answers synchronously cannot deadlock us.
class Walk : public std::enable_shared_from_this<Walk> {
 public:
  Walk(SnmpClient& client, const SnmpTarget& target, std::vector<Oid> columns,
       const TableWalker::Options& options, TableWalker::Done done)
      : client_(client), target_(target), options_(options), done_(std::move(done)) {
    columns_.reserve(columns.size());
    for (Oid& c : columns) {
      ColumnState state;
      state.last = c;
      state.root = std::move(c);
      columns_.push_back(std::move(state));
    }
    result_.columns.resize(columns_.size());
    if (options_.isolateFailures) {
      result_.columnFailures.resize(columns_.size());
    }
    // Room for the expected rows up front (growing a column of ~200-byte rows reallocates and
    // copies it several times); capped, because ifNumber is the agent's claim.
    constexpr uint32_t kReserveCap = 1024;
    for (TableWalker::Column& column : result_.columns) {
      column.reserve(std::min(options_.expectedRows, kReserveCap));
    }
    options_.maxMaxRepetitions = std::max(1, options_.maxMaxRepetitions);
    maxRepetitions_ = std::clamp(options_.initialMaxRepetitions, 1, options_.maxMaxRepetitions);
    columnsPerRequest_ = std::max(1, options_.maxColumnsPerRequest);
    options_.maxParallelRequests = std::max(1, options_.maxParallelRequests);
    v1_ = target_.version == 0;
  }

  void start() {
    std::vector<Outgoing> next;
    bool finish = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      plan(next);
      finish = takeFinish();
    }
    sendAll(next);
    if (finish) {
      done_(std::move(result_));
    }
  }

 private:
  struct ColumnState {
    Oid root;
    Oid last;  // where the next request of this column starts (lastOf: with fullOids, the root)
    bool open = true;
    bool busy = false;  // in a request in flight
    bool solo = false;  // asked alone: it was in a request that failed without naming a varbind
    uint32_t rows = 0;
    std::set<Oid> seen;  // with allowNonincreasingOids: every OID taken, to notice a loop
  };

  struct Outgoing {
    SnmpRequest request;
    std::vector<size_t> columns;
    uint64_t answersBefore = 0;  // answers_ when it was planned
  };

  void onResponse(const std::vector<size_t>& columns, int maxRepetitions, uint64_t answersBefore,
                  SnmpResponse& response) {
    std::vector<Outgoing> next;
    bool finish = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      --inFlight_;
      for (size_t c : columns) {
        columns_[c].busy = false;
      }
      result_.requests += response.packetsSent;
      result_.varbinds += static_cast<uint32_t>(response.varbinds.size());
      if (options_.recordRequests) {
        TableWalker::RequestRecord& record = result_.log.emplace_back();
        record.columns.assign(columns.begin(), columns.end());
        record.packets = response.packetsSent;
      }
      if (!failed_) {
        try {
          handle(columns, maxRepetitions, answersBefore, response);
        } catch (const std::exception& e) {
          fail(Status::Transport, 0, std::string("internal error: ") + e.what());
          result_.internalError = true;
        }
      }
      plan(next);
      finish = takeFinish();
    }
    sendAll(next);
    if (finish) {
      done_(std::move(result_));
    }
  }

  /// Files the response's varbinds (moving their values out) and adapts the request shape.
  void handle(const std::vector<size_t>& columns, int maxRepetitions, uint64_t answersBefore,
              SnmpResponse& response) {
    size_t n = columns.size();
    if (response.status != Status::Timeout) {
      ++answers_;
      silentTimeouts_ = 0;
    }
    switch (response.status) {
      case Status::Ok: {
        bool progress = false;
        if (v1_) {
          for (size_t k = 0; k < n && k < response.varbinds.size(); ++k) {
            progress |= take(columns[k], response.varbinds[k]);
          }
        } else {
          // GETBULK answers repetition by repetition: varbind p belongs to column p mod n.
          for (size_t p = 0; p < response.varbinds.size(); ++p) {
            size_t c = columns[p % n];
            if (columns_[c].open) {
              progress |= take(c, response.varbinds[p]);
            }
          }
          bool complete = response.varbinds.size() >= n * static_cast<size_t>(maxRepetitions);
          bool fast = response.elapsed < options_.fastResponse &&
                      response.elapsed * 4 < std::chrono::milliseconds(target_.timeoutMs);
          // Only columns that go on call for more rows per request: when every column of the
          // request ended in it, the repetitions beyond their ends were filler.
          bool goesOn = std::any_of(columns.begin(), columns.end(),
                                    [&](size_t c) { return columns_[c].open; });
          if (options_.grow && !result_.sawTooBig && complete && fast && goesOn &&
              maxRepetitions >= maxRepetitions_) {
            maxRepetitions_ = std::min(options_.maxMaxRepetitions,
                                       maxRepetitions_ + std::max(1, maxRepetitions_ / 2));
          }
        }
        if (!progress) {
          // Nothing new and nothing closed: asking again would ask the same question forever.
          for (size_t c : columns) {
            columns_[c].open = false;
          }
          truncate("agent answered without usable varbinds for " + columns_[columns[0]].root.str());
        }
        break;
      }
      case Status::TooBig:
        result_.sawTooBig = true;
        if (!v1_ && maxRepetitions > 1) {
          maxRepetitions_ = std::min(maxRepetitions_, std::max(1, maxRepetitions / 2));
        } else if (n > 1) {
          columnsPerRequest_ = std::min(columnsPerRequest_, std::max(1, static_cast<int>(n) / 2));
        } else {
          columns_[columns[0]].open = false;
          truncate("tooBig for a single value of " + columns_[columns[0]].root.str() + " after " +
                   lastOf(columns[0]).str());
        }
        break;
      case Status::ErrorStatus:
        if (v1_ && response.errorStatus == kErrNoSuchName && response.errorIndex >= 1 &&
            static_cast<size_t>(response.errorIndex) <= n) {
          // SNMPv1's end of MIB view: that column is done; the others are asked again.
          columns_[columns[static_cast<size_t>(response.errorIndex) - 1]].open = false;
        } else if (options_.isolateFailures) {
          std::string message = response.message.empty()
                                    ? "error-status " + std::to_string(response.errorStatus)
                                    : response.message;
          if (response.errorIndex >= 1 && static_cast<size_t>(response.errorIndex) <= n) {
            failColumn(columns[static_cast<size_t>(response.errorIndex) - 1], Status::ErrorStatus,
                       response.errorStatus, message);
          } else if (n > 1) {
            for (size_t c : columns) {
              columns_[c].solo = true;  // find the culprit: the others must not fail with it
            }
          } else {
            failColumn(columns[0], Status::ErrorStatus, response.errorStatus, message);
          }
        } else {
          fail(Status::ErrorStatus, response.errorStatus,
               response.message.empty() ? "error-status " + std::to_string(response.errorStatus)
                                        : response.message);
        }
        break;
      case Status::Timeout:
        // The agent is gone when it answered nothing while this request waited, twice in a row;
        // otherwise something in this request hangs: its columns are asked again one by one,
        // and a column that times out alone fails.
        if (!options_.isolateFailures || (answers_ == answersBefore && ++silentTimeouts_ >= 2)) {
          fail(response.status, 0, response.message);
        } else if (n > 1) {
          for (size_t c : columns) {
            columns_[c].solo = true;
          }
        } else {
          failColumn(columns[0], Status::Timeout, 0, response.message);
        }
        break;
      case Status::Authentication:
      case Status::Transport:
        fail(response.status, 0, response.message);
        break;
    }
  }

  /// Files one varbind under column `c` (moving its value); returns false when it closes the
  /// column instead. Rows arrive in ascending order (checked), so filing is an append.
  bool take(size_t c, VarBind& vb) {
    ColumnState& col = columns_[c];
    if (vb.value.isException() || !vb.oid.startsWith(col.root) ||
        vb.oid.size() <= col.root.size()) {
      col.open = false;  // past the end of the column
      return true;
    }
    if (options_.allowNonincreasingOids) {
      if (!col.seen.insert(vb.oid).second) {
        col.open = false;
        truncate("agent returned " + vb.oid.str() + " twice (a loop) after " + lastOf(c).str());
        return true;
      }
    } else if (!(lastOf(c) < vb.oid)) {
      col.open = false;
      truncate("agent returned non-increasing OID " + vb.oid.str() + " after " + lastOf(c).str());
      return true;
    }
    TableWalker::Column& rows = result_.columns[c];
    if (rows.empty() && options_.expectedRows > 0) {
      // Grown by copies otherwise (224 bytes a row); capped, as a short column of a poll with
      // a long one would reserve the long one's rows.
      constexpr uint32_t kMaxReserved = 256;
      rows.reserve(std::min(options_.expectedRows + 1, kMaxReserved));
    }
    if (options_.fullOids) {
      rows.emplace_back(std::move(vb.oid), std::move(vb.value));  // the varbind is spent
    } else {
      rows.emplace_back(vb.oid.suffix(col.root.size()), std::move(vb.value));
      col.last = std::move(vb.oid);  // the varbind is spent: its value moved out above
    }
    ++col.rows;
    return true;
  }

  /// Where column `c`'s next request starts: its last row (kept once, in the rows, when they
  /// carry whole OIDs), or its root before any.
  const Oid& lastOf(size_t c) const {
    const TableWalker::Column& rows = result_.columns[c];
    return options_.fullOids && !rows.empty() ? rows.back().first : columns_[c].last;
  }

  int repetitionsFor(const std::vector<size_t>& columns) const {
    int r = maxRepetitions_;
    if (options_.expectedRows > 0) {
      uint32_t need = 0;
      for (size_t c : columns) {
        uint32_t rows = columns_[c].rows;
        if (rows >= options_.expectedRows) {
          return r;  // more rows than expected: no idea how many are left
        }
        need = std::max(need, options_.expectedRows - rows + 1);  // +1 to see the end
      }
      r = static_cast<int>(std::min<uint32_t>(static_cast<uint32_t>(r), need));
    }
    return std::max(1, r);
  }

  void plan(std::vector<Outgoing>& out) {
    while (!failed_ && inFlight_ < options_.maxParallelRequests) {
      std::vector<size_t> pick;
      for (size_t c = 0;
           c < columns_.size() && pick.size() < static_cast<size_t>(columnsPerRequest_); ++c) {
        if (!columns_[c].open || columns_[c].busy) {
          continue;
        }
        if (columns_[c].solo) {
          if (pick.empty()) {
            pick.push_back(c);
            break;
          }
          continue;
        }
        pick.push_back(c);
      }
      if (pick.empty()) {
        return;
      }
      if (issued_ >= options_.maxRequests) {
        for (ColumnState& col : columns_) {
          if (!col.busy) {
            col.open = false;
          }
        }
        truncate("request limit of " + std::to_string(options_.maxRequests) + " reached");
        return;
      }
      Outgoing o;
      o.request.type = v1_ ? SnmpRequest::Type::GetNext : SnmpRequest::Type::GetBulk;
      o.request.nonRepeaters = 0;
      o.request.maxRepetitions = v1_ ? 0 : repetitionsFor(pick);
      for (size_t c : pick) {
        o.request.oids.push_back(lastOf(c));
        columns_[c].busy = true;
      }
      o.columns = std::move(pick);
      o.answersBefore = answers_;
      ++inFlight_;
      ++issued_;
      out.push_back(std::move(o));
    }
  }

  void sendAll(std::vector<Outgoing>& outgoing) {
    for (Outgoing& o : outgoing) {
      int maxRepetitions = o.request.maxRepetitions;
      uint64_t answersBefore = o.answersBefore;
      client_.send(target_, o.request,
                   [self = shared_from_this(), columns = std::move(o.columns), maxRepetitions,
                    answersBefore](SnmpResponse response) {
                     self->onResponse(columns, maxRepetitions, answersBefore, response);
                   });
    }
  }

  /// True exactly once: when nothing is in flight and nothing more will be asked.
  bool takeFinish() {
    if (finished_ || inFlight_ > 0) {
      return false;
    }
    bool open =
        std::any_of(columns_.begin(), columns_.end(), [](const ColumnState& c) { return c.open; });
    if (open && !failed_) {
      return false;
    }
    finished_ = true;
    result_.maxRepetitions = maxRepetitions_;
    return true;
  }

  void fail(Status status, int errorStatus, std::string message) {
    failed_ = true;
    result_.status = status;
    result_.errorStatus = errorStatus;
    result_.message = std::move(message);
    if (options_.isolateFailures) {
      // Whatever was still to be read fails with the walk; finished columns keep their data.
      for (size_t c = 0; c < columns_.size(); ++c) {
        if (columns_[c].open && !result_.columnFailures[c].failed()) {
          result_.columnFailures[c] = {status, errorStatus, result_.message};
        }
      }
    }
  }

  /// One column failed (`isolateFailures`): it is asked no more; the walk goes on.
  void failColumn(size_t c, Status status, int errorStatus, const std::string& message) {
    columns_[c].open = false;
    result_.columnFailures[c] = {status, errorStatus, message};
  }

  void truncate(const std::string& why) {
    result_.truncated = true;
    if (result_.message.empty()) {
      result_.message = why;
    } else if (result_.message.size() < 400) {
      result_.message += "; " + why;
    }
  }

  SnmpClient& client_;
  SnmpTarget target_;
  TableWalker::Options options_;
  TableWalker::Done done_;

  std::mutex mutex_;
  std::vector<ColumnState> columns_;
  TableWalker::Result result_;
  int maxRepetitions_ = 1;
  int columnsPerRequest_ = 1;
  int inFlight_ = 0;
  uint64_t answers_ = 0;    // responses other than timeouts
  int silentTimeouts_ = 0;  // timeouts in a row during which the agent answered nothing
  uint32_t issued_ = 0;
  bool v1_ = false;
  bool failed_ = false;
  bool finished_ = false;
};

}  // namespace

void TableWalker::walk(SnmpClient& client, const SnmpTarget& target, std::vector<Oid> columns,
                       const Options& options, Done done) {
  std::make_shared<Walk>(client, target, std::move(columns), options, std::move(done))->start();
}

void LearnedRepetitions::apply(const std::string& key, TableWalker::Options& options) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = bySession_.find(key);
  if (it != bySession_.end()) {
    options.initialMaxRepetitions = it->second.maxRepetitions;
    options.grow = !it->second.capped;
  }
}

void LearnedRepetitions::learn(const std::string& key, const TableWalker::Result& walked) {
  if (walked.requests == 0) {
    return;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  Entry& e = bySession_[key];
  e.maxRepetitions = walked.maxRepetitions;
  e.capped = e.capped || walked.sawTooBig;
}

void LearnedRepetitions::forget(const std::string& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  bySession_.erase(key);
}

size_t LearnedRepetitions::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return bySession_.size();
}

}  // namespace promsnmp
