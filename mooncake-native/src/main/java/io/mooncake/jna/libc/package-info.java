/** libc calls through JNA: mapping character devices (device-DAX) and files beyond 2 GiB. */
package io.mooncake.jna.libc;
