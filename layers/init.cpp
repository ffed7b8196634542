// init.cpp: the parameter initializers of layers/init.h, drawn from a Generator.
#include "layers/init.h"

#include <cmath>

namespace sar {

int64_t fan_in(const Tensor& w) {
  SAR_CHECK(w.ndim() >= 2, "fan_in: weight must have at least 2 dims, got ", w.shape());
  return w.numel() / w.size(0);
}

int64_t fan_out(const Tensor& w) {
  SAR_CHECK(w.ndim() >= 2, "fan_out: weight must have at least 2 dims, got ", w.shape());
  return w.numel() / w.size(1);
}

void kaiming_normal_fan_out_(Tensor& weight, Generator& gen) {
  normal_(weight, 0.0, std::sqrt(2.0 / double(fan_out(weight))), gen);
}

void uniform_fan_in_(Tensor& t, int64_t fan_in, Generator& gen) {
  double bound = fan_in > 0 ? 1.0 / std::sqrt(double(fan_in)) : 0.0;
  random_fill_(t, RandomKind::Uniform, -bound, bound, gen);
}

void normal_(Tensor& t, double mean, double std, Generator& gen) { random_fill_(t, RandomKind::Normal, mean, std, gen); }

void constant_(Tensor& t, double value) { t.fill_(value); }

}  // namespace sar
