// The threads batch calls run on: created on first use, kept for the life of the process.
//
// Why not a thread per call: every tokenizing thread owns per-vocabulary piece memos
// (merge/piece_memo.hpp) that make most pieces one probe once warm. A thread made for one batch
// call starts cold (and zero-fills its memo) and takes that warmth with it when it exits, so
// short batches on fresh threads ran slower on 2 threads than on 1. Pool threads keep theirs.
//
// Any number of callers may run batches at once; a caller always works on its own batch too,
// so a batch finishes even when every pool thread is busy with other callers' work (helpers
// that have not started when the caller is done are withdrawn, not waited for). After fork()
// the child gets a new, empty pool (the parent's threads do not exist there).
#pragma once

#include <cstddef>
#include <functional>

namespace tokcount::detail {

// Runs body() on the calling thread and on up to `helpers` pool threads at once; returns when
// every started call has returned. body() must take its work items from shared state (e.g. an
// atomic index) and return when there are none left; it must not throw.
void run_on_pool(unsigned helpers, const std::function<void()>& body);

// The same, with a different body on the calling thread (e.g. one that also hands finished
// results to its caller); caller_body() must not throw either.
void run_on_pool(unsigned helpers, const std::function<void()>& helper_body, const std::function<void()>& caller_body);

}  // namespace tokcount::detail
