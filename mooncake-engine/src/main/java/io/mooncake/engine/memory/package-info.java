/**
 * Registered memory and every bounds check, native memory access ({@code java.lang.foreign} on JDK 22+,
 * {@code sun.misc.Unsafe} before), reusable direct-buffer windows and shared-memory mappings.
 */
package io.mooncake.engine.memory;
