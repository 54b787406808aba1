// The emulated device: the CUDA kernels compiled for the host and run one thread after another, so
// that the kernels and the C# code that drives them are tested on machines without a GPU. It cannot
// find races or device-specific faults; those are what the parity run on a GPU is for.
#include <math.h>
#include <stddef.h>
#include <string.h>

static unsigned mosaic_block_index, mosaic_block_size, mosaic_thread_index;

#define MOSAIC_KERNEL static
#define MOSAIC_DEVICE static inline
#define MOSAIC_GLOBAL_INDEX() (mosaic_block_index * mosaic_block_size + mosaic_thread_index)
#define MOSAIC_NAN __builtin_nanf("")
static inline int mosaic_atomic_add(int* p, int v) { int old = *p; *p = old + v; return old; }
static inline unsigned int mosaic_float_bits(float f) { unsigned int u; memcpy(&u, &f, sizeof u); return u; }

#include "../kernels/mosaic_kernels.cuh"
#include "../kernels/project.cu"
#include "../kernels/bin.cu"
#include "../kernels/raster.cu"
#include "../kernels/reduce.cu"

#define MOSAIC_EXPORT extern "C" __attribute__((visibility("default")))

typedef void (*mosaic_kernel)(const MosaicArgs);

struct mosaic_kernel_entry { const char* name; mosaic_kernel kernel; };

#define MOSAIC_TABLE_ENTRY(name) { #name, name },
static const mosaic_kernel_entry mosaic_kernels[] = { MOSAIC_KERNEL_LIST(MOSAIC_TABLE_ENTRY) };

// Runs kernel `name` over blocks x threads; 0, or -1 for an unknown kernel.
MOSAIC_EXPORT int mosaic_emu_launch(const char* name, unsigned blocks, unsigned threads, const MosaicArgs* args)
{
    for (const mosaic_kernel_entry& entry : mosaic_kernels)
    {
        if (strcmp(entry.name, name) != 0)
            continue;
        mosaic_block_size = threads;
        for (mosaic_block_index = 0; mosaic_block_index < blocks; mosaic_block_index++)
            for (mosaic_thread_index = 0; mosaic_thread_index < threads; mosaic_thread_index++)
                entry.kernel(*args);
        return 0;
    }
    return -1;
}

// The argument block's size and a few offsets, so that the C# mirror can be checked against it.
MOSAIC_EXPORT void mosaic_emu_layout(unsigned long long* out)
{
    out[0] = sizeof(MosaicArgs);
    out[1] = offsetof(MosaicArgs, coverage_threshold);
    out[2] = offsetof(MosaicArgs, r);
    out[3] = offsetof(MosaicArgs, fx);
    out[4] = offsetof(MosaicArgs, k_epsilon);
    out[5] = offsetof(MosaicArgs, count);
    out[6] = offsetof(MosaicArgs, chunks);
    out[7] = offsetof(MosaicArgs, uncovered_shifts);
    out[8] = offsetof(MosaicArgs, tile_groups);
    out[9] = offsetof(MosaicArgs, reduce_width);
}
