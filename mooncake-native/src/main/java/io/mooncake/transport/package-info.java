/** Native transport providers: availability from hardware probes, with the precise cause and fix. */
package io.mooncake.transport;
