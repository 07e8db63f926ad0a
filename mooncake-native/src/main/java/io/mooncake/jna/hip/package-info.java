/** JNA binding to the AMD HIP runtime (libamdhip64). */
package io.mooncake.jna.hip;
