/**
 * JNA binding to the CUDA driver API ({@code libcuda.so.1}, shipped with the NVIDIA driver; no
 * toolkit needed at run time): {@link io.mooncake.jna.cuda.LibCuda} is the raw interface (a test
 * double can implement it where no GPU exists), {@link io.mooncake.jna.cuda.Cuda} the checked
 * facade whose every failure is a {@link io.mooncake.jna.cuda.CudaException} naming the call and
 * the driver's error name ({@code cuGetErrorName}), {@link io.mooncake.jna.cuda.CudaAbi} the
 * structure layouts and constants taken from {@code cuda.h}.
 */
package io.mooncake.jna.cuda;
