/**
 * The pure-Java NIO tcp transport, wire-compatible with the reference's (24-byte headers, v2 status frames).
 */
package io.mooncake.engine.transport.tcp;
