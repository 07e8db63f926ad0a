/** Transport provider for protocol cxl: availability from the probes; no data path in this release. */
package io.mooncake.transport.cxl;
