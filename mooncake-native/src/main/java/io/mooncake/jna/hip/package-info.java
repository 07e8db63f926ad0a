/** JNA binding to the AMD HIP runtime (libamdhip64): {@link io.mooncake.jna.hip.Hip}, its ABI and its errors. */
package io.mooncake.jna.hip;
