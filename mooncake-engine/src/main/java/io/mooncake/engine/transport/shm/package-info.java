/**
 * The same-host shared-memory transport ({@code shm}): engine-allocated memory lives in owner-only
 * files in {@code /dev/shm}; a peer on the same host maps them on first use and copies with memcpy
 * instead of going through loopback TCP. Runs alongside every other transport where /dev/shm is usable.
 */
package io.mooncake.engine.transport.shm;
