/** Transport provider for protocol ascend: availability from the probes; no data path in this release. */
package io.mooncake.transport.ascend;
