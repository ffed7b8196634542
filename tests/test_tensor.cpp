// Tensor basics: factories, views, copies across dtypes and devices, printing, errors.
#include <sstream>

#include "core/ops/shape_ops.h"
#include "tests/test_util.h"

using namespace sar;

TEST_CASE("tensor: factories, shape and dtype (float32, cpu)") {
  Tensor z = Tensor::zeros({2, 3, 4});
  CHECK(z.ndim() == 3);
  CHECK(z.numel() == 24);
  CHECK(z.size(-1) == 4);
  CHECK(z.dtype() == DType::F32);
  CHECK(z.device() == Device::CPU);
  CHECK(z.nbytes() == 96);
  for (double v : z.to_vector()) CHECK(v == 0.0);
  CHECK(Tensor::full({3}, 2.5, DType::F64).to_vector() == std::vector<double>{2.5, 2.5, 2.5});
  CHECK(Tensor::arange(4, DType::I64).to_vector() == std::vector<double>{0, 1, 2, 3});
  CHECK(Tensor::ones({}).numel() == 1);  // a 0-dim scalar
  CHECK(Tensor::ones({}).item() == 1.0);
  CHECK(Tensor::empty({0, 3}).numel() == 0);
}

TEST_CASE("tensor: data pointers are 64-byte aligned and dtype-checked (float32, cpu)") {
  Tensor t = Tensor::zeros({17});
  CHECK(reinterpret_cast<uintptr_t>(t.data<float>()) % 64 == 0);
  CHECK_THROWS_WITH_AS(t.data<double>(), doctest::Contains("asked for float64 data of a float32 tensor"), Error);
}

TEST_CASE("tensor: dtype conversion round-trips (float64, cpu)") {
  Tensor d = Tensor::from_vector({1.5, -2.25, 3e9, 7}, {4}, DType::F64);
  Tensor f = d.to(DType::F32);
  CHECK(f.dtype() == DType::F32);
  CHECK(f.to_vector() == std::vector<double>{1.5, -2.25, 3e9, 7});
  CHECK(d.to(DType::I64).to_vector() == std::vector<double>{1, -2, 3e9, 7});  // truncates toward zero
  CHECK(d.to(DType::F64).same(d));  // no copy when already that dtype
}

TEST_CASE("tensor: bfloat16 is stored and converted on the CPU, rounding to nearest even (bfloat16, cpu)") {
  Tensor d = Tensor::from_vector({1.5, -2.25, 1.00390625, 1.01171875, 3e9}, {5}, DType::F64);
  Tensor h = d.to(DType::BF16);
  CHECK(h.nbytes() == 10);
  // 1 + 2^-8 is a tie between 1 and 1 + 2^-7: even mantissa wins (1); 1 + 3*2^-8 rounds up.
  CHECK(h.to_vector() == std::vector<double>{1.5, -2.25, 1.0, 1.015625, 3003121664.0});
  CHECK_THROWS_WITH_AS(h.fill_(1), doctest::Contains("fill_: bfloat16 is storage-only"), Error);
}

TEST_CASE("tensor: clone and copy_ are deep, fill_ and item (float32, cpu)") {
  Tensor a = Tensor::from_vector({1, 2, 3}, {3});
  Tensor b = a.clone();
  b.fill_(9);
  CHECK(a.to_vector() == std::vector<double>{1, 2, 3});
  CHECK(b.to_vector() == std::vector<double>{9, 9, 9});
  b.copy_(Tensor::from_vector({4, 5, 6}, {3}, DType::F64));  // copy_ converts dtype
  CHECK(b.to_vector() == std::vector<double>{4, 5, 6});
  CHECK_THROWS_WITH_AS(b.copy_(Tensor::ones({4})), doctest::Contains("copy_: destination shape [3] != source shape [4]"),
                       Error);
  CHECK_THROWS_WITH_AS(a.item(), doctest::Contains("item: needs a one-element tensor, got shape [3]"), Error);
}

TEST_CASE("tensor: views share storage; reshape and view_rows copy nothing (float32, cpu)") {
  Tensor a = Tensor::arange(12).view_as_shape({3, 4});
  Tensor rows = a.view_rows(1, 3);
  CHECK(rows.shape() == Shape{2, 4});
  CHECK(rows.to_vector()[0] == 4.0);
  rows.fill_(-1);  // writes through to a
  CHECK(a.to_vector()[4] == -1.0);
  CHECK(a.to_vector()[3] == 3.0);
  Tensor r = reshape(a, {4, -1});
  CHECK(r.shape() == Shape{4, 3});
  CHECK(r.raw_data() == a.raw_data());
  CHECK_THROWS_WITH_AS(a.view_rows(2, 4), doctest::Contains("slice: rows [2, 4) out of range for shape [3, 4]"), Error);
  CHECK_THROWS_WITH_AS(reshape(a, {5, -1}), doctest::Contains("reshape: cannot infer"), Error);
}

TEST_CASE("tensor: printing small and large tensors (float32, cpu)") {
  std::ostringstream small, large, undefined;
  small << Tensor::from_vector({1, 2, 3, 4}, {2, 2});
  CHECK(small.str() == "tensor([[1, 2], [3, 4]], float32, cpu)");
  large << Tensor::zeros({10, 10}, DType::F64);
  CHECK(large.str() == "tensor(shape [10, 10], first values [0, 0, 0, 0, 0, 0, ...], float64, cpu)");
  undefined << Tensor();
  CHECK(undefined.str() == "tensor(undefined)");
}

TEST_CASE("shape: broadcasting, strides, axes and limits") {
  CHECK(Shape{2, 3, 5}.strides()[0] == 15);
  CHECK(broadcast_shapes({5, 1, 3}, {4, 1}, "t") == Shape{5, 4, 3});
  CHECK(Shape{2, 3, 5}.axis(-1, "t") == 2);
  CHECK(Shape{2, 3, 5}.outer(1) == 2);
  CHECK(Shape{2, 3, 5}.inner(1) == 5);
  CHECK_THROWS_WITH_AS(Shape({1, 2, 3, 4, 5, 6}), doctest::Contains("shape: at most 5 dims, got 6"), Error);
  CHECK_THROWS_WITH_AS(Shape({2, 3}).axis(2, "sum"), doctest::Contains("sum: axis 2 is out of range for shape [2, 3]"),
                       Error);
}

TEST_CASE("errors: messages end with the throwing file:line") {
  try {
    Shape({2}).axis(3, "max");
    FAIL("no throw");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("(core/shape.cpp:") != std::string::npos);
    CHECK(e.message() == "max: axis 3 is out of range for shape [2]");
    CHECK(e.where().rfind("core/shape.cpp:", 0) == 0);
  }
}

TEST_CASE("errors: bytes a terminal should not receive are written \\xNN; UTF-8 text stays") {
  // A PNG read as JSON: the parser quotes the file's first byte, 0x89, which is no UTF-8.
  const Error png("c.json: not valid JSON: last read: '\x89'", "train/run_config.cpp", 1);
  CHECK(png.message() == "c.json: not valid JSON: last read: '\\x89'");
  const Error text("caf\xc3\xa9/\xe2\x82\xac.json: line 1\n\tline 2 \x1b[31m \xe2\x82", "core/x.cpp", 2);
  CHECK(text.message() == "caf\xc3\xa9/\xe2\x82\xac.json: line 1\n\tline 2 \\x1b[31m \\xe2\\x82");
}

TEST_CASE("device: auto resolves to CPU without a device and says why") {
  std::string choice;
  Device d = resolve_device("auto", &choice);
  if (cuda_device_count() == 0) {
    CHECK(d == Device::CPU);
    CHECK(choice.find("device: cpu (auto: ") == 0);
    const std::string refused = "--device cuda: " + cuda_unavailable_reason();
    CHECK_THROWS_WITH_AS(resolve_device("cuda"), doctest::Contains(refused.c_str()), Error);
    CHECK_THROWS_WITH_AS(Tensor::zeros({2}, DType::F32, Device::CUDA), doctest::Contains("no CUDA device"), Error);
  } else {
    CHECK(d == Device::CUDA);
  }
  CHECK(resolve_device("cpu") == Device::CPU);
  CHECK_THROWS_WITH_AS(resolve_device("gpu"), doctest::Contains("--device: expected auto, cpu or cuda, got 'gpu'"), Error);
}

CUDA_TEST_CASE("tensor: to(cuda) and back, fill and cast on the device (float32, cuda)") {
  Tensor a = Tensor::from_vector({1.5, -2, 3, 1e6, 0.25}, {5});
  Tensor g = a.to(Device::CUDA);
  CHECK(g.is_cuda());
  CHECK(g.to(Device::CPU).to_vector() == a.to_vector());
  CHECK(g.to(DType::F64).to(DType::I64).to(DType::F32).to_vector() == std::vector<double>{1, -2, 3, 1e6, 0});
  Tensor f = Tensor::full({1000}, 3.25, DType::F32, Device::CUDA);
  for (double v : f.to_vector()) REQUIRE(v == 3.25);
  Tensor c = g.clone();
  c.fill_(0);
  CHECK(g.to_vector()[0] == 1.5);
  CHECK(Tensor::full({}, 7, DType::F32, Device::CUDA).item() == 7.0);
}
