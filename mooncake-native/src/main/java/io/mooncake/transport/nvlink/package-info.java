/** Transport provider for protocol nvlink: availability from the probes; no data path in this release. */
package io.mooncake.transport.nvlink;
