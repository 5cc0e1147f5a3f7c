#pragma once

// Private to src/store: the one writer thread. Writes queue up while a
// commit is in flight and the next transaction takes all of them (up to
// max_batch), so N concurrent enrollments cost one fsync, not N.
//
// Posted writes (audit rows) nobody waits for are committed without an fsync
// (synchronous = NORMAL: safe from a process crash, like the audit line in
// audit.log) and wait up to post_window for company, so a stream of cacerts
// answers costs one small commit per window, not one per request. The next
// waited-for commit syncs the log, and them with it.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "completion.hpp"
#include "estd/core/error.hpp"
#include "sqlite.hpp"

namespace estd::store {

class GroupCommitWriter {
  public:
    // Runs inside the batch's transaction. A job is one SQL statement, so a
    // failing job is undone alone by SQLite (a statement that fails leaves
    // nothing behind) and the others still commit. A savepoint per job did
    // the same for an eighth of the writer's instructions: it copied each
    // page the job changed into a journal, spilled to a temporary file.
    using Job = std::function<Status(sqlite3*)>;
    // Told the job's outcome once its transaction committed (durable) or
    // failed, on the writer thread.
    using Done = Completion;

    GroupCommitWriter(sqlite::DbPtr db, std::size_t max_queue, std::size_t max_batch,
                      std::chrono::milliseconds post_window);
    // Commits what is queued, then stops the thread.
    ~GroupCommitWriter();
    GroupCommitWriter(const GroupCommitWriter&) = delete;
    GroupCommitWriter& operator=(const GroupCommitWriter&) = delete;

    // Waits until the job is committed (durable) or failed.
    Status run(Job job);
    // As run, without waiting: `done` is called on the writer thread (or at
    // once, when the job cannot be queued). It must be short and must not
    // wait on this writer.
    void submit(Job job, Done done);
    // Queues the job and returns; an error only when the queue is full. It is
    // committed within post_window, durable at the next run() or flush().
    Status post(Job job);
    // Waits until everything queued before the call is committed.
    Status flush();

    // Transactions committed so far (tests observe the grouping).
    std::size_t commits() const;

  private:
    struct Item {
        Job job;
        Done done;  // empty for a posted job
    };
    // Moves `item` into the queue, or leaves it as it was and says why not.
    Status enqueue(Item& item);
    void loop();
    std::deque<Item> take_batch();
    void commit_batch(std::deque<Item>& batch);
    Status set_synchronous(bool full);
    // Transaction control (BEGIN, SAVEPOINT, ...), prepared once: parsing it
    // for every batch and job cost more than the inserts themselves.
    Status control(const std::string& sql);

    sqlite::DbPtr db_;
    const std::size_t max_queue_;
    const std::size_t max_batch_;
    const std::chrono::milliseconds post_window_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Item> queue_;
    std::size_t waited_for_ = 0;    // queued items whose caller waits
    bool synchronous_full_ = true;  // the writer thread's only
    bool stopping_ = false;
    std::size_t commits_ = 0;
    sqlite::StatementCache control_statements_;  // the writer thread's only
    std::thread thread_;
};

}  // namespace estd::store
