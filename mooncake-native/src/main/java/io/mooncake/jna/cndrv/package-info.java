/** JNA binding to the Cambricon driver API (libcndrv). */
package io.mooncake.jna.cndrv;
