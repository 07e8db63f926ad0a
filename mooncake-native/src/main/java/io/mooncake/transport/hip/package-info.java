/**
 * Protocol {@code hip}: AMD GPU memory between processes of one host through HIP IPC handles
 * ({@link io.mooncake.transport.hip.HipTransport}), the {@code hip:N} allocator and device-memory
 * access for the engine ({@link io.mooncake.transport.hip.HipDeviceMemory}), over the JNA binding
 * {@link io.mooncake.jna.hip.Hip}.
 */
package io.mooncake.transport.hip;
