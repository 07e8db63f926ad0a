/** Transport provider for protocol hip: availability from the probes; no data path in this release. */
package io.mooncake.transport.hip;
