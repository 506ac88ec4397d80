// dialekt's shim over libtorch's c10d: the process group fairseq2 (torch.distributed)
// trains with, bound through a C ABI that Rust calls (trainer/src/distributed/gang.rs).
//
// A gang is a TCPStore rendezvous at MASTER_ADDR:MASTER_PORT (rank 0 hosts it) and a
// process group over it: ProcessGroupGloo (CPU), or ProcessGroupNCCL on the rank's GPU
// when built with DIALEKT_NCCL (cargo feature `nccl`). Buffers are all-reduced in place:
// the Rust side owns them, c10d sees them as CPU tensors made with from_blob (no copy);
// NCCL reduces a device copy, written back. Every C++ exception is caught here and
// returned as text: none may unwind into Rust.

#include <ATen/ATen.h>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef DIALEKT_NCCL
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAGuard.h>
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>

namespace {

// The process groups a gang can use (the Rust side's `GangBackend`).
constexpr int32_t kGloo = 0;
constexpr int32_t kNccl = 1;

struct Gang {
  c10::intrusive_ptr<c10d::TCPStore> store;
  c10::intrusive_ptr<c10d::Backend> group;
  // Where buffers are reduced: the CPU for Gloo, the rank's GPU for NCCL.
  at::Device device;
};

void set_error(char* error, size_t capacity, const char* message) {
  if (error == nullptr || capacity == 0) return;
  std::strncpy(error, message, capacity - 1);
  error[capacity - 1] = '\0';
}

// Runs `body`, turning any exception into a message and a non-zero return.
template <typename F>
int guarded(char* error, size_t capacity, F body) {
  try {
    body();
    return 0;
  } catch (const c10::Error& e) {
    // c10's what() appends a C++ backtrace that says nothing to a user.
    set_error(error, capacity, e.what_without_backtrace());
  } catch (const std::exception& e) {
    set_error(error, capacity, e.what());
  } catch (...) {
    set_error(error, capacity, "unknown C++ exception");
  }
  return 1;
}

int all_reduce_sum(Gang* gang, void* data, int64_t len, at::ScalarType type, char* error,
                   size_t capacity) {
  return guarded(error, capacity, [&] {
    auto host = at::from_blob(data, {len}, at::TensorOptions().dtype(type).device(at::kCPU));
    c10d::AllreduceOptions options;
    options.reduceOp = c10d::ReduceOp::SUM;
    if (gang->device.is_cpu()) {
      std::vector<at::Tensor> tensors{host};
      gang->group->allreduce(tensors, options)->wait();
      return;
    }
#ifdef DIALEKT_NCCL
    c10::cuda::CUDAGuard guard(gang->device);
    std::vector<at::Tensor> tensors{host.to(gang->device)};
    // wait() orders the current stream after NCCL's; the copy back runs on that stream
    // and is synchronous (pageable memory), so `data` holds the sum on return.
    gang->group->allreduce(tensors, options)->wait();
    host.copy_(tensors[0]);
#endif
  });
}

c10::intrusive_ptr<c10d::Backend> gloo_group(const c10::intrusive_ptr<c10d::TCPStore>& store,
                                             int32_t rank, int32_t world_size,
                                             std::chrono::milliseconds timeout) {
  auto options = c10d::ProcessGroupGloo::Options::create(timeout);
  // As torch.distributed: the interface GLOO_SOCKET_IFNAME names, else the address
  // this host's name resolves to.
  const char* interface = std::getenv("GLOO_SOCKET_IFNAME");
  options->devices.push_back(interface != nullptr && *interface != '\0'
                                 ? c10d::ProcessGroupGloo::createDeviceForInterface(interface)
                                 : c10d::ProcessGroupGloo::createDefaultDevice());
  return c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, world_size, options);
}

#ifdef DIALEKT_NCCL
c10::intrusive_ptr<c10d::Backend> nccl_group(const c10::intrusive_ptr<c10d::TCPStore>& store,
                                             int32_t rank, int32_t world_size,
                                             std::chrono::milliseconds timeout,
                                             int32_t gpu) {
  auto gpus = static_cast<int32_t>(c10::cuda::device_count());
  if (gpu < 0 || gpu >= gpus) {
    throw std::runtime_error("the NCCL process group needs GPU " + std::to_string(gpu) +
                             " (LOCAL_RANK), and libtorch sees " + std::to_string(gpus) +
                             " GPU(s)");
  }
  c10::cuda::set_device(static_cast<c10::DeviceIndex>(gpu));
  auto options = c10d::ProcessGroupNCCL::Options::create();
  options->timeout = timeout;
  return c10::make_intrusive<c10d::ProcessGroupNCCL>(store, rank, world_size, options);
}
#endif

}  // namespace

extern "C" {

// Joins the gang over `backend` (kGloo, or kNccl on GPU `gpu`); null (with `error` set)
// when the rendezvous or the group fails, e.g. when not every rank arrives within
// `timeout_ms`.
void* dialekt_gang_open(const char* master_addr, uint16_t master_port, int32_t rank,
                        int32_t world_size, int64_t timeout_ms, int32_t backend, int32_t gpu,
                        char* error, size_t capacity) {
  Gang* gang = nullptr;
  guarded(error, capacity, [&] {
    auto timeout = std::chrono::milliseconds(timeout_ms);
    c10d::TCPStoreOptions store_options;
    store_options.port = master_port;
    store_options.isServer = rank == 0;
    store_options.numWorkers = world_size;
    store_options.waitWorkers = true;
    store_options.timeout = timeout;
    auto store = c10::make_intrusive<c10d::TCPStore>(std::string(master_addr), store_options);
    if (backend == kGloo) {
      gang = new Gang{store, gloo_group(store, rank, world_size, timeout), at::Device(at::kCPU)};
      return;
    }
    if (backend != kNccl) {
      throw std::runtime_error("unknown process group " + std::to_string(backend));
    }
#ifdef DIALEKT_NCCL
    auto group = nccl_group(store, rank, world_size, timeout, gpu);
    gang = new Gang{store, group, at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(gpu))};
#else
    (void)gpu;
    throw std::runtime_error(
        "this trainer was built without NCCL (cargo feature `nccl`); use DIALEKT_GANG_BACKEND=gloo");
#endif
  });
  return gang;
}

int32_t dialekt_gang_all_reduce_f32(void* gang, float* data, int64_t len, char* error,
                                    size_t capacity) {
  return all_reduce_sum(static_cast<Gang*>(gang), data, len, at::kFloat, error, capacity);
}

int32_t dialekt_gang_all_reduce_f64(void* gang, double* data, int64_t len, char* error,
                                    size_t capacity) {
  return all_reduce_sum(static_cast<Gang*>(gang), data, len, at::kDouble, error, capacity);
}

int32_t dialekt_gang_barrier(void* gang, char* error, size_t capacity) {
  return guarded(error, capacity,
                 [&] { static_cast<Gang*>(gang)->group->barrier()->wait(); });
}

void dialekt_gang_close(void* gang) {
  try {
    delete static_cast<Gang*>(gang);
  } catch (...) {
  }
}

}  // extern "C"
