// TOKCOUNT_OUT_OF_MEMORY: an allocation failure inside the library becomes a status code, never
// an exception across the C boundary, and the library works normally afterwards.
//
// Failure on demand needs a replaced global operator new, which affects every allocation of the
// binary, so this test is its own executable (tokcount_oom_tests): the main suite keeps the
// sanitizers' own operator new/delete and their new-vs-free mismatch checks. Every form of
// operator new and delete is replaced, all over malloc/free: a partial set (plain new/delete
// only) leaves the array, nothrow and aligned forms with the sanitizer's allocator, which then
// sees memory from one family freed by the other (ASan's alloc-dealloc-mismatch).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "tokcount/tokcount.h"
#include "tokcount/tokcount.hpp"

namespace {
thread_local bool t_fail_allocations = false;

void* allocate(std::size_t size, std::size_t align) {
  if (t_fail_allocations) return nullptr;
  if (size == 0) size = 1;
  if (align <= alignof(std::max_align_t)) return std::malloc(size);
  // aligned_alloc needs a size that is a multiple of the alignment.
  return std::aligned_alloc(align, (size + align - 1) / align * align);
}
void* allocate_or_throw(std::size_t size, std::size_t align) {
  if (void* p = allocate(size, align)) return p;
  throw std::bad_alloc();
}
}  // namespace

// Out of line so the compiler does not pair malloc() with operator delete across inlining.
[[gnu::noinline]] void* operator new(std::size_t n) { return allocate_or_throw(n, 0); }
[[gnu::noinline]] void* operator new[](std::size_t n) { return allocate_or_throw(n, 0); }
[[gnu::noinline]] void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return allocate(n, 0); }
[[gnu::noinline]] void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return allocate(n, 0); }
[[gnu::noinline]] void* operator new(std::size_t n, std::align_val_t a) {
  return allocate_or_throw(n, static_cast<std::size_t>(a));
}
[[gnu::noinline]] void* operator new[](std::size_t n, std::align_val_t a) {
  return allocate_or_throw(n, static_cast<std::size_t>(a));
}
[[gnu::noinline]] void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return allocate(n, static_cast<std::size_t>(a));
}
[[gnu::noinline]] void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return allocate(n, static_cast<std::size_t>(a));
}
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }

namespace {

TEST(OutOfMemory, AllocationFailureIsOutOfMemoryStatus) {
  tokcount_encoding* enc = nullptr;
  ASSERT_EQ(tokcount_encoding_get("o200k_base", 10, &enc), TOKCOUNT_OK);
  const std::string text = "allocation failure must not escape as an exception";
  std::vector<uint32_t> buf(64);
  size_t n = 0;
  t_fail_allocations = true;
  const tokcount_status status = tokcount_encode(enc, text.data(), text.size(), 0, buf.data(), buf.size(), &n);
  const char* last_message = tokcount_last_error_message();
  t_fail_allocations = false;
  const std::string message = last_message;  // copied only once allocation works again
  EXPECT_EQ(status, TOKCOUNT_OUT_OF_MEMORY);
  EXPECT_FALSE(message.empty());
  // The library works normally afterwards.
  ASSERT_EQ(tokcount_encode(enc, text.data(), text.size(), 0, buf.data(), buf.size(), &n), TOKCOUNT_OK);
  EXPECT_EQ(std::vector<uint32_t>(buf.begin(), buf.begin() + static_cast<long>(n)),
            tokcount::Encoding::get("o200k_base")->encode(text));
  tokcount_encoding_free(enc);
}

}  // namespace
