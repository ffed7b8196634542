#include "tests/parity.h"

#include <cmath>
#include <sstream>

#include "core/ops/elementwise.h"
#include "core/ops/reduce.h"
#include "core/rng.h"
#include "core/tape.h"
#include "tests/test_util.h"

namespace sar::test {

void check_close(const std::string& what, const Tensor& cpu, const Tensor& cuda, double atol, double rtol) {
  REQUIRE_MESSAGE(cpu.shape() == cuda.shape(), what, ": shapes differ: cpu ", cpu.shape(), ", cuda ", cuda.shape());
  std::vector<double> a = cpu.to_vector(), b = cuda.to_vector();
  std::ostringstream report;
  int mismatches = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::fabs(a[i] - b[i]) <= atol + rtol * std::fabs(a[i])) continue;
    if (++mismatches <= 10) report << "\n  [" << i << "] cpu " << a[i] << " cuda " << b[i];
  }
  CHECK_MESSAGE(mismatches == 0, what, ": ", mismatches, " of ", a.size(), " elements differ", report.str());
}

// The op on one device: inputs moved there, loss = sum(r * y), backward.
struct Run {
  Tensor y;
  std::vector<Tensor> grads;
};

static Run run_on(Device device, const OpFn& f, const std::vector<Tensor>& inputs, uint64_t seed) {
  std::vector<Tensor> xs;
  for (const Tensor& x : inputs) {
    Tensor moved = (x.dtype() == DType::F64 ? x.to(DType::F32) : x.clone()).to(device);
    if (x.requires_grad()) moved.set_requires_grad();
    xs.push_back(moved);
  }
  Run run;
  run.y = f(xs);
  if (run.y.requires_grad()) {
    Generator gen(seed);
    Tensor r = rand(run.y.shape(), gen, DType::F32, Device::CPU, -1.0, 1.0).to(device);
    backward(sum(mul(run.y, r)));
  }
  for (const Tensor& x : xs) run.grads.push_back(x.requires_grad() ? x.grad() : Tensor());
  return run;
}

void parity(const std::string& name, const OpFn& f, const std::vector<Tensor>& inputs, const ParityOptions& opt) {
  REQUIRE_MESSAGE(cuda_ready(), name, ": parity needs a CUDA device; declare the test with CUDA_TEST_CASE");
  Run cpu = run_on(Device::CPU, f, inputs, opt.seed);
  Run gpu = run_on(Device::CUDA, f, inputs, opt.seed);
  REQUIRE(gpu.y.is_cuda());
  check_close(name + ": output", cpu.y, gpu.y, opt.atol, opt.rtol);
  for (size_t k = 0; k < inputs.size(); ++k) {
    if (!inputs[k].requires_grad()) continue;
    REQUIRE_MESSAGE(cpu.grads[k].defined(), name, ": input ", k, " got no gradient on the CPU");
    REQUIRE_MESSAGE(gpu.grads[k].defined(), name, ": input ", k, " got no gradient on CUDA");
    check_close(name + ": gradient of input " + std::to_string(k), cpu.grads[k], gpu.grads[k], opt.atol, opt.rtol);
  }
}

}  // namespace sar::test
