#include "group_commit.hpp"

#include <algorithm>
#include <exception>
#include <future>
#include <memory>
#include <vector>

#include <spdlog/spdlog.h>

namespace estd::store {

GroupCommitWriter::GroupCommitWriter(sqlite::DbPtr db, std::size_t max_queue, std::size_t max_batch,
                                     std::chrono::milliseconds post_window)
    : db_(std::move(db)),
      max_queue_(max_queue),
      max_batch_(max_batch == 0 ? 1 : max_batch),
      post_window_(post_window),
      thread_([this] { loop(); }) {
}

GroupCommitWriter::~GroupCommitWriter() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

Status GroupCommitWriter::enqueue(Item& item) {
    bool wakes_writer = false;
    {
        std::lock_guard lock(mutex_);
        if (stopping_) {
            return Error{ErrorKind::unavailable, {}, "store: shutting down"};
        }
        if (queue_.size() >= max_queue_) {
            return Error{ErrorKind::unavailable, {}, "store: too many writes waiting; try again"};
        }
        const bool waited_for = static_cast<bool>(item.done);
        waited_for_ += waited_for ? 1 : 0;
        queue_.push_back(std::move(item));
        // Only what can end the writer's wait wakes it: a post inside the
        // window must not cost a context switch.
        wakes_writer = waited_for || queue_.size() == 1 || queue_.size() == max_batch_;
    }
    if (wakes_writer) {
        wake_.notify_one();
    }
    return Ok{};
}

Status GroupCommitWriter::run(Job job) {
    auto promise = std::make_shared<std::promise<Status>>();
    auto future = promise->get_future();
    submit(std::move(job), [promise](Status status) { promise->set_value(std::move(status)); });
    return future.get();
}

void GroupCommitWriter::submit(Job job, Done done) {
    Item item{std::move(job), std::move(done)};
    if (auto queued = enqueue(item); !queued) {
        complete(item.done, std::move(queued));
    }
}

Status GroupCommitWriter::post(Job job) {
    Item item{std::move(job), {}};
    return enqueue(item);
}

Status GroupCommitWriter::flush() {
    return run([](sqlite3*) -> Status { return Ok{}; });
}

std::size_t GroupCommitWriter::commits() const {
    std::lock_guard lock(mutex_);
    return commits_;
}

void GroupCommitWriter::loop() {
    for (;;) {
        std::deque<Item> batch = take_batch();
        if (batch.empty()) {
            return;  // stopping, nothing left
        }
        commit_batch(batch);
    }
}

std::deque<GroupCommitWriter::Item> GroupCommitWriter::take_batch() {
    std::unique_lock lock(mutex_);
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    wake_.wait_for(lock, post_window_,
                   [this] { return stopping_ || waited_for_ > 0 || queue_.size() >= max_batch_; });
    std::deque<Item> batch;
    while (!queue_.empty() && batch.size() < max_batch_) {
        waited_for_ -= queue_.front().done ? 1 : 0;
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
    }
    return batch;
}

void GroupCommitWriter::commit_batch(std::deque<Item>& batch) {
    sqlite3* db = db_.get();
    std::vector<Status> results(batch.size(), Status(Ok{}));
    const bool waited_for = std::any_of(
        batch.begin(), batch.end(), [](const Item& item) { return static_cast<bool>(item.done); });
    Status transaction = set_synchronous(waited_for);
    if (transaction) {
        transaction = control("BEGIN IMMEDIATE");
    }
    if (transaction) {
        for (std::size_t i = 0; i < batch.size(); ++i) {
            results[i] = batch[i].job(db);
            if (!results[i] && sqlite3_get_autocommit(db) != 0) {
                // SQLite gave up the whole transaction (a full disk, an I/O
                // error), and with it the jobs before this one.
                transaction = results[i];
                break;
            }
        }
    }
    if (transaction) {
        transaction = control("COMMIT");
        if (!transaction) {
            (void)control("ROLLBACK");
        }
    }
    {
        std::lock_guard lock(mutex_);
        ++commits_;
    }
    for (std::size_t i = 0; i < batch.size(); ++i) {
        if (batch[i].done) {
            complete(batch[i].done, transaction ? std::move(results[i]) : Status(transaction));
        }
    }
}

// FULL syncs the log at COMMIT; NORMAL leaves it to the next FULL commit or
// checkpoint. A waited-for commit therefore also makes every earlier posted
// one durable.
Status GroupCommitWriter::set_synchronous(bool full) {
    if (full == synchronous_full_) {
        return Ok{};
    }
    auto set = control(full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
    if (set) {
        synchronous_full_ = full;
    }
    return set;
}

Status GroupCommitWriter::control(const std::string& sql) {
    auto statement = control_statements_.prepare(db_.get(), sql);
    if (!statement) {
        return std::move(statement).take_error();
    }
    return statement->run();
}

}  // namespace estd::store
