/**
 * Transport for protocol nvmeof: file segments (NVMe-oF namespaces, block devices, files) read and
 * written with direct I/O, and with GPUDirect Storage for CUDA memory where libcufile loads.
 */
package io.mooncake.transport.nvmeof;
