/** JNA binding to libfabric (OFI) and its probe facade. */
package io.mooncake.jna.fabric;
