/**
 * {@code P2PHANDSHAKE}: descriptors fetched from peers' handshake ports, no metadata server.
 */
package io.mooncake.engine.metadata.p2p;
