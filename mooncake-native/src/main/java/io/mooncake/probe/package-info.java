/** Hardware probes: what RDMA, EFA, GPU, NPU, MLU, CXL and NVMe hardware this host has, and why it cannot be used. */
package io.mooncake.probe;
