/**
 * JNA binding to NVIDIA GPUDirect Storage ({@code libcufile.so.0}): {@link io.mooncake.jna.cufile.LibCufile}
 * (the C API, layouts checked against {@code cufile.h}) behind the facade {@link io.mooncake.jna.cufile.CuFile},
 * which the nvmeof transport uses to move bytes between files and CUDA memory without a host copy.
 */
package io.mooncake.jna.cufile;
