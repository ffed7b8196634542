// main.cpp: doctest's runner, plus a listener that names each test skipped for want of a CUDA
// device, of ../shared/data or of the right to mount a tmpfs, so skips are visible in the output
// and in doctest's summary line. The files the tests wrote go with their folder when the run
// ends (tests/test_util.h).
#define DOCTEST_CONFIG_IMPLEMENT
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/device.h"
#include "tests/test_util.h"

namespace {

struct SkipListener : doctest::IReporter {
  explicit SkipListener(const doctest::ContextOptions&) {}
  void report_query(const doctest::QueryData&) override {}
  void test_run_start() override {}
  void test_run_end(const doctest::TestRunStats&) override {}
  void test_case_start(const doctest::TestCaseData&) override {}
  void test_case_reenter(const doctest::TestCaseData&) override {}
  void test_case_end(const doctest::CurrentTestCaseStats&) override {}
  void test_case_exception(const doctest::TestCaseException&) override {}
  void subcase_start(const doctest::SubcaseSignature&) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData&) override {}
  void log_message(const doctest::MessageData&) override {}
  void test_case_skipped(const doctest::TestCaseData& tc) override {
    if (!tc.m_skip) return;  // filtered out by -tc/-ts, not skipped by a decorator
    const std::string suite = tc.m_test_suite;
    std::printf("skipped: %s (%s)\n", tc.m_name,
                suite == "shared-data" ? "../shared/data not found; set SAR_DATA"
                : suite == "mount"     ? "mounting a tmpfs needs root (CAP_SYS_ADMIN)"
                                       : "no CUDA device");
  }
};
REGISTER_LISTENER("skips", 1, SkipListener);

}  // namespace

int main(int argc, char** argv) {
  std::printf("sar tests: CUDA build %s; %s\n", sar::built_with_cuda() ? "yes" : "no",
              sar::cuda_device_count() > 0 ? ("device: " + sar::cuda_device_description()).c_str()
                                           : ("CUDA tests skipped: " + sar::cuda_unavailable_reason()).c_str());
  std::fflush(stdout);
  doctest::Context context(argc, argv);
  const int status = context.run();
  sar::test::remove_scratch_dir();
  return status;
}
