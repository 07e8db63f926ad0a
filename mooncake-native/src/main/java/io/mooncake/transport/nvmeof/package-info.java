/** Transport provider for protocol nvmeof: availability from the probes; no data path in this release. */
package io.mooncake.transport.nvmeof;
