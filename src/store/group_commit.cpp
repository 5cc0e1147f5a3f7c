#include "group_commit.hpp"

#include <vector>

namespace estd::store {

GroupCommitWriter::GroupCommitWriter(sqlite::DbPtr db, std::size_t max_queue, std::size_t max_batch)
    : db_(std::move(db)),
      max_queue_(max_queue),
      max_batch_(max_batch == 0 ? 1 : max_batch),
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

Status GroupCommitWriter::enqueue(Item item) {
    {
        std::lock_guard lock(mutex_);
        if (stopping_) {
            return Error{503, {}, "store: shutting down"};
        }
        if (queue_.size() >= max_queue_) {
            return Error{503, {}, "store: too many writes waiting; try again"};
        }
        queue_.push_back(std::move(item));
    }
    wake_.notify_one();
    return Ok{};
}

Status GroupCommitWriter::run(Job job) {
    std::promise<Status> promise;
    auto future = promise.get_future();
    if (auto queued = enqueue(Item{std::move(job), std::move(promise)}); !queued) {
        return queued;
    }
    return future.get();
}

Status GroupCommitWriter::post(Job job) {
    return enqueue(Item{std::move(job), std::nullopt});
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
        std::deque<Item> batch;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) {
                return;  // stopping, nothing left
            }
            while (!queue_.empty() && batch.size() < max_batch_) {
                batch.push_back(std::move(queue_.front()));
                queue_.pop_front();
            }
        }
        commit_batch(batch);
    }
}

void GroupCommitWriter::commit_batch(std::deque<Item>& batch) {
    sqlite3* db = db_.get();
    std::vector<Status> results(batch.size(), Status(Ok{}));
    Status transaction = control("BEGIN IMMEDIATE");
    if (transaction) {
        for (std::size_t i = 0; i < batch.size(); ++i) {
            (void)control("SAVEPOINT job");
            results[i] = batch[i].job(db);
            if (!results[i]) {
                (void)control("ROLLBACK TO job");
            }
            (void)control("RELEASE job");
        }
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
            batch[i].done->set_value(transaction ? std::move(results[i]) : Status(transaction));
        }
    }
}

Status GroupCommitWriter::control(const std::string& sql) {
    auto statement = control_statements_.prepare(db_.get(), sql);
    if (!statement) {
        return std::move(statement).take_error();
    }
    return statement->run();
}

}  // namespace estd::store
