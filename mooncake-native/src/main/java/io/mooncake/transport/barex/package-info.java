/** Transport provider for protocol barex: availability from the probes; no data path in this release. */
package io.mooncake.transport.barex;
