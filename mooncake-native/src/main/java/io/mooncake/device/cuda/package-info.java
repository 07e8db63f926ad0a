/**
 * CUDA device memory for the engine: {@link io.mooncake.device.cuda.CudaDeviceMemory} is the
 * engine's {@link io.mooncake.engine.memory.DeviceMemoryAccess} and {@code cuda:N}
 * {@link io.mooncake.engine.memory.MemoryAllocator} (both found by ServiceLoader), over the driver
 * binding {@link io.mooncake.jna.cuda.Cuda}.
 */
package io.mooncake.device.cuda;
