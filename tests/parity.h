// parity.h: runs one op on the CPU and on CUDA (float32 both) and compares.
//
// The same inputs and the same upstream gradient r go to both devices; the outputs and
// the gradient of every input that requires grad must agree within atol + rtol * |cpu|.
// On failure it prints the first mismatching values (at most 10), like llm.c's
// validate_result. Call it only from a CUDA_TEST_CASE (tests/test_util.h).
#pragma once

#include "core/gradcheck.h"

namespace sar::test {

struct ParityOptions {
  double atol = 1e-5;
  double rtol = 1e-4;
  uint64_t seed = 11;  // of r
};

// inputs: CPU tensors (float64 ones are converted to float32; int64 ones are kept).
void parity(const std::string& name, const OpFn& f, const std::vector<Tensor>& inputs,
            const ParityOptions& options = {});

// Compares two tensors element by element (any devices); one CHECK, listing mismatches.
void check_close(const std::string& what, const Tensor& cpu, const Tensor& cuda, double atol, double rtol);

}  // namespace sar::test
