// init.h: parameter initializers, in place, from a Generator (so a seed fixes a model).
//
//   kaiming_normal_fan_out_  N(0, sqrt(2 / fan_out)): torchvision's ResNet convs
//                            (mode='fan_out', nonlinearity='relu'); fan_out = dim0 * prod(dims 2..)
//   uniform_fan_in_          U(-1/sqrt(fan_in), 1/sqrt(fan_in)): PyTorch's default for Linear and
//                            Conv weights and biases (kaiming_uniform with a = sqrt(5)); fan_in = prod(dims 1..)
//   normal_, constant_       N(mean, std) and a constant: heads (N(0, 0.001)), BN (1 and 0), bias priors
#pragma once

#include "core/rng.h"
#include "core/tensor.h"

namespace sar {

int64_t fan_in(const Tensor& weight);   // [Cout, Cin, kH, kW] -> Cin*kH*kW; [out, in] -> in
int64_t fan_out(const Tensor& weight);  // [Cout, Cin, kH, kW] -> Cout*kH*kW; [out, in] -> out

void kaiming_normal_fan_out_(Tensor& weight, Generator& gen);
void uniform_fan_in_(Tensor& t, int64_t fan_in, Generator& gen);
void normal_(Tensor& t, double mean, double std, Generator& gen);
void constant_(Tensor& t, double value);

}  // namespace sar
