/** Transport provider for protocol rdma: availability from the probes; no data path in this release. */
package io.mooncake.transport.rdma;
