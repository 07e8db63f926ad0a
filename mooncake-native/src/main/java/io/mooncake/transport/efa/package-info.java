/** Transport provider for protocol efa: availability from the probes; no data path in this release. */
package io.mooncake.transport.efa;
