/** The NIC priority matrix: which NICs each memory location (NUMA node, GPU, NPU, MLU) should use. */
package io.mooncake.topology;
