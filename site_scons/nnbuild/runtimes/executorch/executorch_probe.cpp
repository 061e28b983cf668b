// Loads an ExecuTorch program with the executorch package's runtime and prints
// what its method needs: the bytes its method allocator used (runtime structures:
// values, tensor metadata, instruction arguments) and its planned buffers.
//
//   executorch_probe PROGRAM.pte   ->   method_allocator N / planned_buffer_I N
//
// nnbuild sizes the firmware's static method pool from this (executorch.py).
#include <cstdio>
#include <cstdlib>
#include <vector>

#include <executorch/extension/data_loader/buffer_data_loader.h>
#include <executorch/runtime/core/hierarchical_allocator.h>
#include <executorch/runtime/core/memory_allocator.h>
#include <executorch/runtime/executor/memory_manager.h>
#include <executorch/runtime/executor/method.h>
#include <executorch/runtime/executor/program.h>
#include <executorch/runtime/platform/runtime.h>

using executorch::extension::BufferDataLoader;
using namespace executorch::runtime;

namespace {

// A bump allocator that remembers how far into its buffer it got.
class RecordingAllocator : public MemoryAllocator {
 public:
  RecordingAllocator(uint32_t size, uint8_t* base) : MemoryAllocator(size, base), base_(base) {}
  void* allocate(size_t size, size_t alignment = kDefaultAlignment) override {
    void* p = MemoryAllocator::allocate(size, alignment);
    if (p != nullptr && static_cast<uint8_t*>(p) + size - base_ > static_cast<std::ptrdiff_t>(used)) {
      used = static_cast<uint8_t*>(p) + size - base_;
    }
    return p;
  }
  size_t used = 0;

 private:
  uint8_t* base_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: executorch_probe PROGRAM.pte\n");
    return 2;
  }
  std::FILE* f = std::fopen(argv[1], "rb");
  if (f == nullptr) {
    std::fprintf(stderr, "cannot open %s\n", argv[1]);
    return 2;
  }
  std::vector<uint8_t> pte;
  for (int c; (c = std::fgetc(f)) != EOF;) {
    pte.push_back(static_cast<uint8_t>(c));
  }
  std::fclose(f);
  runtime_init();
  BufferDataLoader loader(pte.data(), pte.size());
  Result<Program> program = Program::load(&loader);
  if (!program.ok()) {
    std::printf("error Program::load failed with error %d\n", static_cast<int>(program.error()));
    return 1;
  }
  Result<MethodMeta> meta = program->method_meta("forward");
  if (!meta.ok()) {
    std::printf("error the program has no method forward\n");
    return 1;
  }
  std::vector<std::vector<uint8_t>> buffers;
  std::vector<Span<uint8_t>> spans;
  for (size_t i = 0; i < meta->num_memory_planned_buffers(); ++i) {
    buffers.emplace_back(static_cast<size_t>(meta->memory_planned_buffer_size(i).get()));
    spans.emplace_back(buffers.back().data(), buffers.back().size());
    std::printf("planned_buffer_%zu %zu\n", i, buffers.back().size());
  }
  HierarchicalAllocator planned({spans.data(), spans.size()});
  std::vector<uint8_t> pool(64 << 20);
  RecordingAllocator method_allocator(static_cast<uint32_t>(pool.size()), pool.data());
  MemoryManager memory(&method_allocator, &planned);
  Result<Method> method = program->load_method("forward", &memory);
  if (!method.ok()) {
    std::printf("error load_method failed with error %d\n", static_cast<int>(method.error()));
    return 1;
  }
  // Zero inputs, so that execute() runs: kernels may allocate scratch at run time.
  std::vector<std::vector<uint8_t>> input_data;
  std::vector<std::vector<executorch::aten::SizesType>> input_sizes;
  std::vector<std::vector<executorch::aten::DimOrderType>> input_dim_order;
  std::vector<executorch::aten::TensorImpl> inputs;
  inputs.reserve(meta->num_inputs());
  for (size_t i = 0; i < meta->num_inputs(); ++i) {
    Result<TensorInfo> info = meta->input_tensor_meta(i);
    if (!info.ok()) {
      std::printf("error input %zu is not a tensor\n", i);
      return 1;
    }
    input_data.emplace_back(info->nbytes());
    input_sizes.emplace_back(info->sizes().begin(), info->sizes().end());
    input_dim_order.emplace_back(info->dim_order().begin(), info->dim_order().end());
    inputs.emplace_back(info->scalar_type(), input_sizes.back().size(), input_sizes.back().data(),
                        input_data.back().data(), input_dim_order.back().data());
    executorch::aten::Tensor tensor(&inputs.back());
    if (method->set_input(EValue(tensor), i) != Error::Ok) {
      std::printf("error set_input %zu failed\n", i);
      return 1;
    }
  }
  Error status = method->execute();
  if (status != Error::Ok) {
    std::printf("error execute failed with error %d\n", static_cast<int>(status));
    return 1;
  }
  std::printf("method_allocator %zu\n", method_allocator.used);
  return 0;
}
