/**
 * Protocol {@code hip}: AMD GPU memory between processes of one host through HIP IPC handles
 * ({@link io.mooncake.transport.hip.HipTransport}), over the JNA binding
 * {@link io.mooncake.jna.hip.Hip}; the {@code hip:N} allocator and device-memory access are in
 * {@code io.mooncake.device.hip}.
 */
package io.mooncake.transport.hip;
