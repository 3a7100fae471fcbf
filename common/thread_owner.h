// Which thread an object belongs to, checked rather than only written in a
// comment (docs/ARCHITECTURE.md "Threads"). An OwnerThread binds to the first
// thread that checks it (or to the caller of Bind), and from then on a check
// from any other thread prints both threads and aborts.
//
// Checked builds: debug builds (no NDEBUG) and sanitizer builds (the build
// defines TUTTI_THREAD_CHECKS for TUTTI_SANITIZE, whose preset is
// RelWithDebInfo and so has NDEBUG). Elsewhere OwnerThread is an empty class
// whose calls compile to nothing.
#pragma once

#if !defined(TUTTI_THREAD_CHECKS) && !defined(NDEBUG)
#define TUTTI_THREAD_CHECKS 1
#endif

#if TUTTI_THREAD_CHECKS
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <thread>
#endif

namespace tutti {

// Where a check was called from. Not std::source_location: clang 14 (the
// fuzz preset's compiler) cannot compile libstdc++ 12's <source_location>;
// the builtins behind it work in both compilers.
struct CallSite {
  const char* file;
  unsigned line;
  const char* function;
  static constexpr CallSite Here(const char* file = __builtin_FILE(),
                                 unsigned line = __builtin_LINE(),
                                 const char* function = __builtin_FUNCTION()) {
    return CallSite{file, line, function};
  }
};

class OwnerThread {
 public:
#if TUTTI_THREAD_CHECKS
  static constexpr bool kChecked = true;

  OwnerThread() = default;
  // An object copied or assigned anew is unbound: its next user owns it.
  OwnerThread(const OwnerThread&) {}
  OwnerThread& operator=(const OwnerThread&) {
    Release();
    return *this;
  }

  // Aborts unless called on the owning thread (binding it when unbound).
  void Check(CallSite where = CallSite::Here()) const {
    const std::thread::id self = std::this_thread::get_id();
    std::thread::id owner{};
    if (owner_.compare_exchange_strong(owner, self) || owner == self) return;
    std::fprintf(stderr, "%s:%u: %s called on thread %zu; its object belongs to thread %zu\n",
                 where.file, where.line, where.function, std::hash<std::thread::id>{}(self),
                 std::hash<std::thread::id>{}(owner));
    std::abort();
  }
  // The calling thread takes the object over (it was handed over, e.g.
  // through a ring).
  void Bind() { owner_.store(std::this_thread::get_id()); }
  // The object is handed on: the next thread to check it owns it.
  void Release() { owner_.store(std::thread::id{}); }

 private:
  mutable std::atomic<std::thread::id> owner_{};
#else
  static constexpr bool kChecked = false;

  void Check(CallSite = CallSite::Here()) const {}
  void Bind() {}
  void Release() {}
#endif
};

}  // namespace tutti
