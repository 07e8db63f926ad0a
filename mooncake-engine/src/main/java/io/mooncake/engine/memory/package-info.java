/**
 * Registered memory and every bounds check, native memory access and reusable direct-buffer windows.
 */
package io.mooncake.engine.memory;
