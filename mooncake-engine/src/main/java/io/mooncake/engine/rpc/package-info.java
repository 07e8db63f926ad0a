/**
 * The handshake protocol: frames, the concurrent handshake server and its client (Connection, Metadata, Notify, Probe).
 */
package io.mooncake.engine.rpc;
