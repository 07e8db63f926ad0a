/**
 * AMD GPU memory for the engine: the {@code hip:N} allocator and
 * {@link io.mooncake.engine.memory.DeviceMemoryAccess} ({@link io.mooncake.device.hip.HipDeviceMemory}),
 * and {@link io.mooncake.device.hip.HipRuntime}, a usable HIP runtime or why there is none.
 */
package io.mooncake.device.hip;
