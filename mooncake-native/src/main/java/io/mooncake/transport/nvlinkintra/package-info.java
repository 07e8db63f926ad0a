/** Transport provider for protocol nvlink_intra: availability from the probes; no data path in this release. */
package io.mooncake.transport.nvlinkintra;
