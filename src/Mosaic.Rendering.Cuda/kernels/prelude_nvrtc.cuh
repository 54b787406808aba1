// What the kernels need from CUDA, for NVRTC (which has the device math functions built in).
#define MOSAIC_KERNEL extern "C" __global__
#define MOSAIC_DEVICE __device__ __forceinline__
#define MOSAIC_GLOBAL_INDEX() (blockIdx.x * blockDim.x + threadIdx.x)
#define MOSAIC_NAN __int_as_float(0x7fc00000)
__device__ __forceinline__ int mosaic_atomic_add(int* p, int v) { return atomicAdd(p, v); }
__device__ __forceinline__ unsigned int mosaic_float_bits(float f) { return __float_as_uint(f); }
