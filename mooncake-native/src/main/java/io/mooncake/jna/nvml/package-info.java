/** JNA binding to NVML (libnvidia-ml) and its probe facade. */
package io.mooncake.jna.nvml;
